//! `restore` (etcd): every member restored from the one snapshot, as etcd's
//! disaster-recovery guide prescribes.
//!
//! verify → preflight → stage → stop → restore-data → swap → start-etcd →
//! wait-etcd → start-apiserver → wait-apiserver → roll-back → cleanup → finish.
//!
//! Nothing on the cluster is touched until the stored snapshot has matched
//! its manifest's checksums. From `stop` on, a failure is kept and the run
//! goes on to `roll-back`, which puts every member's old data dir and
//! manifests back and starts the control plane: a failed restore never
//! leaves the cluster stopped. Every remote action checks before it acts,
//! so a step whose worker died runs again safely.

use std::time::Duration;

use async_trait::async_trait;
use futures::future::join_all;
use serde::{Deserialize, Serialize};
use taichu_storage::entities::backups::Model as Backup;
use taichu_storage::repositories::backups::{self, BackupStatus, Part, PartKind};
use taichu_storage::repositories::clusters;
use taichu_storage::repositories::etcd_settings::EtcdMember;
use taichu_storage::repositories::restores::{self, RestoreStatus};
use taichu_storage::sealed_stream;
use tokio::sync::watch;

use crate::backup::data_key;
use crate::context::StepContext;
use crate::definition::{Planned, Workflow};
use crate::error::StepError;
use crate::etcd::control::{self, Manifests, SETTLE_TIMEOUT};
use crate::etcd::{self, EtcdAccess, Etcdctl, remote};
use crate::guard::guarded;
use crate::kube;
use crate::manifest::read_verified;
use crate::resources::apply::{ApplyError, ApplyPlan, KindTally, count_selected};
use crate::resources::archive::read_entries;
use crate::resources::{self, Contents, RestoreOptions, Tally};
use crate::ssh::{Discard, RemoteCommand, SshSession};

/// How long the API server may take to answer `/readyz` again.
const APISERVER_TIMEOUT: Duration = Duration::from_secs(300);
/// How often the API server is asked whether it is ready.
const READY_POLL: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RestoreInput {
    pub restore_id: String,
    pub backup_id: String,
    pub cluster_id: String,
    /// When the restore was asked for (`20261126T010203Z`): names the kept
    /// old data dirs and the directory the manifests wait in.
    pub stamp: String,
    /// The parts to restore: the etcd snapshot, the resources, or both
    /// (etcd first). Into another cluster only resources.
    #[serde(default = "etcd_only")]
    pub parts: Vec<PartKind>,
    /// How resources are selected and placed.
    #[serde(default)]
    pub options: RestoreOptions,
}

