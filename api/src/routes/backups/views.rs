//! Backups and restores as the API shows them (the seed's fields, plus the
//! checksums and etcd facts a user checks a backup by).

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use taichu_storage::entities::{backups, restores, workflow_runs};
use taichu_storage::repositories::restores::RestoreStatus;

use taichu_workflows::resources::dump::KindCount;
use taichu_workflows::resources::{Contents, Selection, Tally};

use super::super::run_views::RunVisibility;
use super::super::workflows::plan_of;
use super::ResourceFiltersBody;

/// One part of a backup (etcd snapshot, resources archive).
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BackupPartView {
    /// `etcd` or `resources`.
    pub kind: String,
    pub status: String,
    pub size_bytes: Option<i64>,
    /// SHA-256 of the stored (encrypted) object.
    pub sha256: Option<String>,
    /// SHA-256 of the snapshot or archive itself, as downloaded.
    pub plain_sha256: Option<String>,
    pub plain_size_bytes: Option<i64>,
    pub error: Option<String>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BackupView {
    pub id: String,
    pub cluster_id: Option<String>,
    pub cluster_name: String,
    pub name: String,
    pub backup_name: String,
    /// `etcd`, `resources` or `full`.
    pub backup_type: String,
    /// `pending`, `running`, `completed`, `failed`, `deleting`, `delete_failed`.
    pub status: String,
    /// Where the backup's objects are: `s3://bucket/clusters/…/` or `file:///…/`.
    pub storage_location: String,
    pub storage_size_bytes: Option<i64>,
    /// SHA-256 of the stored etcd snapshot object.
    pub sha256: Option<String>,
    pub etcd_revision: Option<i64>,
    pub etcd_version: Option<String>,
    pub key_count: Option<i64>,
    /// When the snapshot was taken.
    pub snapshot_timestamp: Option<DateTime<Utc>>,
    pub retention_days: i32,
    pub expires_at: Option<DateTime<Utc>>,
    /// The `backup` run doing the work.
    pub workflow_id: Option<String>,
    pub parts: Vec<BackupPartView>,
    /// The filters a resources backup was taken with.
    pub filters: Option<ResourceFiltersBody>,
    /// Objects in the resources archive.
    pub total_objects: Option<u64>,
    /// The kinds in the resources archive, with counts, in restore order.
    pub kinds: Vec<KindCountView>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Why it failed; for a full backup, which part failed and which can still be restored.
    pub error_message: Option<String>,
}

/// One kind in a resources archive.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct KindCountView {
    /// `ConfigMap`, `Deployment.apps`.
    pub kind: String,
    pub api_version: String,
    pub namespaced: bool,
    pub count: u64,
}

impl From<KindCount> for KindCountView {
    fn from(k: KindCount) -> Self {
        Self {
            kind: k.type_ref.qualified_kind(),
            api_version: k.type_ref.api_version(),
            namespaced: k.type_ref.namespaced,
            count: k.count,
        }
    }
}

