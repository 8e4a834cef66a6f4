//! Taichu persistence. Repository functions take `&impl ConnectionTrait` so a
//! caller can group several writes in one transaction.

/// Connecting, migrating, write transactions.
pub mod db;
/// One sea-orm entity per table.
pub mod entities;
/// The crate's one error type.
pub mod error;
/// Keys generated once into the data dir.
pub mod keyfile;
/// Snapshots and manifests in S3-compatible or local object storage.
pub mod objects;
/// Page/limit pagination.
pub mod pagination;
/// Named queries per resource: what callers may do to stored rows.
pub mod repositories;
/// Sealing old secrets again, bound to their rows.
pub mod reseal;
/// Archives encrypted as streams, chunk by chunk.
pub mod sealed_stream;
/// Secrets at rest: AES-256-GCM bound to table, column and row.
pub mod secrets;
/// Enumerations stored as words.
mod words;

pub use db::{Database, connect};
pub use error::{Result, StorageError};
pub use pagination::{Page, PageRequest};
pub use sea_orm;
pub use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, TransactionTrait};

/// A new time-ordered identifier (UUIDv7), as stored in every `id` column.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
