//! Reading a cluster into a resources archive: type by type in restore
//! order, a page at a time, each object cleaned and handed to the archive
//! writer as it arrives.

use std::collections::BTreeMap;

use kube::Client;
use kube::api::{Api, DynamicObject, ListParams};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use taichu_storage::objects::{Objects, Stored};
use taichu_storage::sealed_stream::{self, DataKey};

use super::archive::{ArchiveWriter, Entry, EntryPath};
use super::catalog::{TypeRef, discover};
use super::clean::{clean, is_controlled, safe_segment};
use super::select::Selection;
use crate::kube::{KubeError, Pages};

/// One type in a backup, and how many of its objects were taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCount {
    #[serde(flatten)]
    pub type_ref: TypeRef,
    pub count: u64,
}

/// What a resource backup took.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contents {
    /// Every type taken, in the archive's (restore) order.
    pub kinds: Vec<KindCount>,
    pub total_objects: u64,
    /// Objects left out because a controller owns them.
    pub skipped_owned: u64,
    /// Types that could not be listed, and why (e.g. 403).
    #[serde(default)]
    pub unlisted: Vec<String>,
    /// Objects left out because their names cannot be archive paths
    /// (`/`, `..`, control characters), named (the first few).
    #[serde(default)]
    pub unsafe_names: Vec<String>,
}

/// Unsafe names recorded at most.
const MAX_UNSAFE_NAMES: usize = 20;

impl Contents {
    /// Counts per qualified kind (`Deployment.apps`).
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.kinds
            .iter()
            .map(|k| (k.type_ref.qualified_kind(), k.count))
            .collect()
    }

    /// The type recorded for `group` and `kind`.
    pub fn type_of(&self, group: &str, kind: &str) -> Option<&TypeRef> {
        self.kinds
            .iter()
            .map(|k| &k.type_ref)
            .find(|t| t.group == group && t.kind == kind)
    }
}

/// Why a dump stopped.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error("{0}")]
    Kube(#[from] KubeError),
    #[error("writing the archive: {0}")]
    Archive(std::io::Error),
    #[error("{0}")]
    Store(String),
}

/// Reads every selected object of the cluster into `writer`; `progress` is
/// told the running total after each page.
pub async fn dump(
    client: &Client,
    selection: &Selection,
    writer: &ArchiveWriter,
    mut progress: impl FnMut(&TypeRef, u64),
) -> Result<Contents, DumpError> {
    let mut contents = Contents::default();
    for type_ref in discover(client).await?.into_iter().filter(|t| selection.wants_type(t)) {
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &type_ref.resource());
        let mut params = ListParams::default();
        if let Some(selector) = &selection.label_selector {
            params = params.labels(selector);
        }
        let mut count = 0u64;
        let mut owned = 0u64;
        let mut pages = Pages::new(&api, params);
        let listed = loop {
            let page = match pages.next().await {
                Ok(Some(page)) => page,
                Ok(None) => break Ok(()),
                Err(err) => break Err(err),
            };
            for object in page {
                match entry_of(&type_ref, selection, object) {
                    Taken::Entry(entry) => {
                        writer.add(entry).await.map_err(DumpError::Archive)?;
                        count += 1;
                    }
                    Taken::Owned => owned += 1,
                    Taken::Unsafe(what) => {
                        if contents.unsafe_names.len() < MAX_UNSAFE_NAMES {
                            contents
                                .unsafe_names
                                .push(format!("{} {what:?}", type_ref.qualified_kind()));
                        }
                    }
                    Taken::No => {}
                }
            }
            progress(&type_ref, contents.total_objects + count);
        };
        match listed {
            Ok(()) => {}
            // A type this account may not list (or that went away) is named, not fatal.
            Err(err @ (KubeError::Auth { code: 403, .. } | KubeError::NotFound(_))) => {
                contents.unlisted.push(format!("{}: {err}", type_ref.qualified_kind()));
                continue;
            }
            Err(err) => return Err(err.into()),
        }
        contents.total_objects += count;
        contents.skipped_owned += owned;
        if count > 0 {
            contents.kinds.push(KindCount { type_ref, count });
        }
    }
    Ok(contents)
}

