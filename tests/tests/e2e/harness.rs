//! The real test peers themselves: etcd clusters on SSH hosts (systemd and
//! kubeadm style), a SeaweedFS S3 server, and machines with kubeadm
//! stand-ins, driven the way Taichu will drive them: over real SSH sessions
//! and signed S3 calls.

use std::process::Command;
use std::time::Duration;

use taichu_tests::etcd::{Deployment, EtcdCluster, EtcdMember};
use taichu_tests::kubehost::{KubeFleet, KubeHost};
use taichu_tests::s3::S3Server;
use taichu_tests::sshd::{TEST_PASSWORD, TEST_USER};
use taichu_workflows::NetworkPolicy;
use taichu_workflows::kubeadm::join::JoinTicket;
use taichu_workflows::kubeadm::{ClusterSpec, Cni, InitNode, PackageSource, init_config};
use taichu_workflows::ssh::{Discard, ExecOutput, RemoteCommand, SshAuth, SshSession, SshTarget};

const T: Duration = Duration::from_secs(60);

async fn login(member: &EtcdMember) -> SshSession {
    SshSession::connect(&member.ssh_target(), &NetworkPolicy::default())
        .await
        .expect("ssh login")
}

async fn exec(session: &SshSession, command: RemoteCommand) -> ExecOutput {
    session.exec(&command, T, &Discard).await.expect("exec")
}

