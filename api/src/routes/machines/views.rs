//! The machine as the API shows it (credentials only as `has_*` flags) and
//! the bodies the machine routes take.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use taichu_storage::entities::machines::Model;

/// A machine as the API shows it: credentials only as `has_*` flags.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MachineView {
    pub id: String,
    pub name: String,
    pub ip: String,
    pub port: i32,
    pub username: String,
    /// `control-plane`, `worker` or `etcd`.
    pub role: String,
    pub labels: BTreeMap<String, String>,
    pub description: Option<String>,
    /// `pending`, `ready`, `unreachable`, `in-use` or `maintenance`.
    pub status: String,
    /// Result of the last check: why a machine is unreachable, for instance.
    pub status_message: Option<String>,
    pub last_check_at: Option<DateTime<Utc>>,
    /// Pinned on first contact (`SHA256:…`); a different key is refused.
    pub host_key_fingerprint: Option<String>,
    pub has_password: bool,
    pub has_private_key: bool,
    pub has_passphrase: bool,
    pub hostname: Option<String>,
    pub os: Option<String>,
    pub kernel: Option<String>,
    pub arch: Option<String>,
    pub cpu_cores: Option<i32>,
    pub memory_bytes: Option<i64>,
    /// The cluster using this machine, if any.
    pub cluster_id: Option<String>,
    /// The owner's user id; the owner and admins may change, check or delete it.
    pub owner_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Model> for MachineView {
    fn from(m: Model) -> Self {
        let shown_status = m.machine_status().as_str().to_owned();
        Self {
            labels: serde_json::from_str(&m.labels).unwrap_or_default(),
            has_password: m.password_enc.is_some(),
            has_private_key: m.private_key_enc.is_some(),
            has_passphrase: m.passphrase_enc.is_some(),
            id: m.id,
            name: m.name,
            ip: m.ip,
            port: m.port,
            username: m.username,
            role: m.role,
            description: m.description,
            status: shown_status,
            status_message: m.status_message,
            last_check_at: m.last_check_at,
            host_key_fingerprint: m.host_key_fingerprint,
            hostname: m.hostname,
            os: m.os,
            kernel: m.kernel,
            arch: m.arch,
            cpu_cores: m.cpu_cores,
            memory_bytes: m.memory_bytes,
            cluster_id: m.cluster_id,
            owner_id: m.owner_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MachineList {
    pub machines: Vec<MachineView>,
    pub total: u64,
}

/// A new machine: a password or a private key (or both) is required.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct CreateMachineRequest {
    /// Unique; 1-64 characters of A-Z, a-z, 0-9, `_`, `.`, `-`.
    pub name: String,
    /// IPv4 or IPv6 address.
    pub ip: String,
    /// SSH port, default 22.
    pub port: Option<u16>,
    pub username: String,
    #[oai(write_only)]
    pub password: Option<String>,
    /// PEM or OpenSSH private key.
    #[oai(write_only)]
    pub private_key: Option<String>,
    #[oai(write_only)]
    pub passphrase: Option<String>,
    /// `control-plane`, `worker` or `etcd`.
    pub role: String,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    pub description: Option<String>,
}

/// A created machine and the check run that probes it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreatedMachine {
    #[oai(flatten)]
    pub machine: MachineView,
    pub check_workflow_id: String,
}

/// Fields to change; absent fields stay. Changing `ip`, `port` or `username`,
/// or `reset_host_key`, needs the credentials (`password` or `private_key`)
/// again in the same request: stored credentials never go to a new
/// destination. New credentials replace all stored ones.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct UpdateMachineRequest {
    pub name: Option<String>,
    pub ip: Option<String>,
    pub port: Option<u16>,
    pub username: Option<String>,
    #[oai(write_only)]
    pub password: Option<String>,
    #[oai(write_only)]
    pub private_key: Option<String>,
    #[oai(write_only)]
    pub passphrase: Option<String>,
    pub role: Option<String>,
    pub labels: Option<BTreeMap<String, String>>,
    pub description: Option<String>,
    /// Forget the pinned host key; the next check pins the key it finds.
    #[serde(default)]
    pub reset_host_key: Option<bool>,
}

#[derive(Debug, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct MachineStatusRequest {
    /// `ready` or `maintenance` (the others are set by Taichu itself).
    pub status: String,
}
