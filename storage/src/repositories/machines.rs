//! The machine inventory.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, Order, QueryFilter,
    QueryOrder, Set,
};

use crate::entities::machines::{ActiveModel, Column, Entity, Model};
use crate::error::conflict_on_unique;
use crate::pagination::page_of;
use crate::words::stored_words;
use crate::{Page, PageRequest, Result};

stored_words! {
    /// Where a machine stands. `in-use` is never stored: a machine is in use
    /// exactly while its `cluster_id` names a cluster.
    pub enum MachineStatus {
        Pending = "pending",
        Ready = "ready",
        Unreachable = "unreachable",
        InUse = "in-use",
        Maintenance = "maintenance",
    }
}

impl Model {
    /// The status as shown: `in-use` while a cluster uses it, else what its
    /// checks (or its operator) last said.
    pub fn machine_status(&self) -> MachineStatus {
        if self.cluster_id.is_some() {
            MachineStatus::InUse
        } else {
            self.status.parse().unwrap_or(MachineStatus::Unreachable)
        }
    }
}

/// A machine to create; secrets already sealed for row `id`.
#[derive(Debug, Clone)]
pub struct NewMachine {
    pub id: String,
    pub name: String,
    pub ip: String,
    pub port: i32,
    pub username: String,
    pub password_enc: Option<String>,
    pub private_key_enc: Option<String>,
    pub passphrase_enc: Option<String>,
    pub role: String,
    pub labels: String,
    pub description: Option<String>,
    pub owner_id: Option<String>,
}

pub async fn create(db: &impl ConnectionTrait, new: NewMachine) -> Result<Model> {
    let now = Utc::now();
    let row = ActiveModel {
        id: Set(new.id),
        name: Set(new.name),
        ip: Set(new.ip),
        port: Set(new.port),
        username: Set(new.username),
        password_enc: Set(new.password_enc),
        private_key_enc: Set(new.private_key_enc),
        passphrase_enc: Set(new.passphrase_enc),
        role: Set(new.role),
        labels: Set(new.labels),
        description: Set(new.description),
        status: Set(MachineStatus::Pending.as_str().to_owned()),
        status_message: Set(None),
        last_check_at: Set(None),
        host_key_fingerprint: Set(None),
        hostname: Set(None),
        os: Set(None),
        kernel: Set(None),
        arch: Set(None),
        cpu_cores: Set(None),
        memory_bytes: Set(None),
        cluster_id: Set(None),
        owner_id: Set(new.owner_id),
        created_at: Set(now),
        updated_at: Set(now),
    };
    row.insert(db).await.map_err(|e| conflict_on_unique(e, "machine name"))
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<Option<Model>> {
    Ok(Entity::find_by_id(id.to_owned()).one(db).await?)
}

/// Oldest first, optionally only those shown with `status`.
pub async fn list(db: &impl ConnectionTrait, status: Option<MachineStatus>, page: PageRequest) -> Result<Page<Model>> {
    let mut cond = Condition::all();
    match status {
        Some(MachineStatus::InUse) => cond = cond.add(Column::ClusterId.is_not_null()),
        Some(other) => {
            cond = cond
                .add(Column::Status.eq(other.as_str()))
                .add(Column::ClusterId.is_null())
        }
        None => {}
    }
    page_of::<Entity>(db, cond, &[(Column::Id, Order::Asc)], page).await
}

/// Where and as whom to reach a machine, with sealed credentials. Changing
/// any of it replaces all of it: stored credentials never follow a machine
/// to a new address.
#[derive(Debug, Clone)]
pub struct Access {
    pub ip: String,
    pub port: i32,
    pub username: String,
    pub password_enc: Option<String>,
    pub private_key_enc: Option<String>,
    pub passphrase_enc: Option<String>,
    /// Forget the pinned host key (a new address is a new host).
    pub forget_host_key: bool,
}

/// An edit of a machine; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct MachineChanges {
    pub name: Option<String>,
    pub role: Option<String>,
    pub labels: Option<String>,
    pub description: Option<String>,
    pub access: Option<Access>,
}

