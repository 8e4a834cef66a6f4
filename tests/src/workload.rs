//! A cluster's worth of objects to back up and restore: namespaces with
//! deployments (and the replica sets and pods they own), services, config
//! maps, secrets, RBAC, service accounts, a CRD with custom resources, and
//! events; plus cluster-scoped roles and a persistent volume. Each object
//! says whether a resources backup must take it.

use serde_json::{Value, json};

use crate::apiserver::TestApiServer;

/// The CRD's group, kind and plural.
pub const CRD_GROUP: &str = "shop.example.com";
pub const CRD_KIND: &str = "Widget";
pub const CRD_PLURAL: &str = "widgets";

/// One object, where it is served, and whether a backup takes it.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// `v1` or `apps/v1`.
    pub group_version: String,
    pub plural: String,
    pub object: Value,
    /// Owned objects (replica sets, pods) and events are left out.
    pub backed_up: bool,
}

impl Seeded {
    pub fn kind(&self) -> &str {
        self.object["kind"].as_str().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.object["metadata"]["name"].as_str().unwrap_or_default()
    }

    pub fn namespace(&self) -> Option<&str> {
        self.object["metadata"]["namespace"].as_str()
    }
}

/// How many objects of each kind go into each namespace.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub namespaces: usize,
    pub deployments: usize,
    pub services: usize,
    pub configmaps: usize,
    pub secrets: usize,
    pub widgets: usize,
    pub events: usize,
}

impl Shape {
    /// About 2,000 objects in 10 namespaces.
    pub const SHOP: Shape = Shape {
        namespaces: 10,
        deployments: 15,
        services: 15,
        configmaps: 60,
        secrets: 30,
        widgets: 5,
        events: 10,
    };
}

/// The namespace names: `shop`, `ns-1`, … (`shop` is the one tests map).
pub fn namespace_name(i: usize) -> String {
    if i == 0 { "shop".to_owned() } else { format!("ns-{i}") }
}

/// The secret value stored in `secret` of namespace `ns`: unique, so a
/// search of stored bytes for it means something.
pub fn secret_value(ns: &str, i: usize) -> String {
    format!("s3cr3t-{ns}-{i}-value-never-in-the-clear")
}

fn seeded(group_version: &str, plural: &str, object: Value, backed_up: bool) -> Seeded {
    Seeded {
        group_version: group_version.to_owned(),
        plural: plural.to_owned(),
        object,
        backed_up,
    }
}

fn owner(kind: &str, api_version: &str, name: &str) -> Value {
    json!([{"apiVersion": api_version, "kind": kind, "name": name, "uid": format!("uid-{name}"), "controller": true}])
}

