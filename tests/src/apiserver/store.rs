//! Objects at rest: each kept as its JSON text plus its labels, so a list is
//! written out without re-serialising and 100k objects cost about their size.
//! Keys sort as etcd's do (namespace, then name), which is what `continue`
//! tokens walk.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use base64::Engine as _;
use serde_json::{Value, json};

use super::catalog::ResourceType;
use super::selector::Selector;
use super::status::{Failure, Outcome};

/// `(namespace or "", name)`.
pub type Key = (String, String);

#[derive(Debug)]
struct Stored {
    raw: Box<str>,
    labels: Box<[(Box<str>, Box<str>)]>,
}

impl Stored {
    fn new(object: &Value) -> Self {
        let labels = object["metadata"]["labels"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.as_str().into(), v.as_str().unwrap_or_default().into()))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            raw: object.to_string().into(),
            labels,
        }
    }

    fn value(&self) -> Value {
        serde_json::from_str(&self.raw).expect("stored objects are JSON")
    }

    fn label(&self, key: &str) -> Option<&str> {
        self.labels.iter().find(|(k, _)| &**k == key).map(|(_, v)| &**v)
    }
}

/// What a list asks for.
#[derive(Debug, Default)]
pub struct ListQuery {
    pub namespace: Option<String>,
    pub labels: Selector,
    pub fields: Selector,
    pub limit: Option<usize>,
    pub continue_token: Option<String>,
}

/// The key of an object: its namespace (when namespaced) and name.
pub fn key_of(rt: &ResourceType, object: &Value) -> Key {
    let namespace = if rt.namespaced {
        object["metadata"]["namespace"].as_str().unwrap_or_default()
    } else {
        ""
    };
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    (namespace.to_owned(), name.to_owned())
}

/// Where a paged list stands: the last key served and how many matching
/// items were left after it, so later pages need not count them again.
#[derive(Debug)]
struct Continue {
    after: Key,
    remaining: usize,
}

impl Continue {
    fn encode(&self, revision: u64) -> String {
        let token = json!({"rv": revision, "start": [self.after.0, self.after.1], "remaining": self.remaining});
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token.to_string())
    }

    fn decode(token: &str) -> Outcome<Self> {
        let invalid = || Failure::bad_request("continue key is not valid: not a token this server issued");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| invalid())?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        match (
            value["start"][0].as_str(),
            value["start"][1].as_str(),
            value["remaining"].as_u64(),
        ) {
            (Some(ns), Some(name), Some(remaining)) => Ok(Self {
                after: (ns.to_owned(), name.to_owned()),
                remaining: usize::try_from(remaining).map_err(|_| invalid())?,
            }),
            _ => Err(invalid()),
        }
    }
}

/// A field selector's view of an object: `metadata.name` and
/// `metadata.namespace` from the key, anything else from the JSON.
fn field_matches(selector: &Selector, key: &Key, stored: &Stored) -> bool {
    if selector.is_empty() {
        return true;
    }
    let value = stored.value();
    selector.matches(|path| match path {
        "metadata.name" => Some(key.1.as_str()),
        "metadata.namespace" => Some(key.0.as_str()),
        _ => path
            .split('.')
            .try_fold(&value, |v, k| v.get(k))
            .and_then(Value::as_str),
    })
}

/// Every object, by group and plural (all versions of a resource share one set).
#[derive(Debug, Default)]
pub struct Store {
    revision: u64,
    objects: HashMap<(String, String), BTreeMap<Key, Stored>>,
}

impl Store {
    /// Stamps `object` with the next resourceVersion and stores it.
    pub fn insert(&mut self, rt: &ResourceType, object: &mut Value) {
        self.revision += 1;
        object["metadata"]["resourceVersion"] = json!(self.revision.to_string());
        let key = key_of(rt, object);
        self.objects
            .entry((rt.group.clone(), rt.plural.clone()))
            .or_default()
            .insert(key, Stored::new(object));
    }

    /// Whether the object exists, without parsing it.
    pub fn contains(&self, rt: &ResourceType, key: &Key) -> bool {
        self.objects
            .get(&(rt.group.clone(), rt.plural.clone()))
            .is_some_and(|objects| objects.contains_key(key))
    }

    pub fn get(&self, rt: &ResourceType, key: &Key) -> Option<Value> {
        self.objects
            .get(&(rt.group.clone(), rt.plural.clone()))?
            .get(key)
            .map(Stored::value)
    }

    pub fn remove(&mut self, rt: &ResourceType, key: &Key) -> Option<Value> {
        let removed = self
            .objects
            .get_mut(&(rt.group.clone(), rt.plural.clone()))?
            .remove(key)
            .map(|s| s.value());
        if removed.is_some() {
            self.revision += 1;
        }
        removed
    }

    /// Drops every object in `namespace`, as namespace deletion does.
    pub fn remove_namespace(&mut self, namespace: &str) {
        for objects in self.objects.values_mut() {
            objects.retain(|(ns, _), _| ns != namespace);
        }
    }

    /// Drops every object of a resource, as deleting its CRD does.
    pub fn remove_resource(&mut self, group: &str, plural: &str) {
        self.objects.remove(&(group.to_owned(), plural.to_owned()));
    }

    /// How many objects are held.
    pub fn object_count(&self) -> usize {
        self.objects.values().map(BTreeMap::len).sum()
    }

    /// Writes the `…List` document for `query`, items copied as stored.
    pub fn list(&self, rt: &ResourceType, query: &ListQuery) -> Outcome<String> {
        let empty = BTreeMap::new();
        let objects = self
            .objects
            .get(&(rt.group.clone(), rt.plural.clone()))
            .unwrap_or(&empty);
        let resumed = query.continue_token.as_deref().map(Continue::decode).transpose()?;
        let start = match &resumed {
            Some(token) => Bound::Excluded(token.after.clone()),
            None => Bound::Included((query.namespace.clone().unwrap_or_default(), String::new())),
        };
        let mut matching = objects
            .range((start, Bound::Unbounded))
            .take_while(|((ns, _), _)| query.namespace.as_ref().is_none_or(|want| want == ns))
            .filter(|(key, stored)| {
                query.labels.matches(|k| stored.label(k)) && field_matches(&query.fields, key, stored)
            })
            .peekable();
        let limit = query.limit.unwrap_or(usize::MAX);
        let (mut items, mut served) = (String::new(), 0usize);
        let mut last: Option<&Key> = None;
        for (key, stored) in matching.by_ref().take(limit) {
            if last.is_some() {
                items.push(',');
            }
            items.push_str(&stored.raw);
            last = Some(key);
            served += 1;
        }
        let mut metadata = json!({"resourceVersion": self.revision.to_string()});
        if let (Some(last), true) = (last, matching.peek().is_some()) {
            // The first page counts what is left once; later pages carry the
            // count on, so walking a list costs one pass, not one per page.
            let remaining = match &resumed {
                Some(token) => token.remaining.saturating_sub(served).max(1),
                None => matching.count(),
            };
            let token = Continue {
                after: last.clone(),
                remaining,
            };
            metadata["continue"] = json!(token.encode(self.revision));
            metadata["remainingItemCount"] = json!(remaining);
        }
        Ok(format!(
            r#"{{"kind":"{}List","apiVersion":"{}","metadata":{},"items":[{}]}}"#,
            rt.kind,
            rt.api_version(),
            metadata,
            items
        ))
    }
}