/// Applies `changes` to `machine` and returns the stored row.
pub async fn update(db: &impl ConnectionTrait, machine: Model, changes: MachineChanges) -> Result<Model> {
    let mut row = machine.into_active_model();
    if let Some(v) = changes.name {
        row.name = Set(v);
    }
    if let Some(v) = changes.role {
        row.role = Set(v);
    }
    if let Some(v) = changes.labels {
        row.labels = Set(v);
    }
    if let Some(v) = changes.description {
        row.description = Set(Some(v));
    }
    if let Some(access) = changes.access {
        row.ip = Set(access.ip);
        row.port = Set(access.port);
        row.username = Set(access.username);
        row.password_enc = Set(access.password_enc);
        row.private_key_enc = Set(access.private_key_enc);
        row.passphrase_enc = Set(access.passphrase_enc);
        if access.forget_host_key {
            row.host_key_fingerprint = Set(None);
        }
    }
    row.updated_at = Set(Utc::now());
    row.update(db).await.map_err(|e| conflict_on_unique(e, "machine name"))
}

/// Sets a machine's status as an operator asked (`ready`, `maintenance`).
pub async fn set_status(db: &impl ConnectionTrait, id: &str, to: MachineStatus) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(to.as_str()))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Pins the host key seen on first contact; false if one was pinned meanwhile.
pub async fn pin_host_key(db: &impl ConnectionTrait, id: &str, fingerprint: &str) -> Result<bool> {
    let res = Entity::update_many()
        .col_expr(Column::HostKeyFingerprint, Expr::value(fingerprint))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::HostKeyFingerprint.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// What a successful check learned about a machine.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub hostname: String,
    pub kernel: String,
    pub arch: String,
    pub os: String,
    pub cpu_cores: Option<i32>,
    pub memory_bytes: Option<i64>,
}

/// Records a successful check: facts, and `ready`.
pub async fn record_facts(db: &impl ConnectionTrait, id: &str, facts: Facts) -> Result<()> {
    let now = Utc::now();
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(MachineStatus::Ready.as_str()))
        .col_expr(Column::StatusMessage, Expr::value("reachable over SSH"))
        .col_expr(Column::LastCheckAt, Expr::value(now))
        .col_expr(Column::Hostname, Expr::value(facts.hostname))
        .col_expr(Column::Kernel, Expr::value(facts.kernel))
        .col_expr(Column::Arch, Expr::value(facts.arch))
        .col_expr(Column::Os, Expr::value(facts.os))
        .col_expr(Column::CpuCores, Expr::value(facts.cpu_cores))
        .col_expr(Column::MemoryBytes, Expr::value(facts.memory_bytes))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a failed check: `unreachable`, and why.
pub async fn mark_unreachable(db: &impl ConnectionTrait, id: &str, reason: &str) -> Result<()> {
    let now = Utc::now();
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(MachineStatus::Unreachable.as_str()))
        .col_expr(Column::StatusMessage, Expr::value(reason))
        .col_expr(Column::LastCheckAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks machines as used by `cluster_id`; returns how many were free and now are not.
pub async fn assign_to_cluster(db: &impl ConnectionTrait, ids: &[String], cluster_id: &str) -> Result<u64> {
    let res = Entity::update_many()
        .col_expr(Column::ClusterId, Expr::value(cluster_id))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.is_in(ids.iter().cloned()))
        .filter(Column::ClusterId.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Frees machine `id` from `cluster_id` (if it is still there).
pub async fn release_from_cluster(db: &impl ConnectionTrait, id: &str, cluster_id: &str) -> Result<u64> {
    let res = Entity::update_many()
        .col_expr(Column::ClusterId, Expr::value(Option::<String>::None))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::ClusterId.eq(cluster_id))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// The machines a cluster runs on.
pub async fn of_cluster(db: &impl ConnectionTrait, cluster_id: &str) -> Result<Vec<Model>> {
    Ok(Entity::find()
        .filter(Column::ClusterId.eq(cluster_id))
        .order_by_asc(Column::Name)
        .all(db)
        .await?)
}

pub async fn delete(db: &impl ConnectionTrait, id: &str) -> Result<bool> {
    Ok(Entity::delete_by_id(id.to_owned()).exec(db).await?.rows_affected > 0)
}
