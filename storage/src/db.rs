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

/// The database's clock. Leases are taken, renewed and judged by it, so a
/// worker whose own clock is off neither steals live leases nor keeps dead
/// ones. (SQLite runs in the process: there it is the machine's clock.)
pub async fn now(db: &impl sea_orm::ConnectionTrait) -> Result<chrono::DateTime<chrono::Utc>> {
    use sea_orm::{DbBackend, Statement};
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT now() AS now",
        _ => "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS now",
    };
    let row = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
        .ok_or_else(|| crate::StorageError::Corrupt("the database did not tell its time".into()))?;
    match backend {
        DbBackend::Postgres => Ok(row.try_get::<chrono::DateTime<chrono::Utc>>("", "now")?),
        _ => {
            let text: String = row.try_get("", "now")?;
            chrono::DateTime::parse_from_rfc3339(&text)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|e| crate::StorageError::Corrupt(format!("the database's time {text:?}: {e}")))
        }
    }
}

/// Applies every pending migration.
pub async fn migrate(db: &Database) -> Result<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// Applies pending migrations one at a time, telling `report` each one's
/// name before it starts and how long it took after; how many were applied.
pub async fn migrate_reporting(db: &Database, mut report: impl FnMut(&str, Option<Duration>)) -> Result<usize> {
    let pending: Vec<String> = Migrator::get_pending_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    for name in &pending {
        report(name, None);
        let started = std::time::Instant::now();
        Migrator::up(db, Some(1)).await?;
        report(name, Some(started.elapsed()));
    }
    Ok(pending.len())
}

/// How long `/readyz` waits for the database. While the server is down the
/// pool keeps trying to connect for its whole acquire timeout (30 s), far
/// past any probe's patience, so a probe would hang instead of answering 503.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// Cheap readiness probe for `/readyz`, answering within [`PING_TIMEOUT`].
pub async fn ping(db: &Database) -> Result<()> {
    match tokio::time::timeout(PING_TIMEOUT, db.ping()).await {
        Ok(answer) => Ok(answer?),
        Err(_) => Err(sea_orm::DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout).into()),
    }
}

/// A transaction that reads and then writes. On SQLite it starts with
/// `BEGIN IMMEDIATE`, taking the write lock up front: a plain (deferred)
/// transaction fails with SQLITE_BUSY when another connection writes between
/// its read and its write, and the queue's polls write all the time.
pub async fn begin_write(db: &Database) -> Result<sea_orm::DatabaseTransaction> {
    let options = sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    Ok(sea_orm::TransactionTrait::begin_with_options(db, options).await?)
}
