//! Seed section 备份计划: backup schedules of a cluster. Checked before
//! anything is stored (cron expression, time zone, interval, etcd settings,
//! filters); the SSH password is sealed and shown only as
//! `has_ssh_password`; `created_by` comes from the token. Workers fire them.

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::{Object, OpenApi};
use taichu_storage::PageRequest;
use taichu_storage::entities::backup_schedules::Model as Schedule;
use taichu_storage::entities::clusters as cluster_rows;
use taichu_storage::repositories::backup_schedules;
use taichu_storage::repositories::backups::{BackupType, PartKind};
use taichu_storage::repositories::etcd_settings::{self, EtcdSettings, PasswordChange};
use taichu_storage::secrets::Slot;
use taichu_workflows::cron_schedule::CronSchedule;
use taichu_workflows::resources::Selection;

use super::super::ApiTags;
use super::super::clusters::load_cluster;
use super::etcd::check_machines;
use super::start::require_kubeconfig;
use super::{BackupSourceBody, ResourceFiltersBody, require_operator};
use crate::auth::{AuthUser, BearerAuth, WriterAuth};
use crate::envelope::{MessageData, ok};
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::state::AppState;
use crate::validate;

/// Schedules per cluster at most.
const MAX_SCHEDULES: u64 = 100;
/// Firings shown with a schedule.
const RECENT_FIRINGS: u64 = 20;

/// A schedule as created or changed. On update every field is optional and
/// only those given change; etcd settings are replaced when `etcd_endpoints`
/// is given.
#[derive(Debug, Default, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ScheduleBody {
    /// 1-100 characters of A-Z, a-z, 0-9, `_`, `.`, `-`; unique per cluster.
    #[serde(default)]
    pub name: Option<String>,
    /// 5 fields (`minute hour day month weekday`) or 6 (seconds first).
    #[serde(default)]
    pub cron_expr: Option<String>,
    /// An IANA time zone the expression is read in; default `UTC`.
    #[serde(default)]
    pub timezone: Option<String>,
    /// `etcd`, `resources` or `full`.
    #[serde(default)]
    pub backup_type: Option<String>,
    /// 1-3650; default 7.
    #[serde(default)]
    pub retention_days: Option<i32>,
    /// Completed backups kept at most (1-1000; unset: by age only).
    #[serde(default)]
    pub retention_count: Option<i32>,
    /// Default true.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Accepted for the seed's sake and ignored: the creator is the caller.
    #[serde(default)]
    pub created_by: Option<String>,
    #[oai(flatten)]
    #[serde(flatten)]
    pub source: BackupSourceBody,
}

