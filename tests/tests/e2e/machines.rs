//! Seed section 机器管理接口 against real sshd hosts: the check workflow,
//! host-key pinning, secrets never returned nor stored in plaintext.

use serde_json::{Value, json};
use taichu_tests::sshd::{SshHost, TEST_PASSWORD};
use taichu_tests::{machine_body, spawn_app};

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn password_machine_is_checked_ready_and_its_secret_never_leaks() {
    let Some(host) = SshHost::start() else { return };
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let created = app
        .post(
            "/machines",
            &admin,
            machine_body("node-1", &host, json!({"password": TEST_PASSWORD})),
        )
        .await;
    let data = created.data().clone();
    assert_eq!(data["status"], "pending");
    assert_eq!(data["has_password"], true);
    assert_eq!(data["has_private_key"], false);
    assert!(!created.body.to_string().contains(TEST_PASSWORD));
    let id = data["id"].as_str().expect("id").to_owned();

    let run = app
        .wait_finished(&admin, data["check_workflow_id"].as_str().expect("run"))
        .await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(run["subject"], id.as_str());
    let m = app.wait_machine(&admin, &id, "ready").await;
    assert!(
        m["host_key_fingerprint"]
            .as_str()
            .is_some_and(|f| f.starts_with("SHA256:")),
        "{m}"
    );
    assert!(m["hostname"].as_str().is_some_and(|h| !h.is_empty()));
    assert!(m["cpu_cores"].as_i64().is_some_and(|c| c >= 1));
    assert!(m["memory_bytes"].as_i64().is_some_and(|b| b > 0));
    assert!(m["arch"].as_str().is_some_and(|a| !a.is_empty()));
    assert!(m["last_check_at"].is_string());
    let hostname = m["hostname"].as_str().expect("hostname");
    let logged: Vec<&str> = run["logs"]
        .as_array()
        .expect("logs")
        .iter()
        .filter_map(|l| l["message"].as_str())
        .collect();
    assert!(
        logged.contains(&hostname),
        "remote stdout streamed into the run's log: {logged:?}"
    );

    for reply in [
        app.get(&format!("/machines/{id}"), &admin).await,
        app.get("/machines", &admin).await,
    ] {
        assert!(!reply.body.to_string().contains(TEST_PASSWORD));
    }
    let db = app.stored_bytes();
    assert!(contains(&db, "node-1"), "the dump holds the machine row");
    assert!(!contains(&db, TEST_PASSWORD), "the password is not stored in plaintext");
}

#[tokio::test]
async fn key_machine_is_checked_ready() {
    let Some(host) = SshHost::start() else { return };
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let created = app
        .create_machine(&admin, "node-k", &host, json!({"private_key": host.client_key}))
        .await;
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["has_private_key"], true);
    let m = app.wait_machine(&admin, &id, "ready").await;
    assert_eq!(m["has_password"], false);
    let key_body = host.client_key.lines().nth(1).expect("key body line");
    assert!(
        !contains(&app.stored_bytes(), key_body),
        "the private key is not stored in plaintext"
    );
}

#[tokio::test]
async fn wrong_password_leaves_the_machine_unreachable_with_the_reason() {
    let Some(host) = SshHost::start() else { return };
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let created = app
        .create_machine(&admin, "node-bad", &host, json!({"password": "not-the-password"}))
        .await;
    let id = created["id"].as_str().expect("id").to_owned();
    let run = app
        .wait_finished(&admin, created["check_workflow_id"].as_str().expect("run"))
        .await;
    assert_eq!(run["status"], "failed");
    assert_eq!(run["attempts"], 1, "authentication failures are not retried");
    let m = app.wait_machine(&admin, &id, "unreachable").await;
    assert!(
        m["status_message"]
            .as_str()
            .is_some_and(|s| s.contains("authentication failed")),
        "{m}"
    );
}

#[tokio::test]
async fn a_changed_host_key_is_refused_until_reset() {
    let Some(mut host) = SshHost::start() else { return };
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app
        .create_machine(&admin, "node-h", &host, json!({"password": TEST_PASSWORD}))
        .await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let first = app.wait_machine(&admin, &id, "ready").await["host_key_fingerprint"].clone();

    host.replace_host_key();
    let run = app
        .post(&format!("/machines/{id}/check"), &admin, json!({}))
        .await
        .data()["id"]
        .as_str()
        .expect("run")
        .to_owned();
    let failed = app.wait_finished(&admin, &run).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["attempts"], 1, "a changed host key is not retried: {failed}");
    let m = app.wait_machine(&admin, &id, "unreachable").await;
    assert!(
        m["status_message"]
            .as_str()
            .is_some_and(|s| s.contains("host key changed")),
        "{m}"
    );
    assert_eq!(m["host_key_fingerprint"], first, "the pinned key is kept");

    // Forgetting the pinned key needs the credentials again.
    assert!(
        app.put(&format!("/machines/{id}"), &admin, json!({"reset_host_key": true}))
            .await
            .error(400)
            .contains("password")
    );
    app.put(
        &format!("/machines/{id}"),
        &admin,
        json!({"reset_host_key": true, "password": TEST_PASSWORD}),
    )
    .await
    .data();
    let run = app
        .post(&format!("/machines/{id}/check"), &admin, json!({}))
        .await
        .data()["id"]
        .as_str()
        .expect("run")
        .to_owned();
    assert_eq!(app.wait_finished(&admin, &run).await["status"], "completed");
    let m = app.wait_machine(&admin, &id, "ready").await;
    assert_ne!(m["host_key_fingerprint"], first);
}

