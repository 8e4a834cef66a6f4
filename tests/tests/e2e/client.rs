//! The generated Python client (clients/python) driving real work: a user's
//! script (tests/python/drive_client.py) against the real program, a real
//! sshd and the test Kubernetes API server, through the client only.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use taichu_tests::apiserver::TestApiServer;
use taichu_tests::app::ADMIN_PASSWORD;
use taichu_tests::spawn_app;
use taichu_tests::sshd::{SshHost, TEST_PASSWORD, TEST_USER};

/// The venv scripts/lib/services.sh `ensure_api_tools` fills.
fn api_python() -> Option<PathBuf> {
    let dir = std::env::var("TAICHU_API_TOOLS").unwrap_or_else(|_| "/opt/taichu-api-tools".into());
    let python = Path::new(&dir).join("bin/python");
    python.exists().then_some(python)
}

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
    let Some(python) = api_python() else {
        assert!(taichu_tests::skip(
            "the API tools venv (scripts/lib/services.sh ensure_api_tools)"
        ));
        return;
    };
    let Some(host) = SshHost::start() else {
        return;
    };
    let app = spawn_app().await;
    let server = TestApiServer::start("python-token").await;
    server.seed_yaml(WORKLOAD).expect("workload");
    server.add_node("node-1", true);
    let kubeconfig = tempfile::NamedTempFile::new().expect("kubeconfig file");
    std::fs::write(kubeconfig.path(), server.kubeconfig("python-token")).expect("kubeconfig");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let lose = r#"["/api/v1/namespaces/shop/configmaps/settings", "/api/v1/namespaces/shop/secrets/creds"]"#;

    let out = tokio::task::spawn_blocking({
        let root = root.clone();
        let base = app.base.clone();
        let (ip, port) = (host.ip.clone(), host.port.to_string());
        let kubeconfig = kubeconfig.path().to_owned();
        move || {
            Command::new(python)
                .arg(root.join("tests/python/drive_client.py"))
                .env("PYTHONPATH", root.join("clients/python"))
                .env("TAICHU_URL", base)
                .env("TAICHU_ADMIN_PASSWORD", ADMIN_PASSWORD)
                .env("SSH_IP", ip)
                .env("SSH_PORT", port)
                .env("SSH_USER", TEST_USER)
                .env("SSH_PASSWORD", TEST_PASSWORD)
                .env("KUBECONFIG_PATH", kubeconfig)
                .env("LOSE", lose)
                .output()
                .expect("python")
        }
    })
    .await
    .expect("join");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the client script failed:\n{stderr}");
    let seen: Value = serde_json::from_slice(&out.stdout).expect("the script's summary");
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
    // Nothing the script sent or read leaks the secret into the program's log.
    assert!(!app.log().contains("secret-from-python"));
}
