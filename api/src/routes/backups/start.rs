//! Starting a backup or a restore: the record and its run in one
//! transaction, holding the cluster (one operation at a time), and deleting
//! a backup's objects then its record.

use chrono::Utc;
use taichu_storage::entities::{backups as backup_rows, clusters, restores as restore_rows};
use taichu_storage::repositories::backups::{self, BackupStatus, BackupType, PartKind};
use taichu_storage::repositories::clusters as cluster_repo;
use taichu_storage::repositories::etcd_settings::{self, EtcdSettings, PasswordChange};
use taichu_storage::repositories::restores::{self, NewRestore};
use taichu_storage::secrets::Slot;
use taichu_storage::{db, new_id};
use taichu_workflows::Lock;
use taichu_workflows::backup_records::{self, BackupOrder as BackupRecord};
use taichu_workflows::resources::{RestoreOptions, Selection};
use taichu_workflows::restore::{RestoreInput, RestoreWorkflow};

use super::etcd::{EtcdSettingsBody, check_machines};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;
use crate::validate;

/// Retention when a request names none (the seed's default).
pub const DEFAULT_RETENTION_DAYS: i32 = 30;

/// A backup as a request asks for it.
#[derive(Debug)]
pub struct BackupOrder<'a> {
    pub name: &'a str,
    pub backup_type: &'a str,
    pub retention_days: Option<i32>,
    pub inline: &'a EtcdSettingsBody,
    /// Which objects a resources (or full) backup takes.
    pub filters: Selection,
}

fn backup_type(value: &str) -> Result<BackupType, ApiError> {
    value
        .parse::<BackupType>()
        .map_err(|_| ApiError::bad_request("backup_type: must be one of etcd, resources, full"))
}

/// A resources part reads the cluster through its kubeconfig.
pub fn require_kubeconfig(cluster: &clusters::Model, field: &str) -> Result<(), ApiError> {
    if cluster.kubeconfig_enc.is_none() {
        return Err(ApiError::bad_request(format!(
            "{field}: resources are read and written through the cluster's kubeconfig, and cluster {} has none; import it with a kubeconfig first",
            cluster.id
        )));
    }
    Ok(())
}

/// The etcd settings a backup uses (inline, else the cluster's), with its own sealed copy of the password.
async fn etcd_settings_for(
    state: &AppState,
    caller: &AuthUser,
    cluster: &clusters::Model,
    inline: &EtcdSettingsBody,
    stored: Option<&etcd_settings::StoredEtcd>,
    id: &str,
) -> Result<(EtcdSettings, Option<String>), ApiError> {
    if inline.is_given() {
        let settings = inline.settings()?;
        check_machines(state, caller, &settings.machine_ids).await?;
        let password = match inline.password(state, Slot::BackupSshPassword, id) {
            PasswordChange::Set(sealed) => Some(sealed),
            PasswordChange::Keep | PasswordChange::Clear => None,
        };
        return Ok((settings, password));
    }
    let Some(stored) = stored else {
        return Err(ApiError::bad_request(format!(
            "etcd settings: none given in the request and none stored for this cluster; \
             PUT /api/v1/clusters/{}/etcd or give etcd_endpoints and the rest inline",
            cluster.id
        )));
    };
    // The backup keeps its own copy: later changes to the cluster's settings do not alter it.
    let password = stored
        .ssh_password_enc
        .as_deref()
        .map(|sealed| {
            state
                .env
                .secrets
                .open(Slot::ClusterEtcdSshPassword, &cluster.id, sealed)
        })
        .transpose()
        .map_err(ApiError::internal)?
        .map(|plain| state.env.secrets.seal(Slot::BackupSshPassword, id, &plain));
    Ok((stored.settings.clone(), password))
}

