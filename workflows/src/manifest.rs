//! `manifest.json`, written last into every backup's prefix: what the backup
//! holds, the size and SHA-256 of every stored object (checked before any
//! restore), the facts etcd gave about its snapshot, and the archive's data
//! key sealed with the master key, so a bucket and the master key are enough
//! to restore even without Taichu's database.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use taichu_storage::repositories::backups::Part;

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
