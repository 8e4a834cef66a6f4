//! What a cluster serves, as a resource backup sees it: every listable type
//! at its group's preferred version, minus those that must not come back,
//! in the order a restore needs them.

use kube::Client;
use kube::discovery::{ApiResource, Discovery, Scope, verbs};
use serde::{Deserialize, Serialize};

use crate::kube::{KubeError, classify};

/// One resource type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeRef {
    /// `""` for the core group.
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
}

/// Types never backed up: the cluster recreates them, or they describe
/// machines and moments rather than desired state.
const SKIPPED: &[(&str, &str)] = &[
    ("", "nodes"),
    ("", "events"),
    ("events.k8s.io", "events"),
    ("coordination.k8s.io", "leases"),
    ("", "endpoints"),
    ("discovery.k8s.io", "endpointslices"),
    ("apps", "controllerrevisions"),
    ("", "componentstatuses"),
    ("", "bindings"),
    ("metrics.k8s.io", "nodes"),
    ("metrics.k8s.io", "pods"),
];

impl TypeRef {
    pub fn from_resource(ar: &ApiResource, namespaced: bool) -> Self {
        Self {
            group: ar.group.clone(),
            version: ar.version.clone(),
            kind: ar.kind.clone(),
            plural: ar.plural.clone(),
            namespaced,
        }
    }

    pub fn resource(&self) -> ApiResource {
        ApiResource {
            group: self.group.clone(),
            version: self.version.clone(),
            api_version: self.api_version(),
            kind: self.kind.clone(),
            plural: self.plural.clone(),
        }
    }

    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `ConfigMap` or `Deployment.apps`: how counts and messages name a kind.
    pub fn qualified_kind(&self) -> String {
        qualified_kind(&self.group, &self.kind)
    }

    /// Whether a filter entry names this type: kind or plural, bare or with the group, any case.
    pub fn matches(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        let (kind, plural) = (self.kind.to_ascii_lowercase(), self.plural.to_ascii_lowercase());
        match name.split_once('.') {
            Some((base, group)) => group == self.group && (base == kind || base == plural),
            None => name == kind || name == plural,
        }
    }

    pub fn is_namespace(&self) -> bool {
        self.group.is_empty() && self.plural == "namespaces"
    }

    pub fn is_crd(&self) -> bool {
        self.group == "apiextensions.k8s.io" && self.plural == "customresourcedefinitions"
    }

    pub fn skipped(&self) -> bool {
        SKIPPED.iter().any(|(g, p)| *g == self.group && *p == self.plural)
    }

    /// When a restore applies this type: definitions and namespaces first,
    /// then what workloads refer to, then the workloads and the rest.
    pub fn phase(&self) -> u8 {
        phase_of(&self.group, &self.kind, self.namespaced)
    }
}

/// `ConfigMap` or `Deployment.apps`.
pub fn qualified_kind(group: &str, kind: &str) -> String {
    if group.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}.{group}")
    }
}

/// The restore phase of a kind (see [`TypeRef::phase`]).
pub fn phase_of(group: &str, kind: &str, namespaced: bool) -> u8 {
    match (group, kind) {
        ("apiextensions.k8s.io", "CustomResourceDefinition") => 0,
        ("", "Namespace") => 1,
        ("", "PersistentVolume") => 6,
        _ if !namespaced => 2,
        ("", "ServiceAccount") => 3,
        ("", "Secret") => 4,
        ("", "ConfigMap") => 5,
        ("", "PersistentVolumeClaim") => 7,
        _ => 8,
    }
}

/// Every listable type the cluster serves, each at its preferred version,
/// skipped ones left out, in restore order (then by group and kind).
pub async fn discover(client: &Client) -> Result<Vec<TypeRef>, KubeError> {
    let discovery = Discovery::new(client.clone()).run().await.map_err(classify)?;
    let mut types: Vec<TypeRef> = discovery
        .groups()
        .flat_map(|group| group.recommended_resources())
        .filter(|(_, caps)| caps.supports_operation(verbs::LIST) && caps.supports_operation(verbs::GET))
        .map(|(ar, caps)| TypeRef::from_resource(&ar, caps.scope == Scope::Namespaced))
        .filter(|t| !t.skipped())
        .collect();
    types.sort_by(|a, b| (a.phase(), &a.group, &a.kind).cmp(&(b.phase(), &b.group, &b.kind)));
    types.dedup_by(|a, b| a.group == b.group && a.plural == b.plural);
    Ok(types)
}

/// A fresh discovery, to find the type a restored object needs on the target.
pub async fn resolver(client: &Client) -> Result<Discovery, KubeError> {
    Discovery::new(client.clone()).run().await.map_err(classify)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_put_definitions_first() {
        assert!(phase_of("apiextensions.k8s.io", "CustomResourceDefinition", false) < phase_of("", "Namespace", false));
        assert!(phase_of("", "Namespace", false) < phase_of("rbac.authorization.k8s.io", "ClusterRole", false));
        assert!(phase_of("", "Secret", true) < phase_of("apps", "Deployment", true));
        assert!(phase_of("", "PersistentVolume", false) < phase_of("", "PersistentVolumeClaim", true));
    }
}