#[tokio::test]
async fn input_is_validated_and_status_rules_hold() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let base =
        json!({"name": "m1", "ip": "127.0.0.1", "port": 1, "username": "root", "password": "pw", "role": "worker"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let cases = [
        (with("ip", json!("10.0.0.256")), "ip"),
        (with("ip", json!("host; rm -rf /")), "ip"),
        (with("name", json!("bad name")), "name"),
        (with("username", json!("root;id")), "username"),
        (with("role", json!("master")), "role"),
        (with("port", json!(0)), "port"),
        (with("private_key", json!("not a key")), "private_key"),
        (
            json!({"name": "m1", "ip": "127.0.0.1", "username": "root", "role": "worker"}),
            "password",
        ),
    ];
    for (body, field) in cases {
        let message = app.post("/machines", &admin, body.clone()).await.error(400);
        assert!(message.contains(field), "{body} -> {message}");
    }
    assert_eq!(
        app.get("/machines", &admin).await.data()["total"],
        0,
        "nothing half-written"
    );

    // Default port; a loopback address, as every address a test may contact.
    let mut ipv6_body = with("ip", json!("::1"));
    ipv6_body.as_object_mut().expect("object").remove("port");
    let ipv6 = app.post("/machines", &admin, ipv6_body).await;
    let id = ipv6.data()["id"].as_str().expect("id").to_owned();
    assert_eq!(ipv6.data()["port"], 22);
    assert!(
        app.post("/machines", &admin, base.clone())
            .await
            .error(409)
            .contains("machine name")
    );
    assert!(
        app.put(&format!("/machines/{id}/status"), &admin, json!({"status": "in-use"}))
            .await
            .error(400)
            .contains("status")
    );
    assert_eq!(
        app.put(
            &format!("/machines/{id}/status"),
            &admin,
            json!({"status": "maintenance"})
        )
        .await
        .data()["status"],
        "maintenance"
    );
    let updated = app
        .put(
            &format!("/machines/{id}"),
            &admin,
            json!({"description": "rack 4", "labels": {"rack": "4"}}),
        )
        .await;
    assert_eq!(updated.data()["labels"], json!({"rack": "4"}));
    app.delete(&format!("/machines/{id}"), &admin).await.data();
    app.get(&format!("/machines/{id}"), &admin).await.error(404);
}

#[tokio::test]
async fn a_machine_in_use_by_a_cluster_cannot_be_deleted_or_re_statused() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body =
        json!({"name": "used", "ip": "127.0.0.9", "port": 1, "username": "root", "password": "pw", "role": "worker"});
    let id = app.post("/machines", &admin, body).await.data()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    // Cluster creation (a later workflow) marks machines this way.
    let cluster = taichu_tests::plant::in_use(&app, &admin, &id).await;
    assert!(
        app.delete(&format!("/machines/{id}"), &admin)
            .await
            .error(409)
            .contains("in use")
    );
    app.put(&format!("/machines/{id}/status"), &admin, json!({"status": "ready"}))
        .await
        .error(409);
    app.put(&format!("/machines/{id}"), &admin, json!({"description": "x"}))
        .await
        .error(409);
    assert_eq!(
        app.get(&format!("/machines/{id}"), &admin).await.data()["status"],
        "in-use"
    );
    assert_eq!(app.get("/machines?status=in-use", &admin).await.data()["total"], 1);
    // Deleting the cluster's records frees its machines (by the key).
    app.delete(&format!("/clusters/{cluster}"), &admin).await.data();
    let freed = app.get(&format!("/machines/{id}"), &admin).await.data().clone();
    assert!(freed["cluster_id"].is_null(), "{freed}");
    assert_ne!(freed["status"], "in-use");
    app.delete(&format!("/machines/{id}"), &admin).await.data();
}

#[tokio::test]
async fn machines_on_distinct_hosts_are_told_apart() {
    let (Some(a), Some(b)) = (SshHost::start_in_netns(), SshHost::start_in_netns()) else {
        return;
    };
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut seen = Vec::new();
    for (name, host) in [("ns-a", &a), ("ns-b", &b)] {
        let id = app
            .create_machine(&admin, name, host, json!({"password": TEST_PASSWORD}))
            .await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let m = app.wait_machine(&admin, &id, "ready").await;
        assert_eq!(m["ip"], host.ip.as_str());
        seen.push(m["host_key_fingerprint"].clone());
    }
    assert_ne!(seen[0], seen[1], "each host pinned its own key");
}
