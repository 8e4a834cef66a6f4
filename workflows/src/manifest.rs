//! `manifest.json`, written last into every backup's prefix: what the backup
//! holds, the size and SHA-256 of every stored object (checked before any
//! restore), the facts etcd gave about its snapshot, and the archive's data
//! key sealed with the master key, so a bucket and the master key are enough
//! to restore even without Taichu's database.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use taichu_storage::repositories::backups::Part;

use std::future::Future;

use taichu_storage::entities::backups::Model as Backup;
use taichu_storage::objects::{HashingReader, manifest_key};
use taichu_storage::repositories::backups::PartKind;
use taichu_storage::sealed_stream;
use tokio::io::AsyncRead;

use crate::backup::data_key;
use crate::context::StepContext;
use crate::error::StepError;
use crate::resources::{Contents, Selection};

/// The manifest's format; a reader refuses one it does not know.
pub const FORMAT: u32 = 1;
/// How archives are encrypted (see `taichu_storage::sealed_stream`).
pub const ENCRYPTION: &str = "aes-256-gcm-chunked-v1";

/// What etcd said about the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EtcdFacts {
    pub version: Option<String>,
    pub revision: i64,
    pub key_count: i64,
    /// etcd's own hash of the snapshot's contents.
    pub hash: u64,
    /// The member it was taken from.
    pub endpoint: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub taichu_version: String,
    pub backup_id: String,
    pub backup_name: String,
    pub backup_type: String,
    pub cluster_id: String,
    pub cluster_name: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: DateTime<Utc>,
    pub encryption: String,
    /// The data key, sealed with the master key for this backup's row.
    pub data_key_sealed: Option<String>,
    pub parts: Vec<Part>,
    pub etcd: Option<EtcdFacts>,
    /// The filters a resource backup was taken with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Selection>,
    /// What a resource backup took: types, counts per kind, total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Contents>,
}

impl Manifest {
    /// Parses a stored manifest, refusing formats this build does not know.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let manifest: Self = serde_json::from_slice(bytes).map_err(|e| format!("manifest.json is unreadable: {e}"))?;
        if manifest.format != FORMAT {
            return Err(format!(
                "manifest.json has format {}, this build reads format {FORMAT}",
                manifest.format
            ));
        }
        Ok(manifest)
    }
}

/// Reads one stored part of `backup` through `consume`, checking it against
/// the manifest and the record: the stored object's SHA-256, its
/// authentication chunk by chunk, and the SHA-256 of what it decrypts to.
/// Any mismatch is a permanent error saying the cluster was not touched.
pub async fn read_verified<T, F, Fut>(
    ctx: &StepContext,
    backup: &Backup,
    kind: PartKind,
    consume: F,
) -> Result<(Manifest, T), StepError>
where
    F: FnOnce(Box<dyn AsyncRead + Unpin + Send>) -> Fut,
    Fut: Future<Output = std::io::Result<T>>,
{
    let what = match kind {
        PartKind::Etcd => "snapshot",
        PartKind::Resources => "resources archive",
    };
    let objects = &ctx.env().objects;
    let manifest = objects
        .get_bytes(&manifest_key(backup.origin_cluster(), &backup.id), 1 << 20)
        .await
        .map_err(|e| StepError::transient(format!("reading the manifest: {e}")))?;
    let manifest = Manifest::parse(&manifest).map_err(StepError::permanent)?;
    let recorded = backup
        .part_list()
        .into_iter()
        .find(|p| p.kind == kind && p.object.is_some())
        .ok_or_else(|| StepError::permanent(format!("the backup holds no {what}")))?;
    let listed = manifest
        .parts
        .iter()
        .find(|p| p.kind == kind)
        .ok_or_else(|| StepError::permanent(format!("the manifest lists no {what}")))?
        .clone();
    let (Some(object), Some(expected), Some(expected_plain)) = (&listed.object, &listed.sha256, &listed.plain_sha256)
    else {
        return Err(StepError::permanent(format!(
            "the manifest lacks the {what}'s checksums"
        )));
    };
    if recorded.sha256.as_deref() != Some(expected.as_str()) || recorded.object.as_deref() != Some(object.as_str()) {
        return Err(StepError::permanent(format!(
            "the manifest and the backup record disagree about the {what}; nothing on the cluster was touched"
        )));
    }
    let key = data_key(ctx, backup)?;
    ctx.info(format!("verifying {}", objects.url_of(object)));
    let reader = objects
        .reader(object)
        .await
        .map_err(|e| StepError::transient(format!("reading the {what}: {e}")))?;
    let (hashing, stored) = HashingReader::new(reader);
    let (plain, plain_digest) = sealed_stream::open(hashing, &key);
    let consumed = consume(Box::new(plain)).await;
    let mismatch = |part: &str, expected: &str, found: &str| {
        StepError::permanent(format!(
            "checksum mismatch: {part} should be {expected} but is {found}; the stored {what} is damaged or was altered, nothing on the cluster was touched"
        ))
    };
    let (stored_sha256, stored_size) = stored.finish();
    if stored_sha256 != *expected {
        return Err(mismatch(
            &format!("the stored {what}'s SHA-256"),
            expected,
            &stored_sha256,
        ));
    }
    let value = consumed.map_err(|e| {
        StepError::permanent(format!(
            "the stored {what} does not decrypt or is damaged: {e}; nothing on the cluster was touched"
        ))
    })?;
    let (plain_sha256, plain_size) = plain_digest.finish();
    if plain_sha256 != *expected_plain {
        return Err(mismatch(
            &format!("the {what}'s SHA-256"),
            expected_plain,
            &plain_sha256,
        ));
    }
    ctx.info(format!(
        "{what} verified: {stored_size} bytes stored, {plain_size} bytes decrypted, sha256 {plain_sha256}"
    ));
    Ok((manifest, value))
}
