//! Seed section 审计接口: mutations are recorded with the caller taken from the token.

use serde_json::json;
use taichu_tests::spawn_app;

#[tokio::test]
async fn mutations_are_audited_with_the_username_from_the_token() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (grace_id, grace) = app.user("grace").await;
    app.put(
        &format!("/users/{grace_id}"),
        &grace,
        json!({"email": "grace@example.net", "username": "admin"}),
    )
    .await
    .data();
    app.put(&format!("/users/{grace_id}"), &grace, json!({"role": "admin"}))
        .await
        .error(403);

    let updates = app.audit_rows(&admin, "&action=UPDATE_USER&username=grace").await;
    assert_eq!(updates.len(), 2, "{updates:?}");
    for row in &updates {
        assert_eq!(row["username"], "grace");
        assert_eq!(row["user_id"], grace_id.as_str());
        assert_eq!(row["resource_type"], "user");
        assert_eq!(row["resource_id"], grace_id.as_str());
        assert_eq!(row["client_addr"], "127.0.0.1");
    }
    let results: Vec<_> = updates
        .iter()
        .map(|r| (r["result"].clone(), r["status_code"].clone()))
        .collect();
    assert!(results.contains(&(json!("success"), json!(200))));
    assert!(results.contains(&(json!("failure"), json!(403))));

    let registered = app.audit_rows(&admin, "&action=REGISTER").await;
    assert_eq!(registered.len(), 1);
    assert_eq!(registered[0]["resource_id"], grace_id.as_str());
    assert_eq!(registered[0]["username"], "grace", "the row names the new account");
    assert_eq!(registered[0]["user_id"], grace_id.as_str());
    assert_eq!(
        registered[0]["details"], "registered account 'grace' with role viewer",
        "{}",
        registered[0]
    );
    assert_eq!(registered[0]["source"], "api");
    let logins = app.audit_rows(&admin, "&action=LOGIN&username=grace").await;
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0]["result"], "success");
}

#[tokio::test]
async fn failed_logins_are_audited_without_claiming_an_actor() {
    let app = spawn_app().await;
    app.login("admin", "guess-1").await.error(401);
    let admin = app.admin_token().await;
    let failures: Vec<_> = app
        .audit_rows(&admin, "&action=LOGIN")
        .await
        .into_iter()
        .filter(|r| r["result"] == "failure")
        .collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["status_code"], 401);
    assert!(
        failures[0]["username"].is_null(),
        "a failed login proves no identity: {}",
        failures[0]
    );
    assert_eq!(failures[0]["details"], "failed login for username 'admin'");
}

#[tokio::test]
async fn client_entries_cannot_be_forged_and_listing_is_admin_only() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (heidi_id, heidi) = app.user("heidi").await;
    let body = json!({"action": "DEPLOY", "resource_type": "cluster", "resource_id": "c-1", "details": "rolled out", "username": "admin", "user_id": "x"});
    let created = app.post("/audit", &heidi, body).await;
    assert_eq!(created.data()["username"], "heidi");
    assert_eq!(created.data()["user_id"], heidi_id.as_str());
    assert_eq!(created.data()["source"], "client", "a client's entry says so");

    let deploys = app.audit_rows(&admin, "&action=DEPLOY").await;
    assert_eq!(deploys.len(), 1, "the POST itself is not recorded twice: {deploys:?}");
    assert_eq!(deploys[0]["details"], "rolled out");

    assert!(
        app.post("/audit", &heidi, json!({"action": "", "resource_type": "x"}))
            .await
            .error(400)
            .contains("action")
    );
    assert!(
        app.post("/audit", &heidi, json!({"action": "A", "resource_type": "x y"}))
            .await
            .error(400)
            .contains("resource_type")
    );
    app.get("/audit", &heidi).await.error(403);
}

#[tokio::test]
async fn filters_by_user_action_type_and_time() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let before = chrono::Utc::now();
    app.register("ivan").await;
    app.tokens("ivan", "password-ivan").await;
    let all = app.audit_rows(&admin, "").await;
    assert!(all.len() >= 3, "{all:?}");
    let since = app
        .audit_rows(&admin, &format!("&since={}", before.to_rfc3339().replace('+', "%2B")))
        .await;
    assert!(
        since
            .iter()
            .all(|r| r["username"] == "ivan" || r["action"] == "REGISTER"),
        "{since:?}"
    );
    assert!(since.len() >= 2);
    let until = app
        .audit_rows(&admin, &format!("&until={}", before.to_rfc3339().replace('+', "%2B")))
        .await;
    assert!(until.iter().all(|r| r["username"] == "admin"), "{until:?}");
    let by_type = app.audit_rows(&admin, "&resource_type=user&username=ivan").await;
    assert!(!by_type.is_empty() && by_type.iter().all(|r| r["username"] == "ivan"));
    app.get("/audit?since=yesterday", &admin).await.error(400);

    // Newest first.
    let stamps: Vec<String> = all
        .iter()
        .map(|r| r["timestamp"].as_str().expect("ts").to_owned())
        .collect();
    let mut sorted = stamps.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(stamps, sorted);

    let created = app
        .post("/clusters", &admin, serde_json::json!({"name": "audited"}))
        .await;
    let cluster_id = created.data()["id"].as_str().expect("id").to_owned();
    let trail = app.get(&format!("/clusters/{cluster_id}/audit"), &admin).await;
    assert_eq!(trail.data()["total"], 1, "{}", trail.body);
    assert_eq!(trail.data()["audit_logs"][0]["action"], "CREATE_CLUSTER");
    app.get("/clusters/0193a9f6-0000-7000-8000-00000000abcd/audit", &admin)
        .await
        .error(404);
}
