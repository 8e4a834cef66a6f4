//! Seed section 集群接口 and 拓扑接口: the cluster registry.

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{Object, OpenApi};
use taichu_storage::entities::clusters::Model;
use taichu_storage::repositories::clusters::{self, ClusterFilter, ClusterStatus, NewCluster};
use taichu_storage::repositories::machines;
use taichu_storage::{PageRequest, db, new_id};
use taichu_workflows::Lock;
use taichu_workflows::teardown_cluster::{TeardownCluster, TeardownInput};

use super::cluster_create::CREATED_PROVIDER;

use super::ApiTags;
use crate::auth::{AuthUser, BearerAuth, WriterAuth};
use crate::envelope::{MessageData, ok};
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::state::AppState;
use crate::validate;

/// A cluster as the API shows it (the kubeconfig only as `has_kubeconfig`).
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ClusterView {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub provider: Option<String>,
    pub region: Option<String>,
    pub version: Option<String>,
    pub node_count: i32,
    /// `pending`, `creating`, `running`, `healthy`, `unhealthy`, `unreachable`, `deleting`.
    pub status: String,
    pub status_message: Option<String>,
    pub api_server: Option<String>,
    pub has_kubeconfig: bool,
    /// An admin allowed `insecure-skip-tls-verify` or plain `http` for this cluster.
    pub allow_insecure: bool,
    /// For an imported cluster: its registered control-plane machine (expansion gets join tokens there).
    pub control_plane_machine_id: Option<String>,
    pub created_by: Option<String>,
    /// The owner's user id; the owner and admins may delete it and read its audit trail.
    pub owner_id: Option<String>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Model> for ClusterView {
    fn from(m: Model) -> Self {
        Self {
            has_kubeconfig: m.kubeconfig_enc.is_some(),
            id: m.id,
            name: m.name,
            description: m.description,
            provider: m.provider,
            region: m.region,
            version: m.version,
            node_count: m.node_count,
            status: m.status,
            status_message: m.status_message,
            api_server: m.api_server,
            created_by: m.created_by,
            owner_id: m.owner_id,
            allow_insecure: m.allow_insecure,
            control_plane_machine_id: m.control_plane_machine_id,
            last_seen_at: m.last_seen_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ClusterList {
    pub clusters: Vec<ClusterView>,
    pub total: u64,
}

/// One cluster in the topology.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TopologyCluster {
    pub id: String,
    pub name: String,
    pub status: String,
    pub node_count: i32,
    pub version: Option<String>,
    pub provider: Option<String>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Topology {
    pub clusters: Vec<TopologyCluster>,
}

/// Register a cluster record.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct CreateClusterRequest {
    /// Unique; 1-64 characters of A-Z, a-z, 0-9, `_`, `.`, `-`.
    pub name: String,
    pub description: Option<String>,
    pub provider: Option<String>,
    pub region: Option<String>,
    /// Kubernetes version, e.g. `v1.33.1`.
    pub version: Option<String>,
    #[serde(default)]
    pub node_count: Option<i32>,
    /// Base64 kubeconfig; with one, the cluster is imported (see `POST /clusters/import`).
    #[oai(write_only)]
    pub kubeconfig: Option<String>,
    /// Admin only: allow `insecure-skip-tls-verify` or a plain `http` server in the kubeconfig.
    #[serde(default)]
    pub allow_insecure: Option<bool>,
}

/// `allow_insecure` as asked, if the caller may ask for it.
pub fn insecure_allowed(caller: &AuthUser, asked: Option<bool>) -> Result<bool, ApiError> {
    match asked {
        Some(true) if !caller.is_admin() => Err(ApiError::forbidden(
            "allow_insecure: only an admin may allow unverified TLS or plain http for a cluster",
        )),
        asked => Ok(asked.unwrap_or(false)),
    }
}

/// Loads a cluster, or 404. Every `/clusters/{id}/...` route checks this first.
pub async fn load_cluster(state: &AppState, id: &str) -> Result<Model, ApiError> {
    clusters::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("cluster"))
}

#[derive(Debug)]
pub struct ClustersApi;

#[OpenApi(tag = "ApiTags::Clusters")]
impl ClustersApi {
    /// Register a cluster record (status `pending`); with a kubeconfig, import it.
    #[oai(path = "/clusters", method = "post", operation_id = "create_cluster")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        body: JsonBody<CreateClusterRequest>,
    ) -> ApiResult<ClusterView> {
        let b = body.0;
        let allow_insecure = insecure_allowed(&auth.0, b.allow_insecure)?;
        validate::name("name", &b.name, 1, 64)?;
        for (field, value, max) in [
            ("description", &b.description, 1024),
            ("provider", &b.provider, 64),
            ("region", &b.region, 64),
        ] {
            if let Some(v) = value {
                validate::text(field, v, max)?;
            }
        }
        if let Some(v) = &b.version {
            validate::token("version", v, 32)?;
        }
        let node_count = b.node_count.unwrap_or(0);
        if !(0..=10_000).contains(&node_count) {
            return Err(ApiError::bad_request("node_count: must be between 0 and 10000"));
        }
        let new = NewCluster {
            id: new_id(),
            name: b.name,
            description: b.description,
            provider: b.provider,
            region: b.region,
            version: b.version,
            node_count,
            created_by: Some(auth.0.username.clone()),
            owner_id: Some(auth.0.id.clone()),
            allow_insecure,
            ..Default::default()
        };
        if let Some(kubeconfig) = b.kubeconfig {
            // With a kubeconfig, registering is importing.
            let (cluster, _) = super::imports::start_import(&state, new, &kubeconfig, &auth.0).await?;
            return Ok(ok(cluster.into()));
        }
        Ok(ok(clusters::create(&state.db, new).await?.into()))
    }

    /// List clusters, filtered by status, provider, or part of the name.
    #[oai(path = "/clusters", method = "get", operation_id = "list_clusters")]
    #[expect(
        clippy::too_many_arguments,
        reason = "each query filter is its own documented parameter"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        status: Query<Option<String>>,
        provider: Query<Option<String>>,
        search: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u64>>,
    ) -> ApiResult<ClusterList> {
        let page = PageRequest::new(page.0, limit.0).map_err(ApiError::bad_request)?;
        let status = validate::word::<ClusterStatus>("status", status.0)?;
        let filter = ClusterFilter {
            status,
            provider: provider.0,
            search: search.0,
        };
        let found = clusters::list(&state.db, filter, page).await?;
        Ok(ok(ClusterList {
            clusters: found.items.into_iter().map(Into::into).collect(),
            total: found.total,
        }))
    }

    /// Every cluster with its status, size and version.
    #[oai(path = "/clusters/topology", method = "get", operation_id = "get_topology")]
    async fn topology(&self, state: Data<&AppState>, _auth: BearerAuth) -> ApiResult<Topology> {
        let clusters = clusters::all(&state.db)
            .await?
            .into_iter()
            .map(|c| TopologyCluster {
                id: c.id,
                name: c.name,
                status: c.status,
                node_count: c.node_count,
                version: c.version,
                provider: c.provider,
            })
            .collect();
        Ok(ok(Topology { clusters }))
    }

    /// One cluster.
    #[oai(path = "/clusters/:id", method = "get", operation_id = "get_cluster")]
    async fn get(&self, state: Data<&AppState>, _auth: BearerAuth, id: Path<String>) -> ApiResult<ClusterView> {
        Ok(ok(load_cluster(&state, &id).await?.into()))
    }

    /// Remove a cluster's records (its owner or an admin); the cluster itself
    /// is not touched. With `teardown=true`, on a cluster Taichu created, a
    /// `teardown_cluster` run first resets every machine with `kubeadm reset`
    /// and the records go when it completes. Refused while an operation runs on it.
    #[oai(path = "/clusters/:id", method = "delete", operation_id = "delete_cluster")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        id: Path<String>,
        teardown: Query<Option<bool>>,
    ) -> ApiResult<MessageData> {
        let cluster = load_cluster(&state, &id).await?;
        auth.0.require_owner(cluster.owner_id.as_deref(), "cluster")?;
        if teardown.0 == Some(true) {
            return teardown_cluster(&state, &auth.0, &cluster).await;
        }
        // Not while an operation (an import, a backup, a restore) holds it.
        let txn = db::begin_write(&state.db).await?;
        let held = state
            .engine
            .hold_in(&txn, &[Lock::Cluster(cluster.id.clone())], "delete_cluster")
            .await?;
        clusters::delete(&txn, &cluster.id).await?;
        held.release(&txn).await?;
        txn.commit().await?;
        Ok(ok(MessageData::new("cluster records deleted")))
    }
}

