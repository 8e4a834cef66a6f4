//! Where each cluster's etcd is and how to reach it. The settings are JSON
//! (no secrets); the SSH password is sealed; host keys are pinned per host
//! on first contact.

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};

use crate::entities::cluster_etcd::{ActiveModel, Column, Entity, Model};
use crate::{Result, StorageError};

/// How etcd runs on its hosts, which decides how a restore stops and starts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum EtcdDeployment {
    /// A systemd service (`systemctl stop|start etcd`).
    #[default]
    #[serde(alias = "systemd")]
    Standalone,
    /// A static pod (`etcd.yaml` in the manifests directory).
    #[serde(alias = "static-pod")]
    Kubeadm,
}

/// How the Kubernetes control plane runs next to etcd.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum K8sDeployment {
    /// Static pods (`kube-apiserver.yaml` in the manifests directory).
    #[default]
    Kubeadm,
    /// A systemd service (`systemctl stop|start kube-apiserver`).
    #[serde(alias = "systemd")]
    Binary,
    /// No API server on the etcd hosts.
    None,
}

/// One etcd member, as a restore needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EtcdMember {
    pub name: String,
    /// The host to reach it over SSH (its machine's address).
    pub host: String,
    pub peer_url: String,
    pub client_url: String,
    /// This member's data dir, where it differs from the settings' `data_dir`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<String>,
    /// This member's static pod manifests dir, where it differs from `manifests_dir`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifests_dir: Option<String>,
}

impl EtcdMember {
    pub fn data_dir<'a>(&'a self, settings: &'a EtcdSettings) -> &'a str {
        self.data_dir.as_deref().unwrap_or(&settings.data_dir)
    }

    pub fn manifests_dir<'a>(&'a self, settings: &'a EtcdSettings) -> &'a str {
        self.manifests_dir.as_deref().unwrap_or(&settings.manifests_dir)
    }
}

/// A cluster's etcd settings (the seed's fields, typed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EtcdSettings {
    pub endpoints: Vec<String>,
    pub ca_cert: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
    pub data_dir: String,
    pub etcdctl_path: String,
    /// Where `etcdutl` is (etcd 3.5+); unset: beside etcdctl, else `etcdctl snapshot restore`.
    pub etcdutl_path: Option<String>,
    pub ssh_username: Option<String>,
    pub ssh_port: u16,
    pub etcd_deployment: EtcdDeployment,
    pub k8s_deployment: K8sDeployment,
    pub manifests_dir: String,
    /// Stored machines to reach the hosts with (their own credentials and keys).
    pub machine_ids: Vec<String>,
    /// Members as given or discovered (`etcdctl member list`).
    pub members: Vec<EtcdMember>,
}

/// The stored row, typed.
#[derive(Debug, Clone)]
pub struct StoredEtcd {
    pub cluster_id: String,
    pub settings: EtcdSettings,
    pub ssh_password_enc: Option<String>,
    pub host_keys: BTreeMap<String, String>,
    pub updated_at: chrono::DateTime<Utc>,
}

fn corrupt(e: serde_json::Error) -> StorageError {
    StorageError::Corrupt(format!("stored etcd settings: {e}"))
}

impl TryFrom<Model> for StoredEtcd {
    type Error = StorageError;
    fn try_from(m: Model) -> Result<Self> {
        Ok(Self {
            settings: serde_json::from_str(&m.settings).map_err(corrupt)?,
            host_keys: serde_json::from_str(&m.host_keys).map_err(corrupt)?,
            cluster_id: m.cluster_id,
            ssh_password_enc: m.ssh_password_enc,
            updated_at: m.updated_at,
        })
    }
}

pub async fn find(db: &impl ConnectionTrait, cluster_id: &str) -> Result<Option<StoredEtcd>> {
    Entity::find_by_id(cluster_id.to_owned())
        .one(db)
        .await?
        .map(StoredEtcd::try_from)
        .transpose()
}

/// What a save changes about the password.
#[derive(Debug, Clone)]
pub enum PasswordChange {
    Keep,
    Clear,
    /// Sealed for this row.
    Set(String),
}

/// Stores `settings` for the cluster (replacing what was there; pinned host
/// keys of hosts still named are kept).
pub async fn save(
    db: &impl ConnectionTrait,
    cluster_id: &str,
    settings: &EtcdSettings,
    password: PasswordChange,
) -> Result<StoredEtcd> {
    let existing = find(db, cluster_id).await?;
    let hosts: Vec<String> = settings.members.iter().map(|m| m.host.clone()).collect();
    let host_keys: BTreeMap<String, String> = existing
        .as_ref()
        .map(|e| e.host_keys.clone())
        .unwrap_or_default()
        .into_iter()
        .filter(|(h, _)| hosts.is_empty() || hosts.contains(h) || endpoint_hosts(settings).contains(h))
        .collect();
    let ssh_password_enc = match password {
        PasswordChange::Keep => existing.and_then(|e| e.ssh_password_enc),
        PasswordChange::Clear => None,
        PasswordChange::Set(sealed) => Some(sealed),
    };
    let row = ActiveModel {
        cluster_id: Set(cluster_id.to_owned()),
        settings: Set(serde_json::to_string(settings).map_err(corrupt)?),
        ssh_password_enc: Set(ssh_password_enc),
        host_keys: Set(serde_json::to_string(&host_keys).map_err(corrupt)?),
        updated_at: Set(Utc::now()),
    };
    Entity::insert(row)
        .on_conflict(
            OnConflict::column(Column::ClusterId)
                .update_columns([
                    Column::Settings,
                    Column::SshPasswordEnc,
                    Column::HostKeys,
                    Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    find(db, cluster_id)
        .await?
        .ok_or_else(|| StorageError::Corrupt("etcd settings vanished after saving".into()))
}

/// The hosts the endpoints name.
pub fn endpoint_hosts(settings: &EtcdSettings) -> Vec<String> {
    settings
        .endpoints
        .iter()
        .filter_map(|e| {
            let rest = e.split_once("://").map_or(e.as_str(), |(_, r)| r);
            let host = rest.rsplit_once(':').map_or(rest, |(h, _)| h);
            let host = host.trim_start_matches('[').trim_end_matches(']');
            (!host.is_empty()).then(|| host.to_owned())
        })
        .collect()
}

/// Records the members discovered from the cluster.
pub async fn record_members(db: &impl ConnectionTrait, cluster_id: &str, members: Vec<EtcdMember>) -> Result<()> {
    if let Some(mut stored) = find(db, cluster_id).await? {
        stored.settings.members = members;
        save(db, cluster_id, &stored.settings, PasswordChange::Keep).await?;
    }
    Ok(())
}

/// Pins `fingerprint` for `host` if none is pinned; returns the pinned one.
pub async fn pin_host_key(
    db: &impl ConnectionTrait,
    cluster_id: &str,
    host: &str,
    fingerprint: &str,
) -> Result<String> {
    let Some(model) = Entity::find_by_id(cluster_id.to_owned()).one(db).await? else {
        return Ok(fingerprint.to_owned());
    };
    let mut keys: BTreeMap<String, String> = serde_json::from_str(&model.host_keys).map_err(corrupt)?;
    if let Some(pinned) = keys.get(host) {
        return Ok(pinned.clone());
    }
    keys.insert(host.to_owned(), fingerprint.to_owned());
    Entity::update(ActiveModel {
        cluster_id: Set(cluster_id.to_owned()),
        host_keys: Set(serde_json::to_string(&keys).map_err(corrupt)?),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(fingerprint.to_owned())
}
