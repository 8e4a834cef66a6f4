//! `import_cluster`: connect to an existing cluster with its kubeconfig and
//! register it.
//!
//! Steps:
//! 1. `connect`   — open the stored (encrypted) kubeconfig, read the server version.
//! 2. `inventory` — read nodes and namespaces.
//! 3. `register`  — record version, node count and API server; status `healthy`.
//!
//! The kubeconfig never enters the run's input or state: both are stored in
//! plaintext, the kubeconfig only encrypted on the cluster row.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use taichu_storage::Database;
use taichu_storage::entities::clusters::Model as Cluster;
use taichu_storage::repositories::clusters;

use crate::context::StepContext;
use crate::definition::{StepSpec, Workflow};
use crate::env::WorkflowEnv;
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

/// The workflow; it reaches clusters through the workflow environment.
#[derive(Debug, Clone)]
pub struct ImportCluster {
    env: WorkflowEnv,
}

impl ImportCluster {
    /// The kind, for views that filter runs.
    pub const KIND_NAME: &'static str = "import_cluster";

    pub fn new(env: WorkflowEnv) -> Self {
        Self { env }
    }

    async fn client(&self, cluster: &Cluster) -> Result<::kube::Client, StepError> {
        Ok(kube::client_for(cluster, &self.env, API_TIMEOUT).await?)
    }
}

async fn load(db: &Database, id: &str) -> Result<Cluster, StepError> {
    clusters::find(db, id)
        .await?
        .ok_or_else(|| StepError::permanent(format!("cluster {id} no longer exists")))
}

#[async_trait]
impl Workflow for ImportCluster {
    const KIND: &'static str = Self::KIND_NAME;
    type Input = ImportClusterInput;
    type State = ImportClusterState;

    fn plan(&self, _input: &ImportClusterInput) -> Result<Vec<StepSpec>, String> {
        let step = |name: &str| {
            StepSpec::new(name)
                .timeout(Duration::from_secs(60))
                .max_attempts(3)
                .backoff(Duration::from_secs(1))
        };
        Ok(vec![
            step("connect").weight(2),
            step("inventory").weight(2),
            step("register"),
        ])
    }

    async fn run_step(
        &self,
        ctx: &StepContext,
        input: &ImportClusterInput,
        state: &mut ImportClusterState,
    ) -> Result<(), StepError> {
        let cluster = load(&ctx.db, &input.cluster_id).await?;
        match ctx.step.name.as_str() {
            "connect" => {
                ctx.info(format!(
                    "connecting to {}",
                    cluster.api_server.as_deref().unwrap_or("the API server")
                ))
                .await;
                let client = self.client(&cluster).await?;
                let version = kube::version(&client).await.map_err(StepError::from)?;
                ctx.info(format!("API server version {version}")).await;
                state.version = Some(version);
            }
            "inventory" => {
                let client = self.client(&cluster).await?;
                let (nodes, namespaces) = kube::inventory(&client).await.map_err(StepError::from)?;
                for node in &nodes {
                    ctx.info(format!("node {}", node.metadata.name.as_deref().unwrap_or("?")))
                        .await;
                }
                ctx.info(format!("{} nodes, {} namespaces", nodes.len(), namespaces.len()))
                    .await;
                state.node_count = Some(i32::try_from(nodes.len()).unwrap_or(i32::MAX));
                state.namespace_count = Some(i32::try_from(namespaces.len()).unwrap_or(i32::MAX));
            }
            "register" => {
                clusters::record_import(
                    &ctx.db,
                    &cluster.id,
                    state.version.clone(),
                    state.node_count.unwrap_or(0),
                )
                .await?;
                ctx.info("cluster registered").await;
            }
            other => return Err(StepError::permanent(format!("unknown step {other}"))),
        }
        Ok(())
    }

    async fn on_failure(&self, db: &Database, input: &ImportClusterInput, error: &str) -> Result<(), StepError> {
        clusters::mark_unreachable(db, &input.cluster_id, &format!("import failed: {error}")).await?;
        Ok(())
    }
}
