//! Backups: their records, their parts, and where they stand.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};

use crate::entities::backups::{ActiveModel, Column, Entity, Model};
use crate::pagination::page_of;
use crate::words::stored_words;
use crate::{Page, PageRequest, Result, StorageError};

stored_words! {
    /// Where a backup (or one of its parts) stands.
    pub enum BackupStatus {
        Pending = "pending",
        Running = "running",
        Completed = "completed",
        Failed = "failed",
        /// Its objects are being deleted.
        Deleting = "deleting",
        /// Deleting its objects failed; the reason is kept and it is retried.
        DeleteFailed = "delete_failed",
    }
}

stored_words! {
    /// What a backup holds.
    pub enum BackupType {
        Etcd = "etcd",
        Resources = "resources",
        Full = "full",
    }
}

impl BackupType {
    /// The parts a backup of this type has.
    pub fn parts(self) -> &'static [PartKind] {
        match self {
            BackupType::Etcd => &[PartKind::Etcd],
            BackupType::Resources => &[PartKind::Resources],
            BackupType::Full => &[PartKind::Etcd, PartKind::Resources],
        }
    }
}

/// One part of a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PartKind {
    Etcd,
    Resources,
}

/// A part, as stored in `parts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub kind: PartKind,
    pub status: String,
    /// The stored object's key, under the backup's prefix.
    pub object: Option<String>,
    pub size_bytes: Option<i64>,
    /// SHA-256 of the stored (encrypted) object.
    pub sha256: Option<String>,
    /// SHA-256 and size of the archive before encryption.
    #[serde(default)]
    pub plain_sha256: Option<String>,
    #[serde(default)]
    pub plain_size_bytes: Option<i64>,
    pub error: Option<String>,
}

impl Model {
    pub fn backup_status(&self) -> BackupStatus {
        self.status.parse().unwrap_or(BackupStatus::Failed)
    }

    pub fn backup_type(&self) -> BackupType {
        self.backup_type.parse().unwrap_or(BackupType::Etcd)
    }

    /// The cluster it was taken from, even after that cluster was deleted.
    pub fn origin_cluster(&self) -> &str {
        self.origin_cluster_id
            .as_deref()
            .or(self.cluster_id.as_deref())
            .unwrap_or_default()
    }

    /// The parts; a row that does not parse shows none.
    pub fn part_list(&self) -> Vec<Part> {
        serde_json::from_str(&self.parts).unwrap_or_default()
    }
}

/// A backup to record, before anything runs.
#[derive(Debug, Clone)]
pub struct NewBackup {
    pub id: String,
    pub cluster_id: String,
    pub cluster_name: String,
    pub name: String,
    pub backup_type: BackupType,
    pub storage_location: String,
    pub retention_days: i32,
    pub settings: Option<String>,
    pub ssh_password_enc: Option<String>,
    pub data_key_enc: Option<String>,
    /// JSON: a resource backup's filters.
    pub filters: Option<String>,
    /// The schedule that fired it.
    pub schedule_id: Option<String>,
    pub created_by: Option<String>,
    pub created_by_id: Option<String>,
}

