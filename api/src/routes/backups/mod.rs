//! Seed section 备份接口: etcd backups and their restores. A backup or a
//! restore is recorded and its workflow started in one transaction holding
//! the cluster, so one operation runs on a cluster at a time (409 names the
//! running one).

/// `GET/PUT /clusters/{id}/etcd`.
pub mod etcd;
/// Restores of a backup.
pub mod restore;
/// Starting backups and restores, deleting backups.
pub mod start;
/// Backups and restores as the API shows them.
pub mod views;

use poem::Body;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Binary;
use poem_openapi::{ApiResponse, Object, OpenApi};
use taichu_storage::PageRequest;
use taichu_storage::entities::{backups as backup_rows, clusters as cluster_rows};
use taichu_storage::repositories::backups::{self, BackupFilter, BackupStatus, BackupType, PartKind};
use taichu_storage::sealed_stream::{self, DataKey};
use taichu_storage::secrets::Slot;

use super::ApiTags;
use super::clusters::load_cluster;
use crate::auth::{AuthUser, BearerAuth, WriterAuth};
use crate::envelope::{MessageData, ok};
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::state::AppState;
use crate::validate;
use etcd::EtcdSettingsBody;
use start::{BackupOrder, delete_backup, start_backup};
use views::{BackupList, BackupView};

/// Start a backup. etcd settings may come inline (the seed's fields);
/// otherwise the cluster's stored ones are used.
#[derive(Debug, Object, serde::Deserialize)]
pub struct CreateBackupRequest {
    /// 1-128 characters of A-Z, a-z, 0-9, `_`, `.`, `-`.
    pub backup_name: String,
    /// `etcd` (`resources` and `full` are not available yet). Default `etcd`.
    #[serde(default)]
    pub backup_type: Option<String>,
    /// 1-3650; default 30.
    #[serde(default)]
    pub retention_days: Option<i32>,
    #[oai(flatten)]
    #[serde(flatten)]
    pub etcd: EtcdSettingsBody,
}

/// The stored snapshot, decrypted as it streams.
#[derive(Debug, ApiResponse)]
pub enum Download {
    /// The etcd snapshot (`etcdutl snapshot restore` reads it as it is).
    #[oai(status = 200, content_type = "application/octet-stream")]
    Snapshot(
        Binary<Body>,
        #[oai(header = "Content-Disposition")] String,
        /// SHA-256 of the snapshot, to check the download against.
        #[oai(header = "X-Taichu-Sha256")]
        String,
    ),
}

/// The backup `backup_id` of the cluster, or 404 (another cluster's backup is not found).
pub async fn load_backup(
    state: &AppState,
    cluster: &cluster_rows::Model,
    backup_id: &str,
) -> Result<backup_rows::Model, ApiError> {
    backups::find_of_cluster(&state.db, &cluster.id, backup_id)
        .await?
        .ok_or_else(|| ApiError::not_found("backup"))
}

/// Only the cluster's owner (or an admin) uses its etcd credentials.
fn require_operator(caller: &AuthUser, cluster: &cluster_rows::Model) -> Result<(), ApiError> {
    caller.require_owner(cluster.owner_id.as_deref(), "cluster")
}

async fn list_of(
    state: &AppState,
    cluster_id: &str,
    backup_type: Option<BackupType>,
    status: Option<String>,
    page: Option<u64>,
    limit: Option<u64>,
) -> ApiResult<BackupList> {
    let page = PageRequest::new(page, limit).map_err(ApiError::bad_request)?;
    let filter = BackupFilter {
        cluster_id: Some(cluster_id.to_owned()),
        backup_type,
        status: validate::word::<BackupStatus>("status", status)?,
    };
    let found = backups::list(&state.db, filter, page).await?;
    Ok(ok(BackupList {
        backups: found.items.into_iter().map(Into::into).collect(),
        total: found.total,
    }))
}

#[derive(Debug)]
pub struct BackupsApi;

#[OpenApi(tag = "ApiTags::Backups")]
impl BackupsApi {
    /// Start an etcd backup (the cluster's owner or an admin); it returns at
    /// once (`pending`) and a `backup` run does the work.
    #[oai(path = "/clusters/:id/etcd/backups", method = "post")]
    async fn create_etcd(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        id: Path<String>,
        body: JsonBody<CreateBackupRequest>,
    ) -> ApiResult<BackupView> {
        self.create(state, auth, id, body).await
    }

