//! `import_cluster`: connect to an existing cluster with its kubeconfig and
//! register it. Steps: connect → inventory → register.
//!
//! The kubeconfig never enters the run's input or state: both are stored in
//! plaintext, the kubeconfig only sealed on the cluster row.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use taichu_storage::entities::clusters::Model as Cluster;
use taichu_storage::repositories::clusters;

use crate::context::StepContext;
use crate::definition::{Planned, StepSpec, Workflow};
use crate::error::StepError;
use crate::kube;

const API_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportClusterInput {
    pub cluster_id: String,
    pub cluster_name: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ImportClusterState {
    pub version: Option<String>,
    pub node_count: Option<i32>,
    pub namespace_count: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Open the sealed kubeconfig, read the server version.
    Connect,
    /// Read nodes and namespaces.
    Inventory,
    /// Record version, node count and API server; status `healthy`.
    Register,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportCluster;

#[async_trait]
impl Workflow for ImportCluster {
    const KIND: &'static str = "import_cluster";
    type Input = ImportClusterInput;
    type State = ImportClusterState;
    type Step = Step;

    fn plan(&self, _input: &ImportClusterInput) -> Result<Vec<Planned<Step>>, String> {
        let spec = |name: &str| {
            StepSpec::new(name)
                .timeout(Duration::from_secs(60))
                .max_attempts(3)
                .backoff(Duration::from_secs(1))
        };
        Ok(vec![
            spec("connect").weight(2).of(Step::Connect),
            spec("inventory").weight(2).of(Step::Inventory),
            spec("register").of(Step::Register),
        ])
    }

    async fn run(
        &self,
        ctx: &StepContext,
        step: &Step,
        input: &ImportClusterInput,
        state: &mut ImportClusterState,
    ) -> Result<(), StepError> {
        let cluster = load(ctx, &input.cluster_id).await?;
        match step {
            Step::Connect => connect(ctx, &cluster, state).await,
            Step::Inventory => inventory(ctx, &cluster, state).await,
            Step::Register => register(ctx, &cluster, state).await,
        }
    }

    async fn on_failure(&self, ctx: &StepContext, input: &ImportClusterInput, error: &str) -> Result<(), StepError> {
        clusters::mark_unreachable(ctx.db(), &input.cluster_id, &format!("import failed: {error}")).await?;
        Ok(())
    }
}

async fn load(ctx: &StepContext, id: &str) -> Result<Cluster, StepError> {
    clusters::find(ctx.db(), id)
        .await?
        .ok_or_else(|| StepError::permanent(format!("cluster {id} no longer exists")))
}

async fn connect(ctx: &StepContext, cluster: &Cluster, state: &mut ImportClusterState) -> Result<(), StepError> {
    ctx.info(format!(
        "connecting to {}",
        cluster.api_server.as_deref().unwrap_or("the API server")
    ));
    let client = kube::client_for(cluster, ctx.env(), API_TIMEOUT).await?;
    let version = kube::version(&client).await?;
    ctx.info(format!("API server version {version}"));
    state.version = Some(version);
    Ok(())
}

async fn inventory(ctx: &StepContext, cluster: &Cluster, state: &mut ImportClusterState) -> Result<(), StepError> {
    let client = kube::client_for(cluster, ctx.env(), API_TIMEOUT).await?;
    let (nodes, namespaces) = kube::inventory(&client).await?;
    for node in &nodes {
        ctx.info(format!("node {}", node.metadata.name.as_deref().unwrap_or("?")));
    }
    ctx.info(format!("{} nodes, {} namespaces", nodes.len(), namespaces.len()));
    state.node_count = Some(i32::try_from(nodes.len()).unwrap_or(i32::MAX));
    state.namespace_count = Some(i32::try_from(namespaces.len()).unwrap_or(i32::MAX));
    Ok(())
}

async fn register(ctx: &StepContext, cluster: &Cluster, state: &ImportClusterState) -> Result<(), StepError> {
    clusters::record_import(
        ctx.db(),
        &cluster.id,
        state.version.clone(),
        state.node_count.unwrap_or(0),
    )
    .await?;
    ctx.info("cluster registered");
    Ok(())
}
