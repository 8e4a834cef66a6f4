//! `backup`: an etcd snapshot, the cluster's resources, or both (full).
//!
//! begin → [pick-member → snapshot → inspect → upload] → [resources] →
//! manifest → cleanup → finish. etcd: a snapshot taken on a healthy member
//! over SSH, streamed back encrypted into the object store, hashed on the
//! way. Resources: every selected object read a page at a time into an
//! encrypted compressed archive streamed to the store. Each part keeps its
//! failure for the cleanup instead of ending the run, so in a full backup
//! one failed part leaves the other stored and restorable; `finish` then
//! fails the backup naming each failed part and what can still be restored.

use async_trait::async_trait;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use taichu_storage::entities::backups::Model as Backup;

use taichu_storage::objects::{Objects, Stored, backup_prefix, etcd_snapshot_key, manifest_key, resources_archive_key};
use taichu_storage::repositories::backups::{self, BackupStatus, EtcdFacts as StoredFacts, Part, PartKind};
use taichu_storage::repositories::clusters;
use taichu_storage::sealed_stream::{self, DataKey};
use taichu_storage::secrets::Slot;

use crate::context::StepContext;
use crate::definition::{Planned, Workflow};
use crate::error::StepError;
use crate::etcd::{self, EndpointStatus, EtcdAccess, Etcdctl, SnapshotStatus, remote};
use crate::guard::guarded;
use crate::kube;
use crate::manifest::{ENCRYPTION, EtcdFacts, FORMAT, Manifest};
use crate::resources::catalog::TypeRef;
use crate::resources::dump::{DumpError, dump_to_store};
use crate::resources::{Contents, Selection};
use crate::ssh::{RemoteCommand, SshSession};

/// Bytes buffered between the SSH channel and the upload.
pub const PIPE_BYTES: usize = 1 << 20;

/// Attempts at a step that writes to the object store: with backoffs of
/// 2, 4, 8 and 16 s, a store that restarts within about half a minute
/// does not fail the backup.
const STORE_ATTEMPTS: u32 = 5;
const STORE_BACKOFF: std::time::Duration = std::time::Duration::from_secs(2);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackupInput {
    pub backup_id: String,
    /// What the backup takes; an etcd snapshot when not said.
    #[serde(default = "etcd_only")]
    pub parts: Vec<PartKind>,
}

fn etcd_only() -> Vec<PartKind> {
    vec![PartKind::Etcd]
}

/// The key a failure is kept under: a part's name, or `manifest`.
const MANIFEST: &str = "manifest";

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct BackupState {
    /// Why a part (`etcd`, `resources`) or the manifest failed, kept until
    /// the cleanup has run. A failed part does not stop the other.
    pub failures: BTreeMap<String, String>,
    pub host: Option<String>,
    pub endpoint: Option<String>,
    /// The version of the member the snapshot is taken from.
    pub version: Option<String>,
    pub file_size: Option<u64>,
    pub etcd: Option<EtcdFacts>,
    /// The parts stored so far.
    pub parts: Vec<Part>,
    pub contents: Option<Contents>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Mark the backup running; the object store must answer.
    Begin,
    /// The first healthy member, in endpoint order.
    PickMember,
    /// `etcdctl snapshot save` into a private scratch directory on its host.
    Snapshot,
    /// `snapshot status`: revision, key count, hash, version; the file's size.
    Inspect,
    /// Stream it over SSH, encrypted and hashed, into a multipart upload.
    Upload,
    /// Read the cluster's objects into an encrypted archive, streamed to the store.
    Resources,
    /// Write `manifest.json`.
    Manifest,
    /// Remove the scratch directory (and, after a failure, what was stored).
    Cleanup,
    /// Mark the backup completed, or fail naming each failed part.
    Finish,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct BackupWorkflow;

/// The scratch directory of a backup on the member's host.
pub fn scratch_dir(backup_id: &str) -> String {
    format!("/var/tmp/taichu-backup-{backup_id}")
}

fn part_name(kind: PartKind) -> &'static str {
    match kind {
        PartKind::Etcd => "etcd",
        PartKind::Resources => "resources",
    }
}

#[async_trait]
impl Workflow for BackupWorkflow {
    const KIND: &'static str = "backup";
    const CANCELLABLE: bool = false;
    type Input = BackupInput;
    type State = BackupState;
    type Step = Step;

