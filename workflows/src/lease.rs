//! Leases: the right of one worker to execute a run, with an expiry in the
//! database. While a step runs its lease is renewed, cancellation is watched
//! for, and a long step's log is flushed so it can be tailed.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use taichu_storage::Database;
use taichu_storage::repositories::workflow_runs as runs;
use taichu_storage::repositories::workflow_steps as steps;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::context::LogBuffer;
use crate::engine::EngineConfig;
use crate::error::StepError;

/// How a stretch of work under a lease ended.
pub(crate) enum Held<T> {
    Done(Result<T, StepError>),
    Cancelled,
    Lost,
}

/// How long a lease taken or renewed now lasts (from the database's now).
pub(crate) fn ttl(config: &EngineConfig) -> chrono::Duration {
    chrono::Duration::from_std(config.lease_ttl).unwrap_or(chrono::Duration::seconds(30))
}

/// One run's lease, held by one worker.
pub(crate) struct Lease<'a> {
    pub db: &'a Database,
    pub config: &'a EngineConfig,
    pub run_id: &'a str,
    pub owner: &'a str,
}

impl Lease<'_> {
    /// Drives `work` while renewing the lease and flushing `logs` when due;
    /// stops it when the run is cancelled or the lease is lost.
    pub async fn hold<T>(
        &self,
        cancel: &CancellationToken,
        logs: &Arc<LogBuffer>,
        work: impl Future<Output = Result<T, StepError>>,
    ) -> Held<T> {
        let mut flushing: Option<JoinHandle<()>> = None;
        let renew = async {
            let mut tick = tokio::time::interval(self.config.renew_every);
            tick.tick().await;
            loop {
                tick.tick().await;
                match runs::renew_lease(self.db, self.run_id, self.owner, ttl(self.config)).await {
                    Ok(None) => return Held::Lost,
                    Ok(Some(true)) => return Held::Cancelled,
                    Ok(Some(false)) => {}
                    // A blip in the database: keep working, the lease has slack.
                    Err(err) => tracing::warn!(run_id = self.run_id, error = %err, "renewing a lease failed"),
                }
                if logs.due() && flushing.as_ref().is_none_or(JoinHandle::is_finished) {
                    flushing = Some(self.flush(logs.take()));
                }
            }
        };
        tokio::pin!(work);
        let stop = tokio::select! {
            result = &mut work => Held::Done(result),
            stop = renew => stop,
        };
        // A flush in flight lands before the step's commit writes what follows it.
        if let Some(flush) = flushing.take() {
            let _ = flush.await;
        }
        if matches!(stop, Held::Done(_)) {
            return stop;
        }
        // Let the step see the cancellation and wind down, but not for long.
        cancel.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(10), work).await;
        stop
    }

    /// Writes `lines` in a task of its own, so that stopping the renewal
    /// never drops lines half-written.
    fn flush(&self, lines: Vec<steps::NewLog>) -> JoinHandle<()> {
        let (db, run_id) = (self.db.clone(), self.run_id.to_owned());
        tokio::spawn(async move {
            if let Err(err) = steps::append_logs(&db, &run_id, lines).await {
                tracing::warn!(%run_id, error = %err, "writing a step's log failed");
            }
        })
    }
}
