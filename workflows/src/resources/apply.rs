//! Putting a resources archive back into a cluster: the selected objects in
//! restore order (definitions, namespaces, cluster-scoped kinds, what
//! workloads refer to, workloads and the rest), namespaces mapped, each
//! object created or server-side applied with a bounded number in flight,
//! and every outcome counted per kind.

use std::collections::{BTreeMap, HashSet};
use std::io;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use futures::{FutureExt, StreamExt};
use kube::Client;
use kube::api::{Api, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use kube::discovery::{ApiResource, Discovery};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc::Receiver;
use tokio::sync::watch;

use super::archive::{Entry, EntryPath};
use super::catalog::{TypeRef, resolver};
use super::dump::Contents;
use super::select::{Selection, is_dns_label};
use crate::kube::{KubeError, classify};

/// The field manager of everything a restore writes.
pub const FIELD_MANAGER: &str = "taichu-restore";
/// Set on every restored object to the restore's id: a restore that runs
/// again after a crash knows the objects it already made.
pub const RESTORE_ANNOTATION: &str = "taichu.io/restore";
/// Objects applied at once.
pub const CONCURRENCY: usize = 16;
/// Reasons kept per kind.
const MAX_REASONS: usize = 5;
/// How long a restored CRD may take to be Established.
const ESTABLISH_TIMEOUT: Duration = Duration::from_secs(60);
/// Attempts per object when the server is briefly unavailable.
const ATTEMPTS: u32 = 3;
const MAX_MAPPINGS: usize = 256;

/// What happens to an object that already exists in the target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExistingPolicy {
    /// Left as it is, and counted (Velero's default).
    #[default]
    Skip,
    /// Server-side applied over, taking the fields the backup sets.
    Update,
}

/// How a resources restore selects and places objects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreOptions {
    #[serde(flatten)]
    pub selection: Selection,
    /// Source namespace → target namespace.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub namespace_mappings: BTreeMap<String, String>,
    #[serde(default)]
    pub existing_policy: ExistingPolicy,
}

impl RestoreOptions {
    /// Checks bounds and shapes; the error names the field.
    pub fn check(&self) -> Result<(), String> {
        self.selection.check()?;
        if self.selection.label_selector.is_some() {
            return Err(
                "label_selector: restores select by namespace and kind; a label selector applies to backups".into(),
            );
        }
        if self.namespace_mappings.len() > MAX_MAPPINGS {
            return Err(format!("namespace_mappings: at most {MAX_MAPPINGS} entries"));
        }
        for (from, to) in &self.namespace_mappings {
            if !is_dns_label(from) || !is_dns_label(to) {
                return Err(format!(
                    "namespace_mappings: {from:?} → {to:?} must map a namespace name to a namespace name"
                ));
            }
        }
        Ok(())
    }

    /// Where objects of source namespace `ns` go.
    pub fn target_namespace<'a>(&'a self, ns: &'a str) -> &'a str {
        self.namespace_mappings.get(ns).map_or(ns, String::as_str)
    }

    /// The type of the object at `path`, when the restore takes it.
    pub fn select<'c>(&self, contents: &'c Contents, path: &EntryPath) -> Option<&'c TypeRef> {
        let t = contents.type_of(&path.group, &path.kind)?;
        if !self.selection.wants_type(t) {
            return None;
        }
        let wanted = if t.is_namespace() {
            self.selection.wants_namespace_object(&path.name)
        } else {
            self.selection.wants_namespace(path.namespace.as_deref())
        };
        wanted.then_some(t)
    }
}

/// Outcomes of one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindTally {
    pub selected: u64,
    pub applied: u64,
    /// Already there, left as it was (`existing_policy: skip`).
    pub skipped: u64,
    pub failed: u64,
    /// The first reasons, `namespace/name: reason`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// Outcomes per qualified kind, and in all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub selected: u64,
    pub applied: u64,
    pub skipped: u64,
    pub failed: u64,
    pub kinds: BTreeMap<String, KindTally>,
}

impl Tally {
    pub fn done(&self) -> u64 {
        self.applied + self.skipped + self.failed
    }

    fn kind(&mut self, kind: &str) -> &mut KindTally {
        self.kinds.entry(kind.to_owned()).or_default()
    }

