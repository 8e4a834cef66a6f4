//! What a step gets to work with: the workflow environment, its place in the
//! run, cancellation, and a log that is written with the step's commit (and
//! flushed at least every second while a long step runs, so logs can be
//! tailed).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use taichu_storage::Database;
use taichu_storage::repositories::run_hosts::{self, HostStatus};
use taichu_storage::repositories::workflow_steps::NewLog;
use tokio_util::sync::CancellationToken;

use crate::definition::StepSpec;
use crate::env::WorkflowEnv;
use crate::error::StepError;

/// The context of one step attempt.
#[derive(Debug, Clone)]
pub struct StepContext {
    env: Arc<WorkflowEnv>,
    pub run_id: String,
    pub step: StepSpec,
    pub step_index: usize,
    /// 1 for the first attempt at this step.
    pub attempt: u32,
    /// Cancelled when the run is cancelled or the lease is lost; long steps
    /// should watch it (`ctx.sleep`, or select on `ctx.cancel.cancelled()`).
    pub cancel: CancellationToken,
    output: Arc<OutputBudget>,
    pub(crate) logs: Arc<LogBuffer>,
}

impl StepContext {
    pub(crate) fn new(env: Arc<WorkflowEnv>, run_id: &str, step: StepSpec, step_index: usize, attempt: u32) -> Self {
        Self {
            env,
            run_id: run_id.to_owned(),
            step,
            step_index,
            attempt,
            cancel: CancellationToken::new(),
            output: Arc::default(),
            logs: Arc::default(),
        }
    }

    /// The database, the key to stored credentials, the network policy.
    pub fn env(&self) -> &WorkflowEnv {
        &self.env
    }

    pub fn db(&self) -> &Database {
        &self.env.db
    }

    /// Appends a line to the run's log (written with the step's commit, or
    /// within a second while the step runs on).
    pub fn log(&self, level: &str, message: impl Into<String>) {
        self.logs.push(NewLog {
            step: Some(self.step.name.clone()),
            level: level.to_owned(),
            message: message.into(),
            at: Utc::now(),
        });
    }

    pub fn info(&self, message: impl Into<String>) {
        self.log("info", message);
    }

    /// Records where machine `machine_id` is in this step, for the task views:
    /// written at once, not with the step's commit, so it can be watched.
    pub async fn host(&self, machine_id: &str, status: HostStatus, detail: Option<String>) -> Result<(), StepError> {
        run_hosts::record(self.db(), &self.run_id, machine_id, &self.step.name, status, detail).await?;
        Ok(())
    }

    /// Waits for `duration` unless the run is cancelled first.
    pub async fn sleep(&self, duration: Duration) -> Result<(), StepError> {
        tokio::select! {
            _ = tokio::time::sleep(duration) => Ok(()),
            _ = self.cancel.cancelled() => Err(StepError::permanent("cancelled")),
        }
    }
}

/// Lines kept before a running step's log is flushed early.
const FLUSH_LINES: usize = 200;
/// How long a line may wait for its step's commit before it is flushed.
const FLUSH_AFTER: Duration = Duration::from_secs(1);

/// Log lines of one attempt waiting to be written.
#[derive(Debug, Default)]
pub(crate) struct LogBuffer {
    lines: Mutex<(Vec<NewLog>, Option<Instant>)>,
}

impl LogBuffer {
    fn push(&self, line: NewLog) {
        let mut guard = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        guard.1.get_or_insert_with(Instant::now);
        guard.0.push(line);
    }

    /// Everything waiting, oldest first.
    pub(crate) fn take(&self) -> Vec<NewLog> {
        let mut guard = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        guard.1 = None;
        std::mem::take(&mut guard.0)
    }

    /// Whether a running step should flush now rather than at its commit.
    pub(crate) fn due(&self) -> bool {
        let guard = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        guard.0.len() >= FLUSH_LINES || guard.1.is_some_and(|t| t.elapsed() >= FLUSH_AFTER)
    }
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

/// Remote command output goes to the run's log, one row per line.
#[async_trait::async_trait]
impl crate::ssh::LineSink for StepContext {
    async fn line(&self, stream: crate::ssh::Stream, line: &str) {
        let level = match stream {
            crate::ssh::Stream::Stdout => "stdout",
            crate::ssh::Stream::Stderr => "stderr",
        };
        match self.output.take(line) {
            Ok(true) => self.log(level, line),
            Ok(false) => {}
            Err(()) => self.log(
                "warn",
                format!(
                    "output truncated: this step logs at most {MAX_OUTPUT_LINES} lines or {} KiB of command output",
                    MAX_OUTPUT_BYTES >> 10
                ),
            ),
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

    #[test]
    fn a_buffer_is_due_by_size_or_age() {
        let buffer = LogBuffer::default();
        assert!(!buffer.due());
        let line = || NewLog {
            step: None,
            level: "info".into(),
            message: "m".into(),
            at: Utc::now(),
        };
        buffer.push(line());
        assert!(!buffer.due());
        for _ in 0..FLUSH_LINES {
            buffer.push(line());
        }
        assert!(buffer.due());
        assert_eq!(buffer.take().len(), FLUSH_LINES + 1);
        assert!(!buffer.due());
    }
}
