//! `GET/PUT /clusters/{id}/etcd`: where a cluster's etcd is and how to reach
//! it (the seed's field names), and how a backup finds its settings: inline
//! in the request, else the cluster's stored ones. Every path and URL is
//! checked before anything is stored; the SSH password is sealed and only
//! ever reported as `has_ssh_password`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::{Object, OpenApi};
use taichu_storage::db;
use taichu_storage::repositories::etcd_settings::{
    self, EtcdDeployment, EtcdMember, EtcdSettings, K8sDeployment, PasswordChange, StoredEtcd,
};
use taichu_storage::repositories::machines;
use taichu_storage::secrets::Slot;
use taichu_workflows::etcd::validate as checks;

use super::super::ApiTags;
use super::super::clusters::load_cluster;
use crate::auth::{AuthUser, BearerAuth, WriterAuth};
use crate::envelope::ok;
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::state::AppState;
use crate::validate;

/// One etcd member, as a restore needs it.
#[derive(Debug, Clone, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct EtcdMemberBody {
    /// The member's name (`--name`).
    pub name: String,
    /// Its peer URL (`--initial-advertise-peer-urls`), `http(s)://host:port`.
    pub peer_url: String,
    /// Its client URL, `https://host:port`.
    pub client_url: String,
    /// The host to log in to over SSH; defaults to the client URL's host
    /// (which must be a host of `etcd_endpoints`).
    #[serde(default)]
    pub host: Option<String>,
    /// This member's data dir, if it differs from `etcd_data_dir`.
    #[serde(default)]
    pub data_dir: Option<String>,
    /// This member's static pod manifests dir, if it differs from `manifests_dir`.
    #[serde(default)]
    pub manifests_dir: Option<String>,
}

/// etcd settings as a request gives them (the seed's field names). Paths are
/// on the etcd hosts; every one must be absolute.
#[derive(Debug, Clone, Default, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct EtcdSettingsBody {
    /// Comma-separated client URLs, e.g. `https://10.0.0.1:2379,https://10.0.0.2:2379`.
    #[serde(default)]
    pub etcd_endpoints: Option<String>,
    #[serde(default)]
    pub etcd_ca_cert: Option<String>,
    #[serde(default)]
    pub etcd_cert: Option<String>,
    #[serde(default)]
    pub etcd_key: Option<String>,
    /// Default `/var/lib/etcd`.
    #[serde(default)]
    pub etcd_data_dir: Option<String>,
    /// Default `/usr/local/bin/etcdctl`.
    #[serde(default)]
    pub etcdctl_path: Option<String>,
    /// Default: `etcdutl` beside etcdctl; without it, `etcdctl snapshot restore` (etcd 3.4).
    #[serde(default)]
    pub etcdutl_path: Option<String>,
    #[serde(default)]
    pub ssh_username: Option<String>,
    /// Sealed at rest, never returned. On PUT: absent keeps the stored one, `""` clears it.
    #[oai(write_only)]
    #[serde(default)]
    pub ssh_password: Option<String>,
    /// Default 22.
    #[serde(default)]
    pub ssh_port: Option<u16>,
    /// `standalone` (systemd, the default) or `kubeadm` (static pod).
    #[serde(default)]
    pub etcd_deployment_type: Option<String>,
    /// `kubeadm` (static pod, the default), `binary` (systemd) or `none`.
    #[serde(default)]
    pub k8s_deployment_type: Option<String>,
    /// Default `/etc/kubernetes/manifests`.
    #[serde(default)]
    pub manifests_dir: Option<String>,
    /// Stored machines to log in with (their own credentials), instead of a password.
    #[serde(default)]
    pub machine_ids: Option<Vec<String>>,
    /// The members; when absent, a restore asks `etcdctl member list`.
    #[serde(default)]
    pub members: Option<Vec<EtcdMemberBody>>,
}

