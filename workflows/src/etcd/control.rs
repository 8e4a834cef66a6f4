//! Stopping and starting etcd and the API server on a member, as its
//! deployment says (systemd units or kubeadm static pods), and waiting for
//! the members to go down or come back healthy. Every action is a no-op
//! when already done, so a step that runs again is safe.

use std::time::Duration;

use taichu_storage::repositories::etcd_settings::{EtcdDeployment, EtcdMember, K8sDeployment};

use super::{CTL_TIMEOUT, EndpointStatus, EtcdAccess, Etcdctl, remote};
use crate::context::StepContext;
use crate::error::StepError;
use crate::ssh::{Discard, RemoteCommand, SshSession};
use crate::upstream::tidy;

/// How long members may take to stop, and to come back healthy.
pub const SETTLE_TIMEOUT: Duration = Duration::from_secs(180);
const POLL: Duration = Duration::from_millis(500);
/// Checks in a row a systemd member may be seen dead after its start before
/// the wait gives up on it (a crash at start would otherwise cost the whole timeout).
const DEAD_CHECKS: u32 = 4;

/// Where a member's static pod manifests are, and where they wait while stopped.
#[derive(Debug, Clone)]
pub struct Manifests {
    pub dir: String,
    pub parked: String,
}

/// What runs the API server or etcd: a systemd unit, or a static pod manifest.
enum Unit {
    Systemd(&'static str),
    Manifest(&'static str),
}

fn apiserver(access: &EtcdAccess) -> Option<Unit> {
    match access.settings.k8s_deployment {
        K8sDeployment::Kubeadm => Some(Unit::Manifest("kube-apiserver.yaml")),
        K8sDeployment::Binary => Some(Unit::Systemd("kube-apiserver")),
        K8sDeployment::None => None,
    }
}

fn etcd_unit(access: &EtcdAccess) -> Unit {
    match access.settings.etcd_deployment {
        EtcdDeployment::Kubeadm => Unit::Manifest("etcd.yaml"),
        EtcdDeployment::Standalone => Unit::Systemd("etcd"),
    }
}

fn stop_command(unit: &Unit, manifests: &Manifests) -> RemoteCommand {
    match unit {
        Unit::Systemd(name) => RemoteCommand::new("systemctl").arg("stop").arg(name),
        Unit::Manifest(file) => RemoteCommand::script(remote::MOVE_INTO)
            .arg(format!("{}/{file}", manifests.dir))
            .arg(&manifests.parked),
    }
}

fn start_command(unit: &Unit, manifests: &Manifests) -> RemoteCommand {
    match unit {
        Unit::Systemd(name) => RemoteCommand::new("systemctl").arg("start").arg(name),
        Unit::Manifest(file) => RemoteCommand::script(remote::MOVE_INTO)
            .arg(format!("{}/{file}", manifests.parked))
            .arg(&manifests.dir),
    }
}

/// Stops the API server, then etcd, on the member `session` is logged in to.
pub async fn stop(
    ctx: &StepContext,
    access: &EtcdAccess,
    session: &SshSession,
    member: &EtcdMember,
    manifests: &Manifests,
) -> Result<(), StepError> {
    for unit in apiserver(access).into_iter().chain([etcd_unit(access)]) {
        remote::run(session, ctx, &member.host, &stop_command(&unit, manifests), CTL_TIMEOUT).await?;
    }
    Ok(())
}

/// Starts etcd (or, with `apiserver`, the API server) on one member.
pub async fn start(
    ctx: &StepContext,
    access: &EtcdAccess,
    member: &EtcdMember,
    manifests: &Manifests,
    apiserver_too: bool,
) -> Result<(), StepError> {
    let unit = if apiserver_too {
        match apiserver(access) {
            Some(unit) => unit,
            None => return Ok(()),
        }
    } else {
        etcd_unit(access)
    };
    let session = access.connect(ctx.env(), &member.host).await?;
    let result = remote::run(
        &session,
        ctx,
        &member.host,
        &start_command(&unit, manifests),
        SETTLE_TIMEOUT,
    )
    .await;
    session.close().await;
    result.map(drop)
}

/// Waits until `member`'s client endpoint no longer answers.
pub async fn wait_down(
    ctx: &StepContext,
    access: &EtcdAccess,
    session: &SshSession,
    member: &EtcdMember,
) -> Result<(), StepError> {
    let health = Etcdctl::new(&access.settings).health(&member.client_url);
    let deadline = tokio::time::Instant::now() + SETTLE_TIMEOUT;
    loop {
        let out = session.exec(&health, CTL_TIMEOUT, &Discard).await?;
        if !out.success() {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(StepError::permanent(format!(
                "etcd member {} on {} still answers {} s after it was told to stop",
                member.name,
                member.host,
                SETTLE_TIMEOUT.as_secs()
            )));
        }
        ctx.sleep(POLL).await?;
    }
}

/// Members whose systemd unit says etcd is not running.
async fn dead_units(ctx: &StepContext, access: &EtcdAccess, members: &[EtcdMember]) -> Vec<String> {
    if access.settings.etcd_deployment != EtcdDeployment::Standalone {
        return Vec::new();
    }
    let mut dead = Vec::new();
    let probe = RemoteCommand::new("systemctl").args(["is-active", "etcd"]);
    for member in members {
        let Ok(session) = access.connect(ctx.env(), &member.host).await else {
            continue;
        };
        if let Ok(out) = session.exec(&probe, CTL_TIMEOUT, &Discard).await
            && matches!(out.stdout.trim(), "inactive" | "failed")
        {
            dead.push(format!("{} ({})", member.name, out.stdout.trim()));
        }
        session.close().await;
    }
    dead
}

/// Waits until every member answers and all agree on the revision and the
/// cluster; returns the revision. A systemd member whose etcd keeps dying
/// ends the wait early, naming it.
pub async fn wait_healthy(ctx: &StepContext, access: &EtcdAccess, members: &[EtcdMember]) -> Result<i64, StepError> {
    let first = members.first().ok_or_else(|| StepError::permanent("no members"))?;
    let urls: Vec<&str> = members.iter().map(|m| m.client_url.as_str()).collect();
    let status = Etcdctl::new(&access.settings).status(&urls);
    let deadline = tokio::time::Instant::now() + SETTLE_TIMEOUT;
    let session = access.connect(ctx.env(), &first.host).await?;
    let mut dead_seen = 0;
    let outcome = loop {
        let last = match session.exec(&status, CTL_TIMEOUT, &Discard).await {
            Ok(out) if out.success() => match EndpointStatus::parse(&out.stdout) {
                Ok(list) if list.len() == members.len() => {
                    let revisions: Vec<i64> = list.iter().map(|e| e.revision).collect();
                    let clusters: Vec<u64> = list.iter().map(|e| e.cluster_id).collect();
                    if revisions.windows(2).all(|w| w[0] == w[1]) && clusters.windows(2).all(|w| w[0] == w[1]) {
                        break Ok(revisions[0]);
                    }
                    format!("members disagree: revisions {revisions:?}")
                }
                Ok(list) => format!("{} of {} members answer", list.len(), members.len()),
                Err(e) => e.to_string(),
            },
            Ok(out) => tidy(out.stderr.lines().last().unwrap_or("no answer")),
            Err(e) => e.to_string(),
        };
        let dead = dead_units(ctx, access, members).await;
        dead_seen = if dead.is_empty() { 0 } else { dead_seen + 1 };
        if dead_seen >= DEAD_CHECKS {
            break Err(StepError::permanent(format!(
                "etcd does not stay up on {}: {last}",
                dead.join(", ")
            )));
        }
        if tokio::time::Instant::now() >= deadline {
            break Err(StepError::permanent(format!(
                "etcd did not become healthy within {} s: {last}",
                SETTLE_TIMEOUT.as_secs()
            )));
        }
        if let Err(e) = ctx.sleep(POLL * 2).await {
            break Err(e);
        }
    };
    session.close().await;
    outcome
}
