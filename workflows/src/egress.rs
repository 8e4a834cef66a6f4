//! The network policy every outbound connection (SSH, Kubernetes) passes,
//! checked on the resolved address right before connecting: a machine
//! address or a kubeconfig cannot point our workers at cloud metadata
//! services, link-local ranges or Taichu's own API.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

/// Ranges denied unless the operator says otherwise: link-local (where cloud
/// metadata services live), the metadata addresses outside it (Alibaba Cloud,
/// Azure's wire server, AWS over IPv6), "this network", multicast, broadcast.
pub const DEFAULT_DENIED: &[&str] = &[
    "0.0.0.0/8",
    "169.254.0.0/16",
    "100.100.100.200/32",
    "168.63.129.16/32",
    "224.0.0.0/4",
    "255.255.255.255/32",
    "::/128",
    "fe80::/10",
    "fd00:ec2::254/128",
    "ff00::/8",
];

/// Why a connection was not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EgressError {
    #[error("{addr} is denied by the network policy ({rule}); see TAICHU_DENY_NETWORKS")]
    Denied { addr: SocketAddr, rule: String },
    #[error("cannot resolve {host}: {reason}")]
    Resolve { host: String, reason: String },
}

/// Denied ranges plus Taichu's own listen addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkPolicy {
    denied: Vec<IpNet>,
    own: Vec<SocketAddr>,
}

impl Default for NetworkPolicy {
    fn default() -> Self {
        Self::parse(None, Vec::new()).unwrap_or(Self {
            denied: Vec::new(),
            own: Vec::new(),
        })
    }
}

/// An IPv4 address written as IPv6 (`::ffff:a.b.c.d`) is checked as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl NetworkPolicy {
    /// From `TAICHU_DENY_NETWORKS` (comma-separated CIDRs or addresses; the
    /// word `default` stands for [`DEFAULT_DENIED`]; unset means `default`;
    /// `none` denies no range) and the addresses this process serves on.
    pub fn parse(spec: Option<&str>, own: Vec<SocketAddr>) -> Result<Self, String> {
        let spec = spec.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("default");
        let mut denied = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item {
                "default" => denied.extend(DEFAULT_DENIED.iter().filter_map(|n| n.parse::<IpNet>().ok())),
                "none" => {}
                net => denied.push(
                    net.parse::<IpNet>()
                        .or_else(|_| net.parse::<IpAddr>().map(IpNet::from))
                        .map_err(|_| format!("TAICHU_DENY_NETWORKS: {net:?} is not a CIDR or an address"))?,
                ),
            }
        }
        Ok(Self { denied, own })
    }

    /// Allowed, or the rule that denies `addr`.
    pub fn check(&self, addr: SocketAddr) -> Result<(), EgressError> {
        let ip = canonical(addr.ip());
        if let Some(net) = self.denied.iter().find(|n| n.contains(&ip)) {
            return Err(EgressError::Denied {
                addr,
                rule: format!("denied range {net}"),
            });
        }
        let own = self.own.iter().find(|own| {
            own.port() == addr.port()
                && (canonical(own.ip()) == ip
                    || (own.ip().is_unspecified() && (ip.is_loopback() || ip.is_unspecified())))
        });
        if let Some(own) = own {
            return Err(EgressError::Denied {
                addr,
                rule: format!("Taichu's own API at {own}"),
            });
        }
        Ok(())
    }

    /// Resolves `host` and checks every address it names; the first one is
    /// the one to connect to (a name that also points somewhere denied is
    /// refused, so re-resolving cannot slip past the check).
    pub async fn resolve(&self, host: &str, port: u16) -> Result<SocketAddr, EgressError> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| EgressError::Resolve {
                    host: host.to_owned(),
                    reason: e.to_string(),
                })?
                .collect(),
        };
        for addr in &addrs {
            self.check(*addr)?;
        }
        addrs.first().copied().ok_or_else(|| EgressError::Resolve {
            host: host.to_owned(),
            reason: "no addresses".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("addr")
    }

    #[test]
    fn defaults_deny_metadata_and_link_local_but_not_loopback() {
        let policy = NetworkPolicy::parse(None, vec![addr("127.0.0.1:8086")]).expect("policy");
        for denied in [
            "169.254.169.254:80",
            "[fe80::1]:22",
            "100.100.100.200:80",
            "[::ffff:169.254.169.254]:80",
            "[fd00:ec2::254]:80",
            "127.0.0.1:8086",
        ] {
            assert!(policy.check(addr(denied)).is_err(), "{denied}");
        }
        for allowed in ["127.0.0.1:22", "10.77.1.2:22", "[::1]:6443", "192.168.1.10:6443"] {
            assert!(policy.check(addr(allowed)).is_ok(), "{allowed}");
        }
    }

    #[test]
    fn an_unspecified_listen_address_protects_loopback_on_its_port() {
        let policy = NetworkPolicy::parse(Some("none"), vec![addr("0.0.0.0:8086")]).expect("policy");
        assert!(policy.check(addr("127.0.0.1:8086")).is_err());
        assert!(policy.check(addr("127.0.0.1:8087")).is_ok());
        assert!(policy.check(addr("169.254.169.254:80")).is_ok(), "none denies no range");
    }

    #[test]
    fn operators_extend_or_replace_the_list() {
        let policy = NetworkPolicy::parse(Some("default, 127.0.0.0/8, ::1"), vec![]).expect("policy");
        assert!(policy.check(addr("127.0.0.1:22")).is_err());
        assert!(policy.check(addr("[::1]:22")).is_err());
        assert!(policy.check(addr("169.254.1.1:22")).is_err());
        assert!(NetworkPolicy::parse(Some("10.0.0.0/33"), vec![]).is_err());
    }

    #[tokio::test]
    async fn names_are_resolved_before_the_check() {
        let policy = NetworkPolicy::parse(Some("127.0.0.0/8,::1"), vec![]).expect("policy");
        let err = policy.resolve("localhost", 6443).await.expect_err("denied");
        assert!(matches!(err, EgressError::Denied { .. }), "{err}");
        assert!(NetworkPolicy::default().resolve("localhost", 6443).await.is_ok());
    }
}
