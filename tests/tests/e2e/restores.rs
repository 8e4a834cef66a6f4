//! Restores that must not hurt a cluster: a damaged snapshot is refused
//! before etcd is touched, a restore that cannot start is rolled back,
//! workers killed mid-upload and mid-swap are replaced, and hostile
//! settings never reach a shell.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use taichu_tests::app::spawn;
use taichu_tests::etcd::{Deployment, EtcdCluster};
use taichu_tests::sshd::TEST_PASSWORD;
use taichu_tests::{TestApp, etcd_settings, spawn_app};

use crate::backups::{
    PREFIX, Store, assert_agree, assert_no_password, change_after_backup, known_keys, put_many, registered,
    snapshot_key, stored_keys,
};

async fn with_known_keys(etcd: &EtcdCluster) -> std::collections::BTreeMap<String, String> {
    let known = known_keys();
    put_many(etcd, &known.clone().into_iter().collect::<Vec<_>>());
    known
}

/// A server, an owner, a 3-member systemd etcd with a completed backup of
/// 1,000 keys taken before 150 later writes.
struct BackedUp {
    etcd: EtcdCluster,
    app: TestApp,
    owner: String,
    cluster: String,
    backup_id: String,
    backup: Value,
    /// What etcd holds now (the later writes included).
    now: std::collections::BTreeMap<String, String>,
}

async fn backed_up() -> Option<BackedUp> {
    let etcd = EtcdCluster::start(3, Deployment::Systemd)?;
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let cluster = registered(&app, &owner, &etcd).await;
    let known = with_known_keys(&etcd).await;
    let backup = app.backup(&owner, &cluster, "taken").await;
    change_after_backup(&etcd, &known);
    let now = stored_keys(&etcd);
    Some(BackedUp {
        backup_id: backup["id"].as_str().expect("id").to_owned(),
        etcd,
        app,
        owner,
        cluster,
        backup,
        now,
    })
}

