//! Clusters created with kubeadm on registered machines: real sshd hosts
//! with kubeadm stand-ins (`taichu_tests::kubehost`), through the real program.

use serde_json::{Value, json};
use taichu_tests::kubehost::{KubeFleet, TOKEN};
use taichu_tests::sshd::TEST_PASSWORD;
use taichu_tests::{TestApp, machine_body, spawn_app};

/// Registers each host as a machine (`role` per host) and waits until it is ready.
pub(crate) async fn machines(app: &TestApp, token: &str, fleet: &KubeFleet, roles: &[(&str, &str)]) -> Vec<String> {
    labelled(app, token, fleet, roles, &[]).await
}

/// As [`machines`], the hosts from `first` on, with an `instance-type` label each.
pub(crate) async fn labelled(
    app: &TestApp,
    token: &str,
    fleet: &KubeFleet,
    roles: &[(&str, &str)],
    instance_types: &[&str],
) -> Vec<String> {
    let mut ids = Vec::new();
    for (i, (host, (name, role))) in fleet.hosts.iter().zip(roles).enumerate() {
        let mut body = machine_body(name, &host.ssh, json!({"password": TEST_PASSWORD}));
        body["role"] = json!(role);
        if let Some(kind) = instance_types.get(i).filter(|k| !k.is_empty()) {
            body["labels"] = json!({"instance-type": kind});
        }
        let created = app.post("/machines", token, body).await.data().clone();
        let id = created["id"].as_str().expect("id").to_owned();
        app.wait_machine(token, &id, "ready").await;
        ids.push(id);
    }
    ids
}

/// A fleet with a host per role (tools at v1.30.4), the program, an owner's
/// token and the hosts registered as the owner's ready machines; `None`
/// where sshd or network namespaces are missing.
pub(crate) async fn fleet_of(roles: &[(&str, &str)]) -> Option<(KubeFleet, TestApp, String, Vec<String>)> {
    let fleet = KubeFleet::start(roles.len(), "v1.30.4").await?;
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let ids = machines(&app, &owner, &fleet, roles).await;
    Some((fleet, app, owner, ids))
}

/// Starts a create task with `body` and waits for its end; (task id, cluster id, finished run).
pub(crate) async fn create(app: &TestApp, token: &str, body: Value) -> (String, String, Value) {
    let task = app.post("/clusters/create", token, body).await.data().clone();
    let task_id = task["id"].as_str().expect("task").to_owned();
    let cluster_id = task["cluster_id"].as_str().expect("cluster").to_owned();
    let run = app.wait_finished(token, &task_id).await;
    (task_id, cluster_id, run)
}

/// The version the fleet's test API server reports: a cluster expanded
/// later asks its new machines for the version its server runs.
pub(crate) const SERVER_VERSION: &str = "v1.33.1";

