//! User management: admin-only listing, self-service limits, last-admin rules.

use reqwest::Method;
use serde_json::json;
use taichu_tests::app::ADMIN_PASSWORD;
use taichu_tests::spawn_app;

#[tokio::test]
async fn listing_is_admin_only_and_paginated() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for name in ["u-one", "u-two", "u-three"] {
        app.register(name).await;
    }
    let page = app.get("/users?page=1&limit=2", &admin).await;
    assert_eq!(page.data()["total"], 4);
    assert_eq!(page.data()["users"].as_array().map(Vec::len), Some(2));
    let last = app.get("/users?page=2&limit=2", &admin).await;
    assert_eq!(last.data()["users"].as_array().map(Vec::len), Some(2));
    let names: Vec<_> = last.data()["users"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| u["username"].clone())
        .collect();
    assert_eq!(names, vec![json!("u-two"), json!("u-three")]);
    assert!(app.get("/users?limit=101", &admin).await.error(400).contains("limit"));
    assert!(app.get("/users?page=0", &admin).await.error(400).contains("page"));
    assert!(app.get("/users?limit=abc", &admin).await.error(400).contains("limit"));

    let (_, user) = app.user("u-four").await;
    app.get("/users", &user).await.error(403);
}

#[tokio::test]
async fn users_read_and_edit_themselves_but_not_others_or_their_role() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (alice_id, alice) = app.user("alice").await;
    let (bob_id, _) = app.user("bob").await;

    assert_eq!(
        app.get(&format!("/users/{alice_id}"), &alice).await.data()["username"],
        "alice"
    );
    app.get(&format!("/users/{bob_id}"), &alice).await.error(403);
    app.put(&format!("/users/{bob_id}"), &alice, json!({"email": "x@example.com"}))
        .await
        .error(403);

    let own = app
        .put(
            &format!("/users/{alice_id}"),
            &alice,
            json!({"email": "alice@new.example.org"}),
        )
        .await;
    assert_eq!(own.data()["email"], "alice@new.example.org");
    let escalate = app
        .put(&format!("/users/{alice_id}"), &alice, json!({"role": "admin"}))
        .await;
    assert!(escalate.error(403).contains("role"));
    assert_eq!(
        app.get(&format!("/users/{alice_id}"), &admin).await.data()["role"],
        "user"
    );
    assert!(
        app.put(&format!("/users/{alice_id}"), &alice, json!({"email": "nope"}))
            .await
            .error(400)
            .contains("email")
    );
    assert!(
        app.put(&format!("/users/{alice_id}"), &admin, json!({"role": "root"}))
            .await
            .error(400)
            .contains("role")
    );

    // An admin promotes; the new role applies to the user's existing token at once.
    app.put(&format!("/users/{alice_id}"), &admin, json!({"role": "admin"}))
        .await
        .data();
    app.get("/users", &alice).await.data();
    app.get("/users/0193a9f6-0000-7000-8000-00000000abcd", &admin)
        .await
        .error(404);
}

#[tokio::test]
async fn password_changes_need_the_old_password_for_yourself_and_revoke_refresh_tokens() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (id, _) = app.user("dave").await;
    let (token, refresh) = app.tokens("dave", "password-dave").await;
    let path = format!("/users/{id}/password");

    assert!(
        app.put(&path, &token, json!({"new_password": "new-password-1"}))
            .await
            .error(400)
            .contains("old_password")
    );
    assert!(
        app.put(
            &path,
            &token,
            json!({"old_password": "wrong", "new_password": "new-password-1"})
        )
        .await
        .error(400)
        .contains("old_password")
    );
    assert!(
        app.put(
            &path,
            &token,
            json!({"old_password": "password-dave", "new_password": "short"})
        )
        .await
        .error(400)
        .contains("new_password")
    );
    app.put(
        &path,
        &token,
        json!({"old_password": "password-dave", "new_password": "new-password-1"}),
    )
    .await
    .data();
    app.login("dave", "password-dave").await.error(401);
    app.tokens("dave", "new-password-1").await;
    app.request(
        Method::POST,
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": refresh})),
    )
    .await
    .error(401);

    // An admin resets without the old password.
    app.put(&path, &admin, json!({"new_password": "reset-by-admin"}))
        .await
        .data();
    app.tokens("dave", "reset-by-admin").await;
}

#[tokio::test]
async fn deletion_is_admin_only_and_keeps_the_last_admin() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let admin_id = app.login("admin", ADMIN_PASSWORD).await.data()["user"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let (eve_id, eve) = app.user("eve").await;

    app.delete(&format!("/users/{admin_id}"), &eve).await.error(403);
    assert!(
        app.delete(&format!("/users/{admin_id}"), &admin)
            .await
            .error(409)
            .contains("last admin")
    );
    assert!(
        app.put(&format!("/users/{admin_id}"), &admin, json!({"role": "user"}))
            .await
            .error(409)
            .contains("last admin")
    );

    app.delete(&format!("/users/{eve_id}"), &admin).await.data();
    app.get("/auth/profile", &eve).await.error(401);
    app.get(&format!("/users/{eve_id}"), &admin).await.error(404);
    app.delete(&format!("/users/{eve_id}"), &admin).await.error(404);

    // With a second admin, the first may go.
    let (frank_id, _) = app.user("frank").await;
    app.put(&format!("/users/{frank_id}"), &admin, json!({"role": "admin"}))
        .await
        .data();
    app.delete(&format!("/users/{admin_id}"), &admin).await.data();
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_edits_all_succeed() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (carol_id, _) = app.user("carol").await;
    let edits = (0..24).map(|i| {
        let (app, admin, path) = (&app, &admin, format!("/users/{carol_id}"));
        let role = if i % 2 == 0 { "admin" } else { "user" };
        async move {
            app.put(
                &path,
                admin,
                json!({"role": role, "email": format!("c{i}@example.com")}),
            )
            .await
        }
    });
    for reply in futures::future::join_all(edits).await {
        // On SQLite a read-then-write transaction that does not take the
        // write lock first fails with SQLITE_BUSY when another one commits.
        reply.data();
    }
    let carol = app.get(&format!("/users/{carol_id}"), &admin).await.data().clone();
    assert!(carol["email"].as_str().is_some_and(|e| e.ends_with("@example.com")));
}
