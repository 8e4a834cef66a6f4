//! Seed 通过机器创建集群: `POST /clusters/create`. Everything is checked
//! before anything is written (the machines ready, free and the caller's to
//! use, the versions and networks well-formed); then the cluster row
//! (`creating`), the `create_cluster` run and the machines' locks go in
//! one transaction, so two overlapping requests never both win.

use poem::web::Data;
use poem_openapi::{Object, OpenApi};
use taichu_storage::repositories::clusters::{self, ClusterStatus, NewCluster};
use taichu_storage::repositories::machines::{self, MachineStatus};
use taichu_storage::{db, new_id};
use taichu_workflows::Lock;
use taichu_workflows::create_cluster::{CreateCluster, CreateClusterInput};
use taichu_workflows::kubeadm::spec::MAX_MACHINES;
use taichu_workflows::kubeadm::{ClusterSpec, Cni, PackageSource};

use super::ApiTags;
use super::create_tasks::CreateTaskDetail;
use crate::auth::WriterAuth;
use crate::envelope::ok;
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::state::AppState;

/// The `provider` of clusters Taichu created (and so may tear down).
pub const CREATED_PROVIDER: &str = "kubeadm";

/// A cluster to create from registered machines.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct CreateFromMachinesRequest {
    /// 1-63 lower-case letters, digits and `-`.
    pub cluster_name: String,
    /// Registered machines, `ready` and in no cluster: at least one with role
    /// `control-plane` (kubeadm init runs on the first; more need
    /// `control_plane_endpoint`), the others workers.
    pub machine_ids: Vec<String>,
    /// e.g. `v1.30.4`.
    pub kubernetes_version: String,
    /// Default `10.244.0.0/16`.
    #[serde(default)]
    pub pod_cidr: Option<String>,
    /// Default `10.96.0.0/12`; must not overlap `pod_cidr`.
    #[serde(default)]
    pub service_cidr: Option<String>,
    /// `calico` (default), `flannel` or `none`.
    #[serde(default)]
    pub cni: Option<String>,
    /// An `https://` URL or an inline YAML manifest instead of the plugin's default one.
    #[serde(default)]
    pub cni_manifest: Option<String>,
    /// Default `unix:///run/containerd/containerd.sock`.
    #[serde(default)]
    pub container_runtime_endpoint: Option<String>,
    /// `host:port` in front of the control planes.
    #[serde(default)]
    pub control_plane_endpoint: Option<String>,
    #[serde(default)]
    pub image_repository: Option<String>,
    /// `preinstalled` (default: kubeadm, kubelet and kubectl are there at the
    /// requested version) or `apt` (installed from `apt_repository`).
    #[serde(default)]
    pub package_source: Option<String>,
    #[serde(default)]
    pub apt_repository: Option<String>,
}

fn spec_of(b: &CreateFromMachinesRequest) -> Result<ClusterSpec, ApiError> {
    let cni = match b.cni.as_deref() {
        None | Some("calico") => Cni::Calico,
        Some("flannel") => Cni::Flannel,
        Some("none") => Cni::None,
        Some(_) => return Err(ApiError::bad_request("cni: calico, flannel or none")),
    };
    let package_source = match (b.package_source.as_deref(), &b.apt_repository) {
        (None | Some("preinstalled"), None) => PackageSource::Preinstalled,
        (Some("apt"), Some(repository)) => PackageSource::Apt {
            repository: repository.clone(),
        },
        (Some("apt"), None) => {
            return Err(ApiError::bad_request(
                "apt_repository: required with package_source apt",
            ));
        }
        (None | Some("preinstalled"), Some(_)) => {
            return Err(ApiError::bad_request("apt_repository: only with package_source apt"));
        }
        (Some(_), _) => return Err(ApiError::bad_request("package_source: preinstalled or apt")),
    };
    Ok(ClusterSpec {
        cluster_name: b.cluster_name.clone(),
        kubernetes_version: b.kubernetes_version.clone(),
        pod_cidr: b.pod_cidr.clone().unwrap_or_else(|| "10.244.0.0/16".into()),
        service_cidr: b.service_cidr.clone().unwrap_or_else(|| "10.96.0.0/12".into()),
        cni,
        cni_manifest: b.cni_manifest.clone(),
        container_runtime_endpoint: b
            .container_runtime_endpoint
            .clone()
            .unwrap_or_else(|| "unix:///run/containerd/containerd.sock".into()),
        control_plane_endpoint: b.control_plane_endpoint.clone(),
        image_repository: b.image_repository.clone(),
        package_source,
    })
}

