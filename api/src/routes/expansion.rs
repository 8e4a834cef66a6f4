//! Seed 扩展接口: `POST /clusters/{id}/expansion` joins more ready machines
//! to a cluster Taichu created (picked by their `instance-type` label, or
//! named), as an `expand_cluster` run; `GET …/expansion/history` shows each
//! expansion with the node counts read from the cluster before and after.

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::{Object, OpenApi};
use taichu_storage::entities::clusters::Model as Cluster;
use taichu_storage::entities::machines::Model as Machine;
use taichu_storage::entities::workflow_runs;
use taichu_storage::repositories::machines::{self, MachineStatus};
use taichu_storage::repositories::workflow_runs::{self as runs, RunFilter};
use taichu_storage::repositories::{clusters, operation_locks};
use taichu_storage::{PageRequest, db};
use taichu_workflows::create_cluster::CreateClusterInput;
use taichu_workflows::expand_cluster::{ExpandCluster, ExpandClusterInput};
use taichu_workflows::kubeadm::{ClusterSpec, Cni, PackageSource};
use taichu_workflows::{Lock, Workflow};

use super::ApiTags;
use super::cluster_create::{CREATED_PROVIDER, node_name_ok};
use super::clusters::{ClusterView, load_cluster};
use super::create_tasks::CREATE_CLUSTER;
use super::run_views::{RunVisibility, input_of};
use crate::auth::{AuthUser, BearerAuth, WriterAuth};
use crate::envelope::ok;
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::state::AppState;

/// Machines one expansion may add at most.
const MAX_NEW: u32 = 50;
/// Pages of ready machines looked through for matching ones.
const MAX_PAGES: u64 = 100;

/// More workers: `node_count` ready machines labelled
/// `instance-type=<instance_type>`, or the `machine_ids` named.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ExpansionRequest {
    /// 1-50.
    #[serde(default)]
    pub node_count: Option<u32>,
    /// Matches the machines' `instance-type` label.
    #[serde(default)]
    pub instance_type: Option<String>,
    #[serde(default)]
    pub machine_ids: Option<Vec<String>>,
}

/// Names the registered machine that is a control plane of an imported cluster.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ControlPlaneMachineRequest {
    /// A `ready` machine with role `control-plane`, in no other cluster, that
    /// the caller may use. Expansion checks it is a control-plane node of
    /// this cluster before it asks it for a join token.
    pub machine_id: String,
}

/// The machine expansion asks for join tokens: a created cluster's first
/// control plane, or the one registered for an imported cluster; 409 otherwise.
async fn control_plane_of(state: &AppState, cluster: &Cluster) -> Result<Machine, ApiError> {
    let found = if cluster.provider.as_deref() == Some(CREATED_PROVIDER) {
        machines::of_cluster(&state.db, &cluster.id)
            .await?
            .into_iter()
            .find(|m| m.role == "control-plane")
    } else if let Some(id) = &cluster.control_plane_machine_id {
        machines::find(&state.db, id).await?
    } else {
        None
    };
    found.ok_or_else(|| {
        ApiError::conflict(format!(
            "cluster {} has no control-plane machine registered for it; register the machine (role control-plane) and name it with PUT /clusters/{}/control-plane-machine",
            cluster.name, cluster.id
        ))
    })
}

/// What the new machines are prepared with: the creation's own spec for a
/// cluster Taichu created; for an imported one, its version and the defaults.
async fn spec_of(state: &AppState, cluster: &Cluster) -> Result<ClusterSpec, ApiError> {
    let filter = RunFilter {
        kind: Some(CREATE_CLUSTER.to_owned()),
        status: None,
        subject: Some(cluster.id.clone()),
    };
    let page = PageRequest::new(Some(1), Some(1)).map_err(ApiError::bad_request)?;
    let created = runs::list(&state.db, filter, page).await?;
    if let Some(input) = created.items.first().and_then(input_of::<CreateClusterInput>) {
        return Ok(input.spec);
    }
    Ok(ClusterSpec {
        cluster_name: cluster.name.clone(),
        kubernetes_version: cluster.version.clone().unwrap_or_default(),
        pod_cidr: "10.244.0.0/16".into(),
        service_cidr: "10.96.0.0/12".into(),
        cni: Cni::None,
        cni_manifest: None,
        container_runtime_endpoint: "unix:///run/containerd/containerd.sock".into(),
        control_plane_endpoint: None,
        image_repository: None,
        package_source: PackageSource::Preinstalled,
    })
}

