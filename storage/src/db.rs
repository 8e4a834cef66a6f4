//! Connecting to the database and bringing its schema up to date.

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, DatabaseConnection};
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
        // Set on every connection of the pool, not just the first.
        options.map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    } else {
        options.max_connections(32);
    }
    Ok(sea_orm::Database::connect(options).await?)
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