/// Polls `ok` for up to 10 s: followers apply and leaders are elected a moment later.
async fn eventually(mut ok: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

fn systemctl(args: &[&str]) -> RemoteCommand {
    RemoteCommand::new("systemctl").args(args)
}

/// `etcdctl` on a member's host against its own endpoint, with the cluster's client certificate.
fn remote_etcdctl(cluster: &EtcdCluster, member: &EtcdMember, args: &[&str]) -> RemoteCommand {
    RemoteCommand::new("etcdctl")
        .arg(format!("--endpoints={}", member.client_url))
        .arg(format!("--cacert={}", cluster.ca_cert()))
        .arg(format!("--cert={}", cluster.client_cert()))
        .arg(format!("--key={}", cluster.client_key()))
        .args(args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn systemd_etcd_cluster_serves_tls_and_obeys_systemctl_over_ssh() {
    let Some(cluster) = EtcdCluster::start(3, Deployment::Systemd) else {
        return;
    };
    // Client certificates are required: the CA alone does not get in.
    let without_cert = Command::new(format!("{}/etcdctl", cluster.etcd_bin()))
        .arg(format!("--endpoints={}", cluster.members()[0].client_url))
        .arg(format!("--cacert={}", cluster.ca_cert()))
        .args(["--command-timeout=3s", "get", "x"])
        .output()
        .expect("etcdctl");
    assert!(
        !without_cert.status.success(),
        "etcd served a client without a certificate"
    );

    std::thread::scope(|s| {
        for part in 0..4 {
            let cluster = &cluster;
            s.spawn(move || {
                for i in (part * 25)..(part * 25 + 25) {
                    cluster.put(&format!("harness/{i:03}"), &format!("value {i}"));
                }
            });
        }
    });
    let all = cluster.get_prefix("harness/");
    assert_eq!(all.len(), 100);
    assert_eq!(all[7], ("harness/007".to_owned(), "value 7".to_owned()));
    for m in 0..3 {
        assert!(
            eventually(|| cluster.get_prefix_at(m, "harness/") == all).await,
            "member {m} has its own copy"
        );
        assert!(cluster.healthy(m), "member {m}");
    }

    let m1 = &cluster.members()[0];
    let session = login(m1).await;
    // The host's own bin dir comes first in an SSH session's PATH.
    let out = exec(
        &session,
        RemoteCommand::script("echo \"$PATH\"; command -v systemctl etcdctl"),
    )
    .await;
    assert!(out.stdout.starts_with(&format!("{}:", m1.bin_dir)), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!("\n{}/systemctl\n", m1.bin_dir)),
        "{}",
        out.stdout
    );

    assert!(exec(&session, systemctl(&["stop", "etcd"])).await.success());
    assert!(!cluster.running(0), "stop returns once etcd is gone");
    assert!(!cluster.healthy(0));
    assert!(eventually(|| cluster.healthy(1) && cluster.healthy(2)).await);
    let down = exec(&session, systemctl(&["is-active", "etcd"])).await;
    assert_eq!((down.exit_status, down.stdout.as_str()), (Some(3), "inactive\n"));
    cluster.put("harness/while-m1-down", "yes");

    assert!(exec(&session, systemctl(&["start", "etcd"])).await.success());
    assert!(
        cluster.wait_member_healthy(0, Duration::from_secs(30)),
        "{}",
        cluster.log(0)
    );
    let up = exec(&session, systemctl(&["is-active", "etcd.service"])).await;
    assert_eq!((up.exit_status, up.stdout.as_str()), (Some(0), "active\n"));
    // The member caught up on what it missed.
    assert!(eventually(|| cluster.get_prefix_at(0, "harness/while-m1-down").len() == 1).await);
    assert!(eventually(|| cluster.revision(0) == cluster.revision(1)).await);

    // A snapshot taken on the host, as a backup would.
    let snapshot = format!("{}/etcd.db", m1.host.scratch());
    let save = exec(&session, remote_etcdctl(&cluster, m1, &["snapshot", "save", &snapshot])).await;
    assert!(save.success(), "{}", save.stderr);
    let status = RemoteCommand::new("etcdutl").args(["snapshot", "status", &snapshot, "-w", "json"]);
    let status = exec(&session, status).await;
    assert!(status.success(), "{}", status.stderr);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).expect("snapshot status json");
    assert!(status["revision"].as_i64().expect("revision") >= 101, "{status}");

    // Other units are accepted and left alone; every call is on record.
    assert!(exec(&session, systemctl(&["stop", "kube-apiserver"])).await.success());
    let log = cluster.systemctl_log(0);
    for line in ["stop etcd", "is-active etcd", "start etcd", "stop kube-apiserver"] {
        assert!(log.lines().any(|l| l == line), "{line:?} in {log}");
    }
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeadm_etcd_runs_while_its_static_pod_manifest_exists() {
    let Some(cluster) = EtcdCluster::start(3, Deployment::Kubeadm) else {
        return;
    };
    let m1 = &cluster.members()[0];
    let manifests = m1.manifests_dir.clone().expect("kubeadm hosts have manifests");
    let aside = m1.host.scratch();
    let session = login(m1).await;
    let kubelet = exec(&session, systemctl(&["is-active", "kubelet"])).await;
    assert_eq!(kubelet.stdout, "active\n");
    let ls = exec(&session, RemoteCommand::new("ls").arg(&manifests)).await;
    assert_eq!(ls.stdout, "etcd.yaml\nkube-apiserver.yaml\n");

    let mv = RemoteCommand::new("mv")
        .arg(format!("{manifests}/etcd.yaml"))
        .arg(&aside);
    assert!(exec(&session, mv).await.success());
    assert!(cluster.wait_stopped(0, Duration::from_secs(20)), "{}", cluster.log(0));
    assert!(eventually(|| cluster.healthy(1) && cluster.healthy(2)).await);
    cluster.put("harness/while-m1-down", "yes");

    let back = RemoteCommand::new("mv")
        .arg(format!("{aside}/etcd.yaml"))
        .arg(&manifests);
    assert!(exec(&session, back).await.success());
    assert!(
        cluster.wait_member_healthy(0, Duration::from_secs(30)),
        "{}",
        cluster.log(0)
    );
    assert!(cluster.running(0));

    // A changed manifest gets etcd started anew, as the kubelet would.
    let before = cluster.pid(0).expect("running");
    let edit = RemoteCommand::script("echo '# edited' >> \"$1\"").arg(format!("{manifests}/etcd.yaml"));
    assert!(exec(&session, edit).await.success());
    assert!(eventually(|| cluster.pid(0).is_some_and(|pid| pid != before)).await);
    assert!(
        cluster.wait_member_healthy(0, Duration::from_secs(30)),
        "{}",
        cluster.log(0)
    );

    // Without the kubelet nothing acts on the manifest: etcd keeps running.
    assert!(exec(&session, systemctl(&["stop", "kubelet"])).await.success());
    let mv = RemoteCommand::new("mv")
        .arg(format!("{manifests}/etcd.yaml"))
        .arg(&aside);
    assert!(exec(&session, mv).await.success());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(cluster.running(0));
    assert!(exec(&session, systemctl(&["start", "kubelet"])).await.success());
    assert!(cluster.wait_stopped(0, Duration::from_secs(20)));
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_member_really_fails_to_start() {
    let Some(cluster) = EtcdCluster::start(3, Deployment::Systemd) else {
        return;
    };
    cluster.put("harness/before", "1");
    cluster.corrupt_next_start(2);
    let m3 = &cluster.members()[2];
    let session = login(m3).await;
    let restart = RemoteCommand::script("systemctl stop etcd && systemctl start etcd");
    assert!(exec(&session, restart).await.success(), "start only launches");
    assert!(cluster.wait_stopped(2, Duration::from_secs(20)), "{}", cluster.log(2));
    assert!(!cluster.healthy(2));
    let log = cluster.log(2);
    assert!(log.contains("harness: zeroed the bbolt meta pages"), "{log}");
    assert!(log.contains("failed to open database"), "{log}");
    assert!(eventually(|| cluster.healthy(0) && cluster.healthy(1)).await);
    cluster.put("harness/after", "2");

    // The damage stays: a plain restart fails as well.
    assert!(exec(&session, systemctl(&["restart", "etcd"])).await.success());
    assert!(cluster.wait_stopped(2, Duration::from_secs(20)), "{}", cluster.log(2));
    assert!(!cluster.healthy(2));
    assert_eq!(cluster.log(2).matches("harness: zeroed").count(), 1, "one-shot");
    session.close().await;
}

#[tokio::test]
async fn seaweedfs_is_a_real_s3_server_that_wants_signatures_and_keeps_data() {
    let Some(mut s3) = S3Server::start() else { return };
    s3.create_bucket("backups");
    s3.put("backups", "etcd/one.db", b"snapshot one");
    s3.put("backups", "etcd/two & more.db", b"snapshot two");
    s3.put("backups", "other/x", b"x");
    assert_eq!(s3.list("backups", "etcd/"), ["etcd/one.db", "etcd/two & more.db"]);
    assert_eq!(s3.get("backups", "etcd/two & more.db"), b"snapshot two");

    let anonymous = s3.request("PUT", "backups", "etcd/anon", &[], b"evil", None);
    assert_eq!(anonymous.status, 403, "{}", anonymous.text());
    let forged = s3.request(
        "PUT",
        "backups",
        "etcd/forged",
        &[],
        b"evil",
        Some((s3.access_key(), "wrong")),
    );
    assert_eq!(forged.status, 403, "{}", forged.text());
    assert_eq!(s3.request("GET", "backups", "etcd/one.db", &[], b"", None).status, 403);
    assert_eq!(s3.list("backups", "etcd/").len(), 2);

    let env = s3.env("backups");
    assert!(env.contains(&("TAICHU_OBJECT_STORE".into(), "s3://backups".into())));
    assert!(env.contains(&("AWS_ENDPOINT_URL".into(), s3.endpoint())));

    s3.restart();
    assert_eq!(s3.list("backups", "etcd/").len(), 2);
    assert_eq!(s3.get("backups", "etcd/one.db"), b"snapshot one");
}

async fn kube_login(host: &KubeHost) -> SshSession {
    let target = SshTarget {
        host: host.ssh.ip.clone(),
        port: host.ssh.port,
        username: TEST_USER.into(),
        auth: SshAuth::Password(TEST_PASSWORD.into()),
        host_key: None,
        connect_timeout: Duration::from_secs(10),
    };
    SshSession::connect(&target, &NetworkPolicy::default())
        .await
        .expect("ssh login")
}

async fn nodes_ready(fleet: &KubeFleet, ready: &str) -> bool {
    let client = taichu_workflows::kube::connect(
        &fleet.server.kubeconfig("kube-fleet-token"),
        &taichu_workflows::kube::ConnectOptions::new(T),
    )
    .await
    .expect("client");
    for _ in 0..100 {
        let nodes = taichu_workflows::kube::nodes(&client).await.expect("nodes");
        let all = nodes.len() == fleet.hosts.len()
            && nodes.iter().all(|n| {
                n.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == ready))
            });
        if all {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeadm_hosts_record_every_call_and_act_like_kubeadm_where_it_matters() {
    let Some(fleet) = KubeFleet::start(2, "v1.30.4").await else {
        return;
    };
    let (cp, worker) = (&fleet.hosts[0], &fleet.hosts[1]);
    let (cp_session, worker_session) = (kube_login(cp).await, kube_login(worker).await);
    let spec = ClusterSpec {
        cluster_name: "fleet".into(),
        kubernetes_version: "v1.30.4".into(),
        pod_cidr: "10.244.0.0/16".into(),
        service_cidr: "10.96.0.0/12".into(),
        cni: Cni::Flannel,
        cni_manifest: None,
        container_runtime_endpoint: "unix:///run/containerd/containerd.sock".into(),
        control_plane_endpoint: None,
        image_repository: None,
        package_source: PackageSource::Preinstalled,
    };
    let config = init_config(
        &spec,
        InitNode {
            name: "cp-1",
            address: &cp.ssh.ip,
        },
    )
    .expect("config");
    let path = "/etc/kubernetes/kubeadm.yaml";
    let put = RemoteCommand::script(r#"printf '%s' "$1" > "$2""#)
        .arg(&config)
        .arg(path);
    assert!(exec(&cp_session, put).await.success());
    let init = RemoteCommand::new("kubeadm").args(["init", "--config", path]);
    let first = exec(&cp_session, init.clone()).await;
    assert!(first.success(), "{}", first.stderr);
    let again = exec(&cp_session, init).await;
    assert!(
        !again.success() && again.stderr.contains("already exists"),
        "init runs once per host"
    );
    // Each host has its own /etc/kubernetes.
    let admin = RemoteCommand::new("test").args(["-f", "/etc/kubernetes/admin.conf"]);
    assert!(exec(&cp_session, admin.clone()).await.success());
    assert!(!exec(&worker_session, admin).await.success());

    let printed = exec(
        &cp_session,
        RemoteCommand::new("kubeadm").args(["token", "create", "--print-join-command"]),
    )
    .await;
    let ticket = JoinTicket::parse(&printed.stdout, None).expect("join command");
    let mut forged = ticket.clone();
    forged.token = "zzzzzz.zzzzzzzzzzzzzzzz".into();
    let socket = "unix:///run/containerd/containerd.sock";
    let refused = exec(
        &worker_session,
        RemoteCommand::new("kubeadm").args(forged.args("worker-1", socket, false)),
    )
    .await;
    assert!(
        !refused.success() && refused.stderr.contains("token"),
        "{}",
        refused.stderr
    );
    let joined = exec(
        &worker_session,
        RemoteCommand::new("kubeadm").args(ticket.args("worker-1", socket, false)),
    )
    .await;
    assert!(joined.success(), "{}", joined.stderr);
    assert_eq!(worker.joined().as_deref(), Some("worker-1"));
    assert!(
        nodes_ready(&fleet, "False").await,
        "joined nodes are registered, not Ready without a network"
    );

    let apply = RemoteCommand::new("kubectl").args([
        "--kubeconfig",
        "/etc/kubernetes/admin.conf",
        "apply",
        "-f",
        "/tmp/flannel.yaml",
    ]);
    assert!(exec(&cp_session, apply).await.success());
    assert!(nodes_ready(&fleet, "True").await, "Ready once the network is applied");

    assert!(
        exec(&worker_session, RemoteCommand::new("kubeadm").args(["reset", "-f"]))
            .await
            .success()
    );
    let kubelet_conf = RemoteCommand::new("test").args(["-e", "/etc/kubernetes/kubelet.conf"]);
    assert!(
        !exec(&worker_session, kubelet_conf).await.success(),
        "reset removes what join wrote"
    );

    // Every call, with its argv exactly as sent (hostile text arrives literally).
    let literal = RemoteCommand::new("sysctl").arg("net.ipv4.ip_forward=1; id > /tmp/pwned");
    assert!(exec(&cp_session, literal).await.success());
    let cp_calls: Vec<Vec<String>> = cp.calls();
    let words = |c: &[&str]| c.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(cp_calls[0], words(&["kubeadm", "init", "--config", path]));
    assert_eq!(
        cp_calls[2],
        words(&["kubeadm", "token", "create", "--print-join-command"])
    );
    assert_eq!(
        cp_calls.last().expect("call"),
        &words(&["sysctl", "net.ipv4.ip_forward=1; id > /tmp/pwned"])
    );
    assert!(!std::path::Path::new("/tmp/pwned").exists());
    let worker_calls = worker.calls_of("kubeadm");
    assert_eq!(worker_calls.len(), 3, "{worker_calls:?}");
    assert_eq!(worker_calls[1][1..], ticket.args("worker-1", socket, false)[..]);
    let rendered = std::fs::read_to_string(cp.state.join("init-config.yaml")).expect("config");
    assert_eq!(rendered, config, "kubeadm got the rendered config");
}
