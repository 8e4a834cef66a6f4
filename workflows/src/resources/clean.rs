//! Objects as they go into a backup: without what the server set for this
//! cluster (ids, versions, times, status, assigned addresses and nodes), so
//! they apply to a fresh cluster, and without objects a controller owns
//! (their owner makes them again).

use serde_json::Value;

/// Metadata the API server sets; none of it means anything in another cluster.
const SERVER_SET: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    // Owners are referenced by uid; restored, a reference to a uid that does
    // not exist there would have the garbage collector delete the object.
    "ownerReferences",
];

/// Whether a controller owns the object (`ownerReferences[].controller: true`).
pub fn is_controlled(object: &Value) -> bool {
    object["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|refs| refs.iter().any(|r| r["controller"] == Value::Bool(true)))
}

/// Whether a name from the cluster is safe as an archive path segment.
pub fn safe_segment(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && !name.chars().any(char::is_control)
}

/// Strips what the server set; `kind` and `group` say which extra fields go.
pub fn clean(object: &mut Value, group: &str, kind: &str) {
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in SERVER_SET {
            meta.remove(*field);
        }
    }
    if let Some(obj) = object.as_object_mut() {
        obj.remove("status");
    }
    let Some(spec) = object.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    match (group, kind) {
        // A headless Service keeps "None": that is its meaning, not an address.
        ("", "Service") if spec.get("clusterIP").and_then(Value::as_str) != Some("None") => {
            spec.remove("clusterIP");
            spec.remove("clusterIPs");
        }
        ("", "Pod") => {
            spec.remove("nodeName");
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn strips_server_fields_and_keeps_headless_services() {
        let mut svc = json!({"metadata": {"name": "a", "uid": "u", "resourceVersion": "5", "labels": {"x": "y"}},
                             "spec": {"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"], "ports": [{"port": 80}]},
                             "status": {"loadBalancer": {}}});
        clean(&mut svc, "", "Service");
        assert_eq!(
            svc,
            json!({"metadata": {"name": "a", "labels": {"x": "y"}}, "spec": {"ports": [{"port": 80}]}})
        );
        let mut headless = json!({"metadata": {"name": "h"}, "spec": {"clusterIP": "None"}});
        clean(&mut headless, "", "Service");
        assert_eq!(headless["spec"]["clusterIP"], "None");
        let mut pod = json!({"metadata": {"name": "p"}, "spec": {"nodeName": "n1", "containers": []}});
        clean(&mut pod, "", "Pod");
        assert!(pod["spec"].get("nodeName").is_none());
    }

    #[test]
    fn controlled_and_unsafe_names() {
        assert!(is_controlled(
            &json!({"metadata": {"ownerReferences": [{"controller": true}]}})
        ));
        assert!(!is_controlled(
            &json!({"metadata": {"ownerReferences": [{"controller": false}]}})
        ));
        assert!(!safe_segment("../x"));
        assert!(!safe_segment(".."));
        assert!(safe_segment("system:controller:x"));
    }
}
