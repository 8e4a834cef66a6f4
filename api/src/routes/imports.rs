//! Seed section 导入接口: importing an existing cluster from its kubeconfig.
//! The kubeconfig is checked here (400 before anything is written), stored
//! encrypted on the cluster, and never returned.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{Object, OpenApi};
use taichu_storage::entities::{clusters as clusters_entity, workflow_runs};
use taichu_storage::repositories::clusters::{self, NewCluster};
use taichu_storage::secrets::Slot;
use taichu_storage::{db, new_id};
use taichu_workflows::import_cluster::{ImportCluster, ImportClusterInput};
use taichu_workflows::{Lock, Workflow, kube};

use super::ApiTags;
use super::clusters::insecure_allowed;
use super::run_views::{RunVisibility, input_of, load_of_kind, log_text, page_of_kind, views};
use crate::auth::{AuthUser, BearerAuth, WriterAuth};
use crate::envelope::ok;
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::state::AppState;
use crate::validate;

#[derive(Debug, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct ImportClusterRequest {
    /// Unique; 1-64 characters of A-Z, a-z, 0-9, `_`, `.`, `-`.
    pub name: String,
    pub description: Option<String>,
    /// The kubeconfig, base64-encoded. Only inline credentials are accepted
    /// (token, client certificate and key data, username and password).
    #[oai(write_only)]
    pub kubeconfig: String,
    pub provider: Option<String>,
    /// Admin only: allow `insecure-skip-tls-verify` or a plain `http` server.
    #[serde(default)]
    pub allow_insecure: Option<bool>,
}

/// An import: a view of an `import_cluster` run.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ImportView {
    /// The import's id (its workflow run).
    pub id: String,
    pub cluster_id: Option<String>,
    pub cluster_name: Option<String>,
    /// `pending`, `running`, `completed`, `failed` or `cancelled`.
    pub status: String,
    pub progress: i32,
    /// Why it failed (admins and whoever started it).
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ImportList {
    pub imports: Vec<ImportView>,
    pub total: u64,
}

/// An import's status with its log.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ImportStatus {
    #[oai(flatten)]
    pub import: ImportView,
    /// The run's log, one line per entry (admins and whoever started it).
    pub logs: String,
}

impl ImportView {
    fn of(run: &workflow_runs::Model, visibility: RunVisibility) -> Self {
        let input: Option<ImportClusterInput> = input_of(run);
        Self {
            id: run.id.clone(),
            cluster_id: input.as_ref().map(|i| i.cluster_id.clone()),
            cluster_name: input.map(|i| i.cluster_name),
            status: run.status.clone(),
            progress: run.progress,
            error: visibility.error(run),
            created_at: run.created_at,
            completed_at: run.finished_at,
        }
    }
}

/// Largest kubeconfig accepted, base64 included.
const MAX_KUBECONFIG: usize = 1 << 20;

fn decode_kubeconfig(encoded: &str, allow_insecure: bool) -> Result<(String, kube::KubeconfigSummary), ApiError> {
    if encoded.len() > MAX_KUBECONFIG {
        return Err(ApiError::bad_request("kubeconfig: larger than 1 MiB"));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| ApiError::bad_request("kubeconfig: not valid base64"))?;
    let yaml = String::from_utf8(bytes).map_err(|_| ApiError::bad_request("kubeconfig: not UTF-8 text"))?;
    let summary =
        kube::inspect(&yaml, allow_insecure).map_err(|e| ApiError::bad_request(format!("kubeconfig: {e}")))?;
    Ok((yaml, summary))
}

/// Checks the kubeconfig, then in one transaction registers the cluster
/// with it sealed and starts the import run holding the cluster. Nothing is
/// written when the kubeconfig is unusable.
pub async fn start_import(
    state: &AppState,
    mut new: NewCluster,
    kubeconfig_b64: &str,
    caller: &AuthUser,
) -> Result<(clusters_entity::Model, workflow_runs::Model), ApiError> {
    let (yaml, summary) = decode_kubeconfig(kubeconfig_b64, new.allow_insecure)?;
    if new.id.is_empty() {
        new.id = new_id();
    }
    new.kubeconfig_enc = Some(state.env.secrets.seal_str(Slot::ClusterKubeconfig, &new.id, &yaml));
    new.api_server = Some(summary.server);
    let txn = db::begin_write(&state.db).await?;
    let cluster = clusters::create(&txn, new).await?;
    let input = ImportClusterInput {
        cluster_id: cluster.id.clone(),
        cluster_name: cluster.name.clone(),
    };
    let started = state
        .engine
        .start_in::<ImportCluster>(
            &txn,
            Some(cluster.id.clone()),
            &input,
            Some(&caller.starter()),
            &[Lock::Cluster(cluster.id.clone())],
        )
        .await?;
    txn.commit().await?;
    Ok((cluster, state.engine.enqueue(started).await))
}

#[derive(Debug)]
pub struct ImportsApi;

#[OpenApi(tag = "ApiTags::Clusters")]
impl ImportsApi {
    /// Import a cluster from a base64 kubeconfig; an `import_cluster` run
    /// connects to it and registers it.
    #[oai(path = "/clusters/import", method = "post", operation_id = "import_cluster")]
    async fn import(
        &self,
        state: Data<&AppState>,
        auth: WriterAuth,
        body: JsonBody<ImportClusterRequest>,
    ) -> ApiResult<ImportView> {
        let b = body.0;
        let allow_insecure = insecure_allowed(&auth.0, b.allow_insecure)?;
        validate::name("name", &b.name, 1, 64)?;
        if let Some(d) = &b.description {
            validate::text("description", d, 1024)?;
        }
        if let Some(p) = &b.provider {
            validate::text("provider", p, 64)?;
        }
        let new = NewCluster {
            name: b.name,
            description: b.description,
            provider: b.provider,
            created_by: Some(auth.0.username.clone()),
            owner_id: Some(auth.0.id.clone()),
            allow_insecure,
            ..Default::default()
        };
        let (_, run) = start_import(&state, new, &b.kubeconfig, &auth.0).await?;
        Ok(ok(ImportView::of(&run, RunVisibility::Full)))
    }

    /// Imports, newest first.
    #[oai(path = "/clusters/imports", method = "get", operation_id = "list_imports")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))] limit: Query<Option<u64>>,
    ) -> ApiResult<ImportList> {
        let found = page_of_kind(&state, ImportCluster::KIND, page.0, limit.0).await?;
        Ok(ok(ImportList {
            imports: views(&auth.0, &found, ImportView::of),
            total: found.total,
        }))
    }

    /// One import's status, progress and log.
    #[oai(
        path = "/imports/:import_id/status",
        method = "get",
        operation_id = "get_import_status"
    )]
    async fn status(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        import_id: Path<String>,
    ) -> ApiResult<ImportStatus> {
        let run = load_of_kind(&state, &import_id, ImportCluster::KIND, "import").await?;
        let visibility = RunVisibility::for_caller(&auth.0, &run);
        Ok(ok(ImportStatus {
            import: ImportView::of(&run, visibility),
            logs: log_text(&state, &run, visibility).await?,
        }))
    }
}
