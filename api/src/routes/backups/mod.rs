//! Seed section 备份接口: etcd backups and their restores. A backup or a
//! restore is recorded and its workflow started in one transaction holding
//! the cluster, so one operation runs on a cluster at a time (409 names the
//! running one).

/// What a resources backup holds.
pub mod contents;
/// `GET/PUT /clusters/{id}/etcd`.
pub mod etcd;
/// Restores of a backup.
pub mod restore;
/// Backup schedules.
pub mod schedules;
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
use crate::auth::{AdminAuth, AuthUser, BearerAuth, WriterAuth};
use crate::envelope::{MessageData, ok};
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::state::AppState;
use crate::validate;
use contents::{ContentsQuery, ContentsView};
use etcd::EtcdSettingsBody;
use start::{BackupOrder, delete_backup, start_backup};
use taichu_workflows::resources::Selection;
use views::{BackupList, BackupView};

/// Namespaces and kinds a resources backup or restore takes. Kinds are named
/// as `Deployment`, `deployments` or `deployments.apps` (any case).
#[derive(Debug, Default, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ScopeBody {
    /// Only these namespaces (cluster-scoped kinds then only when named in `include_kinds`).
    #[serde(default)]
    pub include_namespaces: Option<Vec<String>>,
    #[serde(default)]
    pub exclude_namespaces: Option<Vec<String>>,
    /// Only these kinds.
    #[serde(default)]
    pub include_kinds: Option<Vec<String>>,
    #[serde(default)]
    pub exclude_kinds: Option<Vec<String>>,
}

impl ScopeBody {
    /// The selection these fields make, with `label_selector` (backups only).
    pub fn selection(&self, label_selector: Option<String>) -> Selection {
        Selection {
            include_namespaces: self.include_namespaces.clone().unwrap_or_default(),
            exclude_namespaces: self.exclude_namespaces.clone().unwrap_or_default(),
            include_kinds: self.include_kinds.clone().unwrap_or_default(),
            exclude_kinds: self.exclude_kinds.clone().unwrap_or_default(),
            label_selector,
        }
    }
}

/// Which objects a resources (or full) backup takes.
#[derive(Debug, Default, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ResourceFiltersBody {
    #[oai(flatten)]
    #[serde(flatten)]
    pub scope: ScopeBody,
    /// A Kubernetes label selector, e.g. `app=web,tier!=db`.
    #[serde(default)]
    pub label_selector: Option<String>,
}

impl From<Selection> for ResourceFiltersBody {
    fn from(s: Selection) -> Self {
        let some = |v: Vec<String>| (!v.is_empty()).then_some(v);
        Self {
            scope: ScopeBody {
                include_namespaces: some(s.include_namespaces),
                exclude_namespaces: some(s.exclude_namespaces),
                include_kinds: some(s.include_kinds),
                exclude_kinds: some(s.exclude_kinds),
            },
            label_selector: s.label_selector,
        }
    }
}

impl ResourceFiltersBody {
    pub fn selection(&self) -> Selection {
        self.scope.selection(self.label_selector.clone())
    }
}

/// Start a backup. etcd settings may come inline (the seed's fields);
/// otherwise the cluster's stored ones are used. Resources need none.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct CreateBackupRequest {
    /// 1-128 characters of A-Z, a-z, 0-9, `_`, `.`, `-`.
    pub backup_name: String,
    /// `etcd`, `resources` or `full` (both). Default: the route's type (`etcd` on `/backups`).
    #[serde(default)]
    pub backup_type: Option<String>,
    /// 1-3650; default 30.
    #[serde(default)]
    pub retention_days: Option<i32>,
    #[oai(flatten)]
    #[serde(flatten)]
    pub source: BackupSourceBody,
}

/// What a backup reads: where etcd is (etcd and full backups) and which
/// objects (resources and full backups).
#[derive(Debug, Default, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct BackupSourceBody {
    #[oai(flatten)]
    #[serde(flatten)]
    pub etcd: EtcdSettingsBody,
    #[oai(flatten)]
    #[serde(flatten)]
    pub filters: ResourceFiltersBody,
}

