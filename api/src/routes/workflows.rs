//! Workflow runs: list, inspect (steps, attempts, logs), cancel, and the canary.

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{Object, OpenApi};
use taichu_storage::entities::{workflow_logs, workflow_runs, workflow_steps as step_rows};
use taichu_storage::repositories::workflow_runs::{self as runs, RunFilter, RunStatus};
use taichu_storage::repositories::workflow_steps;
use taichu_storage::{PageRequest, db};
use taichu_workflows::StepSpec;
use taichu_workflows::canary::{Canary, CanaryInput};

use super::ApiTags;
use super::run_views::{MAX_LOG_LINES, RunVisibility, load_run};
use crate::auth::{AdminAuth, BearerAuth, WriterAuth};
use crate::envelope::ok;
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::state::AppState;
use crate::validate;

/// A run, without its steps and logs.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RunSummary {
    pub id: String,
    pub kind: String,
    /// What the run acts on, e.g. a cluster id.
    pub subject: Option<String>,
    /// `pending`, `running`, `completed`, `failed` or `cancelled`.
    pub status: String,
    /// Index of the step being (or next to be) executed.
    pub current_step: i32,
    pub total_steps: i32,
    /// 0-100, by step weight.
    pub progress: i32,
    /// Step executions so far, retries included.
    pub attempts: i32,
    /// Why the run failed or was cancelled (admins and whoever started it).
    pub error: Option<String>,
    pub cancel_requested: bool,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Parses a stored plan; a corrupt one shows as empty rather than failing the view.
pub fn plan_of(run: &workflow_runs::Model) -> Vec<StepSpec> {
    serde_json::from_str(&run.plan).unwrap_or_default()
}

impl From<&workflow_runs::Model> for RunSummary {
    fn from(m: &workflow_runs::Model) -> Self {
        Self::of(m, RunVisibility::Full)
    }
}

impl RunSummary {
    pub fn of(m: &workflow_runs::Model, visibility: RunVisibility) -> Self {
        Self {
            id: m.id.clone(),
            kind: m.kind.clone(),
            subject: m.subject.clone(),
            status: m.status.clone(),
            current_step: m.current_step,
            total_steps: i32::try_from(plan_of(m).len()).unwrap_or(i32::MAX),
            progress: m.progress,
            attempts: m.attempts,
            error: visibility.error(m),
            cancel_requested: m.cancel_requested,
            created_by: m.created_by.clone(),
            created_at: m.created_at,
            started_at: m.started_at,
            finished_at: m.finished_at,
        }
    }
}

/// One attempt at one step.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct StepAttemptView {
    pub step_index: i32,
    pub name: String,
    pub attempt: i32,
    /// `running`, `completed`, `failed`, `abandoned` or `cancelled`.
    pub status: String,
    pub error: Option<String>,
    pub worker: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
}

