//! The machine inventory.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set,
};

use crate::entities::machines::{ActiveModel, Column, Entity, Model};
use crate::error::conflict_on_unique;
use crate::{Page, PageRequest, Result, new_id};

/// Machine statuses as stored.
pub mod status {
    pub const PENDING: &str = "pending";
    pub const READY: &str = "ready";
    pub const UNREACHABLE: &str = "unreachable";
    pub const IN_USE: &str = "in-use";
    pub const MAINTENANCE: &str = "maintenance";
    pub const ALL: [&str; 5] = [PENDING, READY, UNREACHABLE, IN_USE, MAINTENANCE];
}

/// A machine to create; secrets already encrypted.
#[derive(Debug, Clone)]
pub struct NewMachine {
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
}

pub async fn create(db: &impl ConnectionTrait, new: NewMachine) -> Result<Model> {
    let now = Utc::now();
    let row = ActiveModel {
        id: Set(new_id()),
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
        status: Set(status::PENDING.to_owned()),
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
        created_at: Set(now),
        updated_at: Set(now),
    };
    row.insert(db).await.map_err(|e| conflict_on_unique(e, "machine name"))
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<Option<Model>> {
    Ok(Entity::find_by_id(id.to_owned()).one(db).await?)
}

/// Oldest first, optionally only one status.
pub async fn list(db: &impl ConnectionTrait, status: Option<String>, page: PageRequest) -> Result<Page<Model>> {
    let mut cond = Condition::all();
    if let Some(s) = status {
        cond = cond.add(Column::Status.eq(s));
    }
    let paginator = Entity::find()
        .filter(cond)
        .order_by_asc(Column::Id)
        .paginate(db, page.limit);
    let total = paginator.num_items().await?;
    let items = paginator.fetch_page(page.index()).await?;
    Ok(Page { items, total })
}

/// Saves a changed row (any columns), stamping `updated_at`.
pub async fn save(db: &impl ConnectionTrait, mut row: ActiveModel) -> Result<Model> {
    row.updated_at = Set(Utc::now());
    row.update(db).await.map_err(|e| conflict_on_unique(e, "machine name"))
}

pub async fn delete(db: &impl ConnectionTrait, id: &str) -> Result<bool> {
    Ok(Entity::delete_by_id(id.to_owned()).exec(db).await?.rows_affected > 0)
}
