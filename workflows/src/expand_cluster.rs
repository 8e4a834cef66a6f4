//! `expand_cluster`: more workers for a cluster Taichu created, or an
//! imported one whose control-plane machine is registered. The new
//! machines go through the same preflight and preparation as at creation,
//! join with a fresh token from the control plane, and count only once
//! every node is Ready. The node counts before and after are read from the
//! cluster, not taken from the request.
//!
//! count-before → preflight → prepare → join → wait-ready → record.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use taichu_storage::repositories::{clusters, machines};

use crate::context::StepContext;
use crate::create_cluster::{check_hosts, join_hosts, prepare_hosts, wait_nodes};
use crate::definition::{Planned, StepSpec, Workflow};
use crate::error::StepError;
use crate::kube;
use crate::kubeadm::ClusterSpec;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExpandClusterInput {
    pub cluster_id: String,
    /// The control plane the join token comes from.
    pub control_plane: String,
    /// The machines joining as workers.
    pub machines: Vec<String>,
    /// The cluster's version and runtime, for preparing the new machines.
    pub spec: ClusterSpec,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ExpandClusterState {
    pub from_nodes: Option<i32>,
    pub to_nodes: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    CountBefore,
    Preflight,
    Prepare,
    Join,
    WaitReady,
    Record,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ExpandCluster;

#[async_trait]
impl Workflow for ExpandCluster {
    const KIND: &'static str = "expand_cluster";
    type Input = ExpandClusterInput;
    type State = ExpandClusterState;
    type Step = Step;

    fn plan(&self, _input: &ExpandClusterInput) -> Result<Vec<Planned<Step>>, String> {
        let step = |name: &str, minutes: u64| {
            StepSpec::new(name)
                .timeout(Duration::from_secs(minutes * 60))
                .max_attempts(3)
                .backoff(Duration::from_secs(2))
        };
        Ok(vec![
            step("count-before", 2).of(Step::CountBefore),
            step("preflight", 5).of(Step::Preflight),
            step("prepare", 5).weight(2).of(Step::Prepare),
            step("join", 12).weight(3).of(Step::Join),
            step("wait-ready", 12).weight(2).of(Step::WaitReady),
            step("record", 2).of(Step::Record),
        ])
    }

    async fn run(
        &self,
        ctx: &StepContext,
        step: &Step,
        input: &ExpandClusterInput,
        state: &mut ExpandClusterState,
    ) -> Result<(), StepError> {
        let hosts: Vec<&String> = input.machines.iter().collect();
        match step {
            Step::CountBefore => count_before(ctx, input, state).await,
            Step::Preflight => check_hosts(ctx, &hosts, &[]).await,
            Step::Prepare => prepare_hosts(ctx, &input.spec, &hosts).await,
            Step::Join => join_hosts(ctx, &input.spec, &input.control_plane, &input.machines).await,
            Step::WaitReady => {
                let from = usize::try_from(state.from_nodes.unwrap_or(0)).unwrap_or(0);
                let (nodes, _) = wait_nodes(ctx, &input.cluster_id, from + input.machines.len()).await?;
                state.to_nodes = Some(nodes);
                Ok(())
            }
            Step::Record => record(ctx, input, state).await,
        }
    }
}

async fn count_before(
    ctx: &StepContext,
    input: &ExpandClusterInput,
    state: &mut ExpandClusterState,
) -> Result<(), StepError> {
    if state.from_nodes.is_some() {
        return Ok(());
    }
    let cluster = clusters::find(ctx.db(), &input.cluster_id)
        .await?
        .ok_or_else(|| StepError::permanent("the cluster record is gone"))?;
    let client = kube::client_for(&cluster, ctx.env(), Duration::from_secs(30)).await?;
    let nodes = kube::nodes(&client).await?;
    // The join token will come from this machine: it must be one of this
    // cluster's control planes, or the new machines would join another cluster.
    let cp = machines::find(ctx.db(), &input.control_plane)
        .await?
        .ok_or_else(|| StepError::permanent("the control-plane machine no longer exists"))?;
    if !nodes.iter().any(|n| is_control_plane_of(n, &cp.name, &cp.ip)) {
        return Err(StepError::permanent(format!(
            "machine {} ({}) is not a control-plane node of cluster {}: no node with the control-plane role has its name or address",
            cp.name, cp.ip, cluster.name
        )));
    }
    let nodes = nodes.len();
    state.from_nodes = i32::try_from(nodes).ok();
    ctx.info(format!("{nodes} nodes before the expansion"));
    Ok(())
}

/// Whether `node` has the control-plane role and is the machine `name` / `ip`.
fn is_control_plane_of(node: &k8s_openapi::api::core::v1::Node, name: &str, ip: &str) -> bool {
    let role = node
        .metadata
        .labels
        .as_ref()
        .is_some_and(|l| l.contains_key("node-role.kubernetes.io/control-plane"));
    let named = node.metadata.name.as_deref() == Some(&name.to_ascii_lowercase());
    let addressed = node
        .status
        .as_ref()
        .and_then(|s| s.addresses.as_ref())
        .is_some_and(|a| a.iter().any(|a| a.address == ip));
    role && (named || addressed)
}

async fn record(ctx: &StepContext, input: &ExpandClusterInput, state: &ExpandClusterState) -> Result<(), StepError> {
    machines::assign_to_cluster(ctx.db(), &input.machines, &input.cluster_id).await?;
    let to = state.to_nodes.unwrap_or(0);
    clusters::record_health(ctx.db(), &input.cluster_id, true, &format!("{to} nodes"), to).await?;
    ctx.info(format!("expanded from {} to {to} nodes", state.from_nodes.unwrap_or(0)));
    Ok(())
}
