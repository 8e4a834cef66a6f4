//! How a workflow is declared: a kind, a typed input and state, a `Step`
//! enum whose variants carry their data, a plan of those steps, and one
//! `run` that matches the step exhaustively.

use std::time::Duration;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::context::StepContext;
use crate::error::{StepError, WorkflowError};

/// How one step runs: its readable name (shown in views, e.g.
/// `join-worker node-3`) and its limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepSpec {
    pub name: String,
    /// Share of the run's progress this step is worth.
    pub weight: u32,
    pub timeout_ms: u64,
    /// Attempts before a transient failure fails the run.
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt, with jitter.
    pub backoff_ms: u64,
}

impl StepSpec {
    /// A step with weight 1, a 5-minute timeout, 5 attempts and 1 s first backoff.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            weight: 1,
            timeout_ms: 300_000,
            max_attempts: 5,
            backoff_ms: 1_000,
        }
    }

    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self
    }

    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    pub fn backoff(mut self, first: Duration) -> Self {
        self.backoff_ms = u64::try_from(first.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// This spec for `step`: an entry of a plan.
    pub fn of<S>(self, step: S) -> Planned<S> {
        Planned { step, spec: self }
    }
}

/// One entry of a plan: the typed step and how it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned<S> {
    pub step: S,
    pub spec: StepSpec,
}

/// A plan entry as stored with the run: the spec and the serialized step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanEntry {
    #[serde(flatten)]
    pub spec: StepSpec,
    /// The step, as the workflow's `Step` type serializes it.
    pub step: serde_json::Value,
}

/// A workflow: a kind, a typed input, state and steps.
///
/// Steps must be idempotent (check, then act): a step whose worker died runs
/// again. Secrets never go into the input or the state (both are stored as
/// they are); steps reach credentials through `ctx.env()`.
#[async_trait]
pub trait Workflow: Send + Sync + 'static {
    /// Stored in `workflow_runs.kind`.
    const KIND: &'static str;
    /// Whether a user may cancel a run between its steps. A workflow that
    /// must end by itself (a restore completes or rolls back; a backup
    /// cleans up after itself) says no.
    const CANCELLABLE: bool = true;
    /// What the run's subject is, as logs name it (`cluster_id` by default;
    /// `machine_id` for machine checks; `subject` otherwise).
    const SUBJECT: &'static str = "cluster_id";
    type Input: Serialize + DeserializeOwned + Send + Sync;
    type State: Serialize + DeserializeOwned + Default + Send + Sync;
    type Step: Serialize + DeserializeOwned + Send + Sync;

    /// The ordered steps for `input`; an `Err` names what is wrong with it.
    fn plan(&self, input: &Self::Input) -> Result<Vec<Planned<Self::Step>>, String>;

    /// Executes `step`, updating `state`.
    async fn run(
        &self,
        ctx: &StepContext,
        step: &Self::Step,
        input: &Self::Input,
        state: &mut Self::State,
    ) -> Result<(), StepError>;

    /// Called once after the run has failed, with the reason, so the workflow
    /// can record it on the objects it works on. Best effort.
    async fn on_failure(&self, _ctx: &StepContext, _input: &Self::Input, _error: &str) -> Result<(), StepError> {
        Ok(())
    }
}

/// A workflow with its types erased to JSON, as the engine drives it.
#[async_trait]
pub(crate) trait ErasedWorkflow: Send + Sync {
    fn plan(&self, input: &serde_json::Value) -> Result<Vec<PlanEntry>, WorkflowError>;
    async fn run_step(
        &self,
        ctx: &StepContext,
        step: &serde_json::Value,
        input: &str,
        state: &str,
    ) -> Result<String, StepError>;
    async fn on_failure(&self, ctx: &StepContext, input: &str, error: &str) -> Result<(), StepError>;
    fn cancellable(&self) -> bool;
    fn subject(&self) -> &'static str;
}

fn unreadable(e: serde_json::Error) -> StepError {
    StepError::permanent(format!("stored run data is unreadable: {e}"))
}

#[async_trait]
impl<W: Workflow> ErasedWorkflow for W {
    fn plan(&self, input: &serde_json::Value) -> Result<Vec<PlanEntry>, WorkflowError> {
        let input: W::Input =
            serde_json::from_value(input.clone()).map_err(|e| WorkflowError::InvalidInput(e.to_string()))?;
        let plan = Workflow::plan(self, &input).map_err(WorkflowError::InvalidInput)?;
        if plan.is_empty() {
            return Err(WorkflowError::InvalidInput("a workflow needs at least one step".into()));
        }
        plan.into_iter()
            .map(|p| {
                let step = serde_json::to_value(&p.step).map_err(|e| WorkflowError::Corrupt(e.to_string()))?;
                Ok(PlanEntry { spec: p.spec, step })
            })
            .collect()
    }

    async fn run_step(
        &self,
        ctx: &StepContext,
        step: &serde_json::Value,
        input: &str,
        state: &str,
    ) -> Result<String, StepError> {
        let step: W::Step = serde_json::from_value(step.clone()).map_err(unreadable)?;
        let input: W::Input = serde_json::from_str(input).map_err(unreadable)?;
        let mut state: W::State = serde_json::from_str(state).map_err(unreadable)?;
        Workflow::run(self, ctx, &step, &input, &mut state).await?;
        serde_json::to_string(&state).map_err(|e| StepError::permanent(format!("state cannot be stored: {e}")))
    }

    async fn on_failure(&self, ctx: &StepContext, input: &str, error: &str) -> Result<(), StepError> {
        let input: W::Input = serde_json::from_str(input).map_err(unreadable)?;
        Workflow::on_failure(self, ctx, &input, error).await
    }

    fn cancellable(&self) -> bool {
        W::CANCELLABLE
    }

    fn subject(&self) -> &'static str {
        W::SUBJECT
    }
}
