//! The apalis worker that takes run ids off the queue and drives them.

use std::time::Duration;

use apalis::prelude::{BackendExt, BoxDynError, Data, WorkerBuilder, WorkerBuilderExt};
use taichu_workflows::Engine;
use tokio::task::JoinSet;

use crate::Shutdown;
use crate::queue::{Queue, RunMessage};

/// How often an idle worker asks the queue for work (apalis otherwise polls
/// only once per heartbeat).
const POLL: Duration = Duration::from_millis(50);

async fn handle(message: RunMessage, engine: Data<Engine>) -> Result<(), BoxDynError> {
    match engine.drive(&message.run_id).await {
        Ok(outcome) => tracing::debug!(run_id = %message.run_id, ?outcome, "run handled"),
        // The run stays in the database; the reaper re-enqueues it.
        Err(err) => tracing::error!(run_id = %message.run_id, error = %err, "driving a run failed"),
    }
    Ok(())
}

/// Starts one apalis worker on `queue` that drives up to `concurrency` runs
/// at once; while it is full it fetches nothing, leaving work to other replicas.
pub fn spawn(engine: &Engine, queue: &Queue, concurrency: usize, shutdown: &Shutdown, tasks: &mut JoinSet<()>) {
    let name = engine.config().worker_id.clone();
    let engine = engine.clone();
    let stop = shutdown.clone();
    let signal = async move {
        stop.cancelled().await;
        Ok::<(), std::io::Error>(())
    };
    let limit = concurrency.max(1);
    // The two backends are different types, so the builder chain is spelled once in a macro.
    macro_rules! start {
        ($storage:expr) => {{
            let worker =
                WorkerBuilder::new(name).backend($storage.poll_with_interval(POLL)).concurrency(limit).data(engine).build(handle);
            tasks.spawn(async move {
                if let Err(err) = worker.run_until(signal).await {
                    tracing::error!(error = %err, "queue worker stopped with an error");
                }
            });
        }};
    }
    match queue.clone() {
        Queue::Sqlite(storage) => start!(storage),
        Queue::Redis(storage) => start!(storage),
    }
}
