//! How a workflow is declared, and the registry the engine looks kinds up in.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use taichu_storage::Database;

use crate::context::StepContext;
use crate::error::{StepError, WorkflowError};

/// One step of a run's plan, stored with the run.
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
}

/// A workflow: a kind, a typed input and state, and its steps.
///
/// Steps must be idempotent: a step whose worker died runs again.
#[async_trait]
pub trait Workflow: Send + Sync + 'static {
    /// Stored in `workflow_runs.kind`.
    const KIND: &'static str;
    type Input: Serialize + DeserializeOwned + Send + Sync;
    type State: Serialize + DeserializeOwned + Default + Send + Sync;

    /// The ordered steps for `input`; an `Err` names what is wrong with it.
    fn plan(&self, input: &Self::Input) -> Result<Vec<StepSpec>, String>;

    /// Executes the step `ctx.step`, updating `state`.
    async fn run_step(&self, ctx: &StepContext, input: &Self::Input, state: &mut Self::State) -> Result<(), StepError>;

    /// Called once after the run has failed, with the reason, so the workflow
    /// can record it on the objects it works on. Best effort.
    async fn on_failure(&self, _db: &Database, _input: &Self::Input, _error: &str) -> Result<(), StepError> {
        Ok(())
    }
}

/// A workflow with its types erased to JSON, as the engine drives it.
#[async_trait]
pub(crate) trait ErasedWorkflow: Send + Sync {
    fn plan(&self, input: &serde_json::Value) -> Result<Vec<StepSpec>, WorkflowError>;
    async fn run_step(&self, ctx: &StepContext, input: &str, state: &str) -> Result<String, StepError>;
    async fn on_failure(&self, db: &Database, input: &str, error: &str) -> Result<(), StepError>;
}

#[async_trait]
impl<W: Workflow> ErasedWorkflow for W {
    fn plan(&self, input: &serde_json::Value) -> Result<Vec<StepSpec>, WorkflowError> {
        let input: W::Input =
            serde_json::from_value(input.clone()).map_err(|e| WorkflowError::InvalidInput(e.to_string()))?;
        let plan = Workflow::plan(self, &input).map_err(WorkflowError::InvalidInput)?;
        if plan.is_empty() {
            return Err(WorkflowError::InvalidInput("a workflow needs at least one step".into()));
        }
        Ok(plan)
    }

    async fn run_step(&self, ctx: &StepContext, input: &str, state: &str) -> Result<String, StepError> {
        let corrupt = |e: serde_json::Error| StepError::permanent(format!("stored run data is unreadable: {e}"));
        let input: W::Input = serde_json::from_str(input).map_err(corrupt)?;
        let mut state: W::State = serde_json::from_str(state).map_err(corrupt)?;
        Workflow::run_step(self, ctx, &input, &mut state).await?;
        serde_json::to_string(&state).map_err(|e| StepError::permanent(format!("state cannot be stored: {e}")))
    }

    async fn on_failure(&self, db: &Database, input: &str, error: &str) -> Result<(), StepError> {
        let input: W::Input = serde_json::from_str(input)
            .map_err(|e| StepError::permanent(format!("stored run data is unreadable: {e}")))?;
        Workflow::on_failure(self, db, &input, error).await
    }
}

/// The workflows a process knows, by kind. Adding a workflow is one `register` call.
#[derive(Clone, Default)]
pub struct Registry {
    workflows: HashMap<&'static str, Arc<dyn ErasedWorkflow>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.workflows.keys()).finish()
    }
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register<W: Workflow>(mut self, workflow: W) -> Self {
        self.workflows.insert(W::KIND, Arc::new(workflow));
        self
    }

    pub(crate) fn get(&self, kind: &str) -> Option<Arc<dyn ErasedWorkflow>> {
        self.workflows.get(kind).cloned()
    }

    /// Serialises `input` and checks it against the workflow's plan.
    pub(crate) fn plan<W: Workflow>(&self, input: &W::Input) -> Result<(String, Vec<StepSpec>), WorkflowError> {
        let value = serde_json::to_value(input).map_err(|e| WorkflowError::InvalidInput(e.to_string()))?;
        let workflow = self
            .get(W::KIND)
            .ok_or_else(|| WorkflowError::UnknownKind(W::KIND.to_owned()))?;
        let plan = workflow.plan(&value)?;
        Ok((value.to_string(), plan))
    }
}
