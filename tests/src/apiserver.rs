//! A Kubernetes API server for tests. No package reachable here ships
//! kube-apiserver, so this speaks the real wire protocol itself: HTTPS with a
//! throwaway CA (the kubeconfig it writes is a real one), bearer-token auth
//! answering 401 as the real server does, `/version`, discovery of the core
//! group, and lists of the objects a test seeds. Objects are data, not
//! handlers per kind.
//!
//! So far it serves what importing needs (nodes, namespaces); later issues
//! extend it (get/create/patch, server-side apply, paging, more groups).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use base64::Engine as _;
use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, RustlsCertificate, RustlsConfig, TcpListener};
use poem::web::{Data, Json, Path};
use poem::{EndpointExt, IntoResponse, Request, Response, Route, Server, get, handler};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, SanType};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

/// Objects by resource (`nodes`, `namespaces`), by name.
type Store = Arc<RwLock<BTreeMap<String, BTreeMap<String, Value>>>>;

#[derive(Clone)]
struct Shared {
    token: String,
    store: Store,
}

/// A running test API server; stopped on drop.
pub struct TestApiServer {
    /// `https://127.0.0.1:PORT`
    pub url: String,
    pub token: String,
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
    port: u16,
    store: Store,
    server: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for TestApiServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApiServer")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

fn k8s_status(code: StatusCode, reason: &str, message: &str) -> Response {
    let body = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": message, "reason": reason, "code": code.as_u16()});
    Json(body).with_status(code).into_response()
}

#[handler]
fn version() -> Json<Value> {
    Json(
        json!({"major": "1", "minor": "33", "gitVersion": "v1.33.1", "gitCommit": "test", "gitTreeState": "clean",
                "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.24", "compiler": "gc", "platform": "linux/amd64"}),
    )
}

#[handler]
fn core_versions() -> Json<Value> {
    Json(json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}))
}

/// The list kind of a resource, as the real server names it.
fn list_kind(resource: &str) -> Option<&'static str> {
    Some(match resource {
        "nodes" => "NodeList",
        "namespaces" => "NamespaceList",
        "pods" => "PodList",
        "events" => "EventList",
        "networkpolicies" => "NetworkPolicyList",
        "horizontalpodautoscalers" => "HorizontalPodAutoscalerList",
        _ => return None,
    })
}

/// Lists `group_version/resource`, all namespaces or one.
fn list_objects(shared: &Shared, group_version: &str, resource: &str, namespace: Option<&str>) -> Response {
    let Some(kind) = list_kind(resource) else {
        return k8s_status(
            StatusCode::NOT_FOUND,
            "NotFound",
            "the server could not find the requested resource",
        );
    };
    let store = shared.store.read().expect("store lock");
    let items: Vec<Value> = store
        .get(&format!("{group_version}/{resource}"))
        .map(|m| {
            m.values()
                .filter(|o| namespace.is_none_or(|ns| o["metadata"]["namespace"] == ns))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let api_version = group_version.trim_start_matches("core/");
    Json(json!({"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": "1"}, "items": items}))
        .into_response()
}

#[handler]
fn core_list(Path(resource): Path<String>, shared: Data<&Shared>) -> Response {
    list_objects(&shared, "core/v1", &resource, None)
}

#[handler]
fn core_list_namespaced(Path((ns, resource)): Path<(String, String)>, shared: Data<&Shared>) -> Response {
    list_objects(&shared, "core/v1", &resource, Some(&ns))
}

#[handler]
fn group_list(Path((group, ver, resource)): Path<(String, String, String)>, shared: Data<&Shared>) -> Response {
    list_objects(&shared, &format!("{group}/{ver}"), &resource, None)
}

#[handler]
fn group_list_namespaced(
    Path((group, ver, ns, resource)): Path<(String, String, String, String)>,
    shared: Data<&Shared>,
) -> Response {
    list_objects(&shared, &format!("{group}/{ver}"), &resource, Some(&ns))
}

/// 401 unless `Authorization: Bearer <token>` matches, as the real server answers.
async fn authenticate<E: poem::Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let shared = req.data::<Shared>().cloned().expect("shared state");
    let presented = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::to_owned);
    if presented.as_deref() != Some(shared.token.as_str()) {
        return Ok(k8s_status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized"));
    }
    next.call(req).await.map(IntoResponse::into_response)
}

