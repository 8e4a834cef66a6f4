//! An in-process engine over a fresh SQLite database and a real queue
//! (apalis-sqlite, or apalis-redis on a throwaway redis-server), for tests
//! whose workflows are defined in the test code.

use std::sync::Arc;
use std::time::{Duration, Instant};

use taichu_storage::Database;
use taichu_storage::entities::workflow_runs;
use taichu_storage::repositories::workflow_runs as runs;
use taichu_workers::{Queue, Shutdown, WorkerSettings};
use taichu_workflows::{Engine, EngineConfig, Registry, WorkflowEnv};
use tokio::task::JoinHandle;

use crate::postgres::TempDatabase;
use crate::redis::RedisServer;

/// Which database and queue a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueKind {
    /// SQLite, with the queue in it.
    Sqlite,
    /// SQLite, with a throwaway redis-server as the queue.
    Redis,
    /// A throwaway PostgreSQL database, with a throwaway redis-server as the queue.
    Postgres,
}

/// A database, a queue, an engine, and (once started) workers.
#[derive(Debug)]
pub struct EngineHarness {
    pub engine: Engine,
    pub db: Database,
    pub queue: Queue,
    pub db_url: String,
    pub queue_url: Option<String>,
    shutdown: Shutdown,
    workers: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
    _redis: Option<RedisServer>,
    _postgres: Option<TempDatabase>,
}

/// Engine timing for tests: short leases so a lost worker is noticed quickly.
pub fn test_config(worker_id: &str) -> EngineConfig {
    EngineConfig {
        lease_ttl: Duration::from_secs(2),
        renew_every: Duration::from_millis(200),
        worker_id: worker_id.to_owned(),
    }
}

/// Worker settings for tests: a fast reaper.
pub fn test_settings() -> WorkerSettings {
    WorkerSettings {
        concurrency: 2,
        reap_every: Duration::from_millis(300),
        health: None,
        backups: None,
    }
}

impl EngineHarness {
    /// `None` when the queue's server is not installed (and not required).
    pub async fn new(kind: QueueKind, registry: Registry) -> Option<Self> {
        let redis = match kind {
            QueueKind::Redis | QueueKind::Postgres => Some(RedisServer::start()?),
            QueueKind::Sqlite => None,
        };
        let postgres = match kind {
            QueueKind::Postgres => Some(TempDatabase::create().expect("PostgreSQL test database")),
            _ => None,
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let db_url = match &postgres {
            Some(pg) => pg.url(),
            None => format!("sqlite://{}?mode=rwc", dir.path().join("engine.db").display()),
        };
        let db = taichu_storage::connect(&db_url).await.expect("database");
        taichu_storage::db::migrate(&db).await.expect("migrations");
        let queue_url = redis.as_ref().map(RedisServer::url);
        let queue = Queue::connect(queue_url.as_deref(), &db).await.expect("queue");
        let engine = Engine::new(
            WorkflowEnv::ephemeral(db.clone()).expect("ephemeral env"),
            registry,
            Arc::new(queue.clone()),
            test_config("test-worker"),
        );
        Some(Self {
            engine,
            db,
            queue,
            db_url,
            queue_url,
            shutdown: Shutdown::new(),
            workers: None,
            _dir: dir,
            _redis: redis,
            _postgres: postgres,
        })
    }

    /// Starts queue workers and the reaper in this runtime.
    pub fn start_workers(&mut self) {
        let run = taichu_workers::run(
            self.engine.clone(),
            self.queue.clone(),
            test_settings(),
            self.shutdown.clone(),
        );
        self.workers = Some(tokio::spawn(run));
    }

    /// Polls the run until it is no longer active, or panics after `within`.
    pub async fn wait_finished(&self, run_id: &str, within: Duration) -> workflow_runs::Model {
        self.wait_until(run_id, within, |r| !r.run_status().is_active()).await
    }

    /// Polls the run until `done` holds, or panics after `within`.
    pub async fn wait_until(
        &self,
        run_id: &str,
        within: Duration,
        done: impl Fn(&workflow_runs::Model) -> bool,
    ) -> workflow_runs::Model {
        let deadline = Instant::now() + within;
        loop {
            let run = runs::find(&self.db, run_id).await.expect("query").expect("run exists");
            if done(&run) {
                return run;
            }
            assert!(
                Instant::now() < deadline,
                "run {run_id} still {} after {within:?}: {run:?}",
                run.status
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for EngineHarness {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(workers) = self.workers.take() {
            workers.abort();
        }
    }
}
