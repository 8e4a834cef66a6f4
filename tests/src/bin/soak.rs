//! `soak --minutes 30`: the production shape under a steady mixed load for a
//! long time, watching each process's memory and open files for growth.
//!
//! Starts PostgreSQL (a fresh database), Redis (append-only), SeaweedFS, the
//! test Kubernetes API server, 2 × `taichu api` and 2 × `taichu worker`;
//! imports a cluster with a backup schedule firing every minute; then, until
//! the time is up, starts a canary run every 2 s and reads the cluster list,
//! the workflow list and the cluster's live node view every second. Every
//! `--sample-secs` it records each process's resident memory and open file
//! descriptors, and at the end prints the least-squares slope of each after
//! the warm-up, with the run's counts of completed and failed work.

use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{Value, json};
use taichu_tests::apiserver::TestApiServer;
use taichu_tests::bench::proc_kib;
use taichu_tests::endpoints::b64;
use taichu_tests::postgres::TempDatabase;
use taichu_tests::redis::RedisServer;
use taichu_tests::s3::S3Server;

#[derive(Debug, Parser)]
#[command(name = "soak")]
struct Args {
    /// How long the load runs.
    #[arg(long, default_value_t = 30)]
    minutes: u64,
    /// Seconds between samples of memory and file descriptors.
    #[arg(long, default_value_t = 10)]
    sample_secs: u64,
    /// Share of the run, from its start, left out of the slopes (start-up and warm caches).
    #[arg(long, default_value_t = 0.2)]
    warm_up: f64,
}

/// One process watched: its name and pid.
struct Watched {
    name: String,
    pid: u32,
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

/// Least-squares slope of `points` (x in minutes), per hour.
fn slope_per_hour(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let cov: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let var: f64 = points.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
    cov / var * 60.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    taichu_workflows::kube::install_crypto_provider();
    let dir = tempfile::tempdir()?;
    let redis = RedisServer::start_persistent(dir.path()).ok_or_else(|| anyhow::anyhow!("redis-server missing"))?;
    let s3 = S3Server::start().ok_or_else(|| anyhow::anyhow!("SeaweedFS missing (ensure_test_tools)"))?;
    s3.create_bucket("soak");
    let db = TempDatabase::create()?;
    let (db_url, queue) = (db.url(), redis.url());
    let mut env: Vec<(String, String)> = s3.env("soak");
    env.extend([
        ("DATABASE_URL".to_owned(), db_url),
        ("QUEUE_URL".to_owned(), queue),
        ("RUST_LOG".to_owned(), "warn".to_owned()),
        // One login drives the whole run: its token must outlive it.
        (
            "TAICHU_ACCESS_TOKEN_TTL".to_owned(),
            (args.minutes * 60 + 600).to_string(),
        ),
    ]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let api_1 = taichu_tests::app::spawn("api", &env);
    let api_2 = taichu_tests::app::spawn("api", &env);
    let workers = [
        api_1.spawn_worker("worker-1", &env),
        api_1.spawn_worker("worker-2", &env),
    ];
    let mut watched = vec![
        Watched {
            name: "api-1".into(),
            pid: api_1.pid(),
        },
        Watched {
            name: "api-2".into(),
            pid: api_2.pid(),
        },
    ];
    for (i, worker) in workers.iter().enumerate() {
        watched.push(Watched {
            name: format!("worker-{}", i + 1),
            pid: worker.pid(),
        });
    }

    let server = TestApiServer::start("soak-token").await;
    for i in 0..5 {
        server.add_node(&format!("node-{i}"), true);
    }
    server.seed_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: soak}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: soak}\ndata: {mode: soak}\n").map_err(anyhow::Error::msg)?;
    let admin = api_1.admin_token().await;
    let import = api_1
        .post(
            "/clusters/import",
            &admin,
            json!({"name": "soaked", "kubeconfig": b64(&server.kubeconfig("soak-token"))}),
        )
        .await
        .data()
        .clone();
    let cluster = import["cluster_id"].as_str().unwrap_or_default().to_owned();
    let imported = api_1
        .wait_import(&admin, import["id"].as_str().unwrap_or_default())
        .await;
    anyhow::ensure!(imported["status"] == "completed", "import: {imported}");
    let schedule = api_1
        .post(
            &format!("/clusters/{cluster}/backup-schedules"),
            &admin,
            json!({"name": "every-minute", "cron_expr": "* * * * *", "backup_type": "resources", "retention_count": 5}),
        )
        .await;
    anyhow::ensure!(schedule.status == 200, "schedule: {}", schedule.body);

