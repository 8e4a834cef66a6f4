//! Belt and braces for lost work: re-enqueues active runs whose lease is free
//! and that nobody touched for a lease period (their worker died, or the
//! queue lost the message). Running it on every replica is harmless: the
//! lease lets only one worker execute a run.

use std::time::Duration;

use taichu_storage::repositories::workflow_runs;
use taichu_workflows::Engine;

use crate::Shutdown;

pub async fn run(engine: Engine, every: Duration, shutdown: Shutdown) {
    let idle = chrono::Duration::from_std(engine.config().lease_ttl).unwrap_or(chrono::Duration::seconds(30));
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let stranded = match workflow_runs::stranded(engine.db(), idle, 100).await {
            Ok(ids) => ids,
            Err(err) => {
                tracing::warn!(error = %err, "looking for stranded runs failed");
                continue;
            }
        };
        for run_id in stranded {
            tracing::warn!(%run_id, "re-enqueueing a stranded run");
            if let Err(err) = workflow_runs::touch(engine.db(), &run_id).await {
                tracing::warn!(%run_id, error = %err, "marking a stranded run failed");
                continue;
            }
            if let Err(err) = engine.queue().enqueue(&run_id).await {
                tracing::warn!(%run_id, error = %err, "re-enqueueing a stranded run failed");
            }
        }
    }
}
