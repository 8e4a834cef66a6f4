//! Backup schedules, and the firings that make each due time happen once.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, Order, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::entities::backup_schedules::{Column, Entity, Model};
use crate::entities::schedule_firings as firings;
use crate::error::conflict_on_unique;
use crate::pagination::page_of;
use crate::words::stored_words;
use crate::{Page, PageRequest, Result};

stored_words! {
    /// What became of one due time.
    pub enum FiringStatus {
        /// A backup was recorded and its run started.
        Fired = "fired",
        /// Not fired: the cluster was busy (the reason names with what).
        Skipped = "skipped",
        /// Not fired: no worker ran within the catch-up deadline.
        Missed = "missed",
        /// Not fired: starting the backup failed (the reason says why).
        Failed = "failed",
    }
}

/// A schedule as created (ids, times and owner filled in by the caller).
pub type NewSchedule = Model;

/// A schedule of `cluster_id` with the seed's defaults (UTC, 7 days,
/// enabled) and nothing else set yet; `created_by` is (user id, username).
pub fn blank(cluster_id: &str, created_by: Option<(String, String)>) -> NewSchedule {
    let now = Utc::now();
    let (created_by_id, created_by) = created_by.unzip();
    Model {
        id: crate::new_id(),
        cluster_id: cluster_id.to_owned(),
        name: String::new(),
        cron_expr: String::new(),
        timezone: "UTC".to_owned(),
        backup_type: String::new(),
        retention_days: 7,
        retention_count: None,
        enabled: true,
        settings: None,
        ssh_password_enc: None,
        filters: None,
        next_run_at: None,
        last_run_at: None,
        last_backup_id: None,
        last_status: None,
        created_by,
        created_by_id,
        created_at: now,
        updated_at: now,
    }
}

/// Records a schedule; a name already used on its cluster is a conflict.
pub async fn create(db: &impl ConnectionTrait, new: NewSchedule) -> Result<Model> {
    new.into_active_model()
        .reset_all()
        .insert(db)
        .await
        .map_err(|e| conflict_on_unique(e, "a backup schedule with this name on this cluster"))
}

/// Writes every field of `schedule` back.
pub async fn save(db: &impl ConnectionTrait, schedule: Model) -> Result<Model> {
    schedule
        .into_active_model()
        .reset_all()
        .update(db)
        .await
        .map_err(|e| conflict_on_unique(e, "a backup schedule with this name on this cluster"))
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<Option<Model>> {
    Ok(Entity::find_by_id(id.to_owned()).one(db).await?)
}

/// The schedule `id` of cluster `cluster_id` (another cluster's is not found).
pub async fn find_of_cluster(db: &impl ConnectionTrait, cluster_id: &str, id: &str) -> Result<Option<Model>> {
    Ok(find(db, id).await?.filter(|s| s.cluster_id == cluster_id))
}

/// A cluster's schedules, by name.
pub async fn list(db: &impl ConnectionTrait, cluster_id: &str, page: PageRequest) -> Result<Page<Model>> {
    let cond = Condition::all().add(Column::ClusterId.eq(cluster_id));
    page_of::<Entity>(db, cond, &[(Column::Name, Order::Asc)], page).await
}

pub async fn delete(db: &impl ConnectionTrait, id: &str) -> Result<bool> {
    Ok(Entity::delete_by_id(id.to_owned()).exec(db).await?.rows_affected > 0)
}

/// Enabled schedules whose next due time has come.
pub async fn due(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<Vec<Model>> {
    Ok(Entity::find()
        .filter(Column::Enabled.eq(true))
        .filter(Column::NextRunAt.lte(now))
        .order_by_asc(Column::NextRunAt)
        .all(db)
        .await?)
}

/// Every schedule (retention walks them all).
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<Model>> {
    Ok(Entity::find().all(db).await?)
}

/// Claims a due time: true when this call recorded it, false when it was
/// already recorded (another replica fired it, or this one did before).
pub async fn claim_firing(
    db: &impl ConnectionTrait,
    schedule_id: &str,
    due_at: DateTime<Utc>,
    status: FiringStatus,
    backup_id: Option<&str>,
    reason: Option<&str>,
) -> Result<bool> {
    let row = firings::ActiveModel {
        schedule_id: Set(schedule_id.to_owned()),
        due_at: Set(due_at),
        status: Set(status.as_str().to_owned()),
        backup_id: Set(backup_id.map(str::to_owned)),
        reason: Set(reason.map(str::to_owned)),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    let inserted = firings::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([firings::Column::ScheduleId, firings::Column::DueAt])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// Moves the schedule on: its next due time, and what its last firing did.
pub async fn advance(
    db: &impl ConnectionTrait,
    id: &str,
    next_run_at: Option<DateTime<Utc>>,
    fired: Option<(DateTime<Utc>, Option<&str>, FiringStatus)>,
) -> Result<()> {
    let mut update = Entity::update_many()
        .col_expr(Column::NextRunAt, Expr::value(next_run_at))
        .filter(Column::Id.eq(id));
    if let Some((at, backup_id, status)) = fired {
        update = update
            .col_expr(Column::LastRunAt, Expr::value(at))
            .col_expr(Column::LastBackupId, Expr::value(backup_id.map(str::to_owned)))
            .col_expr(Column::LastStatus, Expr::value(status.as_str()));
    }
    update.exec(db).await?;
    Ok(())
}

/// The newest firings of a schedule.
pub async fn firings(db: &impl ConnectionTrait, schedule_id: &str, limit: u64) -> Result<Vec<firings::Model>> {
    Ok(firings::Entity::find()
        .filter(firings::Column::ScheduleId.eq(schedule_id))
        .order_by_desc(firings::Column::DueAt)
        .limit(limit)
        .all(db)
        .await?)
}
