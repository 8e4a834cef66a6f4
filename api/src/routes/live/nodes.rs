//! The nodes view: capacity, readiness and pod counts from the cluster, use
//! from metrics.k8s.io when it is served.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::Node;
use poem_openapi::Object;
use taichu_storage::PageRequest;
use taichu_workflows::kube;

use super::{client, page_of};
use crate::error::ApiError;
use crate::state::AppState;

/// A node as the seed describes it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct NodeView {
    /// The node's UID.
    pub id: String,
    pub name: String,
    /// `control-plane` or `worker`.
    #[oai(rename = "type")]
    pub node_type: String,
    /// `Ready`, `NotReady` or `Unknown`.
    pub status: String,
    pub cpu_cores: Option<f64>,
    /// From metrics.k8s.io; null when the cluster does not serve it.
    pub cpu_usage_percent: Option<f64>,
    pub memory_bytes: Option<i64>,
    /// From metrics.k8s.io; null when the cluster does not serve it.
    pub memory_usage_percent: Option<f64>,
    pub pod_count: i64,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct NodeSummary {
    pub control_plane_count: u64,
    pub worker_count: u64,
    pub ready_count: u64,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct NodeList {
    pub nodes: Vec<NodeView>,
    /// Counts over all nodes, before filters.
    pub summary: NodeSummary,
    pub total: u64,
}

/// Every node of cluster `id`, as views.
pub(super) async fn read(state: &AppState, id: &str) -> Result<Vec<NodeView>, ApiError> {
    let client = client(state, id).await?;
    let nodes = kube::nodes(&client).await?;
    let per_node = kube::pods_per_node(&client).await?;
    let usage = kube::node_usage(&client).await;
    Ok(nodes
        .into_iter()
        .map(|n| node_view(n, &per_node, usage.as_ref()))
        .collect())
}

/// The page of `all` that matches the filters, with counts over all nodes.
pub(super) fn list(
    all: Vec<NodeView>,
    node_type: Option<String>,
    status: Option<String>,
    page: PageRequest,
) -> NodeList {
    let count = |f: &dyn Fn(&NodeView) -> bool| all.iter().filter(|n| f(n)).count() as u64;
    let summary = NodeSummary {
        control_plane_count: count(&|n| n.node_type == "control-plane"),
        worker_count: count(&|n| n.node_type == "worker"),
        ready_count: count(&|n| n.status == "Ready"),
    };
    let matching: Vec<NodeView> = all
        .into_iter()
        .filter(|n| node_type.as_ref().is_none_or(|t| *t == n.node_type))
        .filter(|n| status.as_ref().is_none_or(|s| *s == n.status))
        .collect();
    let total = matching.len() as u64;
    NodeList {
        nodes: page_of(matching, page),
        summary,
        total,
    }
}

fn node_view(node: Node, pods: &HashMap<String, u32>, usage: Option<&HashMap<String, (f64, f64)>>) -> NodeView {
    let name = node.metadata.name.clone().unwrap_or_default();
    let labels: BTreeMap<String, String> = node.metadata.labels.clone().unwrap_or_default().into_iter().collect();
    let control_plane = labels.contains_key("node-role.kubernetes.io/control-plane")
        || labels.contains_key("node-role.kubernetes.io/master");
    let status = node.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .map(|c| match c.status.as_str() {
            "True" => "Ready",
            "False" => "NotReady",
            _ => "Unknown",
        })
        .unwrap_or("Unknown");
    let capacity = status.and_then(|s| s.capacity.as_ref());
    let cpu_cores = capacity.and_then(|c| c.get("cpu")).and_then(|q| kube::cpu_cores(&q.0));
    let memory = capacity.and_then(|c| c.get("memory")).and_then(|q| kube::bytes(&q.0));
    let used = usage.and_then(|u| u.get(&name));
    let percent = |used: Option<f64>, total: Option<f64>| match (used, total) {
        (Some(u), Some(t)) if t > 0.0 => Some((u / t * 1000.0).round() / 10.0),
        _ => None,
    };
    NodeView {
        id: node.metadata.uid.clone().unwrap_or_default(),
        node_type: if control_plane { "control-plane" } else { "worker" }.to_owned(),
        status: ready.to_owned(),
        cpu_usage_percent: percent(used.map(|u| u.0), cpu_cores),
        memory_usage_percent: percent(used.map(|u| u.1), memory),
        cpu_cores,
        memory_bytes: memory.map(|m| m as i64),
        pod_count: pods.get(&name).copied().map_or(0, i64::from),
        labels,
        name,
    }
}