/// Checks the order, resolves the etcd settings (inline, else the
/// cluster's), and records the backup and starts its run in one transaction.
pub async fn start_backup(
    state: &AppState,
    caller: &AuthUser,
    cluster: &clusters::Model,
    order: BackupOrder<'_>,
) -> Result<backup_rows::Model, ApiError> {
    validate::name("backup_name", order.name, 1, 128)?;
    let kind = backup_type(order.backup_type)?;
    let retention_days = order.retention_days.unwrap_or(DEFAULT_RETENTION_DAYS);
    if !(1..=3650).contains(&retention_days) {
        return Err(ApiError::bad_request("retention_days: must be between 1 and 3650"));
    }
    order.filters.check().map_err(ApiError::bad_request)?;
    let parts = kind.parts();
    let with_etcd = parts.contains(&PartKind::Etcd);
    if parts.contains(&PartKind::Resources) {
        require_kubeconfig(cluster, "backup_type")?;
    } else if !order.filters.is_empty() {
        return Err(ApiError::bad_request(
            "include_namespaces: namespace, kind and label filters apply to resources and full backups, not to an etcd snapshot",
        ));
    }
    let id = new_id();
    let stored = etcd_settings::find(&state.db, &cluster.id).await?;
    let (settings, password_enc) = if with_etcd {
        let (settings, password) =
            etcd_settings_for(state, caller, cluster, order.inline, stored.as_ref(), &id).await?;
        (Some(settings), password)
    } else {
        (None, None)
    };
    let txn = db::begin_write(&state.db).await?;
    if let (None, Some(settings)) = (&stored, &settings) {
        // Settings given inline for a cluster without any become its settings.
        let password = order.inline.password(state, Slot::ClusterEtcdSshPassword, &cluster.id);
        etcd_settings::save(&txn, &cluster.id, settings, password).await?;
    }
    let backup_order = BackupRecord {
        id: id.clone(),
        name: order.name.to_owned(),
        backup_type: kind,
        retention_days,
        settings,
        ssh_password_enc: password_enc,
        filters: order.filters,
        schedule_id: None,
    };
    let (_, started) =
        backup_records::start_in(&state.engine, &txn, cluster, backup_order, Some(&caller.starter())).await?;
    txn.commit().await?;
    state.engine.enqueue(started).await;
    backups::find(&state.db, &id)
        .await?
        .ok_or_else(|| ApiError::internal("a backup vanished after it was created"))
}

/// A restore as a request asks for it.
#[derive(Debug)]
pub struct RestoreOrder<'a> {
    pub name: &'a str,
    /// `etcd`, `resources`; default: every part the backup completed.
    pub parts: Option<&'a [String]>,
    pub options: RestoreOptions,
    /// Another registered cluster to restore resources into.
    pub target_cluster_id: Option<&'a str>,
}

fn part_word(kind: PartKind) -> &'static str {
    match kind {
        PartKind::Etcd => "etcd",
        PartKind::Resources => "resources",
    }
}

/// The parts to restore: those asked for (each one the backup has), or
/// every part it completed.
fn restore_parts(backup: &backup_rows::Model, asked: Option<&[String]>) -> Result<Vec<PartKind>, ApiError> {
    let has = backup.backup_type().parts();
    let Some(asked) = asked else {
        let completed: Vec<PartKind> = backup
            .part_list()
            .iter()
            .filter(|p| p.status == BackupStatus::Completed.as_str())
            .map(|p| p.kind)
            .collect();
        return Ok(if completed.is_empty() { has.to_vec() } else { completed });
    };
    let mut parts = Vec::new();
    for word in asked {
        let kind = match word.as_str() {
            "etcd" => PartKind::Etcd,
            "resources" => PartKind::Resources,
            _ => return Err(ApiError::bad_request("parts: each part is \"etcd\" or \"resources\"")),
        };
        if !has.contains(&kind) {
            return Err(ApiError::bad_request(format!(
                "parts: a {} backup has no {word} part",
                backup.backup_type
            )));
        }
        if !parts.contains(&kind) {
            parts.push(kind);
        }
    }
    if parts.is_empty() {
        return Err(ApiError::bad_request("parts: name at least one part"));
    }
    // etcd first: the resources then land on the restored control plane.
    parts.sort_by_key(|k| *k != PartKind::Etcd);
    Ok(parts)
}

