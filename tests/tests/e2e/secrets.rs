//! After real work in the production shape (an API process and two workers,
//! Redis, S3, and PostgreSQL in the PostgreSQL pass), no credential is
//! readable anywhere Taichu writes: its answers, every process's log, the
//! raw database, or the bucket.

use reqwest::Method;
use serde_json::{Value, json};
use taichu_tests::apiserver::TestApiServer;
use taichu_tests::app::{ADMIN_PASSWORD, Reply};
use taichu_tests::endpoints::b64;
use taichu_tests::redis::RedisServer;
use taichu_tests::s3::S3Server;
use taichu_tests::sshd::{SshHost, TEST_PASSWORD};

const KUBE_TOKEN: &str = "scan-kube-token-5d1f0c7e9a2b";
const USER_PASSWORD: &str = "scan-user-password-83c1e6";
const K8S_SECRET: &str = "scan-k8s-secret-value-4471";

/// Answers the test received, each with what it was.
#[derive(Default)]
struct Transcript(Vec<(String, String)>);

impl Transcript {
    fn keep(&mut self, what: &str, reply: &Reply) -> Value {
        self.0.push((what.to_owned(), reply.body.to_string()));
        reply.body["data"].clone()
    }
}

/// Where each secret turned up, as `secret in place`.
fn findings(secrets: &[(&str, String)], place: &str, text: &str, allowed: &[&str]) -> Vec<String> {
    secrets
        .iter()
        .filter(|(_, value)| !allowed.contains(&value.as_str()) && text.contains(value.as_str()))
        .map(|(name, _)| format!("{name} in {place}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_is_readable_in_answers_logs_the_database_or_the_bucket() {
    let (Some(password_host), Some(key_host)) = (SshHost::start(), SshHost::start()) else {
        return;
    };
    let (Some(redis), Some(s3)) = (RedisServer::start(), S3Server::start()) else {
        return;
    };
    s3.create_bucket("scan");
    let mut env: Vec<(String, String)> = s3.env("scan");
    env.extend([
        ("QUEUE_URL".into(), redis.url()),
        ("TAICHU_LOG_FORMAT".into(), "json".into()),
        // Our own crates at debug: the most a support request would ask an operator to turn on.
        (
            "RUST_LOG".into(),
            "info,taichu_api=debug,taichu_workflows=debug,taichu_workers=debug,taichu_storage=debug".into(),
        ),
    ]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = taichu_tests::app::spawn("api", &env);
    let workers = [app.spawn_worker("worker-1", &env), app.spawn_worker("worker-2", &env)];
    let mut seen = Transcript::default();

    // Tokens: a login and a refresh (whose answers alone may hold what they issue).
    let login = app.login("admin", ADMIN_PASSWORD).await;
    let issued = seen.keep("login", &login);
    let (access1, refresh1) = (
        issued["token"].as_str().expect("token"),
        issued["refresh_token"].as_str().expect("refresh"),
    );
    let refreshed = app
        .request(
            Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh1})),
        )
        .await;
    let issued = seen.keep("refresh", &refreshed);
    let admin = issued["token"].as_str().expect("token").to_owned();
    let refresh2 = issued["refresh_token"].as_str().expect("refresh").to_owned();
    let registered = app
        .request(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"username": "scanner", "password": USER_PASSWORD, "email": "scanner@example.com"})),
        )
        .await;
    seen.keep("register", &registered);

    // Machines: one by password, one by private key, both checked over SSH.
    let key = key_host.client_key.clone();
    let key_line = key.lines().nth(1).expect("key body line").to_owned();
    let mut machines = Vec::new();
    for (name, host, auth) in [
        ("scan-pw", &password_host, json!({"password": TEST_PASSWORD})),
        ("scan-key", &key_host, json!({"private_key": key})),
    ] {
        let reply = app
            .post(
                "/machines",
                &admin,
                taichu_tests::endpoints::machine_body(name, host, auth),
            )
            .await;
        let id = seen.keep("create machine", &reply)["id"]
            .as_str()
            .expect("id")
            .to_owned();
        app.wait_machine(&admin, &id, "ready").await;
        machines.push(id);
    }

    // A cluster imported by kubeconfig, holding a Secret; backed up to S3 and restored.
    let server = TestApiServer::start(KUBE_TOKEN).await;
    server.add_node("node-1", true);
    server
        .seed_yaml(&format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: vault}}\n---\napiVersion: v1\nkind: Secret\nmetadata: {{name: db, namespace: vault}}\ntype: Opaque\ndata: {{password: {}}}\n",
            b64(K8S_SECRET)
        ))
        .expect("workload");
    let reply = app
        .post(
            "/clusters/import",
            &admin,
            json!({"name": "scanned", "kubeconfig": b64(&server.kubeconfig(KUBE_TOKEN))}),
        )
        .await;
    let import = seen.keep("import", &reply);
    let cluster = import["cluster_id"].as_str().expect("cluster").to_owned();
    let import_id = import["id"].as_str().expect("import").to_owned();
    assert_eq!(app.wait_import(&admin, &import_id).await["status"], "completed");
    let backup = app
        .backup_with(
            &admin,
            &cluster,
            json!({"backup_name": "scan", "backup_type": "resources"}),
        )
        .await;
    assert_eq!(backup["status"], "completed", "{backup}");
    let backup_id = backup["id"].as_str().expect("backup").to_owned();
    let restore = app
        .restore_with(&admin, &cluster, &backup_id, json!({"restore_name": "scan"}))
        .await;
    assert_eq!(restore["status"], "completed", "{restore}");

    // Every view an operator or a user would open afterwards.
    let mut paths = vec![
        "/auth/profile".to_owned(),
        "/users".into(),
        "/machines".into(),
        "/clusters".into(),
        "/clusters/imports".into(),
        format!("/imports/{import_id}/status"),
        format!("/clusters/{cluster}"),
        format!("/clusters/{cluster}/backups"),
        format!("/clusters/{cluster}/backups/{backup_id}"),
        format!("/clusters/{cluster}/backups/{backup_id}/contents"),
        format!("/clusters/{cluster}/audit?limit=100"),
        "/backups".into(),
        "/audit?limit=100".into(),
    ];
    paths.extend(machines.iter().map(|id| format!("/machines/{id}")));
    let runs = app.get("/workflows?limit=100", &admin).await;
    for run in seen.keep("workflows", &runs)["workflows"].as_array().expect("runs") {
        paths.push(format!("/workflows/{}?log_limit=1000", run["id"].as_str().expect("id")));
    }
    for path in &paths {
        let reply = app.get(path, &admin).await;
        assert_eq!(reply.status, 200, "GET {path}: {}", reply.body);
        seen.keep(path, &reply);
    }

    let secrets: Vec<(&str, String)> = vec![
        ("the SSH password", TEST_PASSWORD.to_owned()),
        ("the private key", key_line),
        ("the kubeconfig token", KUBE_TOKEN.to_owned()),
        ("the S3 secret key", s3.secret_key().to_owned()),
        ("the admin password", ADMIN_PASSWORD.to_owned()),
        ("a user's password", USER_PASSWORD.to_owned()),
        ("the first access token", access1.to_owned()),
        ("the refreshed access token", admin.clone()),
        ("the first refresh token", refresh1.to_owned()),
        ("the second refresh token", refresh2.clone()),
    ];
    // The scan sees what it looks for: the login's own answer holds the tokens it issued.
    assert_eq!(
        findings(&secrets, "login", &seen.0[0].1, &[]).len(),
        2,
        "{}",
        seen.0[0].1
    );
    let mut found = Vec::new();
    for (what, body) in &seen.0 {
        let allowed: Vec<&str> = match what.as_str() {
            "login" => vec![access1, refresh1],
            "refresh" => vec![admin.as_str(), refresh2.as_str()],
            _ => vec![],
        };
        found.extend(findings(&secrets, &format!("the answer to {what}"), body, &allowed));
    }
    found.extend(findings(&secrets, "the api log", &app.log(), &[]));
    for (worker, name) in workers.iter().zip(["worker-1", "worker-2"]) {
        let log = std::fs::read_to_string(&worker.log).expect("worker log");
        assert!(!log.is_empty(), "{name} logged");
        found.extend(findings(&secrets, &format!("the {name} log"), &log, &[]));
    }
    let stored = String::from_utf8_lossy(&app.stored_bytes()).into_owned();
    assert!(stored.contains("scan-pw"), "the database dump holds the machine rows");
    found.extend(findings(&secrets, "the database", &stored, &[]));
    let mut in_bucket = secrets.clone();
    in_bucket.extend([
        ("the Kubernetes Secret", K8S_SECRET.to_owned()),
        ("the Kubernetes Secret (base64)", b64(K8S_SECRET)),
    ]);
    let objects = s3.list("scan", "");
    assert!(!objects.is_empty(), "the backup is in the bucket");
    for key in &objects {
        let bytes = s3.get("scan", key);
        found.extend(findings(
            &in_bucket,
            &format!("s3://scan/{key}"),
            &String::from_utf8_lossy(&bytes),
            &[],
        ));
    }
    assert!(
        found.is_empty(),
        "secrets readable after {} answers, 3 logs, the database and {} objects: {found:#?}",
        seen.0.len(),
        objects.len()
    );
}
