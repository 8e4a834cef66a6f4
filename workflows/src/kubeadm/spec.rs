//! What a cluster to create is made of, checked before anything is written:
//! every value ends up in a kubeadm config or as an argument on a host, so
//! each has a shape and a bound, and a refusal names the field.

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::etcd::validate::{Refused, host};

/// Control planes and workers one request may name at most.
pub const MAX_MACHINES: usize = 100;

/// The network plugin applied after `kubeadm init`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cni {
    #[default]
    Calico,
    Flannel,
    /// None: the user applies one.
    None,
}

/// How kubeadm, kubelet and kubectl get onto the hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PackageSource {
    /// From an apt repository at the requested version.
    Apt { repository: String },
    /// Already installed; their version is checked.
    Preinstalled,
}

/// A cluster to create (no secrets: the machines' credentials stay on their rows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSpec {
    pub cluster_name: String,
    /// `v1.30.4`.
    pub kubernetes_version: String,
    pub pod_cidr: String,
    pub service_cidr: String,
    pub cni: Cni,
    /// An `https://` URL or an inline manifest replacing the default one of `cni`.
    pub cni_manifest: Option<String>,
    pub container_runtime_endpoint: String,
    /// `host:port` in front of the control planes; required with more than one.
    pub control_plane_endpoint: Option<String>,
    pub image_repository: Option<String>,
    pub package_source: PackageSource,
}

