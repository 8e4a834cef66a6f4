//! Field ownership and patching: JSON merge patch (RFC 7386) and server-side
//! apply with `managedFields`. Ownership is tracked per leaf field; lists are
//! atomic (upstream merges some lists by key; this server replaces them whole).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

type FieldPath = Vec<String>;

/// Fields the server owns; never managed by clients.
fn server_owned(path: &[String]) -> bool {
    match path {
        [top] => top == "apiVersion" || top == "kind",
        [meta, field, ..] if meta == "metadata" => matches!(
            field.as_str(),
            "name" | "namespace" | "uid" | "resourceVersion" | "generation" | "creationTimestamp" | "managedFields"
        ),
        _ => false,
    }
}

/// Every leaf path of `v`: scalars, lists and empty maps are leaves.
fn leaves(v: &Value) -> BTreeSet<FieldPath> {
    fn walk(v: &Value, prefix: &mut FieldPath, out: &mut BTreeSet<FieldPath>) {
        match v {
            Value::Object(map) if !map.is_empty() => {
                for (k, child) in map {
                    prefix.push(k.clone());
                    walk(child, prefix, out);
                    prefix.pop();
                }
            }
            _ if !prefix.is_empty() && !server_owned(prefix) => {
                out.insert(prefix.clone());
            }
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

fn at<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn set(v: &mut Value, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for k in parents {
        if !cur.get(k).is_some_and(Value::is_object) {
            cur[k] = json!({});
        }
        cur = &mut cur[k];
    }
    cur[last] = value;
}

/// Removes a leaf and any maps it leaves empty.
fn remove(v: &mut Value, path: &[String]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let Some(map) = v.as_object_mut() else {
        return;
    };
    if rest.is_empty() {
        map.remove(first);
    } else if let Some(child) = map.get_mut(first) {
        remove(child, rest);
        if child.as_object().is_some_and(Map::is_empty) {
            map.remove(first);
        }
    }
}

/// RFC 7386: maps merge, `null` deletes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    for (k, v) in patch {
        if v.is_null() {
            if let Some(map) = target.as_object_mut() {
                map.remove(k);
            }
        } else {
            merge_patch(&mut target[k], v);
        }
    }
}

/// One `managedFields` entry.
#[derive(Debug, Clone)]
struct Entry {
    manager: String,
    operation: String,
    api_version: String,
    time: String,
    fields: BTreeSet<FieldPath>,
}

fn to_fields_v1(paths: &BTreeSet<FieldPath>) -> Value {
    let mut root = json!({});
    for path in paths {
        let keyed: Vec<String> = path.iter().map(|k| format!("f:{k}")).collect();
        set(&mut root, &keyed, json!({}));
    }
    root
}

fn from_fields_v1(v: &Value) -> BTreeSet<FieldPath> {
    leaves(v)
        .into_iter()
        .map(|p| p.into_iter().map(|k| k.trim_start_matches("f:").to_owned()).collect())
        .collect()
}

fn entries(object: &Value) -> Vec<Entry> {
    object["metadata"]["managedFields"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|e| Entry {
                    manager: e["manager"].as_str().unwrap_or_default().to_owned(),
                    operation: e["operation"].as_str().unwrap_or_default().to_owned(),
                    api_version: e["apiVersion"].as_str().unwrap_or_default().to_owned(),
                    time: e["time"].as_str().unwrap_or_default().to_owned(),
                    fields: from_fields_v1(&e["fieldsV1"]),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn store_entries(object: &mut Value, entries: &[Entry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            json!({"manager": e.manager, "operation": e.operation, "apiVersion": e.api_version, "time": e.time,
                   "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(&e.fields)})
        })
        .collect();
    if list.is_empty() {
        remove(object, &["metadata".into(), "managedFields".into()]);
    } else {
        object["metadata"]["managedFields"] = Value::Array(list);
    }
}

/// Who writes: a field manager with the operation it performs.
#[derive(Debug, Clone)]
pub struct Writer<'a> {
    pub manager: &'a str,
    pub api_version: &'a str,
    pub time: &'a str,
}

impl Writer<'_> {
    fn entry<'e>(&self, entries: &'e mut Vec<Entry>, operation: &str) -> &'e mut Entry {
        let found = entries
            .iter()
            .position(|e| e.manager == self.manager && e.operation == operation);
        let index = found.unwrap_or_else(|| {
            entries.push(Entry {
                manager: self.manager.to_owned(),
                operation: operation.to_owned(),
                api_version: String::new(),
                time: String::new(),
                fields: BTreeSet::new(),
            });
            entries.len() - 1
        });
        let entry = &mut entries[index];
        entry.api_version = self.api_version.to_owned();
        entry.time = self.time.to_owned();
        entry
    }
}

/// Records an ordinary write (create, update, merge patch): `writer` takes
/// the fields whose value it changed; fields that disappeared lose their owners.
pub fn record_update(old: Option<&Value>, new: &mut Value, writer: &Writer<'_>) {
    let mut list = old.map(entries).unwrap_or_default();
    let before = old.map(leaves).unwrap_or_default();
    let after = leaves(new);
    let changed: BTreeSet<FieldPath> = after
        .iter()
        .filter(|p| old.and_then(|o| at(o, p)) != at(new, p))
        .cloned()
        .collect();
    for entry in &mut list {
        entry.fields.retain(|p| after.contains(p) && !changed.contains(p));
    }
    if !changed.is_empty() || before.is_empty() {
        writer.entry(&mut list, "Update").fields.extend(changed);
    }
    store_entries(new, &list);
}

/// A field another manager owns with a different value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub manager: String,
    pub field: String,
}

