//! What workflows and adapters act with: the database, the key that opens
//! stored credentials, and the network policy every outbound connection
//! passes. Cheap to clone. Credentials are opened here, at the moment of use,
//! and go only to the destination they were stored with.

use taichu_storage::Database;
use taichu_storage::objects::Objects;
use taichu_storage::secrets::SecretBox;

use crate::egress::NetworkPolicy;

/// The environment of every workflow step and adapter call.
#[derive(Debug, Clone)]
pub struct WorkflowEnv {
    pub db: Database,
    pub secrets: SecretBox,
    pub network: NetworkPolicy,
    /// Where backups are stored.
    pub objects: Objects,
}

impl WorkflowEnv {
    /// For benchmarks and tests whose workflows touch no stored credentials
    /// and no backups: a throwaway key, the default network policy, a local
    /// object store under the system's temp dir.
    pub fn ephemeral(db: Database) -> Result<Self, taichu_storage::StorageError> {
        let dir = std::env::temp_dir().join(format!("taichu-ephemeral-{}", std::process::id()));
        Ok(Self {
            db,
            secrets: SecretBox::generate(),
            network: NetworkPolicy::default(),
            objects: Objects::open(None, &dir)?,
        })
    }
}
