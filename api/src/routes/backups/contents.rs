//! What a resources backup holds: the kinds with their counts (from the
//! record), and with a kind or namespace filter the objects' names, read
//! from the archive as it streams (names only, never their data).

use poem_openapi::Object;
use taichu_storage::entities::backups as backup_rows;
use taichu_storage::repositories::backups::PartKind;
use taichu_storage::sealed_stream;
use taichu_workflows::resources::Contents;
use taichu_workflows::resources::archive::{EntryPath, read_entries};
use taichu_workflows::resources::catalog::qualified_kind;
use taichu_workflows::resources::select::is_dns_label;

use super::views::KindCountView;
use super::{data_key_of, stored_part};
use crate::error::ApiError;
use crate::state::AppState;

/// Names listed by default, and at most.
const DEFAULT_NAMES: u64 = 1000;
const MAX_NAMES: u64 = 10_000;

/// One object in the archive.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ObjectRefView {
    /// `ConfigMap`, `Deployment.apps`.
    pub kind: String,
    pub api_version: String,
    pub namespace: Option<String>,
    pub name: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ContentsView {
    pub total_objects: u64,
    /// Every kind with its count, in restore order.
    pub kinds: Vec<KindCountView>,
    /// With `kind` or `namespace`: the matching objects' names, archive order.
    pub objects: Vec<ObjectRefView>,
    /// More objects matched than `limit`.
    pub truncated: bool,
}

/// What to list.
#[derive(Debug, Default)]
pub struct ContentsQuery {
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub limit: Option<u64>,
}

pub async fn contents(
    state: &AppState,
    backup: &backup_rows::Model,
    query: ContentsQuery,
) -> Result<ContentsView, ApiError> {
    let contents: Contents = backup
        .contents
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
        .ok_or_else(|| ApiError::not_found("resources contents (the backup holds no completed resources part)"))?;
    let limit = query.limit.unwrap_or(DEFAULT_NAMES);
    if !(1..=MAX_NAMES).contains(&limit) {
        return Err(ApiError::bad_request(format!("limit: 1-{MAX_NAMES}")));
    }
    if let Some(ns) = &query.namespace
        && !is_dns_label(ns)
    {
        return Err(ApiError::bad_request("namespace: not a namespace name"));
    }
    let kind = match &query.kind {
        Some(kind) => Some(
            contents
                .kinds
                .iter()
                .map(|k| &k.type_ref)
                .find(|t| t.matches(kind) || t.qualified_kind().eq_ignore_ascii_case(kind))
                .cloned()
                .ok_or_else(|| ApiError::bad_request(format!("kind: the backup holds no {kind:?} objects")))?,
        ),
        None => None,
    };
    let mut objects = Vec::new();
    let mut truncated = false;
    if kind.is_some() || query.namespace.is_some() {
        let object = stored_part(backup, PartKind::Resources)?;
        let key = data_key_of(state, backup)?;
        let reader = state.env.objects.reader(&object).await?;
        let (plain, _) = sealed_stream::open(reader, &key);
        let mut entries = read_entries(plain);
        while let Some(entry) = entries.recv().await {
            let entry = entry
                .map_err(|e| ApiError::unavailable(format!("the stored resources archive cannot be read: {e}")))?;
            let Some(path) = EntryPath::parse(&entry.path) else {
                continue;
            };
            let kind_matches = kind
                .as_ref()
                .is_none_or(|t| t.group == path.group && t.kind == path.kind);
            let ns_matches = query.namespace.is_none() || query.namespace == path.namespace;
            if !(kind_matches && ns_matches) {
                continue;
            }
            if objects.len() as u64 == limit {
                truncated = true;
                break;
            }
            objects.push(ObjectRefView {
                kind: qualified_kind(&path.group, &path.kind),
                api_version: if path.group.is_empty() {
                    path.version.clone()
                } else {
                    format!("{}/{}", path.group, path.version)
                },
                namespace: path.namespace,
                name: path.name,
            });
        }
    }
    Ok(ContentsView {
        total_objects: contents.total_objects,
        kinds: contents.kinds.into_iter().map(Into::into).collect(),
        objects,
        truncated,
    })
}