pub async fn create(db: &impl ConnectionTrait, new: NewBackup) -> Result<Model> {
    let now = Utc::now();
    let parts: Vec<Part> = new
        .backup_type
        .parts()
        .iter()
        .map(|kind| Part {
            kind: *kind,
            status: BackupStatus::Pending.as_str().to_owned(),
            object: None,
            size_bytes: None,
            sha256: None,
            plain_sha256: None,
            plain_size_bytes: None,
            error: None,
        })
        .collect();
    let row = ActiveModel {
        id: Set(new.id),
        cluster_id: Set(Some(new.cluster_id.clone())),
        cluster_name: Set(new.cluster_name),
        name: Set(new.name),
        backup_type: Set(new.backup_type.as_str().to_owned()),
        status: Set(BackupStatus::Pending.as_str().to_owned()),
        error_message: Set(None),
        storage_location: Set(new.storage_location),
        size_bytes: Set(None),
        sha256: Set(None),
        etcd_revision: Set(None),
        etcd_version: Set(None),
        key_count: Set(None),
        retention_days: Set(new.retention_days),
        expires_at: Set(Some(now + chrono::Duration::days(i64::from(new.retention_days)))),
        workflow_id: Set(None),
        settings: Set(new.settings),
        ssh_password_enc: Set(new.ssh_password_enc),
        data_key_enc: Set(new.data_key_enc),
        parts: Set(serde_json::to_string(&parts).map_err(|e| StorageError::Corrupt(e.to_string()))?),
        filters: Set(new.filters),
        contents: Set(None),
        schedule_id: Set(new.schedule_id),
        origin_cluster_id: Set(Some(new.cluster_id)),
        created_by: Set(new.created_by),
        created_by_id: Set(new.created_by_id),
        created_at: Set(now),
        started_at: Set(None),
        completed_at: Set(None),
    };
    Ok(row.insert(db).await?)
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<Option<Model>> {
    Ok(Entity::find_by_id(id.to_owned()).one(db).await?)
}

/// The backup `id` of cluster `cluster_id` (another cluster's is not found).
pub async fn find_of_cluster(db: &impl ConnectionTrait, cluster_id: &str, id: &str) -> Result<Option<Model>> {
    Ok(find(db, id)
        .await?
        .filter(|b| b.cluster_id.as_deref() == Some(cluster_id)))
}

/// Filters for listing backups.
#[derive(Debug, Clone, Default)]
pub struct BackupFilter {
    pub cluster_id: Option<String>,
    pub backup_type: Option<BackupType>,
    pub status: Option<BackupStatus>,
}

/// Newest first.
pub async fn list(db: &impl ConnectionTrait, filter: BackupFilter, page: PageRequest) -> Result<Page<Model>> {
    let mut cond = Condition::all();
    if let Some(v) = filter.cluster_id {
        cond = cond.add(Column::ClusterId.eq(v));
    }
    if let Some(v) = filter.backup_type {
        cond = cond.add(Column::BackupType.eq(v.as_str()));
    }
    if let Some(v) = filter.status {
        cond = cond.add(Column::Status.eq(v.as_str()));
    }
    page_of::<Entity>(
        db,
        cond,
        &[(Column::CreatedAt, Order::Desc), (Column::Id, Order::Desc)],
        page,
    )
    .await
}

/// Records the run that makes the backup.
pub async fn attach_run(db: &impl ConnectionTrait, id: &str, run_id: &str) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::WorkflowId, Expr::value(run_id))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The backup's work began.
pub async fn mark_running(db: &impl ConnectionTrait, id: &str) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(BackupStatus::Running.as_str()))
        .col_expr(Column::StartedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(BackupStatus::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Replaces one part's entry.
pub async fn record_part(db: &impl ConnectionTrait, id: &str, part: Part) -> Result<()> {
    let Some(backup) = find(db, id).await? else {
        return Ok(());
    };
    let mut parts = backup.part_list();
    match parts.iter_mut().find(|p| p.kind == part.kind) {
        Some(slot) => *slot = part,
        None => parts.push(part),
    }
    Entity::update_many()
        .col_expr(
            Column::Parts,
            Expr::value(serde_json::to_string(&parts).map_err(|e| StorageError::Corrupt(e.to_string()))?),
        )
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records what a resource backup took (JSON: types and counts).
pub async fn record_contents(db: &impl ConnectionTrait, id: &str, contents: &str) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::Contents, Expr::value(contents))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// What an etcd snapshot said about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EtcdFacts {
    pub revision: Option<i64>,
    pub version: Option<String>,
    pub key_count: Option<i64>,
}

pub async fn record_etcd_facts(db: &impl ConnectionTrait, id: &str, facts: EtcdFacts) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::EtcdRevision, Expr::value(facts.revision))
        .col_expr(Column::EtcdVersion, Expr::value(facts.version))
        .col_expr(Column::KeyCount, Expr::value(facts.key_count))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The backup is complete: its total size and the checksum of its main object.