    fn count(&mut self, kind: &str, outcome: Outcome) {
        match outcome {
            Outcome::Applied => {
                self.applied += 1;
                self.kind(kind).applied += 1;
            }
            Outcome::Skipped => {
                self.skipped += 1;
                self.kind(kind).skipped += 1;
            }
            Outcome::Failed(reason) => {
                self.failed += 1;
                let k = self.kind(kind);
                k.failed += 1;
                if k.errors.len() < MAX_REASONS {
                    k.errors.push(reason);
                }
            }
        }
    }
}

/// Why a restore of resources stopped as a whole (single objects only count as failed).
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("reading the archive: {0}")]
    Archive(io::Error),
    #[error("{0}")]
    Kube(#[from] KubeError),
}

/// Reads the archive through and counts what the restore would take; every
/// selected object must be a JSON object. A damaged archive is an error.
pub async fn count_selected(
    mut entries: Receiver<io::Result<Entry>>,
    contents: &Contents,
    options: &RestoreOptions,
) -> io::Result<Tally> {
    let mut tally = Tally::default();
    while let Some(entry) = entries.recv().await {
        let entry = entry?;
        let path = EntryPath::parse(&entry.path)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("unexpected entry {}", entry.path)))?;
        let Some(t) = options.select(contents, &path) else {
            continue;
        };
        if !serde_json::from_slice::<Value>(&entry.bytes).is_ok_and(|v| v.is_object()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not a JSON object", entry.path),
            ));
        }
        tally.selected += 1;
        tally.kind(&t.qualified_kind()).selected += 1;
    }
    Ok(tally)
}

enum Outcome {
    Applied,
    Skipped,
    Failed(String),
}

/// What a restore applies, and as which restore.
#[derive(Debug, Clone, Copy)]
pub struct ApplyPlan<'a> {
    /// The types the archive holds.
    pub contents: &'a Contents,
    pub options: &'a RestoreOptions,
    /// Marks every object made (see [`RESTORE_ANNOTATION`]).
    pub restore_id: &'a str,
}

/// Applies the selected objects of `entries` to the cluster, counting into
/// `tally` (its `selected` counts come from [`count_selected`]); `progress`
/// is sent the counts about once a second.
pub async fn apply(
    client: &Client,
    mut entries: Receiver<io::Result<Entry>>,
    plan: ApplyPlan<'_>,
    tally: &mut Tally,
    progress: &watch::Sender<Tally>,
    on_failure: impl Fn(&str),
) -> Result<(), ApplyError> {
    let ApplyPlan {
        contents,
        options,
        restore_id,
    } = plan;
    let count = |tally: &mut Tally, kind: &str, outcome: Outcome| {
        if let Outcome::Failed(reason) = &outcome {
            on_failure(reason);
        }
        tally.count(kind, outcome);
    };
    let mut discovery = resolver(client).await?;
    let mut in_flight: FuturesUnordered<BoxFuture<'_, (String, Outcome)>> = FuturesUnordered::new();
    let mut phase = 0u8;
    let mut crds: Vec<String> = Vec::new();
    let mut namespaces: HashSet<String> = HashSet::new();
    let mut reported = Instant::now();
    while let Some(entry) = entries.recv().await {
        let entry = entry.map_err(ApplyError::Archive)?;
        let Some(path) = EntryPath::parse(&entry.path) else {
            continue;
        };
        let Some(t) = options.select(contents, &path) else {
            continue;
        };
        let kind = t.qualified_kind();
        if t.phase() != phase {
            while let Some((kind, outcome)) = in_flight.next().await {
                count(tally, &kind, outcome);
            }
            if phase == 0 && !crds.is_empty() {
                established(client, &crds).await;
                discovery = resolver(client).await?;
            }
            phase = t.phase();
        }
        let prepared = prepare(&entry.bytes, &path, t, options, restore_id)
            .and_then(|(ns, name, object)| Ok((api_for(client, &discovery, &path, ns.as_deref())?, ns, name, object)));
        let (api, ns, name, object) = match prepared {
            Ok(p) => p,
            Err(reason) => {
                count(tally, &kind, Outcome::Failed(format!("{}: {reason}", label(&path))));
                continue;
            }
        };
        if let Some(ns) = &ns
            && !namespaces.contains(ns)
        {
            match ensure_namespace(client, ns).await {
                Ok(()) => {
                    namespaces.insert(ns.clone());
                }
                Err(err) => {
                    count(
                        tally,
                        &kind,
                        Outcome::Failed(format!("{}: namespace {ns}: {err}", label(&path))),
                    );
                    continue;
                }
            }
        }
        if t.is_crd() {
            crds.push(name.clone());
        }
        if t.is_namespace() {
            namespaces.insert(name.clone());
        }
        let policy = options.existing_policy;
        let at = label(&path);
        in_flight.push(
            async move {
                let outcome = match apply_one(&api, &name, object, policy, restore_id).await {
                    Outcome::Failed(reason) => Outcome::Failed(format!("{at}: {reason}")),
                    other => other,
                };
                (kind, outcome)
            }
            .boxed(),
        );
        while in_flight.len() >= CONCURRENCY {
            if let Some((kind, outcome)) = in_flight.next().await {
                count(tally, &kind, outcome);
            }
        }
        if reported.elapsed() >= Duration::from_secs(1) {
            progress.send_replace(tally.clone());
            reported = Instant::now();
        }
    }
    while let Some((kind, outcome)) = in_flight.next().await {
        count(tally, &kind, outcome);
    }
    if phase == 0 && !crds.is_empty() {
        established(client, &crds).await;
    }
    progress.send_replace(tally.clone());
    Ok(())
}

