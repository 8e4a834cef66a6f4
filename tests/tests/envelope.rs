//! Every response, errors included, is `{code, message, data}`; plus health, request ids, shutdown.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use taichu_tests::spawn_app;

#[tokio::test]
async fn errors_outside_handlers_use_the_envelope() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.request(Method::GET, "/no-such-route", Some(&admin), None)
        .await
        .error(404);
    app.request(Method::GET, "/no-such-route", None, None).await.error(404);
    app.request(Method::PATCH, "/auth/login", None, None).await.error(405);

    let raw = app
        .client
        .post(app.url("/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    taichu_tests::TestApp::reply(raw).await.error(400);
    let missing = app
        .request(Method::POST, "/auth/login", None, Some(json!({"username": "admin"})))
        .await;
    assert!(missing.error(400).contains("password"));

    let big = "x".repeat(9 * 1024 * 1024);
    let raw = app
        .client
        .post(app.url("/auth/register"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .expect("sent");
    taichu_tests::TestApp::reply(raw).await.error(413);

    let no_token = app.request(Method::GET, "/auth/profile", None, None).await;
    assert!(no_token.error(401).contains("Authorization"));
}

#[tokio::test]
async fn health_readiness_request_ids_and_docs() {
    let app = spawn_app().await;
    let health: serde_json::Value = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(health["code"], 0);
    let ready = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(ready.status(), 200);
    let ready: serde_json::Value = ready.json().await.expect("json");
    let expected = if std::env::var("TAICHU_TEST_DATABASE").as_deref() == Ok("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(
        ready["data"]["backend"], expected,
        "the suite runs against the database it was asked for"
    );

    let reply = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "req-abc-123")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        reply.headers().get("x-request-id").and_then(|v| v.to_str().ok()),
        Some("req-abc-123")
    );
    let fresh = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .expect("sent");
    assert!(fresh.headers().contains_key("x-request-id"));

    let swagger = app
        .client
        .get(format!("{}/swagger/", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(swagger.status(), 200);
    assert!(swagger.text().await.expect("html").contains("swagger"));
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let mut app = spawn_app().await;
    app.admin_token().await;
    assert_eq!(app.terminate(Duration::from_secs(20)), Some(0), "log:\n{}", app.log());
}
