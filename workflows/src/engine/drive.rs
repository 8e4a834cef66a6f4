//! Driving a leased run: step after step, one commit per step (the attempt
//! done, its log, the run's state and progress, and the next attempt begun),
//! and the commits that end it (completed, failed, cancelled).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use taichu_storage::TransactionTrait;
use taichu_storage::entities::{workflow_runs, workflow_steps as step_rows};
use taichu_storage::repositories::workflow_runs::{self as runs, RunChange, RunStatus};
use taichu_storage::repositories::workflow_steps::{self as steps, NewLog, StepStatus};
use tracing::Instrument;

use super::{Engine, Outcome};
use crate::context::StepContext;
use crate::definition::{ErasedWorkflow, PlanEntry};
use crate::error::{Result, StepError, WorkflowError};
use crate::lease::{Held, Lease};

/// A run being driven: the stored row as this worker keeps it.
pub(super) struct Driving<'a> {
    pub run: workflow_runs::Model,
    pub plan: Vec<PlanEntry>,
    pub workflow: Arc<dyn ErasedWorkflow>,
    pub lease: Lease<'a>,
}

/// What a step's commit led to.
pub(super) enum Next {
    Step(step_rows::Model),
    Retry,
    End(Outcome),
}

impl Engine {
    pub(super) async fn drive_leased(&self, lease: Lease<'_>) -> Result<Outcome> {
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
            // Every log line of the attempt, in this process and in the
            // step's own code, names the run, the step and its subject.
            let span = tracing::info_span!(
                "step",
                run_id = %driving.run.id,
                kind = %driving.run.kind,
                step = %entry.spec.name,
                attempt,
                cluster_id = tracing::field::Empty,
                machine_id = tracing::field::Empty,
                subject = tracing::field::Empty,
            );
            if let Some(subject) = &driving.run.subject {
                span.record(driving.workflow.subject(), subject.as_str());
            }
            let held = driving
                .lease
                .hold(&ctx.cancel, &ctx.logs, work)
                .instrument(span.clone())
                .await;
            span.in_scope(|| match &held {
                Held::Done(Ok(_)) => tracing::info!("step attempt completed"),
                Held::Done(Err(err)) => tracing::warn!(error = %err, "step attempt failed"),
                Held::Cancelled => tracing::info!("run cancelled during the step"),
                Held::Lost => tracing::warn!("lease lost during the step; another worker continues"),
            });
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
}

/// A log line said now.
pub(super) fn line(step: Option<&str>, level: &str, message: &str) -> NewLog {
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
pub(super) fn progress_after(plan: &[PlanEntry], index: usize) -> i32 {
    let total: u64 = plan.iter().map(|s| u64::from(s.spec.weight)).sum();
    let done: u64 = plan.iter().take(index + 1).map(|s| u64::from(s.spec.weight)).sum();
    if total == 0 {
        return 100;
    }
    i32::try_from(done * 100 / total).unwrap_or(100)
}

/// Exponential backoff with ±25 % jitter, capped at 5 minutes.
pub(super) fn backoff(spec: &crate::definition::StepSpec, attempt: u32) -> Duration {
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
}
