//! The authorization matrix: every operation in the served spec, called with
//! no token, a malformed, an expired and a revoked one, and as a viewer, a
//! user who does not own the object, its owner, and an admin. An operation
//! the matrix does not list fails the test, so a new route is covered the
//! day it is added.

use std::collections::BTreeMap;

use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};
use taichu_tests::app::ADMIN_PASSWORD;
use taichu_tests::{TestApp, kubeconfig, plant, spawn_app};

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone, without a token.
    Public,
    /// Any signed-in account, viewers included.
    Signed,
    /// Accounts that may change things: users and admins.
    Writer,
    /// The object's owner (or the user themself) and admins.
    Owner,
    /// Admins only.
    Admin,
}

/// Every operation: its access, and a body that gets past parsing.
fn matrix() -> BTreeMap<&'static str, (Access, Value)> {
    use Access::*;
    let none = Value::Null;
    BTreeMap::from([
        ("POST /auth/login", (Public, json!({"username": "x", "password": "y"}))),
        ("POST /auth/register", (Public, json!({}))),
        ("POST /auth/refresh", (Public, json!({"refresh_token": "x"}))),
        ("GET /auth/token", (Public, none.clone())),
        ("GET /auth/profile", (Signed, none.clone())),
        ("POST /auth/logout", (Signed, none.clone())),
        ("GET /users", (Admin, none.clone())),
        ("GET /users/{id}", (Owner, none.clone())),
        ("PUT /users/{id}", (Owner, json!({}))),
        ("DELETE /users/{id}", (Admin, none.clone())),
        (
            "PUT /users/{id}/password",
            (
                Owner,
                json!({"old_password": "wrong-old", "new_password": "password-owner"}),
            ),
        ),
        ("GET /audit", (Admin, none.clone())),
        (
            "POST /audit",
            (Writer, json!({"action": "CHECKED", "resource_type": "matrix"})),
        ),
        ("GET /clusters/{id}/audit", (Owner, none.clone())),
        ("GET /workflows", (Signed, none.clone())),
        ("GET /workflows/{id}", (Signed, none.clone())),
        ("POST /workflows/{id}/cancel", (Owner, none.clone())),
        ("POST /workflows/canary", (Admin, json!({"steps": 1}))),
        ("GET /create-tasks", (Signed, none.clone())),
        ("GET /create-tasks/{task_id}", (Signed, none.clone())),
        ("POST /machines", (Writer, json!({}))),
        ("GET /machines", (Signed, none.clone())),
        ("GET /machines/{id}", (Signed, none.clone())),
        ("PUT /machines/{id}", (Owner, json!({"description": "matrix"}))),
        ("DELETE /machines/{id}", (Owner, none.clone())),
        ("PUT /machines/{id}/status", (Owner, json!({"status": "maintenance"}))),
        ("POST /machines/{id}/check", (Owner, none.clone())),
        ("POST /clusters", (Writer, json!({}))),
        ("GET /clusters", (Signed, none.clone())),
        ("GET /clusters/topology", (Signed, none.clone())),
        ("GET /clusters/{id}", (Signed, none.clone())),
        ("DELETE /clusters/{id}", (Owner, none.clone())),
        ("POST /clusters/import", (Writer, json!({}))),
        ("POST /clusters/create", (Writer, json!({}))),
        ("POST /clusters/{id}/expansion", (Owner, json!({}))),
        ("GET /clusters/{id}/expansion/history", (Signed, none.clone())),
        (
            "PUT /clusters/{id}/control-plane-machine",
            (Owner, json!({"machine_id": "none"})),
        ),
        ("POST /create-tasks/{task_id}/retry", (Writer, none.clone())),
        ("GET /clusters/imports", (Signed, none.clone())),
        ("GET /imports/{import_id}/status", (Signed, none.clone())),
        ("GET /clusters/{id}/nodes", (Signed, none.clone())),
        ("GET /clusters/{id}/nodes/{node_name}", (Signed, none.clone())),
        ("GET /clusters/{id}/events", (Signed, none.clone())),
        ("GET /clusters/{id}/security-policies", (Signed, none.clone())),
        ("GET /clusters/{id}/autoscaling-policies", (Signed, none.clone())),
        ("GET /clusters/{id}/etcd", (Signed, none.clone())),
        ("PUT /clusters/{id}/etcd", (Owner, json!({}))),
        ("POST /clusters/{id}/etcd/backups", (Owner, json!({"backup_name": "m"}))),
        ("GET /clusters/{id}/etcd/backups", (Signed, none.clone())),
        ("GET /clusters/{id}/etcd/backups/{backup_id}", (Signed, none.clone())),
        ("POST /clusters/{id}/backups", (Owner, json!({"backup_name": "m"}))),
        (
            "POST /clusters/{id}/resources/backups",
            (Owner, json!({"backup_name": "m"})),
        ),
        ("GET /clusters/{id}/resources/backups", (Signed, none.clone())),
        ("GET /backups", (Admin, none.clone())),
        ("GET /clusters/{id}/backup-schedules", (Signed, none.clone())),
        (
            "POST /clusters/{id}/backup-schedules",
            (
                Owner,
                json!({"name": "m", "cron_expr": "0 2 * * *", "backup_type": "resources"}),
            ),
        ),
        (
            "GET /clusters/{id}/backup-schedules/{schedule_id}",
            (Signed, none.clone()),
        ),
        (
            "PUT /clusters/{id}/backup-schedules/{schedule_id}",
            (Owner, json!({"enabled": false})),
        ),
        (
            "DELETE /clusters/{id}/backup-schedules/{schedule_id}",
            (Owner, none.clone()),
        ),
        (
            "GET /clusters/{id}/resources/backups/{backup_id}",
            (Signed, none.clone()),
        ),
        (
            "GET /clusters/{id}/backups/{backup_id}/contents",
            (Signed, none.clone()),
        ),
        ("GET /clusters/{id}/backups", (Signed, none.clone())),
        ("GET /clusters/{id}/backups/{backup_id}", (Signed, none.clone())),
        ("DELETE /clusters/{id}/backups/{backup_id}", (Owner, none.clone())),
        ("GET /clusters/{id}/backups/{backup_id}/download", (Owner, none.clone())),
        (
            "POST /clusters/{id}/backups/{backup_id}/restore",
            (Owner, json!({"restore_name": "m"})),
        ),
        (
            "GET /clusters/{id}/backups/{backup_id}/restore/{restore_id}",
            (Signed, none.clone()),
        ),
    ])
}

