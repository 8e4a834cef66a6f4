//! Shared state handed to every handler.

use std::sync::Arc;
use std::time::Duration;

use taichu_storage::Database;
use taichu_storage::repositories::users::Role;
use taichu_storage::secrets::SecretBox;
use taichu_workflows::{Engine, NetworkPolicy, WorkflowEnv};

use crate::auth::jwt::JwtKeys;
use crate::auth::throttle::Throttle;
use crate::config::Secret;
use crate::routes::metrics::MetricsCache;

/// Settings handlers need at request time.
#[derive(Debug, Clone)]
pub struct Settings {
    pub refresh_ttl: Duration,
    /// A session ends this long after login at the latest.
    pub session_max: Duration,
    pub dev_mode: bool,
    /// The role self-registration gives; `None`: registration is closed.
    pub register_role: Option<Role>,
    /// `/metrics` asks for this bearer token when set.
    pub metrics_token: Option<Secret>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// Cheap to clone: pool handles and `Arc`s.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Database,
    /// Seals credentials before they are stored, opens them for live views.
    pub secrets: SecretBox,
    /// Where live views may connect.
    pub network: NetworkPolicy,
    pub engine: Engine,
    pub jwt: Arc<JwtKeys>,
    pub settings: Arc<Settings>,
    pub throttle: Arc<Throttle>,
    pub metrics: Arc<MetricsCache>,
}

impl AppState {
    /// What adapters (the kube client of live views) act with.
    pub fn env(&self) -> WorkflowEnv {
        WorkflowEnv {
            db: self.db.clone(),
            secrets: self.secrets.clone(),
            network: self.network.clone(),
        }
    }
}
