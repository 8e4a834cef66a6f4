//! Restores: one backup into one cluster, and where each stands.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::Result;
use crate::entities::restores::{ActiveModel, Column, Entity, Model};
use crate::words::stored_words;

stored_words! {
    /// Where a restore stands (the seed's words, plus `completed_with_errors`).
    pub enum RestoreStatus {
        Pending = "pending",
        Running = "running",
        Completed = "completed",
        CompletedWithErrors = "completed_with_errors",
        Failed = "failed",
        Cancelled = "cancelled",
    }
}

impl Model {
    pub fn restore_status(&self) -> RestoreStatus {
        self.status.parse().unwrap_or(RestoreStatus::Failed)
    }
}

/// A restore to record.
#[derive(Debug, Clone)]
pub struct NewRestore {
    pub id: String,
    pub backup_id: String,
    pub cluster_id: String,
    pub name: String,
    /// JSON: parts, filters, namespace mappings, existing-object policy.
    pub options: String,
    pub created_by: Option<String>,
    pub created_by_id: Option<String>,
}

pub async fn create(db: &impl ConnectionTrait, new: NewRestore) -> Result<Model> {
    let row = ActiveModel {
        id: Set(new.id),
        backup_id: Set(Some(new.backup_id)),
        cluster_id: Set(Some(new.cluster_id)),
        name: Set(new.name),
        status: Set(RestoreStatus::Pending.as_str().to_owned()),
        error_message: Set(None),
        workflow_id: Set(None),
        details: Set("{}".to_owned()),
        options: Set(new.options),
        created_by: Set(new.created_by),
        created_by_id: Set(new.created_by_id),
        created_at: Set(Utc::now()),
        started_at: Set(None),
        completed_at: Set(None),
    };
    Ok(row.insert(db).await?)
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<Option<Model>> {
    Ok(Entity::find_by_id(id.to_owned()).one(db).await?)
}

pub async fn attach_run(db: &impl ConnectionTrait, id: &str, run_id: &str) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::WorkflowId, Expr::value(run_id))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn mark_running(db: &impl ConnectionTrait, id: &str) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(RestoreStatus::Running.as_str()))
        .col_expr(Column::StartedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(RestoreStatus::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Records what the restore went through (JSON), as it goes.
pub async fn record_details(db: &impl ConnectionTrait, id: &str, details: &serde_json::Value) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::Details, Expr::value(details.to_string()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The restore ended with `status` (and why, when it did not complete).
pub async fn finish(db: &impl ConnectionTrait, id: &str, status: RestoreStatus, error: Option<&str>) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(status.as_str()))
        .col_expr(Column::ErrorMessage, Expr::value(error.map(str::to_owned)))
        .col_expr(Column::CompletedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Restores of `backup_id` still pending or running.
pub async fn active_for_backup(db: &impl ConnectionTrait, backup_id: &str) -> Result<Vec<Model>> {
    Ok(Entity::find()
        .filter(Column::BackupId.eq(backup_id))
        .filter(Column::Status.is_in([RestoreStatus::Pending.as_str(), RestoreStatus::Running.as_str()]))
        .all(db)
        .await?)
}