/// Starts a `teardown_cluster` run on a cluster Taichu created, holding it and its machines.
async fn teardown_cluster(state: &AppState, caller: &AuthUser, cluster: &Model) -> ApiResult<MessageData> {
    if cluster.provider.as_deref() != Some(CREATED_PROVIDER) {
        return Err(ApiError::conflict(format!(
            "cluster {} was not created by Taichu; without teardown=true its records are removed and the cluster is left running",
            cluster.id
        )));
    }
    let machines = machines::of_cluster(&state.db, &cluster.id).await?;
    let mut locks = vec![Lock::Cluster(cluster.id.clone())];
    locks.extend(machines.iter().map(|m| Lock::Machine(m.id.clone())));
    let input = TeardownInput {
        cluster_id: cluster.id.clone(),
        cluster_name: cluster.name.clone(),
    };
    let txn = db::begin_write(&state.db).await?;
    let started = state
        .engine
        .start_in::<TeardownCluster>(&txn, Some(cluster.id.clone()), &input, Some(&caller.starter()), &locks)
        .await?;
    txn.commit().await?;
    let run = state.engine.enqueue(started).await;
    Ok(ok(MessageData::new(format!(
        "teardown of {} machines started (workflow {}); the records go when it completes",
        machines.len(),
        run.id
    ))))
}
