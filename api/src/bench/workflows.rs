//! `taichu bench workflows`: pushes no-op canary runs through the real queue
//! and reports throughput and the engine's per-step overhead, next to a
//! baseline measured in the same run (one bare commit on the same database).

use std::time::{Duration, Instant};

use clap::Args;
use taichu_storage::repositories::workflow_runs::{self as runs, NewRun, RunStatus};
use taichu_storage::repositories::workflow_steps;
use taichu_storage::{Database, TransactionTrait, new_id};
use taichu_workers::{Queue, Shutdown, WorkerSettings};
use taichu_workflows::EngineConfig;
use taichu_workflows::canary::{Canary, CanaryInput};

use super::{percentile, tempfile_dir};

#[derive(Debug, Clone, Args)]
pub struct BenchWorkflowsArgs {
    /// Runs to push.
    #[arg(long, default_value_t = 200)]
    pub runs: usize,
    /// Steps per run.
    #[arg(long, default_value_t = 5)]
    pub steps: u32,
    /// Worker engines (each with its own lease identity and queue consumers).
    #[arg(long, default_value_t = 1)]
    pub workers: usize,
    /// Queue consumers per worker.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// `redis://…`; unset, the queue lives in the SQLite database.
    #[arg(long)]
    pub queue: Option<String>,
    /// Database URL; unset, a fresh SQLite file in a temporary directory.
    #[arg(long)]
    pub database: Option<String>,
    /// Each step also writes the canary's marker row (a commit of its own);
    /// without it, steps are true no-ops, as other engines' benchmarks use.
    #[arg(long, default_value_t = false)]
    pub markers: bool,
}

fn ms(d: chrono::TimeDelta) -> f64 {
    d.num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0
}

/// p50 of one insert plus one update committed together: the least a step commit can cost.
async fn baseline_commit_ms(db: &Database) -> anyhow::Result<f64> {
    let run = runs::insert(db, NewRun::bare("bench-baseline")).await?;
    let mut samples = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        let txn = db.begin().await?;
        workflow_steps::log(&txn, &run.id, None, "info", "baseline").await?;
        runs::touch(&txn, &run.id).await?;
        txn.commit().await?;
        samples.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    Ok(percentile(&samples, 50.0))
}

pub async fn workflows(args: BenchWorkflowsArgs) -> anyhow::Result<()> {
    let temp = tempfile_dir()?;
    let url = args
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", temp.join("bench.db").display()));
    let db = taichu_storage::connect(&url).await?;
    taichu_storage::db::migrate(&db).await?;
    let queue = Queue::connect(args.queue.as_deref(), &db).await?;
    let backend = if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    println!(
        "bench workflows: database={backend} queue={} runs={} steps={} workers={} concurrency={} markers={}",
        queue.backend_name(),
        args.runs,
        args.steps,
        args.workers,
        args.concurrency,
        args.markers
    );
    let baseline = baseline_commit_ms(&db).await?;

    // The canary touches no credentials.
    let env = taichu_workflows::WorkflowEnv::ephemeral(db.clone())?;
    let shutdown = Shutdown::new();
    let mut engines = Vec::new();
    for w in 0..args.workers.max(1) {
        let config = EngineConfig {
            worker_id: format!("bench-{w}-{}", &new_id()[30..]),
            ..Default::default()
        };
        let engine = taichu_workers::engine(env.clone(), queue.clone(), config);
        let settings = WorkerSettings {
            concurrency: args.concurrency,
            reap_every: Duration::from_secs(30),
            health: None,
            backups: None,
        };
        engines.push(tokio::spawn(taichu_workers::run(
            engine,
            queue.clone(),
            settings,
            shutdown.clone(),
        )));
    }
    let producer = taichu_workers::engine(env, queue.clone(), EngineConfig::default());
    let input = CanaryInput {
        steps: args.steps,
        step_ms: 0,
        fail_attempts: 0,
        marker: args.markers,
    };

    let started = Instant::now();
    let mut ids = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        ids.push(producer.start::<Canary>(None, &input, None, &[]).await?.id);
    }
    let enqueued = started.elapsed();
    while runs::count_finished(&db, &ids).await? < ids.len() as u64 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    shutdown.cancel();
    for engine in engines {
        let _ = engine.await;
    }

    let mut overheads = Vec::new();
    let mut start_to_start = Vec::new();
    let mut first_step = Vec::new();
    let mut failed = 0;
    for id in &ids {
        let run = runs::find(&db, id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("run {id} vanished"))?;
        if run.run_status() != RunStatus::Completed {
            failed += 1;
        }
        let steps = workflow_steps::list(&db, id).await?;
        if let Some(first) = steps.first() {
            first_step.push(ms(first.started_at - run.created_at));
        }
        for pair in steps.windows(2) {
            // From one step's start to the next one's: what other engines publish.
            start_to_start.push(ms(pair[1].started_at - pair[0].started_at));
            if let Some(done) = pair[0].finished_at {
                overheads.push(ms(pair[1].started_at - done));
            }
        }
    }
    for samples in [&mut overheads, &mut start_to_start, &mut first_step] {
        samples.sort_by(f64::total_cmp);
    }
    let (p50, p99) = (percentile(&overheads, 50.0), percentile(&overheads, 99.0));
    let runs_per_s = args.runs as f64 / elapsed;
    let steps_per_s = (args.runs as f64 * f64::from(args.steps)) / elapsed;
    println!(
        "enqueue: {} runs in {:.1} ms",
        args.runs,
        enqueued.as_secs_f64() * 1000.0
    );
    println!(
        "enqueue_to_first_step_ms: p50={:.2} p99={:.2}",
        percentile(&first_step, 50.0),
        percentile(&first_step, 99.0)
    );
    println!(
        "baseline_commit_p50_ms={baseline:.3} step_overhead_p50_vs_baseline={:.1}x",
        p50 / baseline
    );
    if failed > 0 {
        println!("warning: {failed} runs did not complete");
    }
    println!(
        "step_start_to_start_p50_ms={:.2} step_start_to_start_p99_ms={:.2}",
        percentile(&start_to_start, 50.0),
        percentile(&start_to_start, 99.0)
    );
    println!(
        "workflows: runs_per_s={runs_per_s:.1} steps_per_s={steps_per_s:.1} step_overhead_p50_ms={p50:.2} step_overhead_p99_ms={p99:.2}"
    );
    let _ = std::fs::remove_dir_all(&temp);
    Ok(())
}