/// Records a restore of `backup` (of `cluster`) and starts its run, holding
/// the cluster it writes to.
pub async fn start_restore(
    state: &AppState,
    caller: &AuthUser,
    cluster: &clusters::Model,
    backup: &backup_rows::Model,
    order: RestoreOrder<'_>,
) -> Result<restore_rows::Model, ApiError> {
    validate::name("restore_name", order.name, 1, 128)?;
    let parts = restore_parts(backup, order.parts)?;
    order.options.check().map_err(ApiError::bad_request)?;
    let with_resources = parts.contains(&PartKind::Resources);
    if !with_resources && order.options != RestoreOptions::default() {
        return Err(ApiError::bad_request(
            "namespace_mappings: filters, mappings and existing_policy apply to a resources restore",
        ));
    }
    if backup.cluster_id.is_none() && parts.contains(&PartKind::Etcd) {
        return Err(ApiError::bad_request(
            "parts: the backup's cluster was deleted; only its resources can be restored, into another cluster",
        ));
    }
    let target = match order.target_cluster_id {
        Some(target_id) if target_id != cluster.id => {
            let target = cluster_repo::find(&state.db, target_id)
                .await?
                .ok_or_else(|| ApiError::not_found("target cluster"))?;
            caller.require_owner(target.owner_id.as_deref(), "target cluster")?;
            if parts.contains(&PartKind::Etcd) {
                return Err(ApiError::bad_request(
                    "target_cluster_id: an etcd snapshot restores only into its own cluster; restore parts [\"resources\"] into another",
                ));
            }
            target
        }
        _ => cluster.clone(),
    };
    if with_resources {
        require_kubeconfig(&target, "target_cluster_id")?;
    }
    if parts.contains(&PartKind::Etcd) && etcd_settings::find(&state.db, &cluster.id).await?.is_none() {
        return Err(ApiError::bad_request(format!(
            "etcd settings: none stored for this cluster; PUT /api/v1/clusters/{}/etcd first",
            cluster.id
        )));
    }
    let id = new_id();
    let options_json = serde_json::json!({
        "parts": parts.iter().map(|k| part_word(*k)).collect::<Vec<_>>(),
        "source_cluster_id": backup.origin_cluster(),
        "target_cluster_id": target.id,
        "options": order.options,
    });
    let input = RestoreInput {
        restore_id: id.clone(),
        backup_id: backup.id.clone(),
        cluster_id: target.id.clone(),
        stamp: Utc::now().format("%Y%m%dT%H%M%SZ").to_string(),
        parts: parts.clone(),
        options: order.options,
    };
    let txn = db::begin_write(&state.db).await?;
    // Checked inside the write transaction: a delete cannot slip in between.
    let current = backups::find(&txn, &backup.id)
        .await?
        .ok_or_else(|| ApiError::not_found("backup"))?;
    let stored = current.part_list();
    for kind in &parts {
        let ready = stored
            .iter()
            .any(|p| p.kind == *kind && p.status == BackupStatus::Completed.as_str());
        let usable = matches!(current.backup_status(), BackupStatus::Completed | BackupStatus::Failed);
        if !ready || !usable {
            return Err(ApiError::conflict(format!(
                "backup {} is {} and its {} part is not completed; only completed parts can be restored",
                current.id,
                current.status,
                part_word(*kind)
            )));
        }
    }
    restores::create(
        &txn,
        NewRestore {
            id: id.clone(),
            backup_id: backup.id.clone(),
            cluster_id: target.id.clone(),
            name: order.name.to_owned(),
            options: options_json.to_string(),
            created_by: Some(caller.username.clone()),
            created_by_id: Some(caller.id.clone()),
        },
    )
    .await?;
    let started = state
        .engine
        .start_in::<RestoreWorkflow>(
            &txn,
            Some(target.id.clone()),
            &input,
            Some(&caller.starter()),
            &[Lock::Cluster(target.id.clone())],
        )
        .await?;
    restores::attach_run(&txn, &id, &started.run.id).await?;
    txn.commit().await?;
    state.engine.enqueue(started).await;
    restores::find(&state.db, &id)
        .await?
        .ok_or_else(|| ApiError::internal("a restore vanished after it was created"))
}

/// Deletes a backup's objects, then its record. Refused while the backup
/// or a restore of it runs; a failure to delete the objects is kept on the
/// record (`delete_failed`, with the reason) and the call can be repeated.
pub async fn delete_backup(state: &AppState, backup: &backup_rows::Model) -> Result<(), ApiError> {
    // Checked and marked in one write transaction: a restore cannot start on it meanwhile.
    let txn = db::begin_write(&state.db).await?;
    let current = backups::find(&txn, &backup.id)
        .await?
        .ok_or_else(|| ApiError::not_found("backup"))?;
    if matches!(current.backup_status(), BackupStatus::Pending | BackupStatus::Running) {
        return Err(ApiError::conflict(format!(
            "backup {} is still {} (workflow {}); wait for it to end",
            current.id,
            current.status,
            current.workflow_id.as_deref().unwrap_or("?")
        )));
    }
    if let Some(restore) = restores::active_for_backup(&txn, &backup.id).await?.first() {
        return Err(ApiError::conflict(format!(
            "restore {} of this backup is {} (workflow {}); wait for it to end",
            restore.id,
            restore.status,
            restore.workflow_id.as_deref().unwrap_or("?")
        )));
    }
    backups::set_deleting(&txn, &backup.id, None).await?;
    txn.commit().await?;
    backup_records::delete_stored(&state.engine, backup)
        .await
        .map_err(|reason| ApiError::unavailable(format!("backup {}: {reason}; try again", backup.id)))?;
    Ok(())
}
