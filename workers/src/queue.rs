//! The run queue: apalis-sqlite on the application's SQLite database (no
//! broker needed), or apalis-redis when `QUEUE_URL=redis://…`. Messages carry
//! only a run id; all state is in the database.

use std::time::Duration;

use apalis::prelude::TaskSink;
use apalis_redis::RedisStorage;
use apalis_sqlite::SqlitePool;
use apalis_sqlite::SqliteStorage;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use taichu_storage::Database;
use taichu_workflows::{RunQueue, WorkflowError};

use crate::WorkerError;

/// Queue name in both backends.
pub const QUEUE_NAME: &str = "taichu.workflow_runs";
/// Redis worker heartbeat; a worker that misses `MISSED_HEARTBEATS` of them is
/// presumed dead and its in-flight messages go back on the queue (~30 s).
pub const HEARTBEAT: Duration = Duration::from_secs(10);
pub const MISSED_HEARTBEATS: usize = 3;

/// The only message: "work on this run".
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunMessage {
    pub run_id: String,
}

/// A connected queue backend.
#[derive(Clone)]
pub enum Queue {
    Sqlite(SqliteStorage<RunMessage>),
    Redis(RedisStorage<RunMessage>),
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Queue::Sqlite(_) => "Queue::Sqlite",
            Queue::Redis(_) => "Queue::Redis",
        })
    }
}

impl Queue {
    /// Connects to `url` (`redis://…`), or with none to the SQLite database `db`.
    pub async fn connect(url: Option<&str>, db: &Database) -> Result<Self, WorkerError> {
        match url {
            Some(url) if url.starts_with("redis://") || url.starts_with("rediss://") => {
                let conn = apalis_redis::connect(url)
                    .await
                    .map_err(|e| WorkerError::Queue(e.to_string()))?;
                let config = apalis_redis::Config::default()
                    .queue(QUEUE_NAME)
                    .batch_size(1)
                    .heartbeat_interval(HEARTBEAT)
                    .missed_heartbeats(MISSED_HEARTBEATS);
                Ok(Queue::Redis(RedisStorage::new(conn).with_config(config)))
            }
            // Only the scheme: the rest of a URL may hold a password.
            Some(other) => Err(WorkerError::Queue(format!(
                "QUEUE_URL must be redis://… or rediss://…, not {}://…",
                other.split("://").next().unwrap_or("?")
            ))),
            None if db.get_database_backend() == taichu_storage::DbBackend::Sqlite => {
                let pool = db.get_sqlite_connection_pool();
                setup_sqlite_queue(pool).await?;
                let config = apalis_sqlite::Config::default()
                    .queue(QUEUE_NAME)
                    .batch_size(1)
                    .heartbeat_interval(HEARTBEAT)
                    .missed_heartbeats(MISSED_HEARTBEATS);
                Ok(Queue::Sqlite(SqliteStorage::new(pool).with_config(config)))
            }
            None => Err(WorkerError::Queue(
                "with PostgreSQL, set QUEUE_URL=redis://… for the job queue".into(),
            )),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Queue::Sqlite(_) => "sqlite",
            Queue::Redis(_) => "redis",
        }
    }
}

/// Creates apalis' tables. Its set-up also switches the connection it runs
/// on to `synchronous = OFF`, so it runs on a throwaway connection rather
/// than one the application's pool would hand out again.
async fn setup_sqlite_queue(pool: &SqlitePool) -> Result<(), WorkerError> {
    let options = (*pool.connect_options()).clone();
    let setup_pool = apalis_sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| WorkerError::Queue(e.to_string()))?;
    let result = SqliteStorage::setup(&setup_pool)
        .await
        .map_err(|e| WorkerError::Queue(e.to_string()));
    setup_pool.close().await;
    result
}

#[async_trait]
impl RunQueue for Queue {
    async fn enqueue(&self, run_id: &str) -> Result<(), WorkflowError> {
        let message = RunMessage {
            run_id: run_id.to_owned(),
        };
        let pushed = match self {
            Queue::Sqlite(storage) => storage.clone().push(message).await.map_err(|e| e.to_string()),
            Queue::Redis(storage) => storage.clone().push(message).await.map_err(|e| e.to_string()),
        };
        pushed.map_err(WorkflowError::Queue)
    }

    async fn ping(&self) -> Result<(), WorkflowError> {
        match self {
            // The SQLite queue is a table of the application database, checked on its own.
            Queue::Sqlite(_) => Ok(()),
            Queue::Redis(storage) => {
                let mut conn = storage.clone().get_connection().clone();
                let command = redis::cmd("PING");
                let ping = command.query_async::<String>(&mut conn);
                match tokio::time::timeout(Duration::from_secs(2), ping).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(err)) => Err(WorkflowError::Queue(err.to_string())),
                    Err(_) => Err(WorkflowError::Queue("redis did not answer PING within 2 s".into())),
                }
            }
        }
    }
}