impl TestApiServer {
    /// Starts on a free loopback port with a fresh CA and `token`.
    pub async fn start(token: &str) -> Self {
        taichu_workflows::kube::install_crypto_provider();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "taichu-test-ca");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("ca key")).expect("ca cert");
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        params
            .subject_alt_names
            .push(SanType::IpAddress("127.0.0.1".parse().expect("ip")));
        params.distinguished_name.push(DnType::CommonName, "kube-apiserver");
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &ca).expect("server cert");

        let store: Store = Arc::default();
        let mut server = Self {
            url: String::new(),
            token: token.to_owned(),
            ca_pem: ca.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            port: 0,
            store,
            server: None,
        };
        server.serve().await;
        server.url = format!("https://127.0.0.1:{}", server.port);
        server
    }

    /// Listens (on the same port and with the same certificate after a restart).
    async fn serve(&mut self) {
        let tls = RustlsConfig::new().fallback(
            RustlsCertificate::new()
                .key(self.key_pem.clone())
                .cert(self.cert_pem.clone()),
        );
        let acceptor = TcpListener::bind(format!("127.0.0.1:{}", self.port))
            .rustls(tls)
            .into_acceptor()
            .await
            .expect("bind");
        self.port = acceptor.local_addr()[0].as_socket_addr().expect("socket").port();
        let shared = Shared {
            token: self.token.clone(),
            store: self.store.clone(),
        };
        let app = Route::new()
            .at("/version", get(version))
            .at("/api", get(core_versions))
            .at("/api/v1/:resource", get(core_list))
            .at("/api/v1/namespaces/:ns/:resource", get(core_list_namespaced))
            .at("/apis/:group/:version/:resource", get(group_list))
            .at(
                "/apis/:group/:version/namespaces/:ns/:resource",
                get(group_list_namespaced),
            )
            .around(authenticate)
            .data(shared);
        self.server = Some(tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(app).await;
        }));
    }

    /// Stops answering, as a cluster that went away.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
            let _ = server.await;
        }
    }

    /// Comes back on the same address with the same certificate and objects.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.serve().await;
    }

    /// A kubeconfig for this server with `token` (pass a wrong one to test refusal).
    pub fn kubeconfig(&self, token: &str) -> String {
        let ca = base64::engine::general_purpose::STANDARD.encode(&self.ca_pem);
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: test\nclusters:\n- name: test\n  cluster:\n    server: {url}\n    certificate-authority-data: {ca}\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: tester\nusers:\n- name: tester\n  user:\n    token: {token}\n",
            url = self.url
        )
    }

    /// Adds (or replaces) an object: `group_version` is `core/v1` or e.g.
    /// `networking.k8s.io/v1`; namespaced objects are keyed by namespace too.
    pub fn put(&self, group_version: &str, resource: &str, object: Value) {
        let name = object["metadata"]["name"].as_str().expect("metadata.name");
        let key = match object["metadata"]["namespace"].as_str() {
            Some(ns) => format!("{ns}/{name}"),
            None => name.to_owned(),
        };
        let mut store = self.store.write().expect("store lock");
        store
            .entry(format!("{group_version}/{resource}"))
            .or_default()
            .insert(key, object);
    }

    /// A Node, Ready or not.
    pub fn add_node(&self, name: &str, ready: bool) {
        let status = if ready { "True" } else { "False" };
        self.put("core/v1", "nodes", json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
                                 "status": {"conditions": [{"type": "Ready", "status": status}]}}));
    }

    pub fn add_namespace(&self, name: &str) {
        self.put(
            "core/v1",
            "namespaces",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}),
        );
    }
}

impl Drop for TestApiServer {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}
