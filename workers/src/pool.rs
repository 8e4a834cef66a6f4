//! The apalis worker that takes run ids off the queue and drives them.
//!
//! An apalis worker stops for good on the first error of its queue (Redis
//! restarted: a broken pipe; Redis wiped: "worker not registered"), so a
//! supervisor starts a new one after a pause, and runs are driven in tasks of
//! their own so that a stopping queue worker does not drop a step half-way.

use std::sync::Arc;
use std::time::{Duration, Instant};

use apalis::prelude::{BackendExt, BoxDynError, Data, WorkerBuilder, WorkerBuilderExt};
use taichu_workflows::Engine;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::Shutdown;
use crate::queue::{Queue, RunMessage};

/// How often an idle worker asks the queue for work (apalis otherwise polls
/// only once per heartbeat).
const POLL: Duration = Duration::from_millis(50);
/// Pause before a queue worker that stopped on an error is started again;
/// it doubles while the queue keeps failing, up to `RESTART_MAX`.
const RESTART_MIN: Duration = Duration::from_millis(250);
const RESTART_MAX: Duration = Duration::from_secs(15);

/// What a queue worker hands each message to.
#[derive(Clone)]
struct Drives {
    engine: Engine,
    /// One permit per run driven at once, shared by successive queue workers:
    /// runs of a stopped one still count.
    slots: Arc<Semaphore>,
    running: TaskTracker,
    /// Cancelled when the pool's task is dropped (aborted with its process's
    /// tasks): its runs then stop with it, as they would if the process died.
    dropped: CancellationToken,
}

async fn handle(message: RunMessage, drives: Data<Drives>) -> Result<(), BoxDynError> {
    let slot = Arc::clone(&drives.slots).acquire_owned().await?;
    let (engine, dropped) = (drives.engine.clone(), drives.dropped.clone());
    let run = drives.running.spawn(async move {
        let _slot = slot;
        let driven = tokio::select! {
            driven = engine.drive(&message.run_id) => driven,
            () = dropped.cancelled() => return,
        };
        match driven {
            Ok(outcome) => tracing::debug!(run_id = %message.run_id, ?outcome, "run handled"),
            // The run stays in the database; the reaper re-enqueues it.
            Err(err) => tracing::error!(run_id = %message.run_id, error = %err, "driving a run failed"),
        }
    });
    // If the queue worker stops meanwhile this wait is dropped, not the run.
    let _ = run.await;
    Ok(())
}

/// Runs one apalis worker named `name` on `queue` until it stops: on
/// shutdown (`Ok`) or on an error of the queue.
async fn run_once(
    name: String,
    queue: &Queue,
    limit: usize,
    drives: &Drives,
    shutdown: &Shutdown,
) -> Result<(), String> {
    let stop = shutdown.clone();
    let signal = async move {
        stop.cancelled().await;
        Ok::<(), std::io::Error>(())
    };
    // The two backends are different types, so the builder chain is spelled once in a macro.
    macro_rules! run {
        ($storage:expr) => {{
            let worker = WorkerBuilder::new(name)
                .backend($storage.poll_with_interval(POLL))
                .concurrency(limit)
                .data(drives.clone())
                .build(handle);
            worker.run_until(signal).await.map_err(|e| e.to_string())
        }};
    }
    match queue.clone() {
        Queue::Sqlite(storage) => run!(storage),
        Queue::Redis(storage) => run!(storage),
    }
}

/// Starts a task that keeps an apalis worker on `queue` driving up to
/// `concurrency` runs at once (while full it fetches nothing, leaving work to
/// other replicas), starting a new one whenever the queue fails under it.
/// On shutdown it waits for the runs it drives.
pub fn spawn(engine: &Engine, queue: &Queue, concurrency: usize, shutdown: &Shutdown, tasks: &mut JoinSet<()>) {
    let limit = concurrency.max(1);
    let drives = Drives {
        engine: engine.clone(),
        slots: Arc::new(Semaphore::new(limit)),
        running: TaskTracker::new(),
        dropped: CancellationToken::new(),
    };
    let base = engine.config().worker_id.clone();
    let (queue, shutdown) = (queue.clone(), shutdown.clone());
    tasks.spawn(async move {
        let _stop_runs_if_dropped = drives.dropped.clone().drop_guard();
        let mut pause = RESTART_MIN;
        for round in 0u32.. {
            // The queue refuses a name it saw alive in the last heartbeats, so each round has its own.
            let name = if round == 0 { base.clone() } else { format!("{base}-{round}") };
            let started = Instant::now();
            let stopped = run_once(name, &queue, limit, &drives, &shutdown).await;
            if shutdown.is_cancelled() {
                break;
            }
            if started.elapsed() > RESTART_MAX {
                pause = RESTART_MIN;
            }
            let error = stopped.err().unwrap_or_else(|| "the queue stream ended".to_owned());
            tracing::warn!(%error, pause_ms = pause.as_millis(), "queue worker stopped; starting a new one after a pause");
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(pause) => {}
            }
            pause = (pause * 2).min(RESTART_MAX);
        }
        drives.running.close();
        drives.running.wait().await;
    });
}