pub async fn complete(db: &impl ConnectionTrait, id: &str, size_bytes: i64, sha256: Option<String>) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(BackupStatus::Completed.as_str()))
        .col_expr(Column::SizeBytes, Expr::value(size_bytes))
        .col_expr(Column::Sha256, Expr::value(sha256))
        .col_expr(Column::ErrorMessage, Expr::value(Option::<String>::None))
        .col_expr(Column::CompletedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The backup failed, and why.
pub async fn fail(db: &impl ConnectionTrait, id: &str, reason: &str) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(BackupStatus::Failed.as_str()))
        .col_expr(Column::ErrorMessage, Expr::value(reason))
        .col_expr(Column::CompletedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks a backup being deleted (or that its deletion failed, and why).
pub async fn set_deleting(db: &impl ConnectionTrait, id: &str, failure: Option<&str>) -> Result<()> {
    let status = if failure.is_some() {
        BackupStatus::DeleteFailed
    } else {
        BackupStatus::Deleting
    };
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(status.as_str()))
        .col_expr(Column::ErrorMessage, Expr::value(failure.map(str::to_owned)))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete(db: &impl ConnectionTrait, id: &str) -> Result<bool> {
    Ok(Entity::delete_by_id(id.to_owned()).exec(db).await?.rows_affected > 0)
}

/// A schedule's backups, newest first.
pub async fn of_schedule(db: &impl ConnectionTrait, schedule_id: &str) -> Result<Vec<Model>> {
    Ok(Entity::find()
        .filter(Column::ScheduleId.eq(schedule_id))
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .all(db)
        .await?)
}

/// Ended backups whose own retention has ended by `now`, and any whose
/// deletion failed before (retried), oldest first. (A schedule's rules
/// decide for its backups; the caller leaves those out.)
pub async fn expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Vec<Model>> {
    let ended = [
        BackupStatus::Completed.as_str(),
        BackupStatus::Failed.as_str(),
        BackupStatus::DeleteFailed.as_str(),
    ];
    Ok(Entity::find()
        .filter(Column::Status.is_in(ended))
        .filter(
            Condition::any()
                .add(Column::ExpiresAt.lt(now))
                .add(Column::Status.eq(BackupStatus::DeleteFailed.as_str())),
        )
        .order_by_asc(Column::CreatedAt)
        .all(db)
        .await?)
}

/// Marks the backup `deleting` unless it is pending or running; false when it is.
pub async fn claim_for_deletion(db: &impl ConnectionTrait, id: &str) -> Result<bool> {
    let ended = [
        BackupStatus::Completed.as_str(),
        BackupStatus::Failed.as_str(),
        BackupStatus::DeleteFailed.as_str(),
    ];
    let updated = Entity::update_many()
        .col_expr(Column::Status, Expr::value(BackupStatus::Deleting.as_str()))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.is_in(ended))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// When a backup's retention ends.
pub fn expiry(created_at: DateTime<Utc>, retention_days: i32) -> DateTime<Utc> {
    created_at + chrono::Duration::days(i64::from(retention_days))
}

/// For each schedule with a completed backup: when its newest one completed.
pub async fn last_completed_per_schedule(db: &impl ConnectionTrait) -> Result<Vec<(String, DateTime<Utc>)>> {
    use sea_orm::QuerySelect;
    let rows: Vec<(Option<String>, Option<DateTime<Utc>>)> = Entity::find()
        .select_only()
        .column(Column::ScheduleId)
        .column_as(Column::CompletedAt.max(), "completed")
        .filter(Column::ScheduleId.is_not_null())
        .filter(Column::Status.eq(BackupStatus::Completed.as_str()))
        .group_by(Column::ScheduleId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(schedule, at)| Some((schedule?, at?)))
        .collect())
}
