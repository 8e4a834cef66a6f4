//! Executes runs: lease, step, commit, repeat.
//!
//! Per step: record the attempt, run it under a timeout while a background
//! task renews the lease (and watches for cancellation), then commit the
//! attempt's outcome together with the run's new state in one transaction,
//! conditional on still holding the lease. A crash between steps loses
//! nothing; a crash inside a step leaves a `running` attempt that the next
//! worker marks `abandoned` before running the step again.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use taichu_storage::entities::workflow_runs;
use taichu_storage::repositories::workflow_runs::{self as runs, NewRun, RunChange, status};
use taichu_storage::repositories::workflow_steps::{self as steps, status as step_status};
use taichu_storage::{Database, TransactionTrait, new_id};
use tokio_util::sync::CancellationToken;

use crate::context::StepContext;
use crate::definition::{ErasedWorkflow, Registry, StepSpec, Workflow};
use crate::error::{Result, StepError, WorkflowError};

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

/// The engine: registry, database and queue.
#[derive(Debug, Clone)]
pub struct Engine {
    db: Database,
    registry: Arc<Registry>,
    queue: Arc<dyn RunQueue>,
    config: Arc<EngineConfig>,
}

/// How a step attempt ended, as the engine sees it.
enum Attempt {
    Done(String),
    Failed(StepError),
    Cancelled,
    LeaseLost,
}

impl Engine {
    pub fn new(db: Database, registry: Registry, queue: Arc<dyn RunQueue>, config: EngineConfig) -> Self {
        Self {
            db,
            registry: Arc::new(registry),
            queue,
            config: Arc::new(config),
        }
    }