fn etcd_only() -> Vec<PartKind> {
    vec![PartKind::Etcd]
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct RestoreState {
    /// Why the restore failed, kept until the roll-back and cleanup have run.
    pub failure: Option<String>,
    /// The stop step ran: a failure from there on is rolled back.
    pub stop_attempted: bool,
    /// Why the roll-back did not complete, if it did not.
    pub rollback_failure: Option<String>,
    pub rolled_back: bool,
    pub members: Vec<EtcdMember>,
    pub plain_sha256: Option<String>,
    pub revision: Option<i64>,
    /// Resources selected (after verify) and their outcomes (after apply).
    pub resources: Option<Tally>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Read the stored snapshot through: its SHA-256 (as stored and
    /// decrypted) must match the manifest and the record.
    Verify,
    /// Log in to every member, learn the members, check the tools.
    Preflight,
    /// Put the snapshot on every member (checked by SHA-256 there).
    Stage,
    /// Stop the API server and etcd on every member; wait until etcd is down.
    Stop,
    /// `etcdutl snapshot restore` into a new data dir on every member.
    RestoreData,
    /// Old data dir aside (kept), new one in.
    Swap,
    /// Start etcd on every member.
    StartEtcd,
    /// Every member healthy, agreeing on the revision.
    WaitEtcd,
    StartApiserver,
    /// `/readyz`, where the cluster has a kubeconfig.
    WaitApiserver,
    /// After a failure from `stop` on: old data and manifests back, started.
    RollBack,
    /// Staged snapshots and unused restored data removed.
    Cleanup,
    /// Read the resources archive through: checksums, authentication,
    /// every entry; count what the options select.
    VerifyResources,
    /// Apply the selected objects in restore order to the target cluster.
    ApplyResources,
    /// The restore completed (with errors, when objects failed), or fails
    /// with the kept reason.
    Finish,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct RestoreWorkflow;

#[async_trait]
impl Workflow for RestoreWorkflow {
    const KIND: &'static str = "restore";
    const CANCELLABLE: bool = false;
    type Input = RestoreInput;
    type State = RestoreState;
    type Step = Step;

    fn plan(&self, input: &RestoreInput) -> Result<Vec<Planned<Step>>, String> {
        let (quick, long) = (etcd::quick_step, etcd::transfer_step);
        let settle = |name: &str| etcd::step(name, SETTLE_TIMEOUT + Duration::from_secs(60));
        let (with_etcd, with_resources) = (
            input.parts.contains(&PartKind::Etcd),
            input.parts.contains(&PartKind::Resources),
        );
        let mut plan = Vec::new();
        if with_etcd {
            plan.push(long("verify").weight(3).of(Step::Verify));
        }
        if with_resources {
            plan.push(long("verify-resources").weight(3).of(Step::VerifyResources));
        }
        if with_etcd {
            plan.extend([
                quick("preflight").of(Step::Preflight),
                long("stage").weight(3).of(Step::Stage),
                settle("stop").weight(2).of(Step::Stop),
                long("restore-data").weight(2).of(Step::RestoreData),
                quick("swap").of(Step::Swap),
                quick("start-etcd").of(Step::StartEtcd),
                settle("wait-etcd").weight(2).of(Step::WaitEtcd),
                quick("start-apiserver").of(Step::StartApiserver),
                quick("wait-apiserver")
                    .timeout(APISERVER_TIMEOUT + Duration::from_secs(60))
                    .of(Step::WaitApiserver),
                settle("roll-back").timeout(3 * SETTLE_TIMEOUT).of(Step::RollBack),
                quick("cleanup").of(Step::Cleanup),
            ]);
        }
        if with_resources {
            plan.push(long("apply-resources").weight(10).of(Step::ApplyResources));
        }
        plan.push(quick("finish").of(Step::Finish));
        Ok(plan)
    }

    async fn run(
        &self,
        ctx: &StepContext,
        step: &Step,
        input: &RestoreInput,
        state: &mut RestoreState,
    ) -> Result<(), StepError> {
        match step {
            Step::RollBack => roll_back(ctx, input, state).await,
            Step::Cleanup => cleanup(ctx, input, state).await,
            Step::Finish => finish(ctx, input, state).await,
            kept_step => {
                if *kept_step == Step::Stop && state.failure.is_none() {
                    state.stop_attempted = true;
                }
                let mut failure = state.failure.take();
                let result = guarded(ctx, &mut failure, kept(ctx, *kept_step, input, state)).await;
                state.failure = failure;
                result
            }
        }
    }

    async fn on_failure(&self, ctx: &StepContext, input: &RestoreInput, error: &str) -> Result<(), StepError> {
        if let Some(restore) = restores::find(ctx.db(), &input.restore_id).await?
            && restore.restore_status() != RestoreStatus::Failed
        {
            restores::finish(ctx.db(), &input.restore_id, RestoreStatus::Failed, Some(error)).await?;
        }
        Ok(())
    }
}

/// The steps whose failure is kept for the roll-back and cleanup.
async fn kept(ctx: &StepContext, step: Step, input: &RestoreInput, state: &mut RestoreState) -> Result<(), StepError> {
    match step {
        Step::Verify => verify(ctx, input, state).await,
        Step::Preflight => preflight(ctx, input, state).await,
        Step::Stage => stage(ctx, input, state).await,
        Step::Stop => stop(ctx, input, state).await,
        Step::RestoreData => restore_data(ctx, input, state).await,
        Step::Swap => swap(ctx, input, state).await,
        Step::StartEtcd => start_etcd(ctx, input, state).await,
        Step::WaitEtcd => wait_etcd(ctx, input, state).await,
        Step::StartApiserver => start_apiserver(ctx, input, state).await,
        Step::WaitApiserver => wait_apiserver(ctx, input).await,
        Step::VerifyResources => verify_resources(ctx, input, state).await,
        Step::ApplyResources => apply_resources(ctx, input, state).await,
        Step::RollBack | Step::Cleanup | Step::Finish => Err(StepError::permanent("not a kept step")),
    }
}

/// Where each member's files go during this restore.
struct Paths {
    /// Private scratch dir with the staged snapshot and progress marks.
    stage: String,
    snapshot: String,
    data: String,
    new: String,
    aside: String,
    failed: String,
    manifests: String,
    parked: String,
}

impl Paths {
    fn manifests(&self) -> Manifests {
        Manifests {
            dir: self.manifests.clone(),
            parked: self.parked.clone(),
        }
    }
}

fn paths(input: &RestoreInput, access: &EtcdAccess, member: &EtcdMember) -> Paths {
    let stage = format!("/var/tmp/taichu-restore-{}-{}", input.restore_id, member.name);
    let data = member.data_dir(&access.settings).trim_end_matches('/').to_owned();
    let manifests = member.manifests_dir(&access.settings).trim_end_matches('/').to_owned();
    let tag = format!("taichu-restore-{}", input.stamp);
    Paths {
        snapshot: format!("{stage}/snapshot.db"),
        stage,
        new: format!("{data}.{tag}-new"),
        aside: format!("{data}.{tag}-old"),
        failed: format!("{data}.{tag}-failed"),
        parked: format!("{manifests}.{tag}"),
        manifests,
        data,
    }
}

async fn load_backup(ctx: &StepContext, input: &RestoreInput) -> Result<Backup, StepError> {
    backups::find(ctx.db(), &input.backup_id)
        .await?
        .ok_or_else(|| StepError::permanent(format!("backup {} no longer exists", input.backup_id)))
}

fn etcd_part(backup: &Backup) -> Result<Part, StepError> {
    backup
        .part_list()
        .into_iter()
        .find(|p| p.kind == PartKind::Etcd && p.object.is_some())
        .ok_or_else(|| StepError::permanent("the backup holds no etcd snapshot"))
}

/// The backup, when the parts this restore reads are stored: a full backup
/// whose other part failed still restores the part that completed.
async fn readable_backup(ctx: &StepContext, input: &RestoreInput) -> Result<Backup, StepError> {
    let backup = load_backup(ctx, input).await?;
    let parts = backup.part_list();
    for kind in &input.parts {
        let ready = parts
            .iter()
            .any(|p| p.kind == *kind && p.status == BackupStatus::Completed.as_str() && p.object.is_some());
        if !ready {
            return Err(StepError::permanent(format!(
                "backup {} ({}) holds no completed {} part to restore",
                backup.id,
                backup.status,
                serde_json::to_value(kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            )));
        }
    }
    Ok(backup)
}

async fn verify(ctx: &StepContext, input: &RestoreInput, state: &mut RestoreState) -> Result<(), StepError> {
    restores::mark_running(ctx.db(), &input.restore_id).await?;
    let backup = readable_backup(ctx, input).await?;
    let draining = |mut plain: Box<dyn tokio::io::AsyncRead + Unpin + Send>| async move {
        tokio::io::copy(&mut plain, &mut tokio::io::sink()).await.map(drop)
    };
    let (_, ()) = read_verified(ctx, &backup, PartKind::Etcd, draining).await?;
    state.plain_sha256 = etcd_part(&backup)?.plain_sha256;
    Ok(())
}

async fn preflight(ctx: &StepContext, input: &RestoreInput, state: &mut RestoreState) -> Result<(), StepError> {
    let access = EtcdAccess::for_cluster(ctx.env(), &input.cluster_id).await?;
    let (host, endpoint) = etcd::healthy_member(&access, ctx.env(), ctx, |l| ctx.log("warn", l)).await?;
    let members = etcd::members(&access, ctx.env(), &host, &endpoint).await?;
    if members.is_empty() {
        return Err(StepError::permanent("etcd reports no members"));
    }
    let ctl = Etcdctl::new(&access.settings);
    for member in &members {
        let session = access.connect(ctx.env(), &member.host).await?;
        let check = RemoteCommand::script(
            r#"for f in "$@"; do [ -x "$f" ] || { echo "$f is not an executable file" >&2; exit 3; }; done"#,
        )
        .arg(&access.settings.etcdctl_path);
        let result = remote::run_once(&session, ctx, &member.host, &check, etcd::CTL_TIMEOUT).await;
        session.close().await;
        result?;
        let p = paths(input, &access, member);
        ctx.info(format!(
            "member {} on {}: data dir {}, etcdutl {}",
            member.name,
            member.host,
            p.data,
            ctl.etcdutl_path()
        ));
    }
    state.members = members;
    Ok(())
}

/// Logs in to each member in turn.
async fn with_member<T>(
    ctx: &StepContext,
    access: &EtcdAccess,
    member: &EtcdMember,
    work: impl AsyncFnOnce(&SshSession) -> Result<T, StepError>,
) -> Result<T, StepError> {
    let session = access.connect(ctx.env(), &member.host).await?;
    let result = work(&session).await;
    session.close().await;
    result
}

async fn stage(ctx: &StepContext, input: &RestoreInput, state: &RestoreState) -> Result<(), StepError> {
    let access = EtcdAccess::for_cluster(ctx.env(), &input.cluster_id).await?;
    let backup = load_backup(ctx, input).await?;
    let part = etcd_part(&backup)?;
    let object = part.object.clone().unwrap_or_default();
    let expected = state
        .plain_sha256
        .clone()
        .ok_or_else(|| StepError::permanent("the snapshot was not verified"))?;
    let key = data_key(ctx, &backup)?;
    for member in &state.members {
        let p = paths(input, &access, member);
        with_member(ctx, &access, member, async |session| {
            let host = &member.host;
            remote::run_once(
                session,
                ctx,
                host,
                &RemoteCommand::script(remote::PRIVATE_DIR).arg(&p.stage),
                etcd::CTL_TIMEOUT,
            )
            .await?;
            let present = RemoteCommand::script(remote::SHA256_IF_PRESENT).arg(&p.snapshot);
            let present = remote::run(session, &Discard, host, &present, etcd::TRANSFER_TIMEOUT).await?;
            if present.stdout.trim() == expected {
                ctx.info(format!("{} already holds the snapshot", member.name));
                return Ok(());
            }
            let partial = format!("{}.part", p.snapshot);
            let reader = ctx
                .env()
                .objects
                .reader(&object)
                .await
                .map_err(|e| StepError::transient(format!("reading the snapshot: {e}")))?;
            let (plain, _) = sealed_stream::open(reader, &key);
            session.upload(plain, &partial, etcd::TRANSFER_TIMEOUT).await?;
            let landed = RemoteCommand::script(remote::SHA256_IF_PRESENT).arg(&partial);
            let landed = remote::run(session, &Discard, host, &landed, etcd::TRANSFER_TIMEOUT).await?;
            if landed.stdout.trim() != expected {
                return Err(StepError::transient(format!(
                    "the snapshot arrived on {host} with sha256 {}, expected {expected}",
                    landed.stdout.trim()
                )));
            }
            let done = RemoteCommand::new("mv")
                .args(["-f", "--"])
                .arg(&partial)
                .arg(&p.snapshot);
            remote::run(session, ctx, host, &done, etcd::CTL_TIMEOUT).await?;
            ctx.info(format!("snapshot staged on {} ({host}) at {}", member.name, p.snapshot));
            Ok(())
        })
        .await?;
    }
    Ok(())
}

async fn stop(ctx: &StepContext, input: &RestoreInput, state: &RestoreState) -> Result<(), StepError> {
    let access = EtcdAccess::for_cluster(ctx.env(), &input.cluster_id).await?;
    for member in &state.members {
        let p = paths(input, &access, member);
        with_member(ctx, &access, member, async |session| {
            control::stop(ctx, &access, session, member, &p.manifests()).await?;
            control::wait_down(ctx, &access, session, member).await?;
            ctx.info(format!("etcd member {} on {} is stopped", member.name, member.host));
            Ok(())
        })
        .await?;
    }
    Ok(())
}

async fn restore_data(ctx: &StepContext, input: &RestoreInput, state: &RestoreState) -> Result<(), StepError> {
    let access = EtcdAccess::for_cluster(ctx.env(), &input.cluster_id).await?;
    let ctl = Etcdctl::new(&access.settings);
    let token = format!("taichu-restore-{}", input.stamp);
    for member in &state.members {
        let p = paths(input, &access, member);
        with_member(ctx, &access, member, async |session| {
            let host = &member.host;
            let marker = format!("{}/restored", p.stage);
            let done = RemoteCommand::script(r#"[ -e "$1" ] && echo yes || true"#).arg(&marker);
            if remote::run(session, &Discard, host, &done, etcd::CTL_TIMEOUT)
                .await?
                .stdout
                .trim()
                == "yes"
            {
                ctx.info(format!("{} was already restored into {}", member.name, p.new));
                return Ok(());
            }
            // A restore cut short leaves a partial directory etcdutl refuses to write into.
            let clear = RemoteCommand::script(remote::REMOVE_SCRATCH).arg(&p.new);
            remote::run_once(session, ctx, host, &clear, etcd::CTL_TIMEOUT).await?;
            let restore = ctl.snapshot_restore(&p.snapshot, member, &state.members, &token, &p.new);
            remote::run(session, ctx, host, &restore, etcd::TRANSFER_TIMEOUT).await?;
            remote::run(
                session,
                ctx,
                host,
                &RemoteCommand::new("touch").arg("--").arg(&marker),
                etcd::CTL_TIMEOUT,
            )
            .await?;
            ctx.info(format!("{} restored into {} on {host}", member.name, p.new));
            Ok(())
        })
        .await?;
    }
    Ok(())
}

async fn swap(ctx: &StepContext, input: &RestoreInput, state: &RestoreState) -> Result<(), StepError> {
    let access = EtcdAccess::for_cluster(ctx.env(), &input.cluster_id).await?;
    for member in &state.members {
        let p = paths(input, &access, member);
        with_member(ctx, &access, member, async |session| {
            let swap = RemoteCommand::script(remote::SWAP_IN)
                .arg(&p.data)
                .arg(&p.new)
                .arg(&p.aside)
                .arg(format!("{}/swapped", p.stage));
            remote::run(session, ctx, &member.host, &swap, etcd::CTL_TIMEOUT).await?;
            ctx.info(format!(
                "{}: restored data is in {}; the old data dir is kept at {}",
                member.name, p.data, p.aside
            ));
            Ok(())
        })
        .await?;
    }
    Ok(())
}

/// Starts etcd (or the API server) on every member at once: a member of a
/// fresh cluster waits for its peers, so one by one could wait forever.
async fn start_all(
    ctx: &StepContext,
    access: &EtcdAccess,
    input: &RestoreInput,
    members: &[EtcdMember],
    apiserver: bool,
) -> Result<(), StepError> {
    let results = join_all(members.iter().map(|m| {
        let manifests = paths(input, access, m).manifests();
        async move { control::start(ctx, access, m, &manifests, apiserver).await }
    }))
    .await;
    results.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok(())
}

async fn start_etcd(ctx: &StepContext, input: &RestoreInput, state: &RestoreState) -> Result<(), StepError> {
    let access = EtcdAccess::for_cluster(ctx.env(), &input.cluster_id).await?;
    start_all(ctx, &access, input, &state.members, false).await?;
    ctx.info("etcd started on every member");
    Ok(())
}

async fn wait_etcd(ctx: &StepContext, input: &RestoreInput, state: &mut RestoreState) -> Result<(), StepError> {
    let access = EtcdAccess::for_cluster(ctx.env(), &input.cluster_id).await?;
    let revision = control::wait_healthy(ctx, &access, &state.members).await?;
    ctx.info(format!(
        "all {} members are healthy at revision {revision}",
        state.members.len()
    ));
    state.revision = Some(revision);
    Ok(())
}

async fn start_apiserver(ctx: &StepContext, input: &RestoreInput, state: &RestoreState) -> Result<(), StepError> {
    let access = EtcdAccess::for_cluster(ctx.env(), &input.cluster_id).await?;
    start_all(ctx, &access, input, &state.members, true).await
}

async fn wait_apiserver(ctx: &StepContext, input: &RestoreInput) -> Result<(), StepError> {
    let cluster = clusters::find(ctx.db(), &input.cluster_id)
        .await?
        .ok_or_else(|| StepError::permanent("the cluster no longer exists"))?;
    if cluster.kubeconfig_enc.is_none() {
        ctx.info("the cluster has no kubeconfig: not waiting for its API server");
        return Ok(());
    }
    let deadline = tokio::time::Instant::now() + APISERVER_TIMEOUT;
    loop {
        let last = match kube::client_for(&cluster, ctx.env(), Duration::from_secs(10)).await {
            Ok(client) => match kube::ready(&client).await {
                Ok(()) => break,
                Err(e) => e.to_string(),
            },
            Err(e) => e.to_string(),
        };
        if tokio::time::Instant::now() >= deadline {
            return Err(StepError::permanent(format!(
                "the API server did not answer /readyz within {} s: {last}",
                APISERVER_TIMEOUT.as_secs()
            )));
        }
        ctx.sleep(READY_POLL).await?;
    }
    ctx.info("the API server answers /readyz");
    Ok(())
}

/// One member back to its old data and manifests.
async fn roll_back_member(
    ctx: &StepContext,
    access: &EtcdAccess,
    input: &RestoreInput,
    member: &EtcdMember,
) -> Result<(), StepError> {
    let p = paths(input, access, member);
    with_member(ctx, access, member, async |session| {
        // Whatever runs now may be the restored data: stop it first.
        control::stop(ctx, access, session, member, &p.manifests()).await?;
        control::wait_down(ctx, access, session, member).await?;
        let back = RemoteCommand::script(remote::SWAP_BACK)
            .arg(&p.data)
            .arg(&p.aside)
            .arg(&p.failed);
        remote::run(session, ctx, &member.host, &back, etcd::CTL_TIMEOUT).await?;
        ctx.info(format!("{}: old data dir is back at {}", member.name, p.data));
        Ok(())
    })
    .await
}

async fn roll_back(ctx: &StepContext, input: &RestoreInput, state: &mut RestoreState) -> Result<(), StepError> {
    if state.failure.is_none() || !state.stop_attempted {
        return Ok(());
    }
    let result = async {
        let access = EtcdAccess::for_cluster(ctx.env(), &input.cluster_id).await?;
        ctx.log("warn", "rolling back: putting every member's old data back");
        for member in &state.members {
            roll_back_member(ctx, &access, input, member).await?;
        }
        start_all(ctx, &access, input, &state.members, false).await?;
        let revision = control::wait_healthy(ctx, &access, &state.members).await?;
        start_all(ctx, &access, input, &state.members, true).await?;
        ctx.info(format!(
            "rolled back: etcd is healthy on its old data at revision {revision}"
        ));
        Ok::<_, StepError>(())
    }
    .await;
    match result {
        Ok(()) => {
            state.rolled_back = true;
            Ok(())
        }
        Err(StepError::Transient(reason)) if ctx.attempt < ctx.step.max_attempts => Err(StepError::Transient(reason)),
        Err(err) => {
            ctx.log("error", format!("roll-back failed: {err}"));
            state.rollback_failure = Some(err.to_string());
            Ok(())
        }
    }
}

/// Best effort: staged snapshots, unused restored data, the empty parking dir.
async fn cleanup(ctx: &StepContext, input: &RestoreInput, state: &RestoreState) -> Result<(), StepError> {
    let access = match EtcdAccess::for_cluster(ctx.env(), &input.cluster_id).await {
        Ok(access) => access,
        Err(err) => {
            ctx.log("warn", format!("cleanup skipped: {err}"));
            return Ok(());
        }
    };
    let mut left = Vec::new();
    for member in &state.members {
        let p = paths(input, &access, member);
        let result = with_member(ctx, &access, member, async |session| {
            for dir in [&p.stage, &p.new] {
                let remove = RemoteCommand::script(remote::REMOVE_SCRATCH).arg(dir);
                remote::run(session, ctx, &member.host, &remove, etcd::CTL_TIMEOUT).await?;
            }
            let rmdir = RemoteCommand::script(
                r#"if [ -d "$1" ]; then rmdir -- "$1" 2>/dev/null || echo "$1 is not empty: kept"; fi"#,
            )
            .arg(&p.parked);
            remote::run(session, ctx, &member.host, &rmdir, etcd::CTL_TIMEOUT).await?;
            Ok(())
        })
        .await;
        if let Err(err) = result {
            left.push(format!("{}: {err}", member.name));
        }
    }
    if !left.is_empty() {
        if ctx.attempt < ctx.step.max_attempts {
            return Err(StepError::transient(left.join("; ")));
        }
        ctx.log("warn", format!("cleanup incomplete: {}", left.join("; ")));
    }
    Ok(())
}

async fn finish(ctx: &StepContext, input: &RestoreInput, state: &RestoreState) -> Result<(), StepError> {
    let mut details = serde_json::json!({
        "members": state.members.iter().map(|m| serde_json::json!({"name": m.name, "host": m.host})).collect::<Vec<_>>(),
        "revision": state.revision,
        "rolled_back": state.rolled_back,
        "rollback_failure": state.rollback_failure,
        "snapshot_sha256": state.plain_sha256,
    });
    if let Some(tally) = &state.resources {
        details["resources"] = serde_json::to_value(tally).unwrap_or_default();
    }
    restores::record_details(ctx.db(), &input.restore_id, &details).await?;
    let Some(failure) = &state.failure else {
        let failed = state.resources.as_ref().filter(|t| t.failed > 0);
        let Some(tally) = failed else {
            restores::finish(ctx.db(), &input.restore_id, RestoreStatus::Completed, None).await?;
            ctx.info("restore completed");
            return Ok(());
        };
        let first: Vec<&str> = tally
            .kinds
            .values()
            .flat_map(|k| k.errors.iter().map(String::as_str))
            .take(3)
            .collect();
        let reason = format!(
            "{} of {} objects failed to restore ({} applied, {} left as they were); first: {}",
            tally.failed,
            tally.selected,
            tally.applied,
            tally.skipped,
            first.join("; ")
        );
        restores::finish(
            ctx.db(),
            &input.restore_id,
            RestoreStatus::CompletedWithErrors,
            Some(&reason),
        )
        .await?;
        ctx.log("warn", format!("restore completed with errors: {reason}"));
        return Ok(());
    };
    let reason = match (&state.rollback_failure, state.stop_attempted) {
        (Some(rollback), _) => format!(
            "{failure}; ROLL-BACK FAILED: {rollback}. The old data dirs are kept beside the data dir (*.taichu-restore-{}-old); see the run's log",
            input.stamp
        ),
        (None, true) => format!("{failure}; rolled back: every member runs on its data from before the restore"),
        (None, false) if state.resources.as_ref().is_some_and(|t| t.done() > 0) => {
            format!("{failure}; some objects were applied before it stopped (see details)")
        }
        (None, false) => format!("{failure}; the cluster was not touched"),
    };
    restores::finish(ctx.db(), &input.restore_id, RestoreStatus::Failed, Some(&reason)).await?;
    Err(StepError::permanent(reason))
}

/// How long each request to the target cluster may take.
const API_TIMEOUT: Duration = Duration::from_secs(60);

async fn verify_resources(ctx: &StepContext, input: &RestoreInput, state: &mut RestoreState) -> Result<(), StepError> {
    restores::mark_running(ctx.db(), &input.restore_id).await?;
    let backup = readable_backup(ctx, input).await?;
    let contents = backup_contents(&backup)?;
    let options = &input.options;
    let counting = |plain| {
        let contents = &contents;
        async move { count_selected(read_entries(plain), contents, options).await }
    };
    let (_, tally) = read_verified(ctx, &backup, PartKind::Resources, counting).await?;
    ctx.info(format!(
        "{} of the archive's {} objects selected for the restore",
        tally.selected, contents.total_objects
    ));
    record_resources(ctx, input, &tally).await;
    state.resources = Some(tally);
    Ok(())
}

fn backup_contents(backup: &Backup) -> Result<Contents, StepError> {
    let json = backup
        .contents
        .as_deref()
        .ok_or_else(|| StepError::permanent("the backup does not record what its archive holds"))?;
    serde_json::from_str(json).map_err(|e| StepError::permanent(format!("the backup's contents are unreadable: {e}")))
}

/// Best effort: the counts so far, for the restore's progress.
async fn record_resources(ctx: &StepContext, input: &RestoreInput, tally: &Tally) {
    let details = serde_json::json!({ "resources": tally });
    if let Err(err) = restores::record_details(ctx.db(), &input.restore_id, &details).await {
        ctx.log("warn", format!("progress not recorded: {err}"));
    }
}

async fn apply_resources(ctx: &StepContext, input: &RestoreInput, state: &mut RestoreState) -> Result<(), StepError> {
    let backup = readable_backup(ctx, input).await?;
    let contents = backup_contents(&backup)?;
    let selected = state
        .resources
        .clone()
        .ok_or_else(|| StepError::permanent("the archive was not verified"))?;
    let cluster = clusters::find(ctx.db(), &input.cluster_id)
        .await?
        .ok_or_else(|| StepError::permanent("the target cluster no longer exists"))?;
    let client = kube::client_for(&cluster, ctx.env(), API_TIMEOUT).await?;
    let part = backup
        .part_list()
        .into_iter()
        .find(|p| p.kind == PartKind::Resources)
        .and_then(|p| p.object)
        .ok_or_else(|| StepError::permanent("the backup holds no resources archive"))?;
    let key = data_key(ctx, &backup)?;
    let reader = ctx
        .env()
        .objects
        .reader(&part)
        .await
        .map_err(|e| StepError::transient(format!("reading the resources archive: {e}")))?;
    let (plain, _) = sealed_stream::open(reader, &key);
    // Outcomes start over on every attempt: objects this restore already
    // made are recognised by their annotation and count as applied again.
    let mut tally = Tally {
        selected: selected.selected,
        kinds: selected
            .kinds
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    KindTally {
                        selected: v.selected,
                        ..Default::default()
                    },
                )
            })
            .collect(),
        ..Default::default()
    };
    ctx.info(format!(
        "applying {} objects to {} ({:?} existing objects)",
        tally.selected, cluster.name, input.options.existing_policy
    ));
    let (progress, mut watched) = watch::channel(tally.clone());
    let applying = async {
        let applied = resources::apply::apply(
            &client,
            read_entries(plain),
            ApplyPlan {
                contents: &contents,
                options: &input.options,
                restore_id: &input.restore_id,
            },
            &mut tally,
            &progress,
            |failure: &str| ctx.log("error", format!("failed: {failure}")),
        )
        .await;
        drop(progress);
        applied
    };
    let recording = async {
        while watched.changed().await.is_ok() {
            let counts = watched.borrow_and_update().clone();
            record_resources(ctx, input, &counts).await;
        }
    };
    let (applied, ()) = tokio::join!(applying, recording);
    record_resources(ctx, input, &tally).await;
    match applied {
        Ok(()) => {}
        Err(ApplyError::Kube(err)) => return Err(err.into()),
        Err(ApplyError::Archive(err)) => {
            return Err(StepError::permanent(format!("reading the resources archive: {err}")));
        }
    }
    ctx.info(format!(
        "{} applied, {} left as they were, {} failed, of {} selected",
        tally.applied, tally.skipped, tally.failed, tally.selected
    ));
    state.resources = Some(tally);
    Ok(())
}
