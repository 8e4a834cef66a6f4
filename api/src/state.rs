//! Shared state handed to every handler.

use std::sync::Arc;
use std::time::Duration;

use taichu_storage::Database;
use taichu_storage::secrets::SecretBox;
use taichu_workflows::Engine;

use crate::auth::jwt::JwtKeys;

/// Settings handlers need at request time.
#[derive(Debug, Clone)]
pub struct Settings {
    pub refresh_ttl: Duration,
    pub dev_mode: bool,
}

/// Cheap to clone: pool handles and `Arc`s.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Database,
    /// Encrypts credentials before they are stored.
    pub secrets: SecretBox,
    pub engine: Engine,
    pub jwt: Arc<JwtKeys>,
    pub settings: Arc<Settings>,
}
