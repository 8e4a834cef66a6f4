//! Seed section 机器管理接口: the machine inventory. Credentials are accepted,
//! encrypted at rest, and never returned (`has_password`, `has_private_key`).

use std::collections::BTreeMap;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{Object, OpenApi};
use taichu_storage::PageRequest;
use taichu_storage::entities::machines::{ActiveModel, Model};
use taichu_storage::repositories::machines::{self, NewMachine, status};
use taichu_storage::sea_orm::{IntoActiveModel, Set};
use taichu_workflows::check_machine::{CheckMachine, CheckMachineInput};
use taichu_workflows::ssh;

use super::ApiTags;
use super::workflows::RunSummary;
use crate::auth::{AuthUser, BearerAuth};
use crate::envelope::{MessageData, ok};
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::state::AppState;
use crate::validate;

const ROLES: [&str; 3] = ["control-plane", "worker", "etcd"];

/// A machine as the API shows it: credentials only as `has_*` flags.
#[derive(Debug, Object)]
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
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Model> for MachineView {
    fn from(m: Model) -> Self {
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
            status: m.status,
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
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct MachineList {
    pub machines: Vec<MachineView>,
    pub total: u64,
}

/// A new machine: a password or a private key (or both) is required.
#[derive(Debug, Object, serde::Deserialize)]
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
pub struct CreatedMachine {
    #[oai(flatten)]
    pub machine: MachineView,
    pub check_workflow_id: String,
}

/// Fields to change; absent fields stay. New credentials replace old ones.
#[derive(Debug, Object, serde::Deserialize)]
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
pub struct MachineStatusRequest {
    /// `ready` or `maintenance` (the others are set by Taichu itself).
    pub status: String,
}

fn check_name(name: &str) -> Result<(), ApiError> {
    validate::name("name", name, 1, 64)
}

fn check_ip(ip: &str) -> Result<String, ApiError> {
    ip.parse::<IpAddr>()
        .map(|a| a.to_string())
        .map_err(|_| ApiError::bad_request("ip: not a valid IPv4 or IPv6 address"))
}

fn check_port(port: u16) -> Result<i32, ApiError> {
    if port == 0 {
        Err(ApiError::bad_request("port: must be 1-65535"))
    } else {
        Ok(i32::from(port))
    }
}

/// POSIX user names: a letter or `_`, then letters, digits, `_`, `-`; at most 32.
fn check_username(name: &str) -> Result<(), ApiError> {
    let mut chars = name.chars();
    let ok = name.len() <= 32
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request("username: not a valid user name"))
    }
}

fn check_role(role: &str) -> Result<(), ApiError> {
    if ROLES.contains(&role) {
        Ok(())
    } else {
        Err(ApiError::bad_request("role: must be control-plane, worker or etcd"))
    }
}

fn check_labels(labels: &BTreeMap<String, String>) -> Result<String, ApiError> {
    for (k, v) in labels {
        validate::token("labels", k, 63)?;
        validate::text("labels", v, 253)?;
    }
    serde_json::to_string(labels).map_err(ApiError::internal)
}

fn check_key(pem: &str, passphrase: Option<&str>) -> Result<(), ApiError> {
    ssh::validate_private_key(pem, passphrase)
        .map_err(|e| ApiError::bad_request(format!("private_key: cannot be used: {e}")))
}

fn seal(state: &AppState, value: Option<String>) -> Option<String> {
    value.map(|v| state.secrets.encrypt_str(&v))
}

async fn load(state: &AppState, id: &str) -> Result<Model, ApiError> {
    machines::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("machine"))
}

async fn start_check(state: &AppState, machine: &Model, caller: &AuthUser) -> Result<RunSummary, ApiError> {
    let input = CheckMachineInput {
        machine_id: machine.id.clone(),
    };
    let run = state
        .engine
        .start::<CheckMachine>(Some(machine.id.clone()), &input, Some(caller.username.clone()))
        .await?;
    Ok((&run).into())
}

fn not_in_use(machine: &Model) -> Result<(), ApiError> {
    match &machine.cluster_id {
        _ if machine.status == status::IN_USE => Err(ApiError::conflict("machine is in use by a cluster")),
        Some(cluster) => Err(ApiError::conflict(format!("machine is in use by cluster {cluster}"))),
        None => Ok(()),
    }
}

#[derive(Debug)]
pub struct MachinesApi;

