//! Starting a backup or a restore: the record and its run in one
//! transaction, holding the cluster (one operation at a time), and deleting
//! a backup's objects then its record.

use chrono::Utc;
use taichu_storage::entities::{backups as backup_rows, clusters, restores as restore_rows};
use taichu_storage::objects::backup_prefix;
use taichu_storage::repositories::backups::{self, BackupStatus, BackupType, NewBackup};
use taichu_storage::repositories::etcd_settings::{self, PasswordChange};
use taichu_storage::repositories::restores::{self, NewRestore};
use taichu_storage::sealed_stream::DataKey;
use taichu_storage::secrets::Slot;
use taichu_storage::{db, new_id};
use taichu_workflows::Lock;
use taichu_workflows::backup::{BackupInput, BackupWorkflow};
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
}

fn backup_type(value: &str) -> Result<BackupType, ApiError> {
    match value.parse::<BackupType>() {
        Ok(BackupType::Etcd) => Ok(BackupType::Etcd),
        Ok(other) => Err(ApiError::bad_request(format!(
            "backup_type: {} backups are not available yet; use \"etcd\"",
            other.as_str()
        ))),
        Err(_) => Err(ApiError::bad_request(
            "backup_type: must be one of etcd, resources, full",
        )),
    }
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
    let id = new_id();
    let stored = etcd_settings::find(&state.db, &cluster.id).await?;
    let (settings, password_enc) = if order.inline.is_given() {
        let settings = order.inline.settings()?;
        check_machines(state, caller, &settings.machine_ids).await?;
        let password = match order.inline.password(state, Slot::BackupSshPassword, &id) {
            PasswordChange::Set(sealed) => Some(sealed),
            PasswordChange::Keep | PasswordChange::Clear => None,
        };
        (settings, password)
    } else if let Some(stored) = &stored {
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
            .map(|plain| state.env.secrets.seal(Slot::BackupSshPassword, &id, &plain));
        (stored.settings.clone(), password)
    } else {
        return Err(ApiError::bad_request(format!(
            "etcd settings: none given in the request and none stored for this cluster; \
             PUT /api/v1/clusters/{}/etcd or give etcd_endpoints and the rest inline",
            cluster.id
        )));
    };
    let key = DataKey::generate();
    let new = NewBackup {
        id: id.clone(),
        cluster_id: cluster.id.clone(),
        cluster_name: cluster.name.clone(),
        name: order.name.to_owned(),
        backup_type: kind,
        storage_location: state.env.objects.url_of(&backup_prefix(&cluster.id, &id)),
        retention_days,
        settings: Some(serde_json::to_string(&settings).map_err(ApiError::internal)?),
        ssh_password_enc: password_enc,
        data_key_enc: Some(state.env.secrets.seal(Slot::BackupDataKey, &id, key.as_bytes())),
        created_by: Some(caller.username.clone()),
        created_by_id: Some(caller.id.clone()),
    };
    let txn = db::begin_write(&state.db).await?;
    if stored.is_none() {
        // Settings given inline for a cluster without any become its settings.
        let password = order.inline.password(state, Slot::ClusterEtcdSshPassword, &cluster.id);
        etcd_settings::save(&txn, &cluster.id, &settings, password).await?;
    }
    backups::create(&txn, new).await?;
    let started = state
        .engine
        .start_in::<BackupWorkflow>(
            &txn,
            Some(cluster.id.clone()),
            &BackupInput { backup_id: id.clone() },
            Some(&caller.starter()),
            &[Lock::Cluster(cluster.id.clone())],
        )
        .await?;
    backups::attach_run(&txn, &id, &started.run.id).await?;
    txn.commit().await?;
    state.engine.enqueue(started).await;
    backups::find(&state.db, &id)
        .await?
        .ok_or_else(|| ApiError::internal("a backup vanished after it was created"))
}

/// Records a restore of `backup` into its cluster and starts its run, holding the cluster.
pub async fn start_restore(
    state: &AppState,
    caller: &AuthUser,
    cluster: &clusters::Model,
    backup: &backup_rows::Model,
    name: &str,
) -> Result<restore_rows::Model, ApiError> {
    validate::name("restore_name", name, 1, 128)?;
    if etcd_settings::find(&state.db, &cluster.id).await?.is_none() {
        return Err(ApiError::bad_request(format!(
            "etcd settings: none stored for this cluster; PUT /api/v1/clusters/{}/etcd first",
            cluster.id
        )));
    }
    let id = new_id();
    let input = RestoreInput {
        restore_id: id.clone(),
        backup_id: backup.id.clone(),
        cluster_id: cluster.id.clone(),
        stamp: Utc::now().format("%Y%m%dT%H%M%SZ").to_string(),
    };
    let txn = db::begin_write(&state.db).await?;
    // Checked inside the write transaction: a delete cannot slip in between.
    let current = backups::find(&txn, &backup.id)
        .await?
        .ok_or_else(|| ApiError::not_found("backup"))?;
    if current.backup_status() != BackupStatus::Completed {
        return Err(ApiError::conflict(format!(
            "backup {} is {}; only a completed backup can be restored",
            current.id, current.status
        )));
    }
    restores::create(
        &txn,
        NewRestore {
            id: id.clone(),
            backup_id: backup.id.clone(),
            cluster_id: cluster.id.clone(),
            name: name.to_owned(),
            created_by: Some(caller.username.clone()),
            created_by_id: Some(caller.id.clone()),
        },
    )
    .await?;
    let started = state
        .engine
        .start_in::<RestoreWorkflow>(
            &txn,
            Some(cluster.id.clone()),
            &input,
            Some(&caller.starter()),
            &[Lock::Cluster(cluster.id.clone())],
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
    if let Some(cluster_id) = &backup.cluster_id {
        let prefix = backup_prefix(cluster_id, &backup.id);
        if let Err(err) = state.env.objects.delete_prefix(&prefix).await {
            let reason = format!("deleting its objects failed: {err}");
            backups::set_deleting(&state.db, &backup.id, Some(&reason)).await?;
            return Err(ApiError::unavailable(format!(
                "backup {}: {reason}; try again",
                backup.id
            )));
        }
    }
    backups::delete(&state.db, &backup.id).await?;
    Ok(())
}
