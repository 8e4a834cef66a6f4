//! Background processes run by `taichu worker` and `taichu serve`: queue
//! workers that drive workflow runs, the reaper for stranded runs, the
//! sweeper for expired rows, and periodic jobs claimed once per tick.

/// Backup schedules fired once per due time.
mod backup_schedules;
/// Periodic cluster health checks.
mod cluster_health;
/// The apalis worker that drives runs off the queue.
pub mod pool;
/// The run queue: apalis on SQLite or Redis.
pub mod queue;
/// Re-enqueues runs whose worker or message was lost.
mod reaper;
/// Backup retention.
mod retention;
/// Once-per-tick jobs across replicas.
pub mod scheduler;
/// Deletes rows that no longer matter.
mod sweeper;

use std::sync::Arc;
use std::time::Duration;

use taichu_workflows::{Engine, EngineConfig, WorkflowEnv, registry};
use tokio::task::JoinSet;
pub use tokio_util::sync::CancellationToken as Shutdown;

pub use backup_schedules::ScheduleTiming;

pub use queue::Queue;

/// Errors that stop the workers.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("queue: {0}")]
    Queue(String),
}

/// Builds the engine with every workflow of this build, acting in `env`.
pub fn engine(env: WorkflowEnv, queue: Queue, config: EngineConfig) -> Engine {
    Engine::new(env, registry::all(), Arc::new(queue), config)
}

/// Settings of a worker process.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Runs driven at once by this process.
    pub concurrency: usize,
    /// How often the reaper looks for stranded runs.
    pub reap_every: Duration,
    /// Cluster health checks: how often, and the environment they reach clusters in.
    /// `None` runs none (benchmarks, engine tests).
    pub health: Option<(Duration, WorkflowEnv)>,
    /// Backup schedules and retention; `None` runs neither.
    pub backups: Option<BackupJobs>,
}

/// How backup schedules fire and how often retention runs.
#[derive(Debug, Clone, Copy)]
pub struct BackupJobs {
    pub schedules: ScheduleTiming,
    pub retention_every: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            concurrency: 4,
            reap_every: Duration::from_secs(10),
            health: None,
            backups: None,
        }
    }
}

/// Runs queue workers, reaper and sweeper until `shutdown` is cancelled.
pub async fn run(engine: Engine, queue: Queue, settings: WorkerSettings, shutdown: Shutdown) {
    tracing::info!(
        queue = queue.backend_name(),
        concurrency = settings.concurrency,
        "workers started"
    );
    let mut tasks = JoinSet::new();
    pool::spawn(&engine, &queue, settings.concurrency, &shutdown, &mut tasks);
    tasks.spawn(reaper::run(engine.clone(), settings.reap_every, shutdown.clone()));
    tasks.spawn(sweeper::run(engine.db().clone(), shutdown.clone()));
    if let Some((every, env)) = settings.health {
        let owner = engine.config().worker_id.clone();
        tasks.spawn(cluster_health::run(env, every, owner, shutdown.clone()));
    }
    if let Some(jobs) = settings.backups {
        let owner = engine.config().worker_id.clone();
        tasks.spawn(backup_schedules::run(
            engine.clone(),
            jobs.schedules,
            owner.clone(),
            shutdown.clone(),
        ));
        tasks.spawn(retention::run(
            engine.clone(),
            jobs.retention_every,
            owner,
            shutdown.clone(),
        ));
    }
    while let Some(result) = tasks.join_next().await {
        if let Err(err) = result {
            tracing::error!(error = %err, "a background task panicked");
        }
    }
    tracing::info!("workers stopped");
}
