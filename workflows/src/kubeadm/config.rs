//! The kubeadm configuration, rendered from typed values and serialized as
//! YAML: nothing a user typed is pasted into it as text, so no value can
//! add a field or a document.

use serde::Serialize;

use super::spec::{ClusterSpec, version};

/// The config API this Kubernetes version reads: v1beta4 from 1.31 on.
fn api_version(kubernetes_version: &str) -> &'static str {
    match version("kubernetes_version", kubernetes_version) {
        Ok((_, minor, _)) if minor >= 31 => "kubeadm.k8s.io/v1beta4",
        _ => "kubeadm.k8s.io/v1beta3",
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeRegistration<'a> {
    name: &'a str,
    cri_socket: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiEndpoint<'a> {
    advertise_address: &'a str,
    bind_port: u16,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct InitConfiguration<'a> {
    api_version: &'static str,
    kind: &'static str,
    #[serde(rename = "localAPIEndpoint")]
    local_api_endpoint: ApiEndpoint<'a>,
    node_registration: NodeRegistration<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Networking<'a> {
    pod_subnet: &'a str,
    service_subnet: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ClusterConfiguration<'a> {
    api_version: &'static str,
    kind: &'static str,
    cluster_name: &'a str,
    kubernetes_version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    control_plane_endpoint: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_repository: Option<&'a str>,
    networking: Networking<'a>,
}

/// The first control plane as kubeadm sees it.
#[derive(Debug, Clone, Copy)]
pub struct InitNode<'a> {
    /// The node's name (its host name).
    pub name: &'a str,
    /// The address the API server advertises (the machine's IP).
    pub address: &'a str,
}

/// `kubeadm init --config` for `spec` on `node`: an InitConfiguration and a
/// ClusterConfiguration, as one YAML stream.
pub fn init_config(spec: &ClusterSpec, node: InitNode<'_>) -> Result<String, serde_yaml::Error> {
    let api_version = api_version(&spec.kubernetes_version);
    let init = InitConfiguration {
        api_version,
        kind: "InitConfiguration",
        local_api_endpoint: ApiEndpoint {
            advertise_address: node.address,
            bind_port: 6443,
        },
        node_registration: NodeRegistration {
            name: node.name,
            cri_socket: &spec.container_runtime_endpoint,
        },
    };
    let cluster = ClusterConfiguration {
        api_version,
        kind: "ClusterConfiguration",
        cluster_name: &spec.cluster_name,
        kubernetes_version: &spec.kubernetes_version,
        control_plane_endpoint: spec.control_plane_endpoint.as_deref(),
        image_repository: spec.image_repository.as_deref(),
        networking: Networking {
            pod_subnet: &spec.pod_cidr,
            service_subnet: &spec.service_cidr,
        },
    };
    Ok(format!(
        "{}---\n{}",
        serde_yaml::to_string(&init)?,
        serde_yaml::to_string(&cluster)?
    ))
}

#[cfg(test)]
mod tests {
    use serde_yaml::Value;

    use super::*;
    use crate::kubeadm::spec::{Cni, PackageSource};

    fn spec(version: &str) -> ClusterSpec {
        ClusterSpec {
            cluster_name: "prod-1".into(),
            kubernetes_version: version.into(),
            pod_cidr: "10.244.0.0/16".into(),
            service_cidr: "10.96.0.0/12".into(),
            cni: Cni::Calico,
            cni_manifest: None,
            container_runtime_endpoint: "unix:///run/containerd/containerd.sock".into(),
            control_plane_endpoint: Some("lb.example.com:6443".into()),
            image_repository: None,
            package_source: PackageSource::Preinstalled,
        }
    }

    fn documents(text: &str) -> Vec<Value> {
        serde_yaml::Deserializer::from_str(text)
            .map(|d| serde::Deserialize::deserialize(d).expect("yaml"))
            .collect()
    }

    #[test]
    fn renders_two_documents_from_typed_values() {
        let node = InitNode {
            name: "cp-1",
            address: "10.0.0.5",
        };
        let docs = documents(&init_config(&spec("v1.30.4"), node).expect("render"));
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0]["apiVersion"], "kubeadm.k8s.io/v1beta3");
        assert_eq!(docs[0]["kind"], "InitConfiguration");
        assert_eq!(docs[0]["localAPIEndpoint"]["advertiseAddress"], "10.0.0.5");
        assert_eq!(
            docs[0]["nodeRegistration"]["criSocket"],
            "unix:///run/containerd/containerd.sock"
        );
        assert_eq!(docs[1]["kind"], "ClusterConfiguration");
        assert_eq!(docs[1]["networking"]["podSubnet"], "10.244.0.0/16");
        assert_eq!(docs[1]["controlPlaneEndpoint"], "lb.example.com:6443");
        assert!(docs[1].get("imageRepository").is_none());
        let newer = documents(&init_config(&spec("v1.31.0"), node).expect("render"));
        assert_eq!(newer[1]["apiVersion"], "kubeadm.k8s.io/v1beta4");
    }

    #[test]
    fn a_value_cannot_add_fields_or_documents() {
        let node = InitNode {
            name: "cp-1\n---\nkind: Evil",
            address: "10.0.0.5\nextra: true",
        };
        let docs = documents(&init_config(&spec("v1.30.4"), node).expect("render"));
        assert_eq!(docs.len(), 2, "still two documents");
        assert_eq!(docs[0]["nodeRegistration"]["name"], "cp-1\n---\nkind: Evil");
        assert!(docs[0]["localAPIEndpoint"].get("extra").is_none());
    }
}
