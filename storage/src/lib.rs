//! Taichu persistence. Repository functions take `&impl ConnectionTrait` so a
//! caller can group several writes in one transaction.

pub mod db;
pub mod entities;
pub mod error;
pub mod keyfile;
pub mod pagination;
pub mod repositories;
pub mod reseal;
pub mod secrets;

pub use db::{Database, connect};
pub use error::{Result, StorageError};
pub use pagination::{Page, PageRequest};
pub use sea_orm;
pub use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, TransactionTrait};

/// A new time-ordered identifier (UUIDv7), as stored in every `id` column.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
