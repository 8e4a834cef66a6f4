//! Steps whose failure must not end the run at once, because a later step
//! has to act on it first: remove a backup's scratch files, or put a
//! cluster's old etcd data back after a failed restore. Such a step keeps
//! the failure in the run's state (committed with the step, so a crash
//! cannot lose it) and the run carries on to the steps that clean up; its
//! last step then fails the run with the kept reason.

use std::future::Future;
use std::time::Duration;

use crate::context::StepContext;
use crate::error::StepError;

/// Room left before the engine's own step timeout, so the failure is kept
/// by the step rather than lost to the engine's timeout.
const MARGIN: Duration = Duration::from_secs(5);

/// Runs `work` unless an earlier step already failed. A transient error with
/// attempts left is returned (the engine retries the step); any other error
/// is kept in `failure` and the step succeeds.
pub async fn guarded<F>(ctx: &StepContext, failure: &mut Option<String>, work: F) -> Result<(), StepError>
where
    F: Future<Output = Result<(), StepError>>,
{
    if failure.is_some() {
        ctx.info(format!("skipped: an earlier step failed ({})", ctx.step.name));
        return Ok(());
    }
    let limit = Duration::from_millis(ctx.step.timeout_ms).saturating_sub(MARGIN);
    let result = tokio::time::timeout(limit, work)
        .await
        .unwrap_or_else(|_| Err(StepError::permanent(format!("timed out after {} s", limit.as_secs()))));
    match result {
        Ok(()) => Ok(()),
        Err(StepError::Transient(reason)) if ctx.attempt < ctx.step.max_attempts => Err(StepError::Transient(reason)),
        Err(err) => {
            let reason = format!("step {} failed: {err}", ctx.step.name);
            ctx.log("error", reason.clone());
            *failure = Some(reason);
            Ok(())
        }
    }
}