/// One due time and what became of it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FiringView {
    pub due_at: DateTime<Utc>,
    /// `fired`, `skipped` (the cluster was busy), `missed` (no worker in time), `failed`.
    pub status: String,
    pub backup_id: Option<String>,
    pub reason: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ScheduleView {
    pub id: String,
    pub cluster_id: String,
    pub name: String,
    pub schedule_name: String,
    pub cron_expr: String,
    pub cron_expression: String,
    pub timezone: String,
    pub backup_type: String,
    pub retention_days: i32,
    pub retention_count: Option<i32>,
    pub enabled: bool,
    pub etcd_endpoints: Option<String>,
    pub etcd_ca_cert: Option<String>,
    pub etcd_cert: Option<String>,
    pub etcd_key: Option<String>,
    pub etcd_data_dir: Option<String>,
    pub etcdctl_path: Option<String>,
    pub ssh_username: Option<String>,
    pub has_ssh_password: bool,
    pub etcd_deployment_type: Option<String>,
    pub k8s_deployment_type: Option<String>,
    pub filters: Option<ResourceFiltersBody>,
    pub next_run_at: Option<DateTime<Utc>>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_backup_id: Option<String>,
    /// What the last due time became: `fired`, `skipped`, `missed`, `failed`.
    pub last_status: Option<String>,
    /// The newest firings (on `GET …/backup-schedules/{scheduleId}`).
    pub recent_firings: Vec<FiringView>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn word_of<T: serde::Serialize>(value: T) -> Option<String> {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
}

impl From<Schedule> for ScheduleView {
    fn from(s: Schedule) -> Self {
        let etcd: Option<EtcdSettings> = s.settings.as_deref().and_then(|j| serde_json::from_str(j).ok());
        let filters = s
            .filters
            .as_deref()
            .and_then(|f| serde_json::from_str::<Selection>(f).ok())
            .map(ResourceFiltersBody::from);
        Self {
            id: s.id,
            cluster_id: s.cluster_id,
            schedule_name: s.name.clone(),
            name: s.name,
            cron_expression: s.cron_expr.clone(),
            cron_expr: s.cron_expr,
            timezone: s.timezone,
            backup_type: s.backup_type,
            retention_days: s.retention_days,
            retention_count: s.retention_count,
            enabled: s.enabled,
            etcd_endpoints: etcd.as_ref().map(|e| e.endpoints.join(",")),
            etcd_ca_cert: etcd.as_ref().and_then(|e| e.ca_cert.clone()),
            etcd_cert: etcd.as_ref().and_then(|e| e.cert.clone()),
            etcd_key: etcd.as_ref().and_then(|e| e.key.clone()),
            etcd_data_dir: etcd.as_ref().map(|e| e.data_dir.clone()),
            etcdctl_path: etcd.as_ref().map(|e| e.etcdctl_path.clone()),
            ssh_username: etcd.as_ref().and_then(|e| e.ssh_username.clone()),
            has_ssh_password: s.ssh_password_enc.is_some(),
            etcd_deployment_type: etcd.as_ref().and_then(|e| word_of(e.etcd_deployment)),
            k8s_deployment_type: etcd.as_ref().and_then(|e| word_of(e.k8s_deployment)),
            filters,
            next_run_at: s.next_run_at,
            last_run_at: s.last_run_at,
            last_backup_id: s.last_backup_id,
            last_status: s.last_status,
            recent_firings: Vec::new(),
            created_by: s.created_by,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// Applies `body` to `schedule` (a new one or a stored one) and checks the result.
async fn apply(
    state: &AppState,
    caller: &AuthUser,
    cluster: &cluster_rows::Model,
    mut schedule: Schedule,
    body: &ScheduleBody,
) -> Result<Schedule, ApiError> {
    if let Some(name) = &body.name {
        validate::name("name", name, 1, 100)?;
        schedule.name = name.clone();
    }
    if let Some(expr) = &body.cron_expr {
        schedule.cron_expr = expr.trim().to_owned();
    }
    if let Some(zone) = &body.timezone {
        schedule.timezone = zone.clone();
    }
    if let Some(kind) = &body.backup_type {
        let kind: BackupType = kind
            .parse()
            .map_err(|_| ApiError::bad_request("backup_type: must be one of etcd, resources, full"))?;
        schedule.backup_type = kind.as_str().to_owned();
    }
    if let Some(days) = body.retention_days {
        if !(1..=3650).contains(&days) {
            return Err(ApiError::bad_request("retention_days: must be between 1 and 3650"));
        }
        schedule.retention_days = days;
    }
    if let Some(count) = body.retention_count {
        if !(1..=1000).contains(&count) {
            return Err(ApiError::bad_request("retention_count: must be between 1 and 1000"));
        }
        schedule.retention_count = Some(count);
    }
    if let Some(enabled) = body.enabled {
        schedule.enabled = enabled;
    }
    if schedule.cron_expr.is_empty() {
        return Err(ApiError::bad_request("cron_expr: required"));
    }
    let cron = CronSchedule::parse(&schedule.cron_expr, &schedule.timezone).map_err(ApiError::bad_request)?;
    let now = Utc::now();
    cron.check_interval(now, state.settings.min_schedule_secs)
        .map_err(ApiError::bad_request)?;
    schedule.next_run_at = if schedule.enabled { cron.next_after(now) } else { None };

    let kind: BackupType = schedule
        .backup_type
        .parse()
        .map_err(|_| ApiError::bad_request("backup_type: required (etcd, resources, full)"))?;
    let filters = body.source.filters.selection();
    filters.check().map_err(ApiError::bad_request)?;
    if kind.parts().contains(&PartKind::Resources) {
        require_kubeconfig(cluster, "backup_type")?;
        if !filters.is_empty() {
            schedule.filters = Some(serde_json::to_string(&filters).map_err(ApiError::internal)?);
        }
    } else if !filters.is_empty() {
        return Err(ApiError::bad_request(
            "include_namespaces: namespace, kind and label filters apply to resources and full backups",
        ));
    } else {
        schedule.filters = None;
    }
    if body.source.etcd.is_given() {
        let settings = body.source.etcd.settings()?;
        check_machines(state, caller, &settings.machine_ids).await?;
        schedule.settings = Some(serde_json::to_string(&settings).map_err(ApiError::internal)?);
        match body
            .source
            .etcd
            .password(state, Slot::ScheduleSshPassword, &schedule.id)
        {
            PasswordChange::Set(sealed) => schedule.ssh_password_enc = Some(sealed),
            PasswordChange::Clear => schedule.ssh_password_enc = None,
            PasswordChange::Keep => {}
        }
    }
    let needs_etcd = kind.parts().contains(&PartKind::Etcd);
    if needs_etcd && schedule.settings.is_none() && etcd_settings::find(&state.db, &cluster.id).await?.is_none() {
        return Err(ApiError::bad_request(format!(
            "etcd settings: none given and none stored for this cluster; give etcd_endpoints and the rest, or PUT /api/v1/clusters/{}/etcd",
            cluster.id
        )));
    }
    schedule.updated_at = now;
    Ok(schedule)
}

async fn load_schedule(state: &AppState, cluster_id: &str, id: &str) -> Result<Schedule, ApiError> {
    backup_schedules::find_of_cluster(&state.db, cluster_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("backup schedule"))
}

#[derive(Debug)]
pub struct SchedulesApi;

#[OpenApi(tag = "ApiTags::Backups")]
impl SchedulesApi {
    /// The cluster's backup schedules, by name.
    #[oai(
        path = "/clusters/:id/backup-schedules",
        method = "get",
        operation_id = "list_backup_schedules"
    )]
    async fn list(&self, state: Data<&AppState>, _auth: BearerAuth, id: Path<String>) -> ApiResult<Vec<ScheduleView>> {
        let cluster = load_cluster(&state, &id).await?;
        let page = PageRequest::new(Some(1), Some(MAX_SCHEDULES)).map_err(ApiError::bad_request)?;
        let found = backup_schedules::list(&state.db, &cluster.id, page).await?;
        Ok(ok(found.items.into_iter().map(Into::into).collect()))
    }

    /// Create a backup schedule (the cluster's owner or an admin). 409 when
    /// the name is taken on this cluster.
    #[oai(
        path = "/clusters/:id/backup-schedules",
        method = "post",
        operation_id = "create_backup_schedule"
    )]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        id: Path<String>,
        body: JsonBody<ScheduleBody>,
    ) -> ApiResult<ScheduleView> {
        let cluster = load_cluster(&state, &id).await?;
        require_operator(&auth.0, &cluster)?;
        let b = &body.0;
        if b.name.is_none() {
            return Err(ApiError::bad_request("name: required"));
        }
        if b.backup_type.is_none() {
            return Err(ApiError::bad_request("backup_type: required (etcd, resources, full)"));
        }
        let page = PageRequest::new(Some(1), Some(1)).map_err(ApiError::bad_request)?;
        if backup_schedules::list(&state.db, &cluster.id, page).await?.total >= MAX_SCHEDULES {
            return Err(ApiError::conflict(format!(
                "cluster {} already has {MAX_SCHEDULES} backup schedules",
                cluster.id
            )));
        }
        let blank = backup_schedules::blank(&cluster.id, Some((auth.0.id.clone(), auth.0.username.clone())));
        let schedule = apply(&state, &auth.0, &cluster, blank, b).await?;
        Ok(ok(backup_schedules::create(&state.db, schedule).await?.into()))
    }

    /// One schedule, with its newest firings.
    #[oai(
        path = "/clusters/:id/backup-schedules/:schedule_id",
        method = "get",
        operation_id = "get_backup_schedule"
    )]
    async fn get(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<String>,
        schedule_id: Path<String>,
    ) -> ApiResult<ScheduleView> {
        let cluster = load_cluster(&state, &id).await?;
        let schedule = load_schedule(&state, &cluster.id, &schedule_id).await?;
        let firings = backup_schedules::firings(&state.db, &schedule.id, RECENT_FIRINGS).await?;
        let mut view = ScheduleView::from(schedule);
        view.recent_firings = firings
            .into_iter()
            .map(|f| FiringView {
                due_at: f.due_at,
                status: f.status,
                backup_id: f.backup_id,
                reason: f.reason,
                recorded_at: f.created_at,
            })
            .collect();
        Ok(ok(view))
    }

    /// Change a schedule (the cluster's owner or an admin): only the fields
    /// given; `next_run_at` is computed again; disabled, it fires no more.
    #[oai(
        path = "/clusters/:id/backup-schedules/:schedule_id",
        method = "put",
        operation_id = "update_backup_schedule"
    )]
    async fn update(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        id: Path<String>,
        schedule_id: Path<String>,
        body: JsonBody<ScheduleBody>,
    ) -> ApiResult<ScheduleView> {
        let cluster = load_cluster(&state, &id).await?;
        require_operator(&auth.0, &cluster)?;
        let schedule = load_schedule(&state, &cluster.id, &schedule_id).await?;
        let schedule = apply(&state, &auth.0, &cluster, schedule, &body.0).await?;
        Ok(ok(backup_schedules::save(&state.db, schedule).await?.into()))
    }

    /// Delete a schedule (the cluster's owner or an admin); its backups stay
    /// and are kept by their own `retention_days` from then on.
    #[oai(
        path = "/clusters/:id/backup-schedules/:schedule_id",
        method = "delete",
        operation_id = "delete_backup_schedule"
    )]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        id: Path<String>,
        schedule_id: Path<String>,
    ) -> ApiResult<MessageData> {
        let cluster = load_cluster(&state, &id).await?;
        require_operator(&auth.0, &cluster)?;
        let schedule = load_schedule(&state, &cluster.id, &schedule_id).await?;
        backup_schedules::delete(&state.db, &schedule.id).await?;
        Ok(ok(MessageData::new("backup schedule deleted")))
    }
}
