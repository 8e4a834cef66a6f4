//! Seed section 认证接口: login, tokens, refresh rotation, logout, the development token. (Every route against bad tokens: authz.rs.)

use reqwest::Method;
use serde_json::{Value, json};
use taichu_tests::app::ADMIN_PASSWORD;
use taichu_tests::{spawn_app, spawn_app_with};

#[tokio::test]
async fn login_profile_and_wrong_password() {
    let app = spawn_app().await;
    let reply = app.login("admin", ADMIN_PASSWORD).await;
    let data = reply.data();
    assert_eq!(data["user"]["username"], "admin");
    assert_eq!(data["user"]["role"], "admin");
    assert_eq!(data["token_type"], "Bearer");
    assert_eq!(data["expires_in"], 900);
    let token = data["token"].as_str().expect("token");
    let profile = app.get("/auth/profile", token).await;
    assert_eq!(profile.data()["username"], "admin");
    assert!(profile.data().get("password_hash").is_none());

    assert_eq!(
        app.login("admin", "wrong").await.error(401),
        "invalid username or password"
    );
    assert_eq!(
        app.login("nobody", "whatever").await.error(401),
        "invalid username or password"
    );
    // The default 'admin' password is refused when TAICHU_ADMIN_PASSWORD is set.
    app.login("admin", "admin").await.error(401);
}

#[tokio::test]
async fn access_token_claims_are_as_documented() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_required_spec_claims(&["exp"]);
    let claims = jsonwebtoken::decode::<Value>(
        &token,
        &jsonwebtoken::DecodingKey::from_secret(taichu_tests::app::JWT_SECRET.as_bytes()),
        &validation,
    )
    .expect("HS256 with the configured secret")
    .claims;
    for claim in ["sub", "username", "role", "jti", "exp"] {
        assert!(claims.get(claim).is_some(), "missing {claim} in {claims}");
    }
    let ttl = claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat");
    assert_eq!(ttl, 900);
}

#[tokio::test]
async fn registration_cannot_escalate_and_validates_fields() {
    let app = spawn_app().await;
    let reply = app
        .request(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"username": "mallory", "password": "password-1", "role": "admin"})),
        )
        .await;
    assert_eq!(reply.data()["role"], "viewer", "new accounts read only by default");
    let (token, _) = app.tokens("mallory", "password-1").await;
    assert_eq!(app.get("/auth/profile", &token).await.data()["role"], "viewer");
    assert_eq!(app.get("/users", &token).await.error(403), "admin role required");

    let dup = app
        .request(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"username": "mallory", "password": "password-2"})),
        )
        .await;
    assert_eq!(dup.error(409), "username already exists");

    let cases = [
        (json!({"username": "ab", "password": "password-1"}), "username"),
        (json!({"username": "bad name", "password": "password-1"}), "username"),
        (json!({"username": "carol", "password": "short"}), "password"),
        (
            json!({"username": "carol", "password": "password-1", "email": "not-an-email"}),
            "email",
        ),
        (json!({"password": "password-1"}), "username"),
        (json!({"username": "carol", "password": 12345678}), "password"),
    ];
    for (body, field) in cases {
        let reply = app
            .request(Method::POST, "/auth/register", None, Some(body.clone()))
            .await;
        let message = reply.error(400);
        assert!(message.contains(field), "{body} -> {message} should name {field}");
    }
    // Nothing half-written: carol never came to exist.
    app.login("carol", "password-1").await.error(401);
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_session() {
    let app = spawn_app().await;
    let (_, refresh1) = app.tokens("admin", ADMIN_PASSWORD).await;
    let first = app
        .request(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh1})),
        )
        .await;
    let refresh2 = first.data()["refresh_token"].as_str().expect("refresh").to_owned();
    let access2 = first.data()["token"].as_str().expect("token").to_owned();
    assert_ne!(refresh1, refresh2);
    app.get("/auth/profile", &access2).await.data();

    // Reusing the rotated token is refused and burns the whole session.
    let reuse = app
        .request(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh1})),
        )
        .await;
    assert!(reuse.error(401).contains("already used"));
    let after = app
        .request(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh2})),
        )
        .await;
    after.error(401);

    let garbage = app
        .request(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": "nope"})),
        )
        .await;
    assert_eq!(garbage.error(401), "invalid refresh token");
}

#[tokio::test]
async fn logout_revokes_access_and_refresh_tokens_of_that_session_only() {
    let app = spawn_app().await;
    let (access_a, refresh_a) = app.tokens("admin", ADMIN_PASSWORD).await;
    let (access_b, refresh_b) = app.tokens("admin", ADMIN_PASSWORD).await;
    app.request(Method::POST, "/auth/logout", Some(&access_a), None)
        .await
        .data();
    assert_eq!(app.get("/auth/profile", &access_a).await.error(401), "token revoked");
    app.request(
        Method::POST,
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh_a})),
    )
    .await
    .error(401);
    // Another session of the same user is untouched.
    app.get("/auth/profile", &access_b).await.data();
    app.request(
        Method::POST,
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh_b})),
    )
    .await
    .data();
}

#[tokio::test]
async fn test_token_endpoint_exists_only_in_dev_mode() {
    let app = spawn_app().await;
    let reply = app.request(Method::GET, "/auth/token", None, None).await;
    reply.error(404);

    let dev = spawn_app_with(&[("TAICHU_DEV_MODE", "true")]).await;
    let reply = dev.request(Method::GET, "/auth/token", None, None).await;
    let token = reply.data()["token"].as_str().expect("token").to_owned();
    assert_eq!(dev.get("/auth/profile", &token).await.data()["username"], "admin");
}

#[tokio::test]
async fn default_admin_password_is_admin_when_unset_and_secret_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app_with(&[("TAICHU_ADMIN_PASSWORD", "")]).await;
    app.tokens("admin", "admin").await;
    assert!(
        app.log().contains("TAICHU_ADMIN_PASSWORD is not set"),
        "a warning is logged:\n{}",
        app.log()
    );
    assert!(
        !app.data_dir.path().join("jwt_secret").exists(),
        "a configured secret must not be written to disk"
    );

    let generated = spawn_app_with(&[("TAICHU_JWT_SECRET", "")]).await;
    generated.admin_token().await;
    let meta = std::fs::metadata(generated.data_dir.path().join("jwt_secret")).expect("secret file");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
}
