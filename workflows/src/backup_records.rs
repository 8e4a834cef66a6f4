//! Recording a backup and starting its run, deleting a stored backup, and
//! aborting the uploads a backup left unfinished: what the API and the
//! scheduler (firings, retention) both do, written once.

use sea_orm::ConnectionTrait;
use taichu_storage::entities::backups::Model as Backup;
use taichu_storage::entities::clusters::Model as Cluster;
use taichu_storage::objects::backup_prefix;
use taichu_storage::repositories::backups::{self, BackupStatus, BackupType, NewBackup};
use taichu_storage::repositories::etcd_settings::EtcdSettings;
use taichu_storage::sealed_stream::DataKey;
use taichu_storage::secrets::Slot;

use crate::backup::{BackupInput, BackupWorkflow};
use crate::engine::{Engine, Lock, Started, StartedBy};
use crate::error::{Result, WorkflowError};
use crate::resources::Selection;

/// A backup to record and start.
#[derive(Debug, Clone)]
pub struct BackupOrder {
    /// Chosen by the caller: the SSH password is sealed for this id.
    pub id: String,
    pub name: String,
    pub backup_type: BackupType,
    pub retention_days: i32,
    /// The etcd settings it uses (etcd and full backups).
    pub settings: Option<EtcdSettings>,
    /// The SSH password, sealed for this backup's row.
    pub ssh_password_enc: Option<String>,
    pub filters: Selection,
    pub schedule_id: Option<String>,
}

/// Records the backup of `cluster` in `txn` and starts its run there,
/// holding the cluster (another operation on it is [`WorkflowError::Busy`]).
/// The caller commits, then enqueues the run.
pub async fn start_in(
    engine: &Engine,
    txn: &impl ConnectionTrait,
    cluster: &Cluster,
    order: BackupOrder,
    started_by: Option<&StartedBy>,
) -> Result<(Backup, Started)> {
    let env = engine.env();
    let key = DataKey::generate();
    let json = |e: serde_json::Error| WorkflowError::InvalidInput(e.to_string());
    let id = order.id.clone();
    let new = NewBackup {
        id: id.clone(),
        cluster_id: cluster.id.clone(),
        cluster_name: cluster.name.clone(),
        name: order.name,
        backup_type: order.backup_type,
        storage_location: env.objects.url_of(&backup_prefix(&cluster.id, &id)),
        retention_days: order.retention_days,
        settings: order
            .settings
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(json)?,
        ssh_password_enc: order.ssh_password_enc,
        data_key_enc: Some(env.secrets.seal(Slot::BackupDataKey, &id, key.as_bytes())),
        filters: (!order.filters.is_empty())
            .then(|| serde_json::to_string(&order.filters))
            .transpose()
            .map_err(json)?,
        schedule_id: order.schedule_id,
        created_by: started_by.map(|s| s.username.clone()),
        created_by_id: started_by.map(|s| s.user_id.clone()),
    };
    backups::create(txn, new).await?;
    let input = BackupInput {
        backup_id: id.clone(),
        parts: order.backup_type.parts().to_vec(),
    };
    let started = engine
        .start_in::<BackupWorkflow>(
            txn,
            Some(cluster.id.clone()),
            &input,
            started_by,
            &[Lock::Cluster(cluster.id.clone())],
        )
        .await?;
    backups::attach_run(txn, &id, &started.run.id).await?;
    let backup = backups::find(txn, &id)
        .await?
        .ok_or_else(|| WorkflowError::Corrupt("a backup vanished after it was created".into()))?;
    Ok((backup, started))
}

/// Deletes a backup's objects, then its record. A failure to delete the
/// objects is kept on the record (`delete_failed`, with the reason) and
/// returned; deleting again retries. The caller has checked that nothing
/// runs on it and marked it `deleting`.
pub async fn delete_stored(engine: &Engine, backup: &Backup) -> std::result::Result<(), String> {
    let db = engine.db();
    let prefix = backup_prefix(backup.origin_cluster(), &backup.id);
    let objects = &engine.env().objects;
    let deleted = match objects.abort_uploads(&prefix).await {
        Ok(_) => objects.delete_prefix(&prefix).await,
        Err(err) => Err(err),
    };
    if let Err(err) = deleted {
        let reason = format!("deleting its objects failed: {err}");
        backups::set_deleting(db, &backup.id, Some(&reason))
            .await
            .map_err(|e| e.to_string())?;
        return Err(reason);
    }
    backups::delete(db, &backup.id).await.map_err(|e| e.to_string())?;
    Ok(())
}

/// Aborts the incomplete multipart uploads under `clusters/` that belong to
/// no pending or running backup: what an upload left when the store was
/// away as it failed (its abort went unheard), or when its worker died.
/// Returns how many were aborted.
pub async fn abort_abandoned_uploads(engine: &Engine) -> std::result::Result<u64, String> {
    let objects = &engine.env().objects;
    let uploads = objects
        .incomplete_uploads("clusters/")
        .await
        .map_err(|e| e.to_string())?;
    let mut aborted = 0;
    for upload in uploads {
        // clusters/{cluster}/backups/{backup}/…; anything else is not ours.
        let parts: Vec<&str> = upload.key.split('/').collect();
        let [_, _, "backups", backup_id, ..] = parts.as_slice() else {
            continue;
        };
        let backup = backups::find(engine.db(), backup_id).await.map_err(|e| e.to_string())?;
        let busy = backup.is_some_and(|b| matches!(b.backup_status(), BackupStatus::Pending | BackupStatus::Running));
        if busy {
            continue;
        }
        objects.abort_upload(&upload).await.map_err(|e| e.to_string())?;
        tracing::info!(key = %upload.key, "aborted an incomplete upload of a backup that has ended");
        aborted += 1;
    }
    Ok(aborted)
}
