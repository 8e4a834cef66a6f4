//! Executes runs: lease, then step after step, one commit per step.
//!
//! The worker holding a run's lease keeps the run in memory. Each step's
//! outcome (its attempt row, its log lines, the run's new state and progress)
//! commits in one transaction together with the start of the next step's
//! attempt, conditional on still holding the lease. A crash at any point
//! leaves the database saying exactly which step is running or done; the
//! next worker marks a lost attempt `abandoned` and runs that step again.

/// The commits that close a step attempt or a run.
mod commit;
/// Driving a leased run to its end.
mod drive;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use taichu_storage::entities::workflow_runs;
use taichu_storage::repositories::operation_locks;
use taichu_storage::repositories::workflow_runs::{self as runs, NewRun};
use taichu_storage::{ConnectionTrait, Database, new_id};

use crate::definition::Workflow;
use crate::env::WorkflowEnv;
use crate::error::{Result, WorkflowError};
use crate::lease::{self, Lease};
use crate::registry::Registry;

/// Where run ids are sent for workers to pick up.
#[async_trait]
pub trait RunQueue: Send + Sync + std::fmt::Debug {
    async fn enqueue(&self, run_id: &str) -> Result<()>;
    /// Whether the queue answers (for readiness checks).
    async fn ping(&self) -> Result<()>;
}

/// Timing of leases.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// How long a lease lasts without renewal; a dead worker's runs wait this long.
    pub lease_ttl: Duration,
    /// How often a working worker renews its lease and checks for cancellation.
    pub renew_every: Duration,
    /// Identifies this process in leases and step rows.
    pub worker_id: String,
}

impl Default for EngineConfig {
    fn default() -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "taichu".to_owned());
        Self {
            lease_ttl: Duration::from_secs(30),
            renew_every: Duration::from_secs(1),
            // A restarted process may get the same pid (pid 1 in containers); the suffix
            // keeps queue worker names unique so the old registration never blocks it.
            worker_id: format!(
                "{host}-{}-{}",
                std::process::id(),
                &uuid::Uuid::new_v4().simple().to_string()[..6]
            ),
        }
    }
}

/// Who started a run: rights over it (its logs, cancelling it) follow the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedBy {
    pub user_id: String,
    pub username: String,
}

/// A subject one mutating operation at a time may act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lock {
    Cluster(String),
    Machine(String),
}

impl Lock {
    /// The key stored in `operation_locks`.
    pub fn key(&self) -> String {
        match self {
            Lock::Cluster(id) => format!("cluster:{id}"),
            Lock::Machine(id) => format!("machine:{id}"),
        }
    }
}

/// A run inserted in a caller's transaction; enqueue it once that commits.
#[must_use = "a started run must be enqueued after its transaction commits"]
#[derive(Debug)]
pub struct Started {
    pub run: workflow_runs::Model,
}

/// Locks held inside a transaction; release them before it commits.
#[must_use = "release held locks before the transaction commits"]
#[derive(Debug)]
pub struct HeldLocks {
    keys: Vec<String>,
}

impl HeldLocks {
    /// Lets the locks go (in the same transaction).
    pub async fn release(self, txn: &impl ConnectionTrait) -> Result<()> {
        operation_locks::release_subjects(txn, &self.keys).await?;
        Ok(())
    }
}

/// How one call to [`Engine::drive`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Someone else holds the run, or it is already finished.
    NotLeased,
    Completed,
    Failed,
    Cancelled,
    /// The lease expired under us; another worker carries on.
    LeaseLost,
}

/// The engine: environment, registry and queue.
#[derive(Debug, Clone)]
pub struct Engine {
    env: Arc<WorkflowEnv>,
    registry: Arc<Registry>,
    queue: Arc<dyn RunQueue>,
    config: Arc<EngineConfig>,
}

impl Engine {
    pub fn new(env: WorkflowEnv, registry: Registry, queue: Arc<dyn RunQueue>, config: EngineConfig) -> Self {
        Self {
            env: Arc::new(env),
            registry: Arc::new(registry),
            queue,
            config: Arc::new(config),
        }
    }

    pub fn db(&self) -> &Database {
        &self.env.db
    }

