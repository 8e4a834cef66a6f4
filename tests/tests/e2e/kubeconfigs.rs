//! A kubeconfig is user input our processes act on. These tests submit the
//! kubeconfigs an attacker would (commands, file reads, proxies, unverified
//! TLS) and plant them straight into stored rows, then drive the real API
//! (live views) and workers (health checks): nothing runs, nothing is read,
//! nothing is sent.

use std::time::Duration;

use serde_json::json;
use taichu_tests::apiserver::TestApiServer;
use taichu_tests::{b64, kubeconfig, plant, spawn_app_with};

const TOKEN: &str = "kubeconfig-policy-token-0123456789";

/// Each hostile form: (what it is, cluster part, user part, the field the 400 names).
fn hostile(marker: &str, secret_file: &str) -> Vec<(&'static str, String, String, &'static str)> {
    let run = format!("touch {marker}; cat {secret_file}; exit 1");
    vec![
        (
            "exec",
            String::new(),
            format!(
                "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: sh\n      args: [\"-c\", {run:?}]\n"
            ),
            "users[0].user.exec",
        ),
        (
            "auth-provider",
            String::new(),
            format!(
                "    auth-provider:\n      name: gcp\n      config:\n        cmd-path: /bin/sh\n        cmd-args: {:?}\n",
                format!("-c '{run}'")
            ),
            "users[0].user.auth-provider",
        ),
        (
            "tokenFile",
            String::new(),
            format!("    tokenFile: {secret_file}\n"),
            "users[0].user.tokenFile",
        ),
        (
            "client-key path",
            String::new(),
            format!("    client-certificate: {secret_file}\n    client-key: {secret_file}\n"),
            "users[0].user.client-certificate",
        ),
        (
            "certificate-authority path",
            format!("    certificate-authority: {secret_file}\n"),
            format!("    token: {TOKEN}\n"),
            "clusters[0].cluster.certificate-authority",
        ),
        (
            "proxy-url",
            "    proxy-url: http://127.0.0.1:9/\n".to_owned(),
            format!("    token: {TOKEN}\n"),
            "clusters[0].cluster.proxy-url",
        ),
        (
            "insecure-skip-tls-verify",
            "    insecure-skip-tls-verify: true\n".to_owned(),
            format!("    token: {TOKEN}\n"),
            "clusters[0].cluster.insecure-skip-tls-verify",
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_kubeconfigs_are_refused_at_the_door_and_never_acted_on_when_stored() {
    let server = TestApiServer::start(TOKEN).await;
    server.add_node("n1", true);
    let app = spawn_app_with(&[("TAICHU_HEALTH_SECS", "1")]).await;
    let admin = app.admin_token().await;
    let (_, user) = app.user("mallory").await;
    let dir = tempfile::tempdir().expect("dir");
    let marker = dir.path().join("ran").display().to_string();
    // A file only our hosts can read: what tokenFile and friends would send.
    let secret_file = dir.path().join("planted-secret").display().to_string();
    std::fs::write(&secret_file, TOKEN).expect("secret file");

    let mut planted = Vec::new();
    for (what, cluster, user_part, field) in hostile(&marker, &secret_file) {
        let yaml = kubeconfig(&server.url, &cluster, &user_part);
        let body = json!({"name": format!("submitted-{}", what.replace(' ', "-")), "kubeconfig": b64(&yaml)});
        let message = app.post("/clusters/import", &user, body).await.error(400);
        assert!(message.contains(field), "{what}: {message}");
        let id = plant::cluster(&app, &format!("planted-{}", what.replace(' ', "-")), &yaml).await;
        // The API process: a live view builds a client from the stored row.
        let refused = app.get(&format!("/clusters/{id}/nodes"), &admin).await.error(409);
        assert!(refused.contains(field), "{what}: {refused}");
        assert!(!refused.contains(TOKEN), "{what}: {refused}");
        planted.push((what, id, field));
    }
    // The workers: health checks visit every cluster each second.
    for (what, id, field) in &planted {
        let cluster = app
            .poll(&format!("/clusters/{id}"), &admin, Duration::from_secs(30), |c| {
                c["status"] == "unreachable"
            })
            .await;
        let message = cluster["status_message"].as_str().unwrap_or_default();
        assert!(message.contains(field), "{what}: {message}");
    }
    assert!(
        !std::path::Path::new(&marker).exists(),
        "a kubeconfig command ran on our host"
    );
    assert!(
        server.requests().is_empty(),
        "nothing reached the API server with a file-borne credential: {:?}",
        server.requests()
    );
    let clusters = app.get("/clusters?limit=100", &admin).await;
    assert!(
        !clusters.body.to_string().contains(TOKEN),
        "no file content leaked into any status"
    );
    assert!(!app.log().contains(TOKEN), "nor into the log");
}

#[tokio::test(flavor = "multi_thread")]
async fn unverified_tls_and_plain_http_need_an_admins_allowance() {
    let server = TestApiServer::start(TOKEN).await;
    server.add_node("n1", true);
    let app = spawn_app_with(&[]).await;
    let admin = app.admin_token().await;
    let (_, user) = app.user("olive").await;
    // No CA in the kubeconfig: only skipping verification can work.
    let insecure = kubeconfig(
        &server.url,
        "    insecure-skip-tls-verify: true\n",
        &format!("    token: {TOKEN}\n"),
    );
    let body = |name: &str, allow: bool| json!({"name": name, "kubeconfig": b64(&insecure), "allow_insecure": allow});
    assert!(
        app.post("/clusters/import", &user, body("a", true))
            .await
            .error(403)
            .contains("allow_insecure")
    );
    assert!(
        app.post("/clusters/import", &admin, body("b", false))
            .await
            .error(400)
            .contains("insecure-skip-tls-verify")
    );
    let http = kubeconfig("http://127.0.0.1:9", "", &format!("    token: {TOKEN}\n"));
    assert!(
        app.post(
            "/clusters/import",
            &admin,
            json!({"name": "c", "kubeconfig": b64(&http)})
        )
        .await
        .error(400)
        .contains("plain http")
    );
    let started = app.post("/clusters/import", &admin, body("allowed", true)).await;
    let id = started.data()["id"].as_str().expect("id").to_owned();
    let status = app.wait_import(&admin, &id).await;
    assert_eq!(status["status"], "completed", "{status}");
    let cluster_id = status["cluster_id"].as_str().expect("cluster");
    let cluster = app.get(&format!("/clusters/{cluster_id}"), &admin).await;
    assert_eq!(cluster.data()["allow_insecure"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_kubeconfig_cannot_point_us_at_ourselves_or_the_metadata_service() {
    let app = spawn_app_with(&[]).await;
    let admin = app.admin_token().await;
    let own = app.base.replace("http://", "https://");
    for (name, server, expect) in [
        ("self", own.as_str(), "Taichu's own API"),
        ("metadata", "https://169.254.169.254:443", "denied range 169.254.0.0/16"),
    ] {
        let yaml = kubeconfig(server, "", &format!("    token: {TOKEN}\n"));
        let started = app
            .post(
                "/clusters/import",
                &admin,
                json!({"name": name, "kubeconfig": b64(&yaml)}),
            )
            .await;
        let id = started.data()["id"].as_str().expect("id").to_owned();
        let status = app.wait_import(&admin, &id).await;
        assert_eq!(status["status"], "failed", "{status}");
        let error = status["error"].as_str().expect("error");
        assert!(error.contains(expect), "{name}: {error}");
        assert!(
            !error.contains("attempts"),
            "a denied destination is not retried: {error}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_api_server_cannot_keep_a_live_view_reading() {
    use taichu_tests::apiserver::Misbehavior;
    let server = TestApiServer::start(TOKEN).await;
    server.add_node("n1", true);
    let app = spawn_app_with(&[]).await;
    let admin = app.admin_token().await;
    let yaml = server.kubeconfig(TOKEN);
    let started = app
        .post(
            "/clusters/import",
            &admin,
            json!({"name": "hostile", "kubeconfig": b64(&yaml)}),
        )
        .await;
    let status = app
        .wait_import(&admin, started.data()["id"].as_str().expect("id"))
        .await;
    let id = status["cluster_id"].as_str().expect("cluster").to_owned();
    let nodes = format!("/clusters/{id}/nodes");
    app.get(&nodes, &admin).await.data();

    server.misbehave(Misbehavior::EndlessContinue);
    let began = std::time::Instant::now();
    let message = app.get(&nodes, &admin).await.error(503);
    assert!(message.contains("kept paging past 1000 pages"), "{message}");
    assert!(
        began.elapsed() < Duration::from_secs(35),
        "bounded by the view deadline"
    );

    server.misbehave(Misbehavior::HugeItems(80 << 20));
    let message = app.get(&nodes, &admin).await.error(503);
    assert!(message.contains("larger than 64 MiB"), "{message}");

    server.misbehave(Misbehavior::HtmlError);
    let message = app.get(&nodes, &admin).await.error(503);
    assert!(message.contains("not shown"), "{message}");
    assert!(
        !message.contains("SECRET-BODY-TEXT"),
        "a reply's body never reaches our answer: {message}"
    );

    server.misbehave(Misbehavior::None);
    app.get(&nodes, &admin).await.data();
}
