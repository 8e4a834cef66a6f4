//! Sessions this process verified a moment ago. A client polling the API
//! would otherwise cost a session-and-user read per request; with the cache
//! it costs one per session per TTL (1 s by default).
//!
//! A change made through this process (logout, refresh, password change,
//! role change, user deletion: any write under `/auth` or `/users`) empties
//! the cache before its answer leaves, so it takes effect here at once. A
//! change made through another replica takes effect here within the TTL.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use poem::http::Method;
use poem::{Endpoint, IntoResponse, Request, Response};
use taichu_storage::repositories::users::Role;

use crate::state::AppState;

/// Past this many sessions the cache starts over rather than grow.
const MAX_ENTRIES: usize = 10_000;

/// Who a live session belongs to, as last read from the database.
#[derive(Debug, Clone)]
pub struct Verified {
    pub user_id: String,
    pub username: String,
    pub role: Role,
    pub session_expires_at: DateTime<Utc>,
}

#[derive(Debug)]
pub struct SessionCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, Verified)>>,
}

impl SessionCache {
    /// A zero `ttl` turns the cache off: every request reads the database.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::default(),
        }
    }

    /// The session `sid` if it was verified within the TTL and has not ended since.
    pub fn get(&self, sid: &str) -> Option<Verified> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (checked, verified) = entries.get(sid)?;
        (checked.elapsed() < self.ttl && verified.session_expires_at > Utc::now()).then(|| verified.clone())
    }

    pub fn put(&self, sid: &str, verified: Verified) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(sid.to_owned(), (Instant::now(), verified));
    }

    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// Whether a request may change a session or an account.
fn changes_accounts(method: &Method, path: &str) -> bool {
    method != Method::GET
        && method != Method::HEAD
        && ["/api/v1/auth/", "/api/v1/users"]
            .iter()
            .any(|prefix| path.starts_with(prefix))
}

/// Empties the cache after any request that may have changed a session or
/// an account, before the answer reaches the client.
pub async fn forget_on_change<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let changes = changes_accounts(req.method(), req.uri().path());
    let state = changes.then(|| req.data::<AppState>().cloned()).flatten();
    let result = next.call(req).await.map(IntoResponse::into_response);
    if let Some(state) = state {
        state.sessions.clear();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verified(expires_in: chrono::Duration) -> Verified {
        Verified {
            user_id: "u".into(),
            username: "alice".into(),
            role: Role::Admin,
            session_expires_at: Utc::now() + expires_in,
        }
    }

    #[test]
    fn entries_end_with_the_ttl_the_session_or_a_clear() {
        let cache = SessionCache::new(Duration::from_millis(50));
        cache.put("live", verified(chrono::Duration::hours(1)));
        cache.put("ended", verified(chrono::Duration::seconds(-1)));
        assert!(cache.get("live").is_some());
        assert!(cache.get("ended").is_none(), "a session past its end is not served");
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.get("live").is_none(), "read again after the TTL");
        cache.put("live", verified(chrono::Duration::hours(1)));
        cache.clear();
        assert!(cache.get("live").is_none());
        let off = SessionCache::new(Duration::ZERO);
        off.put("live", verified(chrono::Duration::hours(1)));
        assert!(off.get("live").is_none(), "a zero TTL caches nothing");
    }

    #[test]
    fn only_writes_under_auth_and_users_clear_it() {
        assert!(changes_accounts(&Method::POST, "/api/v1/auth/logout"));
        assert!(changes_accounts(&Method::PUT, "/api/v1/users/1/password"));
        assert!(changes_accounts(&Method::DELETE, "/api/v1/users/1"));
        assert!(!changes_accounts(&Method::GET, "/api/v1/users"));
        assert!(!changes_accounts(&Method::POST, "/api/v1/clusters"));
    }
}
