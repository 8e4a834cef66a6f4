//! Remote peers that fail mid-transfer: the S3 server stopped while an etcd
//! backup streams into it, and SSH hosts whose connection drops or hangs in
//! the middle of a command. Real servers throughout (SeaweedFS, sshd hosts
//! in network namespaces); each fault is injected once the transfer is
//! seen in flight (a multipart upload listed, a session mid-output).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use taichu_tests::etcd::{Deployment, EtcdCluster};
use taichu_tests::s3::S3Server;
use taichu_tests::sshd::{SshHost, TEST_PASSWORD, TEST_USER};
use taichu_tests::{TestApp, spawn_app_with};

use crate::backups::{put_many, registered, snapshot_key};

const BUCKET: &str = "backups";

/// About 24 MB of etcd data: a snapshot of several 8 MiB upload parts.
fn fill(etcd: &EtcdCluster) {
    let value = "v".repeat(16 * 1024);
    let pairs: Vec<(String, String)> = (0..1500)
        .map(|i| (format!("/taichu-test/big{i:04}"), format!("{i}-{value}")))
        .collect();
    // 50 values of 16 KiB per transaction stays under etcd's 1.5 MiB request limit.
    for batch in pairs.chunks(50) {
        put_many(etcd, batch);
    }
}

/// Limits what leaves the host's namespace to `rate` (tc syntax), so a
/// snapshot streams for seconds rather than a blink.
fn throttle(host: &SshHost, rate: &str) {
    let ns = host.netns().expect("a host in its own namespace");
    let links = Command::new("ip")
        .args(["netns", "exec", ns, "ip", "-o", "link", "show"])
        .output()
        .expect("ip link");
    let text = String::from_utf8_lossy(&links.stdout).into_owned();
    let dev = text
        .lines()
        .filter_map(|l| l.split(": ").nth(1))
        .map(|name| name.split('@').next().unwrap_or(name))
        .find(|name| *name != "lo")
        .expect("the namespace's veth end");
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root", "tbf"])
        .args(["rate", rate, "burst", "64kb", "latency", "400ms"])
        .output()
        .expect("tc");
    assert!(out.status.success(), "tc: {}", String::from_utf8_lossy(&out.stderr));
}

