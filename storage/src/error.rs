//! The storage crate's one error type.

use sea_orm::{DbErr, SqlErr};

/// What can go wrong in a repository call.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A unique constraint refused the write; the payload names what clashed.
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The database failed; its text is for logs, never for API responses.
    #[error("database error: {0}")]
    Db(DbErr),
    /// A stored secret does not open with this master key.
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    /// A stored value does not parse (JSON columns).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// The object store failed; the message says which store and why.
    #[error("object store: {0}")]
    Objects(String),
}

impl From<DbErr> for StorageError {
    fn from(err: DbErr) -> Self {
        StorageError::Db(err)
    }
}

/// `Result` with [`StorageError`].
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Maps a unique-constraint violation to [`StorageError::Conflict`] naming `what`.
pub(crate) fn conflict_on_unique(err: DbErr, what: &'static str) -> StorageError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => StorageError::Conflict(what),
        _ => StorageError::Db(err),
    }
}
