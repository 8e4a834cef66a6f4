//! The workflows a process knows, by kind. Adding a workflow is one file and
//! one line in [`all`].

use std::collections::HashMap;
use std::sync::Arc;

use crate::backup::BackupWorkflow;
use crate::canary::Canary;
use crate::check_machine::CheckMachine;
use crate::create_cluster::CreateCluster;
use crate::definition::{ErasedWorkflow, PlanEntry, Workflow};
use crate::error::WorkflowError;
use crate::expand_cluster::ExpandCluster;
use crate::import_cluster::ImportCluster;
use crate::restore::RestoreWorkflow;
use crate::teardown_cluster::TeardownCluster;

/// Every workflow of this build.
pub fn all() -> Registry {
    Registry::new()
        .register(Canary)
        .register(CheckMachine)
        .register(ImportCluster)
        .register(BackupWorkflow)
        .register(RestoreWorkflow)
        .register(CreateCluster)
        .register(TeardownCluster)
        .register(ExpandCluster)
}

/// Workflows by kind.
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

    /// Serialises `input` and plans it.
    pub(crate) fn plan<W: Workflow>(&self, input: &W::Input) -> Result<(String, Vec<PlanEntry>), WorkflowError> {
        let value = serde_json::to_value(input).map_err(|e| WorkflowError::InvalidInput(e.to_string()))?;
        let workflow = self
            .get(W::KIND)
            .ok_or_else(|| WorkflowError::UnknownKind(W::KIND.to_owned()))?;
        let plan = workflow.plan(&value)?;
        Ok((value.to_string(), plan))
    }
}
