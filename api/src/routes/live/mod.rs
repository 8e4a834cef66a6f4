//! Seed sections 节点接口, 事件接口, 安全策略接口, 自动伸缩策略接口: live views,
//! read from the cluster through the kube adapter: a timeout per request, a
//! deadline per view, capped pages and replies. When the cluster does not
//! answer, the answer is 503 with the reason, never stale data. Each view's
//! types and its Kubernetes-to-view mapping live beside it.

/// Events, newest first.
mod events;
/// Nodes with their summary and usage.
mod nodes;
/// NetworkPolicies and HorizontalPodAutoscalers.
mod policies;

use std::time::Duration;

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use taichu_storage::PageRequest;
use taichu_workflows::kube;

pub use self::events::{EventList, EventView};
pub use self::nodes::{NodeList, NodeSummary, NodeView};
pub use self::policies::{
    AutoscalingPolicy, AutoscalingPolicyList, PolicyRule, ScaleTarget, SecurityPolicy, SecurityPolicyList,
};
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

/// A client for the cluster `id` (404 if unknown, 409 if it has no kubeconfig).
async fn client(state: &AppState, id: &str) -> Result<::kube::Client, ApiError> {
    let cluster = load_cluster(state, id).await?;
    if cluster.kubeconfig_enc.is_none() {
        return Err(ApiError::conflict("the cluster has no kubeconfig; import it first"));
    }
    Ok(kube::client_for(&cluster, &state.env, CLUSTER_TIMEOUT).await?)
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

/// The items of `page`.
fn page_of<T>(items: impl IntoIterator<Item = T>, page: PageRequest) -> Vec<T> {
    items
        .into_iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(page.limit).unwrap_or(usize::MAX))
        .collect()
}

fn page(page: Option<u64>, limit: Option<u64>) -> Result<PageRequest, ApiError> {
    PageRequest::new(page, limit).map_err(ApiError::bad_request)
}

#[derive(Debug)]
pub struct LiveApi;

#[OpenApi(tag = "ApiTags::Clusters")]
impl LiveApi {
    /// The cluster's nodes, live; filter by `type` and `status`.
    #[oai(path = "/clusters/:id/nodes", method = "get", operation_id = "list_nodes")]
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
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u64>>,
    ) -> ApiResult<NodeList> {
        let page = self::page(page.0, limit.0)?;
        let all = within_deadline(nodes::read(&state, &id)).await?;
        Ok(ok(nodes::list(all, node_type.0, status.0, page)))
    }

    /// One node, live.
    #[oai(path = "/clusters/:id/nodes/:node_name", method = "get", operation_id = "get_node")]
    async fn node(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
        node_name: Path<String>,
    ) -> ApiResult<NodeView> {
        let node = within_deadline(nodes::read(&state, &id))
            .await?
            .into_iter()
            .find(|n| n.name == node_name.0);
        Ok(ok(node.ok_or_else(|| ApiError::not_found("node"))?))
    }

    /// The cluster's events, newest first; filter by `type` (Normal, Warning).
    #[oai(path = "/clusters/:id/events", method = "get", operation_id = "list_events")]
    async fn events(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "type")] event_type: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u64>>,
    ) -> ApiResult<EventList> {
        let page = self::page(page.0, limit.0)?;
        Ok(ok(
            within_deadline(events::newest(&state, &id, event_type.0, page)).await?
        ))
    }

    /// NetworkPolicies, as ingress and egress rules.
    #[oai(
        path = "/clusters/:id/security-policies",
        method = "get",
        operation_id = "list_security_policies"
    )]
    async fn security_policies(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
    ) -> ApiResult<SecurityPolicyList> {
        Ok(ok(within_deadline(policies::network(&state, &id)).await?))
    }

    /// HorizontalPodAutoscalers (autoscaling/v2).
    #[oai(
        path = "/clusters/:id/autoscaling-policies",
        method = "get",
        operation_id = "list_autoscaling_policies"
    )]
    async fn autoscaling_policies(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
    ) -> ApiResult<AutoscalingPolicyList> {
        Ok(ok(within_deadline(policies::autoscaling(&state, &id)).await?))
    }
}