    pub fn env(&self) -> &WorkflowEnv {
        &self.env
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn queue(&self) -> &Arc<dyn RunQueue> {
        &self.queue
    }

    /// Whether runs of `kind` may be cancelled (unknown kinds may: nothing runs them).
    pub fn cancellable(&self, kind: &str) -> bool {
        self.registry.get(kind).is_none_or(|w| w.cancellable())
    }

    /// Inserts a run of `W` and takes its `locks`, in the caller's
    /// transaction `txn`: if the transaction rolls back, neither exists. A
    /// lock another run holds is [`WorkflowError::Busy`], naming that run.
    pub async fn start_in<W: Workflow>(
        &self,
        txn: &impl ConnectionTrait,
        subject: Option<String>,
        input: &W::Input,
        started_by: Option<&StartedBy>,
        locks: &[Lock],
    ) -> Result<Started> {
        let (input, plan) = self.registry.plan::<W>(input)?;
        let corrupt = |e: serde_json::Error| WorkflowError::Corrupt(e.to_string());
        let new = NewRun {
            id: new_id(),
            kind: W::KIND.to_owned(),
            subject,
            input,
            state: serde_json::to_string(&W::State::default()).map_err(corrupt)?,
            plan: serde_json::to_string(&plan).map_err(corrupt)?,
            created_by: started_by.map(|s| s.username.clone()),
            created_by_id: started_by.map(|s| s.user_id.clone()),
        };
        let run = runs::insert(txn, new).await?;
        let keys: Vec<String> = locks.iter().map(Lock::key).collect();
        if let Err(holder) = operation_locks::acquire(txn, &keys, &run.id, W::KIND).await? {
            return Err(WorkflowError::Busy {
                subject: holder.subject,
                kind: holder.kind,
                run_id: holder.run_id,
            });
        }
        Ok(Started { run })
    }

    /// Resumes the failed run `run_id` at the step it failed in (the same run,
    /// its completed steps not run again), taking its `locks` again, in the
    /// caller's transaction. A run that is not failed is
    /// [`WorkflowError::InvalidInput`]; a held lock is [`WorkflowError::Busy`].
    pub async fn retry_in(&self, txn: &impl ConnectionTrait, run_id: &str, locks: &[Lock]) -> Result<Started> {
        if !runs::reopen(txn, run_id).await? {
            return Err(WorkflowError::InvalidInput(format!(
                "run {run_id} has not failed; only a failed run is retried"
            )));
        }
        let run = runs::find(txn, run_id)
            .await?
            .ok_or_else(|| WorkflowError::Corrupt(format!("run {run_id} vanished")))?;
        let keys: Vec<String> = locks.iter().map(Lock::key).collect();
        if let Err(holder) = operation_locks::acquire(txn, &keys, &run.id, &run.kind).await? {
            return Err(WorkflowError::Busy {
                subject: holder.subject,
                kind: holder.kind,
                run_id: holder.run_id,
            });
        }
        Ok(Started { run })
    }

    /// Holds `locks` for the rest of the caller's transaction `txn`, for work
    /// done in that transaction itself (deleting a cluster): it waits for, or
    /// is refused by, any run holding them, and no run can start meanwhile.
    /// The locks are gone when the transaction ends.
    pub async fn hold_in(&self, txn: &impl ConnectionTrait, locks: &[Lock], purpose: &str) -> Result<HeldLocks> {
        let keys: Vec<String> = locks.iter().map(Lock::key).collect();
        if let Err(holder) = operation_locks::acquire(txn, &keys, &new_id(), purpose).await? {
            return Err(WorkflowError::Busy {
                subject: holder.subject,
                kind: holder.kind,
                run_id: holder.run_id,
            });
        }
        Ok(HeldLocks { keys })
    }

    /// Sends a started run to the workers, once its transaction committed.
    /// If the queue is down the run waits in the database; the reaper sends it.
    pub async fn enqueue(&self, started: Started) -> workflow_runs::Model {
        let run = &started.run;
        tracing::info!(run_id = %run.id, kind = %run.kind, subject = run.subject.as_deref().unwrap_or(""), "run started");
        if let Err(err) = self.queue.enqueue(&started.run.id).await {
            tracing::warn!(run_id = %started.run.id, error = %err, "enqueueing a new run failed; the reaper will retry");
        }
        started.run
    }

    /// Starts a run of `W` in a transaction of its own and enqueues it.
    pub async fn start<W: Workflow>(
        &self,
        subject: Option<String>,
        input: &W::Input,
        started_by: Option<&StartedBy>,
        locks: &[Lock],
    ) -> Result<workflow_runs::Model> {
        let txn = taichu_storage::db::begin_write(self.db()).await?;
        let started = self.start_in::<W>(&txn, subject, input, started_by, locks).await?;
        txn.commit().await?;
        Ok(self.enqueue(started).await)
    }

    /// Executes `run_id` to its end if this worker can lease it.
    pub async fn drive(&self, run_id: &str) -> Result<Outcome> {
        let owner = format!("{}-{}", self.config.worker_id, &new_id()[24..]);
        if !runs::try_lease(self.db(), run_id, &owner, lease::ttl(&self.config)).await? {
            return Ok(Outcome::NotLeased);
        }
        let lease = Lease {
            db: self.db(),
            config: &self.config,
            run_id,
            owner: &owner,
        };
        let outcome = self.drive_leased(lease).await;
        // Whatever happened, do not leave a live lease behind.
        let _ = runs::release_lease(self.db(), run_id, &owner).await;
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_name_their_subject() {
        assert_eq!(Lock::Cluster("c1".into()).key(), "cluster:c1");
        assert_eq!(Lock::Machine("m1".into()).key(), "machine:m1");
    }
}
