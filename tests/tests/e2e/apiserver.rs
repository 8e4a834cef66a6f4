//! The test API server itself, driven by the same kube client the production
//! adapter uses: if kube-rs accepts its answers, so will the code under test.

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::Discovery;
use kube::{Client, Error};
use serde_json::json;
use taichu_tests::apiserver::TestApiServer;

const TOKEN: &str = "apiserver-test-token-0123456789";

async fn client(kubeconfig: &str) -> Client {
    taichu_workflows::kube::connect(
        kubeconfig,
        &taichu_workflows::kube::ConnectOptions::new(Duration::from_secs(10)),
    )
    .await
    .expect("client")
}

fn api_code(err: Error) -> (u16, String) {
    match err {
        Error::Api(status) => (status.code, status.message),
        other => panic!("expected an API status, got {other:?}"),
    }
}

fn configmap(name: &str, data: serde_json::Value) -> ConfigMap {
    serde_json::from_value(json!({"metadata": {"name": name}, "data": data})).expect("configmap")
}

#[tokio::test(flavor = "multi_thread")]
async fn objects_are_created_read_updated_patched_and_deleted_with_resource_versions() {
    let server = TestApiServer::start(TOKEN).await;
    let client = client(&server.kubeconfig(TOKEN)).await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "team"}})).expect("ns");
    let created = namespaces.create(&PostParams::default(), &ns).await.expect("create ns");
    assert_eq!(created.status.and_then(|s| s.phase).as_deref(), Some("Active"));

    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), "team");
    let first = maps
        .create(&PostParams::default(), &configmap("settings", json!({"a": "1"})))
        .await
        .expect("create");
    let rv1 = first.metadata.resource_version.clone().expect("rv");
    assert!(first.metadata.uid.is_some() && first.metadata.creation_timestamp.is_some());
    assert_eq!(first.metadata.namespace.as_deref(), Some("team"));
    let (code, message) = api_code(
        maps.create(&PostParams::default(), &configmap("settings", json!({})))
            .await
            .expect_err("duplicate"),
    );
    assert_eq!(
        (code, message.as_str()),
        (409, "configmaps \"settings\" already exists")
    );

    // An update from the version read succeeds; a second one from the same, stale, version is refused.
    let mut edited = first.clone();
    edited.data = Some([("a".to_owned(), "2".to_owned())].into());
    let second = maps
        .replace("settings", &PostParams::default(), &edited)
        .await
        .expect("update");
    let rv2 = second.metadata.resource_version.clone().expect("rv");
    assert!(rv2.parse::<u64>().expect("number") > rv1.parse::<u64>().expect("number"));
    let (code, message) = api_code(
        maps.replace("settings", &PostParams::default(), &edited)
            .await
            .expect_err("stale"),
    );
    assert_eq!(code, 409);
    assert!(message.contains("the object has been modified"), "{message}");

    let patch = json!({"metadata": {"labels": {"tier": "web"}}, "data": {"a": null, "b": "3"}});
    let patched = maps
        .patch("settings", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("merge patch");
    assert_eq!(patched.data, Some([("b".to_owned(), "3".to_owned())].into()));
    assert_eq!(
        patched
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("tier"))
            .map(String::as_str),
        Some("web")
    );
    assert_eq!(maps.get("settings").await.expect("get").data, patched.data);

    maps.delete("settings", &DeleteParams::default()).await.expect("delete");
    assert_eq!(api_code(maps.get("settings").await.expect_err("gone")).0, 404);
    assert_eq!(
        api_code(
            maps.delete("settings", &DeleteParams::default())
                .await
                .expect_err("gone")
        )
        .0,
        404
    );

    let elsewhere: Api<ConfigMap> = Api::namespaced(client.clone(), "nowhere");
    let (code, message) = api_code(
        elsewhere
            .create(&PostParams::default(), &configmap("x", json!({})))
            .await
            .expect_err("no namespace"),
    );
    assert_eq!((code, message.as_str()), (404, "namespaces \"nowhere\" not found"));
    let (code, _) = api_code(
        maps.create(&PostParams::default(), &configmap("Not_A_Name", json!({})))
            .await
            .expect_err("invalid name"),
    );
    assert_eq!(code, 422);

    // Deleting the namespace takes its objects with it.
    maps.create(&PostParams::default(), &configmap("left", json!({})))
        .await
        .expect("create");
    namespaces
        .delete("team", &DeleteParams::default())
        .await
        .expect("delete ns");
    assert_eq!(server.object_count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn server_side_apply_owns_fields_and_reports_conflicts() {
    let server = TestApiServer::start(TOKEN).await;
    server.add_namespace("apps");
    let client = client(&server.kubeconfig(TOKEN)).await;
    let deployments: Api<Deployment> = Api::namespaced(client, "apps");
    let manifest = |replicas: i32, labels: serde_json::Value| {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "labels": labels},
               "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}})
    };
    let ci = PatchParams::apply("ci");
    let created = deployments
        .patch(
            "web",
            &ci,
            &Patch::Apply(manifest(2, json!({"app": "web", "team": "a"}))),
        )
        .await
        .expect("apply creates");
    assert_eq!(created.spec.as_ref().and_then(|s| s.replicas), Some(2));
    let managers = created.metadata.managed_fields.clone().expect("managed fields");
    assert_eq!(managers.len(), 1);
    assert_eq!(managers[0].manager.as_deref(), Some("ci"));
    assert_eq!(managers[0].operation.as_deref(), Some("Apply"));

    // Someone scales by hand: they now own replicas, and ci's different value conflicts.
    let scale = json!({"spec": {"replicas": 5}});
    deployments
        .patch("web", &PatchParams::default(), &Patch::Merge(&scale))
        .await
        .expect("scale");
    let (code, message) = api_code(
        deployments
            .patch("web", &ci, &Patch::Apply(manifest(3, json!({"app": "web"}))))
            .await
            .expect_err("conflict"),
    );
    assert_eq!(code, 409);
    assert!(message.contains(".spec.replicas"), "{message}");

    // Forced, ci takes replicas back; the label it stopped sending is removed.
    let forced = deployments
        .patch(
            "web",
            &ci.clone().force(),
            &Patch::Apply(manifest(3, json!({"app": "web"}))),
        )
        .await
        .expect("forced apply");
    assert_eq!(forced.spec.as_ref().and_then(|s| s.replicas), Some(3));
    let labels = forced.metadata.labels.clone().expect("labels");
    assert_eq!(labels.keys().collect::<Vec<_>>(), vec!["app"]);
    assert!(forced.metadata.generation > created.metadata.generation);

    let (code, _) = api_code(
        deployments
            .patch("web", &PatchParams::default(), &Patch::Apply(manifest(1, json!({}))))
            .await
            .expect_err("no field manager"),
    );
    assert_eq!(code, 400);
    let (code, _) = api_code(
        deployments
            .patch("web", &PatchParams::default(), &Patch::Strategic(json!({})))
            .await
            .expect_err("strategic merge is not served"),
    );
    assert_eq!(code, 415);
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_filter_by_labels_and_fields_and_page_with_continue() {
    let server = TestApiServer::start(TOKEN).await;
    for ns in ["a", "b"] {
        server.add_namespace(ns);
        for i in 0..125 {
            let tier = if i % 5 == 0 { "db" } else { "web" };
            server.put("v1", "pods", json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("pod-{i:03}"), "namespace": ns, "labels": {"tier": tier, "index": i.to_string()}},
                "spec": {"nodeName": format!("node-{}", i % 3), "containers": [{"name": "c", "image": "busybox"}]}}));
        }
    }
    let client = client(&server.kubeconfig(TOKEN)).await;
    let all: Api<Pod> = Api::all(client.clone());

    let mut seen = BTreeSet::new();
    let mut params = ListParams::default().limit(40);
    let mut pages = 0;
    loop {
        let page = all.list(&params).await.expect("page");
        pages += 1;
        assert!(page.items.len() <= 40);
        for pod in &page.items {
            let key = format!(
                "{}/{}",
                pod.metadata.namespace.as_deref().unwrap_or(""),
                pod.metadata.name.as_deref().unwrap_or("")
            );
            assert!(seen.insert(key), "each object once across pages");
        }
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => {
                assert!(page.metadata.remaining_item_count.is_some_and(|n| n > 0));
                assert_eq!(page.metadata.remaining_item_count, Some(250 - seen.len() as i64));
                params = params.continue_token(&token);
            }
            _ => break,
        }
    }
    assert_eq!((seen.len(), pages), (250, 7));

    let in_a: Api<Pod> = Api::namespaced(client.clone(), "a");
    let count = |params: ListParams| {
        let in_a = in_a.clone();
        async move { in_a.list(&params).await.expect("list").items.len() }
    };
    assert_eq!(count(ListParams::default()).await, 125);
    assert_eq!(count(ListParams::default().labels("tier=db")).await, 25);
    assert_eq!(count(ListParams::default().labels("tier!=db")).await, 100);
    assert_eq!(count(ListParams::default().labels("index in (1,2,3),tier")).await, 3);
    assert_eq!(count(ListParams::default().labels("!tier")).await, 0);
    assert_eq!(count(ListParams::default().fields("metadata.name=pod-007")).await, 1);
    assert_eq!(count(ListParams::default().fields("spec.nodeName=node-0")).await, 42);
    let (code, _) = api_code(
        in_a.list(&ListParams::default().labels("tier in db"))
            .await
            .expect_err("bad selector"),
    );
    assert_eq!(code, 400);
    let (code, _) = api_code(
        in_a.list(&ListParams::default().continue_token("garbage"))
            .await
            .expect_err("bad token"),
    );
    assert_eq!(code, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn discovery_serves_groups_and_crds_add_custom_resources() {
    let server = TestApiServer::start(TOKEN).await;
    server.add_namespace("default");
    let client = client(&server.kubeconfig(TOKEN)).await;
    let discovery = Discovery::new(client.clone()).run().await.expect("discovery");
    for (group, kind) in [
        ("", "Node"),
        ("apps", "Deployment"),
        ("networking.k8s.io", "NetworkPolicy"),
        ("autoscaling", "HorizontalPodAutoscaler"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ] {
        let found = discovery
            .get(group)
            .is_some_and(|g| g.recommended_resources().iter().any(|(r, _)| r.kind == kind));
        assert!(found, "{group} {kind} discovered");
    }
    assert!(!discovery.has_group("metrics.k8s.io"), "metrics only where served");
    assert!(!discovery.has_group("example.com"));

    let crds = Api::<DynamicObject>::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
            "customresourcedefinitions",
        ),
    );
    let crd: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
                 "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object"}}}]}}))
    .expect("crd");
    let created = crds.create(&PostParams::default(), &crd).await.expect("create crd");
    assert_eq!(created.data["status"]["conditions"][1]["type"], "Established");

    let discovery = Discovery::new(client.clone()).run().await.expect("discovery");
    let (widget, _) = discovery
        .get("example.com")
        .and_then(|g| g.recommended_kind("Widget"))
        .expect("Widget discovered");
    assert_eq!(widget.plural, "widgets");
    let widgets = Api::<DynamicObject>::namespaced_with(client.clone(), "default", &widget);
    let object: DynamicObject = serde_json::from_value(json!({"apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "w1", "labels": {"size": "big"}}, "spec": {"colour": "blue"}}))
    .expect("widget");
    widgets
        .create(&PostParams::default(), &object)
        .await
        .expect("create widget");
    let got = widgets.get("w1").await.expect("get widget");
    assert_eq!(got.data["spec"]["colour"], "blue");
    assert_eq!(
        widgets
            .list(&ListParams::default().labels("size=big"))
            .await
            .expect("list")
            .items
            .len(),
        1
    );

    // Deleting the CRD withdraws the resource and its objects.
    crds.delete("widgets.example.com", &DeleteParams::default())
        .await
        .expect("delete crd");
    assert_eq!(
        api_code(widgets.list(&ListParams::default()).await.expect_err("gone")).0,
        404
    );
    let bad: DynamicObject = serde_json::from_value(
        json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "wrong.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"plural": "gadgets", "kind": "Gadget"},
                 "versions": [{"name": "v1", "served": true, "storage": true}]}}),
    )
    .expect("crd");
    assert_eq!(
        api_code(crds.create(&PostParams::default(), &bad).await.expect_err("invalid")).0,
        422
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn client_certificates_authenticate_and_strangers_are_refused() {
    let server = TestApiServer::start(TOKEN).await;
    server.add_namespace("default");
    let by_cert = client(&server.client_cert_kubeconfig("admin")).await;
    let listed = Api::<Namespace>::all(by_cert)
        .list(&ListParams::default())
        .await
        .expect("list");
    assert_eq!(listed.items.len(), 1);

    let wrong_token = client(&server.kubeconfig("not-the-token")).await;
    let err = Api::<Namespace>::all(wrong_token)
        .list(&ListParams::default())
        .await
        .expect_err("401");
    assert_eq!(api_code(err).0, 401);

    // A certificate from another CA does not authenticate: 401, as upstream.
    let stranger = client(&server.foreign_cert_kubeconfig("admin")).await;
    let err = Api::<Namespace>::all(stranger)
        .list(&ListParams::default())
        .await
        .expect_err("refused");
    assert_eq!(api_code(err).0, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_as_a_process_with_seeded_objects_and_a_private_kubeconfig() {
    use std::os::unix::fs::PermissionsExt as _;

    use tokio::io::AsyncBufReadExt as _;

    let dir = tempfile::tempdir().expect("dir");
    let seed = dir.path().join("objects.yaml");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &seed,
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n\
         apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Node\n  metadata:\n    name: n1\n\
         - apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: cart\n    namespace: shop\n  spec:\n    replicas: 2\n",
    )
    .expect("seed");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_test-apiserver"))
        .args(["--listen", "127.0.0.1:0", "--kubeconfig-out"])
        .arg(&kubeconfig)
        .arg("--seed")
        .arg(&seed)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn test-apiserver");
    let stdout = child.stdout.take().expect("stdout");
    let url = tokio::io::BufReader::new(stdout)
        .lines()
        .next_line()
        .await
        .expect("read")
        .expect("the URL line");
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    let mode = std::fs::metadata(&kubeconfig).expect("kubeconfig").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let text = std::fs::read_to_string(&kubeconfig).expect("kubeconfig");
    assert!(
        text.contains(&url) && text.contains("client-certificate-data"),
        "{text}"
    );
    let client = client(&text).await;
    let deployment = Api::<Deployment>::namespaced(client.clone(), "shop")
        .get("cart")
        .await
        .expect("seeded deployment");
    assert_eq!(deployment.spec.and_then(|s| s.replicas), Some(2));
    assert_eq!(
        Api::<k8s_openapi::api::core::v1::Node>::all(client)
            .list(&ListParams::default())
            .await
            .expect("nodes")
            .items
            .len(),
        1
    );
    child.kill().await.expect("kill");
}

#[tokio::test(flavor = "multi_thread")]
async fn holds_a_hundred_thousand_objects_and_pages_through_them() {
    const OBJECTS: usize = 100_000;
    let server = TestApiServer::start(TOKEN).await;
    server.add_namespace("load");
    for i in 0..OBJECTS {
        server.put(
            "v1",
            "pods",
            json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("pod-{i:06}"), "namespace": "load", "labels": {"shard": (i % 10).to_string()}},
            "spec": {"nodeName": format!("node-{}", i % 50), "containers": [{"name": "c", "image": "busybox"}]}}),
        );
    }
    assert_eq!(server.object_count(), OBJECTS + 1);
    let pods: Api<Pod> = Api::namespaced(client(&server.kubeconfig(TOKEN)).await, "load");
    let (mut total, mut last) = (0, String::new());
    let mut params = ListParams::default().limit(5000);
    loop {
        let page = pods.list(&params).await.expect("page");
        for pod in &page.items {
            let name = pod.metadata.name.clone().expect("name");
            assert!(name > last, "keys come in order, each once");
            last = name;
        }
        total += page.items.len();
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => break,
        }
    }
    assert_eq!(total, OBJECTS);
    let shard = pods
        .list(&ListParams::default().labels("shard=7").limit(50_000))
        .await
        .expect("shard");
    assert_eq!(shard.items.len(), OBJECTS / 10);
}
