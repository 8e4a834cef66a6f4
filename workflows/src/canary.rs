//! `canary`: a workflow for operators to check that workers are alive and
//! how fast the queue is. Each step sleeps, then writes one marker row (its
//! side effect, counted by tests; `marker: false` makes steps true no-ops for
//! benchmarks); the first `fail_attempts` attempts of each step fail transiently.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use taichu_storage::repositories::workflow_steps;

use crate::context::StepContext;
use crate::definition::{Planned, StepSpec, Workflow};
use crate::error::StepError;

/// Largest canary an operator may start.
pub const MAX_STEPS: u32 = 100;
pub const MAX_STEP_MS: u64 = 60_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CanaryInput {
    pub steps: u32,
    pub step_ms: u64,
    pub fail_attempts: u32,
    /// Whether each step writes its marker row.
    #[serde(default = "yes")]
    pub marker: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CanaryState {
    /// Steps completed, as the state sees them.
    pub done: u32,
}

/// The canary's one kind of step, numbered from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    Tick(u32),
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Canary;

#[async_trait]
impl Workflow for Canary {
    const KIND: &'static str = "canary";
    const SUBJECT: &'static str = "subject";
    type Input = CanaryInput;
    type State = CanaryState;
    type Step = Step;

    fn plan(&self, input: &CanaryInput) -> Result<Vec<Planned<Step>>, String> {
        if !(1..=MAX_STEPS).contains(&input.steps) {
            return Err(format!("steps: must be between 1 and {MAX_STEPS}"));
        }
        if input.step_ms > MAX_STEP_MS {
            return Err(format!("step_ms: must be at most {MAX_STEP_MS}"));
        }
        if input.fail_attempts > 4 {
            return Err("fail_attempts: must be at most 4 (steps allow 5 attempts)".into());
        }
        Ok((1..=input.steps)
            .map(|i| {
                StepSpec::new(format!("step-{i}"))
                    .timeout(Duration::from_millis(input.step_ms) + Duration::from_secs(30))
                    .backoff(Duration::from_millis(20))
                    .of(Step::Tick(i))
            })
            .collect())
    }

    async fn run(
        &self,
        ctx: &StepContext,
        step: &Step,
        input: &CanaryInput,
        state: &mut CanaryState,
    ) -> Result<(), StepError> {
        match step {
            Step::Tick(_) => tick(ctx, input, state).await,
        }
    }
}

/// Sleeps, fails the first attempts as asked, then leaves its marker.
async fn tick(ctx: &StepContext, input: &CanaryInput, state: &mut CanaryState) -> Result<(), StepError> {
    if input.step_ms > 0 {
        ctx.sleep(Duration::from_millis(input.step_ms)).await?;
    }
    if ctx.attempt <= input.fail_attempts {
        return Err(StepError::transient(format!(
            "canary failure {} of {}",
            ctx.attempt, input.fail_attempts
        )));
    }
    if input.marker {
        let index = i32::try_from(ctx.step_index).unwrap_or(i32::MAX);
        let attempt = i32::try_from(ctx.attempt).unwrap_or(i32::MAX);
        workflow_steps::add_marker(ctx.db(), &ctx.run_id, index, attempt).await?;
    }
    state.done += 1;
    Ok(())
}
