//! Sessions end when they should, access tokens included, and the roles a
//! new account gets are safe by default.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use taichu_tests::app::ADMIN_PASSWORD;
use taichu_tests::{TestApp, spawn_app, spawn_app_with};

async fn refresh(app: &TestApp, token: &str) -> taichu_tests::app::Reply {
    app.request(
        Method::POST,
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": token})),
    )
    .await
}

#[tokio::test]
async fn a_password_change_ends_every_session_access_tokens_included() {
    let app = spawn_app().await;
    let (id, first) = app.user("paula").await;
    let (second, second_refresh) = app.tokens("paula", "password-paula").await;
    app.get("/auth/profile", &first).await.data();
    app.put(
        &format!("/users/{id}/password"),
        &second,
        json!({"old_password": "password-paula", "new_password": "a-new-password"}),
    )
    .await
    .data();
    assert_eq!(app.get("/auth/profile", &first).await.error(401), "token revoked");
    assert_eq!(app.get("/auth/profile", &second).await.error(401), "token revoked");
    refresh(&app, &second_refresh).await.error(401);
    let (fresh, _) = app.tokens("paula", "a-new-password").await;
    app.get("/auth/profile", &fresh).await.data();
}

#[tokio::test]
async fn a_reused_refresh_token_ends_the_sessions_access_tokens_too() {
    let app = spawn_app().await;
    let (access, refresh1) = app.tokens("admin", ADMIN_PASSWORD).await;
    let rotated = refresh(&app, &refresh1).await;
    let access2 = rotated.data()["token"].as_str().expect("token").to_owned();
    refresh(&app, &refresh1).await.error(401);
    for token in [&access, &access2] {
        assert_eq!(app.get("/auth/profile", token).await.error(401), "token revoked");
    }
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_often_refreshed() {
    let app = spawn_app_with(&[
        ("TAICHU_ACCESS_TOKEN_TTL", "10"),
        ("TAICHU_REFRESH_TOKEN_TTL", "3600"),
        ("TAICHU_SESSION_MAX_SECS", "12"),
    ])
    .await;
    let (_, mut refresh_token) = app.tokens("admin", ADMIN_PASSWORD).await;
    let started = std::time::Instant::now();
    let mut access = String::new();
    while started.elapsed() < Duration::from_secs(10) {
        let reply = refresh(&app, &refresh_token).await;
        refresh_token = reply.data()["refresh_token"].as_str().expect("refresh").to_owned();
        access = reply.data()["token"].as_str().expect("token").to_owned();
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    app.get("/auth/profile", &access).await.data();
    tokio::time::sleep(Duration::from_secs(13).saturating_sub(started.elapsed())).await;
    refresh(&app, &refresh_token).await.error(401);
    assert_eq!(app.get("/auth/profile", &access).await.error(401), "token revoked");
}

#[tokio::test]
async fn new_accounts_are_viewers_and_viewers_only_read() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app.register("vera").await;
    let (vera, _) = app.tokens("vera", "password-vera").await;
    assert_eq!(app.get("/auth/profile", &vera).await.data()["role"], "viewer");
    app.get("/machines", &vera).await.data();
    app.get("/clusters", &vera).await.data();
    let machine = json!({"name": "m", "ip": "127.0.0.1", "username": "root", "password": "pw", "role": "worker"});
    for (method, path, body) in [
        (Method::POST, "/machines", machine),
        (Method::POST, "/clusters", json!({"name": "c"})),
        (Method::POST, "/clusters/import", json!({})),
        (Method::POST, "/audit", json!({})),
    ] {
        let reply = app.request(method, path, Some(&vera), Some(body)).await;
        assert_eq!(reply.error(403), "the viewer role is read-only", "{path}");
    }
    // A viewer still looks after their own account.
    app.put(&format!("/users/{id}"), &vera, json!({"email": "vera@example.org"}))
        .await
        .data();
    app.request(Method::POST, "/auth/logout", Some(&vera), None)
        .await
        .data();
    // An admin grants more.
    app.put(&format!("/users/{id}"), &admin, json!({"role": "user"}))
        .await
        .data();
    let (vera, _) = app.tokens("vera", "password-vera").await;
    app.post("/clusters", &vera, json!({"name": "c"})).await.data();
}

#[tokio::test]
async fn registration_can_give_the_seeds_role_or_be_closed() {
    let open = spawn_app_with(&[("TAICHU_REGISTER_ROLE", "user")]).await;
    let id = open.register("ulla").await;
    let admin = open.admin_token().await;
    assert_eq!(open.get(&format!("/users/{id}"), &admin).await.data()["role"], "user");

    let closed = spawn_app_with(&[("TAICHU_REGISTER_ROLE", "closed")]).await;
    let reply = closed
        .request(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"username": "nobody", "password": "password-1"})),
        )
        .await;
    assert!(reply.error(403).contains("registration is closed"));
}

