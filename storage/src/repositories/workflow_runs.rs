//! Workflow runs and their leases.
//!
//! A lease (`lease_owner`, `lease_expires_at`) gives one worker the right to
//! execute a run. Every write a worker makes to a run is conditional on still
//! holding the lease, so two workers can never both commit a step.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::entities::workflow_runs::{ActiveModel, Column, Entity, Model};
use crate::pagination::page_of;
use crate::repositories::operation_locks;
use crate::words::stored_words;
use crate::{Page, PageRequest, Result};

stored_words! {
    /// Where a run stands.
    pub enum RunStatus {
        Pending = "pending",
        Running = "running",
        Completed = "completed",
        Failed = "failed",
        Cancelled = "cancelled",
    }
}

impl RunStatus {
    /// Statuses a worker may still act on.
    pub const ACTIVE: [RunStatus; 2] = [RunStatus::Pending, RunStatus::Running];

    pub fn is_active(self) -> bool {
        Self::ACTIVE.contains(&self)
    }
}

fn active_words() -> [&'static str; 2] {
    RunStatus::ACTIVE.map(RunStatus::as_str)
}

impl Model {
    /// The run's status; an unknown word reads as failed (it will not be driven).
    pub fn run_status(&self) -> RunStatus {
        self.status.parse().unwrap_or(RunStatus::Failed)
    }
}

/// A run to create.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub id: String,
    pub kind: String,
    pub subject: Option<String>,
    pub input: String,
    pub state: String,
    pub plan: String,
    /// Username of whoever started the run, for display.
    pub created_by: Option<String>,
    /// Their user id, which rights follow.
    pub created_by_id: Option<String>,
}

impl NewRun {
    /// A run of `kind` with no input, state or steps, started by nobody
    /// (what benchmarks and tests of the tables themselves write).
    pub fn bare(kind: &str) -> Self {
        Self {
            id: crate::new_id(),
            kind: kind.to_owned(),
            subject: None,
            input: "{}".into(),
            state: "{}".into(),
            plan: "[]".into(),
            created_by: None,
            created_by_id: None,
        }
    }
}

pub async fn insert(db: &impl ConnectionTrait, new: NewRun) -> Result<Model> {
    let now = Utc::now();
    let row = ActiveModel {
        id: Set(new.id),
        kind: Set(new.kind),
        subject: Set(new.subject),
        input: Set(new.input),
        state: Set(new.state),
        plan: Set(new.plan),
        status: Set(RunStatus::Pending.as_str().to_owned()),
        current_step: Set(0),
        step_attempt: Set(0),
        progress: Set(0),
        attempts: Set(0),
        error: Set(None),
        cancel_requested: Set(false),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        created_by: Set(new.created_by),
        created_by_id: Set(new.created_by_id),
        created_at: Set(now),
        started_at: Set(None),
        updated_at: Set(now),
        finished_at: Set(None),
    };
    Ok(row.insert(db).await?)
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<Option<Model>> {
    Ok(Entity::find_by_id(id.to_owned()).one(db).await?)
}

/// Filters for listing runs.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub kind: Option<String>,
    pub status: Option<RunStatus>,
    pub subject: Option<String>,
}

/// Newest first.
pub async fn list(db: &impl ConnectionTrait, filter: RunFilter, page: PageRequest) -> Result<Page<Model>> {
    let mut cond = Condition::all();
    if let Some(v) = filter.kind {
        cond = cond.add(Column::Kind.eq(v));
    }
    if let Some(v) = filter.status {
        cond = cond.add(Column::Status.eq(v.as_str()));
    }
    if let Some(v) = filter.subject {
        cond = cond.add(Column::Subject.eq(v));
    }
    page_of::<Entity>(db, cond, &[(Column::Id, Order::Desc)], page).await
}

fn lease_free(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(Column::LeaseOwner.is_null())
        .add(Column::LeaseExpiresAt.lt(now))
}