impl From<backups::Model> for BackupView {
    fn from(m: backups::Model) -> Self {
        let parts = m
            .part_list()
            .into_iter()
            .map(|p| BackupPartView {
                kind: serde_json::to_value(p.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                status: p.status,
                size_bytes: p.size_bytes,
                sha256: p.sha256,
                plain_sha256: p.plain_sha256,
                plain_size_bytes: p.plain_size_bytes,
                error: p.error,
            })
            .collect();
        let contents: Option<Contents> = m.contents.as_deref().and_then(|c| serde_json::from_str(c).ok());
        let filters = m
            .filters
            .as_deref()
            .and_then(|f| serde_json::from_str::<Selection>(f).ok())
            .map(ResourceFiltersBody::from);
        Self {
            filters,
            total_objects: contents.as_ref().map(|c| c.total_objects),
            kinds: contents
                .map(|c| c.kinds.into_iter().map(Into::into).collect())
                .unwrap_or_default(),
            id: m.id,
            cluster_id: m.cluster_id,
            cluster_name: m.cluster_name,
            backup_name: m.name.clone(),
            name: m.name,
            backup_type: m.backup_type,
            status: m.status,
            storage_location: m.storage_location,
            storage_size_bytes: m.size_bytes,
            sha256: m.sha256,
            etcd_revision: m.etcd_revision,
            etcd_version: m.etcd_version,
            key_count: m.key_count,
            snapshot_timestamp: m.started_at,
            retention_days: m.retention_days,
            expires_at: m.expires_at,
            workflow_id: m.workflow_id,
            parts,
            created_by: m.created_by,
            created_at: m.created_at,
            started_at: m.started_at,
            completed_at: m.completed_at,
            error_message: m.error_message,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BackupList {
    pub backups: Vec<BackupView>,
    pub total: u64,
}

/// Outcomes of one kind in a resources restore.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RestoreKindView {
    /// `ConfigMap`, `Deployment.apps`.
    pub kind: String,
    pub selected: u64,
    pub applied: u64,
    /// Already there and left as it was (`existing_policy: skip`).
    pub skipped: u64,
    pub failed: u64,
    /// The first reasons, `Kind namespace/name: reason`.
    pub errors: Vec<String>,
}

/// A restore's progress.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RestoreView {
    pub id: String,
    pub restore_name: String,
    pub backup_id: Option<String>,
    /// The cluster restored into.
    pub cluster_id: Option<String>,
    /// The cluster the backup was taken from.
    pub source_cluster_id: Option<String>,
    /// The parts restored: `etcd`, `resources`.
    pub parts: Vec<String>,
    /// The resources options: filters, `namespace_mappings`, `existing_policy`.
    pub options: serde_json::Value,
    /// `pending`, `running`, `completed`, `completed_with_errors` (some
    /// objects failed: see `objects_failed` and `kinds`), `failed`, `cancelled`.
    pub status: String,
    /// Percent done: objects applied of those selected for a resources
    /// restore, the steps' weight otherwise.
    pub progress: i32,
    pub objects_selected: Option<u64>,
    pub objects_applied: Option<u64>,
    pub objects_skipped: Option<u64>,
    pub objects_failed: Option<u64>,
    pub kinds: Vec<RestoreKindView>,
    /// The step running now (or where it stopped).
    pub current_step: Option<String>,
    /// The `restore` run doing the work.
    pub workflow_id: Option<String>,
    /// What the restore went through: members, the revision they agree on,
    /// whether it was rolled back.
    pub details: serde_json::Value,
    /// The run's log (admins and whoever started the restore).
    pub logs: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Why it failed (admins and whoever started it).
    pub error_message: Option<String>,
}

impl RestoreView {
    pub fn of(m: restores::Model, run: Option<&workflow_runs::Model>, visibility: RunVisibility, logs: String) -> Self {
        let current_step = run.and_then(|run| {
            let plan = plan_of(run);
            let index = usize::try_from(run.current_step).unwrap_or(0);
            plan.get(index.min(plan.len().saturating_sub(1)))
                .map(|s| s.name.clone())
        });
        // The restore's row says it ended in its last step, a moment before the
        // run commits that step's progress: the row's word decides.
        let ended = matches!(
            m.restore_status(),
            RestoreStatus::Completed | RestoreStatus::CompletedWithErrors
        );
        let details: serde_json::Value = serde_json::from_str(&m.details).unwrap_or_default();
        let options: serde_json::Value = serde_json::from_str(&m.options).unwrap_or_default();
        let parts: Vec<String> = options["parts"]
            .as_array()
            .map(|p| p.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_else(|| vec!["etcd".to_owned()]);
        let tally: Option<Tally> = serde_json::from_value(details["resources"].clone()).ok();
        let steps = run.map_or(0, |r| r.progress);
        let progress = match &tally {
            _ if ended => 100,
            Some(t) if parts == ["resources"] && t.selected > 0 => {
                i32::try_from((t.done() * 100 / t.selected).min(99)).unwrap_or(99)
            }
            _ => steps,
        };
        Self {
            progress,
            objects_selected: tally.as_ref().map(|t| t.selected),
            objects_applied: tally.as_ref().map(|t| t.applied),
            objects_skipped: tally.as_ref().map(|t| t.skipped),
            objects_failed: tally.as_ref().map(|t| t.failed),
            kinds: tally
                .map(|t| {
                    t.kinds
                        .into_iter()
                        .map(|(kind, k)| RestoreKindView {
                            kind,
                            selected: k.selected,
                            applied: k.applied,
                            skipped: k.skipped,
                            failed: k.failed,
                            errors: k.errors,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            source_cluster_id: options["source_cluster_id"].as_str().map(str::to_owned),
            parts,
            options: options["options"].clone(),
            current_step,
            details,
            logs,
            error_message: match visibility {
                RunVisibility::Full => m.error_message,
                RunVisibility::Summary => None,
            },
            id: m.id,
            restore_name: m.name,
            backup_id: m.backup_id,
            cluster_id: m.cluster_id,
            status: m.status,
            workflow_id: m.workflow_id,
            created_by: m.created_by,
            created_at: m.created_at,
            started_at: m.started_at,
            completed_at: m.completed_at,
        }
    }
}