impl BackedUp {
    /// Restores the backup and waits for the end.
    async fn restore(&self) -> Value {
        let (app, owner, cluster, id) = (&self.app, &self.owner, &self.cluster, &self.backup_id);
        let restore = app.start_restore(owner, cluster, id, "attempt").await;
        app.wait_restore(owner, cluster, id, restore["id"].as_str().expect("id"))
            .await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flipped_byte_fails_verification_before_etcd_is_touched() {
    let Some(b) = backed_up().await else { return };
    let store = Store::Local(&b.app);
    let key = snapshot_key(&b.backup);
    let mut bytes = store.get(&key);
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    store.put(&key, &bytes);

    let done = b.restore().await;
    assert_eq!(done["status"], "failed", "{done}");
    let error = done["error_message"].as_str().expect("error");
    assert!(error.contains("checksum mismatch"), "{error}");
    assert!(error.contains("the cluster was not touched"), "{error}");
    for i in 0..b.etcd.members().len() {
        let commands = b.etcd.systemctl_log(i);
        assert!(!commands.contains("stop"), "member {i} was stopped: {commands}");
        assert!(b.etcd.healthy(i), "member {i}");
    }
    assert_eq!(stored_keys(&b.etcd), b.now, "data untouched");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restore_whose_start_fails_is_rolled_back() {
    let Some(b) = backed_up().await else { return };
    // The restored data dir of m1 is damaged as etcd starts on it.
    b.etcd.corrupt_next_start(0);
    let done = b.restore().await;
    assert_eq!(done["status"], "failed", "{done}");
    let error = done["error_message"].as_str().expect("error");
    assert!(error.contains("rolled back"), "{error}");
    assert!(error.contains("m1"), "the failing member is named: {error}");
    assert_eq!(done["details"]["rolled_back"], true, "{done}");
    assert!(b.etcd.log(0).contains("zeroed"), "the harness damaged the start");

    assert_agree(&b.etcd);
    assert_eq!(stored_keys(&b.etcd), b.now, "the pre-restore keys are back");
}

/// Waits until `run` has an attempt at step `name` running.
async fn wait_in_step(app: &TestApp, admin: &str, run: &str, name: &str) {
    app.wait_run_until(admin, run, Duration::from_secs(120), |r| {
        r["steps"]
            .as_array()
            .is_some_and(|s| s.iter().any(|a| a["name"] == name && a["status"] == "running"))
    })
    .await;
}

/// Puts a `program` first in every member's PATH that sleeps, then runs the real one.
fn slow(etcd: &EtcdCluster, program: &str, seconds: u32) {
    for member in etcd.members() {
        let path = Path::new(&member.bin_dir).join(program);
        std::fs::write(
            &path,
            format!("#!/bin/sh\nsleep {seconds}\nexec /bin/{program} \"$@\"\n"),
        )
        .expect("write");
        std::process::Command::new("chmod")
            .args(["755"])
            .arg(&path)
            .status()
            .expect("chmod");
    }
}

fn fast_again(etcd: &EtcdCluster, program: &str) {
    for member in etcd.members() {
        let _ = std::fs::remove_file(Path::new(&member.bin_dir).join(program));
    }
}

fn attempts(run: &Value, step: &str, status: &str) -> usize {
    run["steps"]
        .as_array()
        .map(|s| s.iter().filter(|a| a["name"] == step && a["status"] == status).count())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_workers_mid_upload_and_mid_swap_are_replaced() {
    let Some(etcd) = EtcdCluster::start(3, Deployment::Systemd) else {
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
    let app = spawn("api", &fast);
    let admin = app.admin_token().await;
    let cluster = registered(&app, &admin, &etcd).await;
    let known = with_known_keys(&etcd).await;

    // The snapshot streams through `cat`: slow it so the upload is caught mid-way.
    slow(&etcd, "cat", 4);
    let mut first = app.spawn_worker("first", &fast);
    let backup = app.start_backup(&admin, &cluster, "interrupted").await;
    let id = backup["id"].as_str().expect("id").to_owned();
    let run = backup["workflow_id"].as_str().expect("run").to_owned();
    wait_in_step(&app, &admin, &run, "upload").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    first.kill_hard();
    fast_again(&etcd, "cat");
    let mut second = app.spawn_worker("second", &fast);
    let backup = app.wait_backup(&admin, &cluster, &id).await;
    assert_eq!(backup["status"], "completed", "{backup}");
    let finished = app.wait_finished(&admin, &run).await;
    assert_eq!(attempts(&finished, "upload", "abandoned"), 1, "{finished}");

    change_after_backup(&etcd, &known);
    // Every `mv` of the swap takes two seconds: the worker dies in the middle of it.
    slow(&etcd, "mv", 2);
    let restore = app.start_restore(&admin, &cluster, &id, "interrupted").await;
    let restore_id = restore["id"].as_str().expect("id");
    let run = restore["workflow_id"].as_str().expect("run").to_owned();
    wait_in_step(&app, &admin, &run, "swap").await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    second.kill_hard();
    let _third = app.spawn_worker("third", &fast);
    let done = app.wait_restore(&admin, &cluster, &id, restore_id).await;
    fast_again(&etcd, "mv");
    assert_eq!(done["status"], "completed", "{done}");
    let finished = app.wait_finished(&admin, &run).await;
    assert_eq!(attempts(&finished, "swap", "abandoned"), 1, "{finished}");
    assert_eq!(stored_keys(&etcd), known);
    assert_agree(&etcd);
}

#[tokio::test]
async fn hostile_settings_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let cluster = app.post("/clusters", &owner, json!({"name": "target"})).await.data()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let base = json!({"etcd_endpoints": "https://10.0.0.1:2379", "ssh_username": "root", "ssh_password": "pw"});
    let cases = [
        ("etcd_data_dir", json!("var/lib/etcd")),
        ("etcd_data_dir", json!("/var/lib/etcd\n; reboot")),
        ("etcd_data_dir", json!("/")),
        ("etcd_ca_cert", json!("/etc/ssl/../../etc/shadow")),
        ("etcdctl_path", json!("etcdctl")),
        ("etcd_endpoints", json!("https://10.0.0.1:2379;id")),
        ("etcd_endpoints", json!("https://$(id):2379")),
        ("etcd_endpoints", json!("https://10.0.0.1")),
        ("etcd_endpoints", json!("file:///etc/passwd")),
        ("ssh_username", json!("root;id")),
        ("etcd_deployment_type", json!("docker")),
        ("k8s_deployment_type", json!("$(reboot)")),
        (
            "members[0].name",
            json!([{"name": "m1;id", "peer_url": "http://10.0.0.1:2380", "client_url": "https://10.0.0.1:2379"}]),
        ),
        (
            "members[0].host",
            json!([{"name": "m1", "peer_url": "http://10.9.9.9:2380", "client_url": "https://10.9.9.9:2379"}]),
        ),
    ];
    for (field, value) in cases {
        let mut body = base.clone();
        let key = field.split('[').next().expect("key");
        body[key] = value;
        let message = app
            .put(&format!("/clusters/{cluster}/etcd"), &owner, body)
            .await
            .error(400);
        assert!(message.starts_with(field), "{field}: {message}");
    }
    app.get(&format!("/clusters/{cluster}/etcd"), &owner).await.error(404);
}

#[tokio::test(flavor = "multi_thread")]
async fn shell_text_in_paths_arrives_literally() {
    let Some(etcd) = EtcdCluster::start(1, Deployment::Systemd) else {
        return;
    };
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let cluster = app.post("/clusters", &owner, json!({"name": "literal"})).await.data()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let marker = format!("/tmp/taichu-pwned-{}", uuid::Uuid::new_v4().simple());
    let mut settings = etcd_settings(&etcd);
    settings["etcd_ca_cert"] = json!(format!(
        "/tmp/ca'; touch {marker}; echo '$(touch {marker})`touch {marker}`.pem"
    ));
    app.put(&format!("/clusters/{cluster}/etcd"), &owner, settings)
        .await
        .data();
    let started = app.start_backup(&owner, &cluster, "literal").await;
    let done = app
        .wait_backup(&owner, &cluster, started["id"].as_str().expect("id"))
        .await;
    assert_eq!(done["status"], "failed", "{done}");
    let error = done["error_message"].as_str().expect("error");
    assert!(error.contains("no healthy etcd member"), "{error}");
    assert!(!Path::new(&marker).exists(), "a shell ran text from the settings");
    assert!(etcd.get_prefix(PREFIX).is_empty());
    let run = done["workflow_id"].as_str().expect("run");
    assert_no_password(&app, &owner, &[run]).await;
    assert!(!done.to_string().contains(TEST_PASSWORD));
}

#[tokio::test(flavor = "multi_thread")]
async fn members_found_by_member_list_restore_through_a_stored_machine() {
    let Some(etcd) = EtcdCluster::start(1, Deployment::Systemd) else {
        return;
    };
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let host = &etcd.members()[0].host;
    let machine = app
        .create_machine(&owner, "etcd-1", host, json!({"private_key": host.client_key}))
        .await;
    let machine_id = machine["id"].as_str().expect("id");
    app.wait_machine(&owner, machine_id, "ready").await;
    let cluster = app
        .post("/clusters", &owner, json!({"name": "by-machine"}))
        .await
        .data()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // No password, no members: the machine's key logs in, `member list` names the members.
    let mut settings = etcd_settings(&etcd);
    let fields = settings.as_object_mut().expect("object");
    for field in ["ssh_password", "ssh_username", "members"] {
        fields.remove(field);
    }
    fields.insert("machine_ids".into(), json!([machine_id]));
    let stored = app.put(&format!("/clusters/{cluster}/etcd"), &owner, settings).await;
    assert_eq!(stored.data()["has_ssh_password"], false);

    let known = with_known_keys(&etcd).await;
    let backup = app.backup(&owner, &cluster, "by-machine").await;
    let id = backup["id"].as_str().expect("id");
    change_after_backup(&etcd, &known);
    let restore = app.start_restore(&owner, &cluster, id, "by-machine").await;
    let done = app
        .wait_restore(&owner, &cluster, id, restore["id"].as_str().expect("id"))
        .await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["details"]["members"][0]["name"], "m1", "{done}");
    assert_eq!(stored_keys(&etcd), known);

    // Another cluster's backup is not found through it.
    let other = app.post("/clusters", &owner, json!({"name": "other"})).await.data()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for path in [
        format!("/clusters/{other}/backups/{id}"),
        format!("/clusters/{other}/etcd/backups/{id}"),
        format!("/clusters/{other}/backups/{id}/download"),
    ] {
        app.get(&path, &owner).await.error(404);
    }
    let path = format!("/clusters/{other}/backups/{id}/restore");
    app.post(&path, &owner, json!({"restore_name": "wrong"}))
        .await
        .error(404);
}
