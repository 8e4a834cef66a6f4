//! Seed sections 节点接口, 事件接口, 安全策略接口, 自动伸缩策略接口: live views,
//! read from the cluster through the kube adapter: a timeout per request, a
//! deadline per view, capped pages and replies. When the cluster does not
//! answer, the answer is 503 with the reason, never stale data.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Event, Node};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{Object, OpenApi};
use taichu_storage::PageRequest;
use taichu_workflows::kube;

use super::ApiTags;
use super::clusters::load_cluster;
use crate::auth::BearerAuth;
use crate::envelope::ok;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Each request to the cluster.
const CLUSTER_TIMEOUT: Duration = Duration::from_secs(10);
/// A whole view, however many pages it reads.
const VIEW_DEADLINE: Duration = Duration::from_secs(30);

/// A node as the seed describes it.
#[derive(Debug, Object)]
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
pub struct NodeSummary {
    pub control_plane_count: u64,
    pub worker_count: u64,
    pub ready_count: u64,
}

#[derive(Debug, Object)]
pub struct NodeList {
    pub nodes: Vec<NodeView>,
    /// Counts over all nodes, before filters.
    pub summary: NodeSummary,
    pub total: u64,
}

#[derive(Debug, Object)]
pub struct EventView {
    pub id: String,
    #[oai(rename = "type")]
    pub event_type: String,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub namespace: Option<String>,
    /// `Kind/name` of the object the event is about.
    pub object: Option<String>,
    pub count: i32,
    pub first_timestamp: Option<DateTime<Utc>>,
    pub last_timestamp: Option<DateTime<Utc>>,
}

#[derive(Debug, Object)]
pub struct EventList {
    pub events: Vec<EventView>,
    pub total: u64,
}

#[derive(Debug, Object)]
pub struct PolicyRule {
    /// `ingress` or `egress`.
    pub direction: String,
    pub from: Vec<serde_json::Value>,
    pub to: Vec<serde_json::Value>,
    pub ports: Vec<serde_json::Value>,
}

#[derive(Debug, Object)]
pub struct SecurityPolicy {
    pub name: String,
    #[oai(rename = "type")]
    pub policy_type: String,
    pub namespace: String,
    pub rules: Vec<PolicyRule>,
}

#[derive(Debug, Object)]
pub struct SecurityPolicyList {
    pub policies: Vec<SecurityPolicy>,
}

#[derive(Debug, Object)]
pub struct ScaleTarget {
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Object)]
pub struct AutoscalingPolicy {
    pub name: String,
    #[oai(rename = "type")]
    pub policy_type: String,
    pub namespace: String,
    pub target: ScaleTarget,
    pub min_replicas: Option<i32>,
    pub max_replicas: i32,
    /// As in autoscaling/v2, with snake_case keys.
    pub metrics: Vec<serde_json::Value>,
}

#[derive(Debug, Object)]
pub struct AutoscalingPolicyList {
    pub policies: Vec<AutoscalingPolicy>,
}

fn chrono_time(t: &k8s_openapi::jiff::Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.as_second(), u32::try_from(t.subsec_nanosecond()).unwrap_or(0))
}

async fn client(state: &AppState, id: &str) -> Result<::kube::Client, ApiError> {
    let cluster = load_cluster(state, id).await?;
    if cluster.kubeconfig_enc.is_none() {
        return Err(ApiError::conflict("the cluster has no kubeconfig; import it first"));
    }
    Ok(kube::client_for(&cluster, &state.env(), CLUSTER_TIMEOUT).await?)
}

