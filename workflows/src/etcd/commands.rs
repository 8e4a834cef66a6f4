//! etcdctl and etcdutl command lines: the program and each flag an argument
//! of its own, quoted by [`RemoteCommand`], never pasted into a shell line.

use taichu_storage::repositories::etcd_settings::{EtcdMember, EtcdSettings};

use crate::ssh::RemoteCommand;

/// How long one etcdctl request may take on the host.
const COMMAND_TIMEOUT: &str = "--command-timeout=30s";
/// For probes of a member that may be down: etcdctl retries a refused
/// connection until its deadline, so a long one makes every probe slow.
const PROBE_TIMEOUTS: [&str; 2] = ["--dial-timeout=1s", "--command-timeout=3s"];

/// Runs `etcdutl` when it is there, else `etcdctl` (etcd 3.4 has no etcdutl),
/// with the rest of the arguments: `$1` etcdutl, `$2` etcdctl.
const UTL_OR_CTL: &str = r#"utl="$1"; ctl="$2"; shift 2
if [ -x "$utl" ]; then exec "$utl" "$@"; fi
ETCDCTL_API=3 exec "$ctl" "$@""#;

/// Commands for one cluster's etcd, with its certificates.
#[derive(Debug, Clone, Copy)]
pub struct Etcdctl<'a> {
    settings: &'a EtcdSettings,
}

impl<'a> Etcdctl<'a> {
    pub fn new(settings: &'a EtcdSettings) -> Self {
        Self { settings }
    }

    /// `etcdctl` with the endpoints, the TLS flags and `timeouts`.
    fn ctl_with(&self, endpoints: &[&str], timeouts: &[&str]) -> RemoteCommand {
        let s = self.settings;
        let mut command = RemoteCommand::new("env")
            .arg("ETCDCTL_API=3")
            .arg(&s.etcdctl_path)
            .arg(format!("--endpoints={}", endpoints.join(",")))
            .args(timeouts);
        if let Some(ca) = &s.ca_cert {
            command = command.arg(format!("--cacert={ca}"));
        }
        if let (Some(cert), Some(key)) = (&s.cert, &s.key) {
            command = command.arg(format!("--cert={cert}")).arg(format!("--key={key}"));
        }
        command
    }

    fn ctl(&self, endpoints: &[&str]) -> RemoteCommand {
        self.ctl_with(endpoints, &[COMMAND_TIMEOUT])
    }

    /// A quick `endpoint health` (the member may be down).
    pub fn health(&self, endpoint: &str) -> RemoteCommand {
        self.ctl_with(&[endpoint], &PROBE_TIMEOUTS)
            .arg("endpoint")
            .arg("health")
    }

    /// A quick `endpoint status -w json` of every endpoint given.
    pub fn status(&self, endpoints: &[&str]) -> RemoteCommand {
        self.ctl_with(endpoints, &PROBE_TIMEOUTS)
            .args(["endpoint", "status", "-w", "json"])
    }

    pub fn member_list(&self, endpoint: &str) -> RemoteCommand {
        self.ctl(&[endpoint]).args(["member", "list", "-w", "json"])
    }

    pub fn snapshot_save(&self, endpoint: &str, path: &str) -> RemoteCommand {
        self.ctl(&[endpoint]).args(["snapshot", "save"]).arg(path)
    }

    /// Where etcdutl is: as configured, else beside etcdctl.
    pub fn etcdutl_path(&self) -> String {
        self.settings.etcdutl_path.clone().unwrap_or_else(|| {
            let ctl = &self.settings.etcdctl_path;
            match ctl.rsplit_once('/') {
                Some((dir, _)) => format!("{dir}/etcdutl"),
                None => "etcdutl".to_owned(),
            }
        })
    }

    fn utl_or_ctl(&self) -> RemoteCommand {
        RemoteCommand::script(UTL_OR_CTL)
            .arg(self.etcdutl_path())
            .arg(&self.settings.etcdctl_path)
    }

    /// `snapshot status -w json` of a snapshot file.
    pub fn snapshot_status(&self, path: &str) -> RemoteCommand {
        self.utl_or_ctl()
            .args(["snapshot", "status"])
            .arg(path)
            .args(["-w", "json"])
    }

    /// `snapshot restore` of `snapshot` into `data_dir` as `member` of `members`.
    pub fn snapshot_restore(
        &self,
        snapshot: &str,
        member: &EtcdMember,
        members: &[EtcdMember],
        token: &str,
        data_dir: &str,
    ) -> RemoteCommand {
        let initial = members
            .iter()
            .map(|m| format!("{}={}", m.name, m.peer_url))
            .collect::<Vec<_>>()
            .join(",");
        self.utl_or_ctl()
            .args(["snapshot", "restore"])
            .arg(snapshot)
            .arg(format!("--name={}", member.name))
            .arg(format!("--initial-cluster={initial}"))
            .arg(format!("--initial-cluster-token={token}"))
            .arg(format!("--initial-advertise-peer-urls={}", member.peer_url))
            .arg(format!("--data-dir={data_dir}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use taichu_storage::repositories::etcd_settings::{EtcdDeployment, K8sDeployment};

    fn settings() -> EtcdSettings {
        EtcdSettings {
            endpoints: vec!["https://10.0.0.1:2379".into()],
            ca_cert: Some("/etc/ssl/ca it's.pem".into()),
            cert: Some("/c.pem".into()),
            key: Some("/k.pem".into()),
            data_dir: "/var/lib/etcd".into(),
            etcdctl_path: "/usr/local/bin/etcdctl".into(),
            etcdutl_path: None,
            ssh_username: Some("root".into()),
            ssh_port: 22,
            etcd_deployment: EtcdDeployment::Standalone,
            k8s_deployment: K8sDeployment::Kubeadm,
            manifests_dir: "/etc/kubernetes/manifests".into(),
            machine_ids: vec![],
            members: vec![],
        }
    }

    #[test]
    fn flags_are_single_quoted_arguments() {
        let s = settings();
        let line = Etcdctl::new(&s)
            .snapshot_save("https://10.0.0.1:2379", "/var/tmp/x/snapshot.db")
            .to_shell()
            .expect("line");
        assert_eq!(
            line,
            "env ETCDCTL_API=3 /usr/local/bin/etcdctl --endpoints=https://10.0.0.1:2379 --command-timeout=30s \
             '--cacert=/etc/ssl/ca it'\\''s.pem' --cert=/c.pem --key=/k.pem snapshot save /var/tmp/x/snapshot.db"
        );
        assert_eq!(Etcdctl::new(&s).etcdutl_path(), "/usr/local/bin/etcdutl");
    }
}
