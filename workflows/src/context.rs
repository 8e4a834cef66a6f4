//! What a step gets to work with.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

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
    /// Command output this attempt may still log.
    pub output: Arc<OutputBudget>,
}

/// Lines of command output one step attempt logs at most.
pub const MAX_OUTPUT_LINES: usize = 5_000;
/// Bytes of command output one step attempt logs at most.
pub const MAX_OUTPUT_BYTES: usize = 1 << 20;

/// How much command output a step attempt has logged: a chatty or hostile
/// host cannot fill the database through the run's log.
#[derive(Debug, Default)]
pub struct OutputBudget {
    lines: AtomicUsize,
    bytes: AtomicUsize,
    exhausted: AtomicBool,
}

impl OutputBudget {
    /// Whether `line` may be logged; `Err(())` once, when the budget runs out.
    fn take(&self, line: &str) -> Result<bool, ()> {
        let lines = self.lines.fetch_add(1, Ordering::Relaxed) + 1;
        let bytes = self.bytes.fetch_add(line.len(), Ordering::Relaxed) + line.len();
        if lines <= MAX_OUTPUT_LINES && bytes <= MAX_OUTPUT_BYTES {
            return Ok(true);
        }
        if self.exhausted.swap(true, Ordering::Relaxed) {
            Ok(false)
        } else {
            Err(())
        }
    }
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
        match self.output.take(line) {
            Ok(true) => self.log(level, line).await,
            Ok(false) => {}
            Err(()) => {
                let note = format!(
                    "output truncated: this step logs at most {MAX_OUTPUT_LINES} lines or {} KiB of command output",
                    MAX_OUTPUT_BYTES >> 10
                );
                self.log("warn", note).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_cut_once_with_one_notice() {
        let budget = OutputBudget::default();
        let line = "x".repeat(100);
        let logged = (0..MAX_OUTPUT_LINES).filter(|_| budget.take(&line) == Ok(true)).count();
        assert_eq!(logged, MAX_OUTPUT_LINES);
        assert_eq!(budget.take(&line), Err(()), "one notice when the budget runs out");
        assert_eq!(budget.take(&line), Ok(false), "then silence");

        let bytes = OutputBudget::default();
        let big = "y".repeat(MAX_OUTPUT_BYTES / 2 + 1);
        assert_eq!(bytes.take(&big), Ok(true));
        assert_eq!(bytes.take(&big), Err(()), "bytes count too");
    }
}
