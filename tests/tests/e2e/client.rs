//! The generated Python client (clients/python) driving real work: a user's
//! script (tests/python/drive_client.py) against the real program in its
//! production shape (an API process and two workers, Redis, S3, and
//! PostgreSQL in the PostgreSQL pass), a real sshd and the test Kubernetes
//! API server, through the client only.

use serde_json::Value;
use taichu_tests::apiserver::TestApiServer;
use taichu_tests::app::ADMIN_PASSWORD;
use taichu_tests::python;
use taichu_tests::redis::RedisServer;
use taichu_tests::s3::S3Server;
use taichu_tests::sshd::{SshHost, TEST_PASSWORD, TEST_USER};

const WORKLOAD: &str = r"
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {mode: production, replicas: '3'}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: shop}
type: Opaque
data: {password: c2VjcmV0LWZyb20tcHl0aG9u}
";

#[tokio::test(flavor = "multi_thread")]
async fn the_generated_python_client_drives_a_backup_and_restore_end_to_end() {
    let Some(python) = python::python() else {
        return;
    };
    let Some(host) = SshHost::start() else {
        return;
    };
    let (Some(redis), Some(s3)) = (RedisServer::start(), S3Server::start()) else {
        return;
    };
    // The production shape: an API process and two workers on Redis and S3
    // (and PostgreSQL in the PostgreSQL pass).
    s3.create_bucket("client-backups");
    let mut env: Vec<(String, String)> = s3.env("client-backups");
    env.push(("QUEUE_URL".into(), redis.url()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = taichu_tests::app::spawn("api", &env);
    let _workers = [app.spawn_worker("worker-1", &env), app.spawn_worker("worker-2", &env)];
    let server = TestApiServer::start("python-token").await;
    server.seed_yaml(WORKLOAD).expect("workload");
    server.add_node("node-1", true);
    let kubeconfig = tempfile::NamedTempFile::new().expect("kubeconfig file");
    std::fs::write(kubeconfig.path(), server.kubeconfig("python-token")).expect("kubeconfig");
    let lose = r#"["/api/v1/namespaces/shop/configmaps/settings", "/api/v1/namespaces/shop/secrets/creds"]"#;
    let env = [
        ("TAICHU_URL", app.base.clone()),
        ("TAICHU_ADMIN_PASSWORD", ADMIN_PASSWORD.to_owned()),
        ("SSH_IP", host.ip.clone()),
        ("SSH_PORT", host.port.to_string()),
        ("SSH_USER", TEST_USER.to_owned()),
        ("SSH_PASSWORD", TEST_PASSWORD.to_owned()),
        ("KUBECONFIG_PATH", kubeconfig.path().display().to_string()),
        ("LOSE", lose.to_owned()),
    ];
    let seen = python::run(
        python,
        "drive_client.py",
        env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
    )
    .await;

    assert_eq!(seen["nodes"], serde_json::json!(["node-1"]), "{seen}");
    // The sshd host is this machine: the check read its os-release over SSH.
    let release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let pretty = release
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_owned());
    assert_eq!(seen["machine_os"].as_str().map(str::to_owned), pretty, "{seen}");
    assert_eq!(
        seen["objects_backed_up"], 3,
        "the namespace, the config map and the secret: {seen}"
    );
    assert_eq!(seen["objects_restored"], 2, "the two lost objects: {seen}");
    let actions: Vec<&str> = seen["audit_actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for action in [
        "LOGIN",
        "REFRESH",
        "CREATE_MACHINE",
        "IMPORT_CLUSTER",
        "CREATE_BACKUP",
        "RESTORE_BACKUP",
    ] {
        assert!(actions.contains(&action), "the audit log records {action}: {actions:?}");
    }
    // The archive is in the bucket, and no secret value is readable there or in the program's log.
    let stored = s3.list("client-backups", "");
    assert!(!stored.is_empty(), "the backup is in S3");
    for key in &stored {
        let bytes = s3.get("client-backups", key);
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("secret-from-python") && !text.contains("c2VjcmV0LWZyb20tcHl0aG9u"),
            "{key}"
        );
    }
    assert!(!app.log().contains("secret-from-python"));
}
