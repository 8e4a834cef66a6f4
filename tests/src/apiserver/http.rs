//! The wire protocol: paths as the real server lays them out
//! (`/api/v1/…`, `/apis/{group}/{version}/…`, `namespaces/{ns}/…`), verbs,
//! content types, authentication, and the request log tests read.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, RwLock};

use poem::web::Data;
use poem::{Addr, Body, IntoResponse, Request, Response, handler};
use serde::Deserialize;
use serde_json::{Value, json};

use super::catalog::ResourceType;
use super::selector::Selector;
use super::state::{PatchKind, State};
use super::status::{Failure, Outcome};
use super::store::{Key, ListQuery};
use super::tls::CLIENT_CERT;

/// Requests kept for tests to inspect (the oldest go first).
const REQUEST_LOG: usize = 10_000;

/// What every request shares.
#[derive(Debug, Clone)]
pub struct Shared {
    pub state: Arc<RwLock<State>>,
    /// The bearer token that authenticates; `None` accepts client certificates only.
    pub token: Option<String>,
    pub requests: Arc<Mutex<VecDeque<String>>>,
    pub misbehavior: Arc<Mutex<Misbehavior>>,
}

/// How a hostile API server answers lists, for tests of our limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Misbehavior {
    #[default]
    None,
    /// Every page of every list hands out a fresh continue token.
    EndlessContinue,
    /// Lists come back as one object this many bytes large.
    HugeItems(usize),
    /// Lists fail with a 500 whose body is not a Status (an HTML page).
    HtmlError,
    /// Every request waits this many milliseconds first (a slow cluster,
    /// so a test can act while a long read or write is under way).
    Slow(u64),
}

/// The body a misbehaving server sends for a list, if it misbehaves.
fn misbehave(mode: Misbehavior, kind: &str, page: Option<&str>) -> Option<Response> {
    match mode {
        Misbehavior::None | Misbehavior::Slow(_) => None,
        Misbehavior::EndlessContinue => {
            let next = page
                .and_then(|p| p.strip_prefix("again-"))
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0)
                + 1;
            let list = json!({"kind": format!("{kind}List"), "apiVersion": "v1",
                "metadata": {"resourceVersion": "1", "continue": format!("again-{next}")}, "items": []});
            Some(document(&list))
        }
        Misbehavior::HugeItems(bytes) => {
            let list = json!({"kind": format!("{kind}List"), "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
                "items": [{"metadata": {"name": "huge", "annotations": {"filler": "x".repeat(bytes)}}}]});
            Some(document(&list))
        }
        Misbehavior::HtmlError => Some(
            Response::builder()
                .status(poem::http::StatusCode::INTERNAL_SERVER_ERROR)
                .content_type("text/html")
                .body("<html><body>upstream proxy error: SECRET-BODY-TEXT</body></html>"),
        ),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Params {
    label_selector: Option<String>,
    field_selector: Option<String>,
    limit: Option<usize>,
    #[serde(rename = "continue")]
    continue_token: Option<String>,
    watch: Option<String>,
    field_manager: Option<String>,
    force: Option<bool>,
}

fn json_response(status: u16, body: impl Into<Body>) -> Response {
    Response::builder()
        .status(poem::http::StatusCode::from_u16(status).unwrap_or_default())
        .content_type("application/json")
        .body(body)
}

fn document(value: &Value) -> Response {
    json_response(200, value.to_string())
}

/// A verified client certificate or the bearer token; else 401 as upstream.
fn authenticate(shared: &Shared, req: &Request) -> Outcome<()> {
    if matches!(&req.remote_addr().0, Addr::Custom(scheme, _) if *scheme == CLIENT_CERT) {
        return Ok(());
    }
    let presented = req.header("authorization").and_then(|h| h.strip_prefix("Bearer "));
    match (&shared.token, presented) {
        (Some(token), Some(presented)) if token == presented => Ok(()),
        _ => Err(Failure::unauthorized()),
    }
}

fn record(shared: &Shared, req: &Request) {
    let mut log = shared.requests.lock().expect("request log");
    if log.len() >= REQUEST_LOG {
        log.pop_front();
    }
    log.push_back(format!("{} {}", req.method(), req.uri()));
}

#[handler]
pub async fn serve(req: &Request, body: Body, shared: Data<&Shared>) -> Response {
    match handle(req, body, &shared).await {
        Ok(response) => response,
        Err(failure) => failure.into_response(),
    }
}

async fn handle(req: &Request, body: Body, shared: &Shared) -> Outcome<Response> {
    let mode = *shared.misbehavior.lock().expect("misbehavior");
    if let Misbehavior::Slow(ms) = mode {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    authenticate(shared, req)?;
    record(shared, req);
    let path = req.uri().path().trim_matches('/').to_owned();
    let segments: Vec<&str> = path.split('/').collect();
    let state = || shared.state.read().expect("state lock");
    match segments.as_slice() {
        ["version"] => Ok(document(&json!({"major": "1", "minor": "33", "gitVersion": "v1.33.1",
            "gitCommit": "taichu-test-apiserver", "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
            "goVersion": "go1.24", "compiler": "gc", "platform": "linux/amd64"}))),
        ["readyz" | "livez" | "healthz"] => Ok(Response::builder().content_type("text/plain").body("ok")),
        ["api"] => Ok(document(
            &json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}),
        )),
        ["apis"] => Ok(document(&state().catalog.group_list())),
        ["apis", group] => state()
            .catalog
            .group(group)
            .map(|g| document(&g))
            .ok_or_else(Failure::no_route),
        ["api", "v1", rest @ ..] => resource(req, body, shared, "", "v1", rest).await,
        ["apis", group, version, rest @ ..] => resource(req, body, shared, group, version, rest).await,
        _ => Err(Failure::no_route()),
    }
}