/// Takes the lease on an active run, for `ttl` by the database's clock, if
/// nobody holds a live one.
pub async fn try_lease(db: &impl ConnectionTrait, id: &str, owner: &str, ttl: chrono::Duration) -> Result<bool> {
    let now = crate::db::now(db).await?;
    let until = now + ttl;
    let res = Entity::update_many()
        .col_expr(Column::LeaseOwner, Expr::value(owner))
        .col_expr(Column::LeaseExpiresAt, Expr::value(until))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.is_in(active_words()))
        .filter(lease_free(now))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Extends `owner`'s lease to `ttl` from the database's now. `None` when the lease was lost; otherwise whether
/// cancellation has been requested meanwhile.
pub async fn renew_lease(
    db: &impl ConnectionTrait,
    id: &str,
    owner: &str,
    ttl: chrono::Duration,
) -> Result<Option<bool>> {
    let until = crate::db::now(db).await? + ttl;
    let res = Entity::update_many()
        .col_expr(Column::LeaseExpiresAt, Expr::value(until))
        .filter(Column::Id.eq(id))
        .filter(Column::LeaseOwner.eq(owner))
        .exec(db)
        .await?;
    if res.rows_affected != 1 {
        return Ok(None);
    }
    let cancel: Option<bool> = Entity::find_by_id(id.to_owned())
        .select_only()
        .column(Column::CancelRequested)
        .into_tuple()
        .one(db)
        .await?;
    Ok(cancel)
}

/// Changes a worker makes to the run it holds.
#[derive(Debug, Clone, Default)]
pub struct RunChange {
    pub state: Option<String>,
    pub status: Option<RunStatus>,
    pub current_step: Option<i32>,
    pub step_attempt: Option<i32>,
    pub progress: Option<i32>,
    pub add_attempt: bool,
    pub error: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished: bool,
    pub release_lease: bool,
    /// Apply only if nobody has asked to cancel the run meanwhile.
    pub unless_cancelled: bool,
}

/// Applies `change` if `owner` still holds the lease; false when it does not.
pub async fn update_leased(db: &impl ConnectionTrait, id: &str, owner: &str, change: RunChange) -> Result<bool> {
    let now = Utc::now();
    let mut q = Entity::update_many().col_expr(Column::UpdatedAt, Expr::value(now));
    if let Some(v) = change.state {
        q = q.col_expr(Column::State, Expr::value(v));
    }
    if let Some(v) = change.status {
        q = q.col_expr(Column::Status, Expr::value(v.as_str()));
    }
    if let Some(v) = change.current_step {
        q = q.col_expr(Column::CurrentStep, Expr::value(v));
    }
    if let Some(v) = change.step_attempt {
        q = q.col_expr(Column::StepAttempt, Expr::value(v));
    }
    if let Some(v) = change.progress {
        q = q.col_expr(Column::Progress, Expr::value(v));
    }
    if change.add_attempt {
        q = q.col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1));
    }
    if let Some(v) = change.error {
        q = q.col_expr(Column::Error, Expr::value(v));
    }
    if let Some(v) = change.started_at {
        q = q.col_expr(Column::StartedAt, Expr::value(v));
    }
    if change.finished {
        q = q.col_expr(Column::FinishedAt, Expr::value(now));
    }
    if change.release_lease {
        q = q
            .col_expr(Column::LeaseOwner, Expr::value(Option::<String>::None))
            .col_expr(Column::LeaseExpiresAt, Expr::value(Option::<DateTime<Utc>>::None));
    }
    if change.unless_cancelled {
        q = q.filter(Column::CancelRequested.eq(false));
    }
    let res = q
        .filter(Column::Id.eq(id))
        .filter(Column::LeaseOwner.eq(owner))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Opens a failed run again at the step it failed in, with that step's