/// Server-side apply of `applied` by `writer` onto `current`: the applier
/// comes to own exactly the fields it sent; fields it owned before and no
/// longer sends are removed unless someone else owns them. Without `force`,
/// changing a field another manager owns is a conflict.
pub fn apply(current: &Value, applied: &Value, writer: &Writer<'_>, force: bool) -> Result<Value, Vec<Conflict>> {
    let mut object = current.clone();
    let mut list = entries(current);
    let wanted = leaves(applied);
    let mut conflicts = Vec::new();
    for entry in list
        .iter_mut()
        .filter(|e| !(e.manager == writer.manager && e.operation == "Apply"))
    {
        let contested: Vec<FieldPath> = entry
            .fields
            .iter()
            .filter(|p| wanted.contains(*p) && at(current, p) != at(applied, p))
            .cloned()
            .collect();
        for path in contested {
            if force {
                entry.fields.remove(&path);
            } else {
                conflicts.push(Conflict {
                    manager: entry.manager.clone(),
                    field: format!(".{}", path.join(".")),
                });
            }
        }
    }
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    let owned_by_others: BTreeSet<FieldPath> = list
        .iter()
        .filter(|e| !(e.manager == writer.manager && e.operation == "Apply"))
        .flat_map(|e| e.fields.iter().cloned())
        .collect();
    let mine = writer.entry(&mut list, "Apply");
    for dropped in mine.fields.difference(&wanted) {
        if !owned_by_others.contains(dropped) {
            remove(&mut object, dropped);
        }
    }
    for path in &wanted {
        if let Some(value) = at(applied, path) {
            set(&mut object, path, value.clone());
        }
    }
    mine.fields = wanted;
    store_entries(&mut object, &list);
    Ok(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer(manager: &str) -> Writer<'_> {
        Writer {
            manager,
            api_version: "apps/v1",
            time: "2026-01-01T00:00:00Z",
        }
    }

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}, "l": [1, 2]});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}, "l": [3]}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}, "l": [3]}));
    }

    #[test]
    fn apply_owns_removes_and_conflicts() {
        let base = json!({"metadata": {"name": "web"}});
        let applied = json!({"metadata": {"name": "web", "labels": {"a": "1", "b": "2"}}, "spec": {"replicas": 3}});
        let first = apply(&base, &applied, &writer("ci"), false).expect("applies");
        assert_eq!(first["spec"]["replicas"], 3);
        assert_eq!(
            first["metadata"]["managedFields"][0]["fieldsV1"],
            json!({"f:metadata": {"f:labels": {"f:a": {}, "f:b": {}}}, "f:spec": {"f:replicas": {}}})
        );

        // Another manager scales: it now owns replicas.
        let mut scaled = first.clone();
        scaled["spec"]["replicas"] = json!(5);
        record_update(Some(&first), &mut scaled, &writer("kubectl-scale"));

        // Re-applying without label b removes it; sending replicas 3 conflicts.
        let again = json!({"metadata": {"name": "web", "labels": {"a": "1"}}, "spec": {"replicas": 3}});
        let conflicts = apply(&scaled, &again, &writer("ci"), false).expect_err("conflict");
        assert_eq!(
            conflicts,
            vec![Conflict {
                manager: "kubectl-scale".into(),
                field: ".spec.replicas".into()
            }]
        );
        let forced = apply(&scaled, &again, &writer("ci"), true).expect("forced");
        assert_eq!(forced["spec"]["replicas"], 3);
        assert_eq!(forced["metadata"]["labels"], json!({"a": "1"}));

        // Leaving replicas out of the next apply gives it up but keeps the value
        // only if someone else owns it; nobody does, so it goes.
        let without = json!({"metadata": {"name": "web", "labels": {"a": "1"}}});
        let released = apply(&forced, &without, &writer("ci"), false).expect("applies");
        assert!(released.get("spec").is_none(), "{released}");
    }

    #[test]
    fn equal_values_are_shared_not_conflicting() {
        let base = json!({"metadata": {"name": "x"}, "spec": {"replicas": 2}});
        let mut owned = base.clone();
        record_update(None, &mut owned, &writer("creator"));
        let applied = json!({"metadata": {"name": "x"}, "spec": {"replicas": 2}});
        let result = apply(&owned, &applied, &writer("ci"), false).expect("same value is no conflict");
        assert_eq!(result["metadata"]["managedFields"].as_array().map(Vec::len), Some(2));
    }
}