/// Where a resource path points.
struct Target {
    rt: ResourceType,
    namespace: Option<String>,
    name: Option<String>,
}

fn target(state: &State, group: &str, version: &str, rest: &[&str]) -> Outcome<Target> {
    let namespaced = |plural: &str| state.catalog.find(group, version, plural).is_some_and(|t| t.namespaced);
    let (namespace, plural, tail) = match rest {
        ["namespaces", ns, plural, tail @ ..] if namespaced(plural) => (Some(*ns), *plural, tail),
        [plural, tail @ ..] => (None, *plural, tail),
        [] => return Err(Failure::no_route()),
    };
    let rt = state
        .catalog
        .find(group, version, plural)
        .cloned()
        .ok_or_else(Failure::no_route)?;
    // `status` shares the object here; upstream splits it into a subresource.
    let name = match tail {
        [] => None,
        [name] | [name, "status"] => Some((*name).to_owned()),
        _ => return Err(Failure::no_route()),
    };
    if rt.namespaced && namespace.is_none() && name.is_some() {
        return Err(Failure::no_route());
    }
    Ok(Target {
        rt,
        namespace: namespace.map(str::to_owned),
        name,
    })
}

fn field_manager(req: &Request, params: &Params) -> String {
    params.field_manager.clone().unwrap_or_else(|| {
        let agent = req.header("user-agent").unwrap_or("unknown");
        agent.split('/').next().unwrap_or(agent).to_owned()
    })
}

async fn read_json(body: Body) -> Outcome<Value> {
    let bytes = body
        .into_vec()
        .await
        .map_err(|e| Failure::bad_request(format!("cannot read the body: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| Failure::bad_request(format!("the body is not valid JSON: {e}")))
}

async fn resource(
    req: &Request,
    body: Body,
    shared: &Shared,
    group: &str,
    version: &str,
    rest: &[&str],
) -> Outcome<Response> {
    if rest.is_empty() {
        let state = shared.state.read().expect("state lock");
        return state
            .catalog
            .resource_list(group, version)
            .map(|l| document(&l))
            .ok_or_else(Failure::no_route);
    }
    let params: Params = req
        .params()
        .map_err(|e| Failure::bad_request(format!("invalid query: {e}")))?;
    let target = target(&shared.state.read().expect("state lock"), group, version, rest)?;
    let Target { rt, namespace, name } = target;
    let key = |name: String| -> Key { (namespace.clone().unwrap_or_default(), name) };
    let manager = field_manager(req, &params);
    let method = req.method().as_str();
    match (method, name) {
        ("GET", None) => {
            let mode = *shared.misbehavior.lock().expect("misbehavior");
            if let Some(reply) = misbehave(mode, &rt.kind, params.continue_token.as_deref()) {
                return Ok(reply);
            }
            if params.watch.as_deref().is_some_and(|w| w == "true" || w == "1") {
                return Err(Failure::bad_request("watch is not supported by the test API server"));
            }
            let fields = Selector::parse(params.field_selector.as_deref().unwrap_or_default())?;
            fields.check_field_selector()?;
            let query = ListQuery {
                namespace: namespace.clone(),
                labels: Selector::parse(params.label_selector.as_deref().unwrap_or_default())?,
                fields,
                limit: params.limit.filter(|l| *l > 0),
                continue_token: params.continue_token.clone().filter(|c| !c.is_empty()),
            };
            let list = shared.state.read().expect("state lock").list(&rt, &query)?;
            Ok(json_response(200, list))
        }
        ("GET", Some(name)) => Ok(document(
            &shared.state.read().expect("state lock").get(&rt, &key(name))?,
        )),
        ("POST", None) if namespace.is_some() || !rt.namespaced => {
            let object = read_json(body).await?;
            let ns = namespace.clone().unwrap_or_default();
            let created = shared
                .state
                .write()
                .expect("state lock")
                .create(&rt, &ns, object, &manager)?;
            Ok(json_response(201, created.to_string()))
        }
        ("PUT", Some(name)) => {
            let object = read_json(body).await?;
            let updated = shared
                .state
                .write()
                .expect("state lock")
                .update(&rt, &key(name), object, &manager)?;
            Ok(document(&updated))
        }
        ("PATCH", Some(name)) => {
            let content_type = req.content_type().unwrap_or_default().to_owned();
            let kind = match content_type.split(';').next().unwrap_or_default().trim() {
                "application/merge-patch+json" => PatchKind::Merge,
                "application/apply-patch+yaml" => PatchKind::Apply {
                    force: params.force.unwrap_or(false),
                },
                other => return Err(Failure::unsupported_media(other)),
            };
            if matches!(kind, PatchKind::Apply { .. }) && params.field_manager.is_none() {
                return Err(Failure::bad_request(
                    "fieldManager: Required value: is required for apply patch",
                ));
            }
            let bytes = body
                .into_vec()
                .await
                .map_err(|e| Failure::bad_request(format!("cannot read the body: {e}")))?;
            let patch: Value = serde_yaml::from_slice(&bytes)
                .map_err(|e| Failure::bad_request(format!("the patch is not valid: {e}")))?;
            let mut state = shared.state.write().expect("state lock");
            let existed = state.store.contains(&rt, &key(name.clone()));
            let patched = state.patch(&rt, &key(name), kind, patch, &manager)?;
            Ok(json_response(if existed { 200 } else { 201 }, patched.to_string()))
        }
        ("DELETE", Some(name)) => Ok(document(
            &shared.state.write().expect("state lock").delete(&rt, &key(name))?,
        )),
        (method, _) => Err(Failure::method_not_allowed(method)),
    }
}
