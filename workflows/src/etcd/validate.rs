//! What etcd settings may hold. Every value ends up as an argument on an
//! etcd host, so each has a shape and a bound; a refusal names the field.

use taichu_storage::repositories::etcd_settings::{EtcdMember, EtcdSettings};

/// A refused value: the field (as the API names it) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Refused {
    pub field: String,
    pub reason: String,
}

fn refuse(field: &str, reason: impl Into<String>) -> Refused {
    Refused {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// Endpoints a cluster's etcd may list.
pub const MAX_ENDPOINTS: usize = 9;
const MAX_PATH: usize = 1024;

/// An absolute path of plain components: no NUL, newline or other control
/// character, no `.` or `..`, not `/` itself.
pub fn absolute_path(field: &str, value: &str) -> Result<(), Refused> {
    if value.len() > MAX_PATH {
        return Err(refuse(field, format!("at most {MAX_PATH} bytes")));
    }
    if !value.starts_with('/') {
        return Err(refuse(field, "must be an absolute path"));
    }
    if value.chars().any(char::is_control) {
        return Err(refuse(
            field,
            "must not contain NUL, newline or other control characters",
        ));
    }
    let parts: Vec<&str> = value.split('/').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        return Err(refuse(field, "must name a file or directory below /"));
    }
    if parts.iter().any(|p| *p == "." || *p == "..") {
        return Err(refuse(field, "must not contain . or .. components"));
    }
    Ok(())
}

/// A host name or IP address.
pub fn host(field: &str, value: &str) -> Result<(), Refused> {
    let bare = value.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    let ok = !bare.is_empty()
        && bare.len() <= 253
        && bare.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if ok {
        Ok(())
    } else {
        Err(refuse(field, format!("{value:?} is not a host name or IP address")))
    }
}

/// The host of an `http(s)://host:port` URL (which must have both and nothing else).
pub fn url_host(field: &str, value: &str) -> Result<String, Refused> {
    if value.len() > 300 || value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(refuse(field, format!("{value:?} is not a URL")));
    }
    let uri: http::Uri = value
        .parse()
        .map_err(|_| refuse(field, format!("{value:?} is not a URL")))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(refuse(field, format!("{value:?} must start with http:// or https://")));
    }
    let authority = uri
        .authority()
        .ok_or_else(|| refuse(field, format!("{value:?} has no host")))?;
    if authority.as_str().contains('@') {
        return Err(refuse(field, "must not carry user information"));
    }
    if authority.port_u16().is_none() {
        return Err(refuse(field, format!("{value:?} must name a port (e.g. :2379)")));
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err(refuse(field, format!("{value:?} must be scheme://host:port only")));
    }
    host(field, authority.host())?;
    Ok(authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned())
}

/// 1-`max` characters of letters, digits, `-`, `_` or `.`, not starting with `-`.
fn word(field: &str, value: &str, max: usize) -> Result<(), Refused> {
    let ok = (1..=max).contains(&value.len())
        && !value.starts_with('-')
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(refuse(
            field,
            format!("1-{max} characters of letters, digits, '-', '_' or '.', not starting with '-'"),
        ))
    }
}

/// A member name as etcd allows it and a shell argument keeps it.
pub fn member_name(field: &str, value: &str) -> Result<(), Refused> {
    word(field, value, 64)
}

/// A POSIX user name.
pub fn username(field: &str, value: &str) -> Result<(), Refused> {
    word(field, value, 32)
}

