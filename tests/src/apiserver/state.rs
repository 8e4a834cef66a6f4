//! What each verb does to the objects: the server's semantics (metadata the
//! server owns, optimistic concurrency, field managers, namespaces and CRDs),
//! independent of HTTP.

use chrono::SecondsFormat;
use serde_json::{Value, json};

use super::catalog::{Catalog, ResourceType, crd_types};
use super::fields::{self, Writer};
use super::status::{Failure, Outcome};
use super::store::{Key, ListQuery, Store, key_of};

/// How a PATCH body is to be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    Merge,
    Apply { force: bool },
}

/// The catalog and the objects, behind one lock.
#[derive(Debug)]
pub struct State {
    pub catalog: Catalog,
    pub store: Store,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn is_crd(rt: &ResourceType) -> bool {
    rt.group == "apiextensions.k8s.io" && rt.plural == "customresourcedefinitions"
}

fn is_namespace(rt: &ResourceType) -> bool {
    rt.group.is_empty() && rt.plural == "namespaces"
}

/// A DNS subdomain, as object names must be.
fn valid_name(name: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.';
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    name.len() <= 253 && name.chars().all(ok_char) && edge(name.chars().next()) && edge(name.chars().last())
}

impl Default for State {
    fn default() -> Self {
        Self {
            catalog: Catalog::built_in(),
            store: Store::default(),
        }
    }
}

impl State {
    pub fn get(&self, rt: &ResourceType, key: &Key) -> Outcome<Value> {
        self.store.get(rt, key).ok_or_else(|| Failure::not_found(rt, &key.1))
    }

    pub fn list(&self, rt: &ResourceType, query: &ListQuery) -> Outcome<String> {
        self.store.list(rt, query)
    }

    fn require_namespace(&self, rt: &ResourceType, namespace: &str) -> Outcome<()> {
        let namespaces = self
            .catalog
            .find("", "v1", "namespaces")
            .expect("namespaces are built in");
        if rt.namespaced && !self.store.contains(namespaces, &(String::new(), namespace.to_owned())) {
            return Err(Failure::namespace_not_found(namespace));
        }
        Ok(())
    }