#[tokio::test]
async fn run_logs_and_errors_are_for_admins_and_the_runs_creator() {
    let app = spawn_app().await;
    let (_, owner) = app.user("rita").await;
    let (_, other) = app.user("sven").await;
    let body =
        json!({"name": "gone", "ip": "127.0.0.1", "port": 1, "username": "root", "password": "pw", "role": "worker"});
    let run = app.post("/machines", &owner, body).await.data()["check_workflow_id"]
        .as_str()
        .expect("run")
        .to_owned();
    let mine = app.wait_finished(&owner, &run).await;
    assert_eq!(mine["status"], "failed");
    assert!(
        mine["error"].is_string() && mine["log_total"].as_u64() > Some(0),
        "{mine}"
    );
    let theirs = app.get(&format!("/workflows/{run}"), &other).await.data().clone();
    assert_eq!(theirs["status"], "failed", "status and progress are for everyone");
    assert!(theirs["error"].is_null(), "{theirs}");
    assert_eq!(theirs["log_total"], 0);
    assert!(theirs["logs"].as_array().is_some_and(Vec::is_empty));
    assert!(
        theirs["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .all(|s| s["error"].is_null())
    );
    app.post(&format!("/workflows/{run}/cancel"), &other, json!({}))
        .await
        .error(403);
    let admin = app.admin_token().await;
    assert!(app.get(&format!("/workflows/{run}"), &admin).await.data()["error"].is_string());
}

#[tokio::test]
async fn a_name_registered_again_inherits_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (bob_id, bob) = app.user("bob").await;
    let cluster = app.post("/clusters", &bob, json!({"name": "bobs"})).await.data()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.delete(&format!("/users/{bob_id}"), &admin).await.data();
    let (_, new_bob) = app.user("bob").await;
    app.delete(&format!("/clusters/{cluster}"), &new_bob).await.error(403);
    app.get(&format!("/clusters/{cluster}/audit"), &new_bob)
        .await
        .error(403);
    // The cluster is an admin's now.
    app.delete(&format!("/clusters/{cluster}"), &admin).await.data();
}

/// Each API process trusts a session it verified for `TAICHU_AUTH_CACHE_MS`.
/// A demotion made through one replica takes effect there at once, and on
/// another replica within that time; never later.
#[tokio::test]
async fn a_demotion_through_one_replica_reaches_another_within_the_session_cache_time() {
    let cache = [("TAICHU_AUTH_CACHE_MS", "1500")];
    let a = taichu_tests::app::spawn("api", &cache);
    let database = a.database_url();
    let mut env = vec![("TAICHU_AUTH_CACHE_MS", "1500"), ("DATABASE_URL", database.as_str())];
    if let Some(queue) = a.env_var("QUEUE_URL") {
        env.push(("QUEUE_URL", queue));
    }
    let b = taichu_tests::app::spawn("api", &env);
    let admin = a.admin_token().await;
    let (id, token) = a.user("demoted").await;
    let write = || json!({"action": "PROBE", "resource_type": "session-cache"});
    // Replica B verifies the session (a user may write) and caches it.
    assert_eq!(b.post("/audit", &token, write()).await.status, 200);
    let demoted = a.put(&format!("/users/{id}"), &admin, json!({"role": "viewer"})).await;
    assert_eq!(demoted.data()["role"], "viewer");
    let at = std::time::Instant::now();
    a.post("/audit", &token, write()).await.error(403);
    loop {
        let reply = b.post("/audit", &token, write()).await;
        if reply.status == 403 {
            break;
        }
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(
            at.elapsed() < Duration::from_millis(1500 + 1000),
            "replica B still trusts the old role after {:?}",
            at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A logout through A ends the session on B within the same bound.
    let (_, other) = a.user("leaving").await;
    assert_eq!(b.get("/auth/profile", &other).await.status, 200);
    let out = a.request(Method::POST, "/auth/logout", Some(&other), None).await;
    assert_eq!(out.status, 200, "{}", out.body);
    a.get("/auth/profile", &other).await.error(401);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    b.get("/auth/profile", &other).await.error(401);
}
