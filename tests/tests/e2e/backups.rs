//! etcd backups and restores against a real 3-member etcd cluster (TLS
//! client certificates, each member on its own SSH host), into the local
//! object store and into a real S3 server (SeaweedFS).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use taichu_tests::etcd::{Deployment, EtcdCluster};
use taichu_tests::s3::S3Server;
use taichu_tests::sshd::TEST_PASSWORD;
use taichu_tests::{TestApp, etcd_settings, spawn_app, spawn_app_with};

/// Where the test keys live.
pub const PREFIX: &str = "/taichu-test/";

/// A cluster record owned by `token`'s account, with the etcd settings of `etcd`.
pub async fn registered(app: &TestApp, token: &str, etcd: &EtcdCluster) -> String {
    let cluster = app.post("/clusters", token, json!({"name": "etcd-cluster"})).await;
    let id = cluster.data()["id"].as_str().expect("id").to_owned();
    let stored = app
        .put(&format!("/clusters/{id}/etcd"), token, etcd_settings(etcd))
        .await;
    let view = stored.data();
    assert_eq!(view["has_ssh_password"], true, "{view}");
    assert!(view.get("ssh_password").is_none(), "{view}");
    assert!(!stored.body.to_string().contains(TEST_PASSWORD));
    id
}

/// Writes `pairs` in transactions of 100 (one etcdctl each, not one per key).
pub fn put_many(etcd: &EtcdCluster, pairs: &[(String, String)]) {
    for batch in pairs.chunks(100) {
        let mut script = String::from("\n");
        for (k, v) in batch {
            script.push_str(&format!("put {k} {v}\n"));
        }
        script.push_str("\n\n");
        let mut child = Command::new(PathBuf::from(etcd.etcd_bin()).join("etcdctl"))
            .arg(format!("--endpoints={}", etcd.endpoints().join(",")))
            .arg(format!("--cacert={}", etcd.ca_cert()))
            .arg(format!("--cert={}", etcd.client_cert()))
            .arg(format!("--key={}", etcd.client_key()))
            .args(["txn"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("etcdctl txn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(script.as_bytes())
            .expect("write txn");
        let out = child.wait_with_output().expect("txn");
        assert!(out.status.success(), "txn: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// 1,000 known keys with values unique to this run.
pub fn known_keys() -> BTreeMap<String, String> {
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    (0..1000)
        .map(|i| (format!("{PREFIX}k{i:04}"), format!("value-{i:04}-{tag}")))
        .collect()
}

/// Writes 100 new keys and changes 50 of `known`.
pub fn change_after_backup(etcd: &EtcdCluster, known: &BTreeMap<String, String>) {
    let mut later: Vec<(String, String)> = (0..100)
        .map(|i| (format!("{PREFIX}later{i:03}"), format!("later-{i}")))
        .collect();
    later.extend(known.keys().take(50).map(|k| (k.clone(), "changed".to_owned())));
    put_many(etcd, &later);
}

/// What etcd holds under the prefix.
pub fn stored_keys(etcd: &EtcdCluster) -> BTreeMap<String, String> {
    etcd.get_prefix(PREFIX).into_iter().collect()
}

/// Every member healthy, all at one revision.
pub fn assert_agree(etcd: &EtcdCluster) -> i64 {
    assert!(etcd.wait_healthy(Duration::from_secs(30)), "members not healthy");
    let revisions: Vec<i64> = (0..etcd.members().len()).map(|i| etcd.revision(i)).collect();
    assert!(
        revisions.windows(2).all(|w| w[0] == w[1]),
        "revisions differ: {revisions:?}"
    );
    revisions[0]
}

/// The bytes of a stored object, from the local store or the S3 server.
pub enum Store<'a> {
    Local(&'a TestApp),
    S3(&'a S3Server, &'a str),
}

impl Store<'_> {
    fn keys(&self, prefix: &str) -> Vec<String> {
        match self {
            Store::Local(app) => {
                let root = app.data_dir.path().join("objects");
                let mut found = Vec::new();
                let mut stack = vec![root.join(prefix)];
                while let Some(dir) = stack.pop() {
                    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                        let path = entry.path();
                        if path.is_dir() {
                            stack.push(path);
                        } else {
                            let rel = path.strip_prefix(&root).expect("under root");
                            found.push(rel.display().to_string());
                        }
                    }
                }
                found.sort();
                found
            }
            Store::S3(s3, bucket) => s3.list(bucket, prefix),
        }
    }

    pub fn get(&self, key: &str) -> Vec<u8> {
        match self {
            Store::Local(app) => std::fs::read(app.data_dir.path().join("objects").join(key)).expect("object"),
            Store::S3(s3, bucket) => s3.get(bucket, key),
        }
    }

    pub fn put(&self, key: &str, bytes: &[u8]) {
        match self {
            Store::Local(app) => std::fs::write(app.data_dir.path().join("objects").join(key), bytes).expect("write"),
            Store::S3(s3, bucket) => s3.put(bucket, key, bytes),
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The backup's stored snapshot object key.
pub fn snapshot_key(backup: &Value) -> String {
    format!(
        "clusters/{}/backups/{}/etcd/snapshot.db.enc",
        backup["cluster_id"].as_str().expect("cluster"),
        backup["id"].as_str().expect("id")
    )
}

/// Checks what a completed backup says and what it stored: the manifest,
/// the encrypted snapshot (no plaintext value in it), the checksums.
async fn check_stored(store: &Store<'_>, backup: &Value, sample: &str) {
    let prefix = format!(
        "clusters/{}/backups/{}/",
        backup["cluster_id"].as_str().expect("cluster"),
        backup["id"].as_str().expect("id")
    );
    assert!(
        backup["storage_location"]
            .as_str()
            .expect("location")
            .ends_with(&prefix),
        "{backup}"
    );
    let keys = store.keys(&prefix);
    assert_eq!(
        keys,
        vec![
            format!("{prefix}etcd/snapshot.db.enc"),
            format!("{prefix}manifest.json")
        ]
    );
    let manifest: Value = serde_json::from_slice(&store.get(&format!("{prefix}manifest.json"))).expect("manifest");
    let snapshot = store.get(&snapshot_key(backup));
    assert_eq!(sha256_hex(&snapshot), backup["sha256"].as_str().expect("sha256"));
    assert_eq!(manifest["parts"][0]["sha256"], backup["sha256"]);
    assert_eq!(manifest["parts"][0]["plain_sha256"], backup["parts"][0]["plain_sha256"]);
    assert_eq!(manifest["etcd"]["revision"], backup["etcd_revision"]);
    assert_eq!(manifest["etcd"]["key_count"], backup["key_count"]);
    assert_eq!(manifest["cluster_id"], backup["cluster_id"]);
    assert_eq!(manifest["encryption"], "aes-256-gcm-chunked-v1");
    assert!(manifest["data_key_sealed"].as_str().is_some_and(|k| !k.is_empty()));
    assert!(
        !snapshot.windows(sample.len()).any(|w| w == sample.as_bytes()),
        "a value is readable in the stored snapshot"
    );
}

/// The whole round trip on one store and one kind of host.
async fn round_trip(app: &TestApp, store: Store<'_>, etcd: &EtcdCluster) {
    let (_, owner) = app.user("owner").await;
    let cluster = registered(app, &owner, etcd).await;
    let known = known_keys();
    let pairs: Vec<(String, String)> = known.clone().into_iter().collect();
    put_many(etcd, &pairs);

    let backup = app.backup(&owner, &cluster, "before-change").await;
    let backup_id = backup["id"].as_str().expect("id").to_owned();
    assert!(backup["key_count"].as_i64().expect("key_count") >= 1000, "{backup}");
    assert!(backup["etcd_revision"].as_i64().expect("revision") > 0);
    assert!(backup["etcd_version"].as_str().expect("version").starts_with("3."));
    assert_eq!(backup["sha256"].as_str().expect("sha").len(), 64);
    assert!(backup["workflow_id"].is_string());
    let sample = known.values().nth(7).expect("sample").clone();
    check_stored(&store, &backup, &sample).await;

    // The download is the plain snapshot, matching the checksum it is sent with.
    let download = app
        .client
        .get(app.url(&format!("/clusters/{cluster}/backups/{backup_id}/download")))
        .bearer_auth(&owner)
        .send()
        .await
        .expect("download");
    assert_eq!(download.status(), 200);
    let announced = download.headers()["x-taichu-sha256"]
        .to_str()
        .expect("header")
        .to_owned();
    let bytes = download.bytes().await.expect("bytes");
    assert_eq!(sha256_hex(&bytes), announced);
    assert_eq!(announced, backup["parts"][0]["plain_sha256"].as_str().expect("plain"));
    assert!(bytes.windows(sample.len()).any(|w| w == sample.as_bytes()));

    // One operation at a time: no restore and no deletion while a backup runs.
    let second = app.start_backup(&owner, &cluster, "second").await;
    let second_id = second["id"].as_str().expect("id");
    let busy = app
        .post(
            &format!("/clusters/{cluster}/backups/{backup_id}/restore"),
            &owner,
            json!({"restore_name": "too-soon"}),
        )
        .await
        .error(409);
    assert!(busy.contains("backup"), "{busy}");
    app.delete(&format!("/clusters/{cluster}/backups/{second_id}"), &owner)
        .await
        .error(409);
    let second = app.wait_backup(&owner, &cluster, second_id).await;
    assert_eq!(second["status"], "completed", "{second}");

    change_after_backup(etcd, &known);
    assert_ne!(stored_keys(etcd), known);

    let restore = app.start_restore(&owner, &cluster, &backup_id, "back-to-before").await;
    let restore_id = restore["id"].as_str().expect("id");
    let busy = app
        .post(
            &format!("/clusters/{cluster}/etcd/backups"),
            &owner,
            json!({"backup_name": "during-restore"}),
        )
        .await
        .error(409);
    assert!(busy.contains("restore"), "{busy}");
    // A restore is not cancelled half-way: it completes or rolls back.
    let run = restore["workflow_id"].as_str().expect("run");
    let refused = app
        .post(&format!("/workflows/{run}/cancel"), &owner, json!({}))
        .await
        .error(409);
    assert!(refused.contains("cannot be cancelled"), "{refused}");
    let done = app.wait_restore(&owner, &cluster, &backup_id, restore_id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["progress"], 100);
    let logs = done["logs"].as_str().expect("logs");
    assert!(logs.contains("old data dir is kept at"), "{logs}");

    assert_eq!(stored_keys(etcd), known, "exactly the backed-up keys and values");
    let revision = assert_agree(etcd);
    assert_eq!(done["details"]["revision"].as_i64(), Some(revision));
    for member in etcd.members() {
        let parent = PathBuf::from(&member.data_dir);
        let dir = parent.parent().expect("parent");
        let name = parent.file_name().expect("name").to_string_lossy().to_string();
        let kept = std::fs::read_dir(dir).expect("dir").flatten().any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("{name}.taichu-restore-"))
        });
        assert!(kept, "the old data dir of {} is kept", member.name);
    }

    assert_no_password(app, &owner, &[backup["workflow_id"].as_str().expect("run")]).await;

    // Deleting removes the objects, then the record.
    app.delete(&format!("/clusters/{cluster}/backups/{second_id}"), &owner)
        .await
        .data();
    let second_prefix = format!("clusters/{cluster}/backups/{second_id}/");
    assert!(store.keys(&second_prefix).is_empty(), "objects left after delete");
    app.get(&format!("/clusters/{cluster}/backups/{second_id}"), &owner)
        .await
        .error(404);
}

/// The SSH password is in no response, run, log line or raw database byte.
pub async fn assert_no_password(app: &TestApp, token: &str, runs: &[&str]) {
    let admin = app.admin_token().await;
    for run in runs {
        let view = app.get(&format!("/workflows/{run}?log_limit=1000"), &admin).await;
        assert!(!view.body.to_string().contains(TEST_PASSWORD), "run {run}");
    }
    let lists = app.get("/clusters", token).await;
    assert!(!lists.body.to_string().contains(TEST_PASSWORD));
    assert!(!app.log().contains(TEST_PASSWORD), "server log");
    let stored = app.stored_bytes();
    assert!(
        !stored
            .windows(TEST_PASSWORD.len())
            .any(|w| w == TEST_PASSWORD.as_bytes()),
        "plaintext password in the database"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn etcd_round_trip_through_the_local_store_on_systemd_hosts() {
    let Some(etcd) = EtcdCluster::start(3, Deployment::Systemd) else {
        return;
    };
    let app = spawn_app().await;
    round_trip(&app, Store::Local(&app), &etcd).await;
    let stops = etcd.systemctl_log(0);
    assert!(stops.contains("stop etcd") && stops.contains("start etcd"), "{stops}");
}

#[tokio::test(flavor = "multi_thread")]
async fn etcd_round_trip_through_s3_on_kubeadm_hosts() {
    let (Some(etcd), Some(s3)) = (EtcdCluster::start(3, Deployment::Kubeadm), S3Server::start()) else {
        return;
    };
    s3.create_bucket("backups");
    let env = s3.env("backups");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app_with(&env).await;
    round_trip(&app, Store::S3(&s3, "backups"), &etcd).await;
}

async fn readiness(app: &TestApp) -> (u16, Value) {
    let reply = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .expect("readyz");
    (reply.status().as_u16(), reply.json().await.expect("json"))
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_and_backups_name_a_missing_bucket_and_refused_keys() {
    let (Some(s3), Some(etcd)) = (S3Server::start(), EtcdCluster::start(1, Deployment::Systemd)) else {
        return;
    };
    let env = s3.env("no-such-bucket");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app_with(&env).await;
    let (status, ready) = readiness(&app).await;
    assert_eq!(status, 503, "{ready}");
    let message = ready["message"].as_str().expect("message");
    assert!(message.contains("s3://no-such-bucket/"), "{message}");
    assert!(message.contains("the bucket does not exist"), "{message}");
    assert_eq!(ready["data"]["object_store"], "unavailable");
    // A backup fails with the store's reason, and leaves nothing behind on the host.
    let (_, owner) = app.user("owner").await;
    let cluster = registered(&app, &owner, &etcd).await;
    let started = app.start_backup(&owner, &cluster, "nowhere").await;
    let done = app
        .wait_backup(&owner, &cluster, started["id"].as_str().expect("id"))
        .await;
    assert_eq!(done["status"], "failed", "{done}");
    let error = done["error_message"].as_str().expect("error");
    assert!(error.contains("s3://no-such-bucket/"), "{error}");
    let scratch = format!("/var/tmp/taichu-backup-{}", done["id"].as_str().expect("id"));
    assert!(!Path::new(&scratch).exists(), "the snapshot's scratch dir was removed");

    s3.create_bucket("real");
    let mut env = s3.env("real");
    for (k, v) in &mut env {
        if k == "AWS_SECRET_ACCESS_KEY" {
            *v = "not-the-secret".into();
        }
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let refused = spawn_app_with(&env).await;
    let (status, ready) = readiness(&refused).await;
    assert_eq!(status, 503, "{ready}");
    let message = ready["message"].as_str().expect("message");
    assert!(message.contains("s3://real/"), "{message}");
    assert!(!message.contains("not-the-secret"), "{message}");
    let (_, owner) = refused.user("owner").await;
    let cluster = registered(&refused, &owner, &etcd).await;
    let started = refused.start_backup(&owner, &cluster, "refused").await;
    let done = refused
        .wait_backup(&owner, &cluster, started["id"].as_str().expect("id"))
        .await;
    assert_eq!(done["status"], "failed", "{done}");
    let error = done["error_message"].as_str().expect("error");
    assert!(error.contains("s3://real/") && error.contains("credentials"), "{error}");
    assert!(s3.list("real", "clusters/").is_empty(), "nothing was stored");
}

#[tokio::test]
async fn backups_need_settings_or_a_kubeconfig_and_a_known_type() {
    let app = spawn_app().await;
    let (_, owner) = app.user("owner").await;
    let cluster = app.post("/clusters", &owner, json!({"name": "bare"})).await.data()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let none = app
        .post(
            &format!("/clusters/{cluster}/backups"),
            &owner,
            json!({"backup_name": "b"}),
        )
        .await
        .error(400);
    assert!(none.starts_with("etcd settings: none given"), "{none}");
    // Resources are read through the cluster's kubeconfig, which this one lacks.
    for kind in ["resources", "full"] {
        let body = json!({"backup_name": "b", "backup_type": kind});
        let refused = app
            .post(&format!("/clusters/{cluster}/backups"), &owner, body)
            .await
            .error(400);
        assert!(
            refused.starts_with("backup_type") && refused.contains("kubeconfig"),
            "{refused}"
        );
    }
    let body = json!({"backup_name": "b", "backup_type": "everything"});
    let refused = app
        .post(&format!("/clusters/{cluster}/backups"), &owner, body)
        .await
        .error(400);
    assert!(refused.starts_with("backup_type: must be one of"), "{refused}");
    let body = json!({"backup_name": "b", "backup_type": "etcd"});
    let refused = app
        .post(&format!("/clusters/{cluster}/resources/backups"), &owner, body)
        .await
        .error(400);
    assert!(
        refused.starts_with("backup_type: this route takes resources"),
        "{refused}"
    );
    let body = json!({"backup_name": "b", "retention_days": 0, "etcd_endpoints": "https://10.0.0.1:2379"});
    let refused = app
        .post(&format!("/clusters/{cluster}/backups"), &owner, body)
        .await
        .error(400);
    assert!(refused.starts_with("retention_days"), "{refused}");
    let listed = app.get(&format!("/clusters/{cluster}/backups"), &owner).await;
    assert_eq!(listed.data()["total"], 0, "nothing half-written");
    app.get(&format!("/clusters/{cluster}/etcd"), &owner).await.error(404);
}
