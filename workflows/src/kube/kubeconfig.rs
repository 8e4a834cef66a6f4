//! What a kubeconfig may contain. A kubeconfig is user input that our
//! processes act on, so it may carry only inline credentials: a command to
//! run (`exec`, `auth-provider`), a file to read (`tokenFile`, any path field)
//! or a proxy to go through would make our hosts do what the submitter says.
//! The policy is applied when a kubeconfig is submitted (400 naming the
//! field) and again before any client is built from a stored one.

use serde_yaml::{Mapping, Value};

/// Keys allowed at each level; anything else is refused by name.
const TOP: &[&str] = &[
    "apiVersion",
    "kind",
    "clusters",
    "contexts",
    "users",
    "current-context",
    "preferences",
];
const CLUSTER: &[&str] = &[
    "server",
    "certificate-authority-data",
    "tls-server-name",
    "insecure-skip-tls-verify",
    "disable-compression",
];
const CONTEXT: &[&str] = &["cluster", "user", "namespace"];
const USER: &[&str] = &[
    "token",
    "client-certificate-data",
    "client-key-data",
    "username",
    "password",
];

/// Why a kubeconfig is refused, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {problem}")]
pub struct Refused {
    /// Where, e.g. `users[0].user.exec`.
    pub field: String,
    pub problem: String,
}

fn refused(field: impl Into<String>, problem: impl Into<String>) -> Refused {
    Refused {
        field: field.into(),
        problem: problem.into(),
    }
}

fn why(key: &str) -> &'static str {
    match key {
        "exec" | "auth-provider" => {
            "is not allowed: it runs a command on Taichu's hosts; use a token or a client certificate"
        }
        "tokenFile" | "client-certificate" | "client-key" | "certificate-authority" => {
            "is not allowed: it reads a file on Taichu's hosts; inline the data (`…-data` fields)"
        }
        "proxy-url" => "is not allowed: Taichu connects to clusters directly",
        _ => {
            "is not allowed: only inline credentials (token, client certificate and key data, username and password) are accepted"
        }
    }
}

fn check_keys(map: &Mapping, allowed: &[&str], at: &str) -> Result<(), Refused> {
    for key in map.keys() {
        let name = key
            .as_str()
            .ok_or_else(|| refused(at, "has a key that is not a string"))?;
        if !allowed.contains(&name) {
            let field = if at.is_empty() {
                name.to_owned()
            } else {
                format!("{at}.{name}")
            };
            return Err(refused(field, why(name)));
        }
    }
    Ok(())
}

/// The named entries of a list (`clusters`, `contexts`, `users`) and their inner maps.
fn entries<'a>(doc: &'a Mapping, list: &str, inner: &str) -> Result<Vec<(String, &'a Mapping)>, Refused> {
    let Some(items) = doc.get(list) else {
        return Ok(Vec::new());
    };
    let items = items.as_sequence().ok_or_else(|| refused(list, "must be a list"))?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{list}[{i}]");
        let map = item.as_mapping().ok_or_else(|| refused(&at, "must be a map"))?;
        check_keys(map, &["name", inner], &at)?;
        let body = match map.get(inner) {
            Some(Value::Mapping(m)) => m,
            Some(_) => return Err(refused(format!("{at}.{inner}"), "must be a map")),
            None => return Err(refused(format!("{at}.{inner}"), "is missing")),
        };
        out.push((format!("{at}.{inner}"), body));
    }
    Ok(out)
}

/// Checks `yaml` against the policy; `allow_insecure` (set on the cluster by
/// an admin) permits `insecure-skip-tls-verify: true` and `http://` servers.
pub fn check(yaml: &str, allow_insecure: bool) -> Result<(), Refused> {
    let doc: Value = serde_yaml::from_str(yaml).map_err(|e| refused("kubeconfig", format!("is not YAML: {e}")))?;
    let doc = doc
        .as_mapping()
        .ok_or_else(|| refused("kubeconfig", "must be a YAML map"))?;
    check_keys(doc, TOP, "")?;
    for (at, cluster) in entries(doc, "clusters", "cluster")? {
        check_keys(cluster, CLUSTER, &at)?;
        if let Some(server) = cluster.get("server") {
            let server = server
                .as_str()
                .ok_or_else(|| refused(format!("{at}.server"), "must be a URL"))?;
            let lower = server.to_ascii_lowercase();
            let insecure_scheme = lower.starts_with("http://");
            if !insecure_scheme && !lower.starts_with("https://") {
                return Err(refused(format!("{at}.server"), "must be an https:// URL"));
            }
            if insecure_scheme && !allow_insecure {
                return Err(refused(
                    format!("{at}.server"),
                    "is plain http: only an admin may allow that for a cluster (allow_insecure)",
                ));
            }
        }
        if cluster.get("insecure-skip-tls-verify").and_then(Value::as_bool) == Some(true) && !allow_insecure {
            return Err(refused(
                format!("{at}.insecure-skip-tls-verify"),
                "is true: only an admin may allow that for a cluster (allow_insecure)",
            ));
        }
    }
    for (at, context) in entries(doc, "contexts", "context")? {
        check_keys(context, CONTEXT, &at)?;
    }
    for (at, user) in entries(doc, "users", "user")? {
        check_keys(user, USER, &at)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(cluster_extra: &str, user: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://10.0.0.1:6443\n{cluster_extra}contexts:\n- name: c\n  context:\n    cluster: k\n    user: u\nusers:\n- name: u\n  user:\n{user}"
        )
    }

    #[test]
    fn inline_credentials_pass() {
        assert!(check(&config("", "    token: abc\n"), false).is_ok());
        assert!(
            check(
                &config(
                    "    certificate-authority-data: eA==\n",
                    "    client-certificate-data: eA==\n    client-key-data: eA==\n"
                ),
                false
            )
            .is_ok()
        );
    }

    #[test]
    fn commands_files_and_proxies_are_refused_by_name() {
        let cases = [
            ("", "    exec:\n      command: sh\n", "users[0].user.exec"),
            (
                "",
                "    auth-provider:\n      name: gcp\n",
                "users[0].user.auth-provider",
            ),
            ("", "    tokenFile: data/jwt_secret\n", "users[0].user.tokenFile"),
            ("", "    client-key: /etc/shadow\n", "users[0].user.client-key"),
            ("", "    as: system:admin\n", "users[0].user.as"),
            (
                "    certificate-authority: /etc/ssl/ca.pem\n",
                "    token: t\n",
                "clusters[0].cluster.certificate-authority",
            ),
            (
                "    proxy-url: http://10.0.0.9:3128\n",
                "    token: t\n",
                "clusters[0].cluster.proxy-url",
            ),
            (
                "    insecure-skip-tls-verify: true\n",
                "    token: t\n",
                "clusters[0].cluster.insecure-skip-tls-verify",
            ),
        ];
        for (cluster, user, field) in cases {
            let err = check(&config(cluster, user), false).expect_err(field);
            assert_eq!(err.field, field, "{err}");
        }
        assert!(check(&config("    insecure-skip-tls-verify: true\n", "    token: t\n"), true).is_ok());
    }

    #[test]
    fn plain_http_needs_an_admins_allowance() {
        let yaml = config("", "    token: t\n").replace("https://", "http://");
        assert_eq!(
            check(&yaml, false).expect_err("http").field,
            "clusters[0].cluster.server"
        );
        assert!(check(&yaml, true).is_ok());
        let ftp = config("", "    token: t\n").replace("https://", "file://");
        assert!(check(&ftp, true).is_err());
    }
}
