//! One helper per endpoint family, on [`TestApp`]: what the test files would
//! otherwise each write again (create a machine on a test host, import a
//! cluster from a test API server, wait for a run).

use std::time::Duration;

use serde_json::{Value, json};

use crate::TestApp;
use crate::sshd::{SshHost, TEST_USER};

/// How long a test waits for a run or an object by default.
pub const WAIT: Duration = Duration::from_secs(60);

/// Base64 of `text`, as the API takes kubeconfigs.
pub fn b64(text: &str) -> String {
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, text)
}

/// A kubeconfig for `server` with extra lines under its cluster (indented
/// four spaces) and the user's credential lines.
pub fn kubeconfig(server: &str, cluster_extra: &str, user: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: {server}\n{cluster_extra}contexts:\n- name: c\n  context:\n    cluster: k\n    user: u\nusers:\n- name: u\n  user:\n{user}"
    )
}

/// A machine on `host` as the test account, with `auth` (a password or a key) merged in.
pub fn machine_body(name: &str, host: &SshHost, auth: Value) -> Value {
    let mut body = json!({"name": name, "ip": host.ip, "port": host.port, "username": TEST_USER, "role": "worker",
                          "labels": {"zone": "a"}, "description": "test host"});
    if let (Some(body), Some(auth)) = (body.as_object_mut(), auth.as_object()) {
        body.extend(auth.clone());
    }
    body
}

/// Peak resident memory of process `pid` so far (`VmHWM`), in bytes.
pub fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace()
        .nth(1)
        .and_then(|kib| kib.parse::<u64>().ok())
        .expect("kib")
        * 1024
}

fn finished(run: &Value) -> bool {
    !matches!(run["status"].as_str(), Some("pending" | "running"))
}

impl TestApp {
    /// `POST /machines` for `host`; returns the created machine (with `check_workflow_id`).
    pub async fn create_machine(&self, token: &str, name: &str, host: &SshHost, auth: Value) -> Value {
        self.post("/machines", token, machine_body(name, host, auth))
            .await
            .data()
            .clone()
    }

    /// Polls `GET /machines/{id}` until its status is `status`.
    pub async fn wait_machine(&self, token: &str, id: &str, status: &str) -> Value {
        self.poll(&format!("/machines/{id}"), token, WAIT, |m| m["status"] == status)
            .await
    }

    /// Polls a workflow run (with up to 1000 log lines) until it is no longer pending or running.
    pub async fn wait_finished(&self, token: &str, id: &str) -> Value {
        self.wait_run_until(token, id, WAIT, finished).await
    }

    /// Polls a workflow run until `done` holds, for `within` at most.
    pub async fn wait_run_until(
        &self,
        token: &str,
        id: &str,
        within: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        self.poll(&format!("/workflows/{id}?log_limit=1000"), token, within, done)
            .await
    }

    /// `POST /clusters/import` of `kubeconfig` as `name`; returns the started import.
    pub async fn start_import(&self, token: &str, name: &str, kubeconfig: &str) -> Value {
        let body = json!({"name": name, "kubeconfig": b64(kubeconfig)});
        self.post("/clusters/import", token, body).await.data().clone()
    }

    /// Polls `GET /imports/{id}/status` until the import ends.
    pub async fn wait_import(&self, token: &str, id: &str) -> Value {
        self.poll(&format!("/imports/{id}/status"), token, WAIT, finished).await
    }

    /// Imports `kubeconfig` as `name` and waits for the import's end.
    pub async fn import_cluster(&self, token: &str, name: &str, kubeconfig: &str) -> Value {
        let started = self.start_import(token, name, kubeconfig).await;
        self.wait_import(token, started["id"].as_str().expect("import id"))
            .await
    }

    /// `GET /audit` rows (up to 100) matching `query` (`&action=…`).
    pub async fn audit_rows(&self, token: &str, query: &str) -> Vec<Value> {
        let reply = self.get(&format!("/audit?limit=100{query}"), token).await;
        reply.data()["audit_logs"].as_array().expect("audit_logs").clone()
    }
}

/// How long a test waits for a backup or a restore of a small etcd.
pub const BACKUP_WAIT: Duration = Duration::from_secs(240);

