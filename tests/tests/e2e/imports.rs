//! Seed section 导入接口: importing a cluster from its kubeconfig, against a
//! test API server speaking the real wire protocol over HTTPS.

use std::time::Duration;

use serde_json::json;
use taichu_tests::apiserver::TestApiServer;
use taichu_tests::{b64, kubeconfig, spawn_app};

const TOKEN: &str = "secret-bearer-token-0123456789";

#[tokio::test(flavor = "multi_thread")]
async fn import_registers_a_healthy_cluster_and_keeps_the_kubeconfig_secret() {
    let server = TestApiServer::start(TOKEN).await;
    server.add_node("cp-1", true);
    server.add_node("worker-1", true);
    server.add_node("worker-2", false);
    server.add_namespace("default");
    server.add_namespace("kube-system");
    let app = spawn_app().await;
    let admin = app.admin_token().await;

    let body = json!({"name": "imported", "description": "from kubeconfig", "provider": "太初", "kubeconfig": b64(&server.kubeconfig(TOKEN))});
    let started = app.post("/clusters/import", &admin, body).await;
    let import_id = started.data()["id"].as_str().expect("id").to_owned();
    let cluster_id = started.data()["cluster_id"].as_str().expect("cluster").to_owned();
    assert_eq!(started.data()["cluster_name"], "imported");

    let status = app.wait_import(&admin, &import_id).await;
    assert_eq!(status["status"], "completed", "{status}");
    assert_eq!(status["progress"], 100);
    assert_eq!(status["cluster_id"], cluster_id.as_str());
    let logs = status["logs"].as_str().expect("logs");
    assert!(logs.contains("API server version v1.33.1"), "{logs}");
    assert!(logs.contains("3 nodes, 2 namespaces"), "{logs}");

    let cluster = app.get(&format!("/clusters/{cluster_id}"), &admin).await.data().clone();
    assert_eq!(cluster["status"], "healthy");
    assert_eq!(cluster["version"], "v1.33.1");
    assert_eq!(cluster["node_count"], 3);
    assert_eq!(cluster["api_server"], server.url.as_str());
    assert_eq!(cluster["has_kubeconfig"], true);
    let listed = app.get("/clusters/imports", &admin).await;
    assert_eq!(listed.data()["total"], 1);
    assert_eq!(listed.data()["imports"][0]["status"], "completed");

    for reply in [
        app.get(&format!("/clusters/{cluster_id}"), &admin).await,
        app.get("/clusters", &admin).await,
        app.get(&format!("/workflows/{import_id}"), &admin).await,
    ] {
        let text = reply.body.to_string();
        assert!(
            !text.contains(TOKEN) && !text.contains("certificate-authority-data"),
            "kubeconfig leaked: {text}"
        );
    }
    let db = app.stored_bytes();
    assert!(
        !db.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
        "the kubeconfig is not stored in plaintext"
    );

    // Deleting the cluster removes our records and never touches the cluster.
    let objects = server.object_count();
    app.delete(&format!("/clusters/{cluster_id}"), &admin).await.data();
    app.get(&format!("/clusters/{cluster_id}"), &admin).await.error(404);
    assert_eq!(server.object_count(), objects);
    let writes: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| !r.starts_with("GET "))
        .collect();
    assert!(writes.is_empty(), "only reads ever reached the cluster: {writes:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_fails_the_import_at_once_with_the_reason() {
    let server = TestApiServer::start(TOKEN).await;
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let status = app
        .import_cluster(&admin, "bad-token", &server.kubeconfig("not-the-token"))
        .await;
    assert_eq!(status["status"], "failed");
    let error = status["error"].as_str().expect("error");
    assert!(error.contains("refused the credentials (401)"), "{error}");
    assert!(status["logs"].as_str().expect("logs").contains("401"));
    let id = status["id"].as_str().expect("id");
    let run = app.get(&format!("/workflows/{id}"), &admin).await;
    assert_eq!(run.data()["attempts"], 1, "credentials are not retried");
    let cluster = app
        .get(
            &format!("/clusters/{}", status["cluster_id"].as_str().expect("cluster")),
            &admin,
        )
        .await;
    assert_eq!(cluster.data()["status"], "unreachable");
    assert!(
        cluster.data()["status_message"]
            .as_str()
            .is_some_and(|m| m.contains("401"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_server_is_retried_then_fails_with_the_reason() {
    let server = TestApiServer::start(TOKEN).await;
    let kubeconfig = server.kubeconfig(TOKEN);
    drop(server);
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let status = app.import_cluster(&admin, "gone", &kubeconfig).await;
    assert_eq!(status["status"], "failed");
    let error = status["error"].as_str().expect("error");
    assert!(
        error.contains("failed after 3 attempts") && error.contains("cannot reach the API server"),
        "{error}"
    );
}

#[tokio::test]
async fn a_bad_kubeconfig_is_refused_before_anything_is_written() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let no_context = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n";
    for (kubeconfig, expect) in [
        ("%%% not base64 %%%".to_owned(), "not valid base64"),
        (b64("{ this is: [not yaml"), "kubeconfig:"),
        (b64(no_context), "current-context"),
    ] {
        let message = app
            .post(
                "/clusters/import",
                &admin,
                json!({"name": "x", "kubeconfig": kubeconfig}),
            )
            .await
            .error(400);
        assert!(message.contains(expect), "{message}");
    }
    assert!(
        app.post(
            "/clusters/import",
            &admin,
            json!({"name": "bad name", "kubeconfig": "eA=="})
        )
        .await
        .error(400)
        .contains("name")
    );
    assert_eq!(app.get("/clusters", &admin).await.data()["total"], 0);
    assert_eq!(app.get("/clusters/imports", &admin).await.data()["total"], 0);

    app.post("/clusters", &admin, json!({"name": "taken"})).await.data();
    let server = TestApiServer::start(TOKEN).await;
    let dup = app
        .post(
            "/clusters/import",
            &admin,
            json!({"name": "taken", "kubeconfig": b64(&server.kubeconfig(TOKEN))}),
        )
        .await;
    assert!(dup.error(409).contains("cluster name"));
    assert_eq!(app.get("/clusters/imports", &admin).await.data()["total"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn registering_with_a_kubeconfig_imports() {
    let server = TestApiServer::start(TOKEN).await;
    server.add_node("only", true);
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let body = json!({"name": "via-register", "provider": "aws", "kubeconfig": b64(&server.kubeconfig(TOKEN))});
    let cluster = app.post("/clusters", &admin, body).await.data().clone();
    assert_eq!(cluster["has_kubeconfig"], true);
    let id = cluster["id"].as_str().expect("id").to_owned();
    let healthy = app
        .poll(&format!("/clusters/{id}"), &admin, Duration::from_secs(60), |c| {
            c["status"] == "healthy"
        })
        .await;
    assert_eq!(healthy["node_count"], 1);
    assert_eq!(app.get("/clusters/imports", &admin).await.data()["total"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn client_certificates_import_and_a_foreign_one_fails_at_once() {
    let server = TestApiServer::start(TOKEN).await;
    server.add_node("cp-1", true);
    let app = spawn_app().await;
    let admin = app.admin_token().await;

    let kubeconfig = server.client_cert_kubeconfig("admin");
    let status = app.import_cluster(&admin, "by-cert", &kubeconfig).await;
    assert_eq!(status["status"], "completed", "{status}");
    let key = kubeconfig
        .lines()
        .find_map(|l| l.trim().strip_prefix("client-key-data: "))
        .expect("key line");
    let stored = app.stored_bytes();
    assert!(
        !stored.windows(key.len()).any(|w| w == key.as_bytes()),
        "the client key is not stored in plaintext"
    );

    let status = app
        .import_cluster(&admin, "stranger", &server.foreign_cert_kubeconfig("admin"))
        .await;
    assert_eq!(status["status"], "failed");
    let error = status["error"].as_str().expect("error");
    assert!(error.contains("refused the credentials (401)"), "{error}");
    assert!(
        !error.contains("attempts"),
        "refused credentials are not retried: {error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untrusted_server_certificate_fails_at_once() {
    let server = TestApiServer::start(TOKEN).await;
    let impostor_ca = TestApiServer::start(TOKEN).await.kubeconfig(TOKEN);
    let ca_line = |k: &str| {
        k.lines()
            .find(|l| l.contains("certificate-authority-data"))
            .expect("ca line")
            .to_owned()
    };
    let kubeconfig = server
        .kubeconfig(TOKEN)
        .replace(&ca_line(&server.kubeconfig(TOKEN)), &ca_line(&impostor_ca));
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let status = app.import_cluster(&admin, "mitm", &kubeconfig).await;
    assert_eq!(status["status"], "failed");
    let error = status["error"].as_str().expect("error");
    assert!(
        error.contains("TLS with the API server failed") && error.contains("certificate"),
        "{error}"
    );
    assert!(
        !error.contains("attempts"),
        "an untrusted server is not retried: {error}"
    );
    assert!(server.requests().is_empty(), "nothing was sent to an untrusted server");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_is_not_deleted_while_an_operation_holds_it() {
    // A server that accepts connections and never answers keeps the import busy.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let server = format!("https://{}", silent.local_addr().expect("addr"));
    let kubeconfig = kubeconfig(&server, "", &format!("    token: {TOKEN}\n"));
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let started = app
        .post(
            "/clusters/import",
            &admin,
            json!({"name": "busy", "kubeconfig": b64(&kubeconfig)}),
        )
        .await;
    let run = started.data()["id"].as_str().expect("run").to_owned();
    let cluster = started.data()["cluster_id"].as_str().expect("cluster").to_owned();
    app.poll(&format!("/workflows/{run}"), &admin, Duration::from_secs(30), |r| {
        r["status"] == "running"
    })
    .await;
    let refused = app.delete(&format!("/clusters/{cluster}"), &admin).await.error(409);
    assert!(
        refused.contains("import_cluster") && refused.contains(&run),
        "names the running operation: {refused}"
    );
    app.post(&format!("/workflows/{run}/cancel"), &admin, json!({}))
        .await
        .data();
    let ended = app.wait_finished(&admin, &run).await;
    assert_eq!(ended["status"], "cancelled");
    app.delete(&format!("/clusters/{cluster}"), &admin).await.data();
    drop(silent);
}
