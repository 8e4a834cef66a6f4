//! What workflows and adapters act with: the database, the key that opens
//! stored credentials, and the network policy every outbound connection
//! passes. Cheap to clone. Credentials are opened here, at the moment of use,
//! and go only to the destination they were stored with.

use taichu_storage::Database;
use taichu_storage::secrets::SecretBox;

use crate::egress::NetworkPolicy;

/// The environment of every workflow step and adapter call.
#[derive(Debug, Clone)]
pub struct WorkflowEnv {
    pub db: Database,
    pub secrets: SecretBox,
    pub network: NetworkPolicy,
}

impl WorkflowEnv {
    /// For benchmarks and tests whose workflows touch no stored credentials:
    /// a throwaway key and the default network policy.
    pub fn ephemeral(db: Database) -> Self {
        Self {
            db,
            secrets: SecretBox::generate(),
            network: NetworkPolicy::default(),
        }
    }
}