/// The etcd settings of a test cluster (the seed's fields plus its members),
/// reached with the test account's password.
pub fn etcd_settings(cluster: &crate::etcd::EtcdCluster) -> Value {
    use crate::etcd::Deployment;
    let first = &cluster.members()[0];
    let members: Vec<Value> = cluster
        .members()
        .iter()
        .map(|m| {
            json!({"name": m.name, "peer_url": m.peer_url, "client_url": m.client_url,
                   "data_dir": m.data_dir, "manifests_dir": m.manifests_dir})
        })
        .collect();
    let (etcd_deployment, k8s_deployment) = match cluster.deployment() {
        Deployment::Systemd => ("standalone", "none"),
        Deployment::Kubeadm => ("kubeadm", "kubeadm"),
    };
    json!({
        "etcd_endpoints": cluster.endpoints().join(","),
        "etcd_ca_cert": cluster.ca_cert(),
        "etcd_cert": cluster.client_cert(),
        "etcd_key": cluster.client_key(),
        "etcd_data_dir": first.data_dir,
        "etcdctl_path": format!("{}/etcdctl", cluster.etcd_bin()),
        "ssh_username": TEST_USER,
        "ssh_password": crate::sshd::TEST_PASSWORD,
        "ssh_port": first.host.port,
        "etcd_deployment_type": etcd_deployment,
        "k8s_deployment_type": k8s_deployment,
        "manifests_dir": first.manifests_dir.clone().unwrap_or_else(|| "/etc/kubernetes/manifests".into()),
        "members": members,
    })
}

impl TestApp {
    /// `POST /clusters/{id}/etcd/backups`; returns the pending backup.
    pub async fn start_backup(&self, token: &str, cluster_id: &str, name: &str) -> Value {
        let body = json!({"backup_name": name, "backup_type": "etcd"});
        let reply = self
            .post(&format!("/clusters/{cluster_id}/etcd/backups"), token, body)
            .await;
        let backup = reply.data().clone();
        assert_eq!(backup["status"], "pending", "{backup}");
        backup
    }

    /// Polls a backup until it is no longer pending or running.
    pub async fn wait_backup(&self, token: &str, cluster_id: &str, backup_id: &str) -> Value {
        let path = format!("/clusters/{cluster_id}/backups/{backup_id}");
        self.poll(&path, token, BACKUP_WAIT, finished).await
    }

    /// Backs up and waits; panics unless the backup completed.
    pub async fn backup(&self, token: &str, cluster_id: &str, name: &str) -> Value {
        let started = self.start_backup(token, cluster_id, name).await;
        let done = self
            .wait_backup(token, cluster_id, started["id"].as_str().expect("id"))
            .await;
        assert_eq!(done["status"], "completed", "{done}");
        done
    }

    /// `POST /clusters/{id}/backups` with `body` (any type, filters); returns the pending backup.
    pub async fn start_backup_with(&self, token: &str, cluster_id: &str, body: Value) -> Value {
        let reply = self.post(&format!("/clusters/{cluster_id}/backups"), token, body).await;
        let backup = reply.data().clone();
        assert_eq!(backup["status"], "pending", "{backup}");
        backup
    }

    /// Starts a backup with `body` and waits for its end, whatever it is.
    pub async fn backup_with(&self, token: &str, cluster_id: &str, body: Value) -> Value {
        let started = self.start_backup_with(token, cluster_id, body).await;
        self.wait_backup(token, cluster_id, started["id"].as_str().expect("id"))
            .await
    }

    /// `POST .../restore`; returns the started restore.
    pub async fn start_restore(&self, token: &str, cluster_id: &str, backup_id: &str, name: &str) -> Value {
        self.start_restore_with(token, cluster_id, backup_id, json!({"restore_name": name}))
            .await
    }

    /// `POST .../restore` with `body` (parts, filters, mappings, target); returns the started restore.
    pub async fn start_restore_with(&self, token: &str, cluster_id: &str, backup_id: &str, body: Value) -> Value {
        let path = format!("/clusters/{cluster_id}/backups/{backup_id}/restore");
        self.post(&path, token, body).await.data().clone()
    }

    /// Restores with `body` and waits for the end, whatever it is.
    pub async fn restore_with(&self, token: &str, cluster_id: &str, backup_id: &str, body: Value) -> Value {
        let started = self.start_restore_with(token, cluster_id, backup_id, body).await;
        self.wait_restore(token, cluster_id, backup_id, started["id"].as_str().expect("id"))
            .await
    }

    /// Polls a restore until it ends.
    pub async fn wait_restore(&self, token: &str, cluster_id: &str, backup_id: &str, restore_id: &str) -> Value {
        let path = format!("/clusters/{cluster_id}/backups/{backup_id}/restore/{restore_id}");
        self.poll(&path, token, BACKUP_WAIT, finished).await
    }
}