impl From<step_rows::Model> for StepAttemptView {
    fn from(m: step_rows::Model) -> Self {
        Self {
            step_index: m.step_index,
            name: m.name,
            attempt: m.attempt,
            status: m.status,
            error: m.error,
            worker: m.worker,
            started_at: m.started_at,
            finished_at: m.finished_at,
            duration_ms: m.duration_ms,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LogLine {
    pub step: Option<String>,
    pub level: String,
    pub message: String,
    pub created_at: DateTime<Utc>,
}

impl From<workflow_logs::Model> for LogLine {
    fn from(m: workflow_logs::Model) -> Self {
        Self {
            step: m.step,
            level: m.level,
            message: m.message,
            created_at: m.created_at,
        }
    }
}

/// A run with its plan, every step attempt, and a page of its log.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RunDetail {
    #[oai(flatten)]
    pub run: RunSummary,
    /// Step names in order.
    pub plan: Vec<String>,
    pub steps: Vec<StepAttemptView>,
    pub logs: Vec<LogLine>,
    /// Log lines in all; pass it back as `log_offset` to tail.
    pub log_total: u64,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RunList {
    pub workflows: Vec<RunSummary>,
    pub total: u64,
}

/// Start a canary run.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct CanaryRequest {
    /// 1-100.
    pub steps: u32,
    /// Sleep per step, at most 60000.
    #[serde(default)]
    pub step_ms: u64,
    /// Attempts of each step that fail transiently before one succeeds (0-4).
    #[serde(default)]
    pub fail_attempts: u32,
}

#[derive(Debug)]
pub struct WorkflowsApi;

#[OpenApi(tag = "ApiTags::Workflows")]
impl WorkflowsApi {
    /// List workflow runs, newest first.
    #[oai(path = "/workflows", method = "get", operation_id = "list_workflows")]
    #[expect(
        clippy::too_many_arguments,
        reason = "each query filter is its own documented parameter"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        kind: Query<Option<String>>,
        status: Query<Option<String>>,
        subject: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u64>>,
    ) -> ApiResult<RunList> {
        let page = PageRequest::new(page.0, limit.0).map_err(ApiError::bad_request)?;
        let status = validate::word::<RunStatus>("status", status.0)?;
        let filter = RunFilter {
            kind: kind.0,
            status,
            subject: subject.0,
        };
        let found = runs::list(&state.db, filter, page).await?;
        Ok(ok(RunList {
            workflows: found
                .items
                .iter()
                .map(|run| RunSummary::of(run, RunVisibility::for_caller(&auth.0, run)))
                .collect(),
            total: found.total,
        }))
    }

    /// A run: steps with attempts and durations, progress, and (for admins
    /// and whoever started it) errors and its log from `log_offset` on.
    #[oai(path = "/workflows/:id", method = "get", operation_id = "get_workflow")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        #[oai(validator(maximum(value = "1000000000")))] log_offset: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))] log_limit: Query<Option<u64>>,
    ) -> ApiResult<RunDetail> {
        let run = load_run(&state, &id).await?;
        let visibility = RunVisibility::for_caller(&auth.0, &run);
        let (logs, log_total) = match visibility {
            RunVisibility::Full => {
                let limit = log_limit.0.unwrap_or(200).clamp(1, MAX_LOG_LINES);
                workflow_steps::logs(&state.db, &run.id, log_offset.0.unwrap_or(0), limit).await?
            }
            RunVisibility::Summary => (Vec::new(), 0),
        };
        let steps = workflow_steps::list(&state.db, &run.id).await?;
        Ok(ok(RunDetail {
            plan: plan_of(&run).into_iter().map(|s| s.name).collect(),
            run: RunSummary::of(&run, visibility),
            steps: steps
                .into_iter()
                .map(|step| {
                    let mut view = StepAttemptView::from(step);
                    if visibility == RunVisibility::Summary {
                        view.error = None;
                    }
                    view
                })
                .collect(),
            logs: logs.into_iter().map(Into::into).collect(),
            log_total,
        }))
    }

    /// Cancel a run (admin or whoever started it). A running step is told to
    /// stop; the run ends `cancelled`. Backups and restores cannot be
    /// cancelled (409): they clean up or roll back on their own.
    #[oai(path = "/workflows/:id/cancel", method = "post", operation_id = "cancel_workflow")]
    async fn cancel(&self, state: Data<&AppState>, auth: WriterAuth, id: Path<String>) -> ApiResult<RunSummary> {
        let run = load_run(&state, &id).await?;
        if !auth.0.can_manage(run.created_by_id.as_deref()) {
            return Err(ApiError::forbidden("only an admin or the run's creator may cancel it"));
        }
        if !run.run_status().is_active() {
            return Err(ApiError::conflict(format!("workflow already {}", run.status)));
        }
        if !state.engine.cancellable(&run.kind) {
            return Err(ApiError::conflict(format!(
                "a {} run cannot be cancelled: it ends by itself (every step has a time limit), cleaning up or rolling back what it did",
                run.kind
            )));
        }
        let txn = db::begin_write(&state.db).await?;
        let run = runs::request_cancel(&txn, &run.id)
            .await?
            .ok_or_else(|| ApiError::not_found("workflow"))?;
        txn.commit().await?;
        Ok(ok((&run).into()))
    }

    /// Start a canary run (admin): checks that workers are alive and how fast
    /// the queue is.
    #[oai(path = "/workflows/canary", method = "post", operation_id = "start_canary")]
    async fn canary(
        &self,
        state: Data<&AppState>,
        auth: AdminAuth,
        body: JsonBody<CanaryRequest>,
    ) -> ApiResult<RunSummary> {
        let input = CanaryInput {
            steps: body.steps,
            step_ms: body.step_ms,
            fail_attempts: body.fail_attempts,
            marker: true,
        };
        let run = state
            .engine
            .start::<Canary>(None, &input, Some(&auth.0.starter()), &[])
            .await?;
        Ok(ok((&run).into()))
    }
}
