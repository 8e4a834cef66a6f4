//! `POST /clusters/{id}/backups/{backupId}/restore` and its progress: a view
//! of the `restore` run (status, progress, current step, log).

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::{Object, OpenApi};
use taichu_storage::repositories::{restores, workflow_runs};

use super::super::ApiTags;
use super::super::clusters::load_cluster;
use super::super::run_views::{RunVisibility, log_text};
use super::start::start_restore;
use super::views::RestoreView;
use super::{load_backup, require_operator};
use crate::auth::{BearerAuth, WriterAuth};
use crate::envelope::ok;
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::state::AppState;

#[derive(Debug, Object, serde::Deserialize)]
pub struct RestoreRequest {
    /// 1-128 characters of A-Z, a-z, 0-9, `_`, `.`, `-`.
    pub restore_name: String,
}

#[derive(Debug)]
pub struct RestoreApi;

#[OpenApi(tag = "ApiTags::Backups")]
impl RestoreApi {
    /// Restore the backup into its cluster (the cluster's owner or an admin):
    /// verify the snapshot, stop the control plane, restore every member,
    /// start and wait until healthy; roll back if anything fails after the stop.
    #[oai(path = "/clusters/:id/backups/:backup_id/restore", method = "post")]
    async fn restore(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        id: Path<String>,
        backup_id: Path<String>,
        body: JsonBody<RestoreRequest>,
    ) -> ApiResult<RestoreView> {
        let cluster = load_cluster(&state, &id).await?;
        require_operator(&auth.0, &cluster)?;
        let backup = load_backup(&state, &cluster, &backup_id).await?;
        let restore = start_restore(&state, &auth.0, &cluster, &backup, &body.restore_name).await?;
        let run = match &restore.workflow_id {
            Some(run_id) => workflow_runs::find(&state.db, run_id).await?,
            None => None,
        };
        Ok(ok(RestoreView::of(
            restore,
            run.as_ref(),
            RunVisibility::Full,
            String::new(),
        )))
    }

    /// A restore's status, progress, current step and log.
    #[oai(path = "/clusters/:id/backups/:backup_id/restore/:restore_id", method = "get")]
    async fn progress(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        backup_id: Path<String>,
        restore_id: Path<String>,
    ) -> ApiResult<RestoreView> {
        let cluster = load_cluster(&state, &id).await?;
        let backup = load_backup(&state, &cluster, &backup_id).await?;
        let restore = restores::find(&state.db, &restore_id)
            .await?
            .filter(|r| r.backup_id.as_deref() == Some(backup.id.as_str()))
            .ok_or_else(|| ApiError::not_found("restore"))?;
        let run = match &restore.workflow_id {
            Some(run_id) => workflow_runs::find(&state.db, run_id).await?,
            None => None,
        };
        let (visibility, logs) = match &run {
            Some(run) => {
                let visibility = RunVisibility::for_caller(&auth.0, run);
                (visibility, log_text(&state, run, visibility).await?)
            }
            None => (RunVisibility::Summary, String::new()),
        };
        Ok(ok(RestoreView::of(restore, run.as_ref(), visibility, logs)))
    }
}