/// (step, status) of host `i` in a create task's view.
pub(crate) fn host_steps(detail: &Value, i: usize) -> Vec<(String, String)> {
    detail["hosts"][i]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["step"].as_str().expect("step").to_owned(),
                s["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect()
}

pub(crate) fn words(c: &[&str]) -> Vec<String> {
    c.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_control_plane_and_two_workers_become_a_healthy_registered_cluster() {
    let roles = [
        ("cp-1", "control-plane"),
        ("worker-1", "worker"),
        ("worker-2", "worker"),
    ];
    let Some((fleet, app, owner, ids)) = fleet_of(&roles).await else {
        return;
    };
    let body = json!({"cluster_name": "made", "machine_ids": ids, "kubernetes_version": "v1.30.4", "cni": "flannel"});
    let (task_id, cluster_id, run) = create(&app, &owner, body).await;
    assert_eq!(run["status"], "completed", "{run}");

    let detail = app
        .get(&format!("/create-tasks/{task_id}"), &owner)
        .await
        .data()
        .clone();
    assert_eq!(detail["progress"], 100);
    assert_eq!(detail["cluster_name"], "made");
    assert_eq!(detail["current_step"], "register");
    let logs = detail["logs"].as_str().expect("logs");
    assert!(!logs.contains(TOKEN), "the join token is never logged");
    // Each host and the steps it went through.
    let hosts = detail["hosts"].as_array().expect("hosts");
    assert_eq!(hosts.len(), 3, "{detail}");
    assert_eq!(hosts[0]["name"], "cp-1");
    assert_eq!(hosts[0]["role"], "control-plane");
    let done = |steps: &[&str]| -> Vec<(String, String)> {
        steps.iter().map(|s| ((*s).to_owned(), "done".to_owned())).collect()
    };
    assert_eq!(host_steps(&detail, 0), done(&["preflight", "prepare", "init"]));
    for (i, host) in hosts.iter().enumerate().skip(1) {
        assert_eq!(host["role"], "worker");
        assert_eq!(host_steps(&detail, i), done(&["preflight", "prepare", "join-workers"]));
    }
    let cluster: Value = app.get(&format!("/clusters/{cluster_id}"), &owner).await.data().clone();
    assert_eq!(cluster["status"], "healthy", "{cluster}");
    assert_eq!(cluster["node_count"], 3, "{cluster}");
    let nodes = app.get(&format!("/clusters/{cluster_id}/nodes"), &owner).await;
    assert_eq!(
        nodes.data()["nodes"].as_array().map(Vec::len),
        Some(3),
        "{}",
        nodes.body
    );
    let etcd = app
        .get(&format!("/clusters/{cluster_id}/etcd"), &owner)
        .await
        .data()
        .clone();
    let cp_ip = &fleet.hosts[0].ssh.ip;
    assert_eq!(etcd["etcd_endpoints"], format!("https://{cp_ip}:2379"));
    assert_eq!(etcd["etcd_deployment_type"], "kubeadm");
    assert_eq!(etcd["etcd_ca_cert"], "/etc/kubernetes/pki/etcd/ca.crt");
    for id in &ids {
        let m = app.get(&format!("/machines/{id}"), &owner).await.data().clone();
        assert_eq!(m["cluster_id"], cluster_id.as_str(), "{m}");
    }

    // Exactly what ran where.
    let (cp, w1) = (&fleet.hosts[0], &fleet.hosts[1]);
    let config = "/etc/kubernetes/taichu-kubeadm.yaml";
    assert_eq!(
        cp.calls_of("kubeadm"),
        vec![
            words(&["kubeadm", "version", "-o", "short"]),
            words(&["kubeadm", "init", "--config", config]),
            words(&["kubeadm", "token", "create", "--print-join-command"]),
        ]
    );
    let joins = w1.calls_of("kubeadm");
    assert_eq!(joins.len(), 2, "{joins:?}");
    assert_eq!(joins[1][..2], words(&["kubeadm", "join"])[..]);
    assert!(joins[1].contains(&"worker-1".to_owned()), "{joins:?}");
    assert!(cp.calls_of("kubectl").iter().any(|c| c.contains(&"apply".to_owned())));
    for host in &fleet.hosts {
        // Preflight may dry-run a module that is not loaded yet (`modprobe -n`); prepare loads both.
        let modprobes = host.calls_of("modprobe");
        let loads: Vec<_> = modprobes.iter().filter(|c| c[1] != "-n").cloned().collect();
        assert_eq!(
            loads,
            vec![words(&["modprobe", "overlay"]), words(&["modprobe", "br_netfilter"])]
        );
    }
    for host in &fleet.hosts {
        // The container runtime's socket was looked for before kubeadm ran.
        assert!(
            host.calls_of("sudo")
                .contains(&words(&["sudo", "test", "-S", "/run/containerd/containerd.sock"])),
            "{:?}",
            host.calls_of("sudo")
        );
    }
    let rendered: Vec<Value> = serde_yaml::Deserializer::from_str(
        &std::fs::read_to_string(cp.state.join("init-config.yaml")).expect("config"),
    )
    .map(|d| serde::Deserialize::deserialize(d).expect("yaml"))
    .collect();
    assert_eq!(rendered[0]["nodeRegistration"]["name"], "cp-1");
    assert_eq!(rendered[0]["localAPIEndpoint"]["advertiseAddress"], cp_ip.as_str());
    assert_eq!(rendered[1]["kubernetesVersion"], "v1.30.4");
    assert_eq!(rendered[1]["networking"]["podSubnet"], "10.244.0.0/16");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_request_is_checked_before_anything_is_written() {
    let Some((fleet, app, owner, ids)) = fleet_of(&[("cp-1", "control-plane"), ("worker-1", "worker")]).await else {
        return;
    };
    let (_, other) = app.user("other").await;
    let base = json!({"cluster_name": "checked", "machine_ids": ids, "kubernetes_version": "v1.30.4"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, field) in [
        (with("cluster_name", json!("Bad Name; id")), "cluster_name"),
        (with("kubernetes_version", json!("1.30")), "kubernetes_version"),
        (with("pod_cidr", json!("10.96.0.0/16")), "service_cidr"),
        (with("cni", json!("weave")), "cni"),
        (with("machine_ids", json!([ids[1]])), "machine_ids"),
        (with("machine_ids", json!(["no-such-machine"])), "machine_ids[0]"),
        (with("package_source", json!("apt")), "apt_repository"),
    ] {
        let message = app.post("/clusters/create", &owner, body.clone()).await.error(400);
        assert!(message.starts_with(field), "{body}: {message}");
    }
    app.post("/clusters/create", &other, base.clone()).await.error(403);
    let clusters = app.get("/clusters", &owner).await;
    assert_eq!(clusters.data()["total"], 0, "nothing was written: {}", clusters.body);
    assert!(
        fleet.hosts.iter().all(|h| h.calls_of("kubeadm").is_empty()),
        "no host was touched"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn overlapping_create_requests_never_put_a_machine_in_two_clusters() {
    let Some(fleet) = KubeFleet::start(4, "v1.30.4").await else {
        return;
    };
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let roles = [
        ("cp-a", "control-plane"),
        ("cp-b", "control-plane"),
        ("w-1", "worker"),
        ("w-2", "worker"),
    ];
    let ids = machines(&app, &owner, &fleet, &roles).await;
    // Ten requests, each a control plane and two workers out of four machines: they all overlap.
    let requests = (0..10).map(|i| {
        let cp = &ids[i % 2];
        let workers = [&ids[2], &ids[3]];
        let body = json!({"cluster_name": format!("race-{i}"), "machine_ids": [cp, workers[0], workers[1]],
                          "kubernetes_version": "v1.30.4", "cni": "flannel"});
        let app = &app;
        let owner = &owner;
        async move { app.post("/clusters/create", owner, body).await }
    });
    let replies = futures::future::join_all(requests).await;
    let won: Vec<&Value> = replies.iter().filter(|r| r.status == 200).map(|r| r.data()).collect();
    let lost: Vec<String> = replies
        .iter()
        .filter(|r| r.status != 200)
        .map(|r| r.error(409))
        .collect();
    assert_eq!(won.len(), 1, "exactly one wins: {lost:?}");
    assert!(lost.iter().all(|m| m.contains("busy")), "{lost:?}");
    let run = app.wait_finished(&owner, won[0]["id"].as_str().expect("task")).await;
    assert_eq!(run["status"], "completed", "{run}");
    let mut in_clusters = 0;
    for id in &ids {
        let m = app.get(&format!("/machines/{id}"), &owner).await.data().clone();
        in_clusters += usize::from(m["cluster_id"].is_string());
    }
    assert_eq!(in_clusters, 3, "one cluster's three machines");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_during_a_join_resumes_without_running_anything_twice() {
    let Some(fleet) = KubeFleet::start(3, "v1.30.4").await else {
        return;
    };
    let Some(redis) = taichu_tests::redis::RedisServer::start() else {
        return;
    };
    let queue = redis.url();
    let fast = [
        ("QUEUE_URL", queue.as_str()),
        ("TAICHU_LEASE_SECS", "3"),
        ("TAICHU_REAPER_SECS", "1"),
    ];
    let app = taichu_tests::app::spawn("api", &fast);
    let admin = app.admin_token().await;
    let mut first = app.spawn_worker("first", &fast);
    let roles = [
        ("cp-1", "control-plane"),
        ("worker-1", "worker"),
        ("worker-2", "worker"),
    ];
    let ids = machines(&app, &admin, &fleet, &roles).await;
    fleet.hosts[2].slow_join(4);
    let body = json!({"cluster_name": "crashy", "machine_ids": ids, "kubernetes_version": "v1.30.4", "cni": "flannel"});
    let task = app.post("/clusters/create", &admin, body).await.data().clone();
    let task_id = task["id"].as_str().expect("task").to_owned();
    // Worker 2's join is under way: the worker driving the run dies.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    // (Joins run side by side: worker 1, which is fast, is done; worker 2 is in the middle.)
    while fleet.hosts[2].calls_of("kubeadm").iter().all(|c| c[1] != "join") || fleet.hosts[1].joined().is_none() {
        assert!(std::time::Instant::now() < deadline, "the join never started");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    first.kill_hard();
    fleet.hosts[2].slow_join(0);
    let _second = app.spawn_worker("second", &fast);
    let run = app.wait_finished(&admin, &task_id).await;
    assert_eq!(run["status"], "completed", "{run}");
    let inits = fleet.hosts[0]
        .calls_of("kubeadm")
        .into_iter()
        .filter(|c| c[1] == "init")
        .count();
    assert_eq!(inits, 1, "kubeadm init ran once");
    let w1_joins = fleet.hosts[1]
        .calls_of("kubeadm")
        .into_iter()
        .filter(|c| c[1] == "join")
        .count();
    assert_eq!(
        w1_joins, 1,
        "worker 1 joined once: its join was done and is skipped on the re-run"
    );
    assert_eq!(fleet.hosts[2].joined().as_deref(), Some("worker-2"));
    let cluster = app
        .get(
            &format!("/clusters/{}", task["cluster_id"].as_str().expect("cluster")),
            &admin,
        )
        .await
        .data()
        .clone();
    assert_eq!(cluster["node_count"], 3, "{cluster}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_join_names_the_host_and_a_retry_resumes_there() {
    let roles = [
        ("cp-1", "control-plane"),
        ("worker-1", "worker"),
        ("worker-2", "worker"),
    ];
    let Some((fleet, app, owner, ids)) = fleet_of(&roles).await else {
        return;
    };
    let (_, other) = app.user("other").await;
    fleet.hosts[2].fail_join(true);
    let body =
        json!({"cluster_name": "retried", "machine_ids": ids, "kubernetes_version": "v1.30.4", "cni": "flannel"});
    let (task_id, cluster_id, run) = create(&app, &owner, body).await;
    assert_eq!(run["status"], "failed", "{run}");
    let detail = app
        .get(&format!("/create-tasks/{task_id}"), &owner)
        .await
        .data()
        .clone();
    assert_eq!(detail["current_step"], "join-workers", "{detail}");
    let error = detail["error"].as_str().expect("error");
    assert!(
        error.contains("worker-2") && error.contains("kubeadm join") && error.contains("kubelet did not start"),
        "{error}"
    );
    assert!(!error.contains(TOKEN), "{error}");
    // The machines are free again while the task is failed; nothing else was left half-done.
    app.post(&format!("/create-tasks/{task_id}/retry"), &other, json!({}))
        .await
        .error(403);

    fleet.hosts[2].fail_join(false);
    let retried = app
        .post(&format!("/create-tasks/{task_id}/retry"), &owner, json!({}))
        .await
        .data()
        .clone();
    assert_eq!(retried["id"], task_id.as_str(), "the same task");
    let run = app.wait_finished(&owner, &task_id).await;
    assert_eq!(run["status"], "completed", "{run}");
    let count = |host: usize, sub: &str| {
        fleet.hosts[host]
            .calls_of("kubeadm")
            .into_iter()
            .filter(|c| c[1] == sub)
            .count()
    };
    assert_eq!(count(0, "init"), 1, "init did not run again");
    assert_eq!(count(1, "join"), 1, "worker 1 joined once");
    assert_eq!(
        count(2, "join"),
        4,
        "worker 2: three failed attempts of the step, then the one after the fix"
    );
    app.post(&format!("/create-tasks/{task_id}/retry"), &owner, json!({}))
        .await
        .error(409);
    let cluster = app.get(&format!("/clusters/{cluster_id}"), &owner).await.data().clone();
    assert_eq!(cluster["status"], "healthy", "{cluster}");
}

#[tokio::test(flavor = "multi_thread")]
async fn teardown_resets_every_machine_and_frees_them() {
    let Some((fleet, app, owner, ids)) = fleet_of(&[("cp-1", "control-plane"), ("worker-1", "worker")]).await else {
        return;
    };
    let body = json!({"cluster_name": "brief", "machine_ids": ids, "kubernetes_version": "v1.30.4", "cni": "flannel"});
    let (_, cluster, run) = create(&app, &owner, body).await;
    assert_eq!(run["status"], "completed", "{run}");
    let started = app.delete(&format!("/clusters/{cluster}?teardown=true"), &owner).await;
    let message = started.data()["message"].as_str().expect("message").to_owned();
    let run_id = message
        .split("workflow ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .expect("run id")
        .to_owned();
    let run = app.wait_finished(&owner, &run_id).await;
    assert_eq!(run["status"], "completed", "{run}");
    app.get(&format!("/clusters/{cluster}"), &owner).await.error(404);
    for (host, id) in fleet.hosts.iter().zip(&ids) {
        let resets = host.calls_of("kubeadm").into_iter().filter(|c| c[1] == "reset").count();
        assert_eq!(resets, 1, "kubeadm reset on every machine");
        assert_eq!(host.joined(), None);
        let m = app.get(&format!("/machines/{id}"), &owner).await.data().clone();
        assert_eq!(m["cluster_id"], Value::Null, "{m}");
        assert_eq!(m["status"], "ready", "{m}");
    }
    // An imported cluster is never torn down.
    let server = taichu_tests::apiserver::TestApiServer::start("t").await;
    let imported = app.import_cluster(&owner, "imported", &server.kubeconfig("t")).await;
    let id = imported["cluster_id"].as_str().expect("cluster");
    let refused = app
        .delete(&format!("/clusters/{id}?teardown=true"), &owner)
        .await
        .error(409);
    assert!(refused.contains("not created by Taichu"), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn expansion_joins_labelled_machines_and_counts_nodes_from_the_cluster() {
    let Some(fleet) = KubeFleet::start(5, SERVER_VERSION).await else {
        return;
    };
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let roles = [
        ("cp-1", "control-plane"),
        ("worker-1", "worker"),
        ("worker-2", "worker"),
        ("large-1", "worker"),
        ("large-2", "worker"),
    ];
    let ids = labelled(&app, &owner, &fleet, &roles, &["", "", "", "large", "large"]).await;
    let body = json!({"cluster_name": "growing", "machine_ids": ids[..3], "kubernetes_version": SERVER_VERSION, "cni": "flannel"});
    let (_, cluster, run) = create(&app, &owner, body).await;
    assert_eq!(run["status"], "completed", "{run}");
    let path = format!("/clusters/{cluster}/expansion");
    let short = app
        .post(&path, &owner, json!({"node_count": 3, "instance_type": "large"}))
        .await
        .error(400);
    assert!(short.contains("only 2"), "{short}");
    let started = app
        .post(&path, &owner, json!({"node_count": 2, "instance_type": "large"}))
        .await
        .data()
        .clone();
    let run = app.wait_finished(&owner, started["id"].as_str().expect("run")).await;
    assert_eq!(run["status"], "completed", "{run}");
    let history = app.get(&format!("{path}/history"), &owner).await.data().clone();
    let entry = &history["expansions"][0];
    assert_eq!(entry["from_nodes"], 3, "{history}");
    assert_eq!(entry["to_nodes"], 5, "{history}");
    assert_eq!(entry["status"], "completed");
    let mut joined: Vec<String> = entry["machine_ids"]
        .as_array()
        .expect("machines")
        .iter()
        .map(|m| m.as_str().expect("id").to_owned())
        .collect();
    joined.sort();
    let mut large = ids[3..].to_vec();
    large.sort();
    assert_eq!(joined, large, "the labelled machines joined");
    for host in &fleet.hosts[3..] {
        assert!(host.joined().is_some(), "joined");
    }
    let view = app.get(&format!("/clusters/{cluster}"), &owner).await.data().clone();
    assert_eq!(view["node_count"], 5, "{view}");
    assert_eq!(
        fleet.hosts[0]
            .calls_of("kubeadm")
            .into_iter()
            .filter(|c| c[1] == "init")
            .count(),
        1
    );
}
