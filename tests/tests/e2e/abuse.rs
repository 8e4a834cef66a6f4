//! Bounds on what any client can make the API do: body sizes, login and
//! registration rates, and the size of every input.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use taichu_tests::app::ADMIN_PASSWORD;
use taichu_tests::{TestApp, peak_rss, spawn_app, spawn_app_with};

/// Sends up to `total` bytes as a chunked body (no Content-Length) to
/// `path` over a raw socket, reading the answer while still writing (as a
/// browser does: a server may answer before the body ends); returns the status.
fn chunked(app: &TestApp, method: &str, path: &str, token: Option<&str>, total: usize) -> u16 {
    use std::io::{Read, Write};
    let addr = app.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n{auth}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("head");
    let mut writer = stream.try_clone().expect("clone");
    let sender = std::thread::spawn(move || {
        const CHUNK: usize = 64 * 1024;
        let chunk = format!("{CHUNK:x}\r\n{}\r\n", " ".repeat(CHUNK));
        for _ in 0..total / CHUNK {
            if writer.write_all(chunk.as_bytes()).is_err() {
                return; // the server answered and closed: fine
            }
        }
        let _ = writer.write_all(b"0\r\n\r\n");
    });
    stream.set_read_timeout(Some(Duration::from_secs(60))).expect("timeout");
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
    let _ = sender.join();
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{method} {path}: no answer: {text:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_chunked_bodies_get_413_on_every_route_class_in_flat_memory() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let admin_id = app.login("admin", ADMIN_PASSWORD).await.data()["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let before = peak_rss(app.pid());
    let routes = [
        ("POST", "/api/v1/auth/login".to_owned(), None),
        ("POST", "/api/v1/auth/register".to_owned(), None),
        ("POST", "/api/v1/machines".to_owned(), Some(admin.as_str())),
        ("PUT", format!("/api/v1/users/{admin_id}"), Some(admin.as_str())),
        ("POST", "/api/v1/no-such-route".to_owned(), None),
    ];
    for round in 0..2 {
        for (method, path, token) in &routes {
            let status = chunked(&app, method, path, *token, 64 << 20);
            assert_eq!(status, 413, "round {round}: {method} {path}");
        }
    }
    let grown = peak_rss(app.pid()).saturating_sub(before);
    println!("peak RSS grew by {} MiB over ten 64 MiB bodies", grown >> 20);
    assert!(grown < 48 << 20, "memory followed the bodies: +{} MiB", grown >> 20);
    // A body just under the limit is still read (and judged on its content).
    let status = chunked(&app, "POST", "/api/v1/auth/login", None, 4 << 20);
    assert_eq!(status, 400);
    app.get("/auth/profile", &admin).await.data();
}

#[tokio::test]
async fn logins_and_registrations_are_throttled_and_bursts_audited() {
    let app = spawn_app_with(&[
        ("TAICHU_LOGIN_FAILURES_PER_USER", "3"),
        ("TAICHU_LOGIN_ATTEMPTS_PER_MINUTE", "8"),
        ("TAICHU_REGISTRATIONS_PER_HOUR", "2"),
    ])
    .await;
    let admin = app.admin_token().await;
    for _ in 0..3 {
        app.login("admin", "guess").await.error(401);
    }
    // Paused: even the right password waits, so guessing gains nothing.
    let paused = app.login("Admin", ADMIN_PASSWORD).await;
    assert!(paused.error(429).contains("'admin'"), "{}", paused.body);
    let retry: u64 = paused.headers["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&retry), "{retry}");
    // Per address: four attempts counted so far (the paused one was not).
    for i in 0..4 {
        app.login(&format!("nobody-{i}"), "guess").await.error(401);
    }
    let flood = app.login("someone-else", "guess").await;
    assert!(flood.error(429).contains("from 127.0.0.1"));
    app.login("someone-else", "guess").await.error(429);

    let throttled = app.audit_rows(&admin, "&action=LOGIN_THROTTLED").await;
    assert_eq!(throttled.len(), 2, "one row per burst: {throttled:?}");
    assert!(
        throttled
            .iter()
            .all(|r| r["source"] == "system" && r["status_code"] == 429)
    );
    let logins = app.audit_rows(&admin, "&action=LOGIN").await;
    assert!(
        logins.iter().all(|r| r["status_code"] != 429),
        "throttled requests do not flood the trail"
    );

    for name in ["reg-1", "reg-2"] {
        app.register(name).await;
    }
    let refused = app
        .request(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"username": "reg-3", "password": "password-3"})),
        )
        .await;
    assert!(refused.error(429).contains("registrations"));
}

