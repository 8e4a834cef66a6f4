//! What a step gets to work with.

use taichu_storage::Database;
use taichu_storage::repositories::workflow_steps;
use tokio_util::sync::CancellationToken;

use crate::definition::StepSpec;
use crate::error::StepError;

/// The context of one step attempt.
#[derive(Debug, Clone)]
pub struct StepContext {
    pub db: Database,
    pub run_id: String,
    pub step: StepSpec,
    pub step_index: usize,
    /// 1 for the first attempt at this step.
    pub attempt: u32,
    /// Cancelled when the run is cancelled or the lease is lost; long steps
    /// should watch it (`ctx.cancelled()`).
    pub cancel: CancellationToken,
}

impl StepContext {
    /// Appends a line to the run's log. A failed write is reported, not fatal.
    pub async fn log(&self, level: &str, message: impl AsRef<str>) {
        let message = message.as_ref();
        if let Err(err) = workflow_steps::log(&self.db, &self.run_id, Some(&self.step.name), level, message).await {
            tracing::warn!(run_id = %self.run_id, error = %err, "writing a workflow log line failed");
        }
    }

    pub async fn info(&self, message: impl AsRef<str>) {
        self.log("info", message).await;
    }

    /// Waits for `duration` unless the run is cancelled first.
    pub async fn sleep(&self, duration: std::time::Duration) -> Result<(), StepError> {
        tokio::select! {
            _ = tokio::time::sleep(duration) => Ok(()),
            _ = self.cancel.cancelled() => Err(StepError::permanent("cancelled")),
        }
    }
}

/// Remote command output goes to the run's log, one row per line.
#[async_trait::async_trait]
impl crate::ssh::LineSink for StepContext {
    async fn line(&self, stream: crate::ssh::Stream, line: &str) {
        let level = match stream {
            crate::ssh::Stream::Stdout => "stdout",
            crate::ssh::Stream::Stderr => "stderr",
        };
        self.log(level, line).await;
    }
}