/// attempts counted afresh; false unless it was failed.
pub async fn reopen(db: &impl ConnectionTrait, id: &str) -> Result<bool> {
    let reopened = Entity::update_many()
        .col_expr(Column::Status, Expr::value(RunStatus::Pending.as_str()))
        .col_expr(Column::StepAttempt, Expr::value(0))
        .col_expr(Column::Error, Expr::value(Option::<String>::None))
        .col_expr(Column::FinishedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(RunStatus::Failed.as_str()))
        .exec(db)
        .await?;
    Ok(reopened.rows_affected == 1)
}

/// Lets go of `owner`'s lease, if it still holds one.
pub async fn release_lease(db: &impl ConnectionTrait, id: &str, owner: &str) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(Column::LeaseExpiresAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(Column::Id.eq(id))
        .filter(Column::LeaseOwner.eq(owner))
        .exec(db)
        .await?;
    Ok(())
}

/// Asks a run to stop. A run nobody is executing is cancelled on the spot
/// (its locks released with it); a running one is stopped by its worker.
/// Returns the run after the change. Call it in a transaction.
pub async fn request_cancel(db: &impl ConnectionTrait, id: &str) -> Result<Option<Model>> {
    let now = Utc::now();
    Entity::update_many()
        .col_expr(Column::CancelRequested, Expr::value(true))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.is_in(active_words()))
        .exec(db)
        .await?;
    let stopped = Entity::update_many()
        .col_expr(Column::Status, Expr::value(RunStatus::Cancelled.as_str()))
        .col_expr(Column::Error, Expr::value("cancelled by request"))
        .col_expr(Column::FinishedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.is_in(active_words()))
        .filter(lease_free(now))
        .exec(db)
        .await?;
    if stopped.rows_affected > 0 {
        operation_locks::release_run(db, id).await?;
    }
    find(db, id).await
}

/// Active runs whose lease is free and that nobody touched for `idle`:
/// their worker died or their queue message was lost.
pub async fn stranded(db: &impl ConnectionTrait, idle: chrono::Duration, limit: u64) -> Result<Vec<String>> {
    let now = crate::db::now(db).await?;
    Ok(Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::Status.is_in(active_words()))
        .filter(lease_free(now))
        .filter(Column::UpdatedAt.lt(now - idle))
        .order_by_asc(Column::UpdatedAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// Marks a stranded run as touched, so the reaper re-enqueues it once per `idle`.
pub async fn touch(db: &impl ConnectionTrait, id: &str) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// `(kind, status, count)` over all runs, for metrics.
pub async fn count_by_kind_status(db: &impl ConnectionTrait) -> Result<Vec<(String, RunStatus, i64)>> {
    let rows: Vec<(String, String, i64)> = Entity::find()
        .select_only()
        .column(Column::Kind)
        .column(Column::Status)
        .column_as(Column::Id.count(), "n")
        .group_by(Column::Kind)
        .group_by(Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, status, n)| Some((kind, status.parse().ok()?, n)))
        .collect())
}

/// How many of `ids` are no longer active.
pub async fn count_finished(db: &impl ConnectionTrait, ids: &[String]) -> Result<u64> {
    let mut finished = 0;
    // Chunked to stay under bind-parameter limits.
    for chunk in ids.chunks(500) {
        finished += Entity::find()
            .filter(Column::Id.is_in(chunk.iter().cloned()))
            .filter(Column::Status.is_not_in(active_words()))
            .count(db)
            .await?;
    }
    Ok(finished)
}

/// The active runs whose subject is `subject` (a cluster, a machine).
pub async fn active_for_subject(db: &impl ConnectionTrait, subject: &str) -> Result<Vec<Model>> {
    Ok(Entity::find()
        .filter(Column::Subject.eq(subject))
        .filter(Column::Status.is_in(active_words()))
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// When the oldest run still waiting for a worker was created.
pub async fn oldest_pending(db: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>> {
    Ok(Entity::find()
        .filter(Column::Status.eq(RunStatus::Pending.as_str()))
        .order_by_asc(Column::CreatedAt)
        .one(db)
        .await?
        .map(|r| r.created_at))
}
