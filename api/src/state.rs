//! Shared state handed to every handler.

use std::sync::Arc;
use std::time::Duration;

use taichu_storage::Database;
use taichu_storage::repositories::users::Role;
use taichu_workflows::{Engine, WorkflowEnv};

use crate::auth::jwt::JwtKeys;
use crate::auth::session_cache::SessionCache;
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
    /// The shortest interval a backup schedule may fire at.
    pub min_schedule_secs: u64,
}

/// Cheap to clone: pool handles and `Arc`s.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: Database,
    /// What live views and sealing credentials act with (the same the workers use).
    pub env: WorkflowEnv,
    pub engine: Engine,
    pub jwt: Arc<JwtKeys>,
    pub settings: Arc<Settings>,
    pub throttle: Arc<Throttle>,
    /// Sessions verified a moment ago.
    pub sessions: Arc<SessionCache>,
    pub metrics: Arc<MetricsCache>,
}