    /// Start a backup of `backup_type` (`etcd` today; `resources` and `full`
    /// are refused with 400 until they exist).
    #[oai(path = "/clusters/:id/backups", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        id: Path<String>,
        body: JsonBody<CreateBackupRequest>,
    ) -> ApiResult<BackupView> {
        let cluster = load_cluster(&state, &id).await?;
        require_operator(&auth.0, &cluster)?;
        let b = &body.0;
        let order = BackupOrder {
            name: &b.backup_name,
            backup_type: b.backup_type.as_deref().unwrap_or("etcd"),
            retention_days: b.retention_days,
            inline: &b.etcd,
        };
        Ok(ok(start_backup(&state, &auth.0, &cluster, order).await?.into()))
    }

    /// The cluster's etcd backups, newest first.
    #[oai(path = "/clusters/:id/etcd/backups", method = "get")]
    async fn list_etcd(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
        status: Query<Option<String>>,
        page: Query<Option<u64>>,
        limit: Query<Option<u64>>,
    ) -> ApiResult<BackupList> {
        let cluster = load_cluster(&state, &id).await?;
        list_of(&state, &cluster.id, Some(BackupType::Etcd), status.0, page.0, limit.0).await
    }

    /// The cluster's backups of every type, newest first.
    #[oai(path = "/clusters/:id/backups", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
        status: Query<Option<String>>,
        page: Query<Option<u64>>,
        limit: Query<Option<u64>>,
    ) -> ApiResult<BackupList> {
        let cluster = load_cluster(&state, &id).await?;
        list_of(&state, &cluster.id, None, status.0, page.0, limit.0).await
    }

    /// One etcd backup.
    #[oai(path = "/clusters/:id/etcd/backups/:backup_id", method = "get")]
    async fn get_etcd(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        backup_id: Path<String>,
    ) -> ApiResult<BackupView> {
        let found = self.get(state, auth, id, backup_id).await?;
        if found.0.data.backup_type == BackupType::Resources.as_str() {
            return Err(ApiError::not_found("etcd backup"));
        }
        Ok(found)
    }

    /// One backup.
    #[oai(path = "/clusters/:id/backups/:backup_id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
        backup_id: Path<String>,
    ) -> ApiResult<BackupView> {
        let cluster = load_cluster(&state, &id).await?;
        Ok(ok(load_backup(&state, &cluster, &backup_id).await?.into()))
    }

    /// Delete a backup: its objects, then its record (the cluster's owner,
    /// the backup's creator, or an admin). 409 while it or a restore of it runs.
    #[oai(path = "/clusters/:id/backups/:backup_id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        id: Path<String>,
        backup_id: Path<String>,
    ) -> ApiResult<MessageData> {
        let cluster = load_cluster(&state, &id).await?;
        let backup = load_backup(&state, &cluster, &backup_id).await?;
        if !auth.0.can_manage(cluster.owner_id.as_deref()) && !auth.0.can_manage(backup.created_by_id.as_deref()) {
            return Err(ApiError::forbidden(
                "only an admin, the cluster's owner or the backup's creator may delete it",
            ));
        }
        delete_backup(&state, &backup).await?;
        Ok(ok(MessageData::new("backup deleted")))
    }

    /// Download the etcd snapshot, decrypted as it streams (an admin or the
    /// backup's creator), to keep a copy off-site.
    #[oai(path = "/clusters/:id/backups/:backup_id/download", method = "get")]
    async fn download(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        backup_id: Path<String>,
    ) -> Result<Download, ApiError> {
        let cluster = load_cluster(&state, &id).await?;
        let backup = load_backup(&state, &cluster, &backup_id).await?;
        if !auth.0.can_manage(backup.created_by_id.as_deref()) {
            return Err(ApiError::forbidden(
                "only an admin or the backup's creator may download it",
            ));
        }
        if backup.backup_status() != BackupStatus::Completed {
            return Err(ApiError::conflict(format!("backup {} is {}", backup.id, backup.status)));
        }
        let part = backup
            .part_list()
            .into_iter()
            .find(|p| p.kind == PartKind::Etcd)
            .ok_or_else(|| ApiError::not_found("etcd snapshot"))?;
        let (Some(object), Some(sealed)) = (part.object, backup.data_key_enc.as_deref()) else {
            return Err(ApiError::not_found("etcd snapshot"));
        };
        let key = state
            .env
            .secrets
            .open(Slot::BackupDataKey, &backup.id, sealed)
            .map_err(ApiError::internal)?;
        let key = DataKey::from_bytes(&key).map_err(ApiError::internal)?;
        let reader = state.env.objects.reader(&object).await?;
        let (plain, _) = sealed_stream::open(reader, &key);
        Ok(Download::Snapshot(
            Binary(Body::from_async_read(plain)),
            format!("attachment; filename=\"{}.db\"", backup.name),
            part.plain_sha256.unwrap_or_default(),
        ))
    }
}
