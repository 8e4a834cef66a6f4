//! Resource backups and restores through the real program, against the test
//! Kubernetes API server: a ~2,000-object cluster backed up, deleted and
//! restored; Secrets never in the clear; filters, namespace mappings,
//! existing-object policies, restores into another cluster; damaged archives
//! refused before anything is applied.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use kube::api::{Api, DynamicObject};
use kube::discovery::ApiResource;
use serde_json::{Value, json};
use taichu_tests::apiserver::TestApiServer;
use taichu_tests::workload::{self, CRD_GROUP, CRD_PLURAL, Seeded, Shape};
use taichu_tests::{TestApp, b64, spawn_app};

pub const TOKEN: &str = "resources-token";

/// A small cluster for the tests that are about selection, not scale.
pub const SMALL: Shape = Shape {
    namespaces: 3,
    deployments: 2,
    services: 2,
    configmaps: 4,
    secrets: 2,
    widgets: 2,
    events: 2,
};

/// A test API server seeded with `shape`, imported into `app` by `token`'s account.
pub async fn seeded_cluster(
    app: &TestApp,
    token: &str,
    shape: Shape,
    name: &str,
) -> (TestApiServer, Vec<Seeded>, String) {
    let server = TestApiServer::start(TOKEN).await;
    let seeded = workload::seed(&server, shape);
    let status = app.import_cluster(token, name, &server.kubeconfig(TOKEN)).await;
    assert_eq!(status["status"], "completed", "{status}");
    let id = status["cluster_id"].as_str().expect("cluster").to_owned();
    (server, seeded, id)
}

/// A test API server with nothing in it, imported by `token`'s account.
async fn empty_cluster(app: &TestApp, token: &str, name: &str) -> (TestApiServer, String) {
    let server = TestApiServer::start(TOKEN).await;
    let status = app.import_cluster(token, name, &server.kubeconfig(TOKEN)).await;
    assert_eq!(status["status"], "completed", "{status}");
    (server, status["cluster_id"].as_str().expect("cluster").to_owned())
}

pub async fn client(server: &TestApiServer) -> kube::Client {
    taichu_workflows::kube::connect(
        &server.kubeconfig(TOKEN),
        &taichu_workflows::kube::ConnectOptions::new(Duration::from_secs(10)),
    )
    .await
    .expect("client")
}

fn resource_of(o: &Seeded) -> ApiResource {
    let (group, version) = o.group_version.rsplit_once('/').unwrap_or(("", &o.group_version));
    ApiResource {
        group: group.to_owned(),
        version: version.to_owned(),
        api_version: o.group_version.clone(),
        kind: o.kind().to_owned(),
        plural: o.plural.clone(),
    }
}

/// The object in `namespace` (or its own), if the server has it.
async fn fetch(client: &kube::Client, o: &Seeded, namespace: Option<&str>) -> Option<Value> {
    let ar = resource_of(o);
    let api: Api<DynamicObject> = match namespace.or(o.namespace()) {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    };
    api.get_opt(o.name())
        .await
        .expect("get")
        .map(|d| serde_json::to_value(d).expect("json"))
}

/// What a restore must bring back: everything but server-set fields.
fn essence(o: &Value) -> Value {
    let mut o = o.clone();
    let labels = o["metadata"]["labels"].clone();
    let map = o.as_object_mut().expect("object");
    map.remove("status");
    map.remove("apiVersion");
    map.insert("metadata".into(), json!({"labels": labels}));
    if let Some(spec) = map.get_mut("spec").and_then(Value::as_object_mut)
        && spec.get("clusterIP").and_then(Value::as_str) != Some("None")
    {
        spec.remove("clusterIP");
        spec.remove("clusterIPs");
    }
    o
}

fn objects_dir(app: &TestApp) -> std::path::PathBuf {
    app.data_dir.path().join("objects")
}

/// Every stored file under `dir`, as bytes.
fn stored_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.display().to_string(), std::fs::read(&path).expect("read")));
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

pub fn backed_up(seeded: &[Seeded]) -> Vec<&Seeded> {
    seeded.iter().filter(|o| o.backed_up).collect()
}

