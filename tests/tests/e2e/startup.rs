//! Start-up and shut-down safety: a default password never faces the
//! network, development shortcuts stay on loopback, keys are checked, old
//! secrets are sealed to their rows, and SIGTERM ends the process on time.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use serde_json::json;
use taichu_storage::repositories::machines;
use taichu_storage::secrets::Slot;
use taichu_tests::app::{SECRET_KEY, run_to_exit, spawn_listening};
use taichu_tests::sshd::{SshHost, TEST_PASSWORD, TEST_USER};
use taichu_tests::{kubeconfig, plant, spawn_app, spawn_app_with};

const WITHIN: Duration = Duration::from_secs(30);

#[test]
fn the_default_admin_password_never_listens_beyond_loopback() {
    let dir = tempfile::tempdir().expect("dir");
    let (code, log) = run_to_exit(
        dir.path(),
        &["serve", "--listen", "0.0.0.0:0"],
        &[("TAICHU_ADMIN_PASSWORD", "")],
        WITHIN,
    );
    assert!(code.is_some_and(|c| c != 0), "it must refuse: {code:?}\n{log}");
    assert!(log.contains("refusing to listen on 0.0.0.0:0"), "{log}");

    let dir = tempfile::tempdir().expect("dir");
    let (code, log) = run_to_exit(
        dir.path(),
        &["serve", "--listen", "0.0.0.0:0"],
        &[("TAICHU_DEV_MODE", "true")],
        WITHIN,
    );
    assert!(code.is_some_and(|c| c != 0), "{log}");
    assert!(log.contains("TAICHU_DEV_MODE"), "{log}");
}

#[tokio::test]
async fn an_operator_may_allow_it_explicitly_and_is_warned_on_every_start() {
    let mut app = spawn_listening(
        "serve",
        "0.0.0.0:0",
        &[("TAICHU_ADMIN_PASSWORD", ""), ("TAICHU_ALLOW_DEFAULT_ADMIN", "true")],
    );
    app.tokens("admin", "admin").await;
    assert!(app.log().contains("still has the password 'admin'"), "{}", app.log());
    app.restart(&[]);
    assert!(app.log().contains("still has the password 'admin'"), "warned again");
}

#[tokio::test]
async fn the_configured_admin_password_replaces_the_default_only() {
    let mut app = spawn_app_with(&[("TAICHU_ADMIN_PASSWORD", "")]).await;
    let (old, _) = app.tokens("admin", "admin").await;
    app.restart(&[("TAICHU_ADMIN_PASSWORD", "configured-later-1")]);
    app.login("admin", "admin").await.error(401);
    app.get("/auth/profile", &old).await.error(401);
    let (token, _) = app.tokens("admin", "configured-later-1").await;
    let id = app.get("/auth/profile", &token).await.data()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.put(
        &format!("/users/{id}/password"),
        &token,
        json!({"old_password": "configured-later-1", "new_password": "chosen-by-admin"}),
    )
    .await
    .data();
    // A password the admin chose is never overwritten by configuration.
    app.restart(&[("TAICHU_ADMIN_PASSWORD", "configured-later-2")]);
    app.tokens("admin", "chosen-by-admin").await;
    app.login("admin", "configured-later-2").await.error(401);
}

#[test]
fn a_short_signing_key_file_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("jwt_secret");
    std::fs::write(&path, "00".repeat(16)).expect("key");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (code, log) = run_to_exit(
        dir.path(),
        &["serve", "--listen", "127.0.0.1:0"],
        &[("TAICHU_JWT_SECRET", "")],
        WITHIN,
    );
    assert!(code.is_some_and(|c| c != 0), "{log}");
    assert!(log.contains("at least 32 bytes"), "{log}");
}

#[test]
fn a_mis_schemed_queue_url_is_named_by_its_scheme_only() {
    let dir = tempfile::tempdir().expect("dir");
    let (code, log) = run_to_exit(
        dir.path(),
        &["worker"],
        &[("QUEUE_URL", "amqp://guest:hunter2-secret@127.0.0.1:5672/")],
        WITHIN,
    );
    assert!(code.is_some_and(|c| c != 0), "{log}");
    assert!(log.contains("not amqp://…"), "{log}");
    assert!(!log.contains("hunter2-secret"), "{log}");
}

/// A `v1:` value as earlier versions stored it: bound to no row.
fn legacy_seal(plaintext: &str) -> String {
    let key = hex_key();
    let cipher = Aes256Gcm::new_from_slice(&key).expect("key");
    let nonce = [7u8; 12];
    let mut blob = nonce.to_vec();
    blob.extend(cipher.encrypt(&Nonce::from(nonce), plaintext.as_bytes()).expect("seal"));
    format!("v1:{}", base64::engine::general_purpose::STANDARD.encode(blob))
}

fn hex_key() -> Vec<u8> {
    (0..32)
        .map(|i| u8::from_str_radix(&SECRET_KEY[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

#[tokio::test]
async fn old_secrets_are_sealed_again_bound_to_their_rows() {
    let Some(host) = SshHost::start() else { return };
    let mut app = spawn_app().await;
    let admin = app.admin_token().await;
    let body = json!({"name": "old", "ip": host.ip, "port": host.port, "username": TEST_USER, "password": TEST_PASSWORD, "role": "worker"});
    let id = app.post("/machines", &admin, body).await.data()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let db = plant::database(&app).await;
    let sql = format!(
        "UPDATE machines SET password_enc = '{}' WHERE id = '{id}'",
        legacy_seal(TEST_PASSWORD)
    );
    taichu_storage::ConnectionTrait::execute_unprepared(&db, &sql)
        .await
        .expect("plant v1");
    drop(db);

    app.restart(&[]);
    let db = plant::database(&app).await;
    let row = machines::find(&db, &id).await.expect("query").expect("row");
    let stored = row.password_enc.expect("password");
    assert!(stored.starts_with("v2:"), "{stored}");
    assert_eq!(
        plant::secrets()
            .open_str(Slot::MachinePassword, &id, &stored)
            .expect("opens"),
        TEST_PASSWORD
    );
    let admin = app.admin_token().await;
    let run = app
        .post(&format!("/machines/{id}/check"), &admin, json!({}))
        .await
        .data()["id"]
        .as_str()
        .expect("run")
        .to_owned();
    assert_eq!(app.wait_finished(&admin, &run).await["status"], "completed");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_ends_the_process_within_the_grace_period_despite_a_stuck_request() {
    // A "cluster" that accepts connections and never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").expect("listener");
    let addr = silent.local_addr().expect("addr");
    let mut app = spawn_app_with(&[("TAICHU_SHUTDOWN_GRACE", "2")]).await;
    let admin = app.admin_token().await;
    let yaml = kubeconfig(&format!("https://{addr}"), "", "    token: t\n");
    let id = plant::cluster(&app, "silent", &yaml).await;
    let client = app.client.clone();
    let url = app.url(&format!("/clusters/{id}/nodes"));
    let stuck = tokio::spawn(async move { client.get(url).bearer_auth(admin).send().await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let began = Instant::now();
    let code = tokio::task::spawn_blocking(move || app.terminate(Duration::from_secs(8)))
        .await
        .expect("join");
    assert!(code.is_some(), "still running 8 s after SIGTERM");
    assert!(began.elapsed() < Duration::from_secs(6), "took {:?}", began.elapsed());
    let _ = stuck.await;
    drop(silent);
}