enum Taken {
    Entry(Entry),
    Owned,
    /// Wanted, but its name cannot be a path in the archive.
    Unsafe(String),
    No,
}

fn entry_of(type_ref: &TypeRef, selection: &Selection, object: DynamicObject) -> Taken {
    let namespace = object.metadata.namespace.clone().filter(|_| type_ref.namespaced);
    let Some(name) = object.metadata.name.clone() else {
        return Taken::No;
    };
    let wanted = if type_ref.is_namespace() {
        selection.wants_namespace_object(&name)
    } else {
        selection.wants_namespace(namespace.as_deref())
    };
    if !wanted {
        return Taken::No;
    }
    if !safe_segment(&name) || !namespace.as_deref().is_none_or(safe_segment) {
        return Taken::Unsafe(format!("{}/{name}", namespace.as_deref().unwrap_or("")));
    }
    let Ok(mut value) = serde_json::to_value(&object) else {
        return Taken::No;
    };
    if is_controlled(&value) {
        return Taken::Owned;
    }
    clean(&mut value, &type_ref.group, &type_ref.kind);
    if let Some(map) = value.as_object_mut() {
        map.insert("apiVersion".into(), Value::String(type_ref.api_version()));
        map.insert("kind".into(), Value::String(type_ref.kind.clone()));
    }
    let path = EntryPath {
        group: type_ref.group.clone(),
        version: type_ref.version.clone(),
        kind: type_ref.kind.clone(),
        namespace,
        name,
    };
    match serde_json::to_vec(&value) {
        Ok(bytes) => Taken::Entry(Entry {
            path: path.to_path(),
            bytes,
        }),
        Err(_) => Taken::No,
    }
}

/// A resources archive as stored.
#[derive(Debug, Clone)]
pub struct StoredArchive {
    pub contents: Contents,
    /// The stored (sealed) object's size and SHA-256.
    pub stored: Stored,
    /// SHA-256 and size of the archive itself (`resources.tar.zst`).
    pub plain_sha256: String,
    pub plain_size: u64,
}

/// Bytes buffered between the archive and the upload.
const PIPE_BYTES: usize = 1 << 20;

/// Reads the cluster into a compressed archive, sealed with `key` and
/// uploaded to `object` as it is written: nothing is held whole.
pub async fn dump_to_store(
    client: &Client,
    selection: &Selection,
    objects: &Objects,
    object: &str,
    key: &DataKey,
    progress: impl FnMut(&TypeRef, u64),
) -> Result<StoredArchive, DumpError> {
    let (archive_end, upload_end) = tokio::io::duplex(PIPE_BYTES);
    let (sealed, plain) = sealed_stream::seal(upload_end, key);
    let writer = ArchiveWriter::new(archive_end);
    // On an error the writer is dropped, the archive ends, and the caller
    // removes what was stored.
    let dumping = async move {
        let contents = dump(client, selection, &writer, progress).await;
        (contents, writer.finish().await)
    };
    let ((contents, written), stored) = tokio::join!(dumping, objects.upload(object, sealed));
    let contents = contents?;
    let written = written.map_err(DumpError::Archive)?;
    let stored = stored.map_err(|e| DumpError::Store(format!("storing {}: {e}", objects.url_of(object))))?;
    if written != contents.total_objects {
        return Err(DumpError::Archive(std::io::Error::other(format!(
            "{} objects read but {written} written",
            contents.total_objects
        ))));
    }
    let (plain_sha256, plain_size) = plain.finish();
    Ok(StoredArchive {
        contents,
        stored,
        plain_sha256,
        plain_size,
    })
}