/// The objects the operations act on, all owned by the `owner` account.
struct Fixtures {
    owner_id: String,
    machine: String,
    cluster: String,
    run: String,
    import: String,
    backup: String,
    restore: String,
    schedule: String,
}

async fn fixtures(app: &TestApp, owner: &str, owner_id: String) -> Fixtures {
    let machine = app
        .post(
            "/machines",
            owner,
            json!({"name": "owned", "ip": "127.0.0.1", "port": 1, "username": "root", "password": "pw", "role": "worker"}),
        )
        .await;
    let run = machine.data()["check_workflow_id"].as_str().expect("run").to_owned();
    let machine = machine.data()["id"].as_str().expect("id").to_owned();
    let cluster = app.post("/clusters", owner, json!({"name": "owned"})).await.data()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let kubeconfig = kubeconfig("https://127.0.0.1:1", "", "    token: t\n");
    let import = app.start_import(owner, "imported", &kubeconfig).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.wait_finished(owner, &run).await;
    // Ended backups of the owner's cluster, made by the owner (no etcd needed to authorize).
    let backup = plant::backup(app, &cluster, &owner_id, "failed").await;
    let restore = plant::restore(app, &backup, &cluster).await;
    let schedule = plant::schedule(app, &cluster).await;
    Fixtures {
        owner_id,
        machine,
        cluster,
        run,
        import,
        backup,
        restore,
        schedule,
    }
}

/// The path with its parameters filled in from the fixtures.
fn concrete(template: &str, f: &Fixtures) -> String {
    let mut out = Vec::new();
    let mut collection = "";
    for segment in template.split('/') {
        let value = match segment {
            "{id}" => match collection {
                "machines" => f.machine.as_str(),
                "clusters" => f.cluster.as_str(),
                "workflows" => f.run.as_str(),
                "users" => f.owner_id.as_str(),
                other => panic!("no fixture for {other}/{{id}}"),
            },
            "{import_id}" => f.import.as_str(),
            "{backup_id}" => f.backup.as_str(),
            "{restore_id}" => f.restore.as_str(),
            "{schedule_id}" => f.schedule.as_str(),
            "{task_id}" => "0193a9f6-0000-7000-8000-00000000abcd",
            "{node_name}" => "n1",
            s if s.starts_with('{') => panic!("no fixture for {s} in {template}"),
            s => {
                collection = s;
                s
            }
        };
        out.push(value.to_owned());
    }
    out.join("/")
}