/// One expansion.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ExpansionView {
    /// The `expand_cluster` run.
    pub id: String,
    pub status: String,
    pub progress: i32,
    /// Nodes counted in the cluster before and after (null until known).
    pub from_nodes: Option<i32>,
    pub to_nodes: Option<i32>,
    pub machine_ids: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Why it failed (admins and whoever started it).
    pub error: Option<String>,
}

impl ExpansionView {
    fn of(run: &workflow_runs::Model, visibility: RunVisibility) -> Self {
        let state: serde_json::Value = serde_json::from_str(&run.state).unwrap_or_default();
        let count = |k: &str| state[k].as_i64().and_then(|v| i32::try_from(v).ok());
        Self {
            id: run.id.clone(),
            status: run.status.clone(),
            progress: run.progress,
            from_nodes: count("from_nodes"),
            to_nodes: count("to_nodes"),
            machine_ids: input_of::<ExpandClusterInput>(run)
                .map(|i| i.machines)
                .unwrap_or_default(),
            created_at: run.created_at,
            completed_at: run.finished_at,
            error: visibility.error(run),
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ExpansionHistory {
    pub expansions: Vec<ExpansionView>,
    pub total: u64,
}

/// A machine that may join: ready, free, the caller's to use, a valid node name.
fn usable(caller: &AuthUser, m: &Machine) -> bool {
    m.machine_status() == MachineStatus::Ready
        && m.cluster_id.is_none()
        && caller.can_manage(m.owner_id.as_deref())
        && node_name_ok(&m.name)
}

fn instance_type_of(m: &Machine) -> Option<String> {
    let labels: serde_json::Value = serde_json::from_str(&m.labels).ok()?;
    labels["instance-type"].as_str().map(str::to_owned)
}

async fn pick(state: &AppState, caller: &AuthUser, b: &ExpansionRequest) -> Result<Vec<String>, ApiError> {
    if let Some(ids) = &b.machine_ids {
        if ids.is_empty() || ids.len() > MAX_NEW as usize {
            return Err(ApiError::bad_request(format!("machine_ids: 1-{MAX_NEW} machines")));
        }
        for (i, id) in ids.iter().enumerate() {
            let m = machines::find(&state.db, id)
                .await?
                .ok_or_else(|| ApiError::bad_request(format!("machine_ids[{i}]: no machine {id}")))?;
            if !usable(caller, &m) {
                return Err(ApiError::bad_request(format!(
                    "machine_ids[{i}]: machine {} is not a ready, free machine of yours",
                    m.name
                )));
            }
        }
        return Ok(ids.clone());
    }
    let count = b
        .node_count
        .filter(|n| (1..=MAX_NEW).contains(n))
        .ok_or_else(|| ApiError::bad_request(format!("node_count: 1-{MAX_NEW}")))?;
    let kind = b
        .instance_type
        .as_deref()
        .filter(|t| !t.is_empty() && t.len() <= 63 && t.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
        .ok_or_else(|| ApiError::bad_request("instance_type: the instance-type label to pick machines by"))?;
    let mut matching: Vec<String> = Vec::new();
    // Ready machines a page at a time (the inventory is bounded by its pages).
    for number in 1..=MAX_PAGES {
        let page = PageRequest::new(Some(number), Some(100)).map_err(ApiError::bad_request)?;
        let ready = machines::list(&state.db, Some(MachineStatus::Ready), page).await?;
        let last = ready.items.len() < 100;
        matching.extend(
            ready
                .items
                .iter()
                .filter(|m| usable(caller, m) && instance_type_of(m).as_deref() == Some(kind))
                .map(|m| m.id.clone()),
        );
        if last {
            break;
        }
    }
    if matching.len() < count as usize {
        return Err(ApiError::bad_request(format!(
            "node_count: {count} asked, but only {} ready, free machines are labelled instance-type={kind}",
            matching.len()
        )));
    }
    Ok(matching.into_iter().take(count as usize).collect())
}

#[derive(Debug)]
pub struct ExpansionApi;

#[OpenApi(tag = "ApiTags::Clusters")]
impl ExpansionApi {
    /// Join more ready machines to a cluster as workers (its owner or an
    /// admin): a cluster Taichu created, or an imported one with its
    /// control-plane machine named. 409 for a cluster with neither.
    #[oai(path = "/clusters/:id/expansion", method = "post", operation_id = "expand_cluster")]
    async fn expand(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        id: Path<String>,
        body: JsonBody<ExpansionRequest>,
    ) -> ApiResult<ExpansionView> {
        let cluster = load_cluster(&state, &id).await?;
        auth.0.require_owner(cluster.owner_id.as_deref(), "cluster")?;
        let control_plane = control_plane_of(&state, &cluster).await?;
        let new = pick(&state, &auth.0, &body.0).await?;
        let spec = spec_of(&state, &cluster).await?;
        let input = ExpandClusterInput {
            cluster_id: cluster.id.clone(),
            control_plane: control_plane.id.clone(),
            machines: new.clone(),
            spec,
        };
        let mut locks = vec![Lock::Cluster(cluster.id.clone())];
        locks.extend(new.iter().map(|m| Lock::Machine(m.clone())));
        let txn = db::begin_write(&state.db).await?;
        let started = state
            .engine
            .start_in::<ExpandCluster>(&txn, Some(cluster.id.clone()), &input, Some(&auth.0.starter()), &locks)
            .await?;
        txn.commit().await?;
        let run = state.engine.enqueue(started).await;
        Ok(ok(ExpansionView::of(&run, RunVisibility::Full)))
    }

    /// Name the registered machine that is one of an imported cluster's
    /// control planes, so the cluster can be expanded (its owner or an
    /// admin, with a machine they may use). Clusters Taichu created know
    /// theirs: 409.
    #[oai(
        path = "/clusters/:id/control-plane-machine",
        method = "put",
        operation_id = "set_control_plane_machine"
    )]
    async fn set_control_plane(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        id: Path<String>,
        body: JsonBody<ControlPlaneMachineRequest>,
    ) -> ApiResult<ClusterView> {
        let cluster = load_cluster(&state, &id).await?;
        auth.0.require_owner(cluster.owner_id.as_deref(), "cluster")?;
        if cluster.provider.as_deref() == Some(CREATED_PROVIDER) {
            return Err(ApiError::conflict(
                "Taichu created this cluster and knows its control planes",
            ));
        }
        let m = machines::find(&state.db, &body.0.machine_id)
            .await?
            .ok_or_else(|| ApiError::bad_request(format!("machine_id: no machine {}", body.0.machine_id)))?;
        auth.0.require_owner(m.owner_id.as_deref(), "machine")?;
        if m.role != "control-plane" {
            return Err(ApiError::bad_request(format!(
                "machine_id: machine {} has role {}, not control-plane",
                m.name, m.role
            )));
        }
        if m.machine_status() != MachineStatus::Ready {
            return Err(ApiError::bad_request(format!(
                "machine_id: machine {} is {}; check it until it is ready",
                m.name, m.status
            )));
        }
        if let Some(other) = m.cluster_id.as_deref().filter(|c| *c != cluster.id) {
            return Err(ApiError::conflict(format!("machine {} is in cluster {other}", m.name)));
        }
        let txn = db::begin_write(&state.db).await?;
        if let Some(holder) = operation_locks::holder(&txn, &Lock::Machine(m.id.clone()).key()).await? {
            return Err(ApiError::conflict(format!(
                "machine {} is busy: {} {} is running on it",
                m.name, holder.kind, holder.run_id
            )));
        }
        if let Some(old) = cluster.control_plane_machine_id.as_deref().filter(|o| *o != m.id) {
            machines::release_from_cluster(&txn, old, &cluster.id).await?;
        }
        let taken = machines::assign_to_cluster(&txn, std::slice::from_ref(&m.id), &cluster.id).await?;
        if taken == 0 && m.cluster_id.is_none() {
            return Err(ApiError::conflict(format!(
                "machine {} was just taken by another cluster",
                m.name
            )));
        }
        clusters::set_control_plane_machine(&txn, &cluster.id, &m.id).await?;
        txn.commit().await?;
        Ok(ok(load_cluster(&state, &cluster.id).await?.into()))
    }

    /// The cluster's expansions, newest first.
    #[oai(
        path = "/clusters/:id/expansion/history",
        method = "get",
        operation_id = "list_expansions"
    )]
    async fn history(&self, state: Data<&AppState>, auth: BearerAuth, id: Path<String>) -> ApiResult<ExpansionHistory> {
        let cluster = load_cluster(&state, &id).await?;
        let filter = RunFilter {
            kind: Some(ExpandCluster::KIND.to_owned()),
            status: None,
            subject: Some(cluster.id.clone()),
        };
        let page = PageRequest::new(Some(1), Some(100)).map_err(ApiError::bad_request)?;
        let found = runs::list(&state.db, filter, page).await?;
        let expansions = found
            .items
            .iter()
            .map(|r| ExpansionView::of(r, RunVisibility::for_caller(&auth.0, r)))
            .collect();
        Ok(ok(ExpansionHistory {
            expansions,
            total: found.total,
        }))
    }
}
