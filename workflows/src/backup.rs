//! `backup` (etcd): take a snapshot on a healthy member over SSH, stream it
//! back encrypted into the object store, hashing on the way, and write the
//! manifest. Steps: pick-member → snapshot → inspect → upload → manifest →
//! cleanup → finish. The snapshot and upload steps keep a failure for the
//! cleanup step (the remote scratch directory and any partial objects go,
//! whatever happened) and `finish` then fails the run with that reason.

use async_trait::async_trait;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use taichu_storage::entities::backups::Model as Backup;
use taichu_storage::objects::{Objects, Stored, backup_prefix, etcd_snapshot_key, manifest_key};
use taichu_storage::repositories::backups::{self, BackupStatus, EtcdFacts as StoredFacts, Part, PartKind};
use taichu_storage::sealed_stream::{self, DataKey};
use taichu_storage::secrets::Slot;

use crate::context::StepContext;
use crate::definition::{Planned, Workflow};
use crate::error::StepError;
use crate::etcd::{self, EndpointStatus, EtcdAccess, Etcdctl, SnapshotStatus, remote};
use crate::guard::guarded;
use crate::manifest::{ENCRYPTION, EtcdFacts, FORMAT, Manifest};
use crate::ssh::{RemoteCommand, SshSession};

/// Bytes buffered between the SSH channel and the upload.
pub const PIPE_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupInput {
    pub backup_id: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct BackupState {
    /// Why the backup failed, kept until the cleanup has run.
    pub failure: Option<String>,
    pub host: Option<String>,
    pub endpoint: Option<String>,
    /// The version of the member the snapshot is taken from.
    pub version: Option<String>,
    pub file_size: Option<u64>,
    pub etcd: Option<EtcdFacts>,
    pub part: Option<Part>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// The object store answers; the first healthy member, in endpoint order.
    PickMember,
    /// `etcdctl snapshot save` into a private scratch directory on its host.
    Snapshot,
    /// `snapshot status`: revision, key count, hash, version; the file's size.
    Inspect,
    /// Stream it over SSH, encrypted and hashed, into a multipart upload.
    Upload,
    /// Write `manifest.json`.
    Manifest,
    /// Remove the scratch directory (and, after a failure, what was stored).
    Cleanup,
    /// Mark the backup completed, or fail with the kept reason.
    Finish,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct BackupWorkflow;

/// The scratch directory of a backup on the member's host.
pub fn scratch_dir(backup_id: &str) -> String {
    format!("/var/tmp/taichu-backup-{backup_id}")
}

#[async_trait]
impl Workflow for BackupWorkflow {
    const KIND: &'static str = "backup";
    const CANCELLABLE: bool = false;
    type Input = BackupInput;
    type State = BackupState;
    type Step = Step;

    fn plan(&self, _input: &BackupInput) -> Result<Vec<Planned<Step>>, String> {
        let (quick, long) = (etcd::quick_step, etcd::transfer_step);
        Ok(vec![
            quick("pick-member").of(Step::PickMember),
            long("snapshot").weight(3).of(Step::Snapshot),
            quick("inspect").of(Step::Inspect),
            long("upload").weight(5).of(Step::Upload),
            quick("manifest").of(Step::Manifest),
            quick("cleanup").of(Step::Cleanup),
            quick("finish").of(Step::Finish),
        ])
    }

    async fn run(
        &self,
        ctx: &StepContext,
        step: &Step,
        input: &BackupInput,
        state: &mut BackupState,
    ) -> Result<(), StepError> {
        let backup = load(ctx, &input.backup_id).await?;
        match step {
            Step::PickMember => pick_member(ctx, &backup, state).await,
            Step::Snapshot | Step::Inspect | Step::Upload | Step::Manifest => {
                let mut failure = state.failure.take();
                let result = guarded(ctx, &mut failure, kept(ctx, *step, &backup, state)).await;
                state.failure = failure;
                result
            }
            Step::Cleanup => cleanup(ctx, &backup, state).await,
            Step::Finish => finish(ctx, &backup, state).await,
        }
    }

    async fn on_failure(&self, ctx: &StepContext, input: &BackupInput, error: &str) -> Result<(), StepError> {
        if let Some(backup) = backups::find(ctx.db(), &input.backup_id).await?
            && backup.backup_status() != BackupStatus::Failed
        {
            backups::fail(ctx.db(), &input.backup_id, error).await?;
        }
        Ok(())
    }
}

async fn load(ctx: &StepContext, id: &str) -> Result<Backup, StepError> {
    backups::find(ctx.db(), id)
        .await?
        .ok_or_else(|| StepError::permanent(format!("backup {id} no longer exists")))
}

/// The steps whose failure is kept for the cleanup.
async fn kept(ctx: &StepContext, step: Step, backup: &Backup, state: &mut BackupState) -> Result<(), StepError> {
    match step {
        Step::Snapshot => snapshot(ctx, backup, state).await,
        Step::Inspect => inspect(ctx, backup, state).await,
        Step::Upload => upload(ctx, backup, state).await,
        Step::Manifest => manifest(ctx, backup, state).await,
        Step::PickMember | Step::Cleanup | Step::Finish => Err(StepError::permanent("not a kept step")),
    }
}

fn picked(state: &BackupState) -> Result<(String, String), StepError> {
    match (&state.host, &state.endpoint) {
        (Some(host), Some(endpoint)) => Ok((host.clone(), endpoint.clone())),
        _ => Err(StepError::permanent("no member was picked")),
    }
}

fn snapshot_path(backup_id: &str) -> String {
    format!("{}/snapshot.db", scratch_dir(backup_id))
}

async fn pick_member(ctx: &StepContext, backup: &Backup, state: &mut BackupState) -> Result<(), StepError> {
    backups::mark_running(ctx.db(), &backup.id).await?;
    // Before etcd does any work: the store must take what it will be given.
    let objects = &ctx.env().objects;
    objects
        .check()
        .await
        .map_err(|e| StepError::transient(format!("object store {} unavailable: {e}", objects.describe())))?;
    let access = EtcdAccess::for_backup(ctx.env(), backup).await?;
    let (host, endpoint) = etcd::healthy_member(&access, ctx.env(), ctx, |line| ctx.log("warn", line)).await?;
    // etcd 3.5's `snapshot status` does not say which version wrote it; the member does.
    let session = access.connect(ctx.env(), &host).await?;
    let status = Etcdctl::new(&access.settings).status(&[endpoint.as_str()]);
    let status = remote::run(&session, &crate::ssh::Discard, &host, &status, etcd::CTL_TIMEOUT).await;
    session.close().await;
    let version = EndpointStatus::parse(&status?.stdout)?
        .into_iter()
        .next()
        .map(|s| s.version);
    ctx.info(format!(
        "taking the snapshot from {endpoint} (etcd {}, over SSH to {host})",
        version.as_deref().unwrap_or("?")
    ));
    state.version = version;
    state.host = Some(host);
    state.endpoint = Some(endpoint);
    Ok(())
}

async fn snapshot(ctx: &StepContext, backup: &Backup, state: &BackupState) -> Result<(), StepError> {
    let (host, endpoint) = picked(state)?;
    let (host, endpoint) = (host.as_str(), endpoint.as_str());
    let access = EtcdAccess::for_backup(ctx.env(), backup).await?;
    let session = access.connect(ctx.env(), host).await?;
    let dir = scratch_dir(&backup.id);
    let path = snapshot_path(&backup.id);
    let partial = format!("{path}.part");
    let result = async {
        let private = RemoteCommand::script(remote::PRIVATE_DIR).arg(&dir);
        remote::run_once(&session, ctx, host, &private, etcd::CTL_TIMEOUT).await?;
        let save = Etcdctl::new(&access.settings).snapshot_save(endpoint, &partial);
        remote::run(&session, ctx, host, &save, etcd::TRANSFER_TIMEOUT).await?;
        let done = RemoteCommand::new("mv").args(["-f", "--"]).arg(&partial).arg(&path);
        remote::run(&session, ctx, host, &done, etcd::CTL_TIMEOUT).await
    }
    .await;
    session.close().await;
    result?;
    ctx.info(format!("snapshot saved on {host} at {path}"));
    Ok(())
}

async fn inspect(ctx: &StepContext, backup: &Backup, state: &mut BackupState) -> Result<(), StepError> {
    let (host, endpoint) = picked(state)?;
    let host = host.as_str();
    let access = EtcdAccess::for_backup(ctx.env(), backup).await?;
    let session = access.connect(ctx.env(), host).await?;
    let path = snapshot_path(&backup.id);
    let result = async {
        let status = Etcdctl::new(&access.settings).snapshot_status(&path);
        let status = remote::run(&session, &crate::ssh::Discard, host, &status, etcd::CTL_TIMEOUT).await?;
        let size = RemoteCommand::new("stat").args(["-c", "%s", "--"]).arg(&path);
        let size = remote::run(&session, &crate::ssh::Discard, host, &size, etcd::CTL_TIMEOUT).await?;
        Ok::<_, StepError>((status.stdout, size.stdout))
    }
    .await;
    session.close().await;
    let (status, size) = result?;
    let mut status = SnapshotStatus::parse(&status)?;
    status.version = status.version.or_else(|| state.version.clone());
    let size: u64 = size
        .trim()
        .parse()
        .map_err(|_| StepError::permanent(format!("unexpected file size from {host}: {size:?}")))?;
    ctx.info(format!(
        "snapshot: revision {}, {} keys, {size} bytes, etcd {}",
        status.revision,
        status.total_key,
        status.version.as_deref().unwrap_or("(version not recorded)")
    ));
    backups::record_etcd_facts(
        ctx.db(),
        &backup.id,
        StoredFacts {
            revision: Some(status.revision),
            version: status.version.clone(),
            key_count: Some(status.total_key),
        },
    )
    .await?;
    state.file_size = Some(size);
    state.etcd = Some(EtcdFacts {
        version: status.version,
        revision: status.revision,
        key_count: status.total_key,
        hash: status.hash,
        endpoint,
    });
    Ok(())
}

/// The backup's data key, opened from its row.
pub fn data_key(ctx: &StepContext, backup: &Backup) -> Result<DataKey, StepError> {
    let sealed = backup
        .data_key_enc
        .as_deref()
        .ok_or_else(|| StepError::permanent("the backup has no data key"))?;
    let bytes = ctx
        .env()
        .secrets
        .open(Slot::BackupDataKey, &backup.id, sealed)
        .map_err(|e| StepError::permanent(format!("the backup's data key does not open: {e}")))?;
    DataKey::from_bytes(&bytes).map_err(|e| StepError::permanent(e.to_string()))
}

/// What [`stream_snapshot`] moved.
#[derive(Debug, Clone)]
pub struct Streamed {
    /// Bytes read from the host.
    pub fetched: u64,
    /// The stored (encrypted) object's size and SHA-256.
    pub stored: Stored,
    pub plain_sha256: String,
    pub plain_size: u64,
}

/// Streams the remote file `path` over `session`, encrypted with `key` and
/// hashed on the way, into `object`. Memory stays flat whatever the size: a
/// pipe of [`PIPE_BYTES`], one chunk being sealed, the upload's parts in flight.
pub async fn stream_snapshot(
    session: &SshSession,
    path: &str,
    objects: &Objects,
    object: &str,
    key: &DataKey,
) -> Result<Streamed, StepError> {
    let (writer, reader) = tokio::io::duplex(PIPE_BYTES);
    let (sealed, plain) = sealed_stream::seal(reader, key);
    let fetch = async {
        session
            .download(path, writer, etcd::TRANSFER_TIMEOUT)
            .await
            .map_err(StepError::from)
    };
    let store = async {
        objects
            .upload(object, sealed)
            .await
            .map_err(|e| StepError::transient(format!("storing {}: {e}", objects.url_of(object))))
    };
    let (fetched, stored) = tokio::try_join!(fetch, store)?;
    let (plain_sha256, plain_size) = plain.finish();
    Ok(Streamed {
        fetched,
        stored,
        plain_sha256,
        plain_size,
    })
}

async fn upload(ctx: &StepContext, backup: &Backup, state: &mut BackupState) -> Result<(), StepError> {
    let (host, _) = picked(state)?;
    let host = host.as_str();
    let expected = state
        .file_size
        .ok_or_else(|| StepError::permanent("the snapshot was not inspected"))?;
    let access = EtcdAccess::for_backup(ctx.env(), backup).await?;
    let key = data_key(ctx, backup)?;
    let cluster_id = backup.cluster_id.as_deref().unwrap_or_default();
    let object = etcd_snapshot_key(cluster_id, &backup.id);
    let objects = &ctx.env().objects;
    let session = access.connect(ctx.env(), host).await?;
    let result = stream_snapshot(&session, &snapshot_path(&backup.id), objects, &object, &key).await;
    session.close().await;
    let Streamed {
        fetched,
        stored,
        plain_sha256,
        plain_size,
    } = result?;
    if fetched != expected || plain_size != expected {
        return Err(StepError::transient(format!(
            "the snapshot on {host} is {expected} bytes but {plain_size} arrived"
        )));
    }
    ctx.info(format!(
        "stored {} ({} bytes encrypted, sha256 {}; snapshot sha256 {plain_sha256})",
        objects.url_of(&object),
        stored.size,
        stored.sha256
    ));
    let part = Part {
        kind: PartKind::Etcd,
        status: BackupStatus::Completed.as_str().to_owned(),
        object: Some(object),
        size_bytes: i64::try_from(stored.size).ok(),
        sha256: Some(stored.sha256),
        plain_sha256: Some(plain_sha256),
        plain_size_bytes: i64::try_from(plain_size).ok(),
        error: None,
    };
    backups::record_part(ctx.db(), &backup.id, part.clone()).await?;
    state.part = Some(part);
    Ok(())
}

async fn manifest(ctx: &StepContext, backup: &Backup, state: &BackupState) -> Result<(), StepError> {
    let part = state
        .part
        .clone()
        .ok_or_else(|| StepError::permanent("nothing was stored"))?;
    let cluster_id = backup.cluster_id.clone().unwrap_or_default();
    let manifest = Manifest {
        format: FORMAT,
        taichu_version: env!("CARGO_PKG_VERSION").to_owned(),
        backup_id: backup.id.clone(),
        backup_name: backup.name.clone(),
        backup_type: backup.backup_type.clone(),
        cluster_id: cluster_id.clone(),
        cluster_name: backup.cluster_name.clone(),
        created_at: backup.created_at,
        started_at: backup.started_at,
        completed_at: Utc::now(),
        encryption: ENCRYPTION.to_owned(),
        data_key_sealed: backup.data_key_enc.clone(),
        parts: vec![part],
        etcd: state.etcd.clone(),
    };
    let bytes = serde_json::to_vec_pretty(&manifest).map_err(|e| StepError::permanent(e.to_string()))?;
    let key = manifest_key(&cluster_id, &backup.id);
    ctx.env()
        .objects
        .put_bytes(&key, bytes)
        .await
        .map_err(|e| StepError::transient(format!("storing {}: {e}", ctx.env().objects.url_of(&key))))?;
    ctx.info(format!("manifest written to {}", ctx.env().objects.url_of(&key)));
    Ok(())
}

/// Best effort, retried: a scratch directory left behind is logged, not fatal.
async fn cleanup(ctx: &StepContext, backup: &Backup, state: &BackupState) -> Result<(), StepError> {
    let result = async {
        if let Some(host) = &state.host {
            let access = EtcdAccess::for_backup(ctx.env(), backup).await?;
            let session = access.connect(ctx.env(), host).await?;
            let dir = scratch_dir(&backup.id);
            let remove = RemoteCommand::script(remote::REMOVE_SCRATCH).arg(&dir);
            let removed = remote::run(&session, ctx, host, &remove, etcd::CTL_TIMEOUT).await;
            session.close().await;
            removed?;
            ctx.info(format!("removed {dir} on {host}"));
        }
        if state.failure.is_some()
            && let Some(cluster_id) = &backup.cluster_id
        {
            let prefix = backup_prefix(cluster_id, &backup.id);
            let deleted = ctx
                .env()
                .objects
                .delete_prefix(&prefix)
                .await
                .map_err(|e| StepError::transient(e.to_string()))?;
            if deleted > 0 {
                ctx.info(format!("removed {deleted} partial objects of the failed backup"));
            }
        }
        Ok::<_, StepError>(())
    }
    .await;
    match result {
        Err(StepError::Transient(reason)) if ctx.attempt < ctx.step.max_attempts => Err(StepError::Transient(reason)),
        Err(err) => {
            ctx.log("warn", format!("cleanup incomplete: {err}"));
            Ok(())
        }
        Ok(()) => Ok(()),
    }
}

async fn finish(ctx: &StepContext, backup: &Backup, state: &BackupState) -> Result<(), StepError> {
    if let Some(failure) = &state.failure {
        backups::fail(ctx.db(), &backup.id, failure).await?;
        return Err(StepError::permanent(failure.clone()));
    }
    let part = state
        .part
        .as_ref()
        .ok_or_else(|| StepError::permanent("nothing was stored"))?;
    backups::complete(ctx.db(), &backup.id, part.size_bytes.unwrap_or(0), part.sha256.clone()).await?;
    ctx.info("backup completed");
    Ok(())
}
