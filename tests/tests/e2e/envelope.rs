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

/// SIGTERM, as an orchestrator stops a pod, to an API answering a steady
/// stream of reads and writes with 16 logins (argon2id, the slowest request)
/// in flight: every request sent before the signal gets its full answer, the
/// process exits 0 within the grace period, and nothing after it gets a 5xx.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_to_an_api_under_load_answers_every_request_in_flight() {
    let mut app = taichu_tests::app::spawn("api", &[("TAICHU_SHUTDOWN_GRACE", "15")]);
    let admin = app.admin_token().await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut streams = Vec::new();
    for i in 0..4 {
        let (client, base, admin, stop) = (app.client.clone(), app.base.clone(), admin.clone(), stop.clone());
        streams.push(tokio::spawn(async move {
            let (mut answered, mut server_errors) = (0u32, 0u32);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let request = if i % 2 == 0 {
                    client.get(format!("{base}/api/v1/clusters"))
                } else {
                    client
                        .post(format!("{base}/api/v1/audit"))
                        .json(&json!({"action": "LOAD", "resource_type": "shutdown"}))
                };
                let Ok(reply) = request.bearer_auth(&admin).send().await else {
                    break; // refused or closed once the listener is gone: the stream ends
                };
                if reply.status().is_server_error() {
                    server_errors += 1;
                } else if reply.bytes().await.is_ok() {
                    answered += 1;
                } else {
                    break;
                }
            }
            (answered, server_errors)
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut logins = Vec::new();
    for _ in 0..16 {
        let (client, url) = (app.client.clone(), app.url("/auth/login"));
        logins.push(tokio::spawn(async move {
            let reply = client
                .post(url)
                .json(&json!({"username": "admin", "password": taichu_tests::app::ADMIN_PASSWORD}))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = reply.status().as_u16();
            let body: serde_json::Value = reply.json().await.map_err(|e| e.to_string())?;
            Ok::<_, String>((status, body["data"]["token"].is_string()))
        }));
    }
    // The logins are on the wire when the signal lands: 16 argon2id hashes
    // share two cores for most of a second.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let began = std::time::Instant::now();
    let code = tokio::task::spawn_blocking(move || {
        let code = app.terminate(Duration::from_secs(20));
        (code, app)
    })
    .await
    .expect("join");
    let (code, app) = code;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(code, Some(0), "exits cleanly; log:\n{}", app.log());
    assert!(began.elapsed() < Duration::from_secs(15), "took {:?}", began.elapsed());
    for login in logins {
        let outcome = login.await.expect("join");
        assert_eq!(
            outcome,
            Ok((200, true)),
            "a login in flight at SIGTERM got its full answer"
        );
    }
    let mut answered = 0;
    for stream in streams {
        let (n, server_errors) = stream.await.expect("join");
        assert_eq!(server_errors, 0, "no 5xx while shutting down");
        answered += n;
    }
    assert!(answered > 0, "the streams were answered before the signal");
}