fn refuse(field: &str, reason: impl Into<String>) -> Refused {
    Refused {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// `vMAJOR.MINOR.PATCH` with Kubernetes' own bounds (1.x, minor ≥ 24).
pub fn version(field: &str, value: &str) -> Result<(u32, u32, u32), Refused> {
    let bad = || refuse(field, format!("{value:?} is not a version like v1.30.4"));
    let rest = value.strip_prefix('v').ok_or_else(bad)?;
    let parts: Vec<&str> = rest.split('.').collect();
    let [major, minor, patch] = parts.as_slice() else {
        return Err(bad());
    };
    let number = |p: &str| {
        (!p.is_empty() && p.len() <= 4 && p.chars().all(|c| c.is_ascii_digit()))
            .then(|| p.parse::<u32>().ok())
            .flatten()
            .ok_or_else(bad)
    };
    let (major, minor, patch) = (number(major)?, number(minor)?, number(patch)?);
    if major != 1 || minor < 24 {
        return Err(refuse(field, format!("{value} is not supported (1.24 and later)")));
    }
    Ok((major, minor, patch))
}

fn cidr(field: &str, value: &str) -> Result<IpNet, Refused> {
    let net: IpNet = value
        .parse()
        .map_err(|_| refuse(field, format!("{value:?} is not a CIDR like 10.244.0.0/16")))?;
    if net != net.trunc() {
        return Err(refuse(field, format!("{value} has host bits set; use {}", net.trunc())));
    }
    if net.prefix_len() < 8 || net.prefix_len() > net.max_prefix_len().saturating_sub(4) {
        return Err(refuse(field, format!("{value}: the prefix length is out of range")));
    }
    Ok(net)
}

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

impl ClusterSpec {
    /// Checks every value; `control_planes` is how many control-plane machines the request names.
    pub fn check(&self, control_planes: usize) -> Result<(), Refused> {
        let name_ok = (1..=63).contains(&self.cluster_name.len())
            && self
                .cluster_name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !self.cluster_name.starts_with('-')
            && !self.cluster_name.ends_with('-');
        if !name_ok {
            return Err(refuse(
                "cluster_name",
                "1-63 lower-case letters, digits and '-', starting and ending with a letter or digit",
            ));
        }
        version("kubernetes_version", &self.kubernetes_version)?;
        let pods = cidr("pod_cidr", &self.pod_cidr)?;
        let services = cidr("service_cidr", &self.service_cidr)?;
        if overlaps(&pods, &services) {
            return Err(refuse("service_cidr", format!("{services} overlaps pod_cidr {pods}")));
        }
        if !self.container_runtime_endpoint.starts_with("unix:///")
            || self.container_runtime_endpoint.len() > 256
            || self
                .container_runtime_endpoint
                .chars()
                .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(refuse(
                "container_runtime_endpoint",
                "a unix:/// socket path, e.g. unix:///run/containerd/containerd.sock",
            ));
        }
        match &self.control_plane_endpoint {
            Some(endpoint) => {
                let (h, port) = endpoint
                    .rsplit_once(':')
                    .ok_or_else(|| refuse("control_plane_endpoint", "host:port"))?;
                host("control_plane_endpoint", h)?;
                port.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| refuse("control_plane_endpoint", "host:port with a port of 1-65535"))?;
            }
            None if control_planes > 1 => {
                return Err(refuse(
                    "control_plane_endpoint",
                    "required with more than one control plane (a load-balanced host:port)",
                ));
            }
            None => {}
        }
        if let Some(repo) = &self.image_repository {
            let ok = !repo.is_empty()
                && repo.len() <= 255
                && repo.chars().all(|c| c.is_ascii_alphanumeric() || "-._/:".contains(c));
            if !ok {
                return Err(refuse("image_repository", "a registry path like registry.k8s.io"));
            }
        }
        if let PackageSource::Apt { repository } = &self.package_source {
            let ok = repository.starts_with("https://")
                && repository.len() <= 512
                && !repository
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace() || c == '\'');
            if !ok {
                return Err(refuse("package_source", "an https:// apt repository URL"));
            }
        }
        if let Some(manifest) = &self.cni_manifest {
            if self.cni == Cni::None {
                return Err(refuse("cni_manifest", "given with cni \"none\""));
            }
            if manifest.len() > 4 << 20 {
                return Err(refuse("cni_manifest", "at most 4 MiB"));
            }
            if !manifest.contains('\n') && !manifest.starts_with("https://") {
                return Err(refuse("cni_manifest", "an https:// URL or an inline YAML manifest"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ClusterSpec {
        ClusterSpec {
            cluster_name: "prod-1".into(),
            kubernetes_version: "v1.30.4".into(),
            pod_cidr: "10.244.0.0/16".into(),
            service_cidr: "10.96.0.0/12".into(),
            cni: Cni::Calico,
            cni_manifest: None,
            container_runtime_endpoint: "unix:///run/containerd/containerd.sock".into(),
            control_plane_endpoint: None,
            image_repository: None,
            package_source: PackageSource::Preinstalled,
        }
    }

    fn field(spec: &ClusterSpec, control_planes: usize) -> String {
        spec.check(control_planes).expect_err("refused").field
    }

    #[test]
    fn a_good_spec_passes_and_each_bad_value_names_its_field() {
        spec().check(1).expect("good");
        let mut s = spec();
        s.cluster_name = "Prod;rm -rf /".into();
        assert_eq!(field(&s, 1), "cluster_name");
        let mut s = spec();
        s.kubernetes_version = "1.30".into();
        assert_eq!(field(&s, 1), "kubernetes_version");
        let mut s = spec();
        s.kubernetes_version = "v1.30.4$(id)".into();
        assert_eq!(field(&s, 1), "kubernetes_version");
        let mut s = spec();
        s.pod_cidr = "10.244.0.1/16".into();
        assert_eq!(field(&s, 1), "pod_cidr");
        let mut s = spec();
        s.service_cidr = "10.244.128.0/20".into();
        assert_eq!(field(&s, 1), "service_cidr");
        assert_eq!(field(&spec(), 3), "control_plane_endpoint");
        let mut s = spec();
        s.control_plane_endpoint = Some("lb.example.com:6443".into());
        s.check(3).expect("three control planes behind a balancer");
        let mut s = spec();
        s.package_source = PackageSource::Apt {
            repository: "http://insecure".into(),
        };
        assert_eq!(field(&s, 1), "package_source");
    }

    #[test]
    fn versions() {
        assert_eq!(version("v", "v1.30.4"), Ok((1, 30, 4)));
        assert!(version("v", "v2.0.0").is_err());
        assert!(version("v", "v1.23.0").is_err());
        assert!(version("v", "v1.30.4-rc.1").is_err());
    }
}
