//! Audit middleware: every mutating request is recorded after it completes.
//!
//! The actor comes only from a token whose signature verifies (or, for a
//! successful login, from the account the server just authenticated), never
//! from the request body, so rows cannot be forged under another name.

use std::net::IpAddr;

use poem::http::{Method, StatusCode};
use poem::{Body, Endpoint, IntoResponse, Request, Response};
use taichu_storage::repositories::audit::{self, NewAudit, Source};

use crate::state::AppState;

const API_PREFIX: &str = "/api/v1/";
/// Bodies larger than this are not inspected (they are not login forms).
const INSPECT_LIMIT: usize = 64 * 1024;

/// Collections whose members are addressed by id; anything else in a path is an
/// attribute of the resource before it or a verb.
const COLLECTIONS: &[&str] = &[
    "audit",
    "backup-schedules",
    "backups",
    "clusters",
    "create-tasks",
    "events",
    "imports",
    "machines",
    "nodes",
    "users",
    "workflows",
];
const VERBS: &[&str] = &[
    "cancel", "check", "create", "import", "login", "logout", "refresh", "register", "restore",
];

/// What a request acted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub cluster_id: Option<String>,
}

fn singular(noun: &str) -> String {
    let noun = noun.strip_suffix('s').unwrap_or(noun);
    noun.replace('-', "_")
}

fn is_id(segment: &str) -> bool {
    uuid::Uuid::parse_str(segment).is_ok()
}

/// Describes a mutating request under `/api/v1`; `None` for reads and other paths.
pub fn describe(method: &Method, path: &str) -> Option<Target> {
    let verb = match *method {
        Method::POST => "CREATE",
        Method::PUT | Method::PATCH => "UPDATE",
        Method::DELETE => "DELETE",
        _ => return None,
    };
    let rest = path.strip_prefix(API_PREFIX)?;
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    // (noun, id) pairs: `clusters/X/backups/Y/restore` -> (clusters,X) (backups,Y) (restore,-)
    let mut pairs: Vec<(&str, Option<&str>)> = Vec::new();
    let mut iter = segments.iter().peekable();
    while let Some(noun) = iter.next() {
        let id = iter.next_if(|s| is_id(s)).copied();
        pairs.push((noun, id));
    }
    let cluster_id = match pairs.first() {
        Some(("clusters", Some(id))) => Some((*id).to_owned()),
        _ => None,
    };
    let (last, before) = pairs.split_last()?;
    let prev = before.last();
    let (action, resource_type, resource_id) = if VERBS.contains(&last.0) {
        let word = last.0.to_uppercase();
        match prev {
            Some(("auth", _)) | None => (word, "user".to_owned(), None),
            Some((noun, id)) => (
                format!("{word}_{}", singular(noun).to_uppercase()),
                singular(noun),
                id.map(str::to_owned),
            ),
        }
    } else if COLLECTIONS.contains(&last.0) {
        // A qualifier without an id before a collection names its kind: etcd/backups.
        let noun = match prev {
            Some((qualifier, None)) if !COLLECTIONS.contains(qualifier) => {
                format!("{}_{}", qualifier.replace('-', "_"), singular(last.0))
            }
            _ => singular(last.0),
        };
        (
            format!("{verb}_{}", noun.to_uppercase()),
            noun,
            last.1.map(str::to_owned),
        )
    } else {
        let attribute = last.0.replace('-', "_").to_uppercase();
        match prev {
            Some((noun, id)) => (
                format!("{verb}_{}_{attribute}", singular(noun).to_uppercase()),
                singular(noun),
                id.map(str::to_owned),
            ),
            None => (format!("{verb}_{attribute}"), last.0.to_owned(), None),
        }
    };
    Some(Target {
        action,
        resource_type,
        resource_id,
        cluster_id,
    })
}

/// Requests that write their own audit row.
fn self_audited(method: &Method, path: &str) -> bool {
    *method == Method::POST && path == "/api/v1/audit"
}

fn json_field(body: &serde_json::Value, pointer: &str) -> Option<String> {
    body.pointer(pointer).and_then(|v| v.as_str()).map(str::to_owned)
}

