//! Seed section 创建任务接口: views over runs of kind `create_cluster`.

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{Object, OpenApi};
use taichu_storage::entities::workflow_runs;

use super::ApiTags;
use super::run_views::{RunHost, RunVisibility, hosts_of, input_of, load_of_kind, log_text, page_of_kind, views};
use taichu_storage::db;
use taichu_workflows::create_cluster::CreateClusterInput;
use taichu_workflows::{Lock, WorkflowError};

use crate::auth::{BearerAuth, WriterAuth};
use crate::envelope::ok;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The workflow kind these views show.
pub const CREATE_CLUSTER: &str = <taichu_workflows::create_cluster::CreateCluster as taichu_workflows::Workflow>::KIND;

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreateTaskSummary {
    pub id: String,
    pub cluster_name: Option<String>,
    pub status: String,
    pub progress: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreateTaskList {
    pub tasks: Vec<CreateTaskSummary>,
    pub total: u64,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CreateTaskDetail {
    pub id: String,
    pub cluster_name: Option<String>,
    /// The cluster being created.
    pub cluster_id: Option<String>,
    pub status: String,
    pub progress: i32,
    /// The step running now, or where it stopped (`preflight`, `init`, `join-workers`, …).
    pub current_step: Option<String>,
    /// Why it failed (admins and whoever started it).
    pub error: Option<String>,
    /// The run's log, one line per entry (admins and whoever started it).
    pub logs: String,
    /// Each machine and the steps it has been through.
    pub hosts: Vec<RunHost>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl CreateTaskDetail {
    /// The task `run`, as `visibility` lets the caller see it, with `logs` and `hosts`.
    pub fn of(run: &workflow_runs::Model, visibility: RunVisibility, logs: String, hosts: Vec<RunHost>) -> Self {
        Self {
            logs,
            hosts,
            id: run.id.clone(),
            cluster_name: cluster_name(run),
            cluster_id: run.subject.clone(),
            status: run.status.clone(),
            progress: run.progress,
            current_step: current_step(run),
            error: visibility.error(run),
            created_at: run.created_at,
            completed_at: run.finished_at,
        }
    }
}

impl CreateTaskDetail {
    /// A task its caller just started (or restarted): its hosts, no log yet.
    pub async fn started(state: &AppState, run: &workflow_runs::Model) -> Result<Self, ApiError> {
        let hosts = task_hosts(state, run, RunVisibility::Full).await?;
        Ok(Self::of(run, RunVisibility::Full, String::new(), hosts))
    }
}

/// The step running now (or where the run stopped).
fn current_step(run: &workflow_runs::Model) -> Option<String> {
    let plan = super::workflows::plan_of(run);
    let index = usize::try_from(run.current_step).unwrap_or(0);
    plan.get(index.min(plan.len().saturating_sub(1)))
        .map(|s| s.name.clone())
}

/// The task's machines and their step states.
pub async fn task_hosts(
    state: &AppState,
    run: &workflow_runs::Model,
    visibility: RunVisibility,
) -> Result<Vec<RunHost>, ApiError> {
    let Some(input) = input_of::<CreateClusterInput>(run) else {
        return Ok(Vec::new());
    };
    let machines: Vec<(String, &str)> = input
        .control_planes()
        .map(|id| (id.clone(), "control-plane"))
        .chain(input.workers.iter().map(|id| (id.clone(), "worker")))
        .collect();
    hosts_of(state, run, visibility, &machines).await
}

fn cluster_name(run: &workflow_runs::Model) -> Option<String> {
    let input: serde_json::Value = input_of(run)?;
    input.get("cluster_name")?.as_str().map(str::to_owned)
}

#[derive(Debug)]
pub struct CreateTasksApi;

#[OpenApi(tag = "ApiTags::Workflows")]
impl CreateTasksApi {
    /// Cluster creation tasks, newest first.
    #[oai(path = "/create-tasks", method = "get", operation_id = "list_create_tasks")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u64>>,
    ) -> ApiResult<CreateTaskList> {
        let found = page_of_kind(&state, CREATE_CLUSTER, page.0, limit.0).await?;
        let tasks = views(&auth.0, &found, |r, _| CreateTaskSummary {
            id: r.id.clone(),
            cluster_name: cluster_name(r),
            status: r.status.clone(),
            progress: r.progress,
            created_at: r.created_at,
        });
        Ok(ok(CreateTaskList {
            tasks,
            total: found.total,
        }))
    }

    /// One cluster creation task with its log.
    #[oai(path = "/create-tasks/:task_id", method = "get", operation_id = "get_create_task")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        task_id: Path<String>,
    ) -> ApiResult<CreateTaskDetail> {
        let run = load_of_kind(&state, &task_id, CREATE_CLUSTER, "create task").await?;
        let visibility = RunVisibility::for_caller(&auth.0, &run);
        let logs = log_text(&state, &run, visibility).await?;
        let hosts = task_hosts(&state, &run, visibility).await?;
        Ok(ok(CreateTaskDetail::of(&run, visibility, logs, hosts)))
    }

    /// Resume a failed task at the step it failed in (the same run: steps
    /// already done are not run again), after the cause was fixed on the
    /// host. Whoever started it or an admin; 409 when it has not failed or
    /// its cluster or machines are taken meanwhile.
    #[oai(
        path = "/create-tasks/:task_id/retry",
        method = "post",
        operation_id = "retry_create_task"
    )]
    async fn retry(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        task_id: Path<String>,
    ) -> ApiResult<CreateTaskDetail> {
        let run = load_of_kind(&state, &task_id, CREATE_CLUSTER, "create task").await?;
        if !auth.0.can_manage(run.created_by_id.as_deref()) {
            return Err(ApiError::forbidden(
                "only an admin or whoever started the task may retry it",
            ));
        }
        let input: CreateClusterInput =
            input_of(&run).ok_or_else(|| ApiError::internal("a create task's input does not parse"))?;
        let mut locks = vec![Lock::Cluster(input.cluster_id.clone())];
        locks.extend(input.all().map(|m| Lock::Machine(m.clone())));
        let txn = db::begin_write(&state.db).await?;
        let started = state
            .engine
            .retry_in(&txn, &run.id, &locks)
            .await
            .map_err(|e| match e {
                WorkflowError::InvalidInput(reason) => ApiError::conflict(reason),
                other => other.into(),
            })?;
        txn.commit().await?;
        let run = state.engine.enqueue(started).await;
        Ok(ok(CreateTaskDetail::started(&state, &run).await?))
    }
}