    fn plan(&self, input: &BackupInput) -> Result<Vec<Planned<Step>>, String> {
        let (quick, long) = (etcd::quick_step, etcd::transfer_step);
        let storing = |spec: crate::definition::StepSpec| spec.max_attempts(STORE_ATTEMPTS).backoff(STORE_BACKOFF);
        let mut plan = vec![quick("begin").of(Step::Begin)];
        if input.parts.contains(&PartKind::Etcd) {
            plan.extend([
                quick("pick-member").of(Step::PickMember),
                long("snapshot").weight(3).of(Step::Snapshot),
                quick("inspect").of(Step::Inspect),
                storing(long("upload")).weight(5).of(Step::Upload),
            ]);
        }
        if input.parts.contains(&PartKind::Resources) {
            plan.push(long("resources").weight(8).of(Step::Resources));
        }
        plan.extend([
            storing(quick("manifest")).of(Step::Manifest),
            quick("cleanup").of(Step::Cleanup),
            quick("finish").of(Step::Finish),
        ]);
        Ok(plan)
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
            Step::Begin => begin(ctx, &backup).await,
            Step::PickMember | Step::Snapshot | Step::Inspect | Step::Upload => {
                kept_as(ctx, part_name(PartKind::Etcd), *step, &backup, state).await
            }
            Step::Resources => kept_as(ctx, part_name(PartKind::Resources), *step, &backup, state).await,
            Step::Manifest if state.parts.is_empty() => {
                ctx.info("skipped: no part was stored");
                Ok(())
            }
            Step::Manifest => kept_as(ctx, MANIFEST, *step, &backup, state).await,
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

/// Runs a step whose failure is kept under `key` for the cleanup (see [`guarded`]).
async fn kept_as(
    ctx: &StepContext,
    key: &str,
    step: Step,
    backup: &Backup,
    state: &mut BackupState,
) -> Result<(), StepError> {
    let mut failure = state.failures.remove(key);
    let result = guarded(ctx, &mut failure, kept(ctx, step, backup, state)).await;
    if let Some(failure) = failure {
        state.failures.insert(key.to_owned(), failure);
    }
    result
}

/// The steps whose failure is kept for the cleanup.
async fn kept(ctx: &StepContext, step: Step, backup: &Backup, state: &mut BackupState) -> Result<(), StepError> {
    match step {
        Step::PickMember => pick_member(ctx, backup, state).await,
        Step::Snapshot => snapshot(ctx, backup, state).await,
        Step::Inspect => inspect(ctx, backup, state).await,
        Step::Upload => upload(ctx, backup, state).await,
        Step::Resources => resources(ctx, backup, state).await,
        Step::Manifest => manifest(ctx, backup, state).await,
        Step::Begin | Step::Cleanup | Step::Finish => Err(StepError::permanent("not a kept step")),
    }
}

async fn begin(ctx: &StepContext, backup: &Backup) -> Result<(), StepError> {
    backups::mark_running(ctx.db(), &backup.id).await?;
    // Before any work: the store must take what it will be given.
    let objects = &ctx.env().objects;
    objects
        .check()
        .await
        .map_err(|e| StepError::transient(format!("object store {} unavailable: {e}", objects.describe())))
}

/// Keeps `part` among the stored parts (replacing an earlier attempt's).
fn stored_part(state: &mut BackupState, part: Part) {
    state.parts.retain(|p| p.kind != part.kind);
    state.parts.push(part);
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
    stored_part(state, part);
    Ok(())
}

/// How long each request to the cluster's API may take while reading it.
const API_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

async fn resources(ctx: &StepContext, backup: &Backup, state: &mut BackupState) -> Result<(), StepError> {
    let cluster_id = backup
        .cluster_id
        .as_deref()
        .ok_or_else(|| StepError::permanent("the backup's cluster was deleted"))?;
    let cluster = clusters::find(ctx.db(), cluster_id)
        .await?
        .ok_or_else(|| StepError::permanent("the backup's cluster was deleted"))?;
    let selection: Selection = match &backup.filters {
        Some(json) => serde_json::from_str(json).map_err(|e| StepError::permanent(format!("stored filters: {e}")))?,
        None => Selection::default(),
    };
    let client = kube::client_for(&cluster, ctx.env(), API_TIMEOUT).await?;
    let key = data_key(ctx, backup)?;
    let object = resources_archive_key(cluster_id, &backup.id);
    let objects = &ctx.env().objects;
    ctx.info(format!(
        "reading the cluster's resources into {}",
        objects.url_of(&object)
    ));
    let mut logged = std::time::Instant::now();
    let progress = |t: &TypeRef, total: u64| {
        if logged.elapsed() >= std::time::Duration::from_secs(5) {
            ctx.info(format!("{total} objects so far (now {})", t.qualified_kind()));
            logged = std::time::Instant::now();
        }
    };
    let stored = dump_to_store(&client, &selection, objects, &object, &key, progress)
        .await
        .map_err(|e| match e {
            DumpError::Kube(err) => StepError::from(err),
            other => StepError::transient(other.to_string()),
        })?;
    let contents = &stored.contents;
    for unlisted in &contents.unlisted {
        ctx.log("warn", format!("not listed: {unlisted}"));
    }
    for name in &contents.unsafe_names {
        ctx.log("warn", format!("left out, its name cannot be an archive path: {name}"));
    }
    ctx.info(format!(
        "stored {} objects of {} kinds ({} owned by controllers left out): {} bytes encrypted, sha256 {}",
        contents.total_objects,
        contents.kinds.len(),
        contents.skipped_owned,
        stored.stored.size,
        stored.stored.sha256
    ));
    let json = serde_json::to_string(contents).map_err(|e| StepError::permanent(e.to_string()))?;
    backups::record_contents(ctx.db(), &backup.id, &json).await?;
    let part = Part {
        kind: PartKind::Resources,
        status: BackupStatus::Completed.as_str().to_owned(),
        object: Some(object),
        size_bytes: i64::try_from(stored.stored.size).ok(),
        sha256: Some(stored.stored.sha256),
        plain_sha256: Some(stored.plain_sha256),
        plain_size_bytes: i64::try_from(stored.plain_size).ok(),
        error: None,
    };
    backups::record_part(ctx.db(), &backup.id, part.clone()).await?;
    stored_part(state, part);
    state.contents = Some(stored.contents);
    Ok(())
}

async fn manifest(ctx: &StepContext, backup: &Backup, state: &BackupState) -> Result<(), StepError> {
    let cluster_id = backup.cluster_id.clone().unwrap_or_default();
    let filters = match &backup.filters {
        Some(json) => {
            Some(serde_json::from_str(json).map_err(|e| StepError::permanent(format!("stored filters: {e}")))?)
        }
        None => None,
    };
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
        parts: state.parts.clone(),
        etcd: state.etcd.clone(),
        filters,
        resources: state.contents.clone(),
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

/// Whether anything of the backup can be restored: a part stored and the manifest written.
fn restorable(state: &BackupState) -> bool {
    !state.parts.is_empty() && !state.failures.contains_key(MANIFEST)
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
        let objects = &ctx.env().objects;
        if let Some(cluster_id) = &backup.cluster_id {
            // Uploads an attempt could not abort (the store was away then).
            let aborted = objects
                .abort_uploads(&backup_prefix(cluster_id, &backup.id))
                .await
                .map_err(|e| StepError::transient(e.to_string()))?;
            if aborted > 0 {
                ctx.info(format!("aborted {aborted} incomplete uploads of earlier attempts"));
            }
            if !restorable(state) {
                let deleted = objects
                    .delete_prefix(&backup_prefix(cluster_id, &backup.id))
                    .await
                    .map_err(|e| StepError::transient(e.to_string()))?;
                if deleted > 0 {
                    ctx.info(format!("removed {deleted} objects of the failed backup"));
                }
            } else if state.failures.contains_key(part_name(PartKind::Resources)) {
                // A cut-short archive must not lie beside the part that completed.
                let object = resources_archive_key(cluster_id, &backup.id);
                objects
                    .delete_prefix(&object)
                    .await
                    .map_err(|e| StepError::transient(e.to_string()))?;
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
    if state.failures.is_empty() {
        let size: i64 = state.parts.iter().filter_map(|p| p.size_bytes).sum();
        // The record's checksum is the etcd snapshot's when there is one (the seed's field).
        let main = state
            .parts
            .iter()
            .find(|p| p.kind == PartKind::Etcd)
            .or_else(|| state.parts.first())
            .ok_or_else(|| StepError::permanent("nothing was stored"))?;
        backups::complete(ctx.db(), &backup.id, size, main.sha256.clone()).await?;
        ctx.info("backup completed");
        return Ok(());
    }
    let mut reasons = Vec::new();
    for kind in [PartKind::Etcd, PartKind::Resources] {
        if let Some(reason) = state.failures.get(part_name(kind)) {
            reasons.push(format!("{} part failed: {reason}", part_name(kind)));
            let failed = Part {
                kind,
                status: BackupStatus::Failed.as_str().to_owned(),
                object: None,
                size_bytes: None,
                sha256: None,
                plain_sha256: None,
                plain_size_bytes: None,
                error: Some(reason.clone()),
            };
            backups::record_part(ctx.db(), &backup.id, failed).await?;
        }
    }
    if let Some(reason) = state.failures.get(MANIFEST) {
        reasons.push(format!("the manifest could not be written: {reason}"));
    }
    if restorable(state) {
        let kept: Vec<&str> = state.parts.iter().map(|p| part_name(p.kind)).collect();
        reasons.push(format!(
            "the {} part completed and can be restored on its own (parts: [\"{}\"])",
            kept.join(" and "),
            kept.join("\", \"")
        ));
    }
    let message = reasons.join("; ");
    backups::fail(ctx.db(), &backup.id, &message).await?;
    Err(StepError::permanent(message))
}