#[tokio::test]
async fn every_input_has_a_bound() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let base = json!({"name": "m", "ip": "127.0.0.1", "username": "root", "password": "pw", "role": "worker"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let many: serde_json::Map<String, Value> = (0..65).map(|i| (format!("k{i}"), json!("v"))).collect();
    for (body, field) in [
        (with("labels", Value::Object(many)), "labels"),
        (with("labels", json!({"k": "v".repeat(254)})), "labels"),
        (with("description", json!("invoice\u{202e}fdp.exe")), "description"),
        (with("description", json!("bell\u{7}")), "description"),
        (with("password", json!("p".repeat(1025))), "password"),
    ] {
        let message = app.post("/machines", &admin, body.clone()).await.error(400);
        assert!(message.contains(field), "{message}");
    }
    for query in ["page=100001", "page=18446744073709551615", "limit=101", "page=0"] {
        app.get(&format!("/clusters?{query}"), &admin).await.error(400);
    }
    let long = json!({"username": "longpw", "password": "p".repeat(1025)});
    assert!(
        app.request(Method::POST, "/auth/register", None, Some(long))
            .await
            .error(400)
            .contains("password")
    );
    let began = std::time::Instant::now();
    app.login("admin", &"p".repeat(100_000)).await.error(401);
    assert!(began.elapsed() < Duration::from_secs(2));

    // One account per name, whatever the case.
    app.register("Alice").await;
    let dup = app
        .request(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"username": "alice", "password": "password-x"})),
        )
        .await;
    assert_eq!(dup.error(409), "username already exists");
    app.tokens("ALICE", "password-Alice").await;

    // Search text is taken literally: `_` and `%` match only themselves.
    for name in ["a_b", "axb"] {
        app.post("/clusters", &admin, json!({"name": name})).await.data();
    }
    for (search, expect) in [("_", vec!["a_b"]), ("%25", vec![]), ("a", vec!["a_b", "axb"])] {
        let found = app.get(&format!("/clusters?search={search}"), &admin).await;
        let names: Vec<&str> = found.data()["clusters"]
            .as_array()
            .expect("clusters")
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(names, expect, "search {search}");
    }
}

#[tokio::test]
async fn metrics_are_cached_and_can_require_a_token() {
    let app = spawn_app_with(&[("TAICHU_METRICS_TOKEN", "scrape-token-0123456789")]).await;
    let url = format!("{}/metrics", app.base);
    assert_eq!(app.client.get(&url).send().await.expect("sent").status(), 401);
    let wrong = app.client.get(&url).bearer_auth("nope").send().await.expect("sent");
    assert_eq!(wrong.status(), 401);
    let scrape = || async {
        let resp = app
            .client
            .get(&url)
            .bearer_auth("scrape-token-0123456789")
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), 200);
        resp.text().await.expect("text")
    };
    let first = scrape().await;
    let admin = app.admin_token().await;
    app.post("/workflows/canary", &admin, json!({"steps": 1})).await.data();
    let second = scrape().await;
    assert_eq!(first, second, "within the cache period the aggregate is not recomputed");
    tokio::time::sleep(Duration::from_millis(5200)).await;
    let third = scrape().await;
    assert!(third.contains("kind=\"canary\""), "{third}");
}
