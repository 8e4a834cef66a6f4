//! Which objects a resource backup or restore takes: namespace and kind
//! filters (and, for backups, a label selector), checked once when the
//! request arrives and stored with the backup or restore.

use serde::{Deserialize, Serialize};

use super::catalog::TypeRef;

/// Entries per list at most, and characters per entry.
const MAX_ENTRIES: usize = 256;
const MAX_ENTRY_LEN: usize = 253;
const MAX_SELECTOR_LEN: usize = 1024;

/// The namespace that holds node heartbeats: never backed up.
pub const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include_namespaces: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_namespaces: Vec<String>,
    /// Kinds as `Deployment`, `deployments`, `Deployment.apps` or `deployments.apps` (any case).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include_kinds: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_kinds: Vec<String>,
    /// A Kubernetes label selector (`app=web,tier!=db`), passed to every list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<String>,
}

impl Selection {
    /// Checks bounds and shapes; the error names the field.
    pub fn check(&self) -> Result<(), String> {
        for (field, list) in [
            ("include_namespaces", &self.include_namespaces),
            ("exclude_namespaces", &self.exclude_namespaces),
        ] {
            check_list(field, list, is_dns_label)?;
        }
        for (field, list) in [
            ("include_kinds", &self.include_kinds),
            ("exclude_kinds", &self.exclude_kinds),
        ] {
            check_list(field, list, is_kind_name)?;
        }
        if let Some(selector) = &self.label_selector {
            if selector.trim().is_empty() || selector.len() > MAX_SELECTOR_LEN {
                return Err(format!("label_selector: 1-{MAX_SELECTOR_LEN} characters"));
            }
            if !selector
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || " -_./=!,()".contains(c))
            {
                return Err("label_selector: only a label selector's characters (letters, digits, - _ . / = ! , ( ) and spaces)".into());
            }
        }
        Ok(())
    }

    /// Whether objects of this namespace (`None`: cluster-scoped) are taken.
    pub fn wants_namespace(&self, namespace: Option<&str>) -> bool {
        let Some(ns) = namespace else {
            return true;
        };
        if ns == NODE_LEASE_NAMESPACE || self.exclude_namespaces.iter().any(|n| n == ns) {
            return false;
        }
        self.include_namespaces.is_empty() || self.include_namespaces.iter().any(|n| n == ns)
    }

    /// Whether a type is taken. With namespaces included, cluster-scoped
    /// types are left out unless named among the kinds (as Velero does),
    /// except Namespaces themselves, which the included namespaces need.
    pub fn wants_type(&self, t: &TypeRef) -> bool {
        if self.exclude_kinds.iter().any(|k| t.matches(k)) {
            return false;
        }
        if !self.include_kinds.is_empty() {
            return self.include_kinds.iter().any(|k| t.matches(k));
        }
        t.namespaced || self.include_namespaces.is_empty() || t.is_namespace()
    }

    /// Whether a Namespace object named `name` is taken.
    pub fn wants_namespace_object(&self, name: &str) -> bool {
        self.wants_namespace(Some(name))
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

fn check_list(field: &str, list: &[String], valid: fn(&str) -> bool) -> Result<(), String> {
    if list.len() > MAX_ENTRIES {
        return Err(format!("{field}: at most {MAX_ENTRIES} entries"));
    }
    for entry in list {
        if entry.is_empty() || entry.len() > MAX_ENTRY_LEN || !valid(entry) {
            return Err(format!("{field}: {:?} is not a valid name", truncate(entry)));
        }
    }
    Ok(())
}

fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

/// A namespace name: lower-case letters, digits and `-`, starting and ending alphanumeric.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_kind_name(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-') && !s.starts_with('.') && !s.ends_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(group: &str, kind: &str, plural: &str, namespaced: bool) -> TypeRef {
        TypeRef {
            group: group.into(),
            version: "v1".into(),
            kind: kind.into(),
            plural: plural.into(),
            namespaced,
        }
    }

    #[test]
    fn kinds_match_by_kind_plural_and_group() {
        let deploy = t("apps", "Deployment", "deployments", true);
        for name in ["Deployment", "deployments", "deployment.apps", "Deployments.apps"] {
            let s = Selection {
                include_kinds: vec![name.into()],
                ..Default::default()
            };
            assert!(s.wants_type(&deploy), "{name}");
        }
        let s = Selection {
            include_kinds: vec!["deployments.batch".into()],
            ..Default::default()
        };
        assert!(!s.wants_type(&deploy));
    }

    #[test]
    fn namespaces_and_cluster_scope() {
        let s = Selection {
            include_namespaces: vec!["shop".into()],
            ..Default::default()
        };
        assert!(s.wants_namespace(Some("shop")));
        assert!(!s.wants_namespace(Some("other")));
        assert!(!s.wants_type(&t("rbac.authorization.k8s.io", "ClusterRole", "clusterroles", false)));
        assert!(s.wants_type(&t("", "Namespace", "namespaces", false)));
        assert!(!Selection::default().wants_namespace(Some(NODE_LEASE_NAMESPACE)));
    }

    #[test]
    fn checks_name_the_field() {
        let s = Selection {
            exclude_namespaces: vec!["Bad_NS".into()],
            ..Default::default()
        };
        assert!(s.check().expect_err("refused").starts_with("exclude_namespaces:"));
        let s = Selection {
            label_selector: Some("app=$(id)".into()),
            ..Default::default()
        };
        assert!(s.check().expect_err("refused").starts_with("label_selector:"));
    }
}