/// Every object of `shape`, cluster-scoped first.
pub fn objects(shape: Shape) -> Vec<Seeded> {
    let mut out = vec![
        seeded(
            "apiextensions.k8s.io/v1",
            "customresourcedefinitions",
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                   "metadata": {"name": format!("{CRD_PLURAL}.{CRD_GROUP}")},
                   "spec": {"group": CRD_GROUP, "scope": "Namespaced",
                            "names": {"plural": CRD_PLURAL, "singular": "widget", "kind": CRD_KIND},
                            "versions": [{"name": "v1", "served": true, "storage": true,
                                          "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}}),
            true,
        ),
        seeded(
            "rbac.authorization.k8s.io/v1",
            "clusterroles",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                   "metadata": {"name": "shop-reader", "labels": {"app": "shop"}},
                   "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}),
            true,
        ),
        seeded(
            "v1",
            "persistentvolumes",
            json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv-data"},
                   "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/data"}},
                   "status": {"phase": "Available"}}),
            true,
        ),
    ];
    for n in 0..shape.namespaces {
        let ns = namespace_name(n);
        let ns = ns.as_str();
        out.push(seeded(
            "v1",
            "namespaces",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"team": "shop"}}}),
            true,
        ));
        out.push(seeded(
            "v1",
            "serviceaccounts",
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "app", "namespace": ns}}),
            true,
        ));
        out.push(seeded(
            "rbac.authorization.k8s.io/v1",
            "roles",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "app", "namespace": ns},
                   "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]}),
            true,
        ));
        out.push(seeded(
            "rbac.authorization.k8s.io/v1",
            "rolebindings",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "app", "namespace": ns},
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "app"},
                   "subjects": [{"kind": "ServiceAccount", "name": "app", "namespace": ns}]}),
            true,
        ));
        for i in 0..shape.deployments {
            let name = format!("web-{i}");
            let tier = if i % 2 == 0 { "front" } else { "back" };
            out.push(seeded(
                "apps/v1",
                "deployments",
                json!({"apiVersion": "apps/v1", "kind": "Deployment",
                       "metadata": {"name": name, "namespace": ns, "labels": {"app": name, "tier": tier}},
                       "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                                "template": {"metadata": {"labels": {"app": name}},
                                             "spec": {"containers": [{"name": "web", "image": format!("nginx:1.{i}")}]}}},
                       "status": {"readyReplicas": 2}}),
                true,
            ));
            let rs = format!("{name}-7d9f");
            out.push(seeded(
                "apps/v1",
                "replicasets",
                json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                       "metadata": {"name": rs, "namespace": ns, "ownerReferences": owner("Deployment", "apps/v1", &name)},
                       "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}}}}),
                false,
            ));
            for p in 0..2 {
                out.push(seeded(
                    "v1",
                    "pods",
                    json!({"apiVersion": "v1", "kind": "Pod",
                           "metadata": {"name": format!("{rs}-{p}"), "namespace": ns, "labels": {"app": name},
                                        "ownerReferences": owner("ReplicaSet", "apps/v1", &rs)},
                           "spec": {"nodeName": "n1", "containers": [{"name": "web", "image": "nginx"}]}}),
                    false,
                ));
            }
        }
        for i in 0..shape.services {
            let cluster_ip = if i == 0 {
                "None".to_owned()
            } else {
                format!("10.96.{n}.{i}")
            };
            out.push(seeded(
                "v1",
                "services",
                json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": format!("web-{i}"), "namespace": ns},
                       "spec": {"clusterIP": cluster_ip, "selector": {"app": format!("web-{i}")}, "ports": [{"port": 80}]}}),
                true,
            ));
        }
        for i in 0..shape.configmaps {
            out.push(seeded(
                "v1",
                "configmaps",
                json!({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": format!("settings-{i}"), "namespace": ns, "labels": {"app": format!("web-{}", i % 15)}},
                       "data": {"mode": "production", "index": i.to_string()}}),
                true,
            ));
        }
        for i in 0..shape.secrets {
            let value = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, secret_value(ns, i));
            out.push(seeded(
                "v1",
                "secrets",
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": format!("creds-{i}"), "namespace": ns},
                       "type": "Opaque", "data": {"password": value}}),
                true,
            ));
        }
        for i in 0..shape.widgets {
            out.push(seeded(
                &format!("{CRD_GROUP}/v1"),
                CRD_PLURAL,
                json!({"apiVersion": format!("{CRD_GROUP}/v1"), "kind": CRD_KIND,
                       "metadata": {"name": format!("widget-{i}"), "namespace": ns}, "spec": {"size": i, "color": "blue"}}),
                true,
            ));
        }
        for i in 0..shape.events {
            out.push(seeded(
                "v1",
                "events",
                json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": format!("web-0.{i}"), "namespace": ns},
                       "reason": "Pulled", "message": "pulled", "involvedObject": {"kind": "Pod", "name": "web-0"}}),
                false,
            ));
        }
    }
    out
}

/// Puts every object into `server`; returns them.
pub fn seed(server: &TestApiServer, shape: Shape) -> Vec<Seeded> {
    let objects = objects(shape);
    for o in &objects {
        server.put(&o.group_version, &o.plural, o.object.clone());
    }
    objects
}

/// A 641-byte pod of a large cluster (`team-{i % 20}` namespaces), as the
/// benchmarks seed them by the hundred thousand.
pub fn pod(i: usize) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("web-{i:07}"), "namespace": format!("team-{}", i % 20),
                     "labels": {"app": "web", "shard": (i % 10).to_string(), "pod-template-hash": "7d9f8c6b5"},
                     "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}},
        "spec": {"nodeName": format!("node-{}", i % 200), "serviceAccountName": "default",
                 "containers": [{"name": "web", "image": "registry.example.com/web:1.27.3",
                                 "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                                 "env": [{"name": "MODE", "value": "production"}]}]},
        "status": {"phase": "Running", "podIP": format!("10.{}.{}.{}", i / 65536 % 256, i / 256 % 256, i % 256),
                   "conditions": [{"type": "Ready", "status": "True"}]}})
}