fn allowed(status: u16) -> bool {
    status != 401 && status != 403
}

async fn call(app: &TestApp, method: &Method, path: &str, token: Option<&str>, body: &Value) -> u16 {
    let body = (!body.is_null()).then(|| body.clone());
    let reply = app.request(method.clone(), path, token, body).await;
    let status = reply.status.as_u16();
    assert!(status < 500, "{method} {path}: {status} {}", reply.body);
    if !allowed(status) {
        reply.error(status);
    }
    status
}

#[tokio::test]
async fn every_operation_answers_every_caller_as_the_matrix_says() {
    let app = spawn_app().await;
    let (owner_id, owner) = app.user("owner").await;
    app.user("other").await;
    app.viewer("viewer").await;
    let fixtures = fixtures(&app, &owner, owner_id.clone()).await;

    let spec: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("spec")
        .json()
        .await
        .expect("json");
    let mut operations = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("operations") {
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            operations.push((format!("{} {path}", method.to_uppercase()), secured));
        }
    }
    let matrix = matrix();
    let listed: Vec<&str> = operations.iter().map(|(op, _)| op.as_str()).collect();
    for (op, _) in &operations {
        assert!(
            matrix.contains_key(op.as_str()),
            "{op} is not in the authorization matrix"
        );
    }
    for op in matrix.keys() {
        assert!(listed.contains(op), "{op} is in the matrix but not in the spec");
    }
    // Deletions last (they remove the fixtures), the deepest first (a backup
    // before its cluster), deleting the owner very last.
    operations.sort_by_key(|(op, _)| {
        (
            op.starts_with("DELETE"),
            op == "DELETE /users/{id}",
            std::cmp::Reverse(op.matches('/').count()),
        )
    });

    let now = Utc::now().timestamp();
    let expired = app.craft_token(&json!({
        "sub": owner_id, "username": "owner", "role": "user", "jti": "j", "sid": "s",
        "iat": now - 7200, "exp": now - 3600
    }));
    let revoked = app.tokens("owner", "password-owner").await.0;
    app.request(Method::POST, "/auth/logout", Some(&revoked), None)
        .await
        .data();

    for (op, secured) in &operations {
        let (access, body) = &matrix[op.as_str()];
        let (method, template) = op.split_once(' ').expect("method and path");
        let method: Method = method.parse().expect("method");
        let path = concrete(template, &fixtures);
        assert_eq!(
            *secured,
            *access != Access::Public,
            "{op}: the spec's security and the matrix disagree"
        );
        if *access == Access::Public {
            let reply = app
                .request(method.clone(), &path, None, (!body.is_null()).then(|| body.clone()))
                .await;
            let message = reply.body["message"].as_str().unwrap_or_default().to_owned();
            assert!(reply.status.as_u16() < 500, "{op}: {}", reply.body);
            assert!(
                reply.status != 403 && !message.contains("Authorization"),
                "{op} is public: {}",
                reply.body
            );
            continue;
        }
        for (label, token) in [
            ("no token", None),
            ("malformed", Some("not-a-jwt")),
            ("expired", Some(expired.as_str())),
            ("revoked", Some(revoked.as_str())),
        ] {
            assert_eq!(call(&app, &method, &path, token, body).await, 401, "{op} with {label}");
        }
        // Fresh tokens for each operation: logout and password changes end sessions.
        let viewer = app.tokens("viewer", "password-viewer").await.0;
        let other = app.tokens("other", "password-other").await.0;
        let owner = app.tokens("owner", "password-owner").await.0;
        let admin = app.tokens("admin", ADMIN_PASSWORD).await.0;
        let expected = |role: &str| match (access, role) {
            (Access::Signed, _) => true,
            (Access::Writer, role) => role != "viewer",
            (Access::Owner, role) => role == "owner" || role == "admin",
            (Access::Admin, role) => role == "admin",
            (Access::Public, _) => unreachable!(),
        };
        for (role, token) in [
            ("viewer", &viewer),
            ("other", &other),
            ("owner", &owner),
            ("admin", &admin),
        ] {
            let status = call(&app, &method, &path, Some(token), body).await;
            assert_eq!(
                allowed(status),
                expected(role),
                "{op} as {role}: {status} (expected {})",
                if expected(role) { "allowed" } else { "403" }
            );
            if !expected(role) {
                assert_eq!(status, 403, "{op} as {role}");
            }
        }
    }
}