#[OpenApi(tag = "ApiTags::Machines")]
impl MachinesApi {
    /// Add a machine; a `check_machine` run starts at once.
    #[oai(path = "/machines", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: JsonBody<CreateMachineRequest>,
    ) -> ApiResult<CreatedMachine> {
        let b = body.0;
        check_name(&b.name)?;
        let ip = check_ip(&b.ip)?;
        let port = check_port(b.port.unwrap_or(22))?;
        check_username(&b.username)?;
        check_role(&b.role)?;
        let labels = check_labels(&b.labels.unwrap_or_default())?;
        if let Some(d) = &b.description {
            validate::text("description", d, 1024)?;
        }
        if b.password.as_deref().is_none_or(str::is_empty) && b.private_key.as_deref().is_none_or(str::is_empty) {
            return Err(ApiError::bad_request(
                "password: a password or a private_key is required",
            ));
        }
        if let Some(pem) = &b.private_key {
            check_key(pem, b.passphrase.as_deref())?;
        }
        let new = NewMachine {
            name: b.name,
            ip,
            port,
            username: b.username,
            password_enc: seal(&state, b.password.filter(|p| !p.is_empty())),
            private_key_enc: seal(&state, b.private_key),
            passphrase_enc: seal(&state, b.passphrase),
            role: b.role,
            labels,
            description: b.description,
        };
        let machine = machines::create(&state.db, new).await?;
        let run = match start_check(&state, &machine, &auth.0).await {
            Ok(run) => run,
            Err(err) => {
                // Nothing half-written: no machine without its first check.
                machines::delete(&state.db, &machine.id).await?;
                return Err(err);
            }
        };
        Ok(ok(CreatedMachine {
            machine: machine.into(),
            check_workflow_id: run.id,
        }))
    }

    /// List machines.
    #[oai(path = "/machines", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        status: Query<Option<String>>,
        page: Query<Option<u64>>,
        limit: Query<Option<u64>>,
    ) -> ApiResult<MachineList> {
        let page = PageRequest::new(page.0, limit.0).map_err(ApiError::bad_request)?;
        let found = machines::list(&state.db, status.0, page).await?;
        Ok(ok(MachineList {
            machines: found.items.into_iter().map(Into::into).collect(),
            total: found.total,
        }))
    }

    /// One machine.
    #[oai(path = "/machines/:id", method = "get")]
    async fn get(&self, state: Data<&AppState>, _auth: BearerAuth, id: Path<String>) -> ApiResult<MachineView> {
        Ok(ok(load(&state, &id).await?.into()))
    }

    /// Change a machine. New credentials replace the stored ones.
    #[oai(path = "/machines/:id", method = "put")]
    async fn update(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
        body: JsonBody<UpdateMachineRequest>,
    ) -> ApiResult<MachineView> {
        let b = body.0;
        let machine = load(&state, &id).await?;
        let mut row: ActiveModel = machine.into_active_model();
        if let Some(name) = b.name {
            check_name(&name)?;
            row.name = Set(name);
        }
        if let Some(ip) = b.ip {
            row.ip = Set(check_ip(&ip)?);
        }
        if let Some(port) = b.port {
            row.port = Set(check_port(port)?);
        }
        if let Some(username) = b.username {
            check_username(&username)?;
            row.username = Set(username);
        }
        if let Some(role) = b.role {
            check_role(&role)?;
            row.role = Set(role);
        }
        if let Some(labels) = b.labels {
            row.labels = Set(check_labels(&labels)?);
        }
        if let Some(d) = b.description {
            validate::text("description", &d, 1024)?;
            row.description = Set(Some(d));
        }
        if let Some(pem) = &b.private_key {
            check_key(pem, b.passphrase.as_deref())?;
            row.private_key_enc = Set(seal(&state, Some(pem.clone())));
            row.passphrase_enc = Set(seal(&state, b.passphrase.clone()));
        }
        if let Some(password) = b.password.filter(|p| !p.is_empty()) {
            row.password_enc = Set(seal(&state, Some(password)));
        }
        if b.reset_host_key == Some(true) {
            row.host_key_fingerprint = Set(None);
        }
        Ok(ok(machines::save(&state.db, row).await?.into()))
    }

    /// Delete a machine; refused while a cluster uses it.
    #[oai(path = "/machines/:id", method = "delete")]
    async fn delete(&self, state: Data<&AppState>, _auth: BearerAuth, id: Path<String>) -> ApiResult<MessageData> {
        let machine = load(&state, &id).await?;
        not_in_use(&machine)?;
        machines::delete(&state.db, &machine.id).await?;
        Ok(ok(MessageData::new("machine deleted")))
    }

    /// Set a machine `ready` or put it in `maintenance`.
    #[oai(path = "/machines/:id/status", method = "put")]
    async fn set_status(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
        body: JsonBody<MachineStatusRequest>,
    ) -> ApiResult<MachineView> {
        if ![status::READY, status::MAINTENANCE].contains(&body.status.as_str()) {
            return Err(ApiError::bad_request("status: must be ready or maintenance"));
        }
        let machine = load(&state, &id).await?;
        not_in_use(&machine)?;
        let mut row = machine.into_active_model();
        row.status = Set(body.0.status);
        Ok(ok(machines::save(&state.db, row).await?.into()))
    }

    /// Check a machine again: connect, verify the host key, refresh its facts.
    #[oai(path = "/machines/:id/check", method = "post")]
    async fn check(&self, state: Data<&AppState>, auth: BearerAuth, id: Path<String>) -> ApiResult<RunSummary> {
        let machine = load(&state, &id).await?;
        Ok(ok(start_check(&state, &machine, &auth.0).await?))
    }
}