fn label(path: &EntryPath) -> String {
    match &path.namespace {
        Some(ns) => format!("{} {ns}/{}", path.kind, path.name),
        None => format!("{} {}", path.kind, path.name),
    }
}

/// The object as it goes to the target: placed in its mapped namespace
/// (and a Namespace renamed), ServiceAccount subjects of bindings mapped
/// too, marked with the restore.
fn prepare(
    bytes: &[u8],
    path: &EntryPath,
    t: &TypeRef,
    options: &RestoreOptions,
    restore_id: &str,
) -> Result<(Option<String>, String, Value), String> {
    let mut object: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let ns = path
        .namespace
        .as_deref()
        .filter(|_| t.namespaced)
        .map(|ns| options.target_namespace(ns).to_owned());
    let name = if t.is_namespace() {
        options.target_namespace(&path.name).to_owned()
    } else {
        path.name.clone()
    };
    let meta = object
        .get_mut("metadata")
        .and_then(Value::as_object_mut)
        .ok_or("the object has no metadata")?;
    meta.insert("name".into(), json!(name));
    match &ns {
        Some(ns) => meta.insert("namespace".into(), json!(ns)),
        None => meta.remove("namespace"),
    };
    let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
    if let Some(annotations) = annotations.as_object_mut() {
        annotations.insert(RESTORE_ANNOTATION.into(), json!(restore_id));
    }
    if t.group == "rbac.authorization.k8s.io"
        && let Some(subjects) = object.get_mut("subjects").and_then(Value::as_array_mut)
    {
        for subject in subjects {
            if subject["kind"] == "ServiceAccount"
                && let Some(from) = subject["namespace"].as_str()
            {
                let to = options.target_namespace(from).to_owned();
                subject["namespace"] = json!(to);
            }
        }
    }
    Ok((ns, name, object))
}

fn api_for(
    client: &Client,
    discovery: &Discovery,
    path: &EntryPath,
    ns: Option<&str>,
) -> Result<Api<DynamicObject>, String> {
    let gvk = GroupVersionKind::gvk(&path.group, &path.version, &path.kind);
    let (resource, _): (ApiResource, _) = discovery.resolve_gvk(&gvk).ok_or_else(|| {
        let api_version = if path.group.is_empty() {
            path.version.clone()
        } else {
            format!("{}/{}", path.group, path.version)
        };
        format!("the target cluster does not serve {api_version} {}", path.kind)
    })?;
    Ok(match ns {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
        None => Api::all_with(client.clone(), &resource),
    })
}

async fn ensure_namespace(client: &Client, name: &str) -> Result<(), KubeError> {
    let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    match api.get_opt(name).await.map_err(classify)? {
        Some(_) => Ok(()),
        None => {
            let ns = serde_json::from_value(json!({"metadata": {"name": name}}))
                .map_err(|e| KubeError::Kubeconfig(e.to_string()))?;
            let params = PostParams {
                field_manager: Some(FIELD_MANAGER.into()),
                ..Default::default()
            };
            match api.create(&params, &ns).await.map_err(classify) {
                Ok(_) | Err(KubeError::Conflict(_)) => Ok(()),
                Err(err) => Err(err),
            }
        }
    }
}

