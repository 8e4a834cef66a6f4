//! What the task views (imports, create tasks, and the backups, restores and
//! expansions to come) share: they are views of workflow runs of one kind.
//! Who sees a run's log and error, a page of runs of a kind, one run of a
//! kind, its typed input, and its log as text.

use poem_openapi::types::ToJSON;
use serde::de::DeserializeOwned;
use taichu_storage::entities::workflow_runs::Model;
use taichu_storage::repositories::workflow_runs::{self as runs, RunFilter};
use taichu_storage::repositories::workflow_steps;
use taichu_storage::{Page, PageRequest};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Log lines returned per request at most.
pub const MAX_LOG_LINES: u64 = 1000;

/// How much of a run a caller sees. Logs and errors carry command output
/// and upstream replies: they are for admins and whoever started the run;
/// everyone else sees its status and progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunVisibility {
    Full,
    Summary,
}

impl RunVisibility {
    pub fn for_caller(caller: &AuthUser, run: &Model) -> Self {
        if caller.can_manage(run.created_by_id.as_deref()) {
            Self::Full
        } else {
            Self::Summary
        }
    }

    /// The run's error, if this caller may read it.
    pub fn error(self, run: &Model) -> Option<String> {
        match self {
            Self::Full => run.error.clone(),
            Self::Summary => None,
        }
    }
}

/// Loads a run, or 404.
pub async fn load_run(state: &AppState, id: &str) -> Result<Model, ApiError> {
    runs::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::not_found("workflow"))
}

/// Loads a run of `kind`, or 404 naming `what` (a run of another kind is not one).
pub async fn load_of_kind(state: &AppState, id: &str, kind: &str, what: &str) -> Result<Model, ApiError> {
    match runs::find(&state.db, id).await? {
        Some(run) if run.kind == kind => Ok(run),
        _ => Err(ApiError::not_found(what)),
    }
}

/// A page of the runs of `kind`, newest first.
pub async fn page_of_kind(
    state: &AppState,
    kind: &str,
    page: Option<u64>,
    limit: Option<u64>,
) -> Result<Page<Model>, ApiError> {
    let page = PageRequest::new(page, limit).map_err(ApiError::bad_request)?;
    let filter = RunFilter {
        kind: Some(kind.to_owned()),
        ..Default::default()
    };
    Ok(runs::list(&state.db, filter, page).await?)
}

/// The run's input as the workflow stored it (`None` if it does not parse).
pub fn input_of<T: DeserializeOwned>(run: &Model) -> Option<T> {
    serde_json::from_str(&run.input).ok()
}

/// Maps a page of runs to views for `caller`.
pub fn views<V: ToJSON>(caller: &AuthUser, page: &Page<Model>, view: impl Fn(&Model, RunVisibility) -> V) -> Vec<V> {
    page.items
        .iter()
        .map(|run| view(run, RunVisibility::for_caller(caller, run)))
        .collect()
}

/// The log of a run as text, one line per entry (for the seed's task
/// views); empty for callers who may not read it.
pub async fn log_text(state: &AppState, run: &Model, visibility: RunVisibility) -> Result<String, ApiError> {
    if visibility == RunVisibility::Summary {
        return Ok(String::new());
    }
    let (lines, _) = workflow_steps::logs(&state.db, &run.id, 0, MAX_LOG_LINES).await?;
    Ok(lines
        .iter()
        .map(|l| format!("[{}] {}", l.level, l.message))
        .collect::<Vec<_>>()
        .join("\n"))
}

/// One step of one host of a run.
#[derive(Debug, poem_openapi::Object)]
#[oai(skip_serializing_if_is_none)]
pub struct HostStep {
    /// The run's step (`preflight`, `prepare`, `init`, `join-workers`, …).
    pub step: String,
    /// `running`, `done`, `skipped` (already done: a resumed run) or `failed`.
    pub status: String,
    /// Why it failed or was skipped (admins and whoever started the run).
    pub detail: Option<String>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Where one machine of a multi-host run is.
#[derive(Debug, poem_openapi::Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RunHost {
    pub machine_id: String,
    /// The machine's name and address (absent once the machine is deleted).
    pub name: Option<String>,
    pub ip: Option<String>,
    /// `control-plane` or `worker`.
    pub role: String,
    /// The steps it has been through, in order; none yet: waiting for its first.
    pub steps: Vec<HostStep>,
}

/// The per-host states of `run` for `machines` (id, role), as `visibility` allows.
pub async fn hosts_of(
    state: &AppState,
    run: &Model,
    visibility: RunVisibility,
    machines: &[(String, &str)],
) -> Result<Vec<RunHost>, ApiError> {
    let rows = taichu_storage::repositories::run_hosts::of_run(&state.db, &run.id).await?;
    let mut hosts = Vec::with_capacity(machines.len());
    for (id, role) in machines {
        let machine = taichu_storage::repositories::machines::find(&state.db, id).await?;
        let steps = rows
            .iter()
            .filter(|r| r.machine_id == *id)
            .map(|r| HostStep {
                step: r.step.clone(),
                status: r.status.clone(),
                detail: match visibility {
                    RunVisibility::Full => r.detail.clone(),
                    RunVisibility::Summary => None,
                },
                updated_at: r.updated_at,
            })
            .collect();
        hosts.push(RunHost {
            machine_id: id.clone(),
            name: machine.as_ref().map(|m| m.name.clone()),
            ip: machine.map(|m| m.ip),
            role: (*role).to_owned(),
            steps,
        });
    }
    Ok(hosts)
}
