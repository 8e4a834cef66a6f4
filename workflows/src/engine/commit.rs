//! The commits that close a step attempt: success (with the next attempt
//! begun), a retry or a failure, a cancellation noticed at commit time, and
//! the end of a run. Each is one transaction, conditional on the lease.

use chrono::Utc;
use taichu_storage::TransactionTrait;
use taichu_storage::entities::workflow_steps as step_rows;
use taichu_storage::repositories::operation_locks;
use taichu_storage::repositories::workflow_runs::{self as runs, RunChange, RunStatus};
use taichu_storage::repositories::workflow_steps::{self as steps, NewLog, StepStatus};

use super::drive::{Driving, Next, backoff, line, progress_after};
use super::{Engine, Outcome};
use crate::context::StepContext;
use crate::error::{Result, StepError, WorkflowError};
use crate::lease::{Held, Lease};

impl Engine {
    /// One transaction: the attempt done, its log, the run's new state and
    /// progress, and the next step's attempt begun (or the run completed and
    /// its locks released), only if this worker still holds the lease and
    /// nobody asked to cancel.
    pub(super) async fn commit_success(
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
    pub(super) async fn commit_failure(
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
    pub(super) async fn end(
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