/// The `around` middleware that writes audit rows.
pub async fn record<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let (Some(target), Some(state)) = (describe(&method, &path), req.data::<AppState>().cloned()) else {
        return next.call(req).await.map(IntoResponse::into_response);
    };
    if self_audited(&method, &path) {
        return next.call(req).await.map(IntoResponse::into_response);
    }
    let is_login = target.action == "LOGIN";
    let attempted = if is_login {
        take_login_username(&mut req).await
    } else {
        None
    };
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|token| state.jwt.verify(token).ok());
    let client_addr = client_ip(&req, &state.settings.trusted_proxies).map(|ip| ip.to_string());
    let user_agent = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(512).collect());

    let mut resp = next.call(req).await?.into_response();
    let status = resp.status();
    // Throttled attempts are summed up in one row per burst by the throttle.
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Ok(resp);
    }
    let body = if status.is_success() && method == Method::POST {
        inspect_body(&mut resp).await
    } else {
        None
    };

    let (mut user_id, mut username) = match bearer {
        Some(claims) => (Some(claims.sub), Some(claims.username)),
        None => (None, None),
    };
    let mut resource_id = target.resource_id.clone();
    let mut details = attempted
        .filter(|_| !status.is_success())
        .map(|name| format!("failed login for username '{name}'"));
    if let Some(body) = &body {
        if is_login {
            user_id = json_field(body, "/data/user/id");
            username = json_field(body, "/data/user/username");
            resource_id = user_id.clone();
        } else if target.action == "REGISTER" {
            // The new account is the actor of its own registration.
            user_id = json_field(body, "/data/id");
            username = json_field(body, "/data/username");
            resource_id = user_id.clone();
            details = Some(format!(
                "registered account '{}' with role {}",
                username.as_deref().unwrap_or_default(),
                json_field(body, "/data/role").unwrap_or_default()
            ));
        } else if resource_id.is_none() {
            resource_id = json_field(body, "/data/id");
        }
    }
    // A cluster's own creation belongs to its trail.
    let cluster_id = match (&target.cluster_id, target.resource_type.as_str()) {
        (None, "cluster") => resource_id.clone(),
        (id, _) => id.clone(),
    };
    let row = NewAudit {
        source: Source::Api,
        user_id,
        username,
        action: target.action,
        resource_type: target.resource_type,
        resource_id,
        cluster_id,
        details,
        success: status.is_success(),
        status_code: status.as_u16(),
        client_addr,
        user_agent,
    };
    if let Err(err) = audit::insert(&state.db, row).await {
        tracing::error!(error = %err, "writing an audit row failed");
    }
    Ok(resp)
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the
/// nearest address in `X-Forwarded-For` that is not one of our proxies.
pub fn client_ip(req: &Request, trusted: &[ipnet::IpNet]) -> Option<IpAddr> {
    let peer = req.remote_addr().as_socket_addr()?.ip();
    if !trusted.iter().any(|net| net.contains(&peer)) {
        return Some(peer);
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted.iter().any(|net| net.contains(ip)))
            .unwrap_or(peer),
    )
}

async fn take_login_username(req: &mut Request) -> Option<String> {
    let bytes = req.take_body().into_bytes().await.ok()?;
    let name = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| json_field(&v, "/username"))
        .map(|n| n.chars().filter(|c| !c.is_control()).take(64).collect());
    req.set_body(Body::from(bytes));
    name
}

async fn inspect_body(resp: &mut Response) -> Option<serde_json::Value> {
    let json = resp.content_type().is_some_and(|ct| ct.starts_with("application/json"));
    if !json {
        return None;
    }
    let bytes = resp.take_body().into_bytes().await.ok()?;
    let value = if bytes.len() <= INSPECT_LIMIT {
        serde_json::from_slice(&bytes).ok()
    } else {
        None
    };
    resp.set_body(Body::from(bytes));
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(method: Method, path: &str) -> (String, String, Option<String>, Option<String>) {
        let t = describe(&method, path).expect("described");
        (t.action, t.resource_type, t.resource_id, t.cluster_id)
    }

    const C: &str = "0193a9f6-0000-7000-8000-000000000001";
    const B: &str = "0193a9f6-0000-7000-8000-000000000002";

    #[test]
    fn names_actions_and_targets() {
        assert_eq!(t(Method::POST, "/api/v1/auth/login").0, "LOGIN");
        assert_eq!(
            t(Method::POST, "/api/v1/clusters"),
            ("CREATE_CLUSTER".into(), "cluster".into(), None, None)
        );
        assert_eq!(
            t(Method::DELETE, &format!("/api/v1/clusters/{C}")),
            (
                "DELETE_CLUSTER".into(),
                "cluster".into(),
                Some(C.into()),
                Some(C.into())
            )
        );
        assert_eq!(t(Method::POST, "/api/v1/clusters/import").0, "IMPORT_CLUSTER");
        assert_eq!(
            t(Method::POST, &format!("/api/v1/clusters/{C}/etcd/backups")),
            ("CREATE_ETCD_BACKUP".into(), "etcd_backup".into(), None, Some(C.into()))
        );
        assert_eq!(
            t(Method::POST, &format!("/api/v1/clusters/{C}/backups/{B}/restore")),
            ("RESTORE_BACKUP".into(), "backup".into(), Some(B.into()), Some(C.into()))
        );
        assert_eq!(
            t(Method::PUT, &format!("/api/v1/users/{B}/password")).0,
            "UPDATE_USER_PASSWORD"
        );
        assert_eq!(
            t(Method::PUT, &format!("/api/v1/machines/{B}/status")).0,
            "UPDATE_MACHINE_STATUS"
        );
        assert_eq!(
            t(Method::POST, &format!("/api/v1/clusters/{C}/expansion")).0,
            "CREATE_CLUSTER_EXPANSION"
        );
        assert!(describe(&Method::GET, "/api/v1/clusters").is_none());
        assert!(describe(&Method::POST, "/healthz").is_none());
    }
}
