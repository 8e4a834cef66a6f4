//! `create_cluster`: a Kubernetes cluster made with kubeadm on registered
//! machines over SSH, then registered like an import.
//!
//! preflight → prepare → init → join-control-planes → join-workers → network
//! → fetch-kubeconfig → wait-ready → register. Every step checks before it acts (init is skipped
//! where `/etc/kubernetes/admin.conf` exists, a join where the node has a
//! `kubelet.conf`), so a run whose worker died resumes safely. The join
//! token and the certificate key live only inside the join steps: never in
//! input, state or log.

use std::time::Duration;

use async_trait::async_trait;
use futures::FutureExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use taichu_storage::entities::machines::Model as Machine;
use taichu_storage::repositories::etcd_settings::{
    self, EtcdDeployment, EtcdMember, EtcdSettings, K8sDeployment, PasswordChange,
};
use taichu_storage::repositories::run_hosts::HostStatus;
use taichu_storage::repositories::{clusters, machines};
use taichu_storage::secrets::Slot;

use crate::context::StepContext;
use crate::definition::{Planned, StepSpec, Workflow};
use crate::error::StepError;
use crate::kube;
use crate::kubeadm::join::JoinTicket;
use crate::kubeadm::preflight::{CONTROL_PLANE_PORTS, HostFacts, PREFLIGHT, WORKER_PORTS};
use crate::kubeadm::{ClusterSpec, Cni, InitNode, PackageSource, init_config};
use crate::ssh::{self, Discard, RemoteCommand, SshSession};

/// Where the rendered kubeadm config goes on the first control plane.
const CONFIG_PATH: &str = "/etc/kubernetes/taichu-kubeadm.yaml";
const ADMIN_CONF: &str = "/etc/kubernetes/admin.conf";
const KUBELET_CONF: &str = "/etc/kubernetes/kubelet.conf";
/// How far a host's clock may be off ours.
const MAX_SKEW_SECS: i64 = 30;
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
const KUBEADM_TIMEOUT: Duration = Duration::from_secs(600);
/// How long the nodes may take to turn Ready.
const READY_TIMEOUT: Duration = Duration::from_secs(600);
const READY_POLL: Duration = Duration::from_secs(2);
const CALICO: &str = "https://raw.githubusercontent.com/projectcalico/calico/v3.28.1/manifests/calico.yaml";
const FLANNEL: &str = "https://github.com/flannel-io/flannel/releases/download/v0.25.6/kube-flannel.yml";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateClusterInput {
    pub cluster_id: String,
    /// Shown by the create-task views.
    pub cluster_name: String,
    pub spec: ClusterSpec,
    /// The first control plane (kubeadm init runs there).
    pub control_plane: String,
    /// More control planes, joined one at a time after init (stacked etcd members).
    #[serde(default)]
    pub other_control_planes: Vec<String>,
    pub workers: Vec<String>,
}

impl CreateClusterInput {
    /// Every machine: the control planes first.
    pub fn all(&self) -> impl Iterator<Item = &String> {
        self.control_planes().chain(self.workers.iter())
    }

