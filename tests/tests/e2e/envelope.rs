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

    // Declared too large: refused from the headers alone, before any body is read.
    // (A raw socket, since a client still sending the body may see the early close as EPIPE.)
    let addr = app.base.trim_start_matches("http://").to_owned();
    let response = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        let head = "POST /api/v1/auth/register HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 9437184\r\nConnection: close\r\n\r\n";
        stream.write_all(head.as_bytes()).expect("write");
        let mut text = String::new();
        let _ = stream.read_to_string(&mut text);
        text
    })
    .await
    .expect("join");
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains(r#""code":413"#), "{response}");

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