/// A stored part, decrypted as it streams.
#[derive(Debug, ApiResponse)]
pub enum Download {
    /// The etcd snapshot (`etcdutl snapshot restore` reads it as it is), or
    /// the resources archive (`resources.tar.zst`: `tar --zstd -xf`).
    #[oai(status = 200, content_type = "application/octet-stream")]
    Part(
        Binary<Body>,
        #[oai(header = "Content-Disposition")] String,
        /// SHA-256 of the download, to check it against.
        #[oai(header = "X-Taichu-Sha256")]
        String,
    ),
}

/// The stored object of a completed part of `backup`.
pub fn stored_part(backup: &backup_rows::Model, kind: PartKind) -> Result<String, ApiError> {
    backup
        .part_list()
        .into_iter()
        .find(|p| p.kind == kind && p.status == BackupStatus::Completed.as_str())
        .and_then(|p| p.object)
        .ok_or_else(|| ApiError::not_found("stored part"))
}

/// The backup's data key, opened.
pub fn data_key_of(state: &AppState, backup: &backup_rows::Model) -> Result<DataKey, ApiError> {
    let sealed = backup
        .data_key_enc
        .as_deref()
        .ok_or_else(|| ApiError::not_found("the backup's data key"))?;
    let key = state
        .env
        .secrets
        .open(Slot::BackupDataKey, &backup.id, sealed)
        .map_err(ApiError::internal)?;
    DataKey::from_bytes(&key).map_err(ApiError::internal)
}

/// The backup `backup_id` of the cluster, or, for an admin, a backup whose
/// cluster was deleted (restored into this one); otherwise 404.
pub async fn load_restorable(
    state: &AppState,
    caller: &AuthUser,
    cluster: &cluster_rows::Model,
    backup_id: &str,
) -> Result<backup_rows::Model, ApiError> {
    match load_backup(state, cluster, backup_id).await {
        Err(not_found) if caller.is_admin() => backups::find(&state.db, backup_id)
            .await?
            .filter(|b| b.cluster_id.is_none())
            .ok_or(not_found),
        other => other,
    }
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
    cluster_id: Option<&str>,
    backup_type: Option<BackupType>,
    status: Option<String>,
    page: Option<u64>,
    limit: Option<u64>,
) -> ApiResult<BackupList> {
    let page = PageRequest::new(page, limit).map_err(ApiError::bad_request)?;
    let filter = BackupFilter {
        cluster_id: cluster_id.map(str::to_owned),
        backup_type,
        status: validate::word::<BackupStatus>("status", status)?,
    };
    let found = backups::list(&state.db, filter, page).await?;
    Ok(ok(BackupList {
        backups: found.items.into_iter().map(Into::into).collect(),
        total: found.total,
    }))
}

/// Checks the caller and starts a backup; `fixed` is the route's own type.
async fn create_of(
    state: &AppState,
    auth: &WriterAuth,
    id: &str,
    body: &CreateBackupRequest,
    fixed: Option<BackupType>,
) -> ApiResult<BackupView> {
    let cluster = load_cluster(state, id).await?;
    require_operator(&auth.0, &cluster)?;
    let backup_type = match (fixed, body.backup_type.as_deref()) {
        (Some(fixed), Some(asked)) if asked != fixed.as_str() => {
            return Err(ApiError::bad_request(format!(
                "backup_type: this route takes {} backups; use POST /api/v1/clusters/{id}/backups for {asked}",
                fixed.as_str()
            )));
        }
        (Some(fixed), _) => fixed.as_str(),
        (None, asked) => asked.unwrap_or(BackupType::Etcd.as_str()),
    };
    let order = BackupOrder {
        name: &body.backup_name,
        backup_type,
        retention_days: body.retention_days,
        inline: &body.source.etcd,
        filters: body.source.filters.selection(),
    };
    Ok(ok(start_backup(state, &auth.0, &cluster, order).await?.into()))
}