    println!(
        "soak: {} min, PostgreSQL + Redis (appendonly) + SeaweedFS, 2 api + 2 workers; a canary every 2 s, 3 reads a second, a scheduled backup every minute",
        args.minutes
    );
    let started = Instant::now();
    let end = started + Duration::from_secs(args.minutes * 60);
    let mut samples: Vec<Vec<(f64, f64, f64)>> = vec![Vec::new(); watched.len()];
    let (mut canaries, mut reads, mut read_errors) = (Vec::new(), 0u64, 0u64);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut n = 0u64;
    while Instant::now() < end {
        tick.tick().await;
        let api = if n.is_multiple_of(2) { &api_1 } else { &api_2 };
        for path in [
            "/clusters".to_owned(),
            "/workflows?limit=50".to_owned(),
            format!("/clusters/{cluster}/nodes"),
        ] {
            reads += 1;
            if api.get(&path, &admin).await.status != 200 {
                read_errors += 1;
            }
        }
        if n.is_multiple_of(2) {
            let started = api
                .post("/workflows/canary", &admin, json!({"steps": 3, "step_ms": 100}))
                .await;
            if let Some(id) = started.body["data"]["id"].as_str() {
                canaries.push(id.to_owned());
            }
        }
        if n.is_multiple_of(args.sample_secs) {
            let minute = started.elapsed().as_secs_f64() / 60.0;
            let mut line = format!("t={:>5.1}min", minute);
            for (w, series) in watched.iter().zip(samples.iter_mut()) {
                let rss = proc_kib(&w.pid.to_string(), "VmRSS:").unwrap_or(0) as f64 / 1_048_576.0;
                let fds = open_fds(w.pid) as f64;
                series.push((minute, rss, fds));
                line.push_str(&format!("  {} {:.1} MiB {} fds", w.name, rss, fds));
            }
            println!("{line}");
        }
        n += 1;
    }

    // Let the last canaries finish before counting.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let mut outcome = std::collections::BTreeMap::<String, u64>::new();
    for id in &canaries {
        let run = api_1.get(&format!("/workflows/{id}?log_limit=1"), &admin).await;
        let status = run.body["data"]["status"].as_str().unwrap_or("unknown").to_owned();
        *outcome.entry(status).or_default() += 1;
    }
    let backups: Value = api_1
        .get(&format!("/clusters/{cluster}/backups?limit=100"), &admin)
        .await
        .body["data"]
        .clone();
    let fired = api_1.get("/workflows?kind=backup&limit=1", &admin).await.body["data"]["total"].clone();
    println!("canaries: {} started, by status {outcome:?}", canaries.len());
    println!("reads: {reads}, non-200: {read_errors}");
    println!(
        "scheduled backups: {fired} runs, {} kept by retention now",
        backups["total"]
    );
    let from = args.minutes as f64 * args.warm_up;
    println!("slopes after the first {from:.1} min (least squares):");
    for (w, series) in watched.iter().zip(&samples) {
        let kept: Vec<&(f64, f64, f64)> = series.iter().filter(|s| s.0 >= from).collect();
        let rss: Vec<(f64, f64)> = kept.iter().map(|s| (s.0, s.1)).collect();
        let fds: Vec<(f64, f64)> = kept.iter().map(|s| (s.0, s.2)).collect();
        let (first, last) = (kept.first(), kept.last());
        println!(
            "  {:<9} rss {:>6.1} → {:>6.1} MiB, slope {:+.2} MiB/hour;  fds {:>4} → {:>4}, slope {:+.2}/hour",
            w.name,
            first.map_or(f64::NAN, |s| s.1),
            last.map_or(f64::NAN, |s| s.1),
            slope_per_hour(&rss),
            first.map_or(f64::NAN, |s| s.2),
            last.map_or(f64::NAN, |s| s.2),
            slope_per_hour(&fds),
        );
    }
    drop(server);
    Ok(())
}
