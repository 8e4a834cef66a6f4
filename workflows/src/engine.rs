//! Executes runs: lease, then step after step, one commit per step.
//!
//! The worker holding a run's lease keeps the run in memory. Each step's
//! outcome (its attempt row, its log lines, the run's new state and progress)
//! commits in one transaction together with the start of the next step's
//! attempt, conditional on still holding the lease. A crash at any point
//! leaves the database saying exactly which step is running or done; the
//! next worker marks a lost attempt `abandoned` and runs that step again.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use taichu_storage::entities::{workflow_runs, workflow_steps as step_rows};
use taichu_storage::repositories::operation_locks;
use taichu_storage::repositories::workflow_runs::{self as runs, NewRun, RunChange, RunStatus};
use taichu_storage::repositories::workflow_steps::{self as steps, NewLog, StepStatus};
use taichu_storage::{ConnectionTrait, Database, TransactionTrait, new_id};

use crate::context::StepContext;
use crate::definition::{ErasedWorkflow, PlanEntry, Workflow};
use crate::env::WorkflowEnv;
use crate::error::{Result, StepError, WorkflowError};
use crate::lease::{self, Held, Lease};
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

/// A run being driven: the stored row as this worker keeps it.
struct Driving<'a> {
    run: workflow_runs::Model,
    plan: Vec<PlanEntry>,
    workflow: Arc<dyn ErasedWorkflow>,
    lease: Lease<'a>,
}

