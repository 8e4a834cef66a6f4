//! `POST /clusters/{id}/backups/{backupId}/restore` and its progress: a view
//! of the `restore` run (status, progress, current step, log).

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::{Object, OpenApi};
use taichu_storage::repositories::{restores, workflow_runs};

use super::super::ApiTags;
use super::super::clusters::load_cluster;
use super::super::run_views::{RunVisibility, log_text};
use std::collections::BTreeMap;

use taichu_workflows::resources::{ExistingPolicy, RestoreOptions};

use super::start::{RestoreOrder, start_restore};
use super::views::RestoreView;
use super::{ScopeBody, load_restorable, require_operator};
use crate::auth::{BearerAuth, WriterAuth};
use crate::envelope::ok;
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::state::AppState;

/// Restore a backup. Every field but the name is optional: by default
/// every completed part is restored (etcd first), every object, into the
/// backup's own cluster, leaving objects that already exist as they are.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct RestoreRequest {
    /// 1-128 characters of A-Z, a-z, 0-9, `_`, `.`, `-`.
    pub restore_name: String,
    /// `etcd`, `resources` (a full backup has both; default: every completed part).
    #[serde(default)]
    pub parts: Option<Vec<String>>,
    /// Resources: the source namespaces and the kinds to restore.
    #[oai(flatten)]
    #[serde(flatten)]
    pub scope: ScopeBody,
    /// Resources: source namespace → target namespace, e.g. `{"shop": "shop-restored"}`.
    #[serde(default)]
    pub namespace_mappings: Option<BTreeMap<String, String>>,
    /// Resources: `skip` (default; an existing object is left as it is and
    /// counted) or `update` (server-side applied over).
    #[serde(default)]
    pub existing_policy: Option<String>,
    /// Resources: restore into this registered cluster instead (its owner or an admin).
    #[serde(default)]
    pub target_cluster_id: Option<String>,
}

impl RestoreRequest {
    fn options(&self) -> Result<RestoreOptions, ApiError> {
        let existing_policy = match self.existing_policy.as_deref() {
            None | Some("skip") => ExistingPolicy::Skip,
            Some("update") => ExistingPolicy::Update,
            Some(_) => return Err(ApiError::bad_request("existing_policy: \"skip\" or \"update\"")),
        };
        Ok(RestoreOptions {
            selection: self.scope.selection(None),
            namespace_mappings: self.namespace_mappings.clone().unwrap_or_default(),
            existing_policy,
        })
    }
}

#[derive(Debug)]
pub struct RestoreApi;

#[OpenApi(tag = "ApiTags::Backups")]
impl RestoreApi {
    /// Restore the backup (the cluster's owner or an admin). etcd: verify the
    /// snapshot, stop the control plane, restore every member, start and wait
    /// until healthy; roll back if anything fails after the stop. Resources:
    /// verify the archive, then apply the selected objects in dependency order,
    /// into this cluster or `target_cluster_id`.
    #[oai(
        path = "/clusters/:id/backups/:backup_id/restore",
        method = "post",
        operation_id = "restore_backup"
    )]
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
        let backup = load_restorable(&state, &auth.0, &cluster, &backup_id).await?;
        let order = RestoreOrder {
            name: &body.restore_name,
            parts: body.parts.as_deref(),
            options: body.options()?,
            target_cluster_id: body.target_cluster_id.as_deref(),
        };
        let restore = start_restore(&state, &auth.0, &cluster, &backup, order).await?;
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
    #[oai(
        path = "/clusters/:id/backups/:backup_id/restore/:restore_id",
        method = "get",
        operation_id = "get_restore"
    )]
    async fn progress(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        backup_id: Path<String>,
        restore_id: Path<String>,
    ) -> ApiResult<RestoreView> {
        let cluster = load_cluster(&state, &id).await?;
        let backup = load_restorable(&state, &auth.0, &cluster, &backup_id).await?;
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
