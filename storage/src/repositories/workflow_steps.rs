//! Step attempts, logs and the canary's markers of a run.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, Statement,
};

use crate::entities::{workflow_logs, workflow_markers, workflow_steps};
use crate::words::stored_words;
use crate::{Result, new_id};

stored_words! {
    /// How a step attempt stands.
    pub enum StepStatus {
        Running = "running",
        Completed = "completed",
        Failed = "failed",
        /// Its worker was lost; the step runs again.
        Abandoned = "abandoned",
        Cancelled = "cancelled",
    }
}

/// Records the start of an attempt.
pub async fn start(
    db: &impl ConnectionTrait,
    run_id: &str,
    step_index: i32,
    name: &str,
    attempt: i32,
    worker: &str,
) -> Result<workflow_steps::Model> {
    let row = workflow_steps::ActiveModel {
        id: Set(new_id()),
        run_id: Set(run_id.to_owned()),
        step_index: Set(step_index),
        name: Set(name.to_owned()),
        attempt: Set(attempt),
        status: Set(StepStatus::Running.as_str().to_owned()),
        error: Set(None),
        worker: Set(Some(worker.to_owned())),
        started_at: Set(Utc::now()),
        finished_at: Set(None),
        duration_ms: Set(None),
    };
    Ok(row.insert(db).await?)
}

/// Records how an attempt ended.
pub async fn finish(
    db: &impl ConnectionTrait,
    step: &workflow_steps::Model,
    status: StepStatus,
    error: Option<String>,
) -> Result<()> {
    let now = Utc::now();
    let duration = (now - step.started_at).num_milliseconds().max(0);
    workflow_steps::Entity::update_many()
        .col_expr(workflow_steps::Column::Status, Expr::value(status.as_str()))
        .col_expr(workflow_steps::Column::Error, Expr::value(error))
        .col_expr(workflow_steps::Column::FinishedAt, Expr::value(now))
        .col_expr(workflow_steps::Column::DurationMs, Expr::value(duration))
        .filter(workflow_steps::Column::Id.eq(step.id.clone()))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks attempts left `running` by a worker that died; returns how many.
pub async fn abandon_running(db: &impl ConnectionTrait, run_id: &str) -> Result<u64> {
    let res = workflow_steps::Entity::update_many()
        .col_expr(
            workflow_steps::Column::Status,
            Expr::value(StepStatus::Abandoned.as_str()),
        )
        .col_expr(
            workflow_steps::Column::Error,
            Expr::value("worker lost while the step ran; it runs again"),
        )
        .col_expr(workflow_steps::Column::FinishedAt, Expr::value(Utc::now()))
        .filter(workflow_steps::Column::RunId.eq(run_id))
        .filter(workflow_steps::Column::Status.eq(StepStatus::Running.as_str()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Every attempt of a run, in order.
pub async fn list(db: &impl ConnectionTrait, run_id: &str) -> Result<Vec<workflow_steps::Model>> {
    Ok(workflow_steps::Entity::find()
        .filter(workflow_steps::Column::RunId.eq(run_id))
        .order_by_asc(workflow_steps::Column::StepIndex)
        .order_by_asc(workflow_steps::Column::Attempt)
        .order_by_asc(workflow_steps::Column::Id)
        .all(db)
        .await?)
}

/// Cumulative counts of finished attempts with `duration_ms <= bound` for
/// each bound, plus the count and sum of all of them (for a histogram).
pub async fn duration_histogram(db: &impl ConnectionTrait, bounds_ms: &[i64]) -> Result<(Vec<i64>, i64, i64)> {
    // Bounds are integers from our own code, so formatting them into SQL is safe.
    let buckets: Vec<String> = bounds_ms
        .iter()
        .enumerate()
        .map(|(i, b)| {
            format!("CAST(COALESCE(SUM(CASE WHEN duration_ms <= {b} THEN 1 ELSE 0 END), 0) AS BIGINT) AS b{i}")
        })
        .collect();
    let sql = format!(
        "SELECT {}, CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(duration_ms), 0) AS BIGINT) AS total FROM workflow_steps WHERE duration_ms IS NOT NULL",
        buckets.join(", ")
    );
    let backend = db.get_database_backend();
    let row = db.query_one_raw(Statement::from_string(backend, sql)).await?;
    let Some(row) = row else {
        return Ok((vec![0; bounds_ms.len()], 0, 0));
    };
    let mut counts = Vec::with_capacity(bounds_ms.len());
    for i in 0..bounds_ms.len() {
        counts.push(row.try_get::<i64>("", &format!("b{i}"))?);
    }
    Ok((counts, row.try_get::<i64>("", "n")?, row.try_get::<i64>("", "total")?))
}

/// A log line to append, stamped when it was said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLog {
    pub step: Option<String>,
    pub level: String,
    pub message: String,
    pub at: DateTime<Utc>,
}

/// Appends `lines` to a run's log, in order, in one statement.
pub async fn append_logs(db: &impl ConnectionTrait, run_id: &str, lines: Vec<NewLog>) -> Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let rows = lines.into_iter().map(|l| workflow_logs::ActiveModel {
        run_id: Set(run_id.to_owned()),
        step: Set(l.step),
        level: Set(l.level),
        message: Set(l.message),
        created_at: Set(l.at),
        ..Default::default()
    });
    workflow_logs::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Appends a log line to a run.
pub async fn log(
    db: &impl ConnectionTrait,
    run_id: &str,
    step: Option<&str>,
    level: &str,
    message: &str,
) -> Result<()> {
    let row = workflow_logs::ActiveModel {
        run_id: Set(run_id.to_owned()),
        step: Set(step.map(str::to_owned)),
        level: Set(level.to_owned()),
        message: Set(message.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    row.insert(db).await?;
    Ok(())
}

/// Log lines of a run after the first `offset`, oldest first, and the total.
pub async fn logs(
    db: &impl ConnectionTrait,
    run_id: &str,
    offset: u64,
    limit: u64,
) -> Result<(Vec<workflow_logs::Model>, u64)> {
    let query = workflow_logs::Entity::find().filter(workflow_logs::Column::RunId.eq(run_id));
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(workflow_logs::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// Records a canary side effect.
pub async fn add_marker(db: &impl ConnectionTrait, run_id: &str, step_index: i32, attempt: i32) -> Result<()> {
    let row = workflow_markers::ActiveModel {
        run_id: Set(run_id.to_owned()),
        step_index: Set(step_index),
        attempt: Set(attempt),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    row.insert(db).await?;
    Ok(())
}

/// Canary markers of a run, in order of writing.
pub async fn markers(db: &impl ConnectionTrait, run_id: &str) -> Result<Vec<workflow_markers::Model>> {
    Ok(workflow_markers::Entity::find()
        .filter(workflow_markers::Column::RunId.eq(run_id))
        .order_by_asc(workflow_markers::Column::Id)
        .all(db)
        .await?)
}
