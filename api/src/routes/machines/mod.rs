//! Seed section 机器管理接口: the machine inventory. Credentials are accepted,
//! encrypted at rest, and never returned (`has_password`, `has_private_key`).

/// Sealing credentials a request brings, after checking keys.
mod credentials;
/// The machine view and the request bodies.
mod views;

use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Path, Query};
use taichu_storage::entities::machines::Model;
use taichu_storage::repositories::machines::{self, Access, MachineChanges, MachineStatus, NewMachine};
use taichu_storage::{ConnectionTrait, PageRequest, db, new_id};
use taichu_workflows::Lock;
use taichu_workflows::check_machine::{CheckMachine, CheckMachineInput};

use super::ApiTags;
use super::workflows::RunSummary;
use crate::auth::{AuthUser, BearerAuth, WriterAuth};
use crate::envelope::{MessageData, ok};
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::state::AppState;
use crate::validate;

use self::credentials::{Credentials, check_labels, check_name};
pub use self::views::{
    CreateMachineRequest, CreatedMachine, MachineList, MachineStatusRequest, MachineView, UpdateMachineRequest,
};

const ROLES: [&str; 3] = ["control-plane", "worker", "etcd"];

async fn load(state: &AppState, id: &str) -> Result<Model, ApiError> {
    machines::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("machine"))
}

/// Loads a machine the caller may change: its owner or an admin.
async fn load_owned(state: &AppState, id: &str, caller: &AuthUser) -> Result<Model, ApiError> {
    let machine = load(state, id).await?;
    caller.require_owner(machine.owner_id.as_deref(), "machine")?;
    Ok(machine)
}

/// Starts a check of `machine` in `txn`. A check only looks, so it takes no
/// lock: it runs beside whatever else acts on the machine.
async fn start_check(
    state: &AppState,
    txn: &impl ConnectionTrait,
    machine: &Model,
    caller: &AuthUser,
) -> Result<taichu_workflows::Started, ApiError> {
    let input = CheckMachineInput {
        machine_id: machine.id.clone(),
    };
    Ok(state
        .engine
        .start_in::<CheckMachine>(txn, Some(machine.id.clone()), &input, Some(&caller.starter()), &[])
        .await?)
}

fn not_in_use(machine: &Model) -> Result<(), ApiError> {
    match &machine.cluster_id {
        Some(cluster) => Err(ApiError::conflict(format!("machine is in use by cluster {cluster}"))),
        None => Ok(()),
    }
}

#[derive(Debug)]
pub struct MachinesApi;

