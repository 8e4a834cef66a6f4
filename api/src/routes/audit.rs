//! Seed section 审计接口.

use chrono::{DateTime, Utc};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{Object, OpenApi};
use taichu_storage::PageRequest;
use taichu_storage::entities::audit_logs::Model;
use taichu_storage::repositories::audit::{self, AuditFilter, NewAudit, Source};

use super::ApiTags;
use crate::audit_trail::client_ip;
use crate::auth::{AdminAuth, BearerAuth, WriterAuth};
use crate::envelope::ok;
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::state::AppState;
use crate::validate;

/// One audited action.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditLogView {
    pub id: String,
    pub user_id: Option<String>,
    pub username: Option<String>,
    /// e.g. `CREATE_CLUSTER`, `LOGIN`.
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub cluster_id: Option<String>,
    pub details: Option<String>,
    /// `success` or `failure`.
    pub result: String,
    /// HTTP status of the audited request.
    pub status_code: i32,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    pub timestamp: DateTime<Utc>,
    /// `api`: recorded by Taichu from the request it served; `client`: a
    /// client's own entry (`POST /audit`), under the client's name;
    /// `system`: Taichu's own action (throttling, retention).
    pub source: String,
}

impl From<Model> for AuditLogView {
    fn from(m: Model) -> Self {
        Self {
            id: m.id,
            user_id: m.user_id,
            username: m.username,
            action: m.action,
            resource_type: m.resource_type,
            resource_id: m.resource_id,
            cluster_id: m.cluster_id,
            details: m.details,
            result: m.result,
            status_code: m.status_code,
            client_addr: m.client_addr,
            user_agent: m.user_agent,
            timestamp: m.timestamp,
            source: m.source,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditLogList {
    pub audit_logs: Vec<AuditLogView>,
    pub total: u64,
}

/// An entry a client records itself; the actor is always the caller.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct CreateAuditRequest {
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub details: Option<String>,
}

#[derive(Debug)]
pub struct AuditApi;

async fn list_page(
    state: &AppState,
    filter: AuditFilter,
    page: Option<u64>,
    limit: Option<u64>,
) -> ApiResult<AuditLogList> {
    let page = PageRequest::new(page, limit).map_err(ApiError::bad_request)?;
    let found = audit::list(&state.db, filter, page).await?;
    Ok(ok(AuditLogList {
        audit_logs: found.items.into_iter().map(Into::into).collect(),
        total: found.total,
    }))
}

#[OpenApi(tag = "ApiTags::Audit")]
impl AuditApi {
    /// The global audit trail, newest first (admin).
    #[oai(path = "/audit", method = "get", operation_id = "list_audit_logs")]
    #[expect(
        clippy::too_many_arguments,
        reason = "each query filter is its own documented parameter"
    )]
    async fn list(
        &self,
        state: Data<&AppState>,
        _auth: AdminAuth,
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u64>>,
        username: Query<Option<String>>,
        action: Query<Option<String>>,
        resource_type: Query<Option<String>>,
        /// RFC 3339; entries at or after this time.
        since: Query<Option<DateTime<Utc>>>,
        /// RFC 3339; entries at or before this time.
        until: Query<Option<DateTime<Utc>>>,
    ) -> ApiResult<AuditLogList> {
        let filter = AuditFilter {
            username: username.0,
            action: action.0,
            resource_type: resource_type.0,
            cluster_id: None,
            since: since.0,
            until: until.0,
        };
        list_page(&state, filter, page.0, limit.0).await
    }

    /// Record an audit entry as the caller; it is marked `source: client`.
    #[oai(path = "/audit", method = "post", operation_id = "create_audit_log")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        req: &Request,
        body: JsonBody<CreateAuditRequest>,
    ) -> ApiResult<AuditLogView> {
        let body = body.0;
        validate::token("action", &body.action, 64)?;
        validate::token("resource_type", &body.resource_type, 64)?;
        if let Some(id) = &body.resource_id {
            validate::token("resource_id", id, 128)?;
        }
        if let Some(details) = &body.details {
            validate::text("details", details, 4096)?;
        }
        let row = NewAudit {
            source: Source::Client,
            user_id: Some(auth.0.id.clone()),
            username: Some(auth.0.username.clone()),
            action: body.action,
            resource_type: body.resource_type,
            resource_id: body.resource_id,
            cluster_id: None,
            details: body.details,
            success: true,
            status_code: 200,
            client_addr: client_ip(req, &state.settings.trusted_proxies).map(|ip| ip.to_string()),
            user_agent: req
                .headers()
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(512).collect()),
        };
        Ok(ok(audit::insert(&state.db, row).await?.into()))
    }

    /// The audit trail of one cluster, newest first (admin or the cluster's owner).
    #[oai(
        path = "/clusters/:id/audit",
        method = "get",
        operation_id = "list_cluster_audit_logs"
    )]
    async fn cluster_audit(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u64>>,
    ) -> ApiResult<AuditLogList> {
        let cluster = super::clusters::load_cluster(&state, &id).await?;
        auth.0.require_owner(cluster.owner_id.as_deref(), "cluster")?;
        let filter = AuditFilter {
            cluster_id: Some(cluster.id),
            ..Default::default()
        };
        list_page(&state, filter, page.0, limit.0).await
    }
}
