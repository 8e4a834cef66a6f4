//! Creating clusters on hosts that differ: several control planes, packages
//! from an apt repository, hosts that lack a kernel module or a container
//! runtime, and values a hostile caller chose. Real sshd hosts with kubeadm
//! stand-ins (`taichu_tests::kubehost`), through the real program.

use serde_json::{Value, json};
use taichu_tests::TestApp;
use taichu_tests::kubehost::{CERTIFICATE_KEY, KubeHost, TOKEN};

use crate::create::{create, fleet_of, host_steps, words};

fn pairs(steps: &[(&str, &str)]) -> Vec<(String, String)> {
    steps.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

async fn task(app: &TestApp, token: &str, id: &str) -> Value {
    app.get(&format!("/create-tasks/{id}"), token).await.data().clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_control_plane_joins_with_the_uploaded_certificates() {
    let roles = [
        ("cp-1", "control-plane"),
        ("cp-2", "control-plane"),
        ("worker-1", "worker"),
    ];
    let Some((fleet, app, owner, ids)) = fleet_of(&roles).await else {
        return;
    };
    let mut body = json!({"cluster_name": "ha", "machine_ids": ids, "kubernetes_version": "v1.30.4", "cni": "flannel"});
    let refused = app.post("/clusters/create", &owner, body.clone()).await.error(400);
    assert!(refused.starts_with("control_plane_endpoint"), "{refused}");
    body["control_plane_endpoint"] = json!("lb.example.com:6443");
    let (task_id, cluster_id, run) = create(&app, &owner, body).await;
    assert_eq!(run["status"], "completed", "{run}");

    let (cp1, cp2, w1) = (&fleet.hosts[0], &fleet.hosts[1], &fleet.hosts[2]);
    let config = "/etc/kubernetes/taichu-kubeadm.yaml";
    let create_token = words(&["kubeadm", "token", "create", "--print-join-command"]);
    assert_eq!(
        cp1.calls_of("kubeadm"),
        vec![
            words(&["kubeadm", "version", "-o", "short"]),
            words(&["kubeadm", "init", "--config", config]),
            words(&["kubeadm", "init", "phase", "upload-certs", "--upload-certs"]),
            create_token.clone(),
            create_token,
        ]
    );
    let join_of = |host: &KubeHost| -> Vec<String> {
        let joins: Vec<_> = host
            .calls_of("kubeadm")
            .into_iter()
            .filter(|c| c[1] == "join")
            .collect();
        assert_eq!(joins.len(), 1, "{joins:?}");
        joins[0].clone()
    };
    let cp_join = join_of(cp2);
    assert!(
        cp_join.ends_with(&words(&["--control-plane", "--certificate-key", CERTIFICATE_KEY])),
        "{cp_join:?}"
    );
    assert!(!join_of(w1).contains(&"--control-plane".to_owned()));
    assert_eq!(cp2.joined().as_deref(), Some("cp-2"));

    let detail = task(&app, &owner, &task_id).await;
    let logs = detail["logs"].as_str().expect("logs");
    assert!(
        !logs.contains(TOKEN) && !logs.contains(CERTIFICATE_KEY),
        "no secret in the log"
    );
    assert_eq!(
        host_steps(&detail, 1),
        pairs(&[
            ("preflight", "done"),
            ("prepare", "done"),
            ("join-control-planes", "done")
        ])
    );
    let etcd = app
        .get(&format!("/clusters/{cluster_id}/etcd"), &owner)
        .await
        .data()
        .clone();
    let endpoints = etcd["etcd_endpoints"].as_str().expect("endpoints");
    for host in [cp1, cp2] {
        assert!(endpoints.contains(&format!("https://{}:2379", host.ssh.ip)), "{etcd}");
    }
    assert!(!endpoints.contains(&w1.ssh.ip), "{etcd}");
    let rendered = std::fs::read_to_string(cp1.state.join("init-config.yaml")).expect("config");
    assert!(
        rendered.contains("controlPlaneEndpoint: lb.example.com:6443"),
        "{rendered}"
    );
    let cluster = app.get(&format!("/clusters/{cluster_id}"), &owner).await.data().clone();
    assert_eq!(cluster["node_count"], 3, "{cluster}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_without_a_kernel_module_or_a_container_runtime_is_named_before_kubeadm_runs() {
    let Some((fleet, app, owner, ids)) = fleet_of(&[("cp-1", "control-plane"), ("worker-1", "worker")]).await else {
        return;
    };
    let worker = &fleet.hosts[1];
    // The module check reads /sys/module first: a kernel that has it loaded cannot lack it.
    let can_lack_module = !std::path::Path::new("/sys/module/br_netfilter").exists();
    if can_lack_module {
        worker.lack_module("br_netfilter");
    }
    worker.stop_runtime();
    let body =
        json!({"cluster_name": "lacking", "machine_ids": ids, "kubernetes_version": "v1.30.4", "cni": "flannel"});
    let (task_id, _, run) = create(&app, &owner, body).await;
    assert_eq!(run["status"], "failed", "{run}");
    if can_lack_module {
        let detail = task(&app, &owner, &task_id).await;
        assert_eq!(detail["current_step"], "preflight", "{detail}");
        let error = detail["error"].as_str().expect("error");
        assert!(
            error.contains("worker-1")
                && error.contains("br_netfilter")
                && error.contains("not found in directory /lib/modules/test")
                && !error.contains("cp-1"),
            "{error}"
        );
        assert_eq!(host_steps(&detail, 0), pairs(&[("preflight", "done")]));
        assert_eq!(host_steps(&detail, 1), pairs(&[("preflight", "failed")]));
        let why = detail["hosts"][1]["steps"][0]["detail"].as_str().expect("detail");
        assert!(why.contains("br_netfilter"), "{why}");
        std::fs::remove_file(worker.state.join("missing-modules")).expect("fixed");
        app.post(&format!("/create-tasks/{task_id}/retry"), &owner, json!({}))
            .await
            .data();
        let run = app.wait_finished(&owner, &task_id).await;
        assert_eq!(run["status"], "failed", "{run}");
    }
    let detail = task(&app, &owner, &task_id).await;
    assert_eq!(detail["current_step"], "prepare", "{detail}");
    let error = detail["error"].as_str().expect("error");
    assert!(
        error.contains("worker-1") && error.contains("no container runtime listens at /run/containerd/containerd.sock"),
        "{error}"
    );
    assert_eq!(detail["hosts"][1]["steps"][1]["status"], "failed", "{detail}");
    let inits = fleet.hosts[0]
        .calls_of("kubeadm")
        .into_iter()
        .filter(|c| c[1] == "init")
        .count();
    assert_eq!(inits, 0, "kubeadm init never ran");
    for id in &ids {
        let m = app.get(&format!("/machines/{id}"), &owner).await.data().clone();
        assert_eq!(m["cluster_id"], Value::Null, "{m}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn kubeadm_kubelet_and_kubectl_come_from_the_apt_repository_at_the_requested_version() {
    let Some((fleet, app, owner, ids)) = fleet_of(&[("cp-1", "control-plane")]).await else {
        return;
    };
    let repository = "https://pkgs.k8s.io/core:/stable:/v1.30/deb/";
    let body = json!({"cluster_name": "from-apt", "machine_ids": ids, "kubernetes_version": "v1.30.4",
                      "cni": "flannel", "package_source": "apt", "apt_repository": repository});
    let (_, _, run) = create(&app, &owner, body).await;
    assert_eq!(run["status"], "completed", "{run}");
    let host = &fleet.hosts[0];
    let keyring = "/etc/apt/keyrings/taichu-kubernetes.gpg";
    assert_eq!(
        host.calls_of("curl"),
        vec![words(&[
            "curl",
            "-fsSL",
            "--proto",
            "=https",
            "https://pkgs.k8s.io/core:/stable:/v1.30/deb/Release.key"
        ])]
    );
    assert_eq!(
        host.calls_of("gpg"),
        vec![words(&["gpg", "--dearmor", "--yes", "-o", keyring])]
    );
    assert_eq!(
        host.calls_of("apt-get"),
        vec![
            words(&["apt-get", "update", "-q"]),
            words(&[
                "apt-get",
                "install",
                "-y",
                "-q",
                "--allow-change-held-packages",
                "kubeadm=1.30.4-*",
                "kubelet=1.30.4-*",
                "kubectl=1.30.4-*"
            ]),
        ]
    );
    assert_eq!(
        host.calls_of("apt-mark"),
        vec![words(&["apt-mark", "hold", "kubeadm", "kubelet", "kubectl"])]
    );
    assert_eq!(
        host.file("etc-apt-sources/taichu-kubernetes.list").as_deref(),
        Some(format!("deb [signed-by={keyring}] {repository} /\n").as_str())
    );
    let key = host.file("etc-apt-keyrings/taichu-kubernetes.gpg").expect("keyring");
    assert!(key.contains("PGP PUBLIC KEY"), "{key}");
    // Installed before the version is checked and kubeadm runs.
    let calls = host.calls();
    let position = |c: &[&str]| calls.iter().position(|x| x[..] == words(c)[..]).expect("called");
    assert!(
        position(&["apt-mark", "hold", "kubeadm", "kubelet", "kubectl"])
            < position(&["kubeadm", "version", "-o", "short"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_values_are_refused_or_reach_the_host_as_exact_arguments() {
    let Some((fleet, app, owner, ids)) = fleet_of(&[("cp-1", "control-plane")]).await else {
        return;
    };
    let marker = std::env::temp_dir().join(format!("taichu-pwned-{}", uuid::Uuid::new_v4()));
    let m = marker.display().to_string();
    let base =
        json!({"cluster_name": "hostile", "machine_ids": ids, "kubernetes_version": "v1.30.4", "cni": "flannel"});
    let with = |pairs: &[(&str, Value)]| {
        let mut b = base.clone();
        for (k, v) in pairs {
            b[*k] = v.clone();
        }
        b
    };
    for (body, field) in [
        (
            with(&[("cluster_name", json!(format!("x$(touch {m})")))]),
            "cluster_name",
        ),
        (
            with(&[("kubernetes_version", json!(format!("v1.30.4;touch {m}")))]),
            "kubernetes_version",
        ),
        (
            with(&[("pod_cidr", json!("10.244.0.0/16 --feature-gates=All=true"))]),
            "pod_cidr",
        ),
        (
            with(&[("service_cidr", json!(format!("$(touch {m})")))]),
            "service_cidr",
        ),
        (
            with(&[("image_repository", json!(format!("registry.k8s.io/$(touch {m})")))]),
            "image_repository",
        ),
        (
            with(&[("control_plane_endpoint", json!(format!("$(touch {m}):6443")))]),
            "control_plane_endpoint",
        ),
        (
            with(&[(
                "container_runtime_endpoint",
                json!(format!("unix:///run/x.sock; touch {m}")),
            )]),
            "container_runtime_endpoint",
        ),
        (with(&[("cni_manifest", json!(format!("touch {m}")))]), "cni_manifest"),
        (
            with(&[
                ("package_source", json!("apt")),
                ("apt_repository", json!(format!("https://x/ '; touch {m}"))),
            ]),
            "package_source",
        ),
    ] {
        let message = app.post("/clusters/create", &owner, body.clone()).await.error(400);
        assert!(message.starts_with(field), "{body}: {message}");
    }

    // Shell syntax that passes the checks: it must arrive as data.
    let repository = format!("https://pkgs.example/$(touch${{IFS}}{m})/`touch${{IFS}}{m}`/deb/");
    let manifest = format!("# '$(touch {m})' `touch {m}` \"; touch {m}; \"\napiVersion: v1\nkind: List\nitems: []\n");
    let body = with(&[
        ("package_source", json!("apt")),
        ("apt_repository", json!(repository)),
        ("cni_manifest", json!(manifest)),
    ]);
    let (_, cluster, run) = create(&app, &owner, body).await;
    assert_eq!(run["status"], "completed", "{run}");
    let host = &fleet.hosts[0];
    let curl = host.calls_of("curl");
    assert_eq!(curl[0].last(), Some(&format!("{repository}Release.key")), "{curl:?}");
    assert_eq!(
        host.file("etc-apt-sources/taichu-kubernetes.list"),
        Some(format!(
            "deb [signed-by=/etc/apt/keyrings/taichu-kubernetes.gpg] {repository} /\n"
        ))
    );
    assert_eq!(host.file("etc-kubernetes/taichu-cni.yaml"), Some(manifest));
    assert!(host.calls_of("kubectl").contains(&words(&[
        "kubectl",
        "--kubeconfig",
        "/etc/kubernetes/admin.conf",
        "apply",
        "-f",
        "/etc/kubernetes/taichu-cni.yaml"
    ])));
    // A label value is only ever compared, never run.
    let reply = app
        .post(
            &format!("/clusters/{cluster}/expansion"),
            &owner,
            json!({"node_count": 1, "instance_type": format!("$(touch {m})")}),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(!marker.exists(), "a hostile value ran on a host");
}