/// One member: name, peer and client URL, and a host among the endpoint hosts.
pub fn member(index: usize, member: &EtcdMember, endpoint_hosts: &[String]) -> Result<(), Refused> {
    member_name(&format!("members[{index}].name"), &member.name)?;
    url_host(&format!("members[{index}].peer_url"), &member.peer_url)?;
    url_host(&format!("members[{index}].client_url"), &member.client_url)?;
    host(&format!("members[{index}].host"), &member.host)?;
    if let Some(dir) = &member.data_dir {
        absolute_path(&format!("members[{index}].data_dir"), dir)?;
    }
    if let Some(dir) = &member.manifests_dir {
        absolute_path(&format!("members[{index}].manifests_dir"), dir)?;
    }
    if !endpoint_hosts.contains(&member.host) {
        return Err(refuse(
            &format!("members[{index}].host"),
            format!(
                "{} is not among the hosts of etcd_endpoints; credentials go only to the hosts they were given for",
                member.host
            ),
        ));
    }
    Ok(())
}

/// The whole settings.
pub fn settings(s: &EtcdSettings) -> Result<(), Refused> {
    if s.endpoints.is_empty() {
        return Err(refuse("etcd_endpoints", "at least one endpoint is required"));
    }
    if s.endpoints.len() > MAX_ENDPOINTS {
        return Err(refuse("etcd_endpoints", format!("at most {MAX_ENDPOINTS} endpoints")));
    }
    let mut hosts = Vec::new();
    for endpoint in &s.endpoints {
        hosts.push(url_host("etcd_endpoints", endpoint)?);
    }
    for (field, value) in [
        ("etcd_ca_cert", &s.ca_cert),
        ("etcd_cert", &s.cert),
        ("etcd_key", &s.key),
    ] {
        if let Some(path) = value {
            absolute_path(field, path)?;
        }
    }
    if s.cert.is_some() != s.key.is_some() {
        return Err(refuse("etcd_key", "etcd_cert and etcd_key go together"));
    }
    absolute_path("etcd_data_dir", &s.data_dir)?;
    absolute_path("etcdctl_path", &s.etcdctl_path)?;
    if let Some(path) = &s.etcdutl_path {
        absolute_path("etcdutl_path", path)?;
    }
    absolute_path("manifests_dir", &s.manifests_dir)?;
    if let Some(user) = &s.ssh_username {
        username("ssh_username", user)?;
    }
    if s.ssh_port == 0 {
        return Err(refuse("ssh_port", "must be 1-65535"));
    }
    if s.members.len() > MAX_ENDPOINTS {
        return Err(refuse("members", format!("at most {MAX_ENDPOINTS} members")));
    }
    for (i, m) in s.members.iter().enumerate() {
        member(i, m, &hosts)?;
    }
    let mut names: Vec<&str> = s.members.iter().map(|m| m.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(refuse("members", "member names must be unique"));
    }
    if s.machine_ids.len() > MAX_ENDPOINTS {
        return Err(refuse("machine_ids", format!("at most {MAX_ENDPOINTS} machines")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(absolute_path("f", "/var/lib/etcd").is_ok());
        assert!(
            absolute_path("f", "/etc/ssl/it's ok").is_ok(),
            "quotes arrive literally"
        );
        for bad in ["", "relative", "/", "/a/../b", "/a\nb", "/a\0b", "/./a"] {
            let err = absolute_path("etcd_data_dir", bad).expect_err(bad);
            assert_eq!(err.field, "etcd_data_dir");
        }
    }

    #[test]
    fn urls() {
        assert_eq!(url_host("e", "https://10.0.0.1:2379").as_deref(), Ok("10.0.0.1"));
        assert_eq!(url_host("e", "http://[fd00::1]:2380").as_deref(), Ok("fd00::1"));
        assert_eq!(
            url_host("e", "https://etcd-1.local:2379/").as_deref(),
            Ok("etcd-1.local")
        );
        for bad in [
            "10.0.0.1:2379",
            "https://10.0.0.1",
            "ftp://h:1",
            "https://u:p@h:1",
            "https://h:1/path",
            "https://h:1?q",
            "https://$(id):1",
            "https://h:1;rm",
        ] {
            assert!(url_host("etcd_endpoints", bad).is_err(), "{bad}");
        }
    }
}