    pub fn db(&self) -> &Database {
        &self.db
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn queue(&self) -> &Arc<dyn RunQueue> {
        &self.queue
    }

    /// Creates a run of `W` and enqueues it. The run is durable before the
    /// queue hears of it; if enqueueing fails the reaper enqueues it later.
    pub async fn start<W: Workflow>(
        &self,
        subject: Option<String>,
        input: &W::Input,
        started_by: Option<&StartedBy>,
    ) -> Result<workflow_runs::Model> {
        let (input, plan) = self.registry.plan::<W>(input)?;
        let state = serde_json::to_string(&W::State::default()).map_err(|e| WorkflowError::Corrupt(e.to_string()))?;
        let plan = serde_json::to_string(&plan).map_err(|e| WorkflowError::Corrupt(e.to_string()))?;
        let new = NewRun {
            id: new_id(),
            kind: W::KIND.to_owned(),
            subject,
            input,
            state,
            plan,
            created_by: started_by.map(|s| s.username.clone()),
            created_by_id: started_by.map(|s| s.user_id.clone()),
        };
        let run = runs::insert(&self.db, new).await?;
        if let Err(err) = self.queue.enqueue(&run.id).await {
            tracing::warn!(run_id = %run.id, error = %err, "enqueueing a new run failed; the reaper will retry");
        }
        Ok(run)
    }

    /// Executes `run_id` to its end if this worker can lease it.
    pub async fn drive(&self, run_id: &str) -> Result<Outcome> {
        let owner = format!("{}-{}", self.config.worker_id, &new_id()[24..]);
        if !runs::try_lease(&self.db, run_id, &owner, self.lease_deadline()).await? {
            return Ok(Outcome::NotLeased);
        }
        self.recover_abandoned(run_id, &owner).await?;
        let outcome = self.drive_leased(run_id, &owner).await;
        // Whatever happened, do not leave a live lease behind.
        let _ = runs::update_leased(
            &self.db,
            run_id,
            &owner,
            RunChange {
                release_lease: true,
                ..Default::default()
            },
        )
        .await;
        outcome
    }

    /// Marks attempts left `running` by a dead worker as abandoned. They count
    /// as attempts, so a step that kills its worker every time still ends.
    async fn recover_abandoned(&self, run_id: &str, owner: &str) -> Result<()> {
        let txn = self.db.begin().await?;
        let abandoned = steps::abandon_running(&txn, run_id).await?;
        if abandoned > 0 {
            let run = runs::find(&txn, run_id)
                .await?
                .ok_or_else(|| WorkflowError::Corrupt(format!("run {run_id} vanished")))?;
            let lost = i32::try_from(abandoned).unwrap_or(i32::MAX);
            let change = RunChange {
                step_attempt: Some(run.step_attempt.saturating_add(lost)),
                add_attempt: true,
                ..Default::default()
            };
            runs::update_leased(&txn, run_id, owner, change).await?;
            steps::log(
                &txn,
                run_id,
                None,
                "warn",
                "worker lost during a step; the step runs again",
            )
            .await?;
            tracing::warn!(run_id, "resuming a run whose worker was lost");
        }
        txn.commit().await?;
        Ok(())
    }

    fn lease_deadline(&self) -> chrono::DateTime<Utc> {
        Utc::now() + chrono::Duration::from_std(self.config.lease_ttl).unwrap_or(chrono::Duration::seconds(30))
    }

    async fn drive_leased(&self, run_id: &str, owner: &str) -> Result<Outcome> {
        loop {
            let run = runs::find(&self.db, run_id)
                .await?
                .ok_or_else(|| WorkflowError::Corrupt(format!("run {run_id} vanished")))?;
            if !status::ACTIVE.contains(&run.status.as_str()) {
                return Ok(Outcome::NotLeased);
            }
            let Some(workflow) = self.registry.get(&run.kind) else {
                let error = format!("no workflow of kind {} is registered in this worker", run.kind);
                self.finish(&run, owner, status::FAILED, error).await?;
                return Ok(Outcome::Failed);
            };
            let plan: Vec<StepSpec> =
                serde_json::from_str(&run.plan).map_err(|e| WorkflowError::Corrupt(e.to_string()))?;
            if run.cancel_requested {
                self.finish(&run, owner, status::CANCELLED, "cancelled by request".into())
                    .await?;
                return Ok(Outcome::Cancelled);
            }
            let index = usize::try_from(run.current_step).unwrap_or(usize::MAX);
            let Some(spec) = plan.get(index) else {
                let change = RunChange {
                    status: Some(status::COMPLETED),
                    progress: Some(100),
                    finished: true,
                    release_lease: true,
                    ..Default::default()
                };
                runs::update_leased(&self.db, run_id, owner, change).await?;
                return Ok(Outcome::Completed);
            };
            if run.status == status::PENDING {
                let change = RunChange {
                    status: Some(status::RUNNING),
                    started_at: Some(Utc::now()),
                    ..Default::default()
                };
                if !runs::update_leased(&self.db, run_id, owner, change).await? {
                    return Ok(Outcome::LeaseLost);
                }
            }
            let attempt = u32::try_from(run.step_attempt).unwrap_or(0) + 1;
            let row = steps::start(
                &self.db,
                run_id,
                run.current_step,
                &spec.name,
                i32::try_from(attempt).unwrap_or(i32::MAX),
                owner,
            )
            .await?;
            let ctx = StepContext {
                db: self.db.clone(),
                run_id: run_id.to_owned(),
                step: spec.clone(),
                step_index: index,
                attempt,
                cancel: CancellationToken::new(),
                output: Default::default(),
            };
            match self.attempt(workflow.as_ref(), &ctx, &run, owner).await {
                Attempt::Done(state) => {
                    let progress = progress_after(&plan, index);
                    let txn = self.db.begin().await?;
                    steps::finish(&txn, &row, step_status::COMPLETED, None).await?;
                    let took = (Utc::now() - row.started_at).num_milliseconds();
                    steps::log(
                        &txn,
                        run_id,
                        Some(&spec.name),
                        "info",
                        &format!("step {} completed in {took} ms", spec.name),
                    )
                    .await?;
                    let change = RunChange {
                        state: Some(state),
                        current_step: Some(run.current_step + 1),
                        step_attempt: Some(0),
                        progress: Some(progress),
                        add_attempt: true,
                        ..Default::default()
                    };
                    if !runs::update_leased(&txn, run_id, owner, change).await? {
                        txn.rollback().await?;
                        return Ok(Outcome::LeaseLost);
                    }
                    txn.commit().await?;
                }
                Attempt::Cancelled => {
                    steps::finish(
                        &self.db,
                        &row,
                        step_status::CANCELLED,
                        Some("cancelled by request".into()),
                    )
                    .await?;
                    self.finish(&run, owner, status::CANCELLED, "cancelled by request".into())
                        .await?;
                    return Ok(Outcome::Cancelled);
                }
                Attempt::LeaseLost => {
                    steps::finish(
                        &self.db,
                        &row,
                        step_status::ABANDONED,
                        Some("lease lost; another worker continues".into()),
                    )
                    .await?;
                    return Ok(Outcome::LeaseLost);
                }
                Attempt::Failed(err) => {
                    let retry = matches!(err, StepError::Transient(_)) && attempt < spec.max_attempts;
                    let run_error = match err {
                        StepError::Transient(_) => format!("step {} failed after {attempt} attempts: {err}", spec.name),
                        StepError::Permanent(_) => format!("step {} failed: {err}", spec.name),
                    };
                    let delay = backoff(spec, attempt);
                    let (level, line) = if retry {
                        (
                            "warn",
                            format!("attempt {attempt} failed: {err}; retrying in {} ms", delay.as_millis()),
                        )
                    } else {
                        // The subject shows the reason by the time the run shows it failed.
                        if let Err(hook) = workflow.on_failure(&self.db, &run.input, &run_error).await {
                            tracing::warn!(run_id, error = %hook, "recording a run's failure on its subject failed");
                        }
                        ("error", format!("step failed: {err}"))
                    };
                    let change = if retry {
                        RunChange {
                            step_attempt: Some(i32::try_from(attempt).unwrap_or(i32::MAX)),
                            add_attempt: true,
                            ..Default::default()
                        }
                    } else {
                        RunChange {
                            status: Some(status::FAILED),
                            error: Some(run_error),
                            add_attempt: true,
                            finished: true,
                            release_lease: true,
                            ..Default::default()
                        }
                    };
                    // Attempt, log line and run change commit together: a reader never
                    // sees a failed run without its reason in the log.
                    let txn = self.db.begin().await?;
                    steps::finish(&txn, &row, step_status::FAILED, Some(err.to_string())).await?;
                    steps::log(&txn, run_id, Some(&spec.name), level, &line).await?;
                    if !runs::update_leased(&txn, run_id, owner, change).await? {
                        txn.rollback().await?;
                        return Ok(Outcome::LeaseLost);
                    }
                    txn.commit().await?;
                    if !retry {
                        return Ok(Outcome::Failed);
                    }
                    match self
                        .hold_lease(run_id, owner, &ctx.cancel, async {
                            tokio::time::sleep(delay).await;
                            Ok(String::new())
                        })
                        .await
                    {
                        Attempt::LeaseLost => return Ok(Outcome::LeaseLost),
                        // Cancellation is seen at the top of the loop.
                        _ => continue,
                    }
                }
            }
        }
    }

    /// Runs one attempt under its timeout while holding the lease.
    async fn attempt(
        &self,
        workflow: &dyn ErasedWorkflow,
        ctx: &StepContext,
        run: &workflow_runs::Model,
        owner: &str,
    ) -> Attempt {
        let timeout = Duration::from_millis(ctx.step.timeout_ms);
        let work = async {
            match tokio::time::timeout(timeout, workflow.run_step(ctx, &run.input, &run.state)).await {
                Ok(result) => result,
                Err(_) => Err(StepError::transient(format!(
                    "step timed out after {} ms",
                    timeout.as_millis()
                ))),
            }
        };
        self.hold_lease(&run.id, owner, &ctx.cancel, work).await
    }

    /// Drives `work` while renewing the lease; stops it when the run is
    /// cancelled or the lease is lost.
    async fn hold_lease(
        &self,
        run_id: &str,
        owner: &str,
        cancel: &CancellationToken,
        work: impl std::future::Future<Output = std::result::Result<String, StepError>>,
    ) -> Attempt {
        let renew = async {
            let mut tick = tokio::time::interval(self.config.renew_every);
            tick.tick().await;
            loop {
                tick.tick().await;
                match runs::renew_lease(&self.db, run_id, owner, self.lease_deadline()).await {
                    Ok(None) => return Attempt::LeaseLost,
                    Ok(Some(true)) => return Attempt::Cancelled,
                    Ok(Some(false)) => {}
                    // A blip in the database: keep working, the lease has slack.
                    Err(err) => tracing::warn!(run_id, error = %err, "renewing a lease failed"),
                }
            }
        };
        tokio::pin!(work);
        let stop = tokio::select! {
            result = &mut work => return match result {
                Ok(state) => Attempt::Done(state),
                Err(err) => Attempt::Failed(err),
            },
            stop = renew => stop,
        };
        // Let the step see the cancellation and wind down, but not for long.
        cancel.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(10), work).await;
        stop
    }

    async fn finish(&self, run: &workflow_runs::Model, owner: &str, to: &'static str, error: String) -> Result<()> {
        let change = RunChange {
            status: Some(to),
            error: Some(error),
            finished: true,
            release_lease: true,
            ..Default::default()
        };
        runs::update_leased(&self.db, &run.id, owner, change).await?;
        Ok(())
    }
}

/// Percent of the plan's weight done once step `index` has completed.
fn progress_after(plan: &[StepSpec], index: usize) -> i32 {
    let total: u64 = plan.iter().map(|s| u64::from(s.weight)).sum();
    let done: u64 = plan.iter().take(index + 1).map(|s| u64::from(s.weight)).sum();
    if total == 0 {
        return 100;
    }
    i32::try_from(done * 100 / total).unwrap_or(100)
}

/// Exponential backoff with ±25 % jitter, capped at 5 minutes.
fn backoff(spec: &StepSpec, attempt: u32) -> Duration {
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

    #[test]
    fn progress_follows_weights() {
        let plan = vec![StepSpec::new("a").weight(1), StepSpec::new("b").weight(3)];
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
}