/// What a step's commit led to.
enum Next {
    Step(step_rows::Model),
    Retry,
    End(Outcome),
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
        if !runs::try_lease(self.db(), run_id, &owner, lease::deadline(&self.config)).await? {
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

    async fn drive_leased(&self, lease: Lease<'_>) -> Result<Outcome> {
        let Some(run) = self.resume(&lease).await? else {
            return Ok(Outcome::NotLeased);
        };
        let Some(workflow) = self.registry.get(&run.kind) else {
            let error = format!("no workflow of kind {} is registered in this worker", run.kind);
            self.end(&lease, None, RunStatus::Failed, &error, Vec::new()).await?;
            return Ok(Outcome::Failed);
        };
        let plan = parse_plan(&run)?;
        let mut driving = Driving {
            run,
            plan,
            workflow,
            lease,
        };
        let mut pending_row: Option<step_rows::Model> = None;
        loop {
            let index = usize::try_from(driving.run.current_step).unwrap_or(usize::MAX);
            if driving.run.cancel_requested {
                let cancelled = "cancelled by request";
                let logs = vec![line(None, "warn", cancelled)];
                self.end(
                    &driving.lease,
                    pending_row.as_ref(),
                    RunStatus::Cancelled,
                    cancelled,
                    logs,
                )
                .await?;
                return Ok(Outcome::Cancelled);
            }
            let Some(entry) = driving.plan.get(index).cloned() else {
                self.end(&driving.lease, None, RunStatus::Completed, "", Vec::new())
                    .await?;
                return Ok(Outcome::Completed);
            };
            let row = match pending_row.take() {
                Some(row) => row,
                None => match self.begin_attempt(&mut driving, &entry).await? {
                    Some(row) => row,
                    None => return Ok(Outcome::LeaseLost),
                },
            };
            let attempt = u32::try_from(row.attempt).unwrap_or(1);
            let ctx = StepContext::new(self.env.clone(), &driving.run.id, entry.spec.clone(), index, attempt);
            let timeout = Duration::from_millis(entry.spec.timeout_ms);
            let work = async {
                tokio::time::timeout(
                    timeout,
                    driving
                        .workflow
                        .run_step(&ctx, &entry.step, &driving.run.input, &driving.run.state),
                )
                .await
                .unwrap_or_else(|_| {
                    Err(StepError::transient(format!(
                        "step timed out after {} ms",
                        timeout.as_millis()
                    )))
                })
            };
            let held = driving.lease.hold(&ctx.cancel, &ctx.logs, work).await;
            let next = match held {
                Held::Done(Ok(state)) => self.commit_success(&mut driving, &row, &ctx, state).await?,
                Held::Done(Err(err)) => self.commit_failure(&mut driving, &row, &ctx, err).await?,
                Held::Cancelled => {
                    let cancelled = "cancelled by request";
                    let mut logs = ctx.logs.take();
                    logs.push(line(Some(&ctx.step.name), "warn", cancelled));
                    self.end(&driving.lease, Some(&row), RunStatus::Cancelled, cancelled, logs)
                        .await?;
                    Next::End(Outcome::Cancelled)
                }
                Held::Lost => {
                    let lost = Some("lease lost; another worker continues".to_owned());
                    steps::finish(self.db(), &row, StepStatus::Abandoned, lost).await?;
                    Next::End(Outcome::LeaseLost)
                }
            };
            match next {
                Next::Step(row) => pending_row = Some(row),
                Next::Retry => {}
                Next::End(outcome) => return Ok(outcome),
            }
        }
    }

    /// Marks attempts left `running` by a dead worker as abandoned (they
    /// count as attempts, so a step that kills its worker every time still
    /// ends) and reads the run. `None` when it is no longer active.
    async fn resume(&self, lease: &Lease<'_>) -> Result<Option<workflow_runs::Model>> {
        let txn = self.db().begin().await?;
        let abandoned = steps::abandon_running(&txn, lease.run_id).await?;
        let run = runs::find(&txn, lease.run_id)
            .await?
            .ok_or_else(|| WorkflowError::Corrupt(format!("run {} vanished", lease.run_id)))?;
        let mut run = run;
        if abandoned > 0 {
            let lost = i32::try_from(abandoned).unwrap_or(i32::MAX);
            run.step_attempt = run.step_attempt.saturating_add(lost);
            run.attempts = run.attempts.saturating_add(1);
            let change = RunChange {
                step_attempt: Some(run.step_attempt),
                add_attempt: true,
                ..Default::default()
            };
            runs::update_leased(&txn, lease.run_id, lease.owner, change).await?;
            let note = "worker lost during a step; the step runs again";
            steps::append_logs(&txn, lease.run_id, vec![line(None, "warn", note)]).await?;
            tracing::warn!(run_id = lease.run_id, "resuming a run whose worker was lost");
        }
        txn.commit().await?;
        Ok(run.run_status().is_active().then_some(run))
    }

    /// Records the start of an attempt at `entry` (and the run's start).
    async fn begin_attempt(&self, driving: &mut Driving<'_>, entry: &PlanEntry) -> Result<Option<step_rows::Model>> {
        let run = &mut driving.run;
        let txn = self.db().begin().await?;
        if run.run_status() == RunStatus::Pending {
            let now = Utc::now();
            let change = RunChange {
                status: Some(RunStatus::Running),
                started_at: Some(now),
                ..Default::default()
            };
            if !runs::update_leased(&txn, &run.id, driving.lease.owner, change).await? {
                return Ok(None);
            }
            run.status = RunStatus::Running.as_str().to_owned();
            run.started_at = Some(now);
        }
        let row = steps::start(
            &txn,
            &run.id,
            run.current_step,
            &entry.spec.name,
            run.step_attempt + 1,
            driving.lease.owner,
        )
        .await?;
        txn.commit().await?;
        Ok(Some(row))
    }

    /// One transaction: the attempt done, its log, the run's new state and
    /// progress, and the next step's attempt begun (or the run completed and
    /// its locks released), only if this worker still holds the lease and
    /// nobody asked to cancel.
    async fn commit_success(
        &self,
        driving: &mut Driving<'_>,
        row: &step_rows::Model,
        ctx: &StepContext,
        state: String,
    ) -> Result<Next> {
        let index = ctx.step_index;
        let took = (Utc::now() - row.started_at).num_milliseconds();
        let mut logs = ctx.logs.take();
        logs.push(line(
            Some(&ctx.step.name),
            "info",
            &format!("step {} completed in {took} ms", ctx.step.name),
        ));
        let next = driving.plan.get(index + 1).cloned();
        let progress = progress_after(&driving.plan, index);
        let run_id = driving.run.id.clone();
        let owner = driving.lease.owner;
        let mut change = RunChange {
            state: Some(state.clone()),
            current_step: Some(driving.run.current_step + 1),
            step_attempt: Some(0),
            progress: Some(progress),
            add_attempt: true,
            unless_cancelled: true,
            ..Default::default()
        };
        if next.is_none() {
            change.status = Some(RunStatus::Completed);
            change.finished = true;
            change.release_lease = true;
        }
        let txn = self.db().begin().await?;
        steps::finish(&txn, row, StepStatus::Completed, None).await?;
        steps::append_logs(&txn, &run_id, logs.clone()).await?;
        if !runs::update_leased(&txn, &run_id, owner, change).await? {
            txn.rollback().await?;
            return self.cancelled_or_lost(driving, row, state, logs).await;
        }
        let next_row = match &next {
            Some(entry) => {
                Some(steps::start(&txn, &run_id, driving.run.current_step + 1, &entry.spec.name, 1, owner).await?)
            }
            None => {
                operation_locks::release_run(&txn, &run_id).await?;
                None
            }
        };
        txn.commit().await?;
        let run = &mut driving.run;
        run.state = state;
        run.current_step += 1;
        run.step_attempt = 0;
        run.progress = progress;
        run.attempts += 1;
        Ok(match next_row {
            Some(row) => Next::Step(row),
            None => Next::End(Outcome::Completed),
        })
    }

    /// A step finished but its commit did not apply: the lease was lost, or
    /// cancellation was asked for meanwhile (then the step's work is kept and
    /// the run ends cancelled).
    async fn cancelled_or_lost(
        &self,
        driving: &mut Driving<'_>,
        row: &step_rows::Model,
        state: String,
        mut logs: Vec<NewLog>,
    ) -> Result<Next> {
        let run_id = driving.run.id.clone();
        let current = runs::find(self.db(), &run_id)
            .await?
            .ok_or_else(|| WorkflowError::Corrupt(format!("run {run_id} vanished")))?;
        if current.lease_owner.as_deref() != Some(driving.lease.owner) {
            return Ok(Next::End(Outcome::LeaseLost));
        }
        let cancelled = "cancelled by request";
        logs.push(line(None, "warn", cancelled));
        let change = RunChange {
            state: Some(state),
            current_step: Some(driving.run.current_step + 1),
            progress: Some(progress_after(
                &driving.plan,
                usize::try_from(driving.run.current_step).unwrap_or(0),
            )),
            add_attempt: true,
            status: Some(RunStatus::Cancelled),
            error: Some(cancelled.to_owned()),
            finished: true,
            release_lease: true,
            ..Default::default()
        };
        let txn = self.db().begin().await?;
        steps::finish(&txn, row, StepStatus::Completed, None).await?;
        steps::append_logs(&txn, &run_id, logs).await?;
        if !runs::update_leased(&txn, &run_id, driving.lease.owner, change).await? {
            txn.rollback().await?;
            return Ok(Next::End(Outcome::LeaseLost));
        }
        operation_locks::release_run(&txn, &run_id).await?;
        txn.commit().await?;
        Ok(Next::End(Outcome::Cancelled))
    }

    /// A failed attempt: retried after a backoff if transient and attempts
    /// remain, else the run fails, naming the step (after the workflow has
    /// recorded the reason on its subject).
    async fn commit_failure(
        &self,
        driving: &mut Driving<'_>,
        row: &step_rows::Model,
        ctx: &StepContext,
        err: StepError,
    ) -> Result<Next> {
        let spec = &ctx.step;
        let attempt = ctx.attempt;
        let retry = matches!(err, StepError::Transient(_)) && attempt < spec.max_attempts;
        let mut logs = ctx.logs.take();
        if !retry {
            let reason = match &err {
                StepError::Transient(_) => format!("step {} failed after {attempt} attempts: {err}", spec.name),
                StepError::Permanent(_) => format!("step {} failed: {err}", spec.name),
            };
            // The subject shows the reason by the time the run shows it failed.
            if let Err(hook) = driving.workflow.on_failure(ctx, &driving.run.input, &reason).await {
                tracing::warn!(run_id = %driving.run.id, error = %hook, "recording a run's failure on its subject failed");
            }
            logs.push(line(Some(&spec.name), "error", &format!("step failed: {err}")));
            self.end(&driving.lease, Some(row), RunStatus::Failed, &reason, logs)
                .await?;
            return Ok(Next::End(Outcome::Failed));
        }
        let delay = backoff(spec, attempt);
        logs.push(line(
            Some(&spec.name),
            "warn",
            &format!("attempt {attempt} failed: {err}; retrying in {} ms", delay.as_millis()),
        ));
        let change = RunChange {
            step_attempt: Some(i32::try_from(attempt).unwrap_or(i32::MAX)),
            add_attempt: true,
            ..Default::default()
        };
        let txn = self.db().begin().await?;
        steps::finish(&txn, row, StepStatus::Failed, Some(err.to_string())).await?;
        steps::append_logs(&txn, &driving.run.id, logs).await?;
        if !runs::update_leased(&txn, &driving.run.id, driving.lease.owner, change).await? {
            txn.rollback().await?;
            return Ok(Next::End(Outcome::LeaseLost));
        }
        txn.commit().await?;
        driving.run.step_attempt = i32::try_from(attempt).unwrap_or(i32::MAX);
        driving.run.attempts += 1;
        let wait = async {
            tokio::time::sleep(delay).await;
            Ok(())
        };
        match driving.lease.hold(&ctx.cancel, &ctx.logs, wait).await {
            Held::Lost => Ok(Next::End(Outcome::LeaseLost)),
            Held::Cancelled => {
                driving.run.cancel_requested = true;
                Ok(Next::Retry)
            }
            Held::Done(_) => Ok(Next::Retry),
        }
    }

    /// Ends the run with `status` in one transaction: the attempt (if any)
    /// closed, the log, the run's status and reason, the lease and locks
    /// released.
    async fn end(
        &self,
        lease: &Lease<'_>,
        row: Option<&step_rows::Model>,
        status: RunStatus,
        error: &str,
        logs: Vec<NewLog>,
    ) -> Result<()> {
        let txn = self.db().begin().await?;
        if let Some(row) = row {
            let (attempt, reason) = match status {
                RunStatus::Cancelled => (StepStatus::Cancelled, Some(error.to_owned())),
                RunStatus::Completed => (StepStatus::Completed, None),
                _ => (StepStatus::Failed, Some(error.to_owned())),
            };
            steps::finish(&txn, row, attempt, reason).await?;
        }
        steps::append_logs(&txn, lease.run_id, logs).await?;
        let change = RunChange {
            status: Some(status),
            error: (!error.is_empty()).then(|| error.to_owned()),
            progress: (status == RunStatus::Completed).then_some(100),
            add_attempt: row.is_some() && status == RunStatus::Failed,
            finished: true,
            release_lease: true,
            ..Default::default()
        };
        if runs::update_leased(&txn, lease.run_id, lease.owner, change).await? {
            operation_locks::release_run(&txn, lease.run_id).await?;
            txn.commit().await?;
        } else {
            txn.rollback().await?;
        }
        Ok(())
    }
}

/// A log line said now.
fn line(step: Option<&str>, level: &str, message: &str) -> NewLog {
    NewLog {
        step: step.map(str::to_owned),
        level: level.to_owned(),
        message: message.to_owned(),
        at: Utc::now(),
    }
}

/// The stored plan. Runs planned before steps were typed stored no step; a
/// step name then stands for a unit step of that name.
fn parse_plan(run: &workflow_runs::Model) -> Result<Vec<PlanEntry>> {
    #[derive(serde::Deserialize)]
    struct Stored {
        #[serde(flatten)]
        spec: crate::definition::StepSpec,
        step: Option<serde_json::Value>,
    }
    let stored: Vec<Stored> = serde_json::from_str(&run.plan).map_err(|e| WorkflowError::Corrupt(e.to_string()))?;
    Ok(stored
        .into_iter()
        .map(|s| PlanEntry {
            step: s.step.unwrap_or_else(|| serde_json::Value::String(s.spec.name.clone())),
            spec: s.spec,
        })
        .collect())
}

/// Percent of the plan's weight done once step `index` has completed.
fn progress_after(plan: &[PlanEntry], index: usize) -> i32 {
    let total: u64 = plan.iter().map(|s| u64::from(s.spec.weight)).sum();
    let done: u64 = plan.iter().take(index + 1).map(|s| u64::from(s.spec.weight)).sum();
    if total == 0 {
        return 100;
    }
    i32::try_from(done * 100 / total).unwrap_or(100)
}

/// Exponential backoff with ±25 % jitter, capped at 5 minutes.
fn backoff(spec: &crate::definition::StepSpec, attempt: u32) -> Duration {
    let base = spec
        .backoff_ms
        .saturating_mul(1u64 << attempt.saturating_sub(1).min(16))
        .min(300_000);
    let jitter = rand::random_range(0.75..1.25);
    Duration::from_millis((base as f64 * jitter) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::StepSpec;

    fn entry(name: &str, weight: u32) -> PlanEntry {
        PlanEntry {
            spec: StepSpec::new(name).weight(weight),
            step: serde_json::Value::Null,
        }
    }

    #[test]
    fn progress_follows_weights() {
        let plan = vec![entry("a", 1), entry("b", 3)];
        assert_eq!(progress_after(&plan, 0), 25);
        assert_eq!(progress_after(&plan, 1), 100);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let spec = StepSpec::new("s").backoff(Duration::from_millis(100));
        for (attempt, base) in [(1, 100u128), (2, 200), (3, 400)] {
            let d = backoff(&spec, attempt).as_millis();
            assert!(d >= base * 3 / 4 && d <= base * 5 / 4, "attempt {attempt}: {d}");
        }
        assert!(backoff(&spec, 40).as_millis() <= 375_000);
    }

    #[test]
    fn lock_keys_name_their_subject() {
        assert_eq!(Lock::Cluster("c1".into()).key(), "cluster:c1");
        assert_eq!(Lock::Machine("m1".into()).key(), "machine:m1");
    }
}