/// A cluster's etcd settings as the API shows them.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EtcdSettingsView {
    pub cluster_id: String,
    pub etcd_endpoints: String,
    pub etcd_ca_cert: Option<String>,
    pub etcd_cert: Option<String>,
    pub etcd_key: Option<String>,
    pub etcd_data_dir: String,
    pub etcdctl_path: String,
    pub etcdutl_path: Option<String>,
    pub ssh_username: Option<String>,
    pub ssh_port: u16,
    /// Whether an SSH password is stored (it is never returned).
    pub has_ssh_password: bool,
    pub etcd_deployment_type: String,
    pub k8s_deployment_type: String,
    pub manifests_dir: String,
    pub machine_ids: Vec<String>,
    pub members: Vec<EtcdMemberView>,
    /// Host keys pinned on first contact, by host.
    pub host_keys: BTreeMap<String, String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EtcdMemberView {
    pub name: String,
    pub host: String,
    pub peer_url: String,
    pub client_url: String,
    pub data_dir: Option<String>,
    pub manifests_dir: Option<String>,
}

fn word<T: serde::de::DeserializeOwned>(field: &str, value: &str, allowed: &str) -> Result<T, ApiError> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| ApiError::bad_request(format!("{field}: must be one of {allowed}")))
}

fn deployment_words(settings: &EtcdSettings) -> (String, String) {
    let text = |v: serde_json::Result<serde_json::Value>| {
        v.ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    };
    (
        text(serde_json::to_value(settings.etcd_deployment)),
        text(serde_json::to_value(settings.k8s_deployment)),
    )
}

impl From<StoredEtcd> for EtcdSettingsView {
    fn from(stored: StoredEtcd) -> Self {
        let s = stored.settings;
        let (etcd_deployment_type, k8s_deployment_type) = deployment_words(&s);
        Self {
            cluster_id: stored.cluster_id,
            etcd_endpoints: s.endpoints.join(","),
            etcd_ca_cert: s.ca_cert,
            etcd_cert: s.cert,
            etcd_key: s.key,
            etcd_data_dir: s.data_dir,
            etcdctl_path: s.etcdctl_path,
            etcdutl_path: s.etcdutl_path,
            ssh_username: s.ssh_username,
            ssh_port: s.ssh_port,
            has_ssh_password: stored.ssh_password_enc.is_some(),
            etcd_deployment_type,
            k8s_deployment_type,
            manifests_dir: s.manifests_dir,
            machine_ids: s.machine_ids,
            members: s
                .members
                .into_iter()
                .map(|m| EtcdMemberView {
                    name: m.name,
                    host: m.host,
                    peer_url: m.peer_url,
                    client_url: m.client_url,
                    data_dir: m.data_dir,
                    manifests_dir: m.manifests_dir,
                })
                .collect(),
            host_keys: stored.host_keys,
            updated_at: stored.updated_at,
        }
    }
}

fn refused(e: checks::Refused) -> ApiError {
    ApiError::bad_request(e.to_string())
}

impl EtcdSettingsBody {
    /// Whether the body carries settings at all (a backup request may not).
    pub fn is_given(&self) -> bool {
        self.etcd_endpoints.is_some()
    }