    /// POST to a collection.
    pub fn create(&mut self, rt: &ResourceType, namespace: &str, mut object: Value, manager: &str) -> Outcome<Value> {
        if !object.is_object() {
            return Err(Failure::bad_request("the body must be a JSON object"));
        }
        let body_ns = object["metadata"]["namespace"].as_str().unwrap_or_default();
        if rt.namespaced && !body_ns.is_empty() && body_ns != namespace {
            return Err(Failure::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        if object["metadata"]["name"].as_str().unwrap_or_default().is_empty()
            && let Some(prefix) = object["metadata"]["generateName"].as_str()
        {
            let suffix = uuid::Uuid::new_v4().simple().to_string();
            object["metadata"]["name"] = json!(format!("{prefix}{}", &suffix[..5]));
        }
        if rt.namespaced {
            object["metadata"]["namespace"] = json!(namespace);
        }
        if let Some(meta) = object["metadata"].as_object_mut() {
            for owned in [
                "uid",
                "creationTimestamp",
                "resourceVersion",
                "generation",
                "managedFields",
            ] {
                meta.remove(owned);
            }
        }
        let key = key_of(rt, &object);
        if key.1.is_empty() {
            return Err(Failure::invalid(
                rt,
                "",
                "metadata.name: Required value: name or generateName is required",
            ));
        }
        if !valid_name(&key.1) {
            return Err(Failure::invalid(
                rt,
                &key.1,
                "metadata.name: Invalid value: must be a lowercase RFC 1123 subdomain",
            ));
        }
        self.require_namespace(rt, &key.0)?;
        if self.store.contains(rt, &key) {
            return Err(Failure::already_exists(rt, &key.1));
        }
        self.commit(rt, None, object, manager)
    }

    /// PUT to an object: a whole replacement, refused when `resourceVersion` is stale.
    pub fn update(&mut self, rt: &ResourceType, key: &Key, mut object: Value, manager: &str) -> Outcome<Value> {
        let current = self.get(rt, key)?;
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        if name != key.1 {
            return Err(Failure::bad_request(format!(
                "the name of the object ({name}) does not match the name on the URL ({})",
                key.1
            )));
        }
        Self::check_version(rt, key, &current, &object)?;
        object["metadata"]["managedFields"] = current["metadata"]["managedFields"].clone();
        self.commit(rt, Some(&current), object, manager)
    }

    fn check_version(rt: &ResourceType, key: &Key, current: &Value, wanted: &Value) -> Outcome<()> {
        match wanted["metadata"]["resourceVersion"].as_str() {
            Some(rv) if Some(rv) != current["metadata"]["resourceVersion"].as_str() => Err(Failure::stale(rt, &key.1)),
            _ => Ok(()),
        }
    }

    /// PATCH: a merge patch of an existing object, or a server-side apply that
    /// creates the object when it is missing.
    pub fn patch(
        &mut self,
        rt: &ResourceType,
        key: &Key,
        kind: PatchKind,
        body: Value,
        manager: &str,
    ) -> Outcome<Value> {
        match kind {
            PatchKind::Merge => {
                let current = self.get(rt, key)?;
                Self::check_version(rt, key, &current, &body)?;
                let mut patched = current.clone();
                fields::merge_patch(&mut patched, &body);
                patched["metadata"]["name"] = json!(key.1);
                if rt.namespaced {
                    patched["metadata"]["namespace"] = json!(key.0);
                }
                self.commit(rt, Some(&current), patched, manager)
            }
            PatchKind::Apply { force } => self.apply(rt, key, body, manager, force),
        }
    }

    fn apply(&mut self, rt: &ResourceType, key: &Key, body: Value, manager: &str, force: bool) -> Outcome<Value> {
        if body["apiVersion"].as_str() != Some(rt.api_version().as_str()) || body["kind"].as_str() != Some(&rt.kind) {
            return Err(Failure::bad_request(format!(
                "apply needs apiVersion {} and kind {} in the body",
                rt.api_version(),
                rt.kind
            )));
        }
        if body["metadata"]["name"].as_str() != Some(key.1.as_str()) {
            return Err(Failure::bad_request(
                "metadata.name in the body must match the name on the URL",
            ));
        }
        let current = self.store.get(rt, key);
        if current.is_none() {
            self.require_namespace(rt, &key.0)?;
        }
        let base = current.clone().unwrap_or_else(|| {
            let mut skeleton = json!({"apiVersion": rt.api_version(), "kind": rt.kind, "metadata": {"name": key.1}});
            if rt.namespaced {
                skeleton["metadata"]["namespace"] = json!(key.0);
            }
            skeleton
        });
        let time = now();
        let writer = Writer {
            manager,
            api_version: &rt.api_version(),
            time: &time,
        };
        let applied = fields::apply(&base, &body, &writer, force).map_err(|conflicts| {
            let list: Vec<String> = conflicts
                .iter()
                .map(|c| format!("conflict with \"{}\": {}", c.manager, c.field))
                .collect();
            Failure::new(
                409,
                "Conflict",
                format!("Apply failed with {} conflict(s): {}", conflicts.len(), list.join("; ")),
            )
        })?;
        self.stamp_and_store(rt, current.as_ref(), applied)
    }

    /// Records `manager`'s ordinary write, then stamps and stores.
    fn commit(
        &mut self,
        rt: &ResourceType,
        current: Option<&Value>,
        mut object: Value,
        manager: &str,
    ) -> Outcome<Value> {
        let time = now();
        let writer = Writer {
            manager,
            api_version: &rt.api_version(),
            time: &time,
        };
        fields::record_update(current, &mut object, &writer);
        self.stamp_and_store(rt, current, object)
    }

    /// Server-owned metadata, then the CRD and namespace rules, then the store.
    fn stamp_and_store(&mut self, rt: &ResourceType, current: Option<&Value>, mut object: Value) -> Outcome<Value> {
        object["apiVersion"] = json!(rt.api_version());
        object["kind"] = json!(rt.kind);
        let meta = &mut object["metadata"];
        match current {
            Some(old) => {
                meta["uid"] = old["metadata"]["uid"].clone();
                meta["creationTimestamp"] = old["metadata"]["creationTimestamp"].clone();
                let generation = old["metadata"]["generation"].as_i64().unwrap_or(1);
                let spec_changed = old.get("spec") != object.get("spec");
                object["metadata"]["generation"] = json!(generation + i64::from(spec_changed));
            }
            None => {
                if !meta["uid"].is_string() {
                    meta["uid"] = json!(uuid::Uuid::new_v4().to_string());
                }
                if !meta["creationTimestamp"].is_string() {
                    meta["creationTimestamp"] = json!(now());
                }
                meta["generation"] = json!(1);
            }
        }
        if is_crd(rt) {
            self.define_crd(rt, &mut object)?;
        }
        if is_namespace(rt) {
            object["status"] = json!({"phase": "Active"});
        }
        self.store.insert(rt, &mut object);
        Ok(object)
    }

    fn define_crd(&mut self, rt: &ResourceType, crd: &mut Value) -> Outcome<()> {
        let name = crd["metadata"]["name"].as_str().unwrap_or_default().to_owned();
        let types = crd_types(crd).map_err(|e| Failure::invalid(rt, &name, e))?;
        let versions: Vec<String> = types.iter().map(|t| t.version.clone()).collect();
        self.catalog.define(types);
        crd["status"] = json!({
            "conditions": [{"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "lastTransitionTime": now()},
                           {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "lastTransitionTime": now()}],
            "acceptedNames": crd["spec"]["names"].clone(),
            "storedVersions": versions,
        });
        Ok(())
    }

    /// DELETE: the object goes at once (there are no finalizers here); a
    /// namespace takes its objects with it, a CRD its custom resources.
    pub fn delete(&mut self, rt: &ResourceType, key: &Key) -> Outcome<Value> {
        let removed = self
            .store
            .remove(rt, key)
            .ok_or_else(|| Failure::not_found(rt, &key.1))?;
        if is_namespace(rt) {
            self.store.remove_namespace(&key.1);
        }
        if is_crd(rt) {
            let spec = &removed["spec"];
            let (group, plural) = (spec["group"].as_str(), spec["names"]["plural"].as_str());
            if let (Some(group), Some(plural)) = (group, plural) {
                self.catalog.undefine(group, plural);
                self.store.remove_resource(group, plural);
            }
        }
        Ok(removed)
    }

    /// Stores an object as given (tests and `--seed`): no namespace check and
    /// no field manager; a given uid and creationTimestamp are kept.
    pub fn seed(&mut self, rt: &ResourceType, object: Value) -> Outcome<Value> {
        let current = self.store.get(rt, &key_of(rt, &object));
        self.stamp_and_store(rt, current.as_ref(), object)
    }
}