/// Runs a view to its end within [`VIEW_DEADLINE`].
async fn within_deadline<T>(view: impl Future<Output = Result<T, ApiError>>) -> Result<T, ApiError> {
    tokio::time::timeout(VIEW_DEADLINE, view).await.unwrap_or_else(|_| {
        Err(ApiError::unavailable(format!(
            "cluster unreachable: the view did not finish within {} s",
            VIEW_DEADLINE.as_secs()
        )))
    })
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

fn event_view(e: Event) -> EventView {
    EventView {
        id: e.metadata.uid.clone().unwrap_or_default(),
        event_type: e.type_.clone().unwrap_or_else(|| "Normal".into()),
        reason: e.reason.clone(),
        message: e.message.clone(),
        namespace: e.metadata.namespace.clone(),
        object: e
            .involved_object
            .name
            .as_ref()
            .map(|n| format!("{}/{n}", e.involved_object.kind.clone().unwrap_or_default())),
        count: e.count.unwrap_or(1),
        first_timestamp: e.first_timestamp.as_ref().and_then(|t| chrono_time(&t.0)),
        last_timestamp: e.last_timestamp.as_ref().and_then(|t| chrono_time(&t.0)),
    }
}

async fn node_views(state: &AppState, id: &str) -> Result<Vec<NodeView>, ApiError> {
    within_deadline(async {
        let client = client(state, id).await?;
        let nodes = kube::nodes(&client).await?;
        let per_node = kube::pods_per_node(&client).await?;
        let usage = kube::node_usage(&client).await;
        Ok(nodes
            .into_iter()
            .map(|n| node_view(n, &per_node, usage.as_ref()))
            .collect())
    })
    .await
}

/// JSON of a k8s object with snake_case keys, as the seed's field names are.
fn snake(value: serde_json::Value) -> serde_json::Value {
    fn key(k: &str) -> String {
        let mut out = String::new();
        for c in k.chars() {
            if c.is_ascii_uppercase() {
                out.push('_');
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }
    match value {
        serde_json::Value::Object(map) => {
            serde_json::Value::Object(map.into_iter().map(|(k, v)| (key(&k), snake(v))).collect())
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.into_iter().map(snake).collect()),
        other => other,
    }
}

fn to_values<T: serde::Serialize>(items: Option<Vec<T>>) -> Vec<serde_json::Value> {
    items
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| serde_json::to_value(i).ok())
        .map(snake)
        .collect()
}

#[derive(Debug)]
pub struct LiveApi;

#[OpenApi(tag = "ApiTags::Clusters")]
impl LiveApi {
    /// The cluster's nodes, live; filter by `type` and `status`.
    #[oai(path = "/clusters/:id/nodes", method = "get")]
    #[expect(
        clippy::too_many_arguments,
        reason = "each query filter is its own documented parameter"
    )]
    async fn nodes(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "type")] node_type: Query<Option<String>>,
        status: Query<Option<String>>,
        page: Query<Option<u64>>,
        limit: Query<Option<u64>>,
    ) -> ApiResult<NodeList> {
        let page = PageRequest::new(page.0, limit.0).map_err(ApiError::bad_request)?;
        let all = node_views(&state, &id).await?;
        let summary = NodeSummary {
            control_plane_count: all.iter().filter(|n| n.node_type == "control-plane").count() as u64,
            worker_count: all.iter().filter(|n| n.node_type == "worker").count() as u64,
            ready_count: all.iter().filter(|n| n.status == "Ready").count() as u64,
        };
        let matching: Vec<NodeView> = all
            .into_iter()
            .filter(|n| node_type.0.as_ref().is_none_or(|t| *t == n.node_type))
            .filter(|n| status.0.as_ref().is_none_or(|s| *s == n.status))
            .collect();
        let total = matching.len() as u64;
        let nodes = matching
            .into_iter()
            .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
            .take(page.limit as usize)
            .collect();
        Ok(ok(NodeList { nodes, summary, total }))
    }

    /// One node, live.
    #[oai(path = "/clusters/:id/nodes/:node_name", method = "get")]
    async fn node(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
        node_name: Path<String>,
    ) -> ApiResult<NodeView> {
        let node = node_views(&state, &id)
            .await?
            .into_iter()
            .find(|n| n.name == node_name.0);
        Ok(ok(node.ok_or_else(|| ApiError::not_found("node"))?))
    }

    /// The cluster's events, newest first; filter by `type` (Normal, Warning).
    #[oai(path = "/clusters/:id/events", method = "get")]
    async fn events(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "type")] event_type: Query<Option<String>>,
        page: Query<Option<u64>>,
        limit: Query<Option<u64>>,
    ) -> ApiResult<EventList> {
        let page = PageRequest::new(page.0, limit.0).map_err(ApiError::bad_request)?;
        // Events are read a page at a time and only the newest that this
        // page can show are kept: memory follows the page, not the cluster.
        let keep = usize::try_from(page.offset() + page.limit).unwrap_or(usize::MAX);
        let newest_first = |events: &mut Vec<EventView>| events.sort_by_key(|e| std::cmp::Reverse(e.last_timestamp));
        let (mut events, mut total) = (Vec::new(), 0u64);
        within_deadline(async {
            let client = client(&state, &id).await?;
            kube::for_each(&::kube::Api::<Event>::all(client), |e| {
                let view = event_view(e);
                if event_type.0.as_ref().is_some_and(|t| *t != view.event_type) {
                    return;
                }
                total += 1;
                events.push(view);
                if events.len() >= keep.saturating_mul(2).max(2) {
                    newest_first(&mut events);
                    events.truncate(keep);
                }
            })
            .await?;
            Ok(())
        })
        .await?;
        newest_first(&mut events);
        let events = events
            .into_iter()
            .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
            .take(page.limit as usize)
            .collect();
        Ok(ok(EventList { events, total }))
    }

    /// NetworkPolicies, as ingress and egress rules.
    #[oai(path = "/clusters/:id/security-policies", method = "get")]
    async fn security_policies(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
    ) -> ApiResult<SecurityPolicyList> {
        let policies = within_deadline(async {
            let client = client(&state, &id).await?;
            Ok(kube::list_all::<NetworkPolicy>(&client).await?)
        })
        .await?
        .into_iter()
        .map(|p| {
            let spec = p.spec.unwrap_or_default();
            let mut rules: Vec<PolicyRule> = spec
                .ingress
                .unwrap_or_default()
                .into_iter()
                .map(|r| PolicyRule {
                    direction: "ingress".into(),
                    from: to_values(r.from),
                    to: vec![],
                    ports: to_values(r.ports),
                })
                .collect();
            rules.extend(spec.egress.unwrap_or_default().into_iter().map(|r| PolicyRule {
                direction: "egress".into(),
                from: vec![],
                to: to_values(r.to),
                ports: to_values(r.ports),
            }));
            SecurityPolicy {
                name: p.metadata.name.unwrap_or_default(),
                policy_type: "NetworkPolicy".into(),
                namespace: p.metadata.namespace.unwrap_or_default(),
                rules,
            }
        })
        .collect();
        Ok(ok(SecurityPolicyList { policies }))
    }

    /// HorizontalPodAutoscalers (autoscaling/v2).
    #[oai(path = "/clusters/:id/autoscaling-policies", method = "get")]
    async fn autoscaling_policies(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
    ) -> ApiResult<AutoscalingPolicyList> {
        let policies = within_deadline(async {
            let client = client(&state, &id).await?;
            Ok(kube::list_all::<HorizontalPodAutoscaler>(&client).await?)
        })
        .await?
        .into_iter()
        .map(|h| {
            let spec = h.spec.unwrap_or_default();
            AutoscalingPolicy {
                name: h.metadata.name.unwrap_or_default(),
                policy_type: "HorizontalPodAutoscaler".into(),
                namespace: h.metadata.namespace.unwrap_or_default(),
                target: ScaleTarget {
                    kind: spec.scale_target_ref.kind,
                    name: spec.scale_target_ref.name,
                },
                min_replicas: spec.min_replicas,
                max_replicas: spec.max_replicas,
                metrics: to_values(spec.metrics),
            }
        })
        .collect();
        Ok(ok(AutoscalingPolicyList { policies }))
    }
}