/// A Kubernetes node name from a machine name.
pub fn node_name_ok(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (1..=63).contains(&lower.len())
        && lower
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !lower.starts_with('-')
        && !lower.ends_with('-')
}

#[derive(Debug)]
pub struct ClusterCreateApi;

#[OpenApi(tag = "ApiTags::Clusters")]
impl ClusterCreateApi {
    /// Create a cluster with kubeadm on registered machines (theirs or an
    /// admin's); returns the create task at once. 409 names a machine already
    /// taken by another cluster or task.
    #[oai(
        path = "/clusters/create",
        method = "post",
        operation_id = "create_cluster_from_machines"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        body: JsonBody<CreateFromMachinesRequest>,
    ) -> ApiResult<CreateTaskDetail> {
        let b = &body.0;
        let spec = spec_of(b)?;
        if b.machine_ids.is_empty() || b.machine_ids.len() > MAX_MACHINES {
            return Err(ApiError::bad_request(format!("machine_ids: 1-{MAX_MACHINES} machines")));
        }
        let mut control_planes = Vec::new();
        let mut workers = Vec::new();
        for (i, id) in b.machine_ids.iter().enumerate() {
            let field = format!("machine_ids[{i}]");
            if b.machine_ids[..i].contains(id) {
                return Err(ApiError::bad_request(format!("{field}: {id} is named twice")));
            }
            let m = machines::find(&state.db, id)
                .await?
                .ok_or_else(|| ApiError::bad_request(format!("{field}: no machine {id}")))?;
            auth.0.require_owner(m.owner_id.as_deref(), "machine")?;
            if m.machine_status() != MachineStatus::Ready {
                return Err(ApiError::bad_request(format!(
                    "{field}: machine {} is {}; check it until it is ready",
                    m.name, m.status
                )));
            }
            if let Some(cluster) = &m.cluster_id {
                return Err(ApiError::conflict(format!(
                    "{field}: machine {} is in cluster {cluster}",
                    m.name
                )));
            }
            if !node_name_ok(&m.name) {
                return Err(ApiError::bad_request(format!(
                    "{field}: machine name {:?} cannot be a node name (letters, digits and '-')",
                    m.name
                )));
            }
            match m.role.as_str() {
                "control-plane" => control_planes.push(m.id.clone()),
                _ => workers.push(m.id.clone()),
            }
        }
        spec.check(control_planes.len())
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        if control_planes.is_empty() {
            return Err(ApiError::bad_request(
                "machine_ids: name at least one machine with role control-plane",
            ));
        }
        let control_plane = control_planes.remove(0);
        let id = new_id();
        let input = CreateClusterInput {
            cluster_id: id.clone(),
            cluster_name: spec.cluster_name.clone(),
            spec,
            control_plane,
            other_control_planes: control_planes,
            workers,
        };
        let mut locks = vec![Lock::Cluster(id.clone())];
        locks.extend(b.machine_ids.iter().map(|m| Lock::Machine(m.clone())));
        let txn = db::begin_write(&state.db).await?;
        clusters::create(
            &txn,
            NewCluster {
                id: id.clone(),
                name: input.cluster_name.clone(),
                provider: Some(CREATED_PROVIDER.into()),
                version: Some(input.spec.kubernetes_version.clone()),
                created_by: Some(auth.0.username.clone()),
                owner_id: Some(auth.0.id.clone()),
                status: Some(ClusterStatus::Creating),
                ..Default::default()
            },
        )
        .await?;
        let started = state
            .engine
            .start_in::<CreateCluster>(&txn, Some(id.clone()), &input, Some(&auth.0.starter()), &locks)
            .await?;
        txn.commit().await?;
        let run = state.engine.enqueue(started).await;
        Ok(ok(CreateTaskDetail::started(&state, &run).await?))
    }
}