/// Counts per qualified kind of `objects`.
fn counts<'a>(objects: impl IntoIterator<Item = &'a Seeded>) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for o in objects {
        let group = o.group_version.rsplit_once('/').map_or("", |(g, _)| g);
        let kind = if group.is_empty() {
            o.kind().to_owned()
        } else {
            format!("{}.{group}", o.kind())
        };
        *out.entry(kind).or_insert(0) += 1;
    }
    out
}

fn kinds_of(view: &Value) -> BTreeMap<String, u64> {
    view["kinds"]
        .as_array()
        .expect("kinds")
        .iter()
        .map(|k| {
            let count = k["count"].as_u64().or_else(|| k["selected"].as_u64()).expect("count");
            (k["kind"].as_str().expect("kind").to_owned(), count)
        })
        .collect()
}

async fn resources_backup(app: &TestApp, token: &str, cluster: &str, extra: Value) -> Value {
    let mut body = json!({"backup_name": "res", "backup_type": "resources"});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    app.backup_with(token, cluster, body).await
}

pub async fn delete_all(client: &kube::Client, seeded: &[Seeded]) {
    for o in seeded.iter().filter(|o| o.namespace().is_none()) {
        let ar = resource_of(o);
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
        let _ = api.delete(o.name(), &Default::default()).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_cluster_comes_back_object_for_object_and_secrets_never_show() {
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let (server, seeded, cluster) = seeded_cluster(&app, &owner, Shape::SHOP, "shop").await;
    let expected = backed_up(&seeded);
    assert!(seeded.len() > 1800, "{} objects seeded", seeded.len());

    let backup = resources_backup(&app, &owner, &cluster, json!({})).await;
    assert_eq!(backup["status"], "completed", "{backup}");
    let id = backup["id"].as_str().expect("id");
    assert_eq!(backup["total_objects"], expected.len() as u64, "{backup}");
    assert_eq!(kinds_of(&backup), counts(expected.iter().copied()));
    let part = &backup["parts"][0];
    assert_eq!(part["kind"], "resources");
    assert_eq!(part["status"], "completed");
    assert_eq!(part["sha256"].as_str().map(str::len), Some(64), "{part}");

    // Names only, from the archive.
    let listed = app
        .get(
            &format!("/clusters/{cluster}/backups/{id}/contents?kind=secrets&namespace=shop"),
            &owner,
        )
        .await;
    let names: Vec<&str> = listed.data()["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| o["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names.len(), Shape::SHOP.secrets, "{}", listed.body);
    assert!(names.contains(&"creds-0"));

    // No secret value anywhere: stored bytes, manifest, responses, logs.
    let files = stored_files(&objects_dir(&app));
    assert!(
        files.iter().any(|(p, _)| p.ends_with("resources.tar.zst.enc")),
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let run = app
        .get(
            &format!("/workflows/{}", backup["workflow_id"].as_str().expect("run")),
            &owner,
        )
        .await;
    for (ns, i) in [("shop", 0), ("ns-5", 7), ("ns-9", 29)] {
        let plain = workload::secret_value(ns, i);
        let encoded = b64(&plain);
        for needle in [plain.as_bytes(), encoded.as_bytes()] {
            for (path, bytes) in &files {
                assert!(!contains(bytes, needle), "a secret value is readable in {path}");
            }
            let text = String::from_utf8_lossy(needle).to_string();
            for body in [
                &backup.to_string(),
                &listed.body.to_string(),
                &run.body.to_string(),
                &app.log(),
            ] {
                assert!(!body.contains(&text), "a secret value shows");
            }
        }
    }

    // The disaster: every namespace, the CRD and the cluster-scoped objects go.
    let kube = client(&server).await;
    delete_all(&kube, &seeded).await;
    let left = server.object_count();
    assert_eq!(left, 0, "the cluster is empty before the restore");

    let restore = app
        .restore_with(&owner, &cluster, id, json!({"restore_name": "back"}))
        .await;
    assert_eq!(restore["status"], "completed", "{restore}");
    assert_eq!(restore["progress"], 100);
    assert_eq!(restore["objects_selected"], expected.len() as u64, "{restore}");
    assert_eq!(restore["objects_applied"], expected.len() as u64, "{restore}");
    assert_eq!(restore["objects_failed"], 0);
    assert_eq!(kinds_of(&restore), counts(expected.iter().copied()));
    for o in &expected {
        let back = fetch(&kube, o, None)
            .await
            .unwrap_or_else(|| panic!("{} {} is not back", o.kind(), o.name()));
        assert_eq!(
            essence(&back),
            essence(&o.object),
            "{} {:?}/{}",
            o.kind(),
            o.namespace(),
            o.name()
        );
    }
    // What owners recreate and events were not restored.
    assert_eq!(
        server.object_count(),
        expected.len(),
        "only the backed-up objects exist"
    );
    let widgets = ApiResource {
        group: CRD_GROUP.into(),
        version: "v1".into(),
        api_version: format!("{CRD_GROUP}/v1"),
        kind: "Widget".into(),
        plural: CRD_PLURAL.into(),
    };
    let all: Vec<DynamicObject> = Api::<DynamicObject>::all_with(kube.clone(), &widgets)
        .list(&Default::default())
        .await
        .expect("widgets")
        .items;
    assert_eq!(all.len(), Shape::SHOP.namespaces * Shape::SHOP.widgets);
}

/// The seeded objects a selection takes.
fn selected(seeded: &[Seeded], keep: impl Fn(&Seeded) -> bool) -> Vec<&Seeded> {
    seeded.iter().filter(|o| o.backed_up && keep(o)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_and_mappings_take_exactly_the_selected_objects() {
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let (server, seeded, cluster) = seeded_cluster(&app, &owner, SMALL, "small").await;
    let kube = client(&server).await;

    // Backups: namespaces in and out, kinds in and out, a label selector.
    let in_ns = |o: &Seeded, names: &[&str]| {
        o.namespace().is_some_and(|ns| names.contains(&ns)) || (o.kind() == "Namespace" && names.contains(&o.name()))
    };
    let cases: Vec<(Value, Vec<&Seeded>)> = vec![
        (
            json!({"include_namespaces": ["shop", "ns-1"]}),
            selected(&seeded, |o| in_ns(o, &["shop", "ns-1"])),
        ),
        (
            json!({"exclude_namespaces": ["shop"], "exclude_kinds": ["secrets", "Widget.shop.example.com"]}),
            selected(&seeded, |o| {
                !in_ns(o, &["shop"]) && o.kind() != "Secret" && o.kind() != "Widget"
            }),
        ),
        (
            json!({"include_kinds": ["ConfigMap", "deployments.apps"]}),
            selected(&seeded, |o| o.kind() == "ConfigMap" || o.kind() == "Deployment"),
        ),
        (
            json!({"label_selector": "app=web-0"}),
            selected(&seeded, |o| o.object["metadata"]["labels"]["app"] == "web-0"),
        ),
    ];
    for (filters, expected) in cases {
        let backup = resources_backup(&app, &owner, &cluster, filters.clone()).await;
        assert_eq!(backup["status"], "completed", "{backup}");
        assert_eq!(kinds_of(&backup), counts(expected.iter().copied()), "{filters}");
        assert_eq!(backup["total_objects"], expected.len() as u64, "{filters}");
        let echoed = &backup["filters"];
        for (k, v) in filters.as_object().expect("filters") {
            assert_eq!(&echoed[k], v, "{backup}");
        }
    }

    // Restores of a whole backup: one namespace, mapped to a new name, some kinds left out.
    let all = resources_backup(&app, &owner, &cluster, json!({})).await;
    let id = all["id"].as_str().expect("id");
    let body = json!({"restore_name": "mapped", "include_namespaces": ["shop"], "exclude_kinds": ["configmaps"],
                      "namespace_mappings": {"shop": "shop-restored"}});
    let restore = app.restore_with(&owner, &cluster, id, body).await;
    assert_eq!(restore["status"], "completed", "{restore}");
    let expected = selected(&seeded, |o| in_ns(o, &["shop"]) && o.kind() != "ConfigMap");
    assert_eq!(restore["objects_applied"], expected.len() as u64, "{restore}");
    for o in &expected {
        let target = o.namespace().map(|_| "shop-restored");
        let found = if o.kind() == "Namespace" {
            let mut renamed = (*o).clone();
            renamed.object["metadata"]["name"] = json!("shop-restored");
            fetch(&kube, &renamed, None).await
        } else {
            fetch(&kube, o, target).await
        };
        let found = found.unwrap_or_else(|| panic!("{} {} not in shop-restored", o.kind(), o.name()));
        if o.kind() == "RoleBinding" {
            assert_eq!(found["subjects"][0]["namespace"], "shop-restored", "{found}");
        }
    }
    let configmap = seeded
        .iter()
        .find(|o| o.kind() == "ConfigMap" && o.namespace() == Some("shop"))
        .expect("cm");
    assert!(
        fetch(&kube, configmap, Some("shop-restored")).await.is_none(),
        "configmaps were excluded"
    );

    // Bad input names its field; nothing is started.
    for (body, field) in [
        (
            json!({"backup_name": "b", "backup_type": "resources", "include_namespaces": ["Not_A_Name"]}),
            "include_namespaces",
        ),
        (
            json!({"backup_name": "b", "backup_type": "resources", "label_selector": "a=$(id)"}),
            "label_selector",
        ),
        (
            json!({"backup_name": "b", "backup_type": "etcd", "exclude_kinds": ["pods"], "etcd_endpoints": "https://127.0.0.1:2379"}),
            "include_namespaces",
        ),
    ] {
        let message = app
            .post(&format!("/clusters/{cluster}/backups"), &owner, body)
            .await
            .error(400);
        assert!(message.starts_with(field), "{message}");
    }
    for (body, field) in [
        (
            json!({"restore_name": "r", "namespace_mappings": {"shop": "UPPER"}}),
            "namespace_mappings",
        ),
        (
            json!({"restore_name": "r", "existing_policy": "replace"}),
            "existing_policy",
        ),
        (json!({"restore_name": "r", "parts": ["etcd"]}), "parts"),
    ] {
        let path = format!("/clusters/{cluster}/backups/{id}/restore");
        let message = app.post(&path, &owner, body).await.error(400);
        assert!(message.starts_with(field), "{message}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn existing_objects_are_skipped_or_updated_as_asked() {
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let (server, seeded, cluster) = seeded_cluster(&app, &owner, SMALL, "small").await;
    let kube = client(&server).await;
    let backup = resources_backup(&app, &owner, &cluster, json!({})).await;
    let id = backup["id"].as_str().expect("id");
    let configmap = seeded.iter().find(|o| o.kind() == "ConfigMap").expect("configmap");
    let mut changed = configmap.object.clone();
    changed["data"]["mode"] = json!("changed-after-the-backup");
    server.put("v1", "configmaps", changed);

    let skip = app
        .restore_with(&owner, &cluster, id, json!({"restore_name": "skip"}))
        .await;
    assert_eq!(skip["status"], "completed", "{skip}");
    let total = backed_up(&seeded).len() as u64;
    assert_eq!(skip["objects_skipped"], total, "everything exists: {skip}");
    assert_eq!(skip["objects_applied"], 0);
    let now = fetch(&kube, configmap, None).await.expect("configmap");
    assert_eq!(now["data"]["mode"], "changed-after-the-backup", "skip leaves it");

    let update = app
        .restore_with(
            &owner,
            &cluster,
            id,
            json!({"restore_name": "update", "existing_policy": "update"}),
        )
        .await;
    assert_eq!(update["status"], "completed", "{update}");
    assert_eq!(update["objects_applied"], total, "{update}");
    let now = fetch(&kube, configmap, None).await.expect("configmap");
    assert_eq!(now["data"]["mode"], "production", "update puts the backed-up data back");
    assert_eq!(
        now["metadata"]["annotations"]["taichu.io/restore"], update["id"],
        "{now}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_restores_into_another_cluster_its_owner_may_write() {
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let (_, other) = app.user("other").await;
    let (_source, seeded, cluster) = seeded_cluster(&app, &owner, SMALL, "source").await;
    let (target, target_id) = empty_cluster(&app, &owner, "target").await;
    let (_foreign_server, foreign) = empty_cluster(&app, &other, "foreign").await;
    let backup = resources_backup(&app, &owner, &cluster, json!({})).await;
    let id = backup["id"].as_str().expect("id");

    let path = format!("/clusters/{cluster}/backups/{id}/restore");
    let denied = app
        .post(
            &path,
            &owner,
            json!({"restore_name": "x", "target_cluster_id": foreign}),
        )
        .await
        .error(403);
    assert!(denied.contains("target cluster"), "{denied}");

    let restore = app
        .restore_with(
            &owner,
            &cluster,
            id,
            json!({"restore_name": "migrate", "target_cluster_id": target_id}),
        )
        .await;
    assert_eq!(restore["status"], "completed", "{restore}");
    assert_eq!(restore["cluster_id"], target_id.as_str());
    assert_eq!(restore["source_cluster_id"], cluster.as_str());
    assert_eq!(
        target.object_count(),
        backed_up(&seeded).len(),
        "every object arrived in the target"
    );
}

/// Flips one byte of the stored archive in place.
fn flip(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).expect("archive");
    let at = at.min(bytes.len() - 1);
    bytes[at] ^= 0x20;
    std::fs::write(path, bytes).expect("write");
}

fn archive_path(app: &TestApp) -> std::path::PathBuf {
    let files = stored_files(&objects_dir(app));
    let (path, _) = files
        .iter()
        .find(|(p, _)| p.ends_with("resources.tar.zst.enc"))
        .expect("stored archive");
    path.into()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_archive_or_a_wrong_key_fails_at_verify_with_nothing_applied() {
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let (server, _, cluster) = seeded_cluster(&app, &owner, SMALL, "small").await;
    let backup = resources_backup(&app, &owner, &cluster, json!({})).await;
    let id = backup["id"].as_str().expect("id").to_owned();
    let path = archive_path(&app);
    let original = std::fs::read(&path).expect("archive");
    let writes = || {
        server
            .requests()
            .iter()
            .filter(|r| r.starts_with("POST") || r.starts_with("PATCH") || r.starts_with("PUT"))
            .count()
    };
    let before = writes();

    flip(&path, original.len() / 2);
    let flipped = app
        .restore_with(&owner, &cluster, &id, json!({"restore_name": "flipped"}))
        .await;
    assert_eq!(flipped["status"], "failed", "{flipped}");
    let error = flipped["error_message"].as_str().expect("error");
    assert!(
        error.contains("checksum mismatch") && error.contains("not touched"),
        "{error}"
    );

    std::fs::write(&path, &original[..original.len() - 100]).expect("truncate");
    let truncated = app
        .restore_with(&owner, &cluster, &id, json!({"restore_name": "cut"}))
        .await;
    assert_eq!(truncated["status"], "failed", "{truncated}");

    // The right bytes under another backup's key: authentication fails.
    std::fs::write(&path, &original).expect("restore the bytes");
    let db = taichu_tests::plant::database(&app).await;
    let other_key = taichu_tests::plant::secrets().seal(
        taichu_storage::secrets::Slot::BackupDataKey,
        &id,
        taichu_storage::sealed_stream::DataKey::generate().as_bytes(),
    );
    let sql = format!("UPDATE backups SET data_key_enc = '{other_key}' WHERE id = '{id}'");
    taichu_storage::ConnectionTrait::execute_unprepared(&db, &sql)
        .await
        .expect("plant the key");
    let wrong = app
        .restore_with(&owner, &cluster, &id, json!({"restore_name": "wrong-key"}))
        .await;
    assert_eq!(wrong["status"], "failed", "{wrong}");
    let error = wrong["error_message"].as_str().expect("error");
    assert!(
        error.contains("does not decrypt") && error.contains("not touched"),
        "{error}"
    );
    assert_eq!(writes(), before, "no object was written to the cluster");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_backup_whose_etcd_part_fails_keeps_its_resources_restorable() {
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let (server, seeded, cluster) = seeded_cluster(&app, &owner, SMALL, "small").await;
    // etcd on a host nobody answers on.
    let unreachable = json!({"etcd_endpoints": "https://127.0.0.1:1", "ssh_username": "root", "ssh_password": "pw",
                             "ssh_port": 1, "etcd_deployment_type": "standalone", "k8s_deployment_type": "none"});
    app.put(&format!("/clusters/{cluster}/etcd"), &owner, unreachable)
        .await
        .data();
    let backup = app
        .backup_with(&owner, &cluster, json!({"backup_name": "full", "backup_type": "full"}))
        .await;
    assert_eq!(backup["status"], "failed", "{backup}");
    let error = backup["error_message"].as_str().expect("error");
    assert!(error.starts_with("etcd part failed:"), "{error}");
    assert!(
        error.contains("resources part completed and can be restored on its own"),
        "{error}"
    );
    let parts: BTreeMap<&str, &Value> = backup["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .map(|p| (p["kind"].as_str().expect("kind"), p))
        .collect();
    assert_eq!(parts["etcd"]["status"], "failed", "{backup}");
    assert!(
        parts["etcd"]["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{backup}"
    );
    assert_eq!(parts["resources"]["status"], "completed", "{backup}");
    assert_eq!(backup["total_objects"], backed_up(&seeded).len() as u64);

    let id = backup["id"].as_str().expect("id");
    let path = format!("/clusters/{cluster}/backups/{id}/restore");
    let refused = app
        .post(&path, &owner, json!({"restore_name": "r", "parts": ["etcd"]}))
        .await
        .error(409);
    assert!(refused.contains("etcd part is not completed"), "{refused}");
    delete_all(&client(&server).await, &seeded).await;
    let restore = app
        .restore_with(&owner, &cluster, id, json!({"restore_name": "what-was-kept"}))
        .await;
    assert_eq!(restore["status"], "completed", "{restore}");
    assert_eq!(restore["parts"], json!(["resources"]), "{restore}");
    assert_eq!(server.object_count(), backed_up(&seeded).len());
}

#[tokio::test(flavor = "multi_thread")]
async fn objects_the_target_cannot_take_end_the_restore_completed_with_errors() {
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let (_source, seeded, cluster) = seeded_cluster(&app, &owner, SMALL, "source").await;
    let (target, target_id) = empty_cluster(&app, &owner, "target").await;
    let backup = resources_backup(&app, &owner, &cluster, json!({})).await;
    let id = backup["id"].as_str().expect("id");
    // Without their CRD the target does not serve the widgets.
    let body = json!({"restore_name": "no-crd", "target_cluster_id": target_id,
                      "exclude_kinds": ["customresourcedefinitions.apiextensions.k8s.io"]});
    let restore = app.restore_with(&owner, &cluster, id, body).await;
    assert_eq!(restore["status"], "completed_with_errors", "{restore}");
    let widgets = (SMALL.namespaces * SMALL.widgets) as u64;
    assert_eq!(restore["objects_failed"], widgets, "{restore}");
    let selected = backed_up(&seeded).len() as u64 - 1;
    assert_eq!(restore["objects_selected"], selected);
    assert_eq!(restore["objects_applied"], selected - widgets);
    assert_eq!(restore["progress"], 100);
    let kind = restore["kinds"]
        .as_array()
        .expect("kinds")
        .iter()
        .find(|k| k["kind"] == "Widget.shop.example.com")
        .expect("widget counts");
    assert_eq!(kind["failed"], widgets);
    let reason = kind["errors"][0].as_str().expect("reason");
    assert!(reason.contains("does not serve shop.example.com/v1 Widget"), "{reason}");
    let message = restore["error_message"].as_str().expect("message");
    assert!(
        message.starts_with(&format!("{widgets} of {selected} objects failed")),
        "{message}"
    );
    assert_eq!(target.object_count() as u64, selected - widgets);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_downloaded_archive_opens_with_taichu_backup_decrypt() {
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let (_server, seeded, cluster) = seeded_cluster(&app, &owner, SMALL, "small").await;
    let backup = resources_backup(&app, &owner, &cluster, json!({})).await;
    let id = backup["id"].as_str().expect("id");
    let prefix = objects_dir(&app).join(format!("clusters/{cluster}/backups/{id}"));
    let out = tempfile::tempdir().expect("tmp");
    let archive = out.path().join("resources.tar.zst");
    let status = std::process::Command::new(taichu_tests::app::taichu_bin())
        .args(["backup", "decrypt", "--manifest"])
        .arg(prefix.join("manifest.json"))
        .arg("--input")
        .arg(prefix.join("resources/resources.tar.zst.enc"))
        .arg("--output")
        .arg(&archive)
        .env("TAICHU_DATA_DIR", app.data_dir.path())
        .env(
            "TAICHU_SECRET_KEY",
            app.env_var("TAICHU_SECRET_KEY").unwrap_or_default(),
        )
        .output()
        .expect("taichu backup decrypt");
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    assert!(String::from_utf8_lossy(&status.stderr).contains("matches the manifest"));
    // The documented command reads it.
    let listing = std::process::Command::new("tar")
        .args(["--zstd", "-tf"])
        .arg(&archive)
        .output()
        .expect("tar");
    assert!(listing.status.success(), "{}", String::from_utf8_lossy(&listing.stderr));
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert_eq!(listing.lines().count(), backed_up(&seeded).len());
    assert!(listing.contains("apps/v1/Deployment/shop/web-0.json"), "{listing}");
    assert!(listing.contains("core/v1/Secret/shop/creds-0.json"), "{listing}");
    // Over the API too, for the backup's creator.
    let downloaded = app
        .client
        .get(app.url(&format!("/clusters/{cluster}/backups/{id}/download?part=resources")))
        .bearer_auth(&owner)
        .send()
        .await
        .expect("download");
    assert_eq!(downloaded.status(), 200);
    let sha = downloaded.headers()["x-taichu-sha256"]
        .to_str()
        .expect("sha")
        .to_owned();
    let bytes = downloaded.bytes().await.expect("bytes");
    assert_eq!(bytes.as_ref(), std::fs::read(&archive).expect("archive").as_slice());
    use sha2::Digest;
    assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), sha);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_backup_restores_etcd_first_then_the_resources() {
    use crate::backups::{assert_agree, change_after_backup, known_keys, put_many, stored_keys};
    use taichu_tests::etcd::{Deployment, EtcdCluster};
    let Some(etcd) = EtcdCluster::start(1, Deployment::Systemd) else {
        return;
    };
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let (server, seeded, cluster) = seeded_cluster(&app, &owner, SMALL, "both").await;
    app.put(
        &format!("/clusters/{cluster}/etcd"),
        &owner,
        taichu_tests::etcd_settings(&etcd),
    )
    .await
    .data();
    let known = known_keys();
    put_many(&etcd, &known.clone().into_iter().collect::<Vec<_>>());
    let backup = app
        .backup_with(&owner, &cluster, json!({"backup_name": "full", "backup_type": "full"}))
        .await;
    assert_eq!(backup["status"], "completed", "{backup}");
    let statuses: Vec<&str> = backup["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .map(|p| p["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses, ["completed", "completed"], "{backup}");
    assert_eq!(backup["key_count"].as_i64().map(|k| k >= 1000), Some(true), "{backup}");

    change_after_backup(&etcd, &known);
    delete_all(&client(&server).await, &seeded).await;
    let id = backup["id"].as_str().expect("id");
    let restore = app
        .restore_with(&owner, &cluster, id, json!({"restore_name": "both"}))
        .await;
    assert_eq!(restore["status"], "completed", "{restore}");
    assert_eq!(restore["parts"], json!(["etcd", "resources"]));
    assert_eq!(stored_keys(&etcd), known, "etcd holds exactly the backed-up keys");
    assert_agree(&etcd);
    assert_eq!(
        server.object_count(),
        backed_up(&seeded).len(),
        "and the resources are back"
    );
    let logs = restore["logs"].as_str().expect("logs");
    let etcd_done = logs.find("step wait-etcd completed").expect("etcd restored");
    let applied = logs.find("step apply-resources completed").expect("resources applied");
    assert!(etcd_done < applied, "etcd first, then the resources:\n{logs}");
}

async fn wait_in_step(app: &TestApp, token: &str, run: &str, name: &str) {
    app.wait_run_until(token, run, Duration::from_secs(120), |r| {
        r["steps"]
            .as_array()
            .is_some_and(|s| s.iter().any(|a| a["name"] == name && a["status"] == "running"))
    })
    .await;
}

fn abandoned(run: &Value, step: &str) -> usize {
    run["steps"]
        .as_array()
        .map(|s| {
            s.iter()
                .filter(|a| a["name"] == step && a["status"] == "abandoned")
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_workers_mid_backup_and_mid_restore_end_as_if_uninterrupted() {
    use taichu_tests::apiserver::Misbehavior;
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
    let (server, seeded, cluster) = seeded_cluster(&app, &admin, Shape::SHOP, "crashy").await;
    let expected = backed_up(&seeded).len() as u64;

    // A slow cluster: the backup is still reading when its worker dies.
    server.misbehave(Misbehavior::Slow(300));
    let backup = app
        .start_backup_with(
            &admin,
            &cluster,
            json!({"backup_name": "crash", "backup_type": "resources"}),
        )
        .await;
    let id = backup["id"].as_str().expect("id").to_owned();
    let run = backup["workflow_id"].as_str().expect("run").to_owned();
    wait_in_step(&app, &admin, &run, "resources").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    first.kill_hard();
    let mut second = app.spawn_worker("second", &fast);
    server.misbehave(Misbehavior::None);
    let backup = app.wait_backup(&admin, &cluster, &id).await;
    assert_eq!(backup["status"], "completed", "{backup}");
    assert_eq!(backup["total_objects"], expected, "no object missing or doubled");
    assert_eq!(abandoned(&app.wait_finished(&admin, &run).await, "resources"), 1);

    delete_all(&client(&server).await, &seeded).await;
    server.misbehave(Misbehavior::Slow(40));
    let restore = app.start_restore(&admin, &cluster, &id, "crash").await;
    let restore_id = restore["id"].as_str().expect("id").to_owned();
    let run = restore["workflow_id"].as_str().expect("run").to_owned();
    let path = format!("/clusters/{cluster}/backups/{id}/restore/{restore_id}");
    app.poll(&path, &admin, Duration::from_secs(120), |r| {
        r["objects_applied"].as_u64().is_some_and(|n| n > 100)
    })
    .await;
    second.kill_hard();
    let _third = app.spawn_worker("third", &fast);
    server.misbehave(Misbehavior::None);
    let done = app.wait_restore(&admin, &cluster, &id, &restore_id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(
        done["objects_applied"], expected,
        "objects made before the crash count as applied: {done}"
    );
    assert_eq!(done["objects_skipped"], 0);
    assert_eq!(server.object_count() as u64, expected, "no object missing or doubled");
    assert_eq!(abandoned(&app.wait_finished(&admin, &run).await, "apply-resources"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resources_round_trip_through_s3_keeps_secrets_sealed_in_the_bucket() {
    let Some(s3) = taichu_tests::s3::S3Server::start() else {
        return;
    };
    s3.create_bucket("backups");
    let env = s3.env("backups");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = taichu_tests::spawn_app_with(&env).await;
    let (_, owner) = app.user("owner").await;
    let (server, seeded, cluster) = seeded_cluster(&app, &owner, SMALL, "s3").await;
    let backup = resources_backup(&app, &owner, &cluster, json!({})).await;
    assert_eq!(backup["status"], "completed", "{backup}");
    let id = backup["id"].as_str().expect("id");
    assert!(
        backup["storage_location"]
            .as_str()
            .is_some_and(|l| l.starts_with("s3://backups/clusters/")),
        "{backup}"
    );
    let keys = s3.list("backups", &format!("clusters/{cluster}/backups/{id}/"));
    assert_eq!(keys.len(), 2, "the archive and the manifest: {keys:?}");
    let plain = workload::secret_value("shop", 0);
    for key in &keys {
        let bytes = s3.get("backups", key);
        for needle in [plain.clone(), b64(&plain)] {
            assert!(
                !contains(&bytes, needle.as_bytes()),
                "a secret value is readable in {key}"
            );
        }
    }
    delete_all(&client(&server).await, &seeded).await;
    let restore = app
        .restore_with(&owner, &cluster, id, json!({"restore_name": "from-s3"}))
        .await;
    assert_eq!(restore["status"], "completed", "{restore}");
    assert_eq!(server.object_count(), backed_up(&seeded).len());
}