#[derive(Debug)]
pub struct BackupsApi;

#[OpenApi(tag = "ApiTags::Backups")]
impl BackupsApi {
    /// Start an etcd backup (the cluster's owner or an admin); it returns at
    /// once (`pending`) and a `backup` run does the work.
    #[oai(
        path = "/clusters/:id/etcd/backups",
        method = "post",
        operation_id = "create_etcd_backup"
    )]
    async fn create_etcd(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        id: Path<String>,
        body: JsonBody<CreateBackupRequest>,
    ) -> ApiResult<BackupView> {
        create_of(&state, &auth, &id, &body, Some(BackupType::Etcd)).await
    }

    /// Start a resources backup (the cluster's owner or an admin): every
    /// selected object, read through the cluster's API into an encrypted
    /// archive. It returns at once (`pending`).
    #[oai(
        path = "/clusters/:id/resources/backups",
        method = "post",
        operation_id = "create_resource_backup"
    )]
    async fn create_resources(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        id: Path<String>,
        body: JsonBody<CreateBackupRequest>,
    ) -> ApiResult<BackupView> {
        create_of(&state, &auth, &id, &body, Some(BackupType::Resources)).await
    }

    /// Start a backup of `backup_type`: `etcd`, `resources`, or `full` (both
    /// parts under one id, each with its own status).
    #[oai(path = "/clusters/:id/backups", method = "post", operation_id = "create_backup")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        id: Path<String>,
        body: JsonBody<CreateBackupRequest>,
    ) -> ApiResult<BackupView> {
        create_of(&state, &auth, &id, &body, None).await
    }

    /// Every backup across clusters, newest first (admins), including those
    /// of deleted clusters (`cluster_id` null, `cluster_name` kept), which an
    /// admin can restore into another cluster.
    #[oai(path = "/backups", method = "get", operation_id = "list_all_backups")]
    async fn list_everywhere(
        &self,
        state: Data<&AppState>,
        _auth: AdminAuth,
        backup_type: Query<Option<String>>,
        status: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u64>>,
    ) -> ApiResult<BackupList> {
        let kind = validate::word::<BackupType>("backup_type", backup_type.0)?;
        list_of(&state, None, kind, status.0, page.0, limit.0).await
    }

    /// The cluster's resources backups, newest first.
    #[oai(
        path = "/clusters/:id/resources/backups",
        method = "get",
        operation_id = "list_resource_backups"
    )]
    async fn list_resources(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
        status: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u64>>,
    ) -> ApiResult<BackupList> {
        let cluster = load_cluster(&state, &id).await?;
        list_of(
            &state,
            Some(&cluster.id),
            Some(BackupType::Resources),
            status.0,
            page.0,
            limit.0,
        )
        .await
    }

    /// One resources backup.
    #[oai(
        path = "/clusters/:id/resources/backups/:backup_id",
        method = "get",
        operation_id = "get_resource_backup"
    )]
    async fn get_resources(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        backup_id: Path<String>,
    ) -> ApiResult<BackupView> {
        let found = self.get(state, auth, id, backup_id).await?;
        if found.0.data.backup_type == BackupType::Etcd.as_str() {
            return Err(ApiError::not_found("resources backup"));
        }
        Ok(found)
    }

    /// The cluster's etcd backups, newest first.
    #[oai(
        path = "/clusters/:id/etcd/backups",
        method = "get",
        operation_id = "list_etcd_backups"
    )]
    async fn list_etcd(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
        status: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u64>>,
    ) -> ApiResult<BackupList> {
        let cluster = load_cluster(&state, &id).await?;
        list_of(
            &state,
            Some(&cluster.id),
            Some(BackupType::Etcd),
            status.0,
            page.0,
            limit.0,
        )
        .await
    }

    /// The cluster's backups, newest first: every type, or one `backup_type`
    /// (`full` for the seed's list of full backups).
    #[oai(path = "/clusters/:id/backups", method = "get", operation_id = "list_backups")]
    #[expect(
        clippy::too_many_arguments,
        reason = "each query filter is its own documented parameter"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
        backup_type: Query<Option<String>>,
        status: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u64>>,
    ) -> ApiResult<BackupList> {
        let cluster = load_cluster(&state, &id).await?;
        let kind = validate::word::<BackupType>("backup_type", backup_type.0)?;
        list_of(&state, Some(&cluster.id), kind, status.0, page.0, limit.0).await
    }

    /// One etcd backup.
    #[oai(
        path = "/clusters/:id/etcd/backups/:backup_id",
        method = "get",
        operation_id = "get_etcd_backup"
    )]
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
    #[oai(
        path = "/clusters/:id/backups/:backup_id",
        method = "get",
        operation_id = "get_backup"
    )]
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
    #[oai(
        path = "/clusters/:id/backups/:backup_id",
        method = "delete",
        operation_id = "delete_backup"
    )]
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

    /// What a resources backup holds: kinds with counts; with `kind` and/or
    /// `namespace`, the matching objects' names (read from the archive,
    /// names only), at most `limit` (1-10000, default 1000).
    #[oai(
        path = "/clusters/:id/backups/:backup_id/contents",
        method = "get",
        operation_id = "list_backup_contents"
    )]
    #[expect(
        clippy::too_many_arguments,
        reason = "each query filter is its own documented parameter"
    )]
    async fn contents(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
        backup_id: Path<String>,
        kind: Query<Option<String>>,
        namespace: Query<Option<String>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "10000")))] limit: Query<Option<u64>>,
    ) -> ApiResult<ContentsView> {
        let cluster = load_cluster(&state, &id).await?;
        let backup = load_backup(&state, &cluster, &backup_id).await?;
        let query = ContentsQuery {
            kind: kind.0,
            namespace: namespace.0,
            limit: limit.0,
        };
        Ok(ok(contents::contents(&state, &backup, query).await?))
    }

    /// Download a stored part, decrypted as it streams (an admin or the
    /// backup's creator), to keep a copy off-site: `part` is `etcd` (the
    /// snapshot) or `resources` (the archive); default: etcd when the backup has it.
    #[oai(
        path = "/clusters/:id/backups/:backup_id/download",
        method = "get",
        operation_id = "download_backup"
    )]
    async fn download(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        backup_id: Path<String>,
        part: Query<Option<String>>,
    ) -> Result<Download, ApiError> {
        let cluster = load_cluster(&state, &id).await?;
        let backup = load_backup(&state, &cluster, &backup_id).await?;
        if !auth.0.can_manage(backup.created_by_id.as_deref()) {
            return Err(ApiError::forbidden(
                "only an admin or the backup's creator may download it",
            ));
        }
        let kind = match part.0.as_deref() {
            Some("etcd") => PartKind::Etcd,
            Some("resources") => PartKind::Resources,
            Some(_) => return Err(ApiError::bad_request("part: \"etcd\" or \"resources\"")),
            None if backup.backup_type().parts().contains(&PartKind::Etcd) => PartKind::Etcd,
            None => PartKind::Resources,
        };
        let stored = backup.part_list().into_iter().find(|p| p.kind == kind);
        let plain_sha256 = stored.and_then(|p| p.plain_sha256).unwrap_or_default();
        let object = stored_part(&backup, kind).map_err(|_| {
            ApiError::conflict(format!(
                "backup {} is {} and has no completed {} part to download",
                backup.id,
                backup.status,
                part.0.as_deref().unwrap_or("etcd")
            ))
        })?;
        let key = data_key_of(&state, &backup)?;
        let reader = state.env.objects.reader(&object).await?;
        let (plain, _) = sealed_stream::open(reader, &key);
        let file = match kind {
            PartKind::Etcd => format!("{}.db", backup.name),
            PartKind::Resources => format!("{}.tar.zst", backup.name),
        };
        Ok(Download::Part(
            Binary(Body::from_async_read(plain)),
            format!("attachment; filename=\"{file}\""),
            plain_sha256,
        ))
    }
}