#[OpenApi(tag = "ApiTags::Machines")]
impl MachinesApi {
    /// Add a machine; a `check_machine` run starts at once.
    #[oai(path = "/machines", method = "post", operation_id = "create_machine")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        body: JsonBody<CreateMachineRequest>,
    ) -> ApiResult<CreatedMachine> {
        let b = body.0;
        check_name(&b.name)?;
        let ip = validate::ip("ip", &b.ip)?;
        let port = validate::port("port", b.port.unwrap_or(22))?;
        validate::posix_user("username", &b.username)?;
        validate::one_of("role", &b.role, &ROLES)?;
        let labels = check_labels(&b.labels.unwrap_or_default())?;
        if let Some(d) = &b.description {
            validate::text("description", d, 1024)?;
        }
        let id = new_id();
        let credentials = Credentials::from_request(
            &state,
            &id,
            b.password.as_deref(),
            b.private_key.as_deref(),
            b.passphrase.as_deref(),
        )
        .await?
        .ok_or_else(|| ApiError::bad_request("password: a password or a private_key is required"))?;
        let new = NewMachine {
            id,
            name: b.name,
            ip,
            port,
            username: b.username,
            password_enc: credentials.password_enc,
            private_key_enc: credentials.private_key_enc,
            passphrase_enc: credentials.passphrase_enc,
            role: b.role,
            labels,
            description: b.description,
            owner_id: Some(auth.0.id.clone()),
        };
        // The machine and its first check commit together, or neither does.
        let txn = db::begin_write(&state.db).await?;
        let machine = machines::create(&txn, new).await?;
        let started = start_check(&state, &txn, &machine, &auth.0).await?;
        txn.commit().await?;
        let run = state.engine.enqueue(started).await;
        Ok(ok(CreatedMachine {
            machine: machine.into(),
            check_workflow_id: run.id,
        }))
    }

    /// List machines.
    #[oai(path = "/machines", method = "get", operation_id = "list_machines")]
    async fn list(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        status: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u64>>,
    ) -> ApiResult<MachineList> {
        let page = PageRequest::new(page.0, limit.0).map_err(ApiError::bad_request)?;
        let status = validate::word::<MachineStatus>("status", status.0)?;
        let found = machines::list(&state.db, status, page).await?;
        Ok(ok(MachineList {
            machines: found.items.into_iter().map(Into::into).collect(),
            total: found.total,
        }))
    }

    /// One machine.
    #[oai(path = "/machines/:id", method = "get", operation_id = "get_machine")]
    async fn get(&self, state: Data<&AppState>, _auth: BearerAuth, id: Path<String>) -> ApiResult<MachineView> {
        Ok(ok(load(&state, &id).await?.into()))
    }

    /// Change a machine (its owner or an admin; not while a cluster uses it).
    /// A new address, user or host key needs the credentials again.
    #[oai(path = "/machines/:id", method = "put", operation_id = "update_machine")]
    async fn update(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        id: Path<String>,
        body: JsonBody<UpdateMachineRequest>,
    ) -> ApiResult<MachineView> {
        let b = body.0;
        let machine = load_owned(&state, &id, &auth.0).await?;
        not_in_use(&machine)?;
        if let Some(name) = &b.name {
            check_name(name)?;
        }
        if let Some(role) = &b.role {
            validate::one_of("role", role, &ROLES)?;
        }
        if let Some(d) = &b.description {
            validate::text("description", d, 1024)?;
        }
        let ip = b.ip.as_deref().map(|ip| validate::ip("ip", ip)).transpose()?;
        let port = b.port.map(|p| validate::port("port", p)).transpose()?;
        if let Some(user) = &b.username {
            validate::posix_user("username", user)?;
        }
        let ip = ip.unwrap_or_else(|| machine.ip.clone());
        let port = port.unwrap_or(machine.port);
        let username = b.username.clone().unwrap_or_else(|| machine.username.clone());
        let moved = ip != machine.ip || port != machine.port || username != machine.username;
        let reset = b.reset_host_key == Some(true);
        let credentials = Credentials::from_request(
            &state,
            &machine.id,
            b.password.as_deref(),
            b.private_key.as_deref(),
            b.passphrase.as_deref(),
        )
        .await?;
        let access = match credentials {
            Some(c) => Some(Access {
                ip,
                port,
                username,
                password_enc: c.password_enc,
                private_key_enc: c.private_key_enc,
                passphrase_enc: c.passphrase_enc,
                forget_host_key: moved || reset,
            }),
            None if moved || reset => {
                return Err(ApiError::bad_request(
                    "password: changing ip, port or username, or resetting the host key, needs the machine's password or private_key in the same request",
                ));
            }
            None => None,
        };
        let changes = MachineChanges {
            name: b.name,
            role: b.role,
            labels: b.labels.as_ref().map(check_labels).transpose()?,
            description: b.description,
            access,
        };
        Ok(ok(machines::update(&state.db, machine, changes).await?.into()))
    }

    /// Delete a machine (its owner or an admin); refused while a cluster uses it.
    #[oai(path = "/machines/:id", method = "delete", operation_id = "delete_machine")]
    async fn delete(&self, state: Data<&AppState>, auth: WriterAuth, id: Path<String>) -> ApiResult<MessageData> {
        let machine = load_owned(&state, &id, &auth.0).await?;
        not_in_use(&machine)?;
        // Not while an operation that changes it (joining it to a cluster) runs.
        let txn = db::begin_write(&state.db).await?;
        let held = state
            .engine
            .hold_in(&txn, &[Lock::Machine(machine.id.clone())], "delete_machine")
            .await?;
        machines::delete(&txn, &machine.id).await?;
        held.release(&txn).await?;
        txn.commit().await?;
        Ok(ok(MessageData::new("machine deleted")))
    }

    /// Set a machine `ready` or put it in `maintenance` (its owner or an admin).
    #[oai(path = "/machines/:id/status", method = "put", operation_id = "set_machine_status")]
    async fn set_status(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        id: Path<String>,
        body: JsonBody<MachineStatusRequest>,
    ) -> ApiResult<MachineView> {
        let settable = [MachineStatus::Ready, MachineStatus::Maintenance];
        let to = body
            .status
            .parse::<MachineStatus>()
            .ok()
            .filter(|s| settable.contains(s))
            .ok_or_else(|| ApiError::bad_request("status: must be ready or maintenance"))?;
        let machine = load_owned(&state, &id, &auth.0).await?;
        not_in_use(&machine)?;
        machines::set_status(&state.db, &machine.id, to).await?;
        Ok(ok(load(&state, &machine.id).await?.into()))
    }

    /// Check a machine again (its owner or an admin): connect, verify the
    /// host key, refresh its facts.
    #[oai(path = "/machines/:id/check", method = "post", operation_id = "check_machine")]
    async fn check(&self, state: Data<&AppState>, auth: WriterAuth, id: Path<String>) -> ApiResult<RunSummary> {
        let machine = load_owned(&state, &id, &auth.0).await?;
        let txn = db::begin_write(&state.db).await?;
        let started = start_check(&state, &txn, &machine, &auth.0).await?;
        txn.commit().await?;
        Ok(ok((&state.engine.enqueue(started).await).into()))
    }
}