fn retryable(err: &KubeError) -> bool {
    matches!(err, KubeError::Server { .. } | KubeError::Unreachable(_))
}

async fn apply_one(
    api: &Api<DynamicObject>,
    name: &str,
    object: Value,
    policy: ExistingPolicy,
    restore_id: &str,
) -> Outcome {
    let object: DynamicObject = match serde_json::from_value(object) {
        Ok(o) => o,
        Err(e) => return Outcome::Failed(format!("not an object: {e}")),
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = match policy {
            ExistingPolicy::Skip => {
                let params = PostParams {
                    field_manager: Some(FIELD_MANAGER.into()),
                    ..Default::default()
                };
                match api.create(&params, &object).await.map_err(classify) {
                    Ok(_) => Ok(Outcome::Applied),
                    Err(KubeError::Conflict(_)) => match api.get(name).await.map_err(classify) {
                        // Made by this very restore before a crash: it counts as applied.
                        Ok(existing)
                            if existing
                                .metadata
                                .annotations
                                .as_ref()
                                .and_then(|a| a.get(RESTORE_ANNOTATION))
                                == Some(&restore_id.to_owned()) =>
                        {
                            Ok(Outcome::Applied)
                        }
                        Ok(_) => Ok(Outcome::Skipped),
                        Err(err) => Err(err),
                    },
                    Err(err) => Err(err),
                }
            }
            ExistingPolicy::Update => {
                let params = PatchParams::apply(FIELD_MANAGER).force();
                api.patch(name, &params, &Patch::Apply(&object))
                    .await
                    .map(|_| Outcome::Applied)
                    .map_err(classify)
            }
        };
        match result {
            Ok(outcome) => return outcome,
            Err(err) if retryable(&err) && attempt < ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
            Err(err) => return Outcome::Failed(err.to_string()),
        }
    }
}

/// Waits (bounded) until each CRD says Established, so its custom resources can follow.
async fn established(client: &Client, names: &[String]) {
    let api: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &ApiResource {
            group: "apiextensions.k8s.io".into(),
            version: "v1".into(),
            api_version: "apiextensions.k8s.io/v1".into(),
            kind: "CustomResourceDefinition".into(),
            plural: "customresourcedefinitions".into(),
        },
    );
    let deadline = Instant::now() + ESTABLISH_TIMEOUT;
    for name in names {
        while Instant::now() < deadline {
            let ready = api.get_opt(name).await.ok().flatten().is_some_and(|crd| {
                crd.data["status"]["conditions"]
                    .as_array()
                    .is_some_and(|c| c.iter().any(|c| c["type"] == "Established" && c["status"] == "True"))
            });
            if ready {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_maps_namespaces_and_subjects() {
        let options = RestoreOptions {
            namespace_mappings: [("shop".to_owned(), "shop-restored".to_owned())].into(),
            ..Default::default()
        };
        let t = TypeRef {
            group: "rbac.authorization.k8s.io".into(),
            version: "v1".into(),
            kind: "RoleBinding".into(),
            plural: "rolebindings".into(),
            namespaced: true,
        };
        let path = EntryPath::parse("rbac.authorization.k8s.io/v1/RoleBinding/shop/rb.json").expect("test value");
        let bytes = serde_json::to_vec(&json!({"metadata": {"name": "rb", "namespace": "shop"},
            "subjects": [{"kind": "ServiceAccount", "name": "a", "namespace": "shop"}, {"kind": "User", "name": "u"}]}))
        .expect("test value");
        let (ns, name, object) = prepare(&bytes, &path, &t, &options, "r1").expect("test value");
        assert_eq!(ns.as_deref(), Some("shop-restored"));
        assert_eq!(name, "rb");
        assert_eq!(object["metadata"]["namespace"], "shop-restored");
        assert_eq!(object["subjects"][0]["namespace"], "shop-restored");
        assert_eq!(object["metadata"]["annotations"][RESTORE_ANNOTATION], "r1");
    }

    #[test]
    fn options_name_the_field() {
        let options = RestoreOptions {
            namespace_mappings: [("shop".to_owned(), "Bad Name".to_owned())].into(),
            ..Default::default()
        };
        assert!(options.check().expect_err("refused").starts_with("namespace_mappings:"));
    }
}
