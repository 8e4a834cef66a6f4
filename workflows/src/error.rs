//! Errors of the engine and of steps.

use taichu_storage::StorageError;

/// Why a step did not succeed. The engine retries `Transient` with backoff up
/// to the step's limit and fails the run at once on `Permanent`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// Network, timeout, 5xx: worth another attempt.
    #[error("{0}")]
    Transient(String),
    /// Bad credentials, invalid input: retrying cannot help.
    #[error("{0}")]
    Permanent(String),
}

impl StepError {
    pub fn transient(message: impl Into<String>) -> Self {
        Self::Transient(message.into())
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self::Permanent(message.into())
    }
}

/// A database failure inside a step is worth retrying.
impl From<StorageError> for StepError {
    fn from(err: StorageError) -> Self {
        Self::Transient(err.to_string())
    }
}

/// Errors of the engine itself (not of a step).
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("no workflow of kind {0}")]
    UnknownKind(String),
    /// The input does not fit the workflow; the message names the problem.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("stored run is corrupt: {0}")]
    Corrupt(String),
    /// A lock the run needs is held: one mutating operation at a time.
    #[error("{subject} is busy: {kind} {run_id} is running on it")]
    Busy {
        subject: String,
        kind: String,
        run_id: String,
    },
    #[error("queue error: {0}")]
    Queue(String),
}

impl From<taichu_storage::DbErr> for WorkflowError {
    fn from(err: taichu_storage::DbErr) -> Self {
        Self::Storage(err.into())
    }
}

pub type Result<T, E = WorkflowError> = std::result::Result<T, E>;
