//! Connecting to the database and bringing its schema up to date.

use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend};
use taichu_migrations::{Migrator, MigratorTrait};

use crate::Result;

/// The handle every repository call goes through.
pub type Database = DatabaseConnection;

/// Opens a pool for `url` (`sqlite://path?mode=rwc` or `postgres://...`).
pub async fn connect(url: &str) -> Result<Database> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    if url.starts_with("sqlite:") {
        // One writer at a time is SQLite's rule; a small pool avoids lock storms.
        options.max_connections(8).min_connections(1);
    } else {
        options.max_connections(32);
    }
    let db = sea_orm::Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        for pragma in [
            "PRAGMA journal_mode = WAL",
            "PRAGMA busy_timeout = 10000",
            "PRAGMA foreign_keys = ON",
            "PRAGMA synchronous = NORMAL",
        ] {
            db.execute_unprepared(pragma).await?;
        }
    }
    Ok(db)
}

/// Applies every pending migration.
pub async fn migrate(db: &Database) -> Result<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// Cheap liveness probe for `/readyz`.
pub async fn ping(db: &Database) -> Result<()> {
    db.ping().await?;
    Ok(())
}