    pub fn control_planes(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.control_plane).chain(self.other_control_planes.iter())
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CreateClusterState {
    /// The kubernetes version the cluster reported.
    pub version: Option<String>,
    pub nodes: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Every host: architecture, swap, clock, ports, kernel modules.
    Preflight,
    /// Every host: modules and sysctls, packages at the requested version.
    Prepare,
    /// `kubeadm init` on the control plane with the rendered config.
    Init,
    /// Certificates uploaded, then every other control plane joined, one at a time.
    JoinControlPlanes,
    /// `kubeadm join` on every worker with a fresh token.
    JoinWorkers,
    /// Apply the network plugin.
    Network,
    /// Store `admin.conf` on the cluster, sealed.
    FetchKubeconfig,
    /// Every node Ready.
    WaitReady,
    /// etcd settings, machines in use, the cluster healthy.
    Register,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct CreateCluster;

fn step(name: &str, timeout: Duration) -> StepSpec {
    StepSpec::new(name)
        .timeout(timeout)
        .max_attempts(3)
        .backoff(Duration::from_secs(2))
}

#[async_trait]
impl Workflow for CreateCluster {
    const KIND: &'static str = "create_cluster";
    type Input = CreateClusterInput;
    type State = CreateClusterState;
    type Step = Step;

    fn plan(&self, _input: &CreateClusterInput) -> Result<Vec<Planned<Step>>, String> {
        let quick = |name: &str| step(name, Duration::from_secs(300));
        Ok(vec![
            quick("preflight").of(Step::Preflight),
            quick("prepare").weight(2).of(Step::Prepare),
            step("init", KUBEADM_TIMEOUT + Duration::from_secs(60))
                .weight(4)
                .of(Step::Init),
            step("join-control-planes", KUBEADM_TIMEOUT * 2)
                .weight(2)
                .of(Step::JoinControlPlanes),
            step("join-workers", KUBEADM_TIMEOUT + Duration::from_secs(60))
                .weight(3)
                .of(Step::JoinWorkers),
            quick("network").of(Step::Network),
            quick("fetch-kubeconfig").of(Step::FetchKubeconfig),
            step("wait-ready", READY_TIMEOUT + Duration::from_secs(60))
                .weight(2)
                .of(Step::WaitReady),
            quick("register").of(Step::Register),
        ])
    }

    async fn run(
        &self,
        ctx: &StepContext,
        step: &Step,
        input: &CreateClusterInput,
        state: &mut CreateClusterState,
    ) -> Result<(), StepError> {
        match step {
            Step::Preflight => {
                let control_planes: Vec<&String> = input.control_planes().collect();
                check_hosts(ctx, &input.all().collect::<Vec<_>>(), &control_planes).await
            }
            Step::Prepare => prepare_hosts(ctx, &input.spec, &input.all().collect::<Vec<_>>()).await,
            Step::Init => init(ctx, input).await,
            Step::JoinControlPlanes => join_control_planes(ctx, input).await,
            Step::JoinWorkers => join_hosts(ctx, &input.spec, &input.control_plane, &input.workers).await,
            Step::Network => network(ctx, input).await,
            Step::FetchKubeconfig => fetch_kubeconfig(ctx, input).await,
            Step::WaitReady => wait_ready(ctx, input, state).await,
            Step::Register => register(ctx, input, state).await,
        }
    }
}

async fn machine(ctx: &StepContext, id: &str) -> Result<Machine, StepError> {
    machines::find(ctx.db(), id)
        .await?
        .ok_or_else(|| StepError::permanent(format!("machine {id} no longer exists")))
}

/// The host as logs and errors name it.
fn label(m: &Machine) -> String {
    format!("{} ({})", m.name, m.ip)
}

async fn connect(ctx: &StepContext, m: &Machine) -> Result<SshSession, StepError> {
    ssh::connect_machine(m, ctx.env()).await
}

/// Runs `command` on `m`; a failure names the host and the command.
async fn run(
    ctx: &StepContext,
    session: &SshSession,
    m: &Machine,
    command: &RemoteCommand,
) -> Result<String, StepError> {
    let out = crate::etcd::remote::run(session, ctx, &label(m), command, COMMAND_TIMEOUT).await?;
    Ok(out.stdout)
}

/// Runs a command whose output or arguments hold a secret (the join token):
/// nothing of it reaches the run's log; a failure names the host, `what` and
/// the last line the tool wrote to stderr.
async fn run_secret(
    session: &SshSession,
    m: &Machine,
    command: &RemoteCommand,
    what: &str,
) -> Result<String, StepError> {
    let out = session.exec(command, KUBEADM_TIMEOUT, &Discard).await?;
    if out.success() {
        return Ok(out.stdout);
    }
    let said = out
        .stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no output");
    Err(StepError::transient(format!(
        "on {}: {what} failed ({}): {}",
        label(m),
        out.exit_status
            .map_or_else(|| "no exit status".to_owned(), |s| format!("exit {s}")),
        crate::upstream::tidy(said)
    )))
}

fn sudo(program: &str) -> RemoteCommand {
    RemoteCommand::new("sudo").arg(program)
}

/// Whether `path` exists on the host.
async fn exists(session: &SshSession, path: &str) -> Result<bool, StepError> {
    let test = RemoteCommand::new("sudo").args(["test", "-e", path]);
    Ok(session.exec(&test, COMMAND_TIMEOUT, &Discard).await?.success())
}

/// Preflight on `hosts`; `control_planes` need the control plane's ports free.
pub(crate) async fn check_hosts(
    ctx: &StepContext,
    hosts: &[&String],
    control_planes: &[&String],
) -> Result<(), StepError> {
    let mut checks: Vec<BoxFuture<'_, Result<(), StepError>>> = Vec::new();
    for id in hosts.iter().copied() {
        checks.push(on_host(ctx, id, check_host(ctx, id, control_planes.contains(&id))).boxed());
    }
    let problems: Vec<String> = bounded(checks)
        .await
        .into_iter()
        .filter_map(Result::err)
        .map(|e| e.to_string())
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        // Re-read before giving up: a port or a clock can be in passing
        // trouble; a host that stays wrong fails the step after its attempts.
        Err(StepError::transient(format!(
            "preflight failed: {}",
            problems.join(" | ")
        )))
    }
}

/// Hosts worked on at once.
const PARALLEL_HOSTS: usize = 4;

/// Runs `work` with at most [`PARALLEL_HOSTS`] at a time; every result, in any order.
async fn bounded<T>(work: Vec<BoxFuture<'_, T>>) -> Vec<T> {
    use futures::StreamExt;
    futures::stream::iter(work)
        .buffer_unordered(PARALLEL_HOSTS)
        .collect()
        .await
}

/// Runs one host's part of a step (`Some(why)`: skipped, already done),
/// its state recorded for the task views as it goes.
async fn on_host(
    ctx: &StepContext,
    id: &str,
    work: impl Future<Output = Result<Option<String>, StepError>>,
) -> Result<(), StepError> {
    ctx.host(id, HostStatus::Running, None).await?;
    match work.await {
        Ok(None) => ctx.host(id, HostStatus::Done, None).await,
        Ok(Some(why)) => ctx.host(id, HostStatus::Skipped, Some(why)).await,
        Err(e) => {
            ctx.host(id, HostStatus::Failed, Some(e.to_string())).await?;
            Err(e)
        }
    }
}

/// One host's preflight; its problems fail it.
async fn check_host(ctx: &StepContext, id: &str, control_plane: bool) -> Result<Option<String>, StepError> {
    let m = machine(ctx, id).await?;
    let session = connect(ctx, &m).await?;
    let out = run(ctx, &session, &m, &RemoteCommand::script(PREFLIGHT)).await;
    session.close().await;
    let facts = HostFacts::parse(&out?).map_err(|e| StepError::permanent(format!("{}: {e}", label(&m))))?;
    let ports = if control_plane {
        CONTROL_PLANE_PORTS
    } else {
        WORKER_PORTS
    };
    let found = facts.problems(chrono::Utc::now().timestamp(), MAX_SKEW_SECS, ports);
    if found.is_empty() {
        ctx.info(format!(
            "{}: {} {} on {}, ready for kubeadm",
            label(&m),
            facts.os,
            facts.os_version,
            facts.arch
        ));
        Ok(None)
    } else {
        Err(StepError::transient(format!("{}: {}", label(&m), found.join("; "))))
    }
}

/// Modules, sysctls and packages on `hosts`.
pub(crate) async fn prepare_hosts(ctx: &StepContext, spec: &ClusterSpec, hosts: &[&String]) -> Result<(), StepError> {
    let mut work: Vec<BoxFuture<'_, Result<(), StepError>>> = Vec::new();
    for id in hosts.iter().copied() {
        work.push(on_host(ctx, id, prepare_host(ctx, spec, id)).boxed());
    }
    bounded(work).await.into_iter().collect()
}

async fn prepare_host(ctx: &StepContext, spec: &ClusterSpec, id: &str) -> Result<Option<String>, StepError> {
    let minor = spec
        .kubernetes_version
        .trim_start_matches('v')
        .rsplit_once('.')
        .map_or("", |(mm, _)| mm)
        .to_owned();
    {
        let m = machine(ctx, id).await?;
        let session = connect(ctx, &m).await?;
        let result = async {
            for module in ["overlay", "br_netfilter"] {
                run(ctx, &session, &m, &sudo("modprobe").arg(module)).await?;
            }
            let sysctl = sudo("sysctl").args([
                "-w",
                "net.bridge.bridge-nf-call-iptables=1",
                "net.bridge.bridge-nf-call-ip6tables=1",
                "net.ipv4.ip_forward=1",
            ]);
            run(ctx, &session, &m, &sysctl).await?;
            let socket = spec
                .container_runtime_endpoint
                .strip_prefix("unix://")
                .unwrap_or(&spec.container_runtime_endpoint);
            let listening = RemoteCommand::new("sudo").args(["test", "-S", socket]);
            if !session.exec(&listening, COMMAND_TIMEOUT, &Discard).await?.success() {
                return Err(StepError::permanent(format!(
                    "{}: no container runtime listens at {socket}; install and start containerd (or set container_runtime_endpoint to the runtime's socket)",
                    label(&m)
                )));
            }
            if let PackageSource::Apt { repository } = &spec.package_source {
                ctx.info(format!(
                    "{}: installing kubeadm, kubelet and kubectl {} from {repository} (Kubernetes {minor})",
                    label(&m),
                    spec.kubernetes_version
                ));
                for command in apt_install(repository, &spec.kubernetes_version) {
                    run(ctx, &session, &m, &command).await?;
                }
            }
            let installed = run(
                ctx,
                &session,
                &m,
                &RemoteCommand::new("kubeadm").args(["version", "-o", "short"]),
            )
            .await?;
            if installed.trim() != spec.kubernetes_version {
                return Err(StepError::permanent(format!(
                    "{}: kubeadm is {} but the cluster asks for {}",
                    label(&m),
                    installed.trim(),
                    spec.kubernetes_version
                )));
            }
            run(
                ctx,
                &session,
                &m,
                &sudo("systemctl").args(["enable", "--now", "kubelet"]),
            )
            .await?;
            Ok::<_, StepError>(())
        }
        .await;
        session.close().await;
        result?;
        ctx.info(format!("{}: prepared", label(&m)));
    }
    Ok(None)
}

const APT_KEYRING: &str = "/etc/apt/keyrings/taichu-kubernetes.gpg";
const APT_LIST: &str = "/etc/apt/sources.list.d/taichu-kubernetes.list";

/// The commands that install kubeadm, kubelet and kubectl at `version` from
/// the apt `repository` (a pkgs.k8s.io-style repository: its signing key is
/// `Release.key` beside it) and hold them there. Each one can run again.
fn apt_install(repository: &str, version: &str) -> Vec<RemoteCommand> {
    let version = version.trim_start_matches('v');
    let key_url = format!("{}/Release.key", repository.trim_end_matches('/'));
    let line = format!("deb [signed-by={APT_KEYRING}] {repository} /\n");
    let packages = ["kubeadm", "kubelet", "kubectl"];
    vec![
        // The key goes through a variable so a failed download writes no keyring.
        RemoteCommand::new("sudo")
            .args([
                "sh",
                "-c",
                r#"mkdir -p -m 755 "$(dirname "$2")" && key=$(curl -fsSL --proto =https "$1") && printf '%s\n' "$key" | gpg --dearmor --yes -o "$2""#,
                "sh",
            ])
            .arg(key_url)
            .arg(APT_KEYRING),
        RemoteCommand::new("sudo")
            .args(["sh", "-c", r#"printf '%s' "$1" > "$2""#, "sh"])
            .arg(line)
            .arg(APT_LIST),
        sudo("apt-get").args(["update", "-q"]),
        sudo("apt-get")
            .args(["install", "-y", "-q", "--allow-change-held-packages"])
            .args(packages.map(|p| format!("{p}={version}-*"))),
        sudo("apt-mark").arg("hold").args(packages),
    ]
}

fn node_name(m: &Machine) -> String {
    m.name.to_ascii_lowercase()
}

async fn init(ctx: &StepContext, input: &CreateClusterInput) -> Result<(), StepError> {
    on_host(ctx, &input.control_plane, init_first(ctx, input)).await
}

async fn init_first(ctx: &StepContext, input: &CreateClusterInput) -> Result<Option<String>, StepError> {
    let m = machine(ctx, &input.control_plane).await?;
    let session = connect(ctx, &m).await?;
    let result = async {
        if exists(&session, ADMIN_CONF).await? {
            let why = format!("already initialised ({ADMIN_CONF} exists)");
            ctx.info(format!("{}: {why}; skipped", label(&m)));
            return Ok(Some(why));
        }
        let name = node_name(&m);
        let config = init_config(
            &input.spec,
            InitNode {
                name: &name,
                address: &m.ip,
            },
        )
        .map_err(|e| StepError::permanent(format!("rendering the kubeadm config: {e}")))?;
        let write = RemoteCommand::new("sudo")
            .args(["sh", "-c", r#"umask 077 && printf '%s' "$1" > "$2""#, "sh"])
            .arg(&config)
            .arg(CONFIG_PATH);
        run(ctx, &session, &m, &write).await?;
        ctx.info(format!("{}: kubeadm init with {CONFIG_PATH}", label(&m)));
        let out = crate::etcd::remote::run(
            &session,
            ctx,
            &label(&m),
            &sudo("kubeadm").args(["init", "--config", CONFIG_PATH]),
            KUBEADM_TIMEOUT,
        )
        .await?;
        ctx.info(format!(
            "{}: {}",
            label(&m),
            out.stdout.lines().last().unwrap_or("initialised")
        ));
        Ok(None)
    }
    .await;
    session.close().await;
    result
}

/// Joins `workers` with a fresh token from `control_plane`; a worker that
/// has joined already is skipped.
pub(crate) async fn join_hosts(
    ctx: &StepContext,
    spec: &ClusterSpec,
    control_plane: &str,
    workers: &[String],
) -> Result<(), StepError> {
    if workers.is_empty() {
        return Ok(());
    }
    let cp = machine(ctx, control_plane).await?;
    let cp_session = connect(ctx, &cp).await?;
    let create = sudo("kubeadm").args(["token", "create", "--print-join-command"]);
    let printed = run_secret(&cp_session, &cp, &create, "kubeadm token create").await;
    cp_session.close().await;
    // The printed command holds the token: parsed here, never logged.
    let ticket =
        JoinTicket::parse(&printed?, None).map_err(|e| StepError::permanent(format!("{}: {e}", label(&cp))))?;
    let mut work: Vec<BoxFuture<'_, Result<(), StepError>>> = Vec::new();
    for id in workers {
        work.push(on_host(ctx, id, join_host(ctx, spec, &ticket, id, false)).boxed());
    }
    // Every join runs to its end; the first failure is reported.
    bounded(work).await.into_iter().collect()
}

/// Joins the other control planes, one at a time (each adds an etcd member,
/// and etcd takes one change at a time), with the certificates uploaded
/// from the first under a fresh key.
async fn join_control_planes(ctx: &StepContext, input: &CreateClusterInput) -> Result<(), StepError> {
    if input.other_control_planes.is_empty() {
        ctx.info("one control plane; nothing to join");
        return Ok(());
    }
    let mut pending = Vec::new();
    for id in &input.other_control_planes {
        let m = machine(ctx, id).await?;
        let session = connect(ctx, &m).await?;
        let joined = exists(&session, KUBELET_CONF).await;
        session.close().await;
        if joined? {
            let why = format!("already joined ({KUBELET_CONF} exists)");
            ctx.info(format!("{}: {why}; skipped", label(&m)));
            ctx.host(id, HostStatus::Skipped, Some(why)).await?;
        } else {
            pending.push(id);
        }
    }
    if pending.is_empty() {
        return Ok(());
    }
    let cp = machine(ctx, &input.control_plane).await?;
    let cp_session = connect(ctx, &cp).await?;
    let upload = sudo("kubeadm").args(["init", "phase", "upload-certs", "--upload-certs"]);
    let create = sudo("kubeadm").args(["token", "create", "--print-join-command"]);
    let printed = async {
        let uploaded = run_secret(&cp_session, &cp, &upload, "kubeadm init phase upload-certs").await?;
        let printed = run_secret(&cp_session, &cp, &create, "kubeadm token create").await?;
        Ok::<_, StepError>((uploaded, printed))
    }
    .await;
    cp_session.close().await;
    let (uploaded, printed) = printed?;
    // The key is the last line upload-certs prints; like the token, parsed here and never logged.
    let key = uploaded
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let ticket =
        JoinTicket::parse(&printed, Some(key)).map_err(|e| StepError::permanent(format!("{}: {e}", label(&cp))))?;
    for id in pending {
        on_host(ctx, id, join_host(ctx, &input.spec, &ticket, id, true)).await?;
    }
    Ok(())
}

/// Joins one node with `ticket` (as a control plane when `control_plane`),
/// unless it has joined already.
async fn join_host(
    ctx: &StepContext,
    spec: &ClusterSpec,
    ticket: &JoinTicket,
    id: &str,
    control_plane: bool,
) -> Result<Option<String>, StepError> {
    {
        let m = machine(ctx, id).await?;
        let session = connect(ctx, &m).await?;
        let result = async {
            if exists(&session, KUBELET_CONF).await? {
                let why = format!("already joined ({KUBELET_CONF} exists)");
                ctx.info(format!("{}: {why}; skipped", label(&m)));
                return Ok(Some(why));
            }
            let join =
                sudo("kubeadm").args(ticket.args(&node_name(&m), &spec.container_runtime_endpoint, control_plane));
            run_secret(&session, &m, &join, "kubeadm join").await?;
            let role = if control_plane { "control plane" } else { "worker" };
            ctx.info(format!("{}: joined as {role} {}", label(&m), node_name(&m)));
            Ok::<_, StepError>(None)
        }
        .await;
        session.close().await;
        result
    }
}

async fn network(ctx: &StepContext, input: &CreateClusterInput) -> Result<(), StepError> {
    let spec = &input.spec;
    let source = match (&spec.cni, &spec.cni_manifest) {
        (Cni::None, _) => {
            ctx.info("no network plugin asked for; nodes turn Ready once one is applied");
            return Ok(());
        }
        (_, Some(manifest)) => manifest.clone(),
        (Cni::Calico, None) => CALICO.to_owned(),
        (Cni::Flannel, None) => FLANNEL.to_owned(),
    };
    let m = machine(ctx, &input.control_plane).await?;
    let session = connect(ctx, &m).await?;
    let result = async {
        let file = if source.starts_with("https://") {
            source
        } else {
            let path = "/etc/kubernetes/taichu-cni.yaml";
            let write = RemoteCommand::new("sudo")
                .args(["sh", "-c", r#"printf '%s' "$1" > "$2""#, "sh"])
                .arg(&source)
                .arg(path);
            run(ctx, &session, &m, &write).await?;
            path.to_owned()
        };
        let apply = sudo("kubectl")
            .args(["--kubeconfig", ADMIN_CONF, "apply", "-f"])
            .arg(&file);
        run(ctx, &session, &m, &apply).await?;
        ctx.info(format!("{}: network plugin applied from {file}", label(&m)));
        Ok(())
    }
    .await;
    session.close().await;
    result
}

async fn fetch_kubeconfig(ctx: &StepContext, input: &CreateClusterInput) -> Result<(), StepError> {
    let m = machine(ctx, &input.control_plane).await?;
    let session = connect(ctx, &m).await?;
    let out = session
        .exec(&sudo("cat").arg(ADMIN_CONF), COMMAND_TIMEOUT, &Discard)
        .await;
    session.close().await;
    let out = out?;
    if !out.success() {
        return Err(StepError::transient(format!(
            "{}: {ADMIN_CONF} cannot be read",
            label(&m)
        )));
    }
    let cluster = clusters::find(ctx.db(), &input.cluster_id)
        .await?
        .ok_or_else(|| StepError::permanent("the cluster record is gone"))?;
    let summary = kube::inspect(&out.stdout, cluster.allow_insecure)
        .map_err(|e| StepError::permanent(format!("{}: {ADMIN_CONF} is refused: {e}", label(&m))))?;
    let sealed = ctx
        .env()
        .secrets
        .seal_str(Slot::ClusterKubeconfig, &cluster.id, &out.stdout);
    clusters::store_kubeconfig(ctx.db(), &cluster.id, &sealed, &summary.server).await?;
    ctx.info(format!("kubeconfig stored (API server {})", summary.server));
    Ok(())
}

async fn wait_ready(
    ctx: &StepContext,
    input: &CreateClusterInput,
    state: &mut CreateClusterState,
) -> Result<(), StepError> {
    let (nodes, version) = wait_nodes(ctx, &input.cluster_id, input.all().count()).await?;
    state.nodes = Some(nodes);
    state.version = version;
    Ok(())
}

/// Waits until the cluster has at least `expected` nodes, all Ready; their
/// count and the server's version. A timeout names the nodes not Ready.
pub(crate) async fn wait_nodes(
    ctx: &StepContext,
    cluster_id: &str,
    expected: usize,
) -> Result<(i32, Option<String>), StepError> {
    let cluster = clusters::find(ctx.db(), cluster_id)
        .await?
        .ok_or_else(|| StepError::permanent("the cluster record is gone"))?;
    let client = kube::client_for(&cluster, ctx.env(), Duration::from_secs(30)).await?;
    let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
    loop {
        let nodes = kube::nodes(&client).await?;
        let not_ready: Vec<String> = nodes
            .iter()
            .filter(|n| {
                !n.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
            })
            .filter_map(|n| n.metadata.name.clone())
            .collect();
        if nodes.len() >= expected && not_ready.is_empty() {
            ctx.info(format!("all {} nodes Ready", nodes.len()));
            let count = i32::try_from(nodes.len()).unwrap_or(i32::MAX);
            return Ok((count, kube::version(&client).await.ok()));
        }
        if tokio::time::Instant::now() > deadline {
            return Err(StepError::permanent(format!(
                "after {} s, {} of {expected} nodes registered; not Ready: {}",
                READY_TIMEOUT.as_secs(),
                nodes.len(),
                if not_ready.is_empty() {
                    "(missing nodes)".to_owned()
                } else {
                    not_ready.join(", ")
                }
            )));
        }
        tokio::time::sleep(READY_POLL).await;
    }
}

async fn register(ctx: &StepContext, input: &CreateClusterInput, state: &CreateClusterState) -> Result<(), StepError> {
    let cp = machine(ctx, &input.control_plane).await?;
    let mut control_planes = vec![cp.clone()];
    for id in &input.other_control_planes {
        control_planes.push(machine(ctx, id).await?);
    }
    // kubeadm's stacked etcd: a member on each control plane, its certificates under /etc/kubernetes/pki/etcd.
    let pki = "/etc/kubernetes/pki/etcd";
    let settings = EtcdSettings {
        endpoints: control_planes
            .iter()
            .map(|m| format!("https://{}:2379", m.ip))
            .collect(),
        ca_cert: Some(format!("{pki}/ca.crt")),
        cert: Some(format!("{pki}/healthcheck-client.crt")),
        key: Some(format!("{pki}/healthcheck-client.key")),
        data_dir: "/var/lib/etcd".to_owned(),
        etcdctl_path: "/usr/local/bin/etcdctl".to_owned(),
        etcdutl_path: None,
        ssh_username: Some(cp.username.clone()),
        ssh_port: u16::try_from(cp.port).unwrap_or(22),
        etcd_deployment: EtcdDeployment::Kubeadm,
        k8s_deployment: K8sDeployment::Kubeadm,
        manifests_dir: "/etc/kubernetes/manifests".to_owned(),
        machine_ids: control_planes.iter().map(|m| m.id.clone()).collect(),
        members: control_planes
            .iter()
            .map(|m| EtcdMember {
                name: node_name(m),
                host: m.ip.clone(),
                peer_url: format!("https://{}:2380", m.ip),
                client_url: format!("https://{}:2379", m.ip),
                data_dir: None,
                manifests_dir: None,
            })
            .collect(),
    };
    etcd_settings::save(ctx.db(), &input.cluster_id, &settings, PasswordChange::Keep).await?;
    let ids: Vec<String> = input.all().cloned().collect();
    machines::assign_to_cluster(ctx.db(), &ids, &input.cluster_id).await?;
    clusters::record_import(
        ctx.db(),
        &input.cluster_id,
        state.version.clone(),
        state.nodes.unwrap_or(0),
    )
    .await?;
    ctx.info(format!(
        "cluster {} registered: {} nodes",
        input.cluster_name,
        state.nodes.unwrap_or(0)
    ));
    Ok(())
}