/// A server on `s3`'s bucket, its cluster on `etcd` filled with data, and an owner.
async fn backing_up(s3: &S3Server, etcd: &EtcdCluster) -> (TestApp, String, String) {
    s3.create_bucket(BUCKET);
    let mut env = s3.env(BUCKET);
    // Leftovers of a failed upload are swept every second, not every five minutes.
    env.push(("TAICHU_RETENTION_SECS".into(), "1".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app_with(&env).await;
    let (_, owner) = app.user("owner").await;
    let cluster = registered(&app, &owner, etcd).await;
    fill(etcd);
    throttle(&etcd.members()[0].host, "24mbit");
    (app, owner, cluster)
}

/// Starts a backup and returns it once its snapshot is streaming into a
/// multipart upload that has not completed.
async fn upload_in_flight(app: &TestApp, owner: &str, cluster: &str, s3: &S3Server) -> Value {
    let backup = app.start_backup(owner, cluster, "mid-upload").await;
    let run = backup["workflow_id"].as_str().expect("run").to_owned();
    app.wait_run_until(owner, &run, Duration::from_secs(60), |r| {
        r["steps"]
            .as_array()
            .is_some_and(|s| s.iter().any(|a| a["name"] == "upload" && a["status"] == "running"))
    })
    .await;
    let key = snapshot_key(&backup);
    let deadline = Instant::now() + Duration::from_secs(30);
    while s3.multipart_uploads(BUCKET, &key).is_empty() {
        assert!(Instant::now() < deadline, "no multipart upload began at {key}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A part on the wire, not just the upload's creation.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(s3.list(BUCKET, &key).is_empty(), "the upload had already completed");
    backup
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// How many attempts the run made at step `name`, and each one's error.
fn attempts(run: &Value, name: &str) -> Vec<(String, String)> {
    run["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|a| a["name"] == name)
        .map(|a| {
            (
                a["status"].as_str().unwrap_or_default().to_owned(),
                a["error"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Polls until the multipart uploads under `prefix` are gone, or panics after `within`.
async fn no_uploads_left(s3: &S3Server, prefix: &str, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let left = s3.multipart_uploads(BUCKET, prefix);
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "incomplete multipart uploads left under {prefix}: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_s3_server_stopped_during_a_backup_upload_and_back_in_time_lets_it_complete() {
    let (Some(etcd), Some(mut s3)) = (EtcdCluster::start(1, Deployment::Systemd), S3Server::start()) else {
        return;
    };
    let (app, owner, cluster) = backing_up(&s3, &etcd).await;
    let backup = upload_in_flight(&app, &owner, &cluster, &s3).await;
    let id = backup["id"].as_str().expect("id").to_owned();
    // Away longer than one attempt's own retries of a request (at most
    // about 10 s), shorter than the upload step's backoff (about 30 s).
    s3.stop();
    tokio::time::sleep(Duration::from_secs(12)).await;
    s3.start_again();

    let done = app.wait_backup(&owner, &cluster, &id).await;
    assert_eq!(done["status"], "completed", "{done}");
    let run = app
        .wait_finished(&owner, done["workflow_id"].as_str().expect("run"))
        .await;
    let uploads = attempts(&run, "upload");
    eprintln!("upload attempts: {uploads:?}");
    assert!(uploads.len() > 1, "the upload step retried: {uploads:?}");
    assert_eq!(uploads.last().map(|u| u.0.as_str()), Some("completed"), "{uploads:?}");
    assert!(uploads[0].1.contains(&s3.endpoint()), "{uploads:?}");

    // What is stored is what the record says, and it is a whole snapshot.
    let stored = s3.get(BUCKET, &snapshot_key(&done));
    assert_eq!(sha256_hex(&stored), done["sha256"].as_str().expect("sha256"));
    assert_eq!(
        stored.len() as i64,
        done["parts"][0]["size_bytes"].as_i64().expect("size")
    );
    let download = app
        .client
        .get(app.url(&format!("/clusters/{cluster}/backups/{id}/download")))
        .bearer_auth(&owner)
        .send()
        .await
        .expect("download");
    assert_eq!(download.status(), 200);
    let plain = download.bytes().await.expect("bytes");
    assert_eq!(
        sha256_hex(&plain),
        done["parts"][0]["plain_sha256"].as_str().expect("plain")
    );
    assert_eq!(
        plain.len() as i64,
        done["parts"][0]["plain_size_bytes"].as_i64().expect("plain size")
    );
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), &plain).expect("write snapshot");
    let status = Command::new(Path::new(etcd.etcd_bin()).join("etcdutl"))
        .args(["snapshot", "status", "-w", "json"])
        .arg(file.path())
        .output()
        .expect("etcdutl");
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let status: Value = serde_json::from_slice(&status.stdout).expect("status json");
    assert_eq!(status["revision"], done["etcd_revision"], "{status}");
    assert_eq!(status["totalKey"], done["key_count"], "{status}");

    // The interrupted upload does not linger in the bucket.
    let prefix = format!("clusters/{cluster}/backups/{id}/");
    no_uploads_left(&s3, &prefix, Duration::from_secs(20)).await;
    assert_eq!(s3.list(BUCKET, &prefix).len(), 2, "the snapshot and the manifest");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_s3_server_stopped_during_a_backup_upload_for_good_fails_it_naming_the_store() {
    let (Some(etcd), Some(mut s3)) = (EtcdCluster::start(1, Deployment::Systemd), S3Server::start()) else {
        return;
    };
    let (app, owner, cluster) = backing_up(&s3, &etcd).await;
    let backup = upload_in_flight(&app, &owner, &cluster, &s3).await;
    let id = backup["id"].as_str().expect("id").to_owned();
    s3.stop();

    let path = format!("/clusters/{cluster}/backups/{id}");
    let done = app
        .poll(&path, &owner, Duration::from_secs(100), |b| {
            !matches!(b["status"].as_str(), Some("pending" | "running"))
        })
        .await;
    assert_eq!(done["status"], "failed", "{done}");
    let error = done["error_message"].as_str().expect("error");
    eprintln!("the backup failed with: {error}");
    assert!(error.contains(&format!("s3://{BUCKET}/")), "names the bucket: {error}");
    assert!(error.contains(&s3.endpoint()), "names the endpoint: {error}");
    assert!(error.contains("run the backup again"), "says what to do: {error}");
    let run = app
        .wait_finished(&owner, done["workflow_id"].as_str().expect("run"))
        .await;
    assert_eq!(run["status"], "failed", "{run}");
    let uploads = attempts(&run, "upload");
    assert!(uploads.len() > 1, "the upload was retried: {uploads:?}");

    // Once the store is back: nothing of the backup is there, nothing half-done.
    s3.start_again();
    let prefix = format!("clusters/{cluster}/backups/{id}/");
    no_uploads_left(&s3, &prefix, Duration::from_secs(20)).await;
    assert!(s3.list(BUCKET, &prefix).is_empty(), "objects of the failed backup");
    let listed = app.get(&format!("/clusters/{cluster}/backups"), &owner).await;
    let listed = listed.data()["backups"].as_array().expect("backups").clone();
    let mine: Vec<&Value> = listed.iter().filter(|b| b["id"] == id.as_str()).collect();
    assert_eq!(mine.len(), 1, "{listed:?}");
    assert_eq!(mine[0]["status"], "failed", "{listed:?}");
    let still = app.get(&path, &owner).await;
    assert_eq!(still.data()["status"], "failed");
    assert!(still.data()["sha256"].is_null(), "no checksum for what was not stored");
}

/// A stand-in for `hostname`, first in the PATH of the host's sessions:
/// while `fault` exists beside it, it says half its answer, leaves a
/// `reached.<pid>` mark and waits, so the test can cut or freeze the
/// session mid-stream; otherwise it is the real one.
const HOSTNAME: &str = r#"#!/bin/sh
d=$(dirname "$0")
if [ -e "$d/fault" ]; then
  printf 'half-a-name'
  : > "$d/reached.$$"
  sleep 20
fi
exec /usr/bin/hostname "$@"
"#;

/// A host in its own namespace whose `hostname` misbehaves on demand.
struct Faulty {
    host: SshHost,
    dir: tempfile::TempDir,
}

impl Faulty {
    fn start() -> Option<Self> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let script = dir.path().join("hostname");
        std::fs::write(&script, HOSTNAME).expect("script");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("mode");
        let out = Command::new("chown")
            .arg(TEST_USER)
            .arg(dir.path())
            .output()
            .expect("chown");
        assert!(out.status.success(), "chown: {}", String::from_utf8_lossy(&out.stderr));
        let host = SshHost::start_in_netns_with_path(&dir.path().display().to_string())?;
        std::fs::write(dir.path().join("fault"), "").expect("fault");
        Some(Self { host, dir })
    }

    fn heal(&self) {
        let _ = std::fs::remove_file(self.dir.path().join("fault"));
    }

    /// Waits until a session is mid-stream and takes its mark.
    async fn reached(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let marks: Vec<_> = std::fs::read_dir(self.dir.path())
                .expect("dir")
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("reached."))
                .collect();
            if !marks.is_empty() {
                for mark in marks {
                    let _ = std::fs::remove_file(mark.path());
                }
                return;
            }
            assert!(Instant::now() < deadline, "no session reached {}", self.host.ip);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Registers the host as a machine; returns its id and its check run.
async fn machine(app: &TestApp, token: &str, name: &str, faulty: &Faulty) -> (String, String) {
    let created = app
        .create_machine(token, name, &faulty.host, json!({"password": TEST_PASSWORD}))
        .await;
    (
        created["id"].as_str().expect("id").to_owned(),
        created["check_workflow_id"].as_str().expect("run").to_owned(),
    )
}

async fn finished(app: &TestApp, token: &str, run: &str) -> Value {
    app.wait_run_until(token, run, Duration::from_secs(110), |r| {
        !matches!(r["status"].as_str(), Some("pending" | "running"))
    })
    .await
}

/// Drops every session as it reaches mid-stream: each attempt fails, the run names the host.
async fn drops_for_good(app: &TestApp, token: &str, faulty: &Faulty) {
    let (id, run) = machine(app, token, "dropping", faulty).await;
    for _ in 0..3 {
        faulty.reached().await;
        faulty.host.drop_sessions();
    }
    let run = finished(app, token, &run).await;
    assert_eq!(run["status"], "failed", "{run}");
    let probes = attempts(&run, "probe");
    eprintln!("{}: {probes:?}", faulty.host.ip);
    assert_eq!(probes.len(), 3, "retried to the limit: {probes:?}");
    let at = format!("{}:{}", faulty.host.ip, faulty.host.port);
    for (_, error) in &probes {
        assert!(error.contains(&at) && error.contains("closed"), "{probes:?}");
    }
    let error = run["error"].as_str().expect("error");
    assert!(error.contains(&at) && error.contains("after 3 attempts"), "{error}");
    let m = app.get(&format!("/machines/{id}"), token).await;
    assert_eq!(m.data()["status"], "unreachable");
    let message = m.data()["status_message"].as_str().expect("message").to_owned();
    assert!(message.contains(&at), "{message}");
}

/// Drops the first session mid-stream; the host then behaves and the check completes.
async fn drops_once(app: &TestApp, token: &str, faulty: &Faulty) {
    let (id, run) = machine(app, token, "dropped-once", faulty).await;
    faulty.reached().await;
    faulty.heal();
    faulty.host.drop_sessions();
    let run = finished(app, token, &run).await;
    assert_eq!(run["status"], "completed", "{run}");
    let probes = attempts(&run, "probe");
    assert_eq!(probes.len(), 2, "{probes:?}");
    assert!(probes[0].1.contains(&faulty.host.ip), "{probes:?}");
    let m = app.get(&format!("/machines/{id}"), token).await;
    assert_eq!(m.data()["status"], "ready", "{}", m.body);
}

/// Freezes the host mid-stream and leaves it frozen: the command times out,
/// then each new connection does; the run names the host and what timed out.
async fn hangs_for_good(app: &TestApp, token: &str, faulty: &Faulty) {
    let (id, run) = machine(app, token, "hanging", faulty).await;
    faulty.reached().await;
    faulty.host.freeze();
    let run = finished(app, token, &run).await;
    faulty.host.thaw();
    assert_eq!(run["status"], "failed", "{run}");
    let probes = attempts(&run, "probe");
    eprintln!("{}: {probes:?}", faulty.host.ip);
    assert_eq!(probes.len(), 3, "retried to the limit: {probes:?}");
    let at = format!("{}:{}", faulty.host.ip, faulty.host.port);
    assert!(
        probes[0].1.contains(&at) && probes[0].1.contains("timed out"),
        "the command on the host timed out: {probes:?}"
    );
    for (_, error) in &probes[1..] {
        assert!(
            error.contains(&at) && error.contains("connecting") && error.contains("timed out"),
            "{probes:?}"
        );
    }
    let error = run["error"].as_str().expect("error");
    assert!(error.contains(&at) && error.contains("timed out"), "{error}");
    let m = app.get(&format!("/machines/{id}"), token).await;
    assert_eq!(m.data()["status"], "unreachable");
    assert!(m.data()["status_message"].as_str().is_some_and(|s| s.contains(&at)));
}

/// Freezes the host mid-stream until the first attempt has timed out, then
/// thaws it: the retry completes the check.
async fn hangs_once(app: &TestApp, token: &str, faulty: &Faulty) {
    let (id, run) = machine(app, token, "hung-once", faulty).await;
    faulty.reached().await;
    faulty.host.freeze();
    app.wait_run_until(token, &run, Duration::from_secs(90), |r| {
        r["steps"]
            .as_array()
            .is_some_and(|s| s.iter().any(|a| a["name"] == "probe" && a["status"] == "failed"))
    })
    .await;
    faulty.heal();
    faulty.host.thaw();
    let run = finished(app, token, &run).await;
    assert_eq!(run["status"], "completed", "{run}");
    let probes = attempts(&run, "probe");
    assert!(probes.len() >= 2, "{probes:?}");
    assert!(probes[0].1.contains("timed out"), "{probes:?}");
    let m = app.get(&format!("/machines/{id}"), token).await;
    assert_eq!(m.data()["status"], "ready", "{}", m.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ssh_host_that_drops_or_hangs_mid_command_times_out_retries_and_is_named() {
    let hosts: Option<Vec<Faulty>> = (0..4).map(|_| Faulty::start()).collect();
    let Some(hosts) = hosts else { return };
    let app = spawn_app_with(&[]).await;
    let (_, token) = app.user("operator").await;
    let started = Instant::now();
    tokio::join!(
        drops_for_good(&app, &token, &hosts[0]),
        drops_once(&app, &token, &hosts[1]),
        hangs_for_good(&app, &token, &hosts[2]),
        hangs_once(&app, &token, &hosts[3]),
    );
    eprintln!("four faulty hosts checked in {:?}", started.elapsed());
}