    /// The typed, checked settings (without the password).
    pub fn settings(&self) -> Result<EtcdSettings, ApiError> {
        let endpoints: Vec<String> = self
            .etcd_endpoints
            .as_deref()
            .ok_or_else(|| ApiError::bad_request("etcd_endpoints: required"))?
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| e.trim_end_matches('/').to_owned())
            .collect();
        let members = self
            .members
            .clone()
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                let host = match m.host {
                    Some(host) => host,
                    None => checks::url_host(&format!("members[{i}].client_url"), &m.client_url).map_err(refused)?,
                };
                Ok(EtcdMember {
                    name: m.name,
                    host,
                    peer_url: m.peer_url.trim_end_matches('/').to_owned(),
                    client_url: m.client_url.trim_end_matches('/').to_owned(),
                    data_dir: m.data_dir,
                    manifests_dir: m.manifests_dir,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let settings = EtcdSettings {
            endpoints,
            ca_cert: self.etcd_ca_cert.clone(),
            cert: self.etcd_cert.clone(),
            key: self.etcd_key.clone(),
            data_dir: self.etcd_data_dir.clone().unwrap_or_else(|| "/var/lib/etcd".into()),
            etcdctl_path: self
                .etcdctl_path
                .clone()
                .unwrap_or_else(|| "/usr/local/bin/etcdctl".into()),
            etcdutl_path: self.etcdutl_path.clone(),
            ssh_username: self.ssh_username.clone(),
            ssh_port: self.ssh_port.unwrap_or(22),
            etcd_deployment: match &self.etcd_deployment_type {
                Some(v) => word("etcd_deployment_type", v, "standalone, kubeadm")?,
                None => EtcdDeployment::default(),
            },
            k8s_deployment: match &self.k8s_deployment_type {
                Some(v) => word("k8s_deployment_type", v, "kubeadm, binary, none")?,
                None => K8sDeployment::default(),
            },
            manifests_dir: self
                .manifests_dir
                .clone()
                .unwrap_or_else(|| "/etc/kubernetes/manifests".into()),
            machine_ids: self.machine_ids.clone().unwrap_or_default(),
            members,
        };
        checks::settings(&settings).map_err(refused)?;
        if let Some(password) = &self.ssh_password
            && password.len() > validate::MAX_PASSWORD
        {
            return Err(ApiError::bad_request("ssh_password: must be at most 1024 bytes"));
        }
        Ok(settings)
    }

    /// What the request says about the password, sealed for `slot` of `row_id`.
    pub fn password(&self, state: &AppState, slot: Slot, row_id: &str) -> PasswordChange {
        match self.ssh_password.as_deref() {
            None => PasswordChange::Keep,
            Some("") => PasswordChange::Clear,
            Some(p) => PasswordChange::Set(state.env.secrets.seal_str(slot, row_id, p)),
        }
    }
}

/// The machines named exist and the caller may use their credentials.
pub async fn check_machines(state: &AppState, caller: &AuthUser, ids: &[String]) -> Result<(), ApiError> {
    for (i, id) in ids.iter().enumerate() {
        let field = format!("machine_ids[{i}]");
        let machine = machines::find(&state.db, id)
            .await?
            .ok_or_else(|| ApiError::bad_request(format!("{field}: no machine {id}")))?;
        if !caller.can_manage(machine.owner_id.as_deref()) {
            return Err(ApiError::forbidden(format!(
                "{field}: only an admin or the machine's owner may use its credentials"
            )));
        }
    }
    Ok(())
}

/// Checks and stores `body` as the cluster's settings.
pub async fn store(
    state: &AppState,
    caller: &AuthUser,
    cluster_id: &str,
    body: &EtcdSettingsBody,
) -> Result<StoredEtcd, ApiError> {
    let settings = body.settings()?;
    check_machines(state, caller, &settings.machine_ids).await?;
    let password = body.password(state, Slot::ClusterEtcdSshPassword, cluster_id);
    let txn = db::begin_write(&state.db).await?;
    let stored = etcd_settings::save(&txn, cluster_id, &settings, password).await?;
    txn.commit().await?;
    Ok(stored)
}

#[derive(Debug)]
pub struct EtcdApi;

#[OpenApi(tag = "ApiTags::Backups")]
impl EtcdApi {
    /// The cluster's etcd settings (the SSH password only as `has_ssh_password`).
    #[oai(path = "/clusters/:id/etcd", method = "get", operation_id = "get_etcd_settings")]
    async fn get(&self, state: Data<&AppState>, _auth: BearerAuth, id: Path<String>) -> ApiResult<EtcdSettingsView> {
        let cluster = load_cluster(&state, &id).await?;
        let stored = etcd_settings::find(&state.db, &cluster.id)
            .await?
            .ok_or_else(|| ApiError::not_found("etcd settings"))?;
        Ok(ok(stored.into()))
    }

    /// Store the cluster's etcd settings (its owner or an admin). Every path
    /// and URL is checked first; nothing is stored when one is refused.
    #[oai(path = "/clusters/:id/etcd", method = "put", operation_id = "update_etcd_settings")]
    async fn put(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        id: Path<String>,
        body: JsonBody<EtcdSettingsBody>,
    ) -> ApiResult<EtcdSettingsView> {
        let cluster = load_cluster(&state, &id).await?;
        auth.0.require_owner(cluster.owner_id.as_deref(), "cluster")?;
        Ok(ok(store(&state, &auth.0, &cluster.id, &body.0).await?.into()))
    }
}
