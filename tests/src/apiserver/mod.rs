//! A Kubernetes API server for tests. No package reachable here ships
//! kube-apiserver, so this speaks the real wire protocol itself: HTTPS with a
//! throwaway CA (the kubeconfigs it writes are real ones), bearer-token or
//! client-certificate authentication answering 401 as upstream does,
//! discovery, and list/get/create/update/patch (JSON merge and server-side
//! apply)/delete for every resource in its catalog, CRDs and their custom
//! resources included, with resourceVersions, label and field selectors and
//! `limit`/`continue` paging. Resources are data (`catalog.rs`), not
//! handlers per kind. Not served: watch, strategic merge and JSON patch,
//! admission, schema validation, finalizers (deletion is immediate).

mod catalog;
mod fields;
mod http;
mod pki;
mod selector;
mod state;
mod status;
mod store;
mod tls;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, RwLock};

use base64::Engine as _;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{EndpointExt, Route, Server};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

pub use self::catalog::ResourceType;
pub use self::http::Misbehavior;
use self::http::Shared;
use self::pki::{Identity, Pki};
use self::state::State;
use self::tls::ClientAwareTls;

/// A running test API server; stopped on drop.
pub struct TestApiServer {
    /// `https://127.0.0.1:PORT`
    pub url: String,
    /// The bearer token it accepts, if any.
    pub token: Option<String>,
    pki: Pki,
    host: String,
    port: u16,
    state: Arc<RwLock<State>>,
    requests: Arc<Mutex<VecDeque<String>>>,
    misbehavior: Arc<Mutex<Misbehavior>>,
    server: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for TestApiServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApiServer")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

impl TestApiServer {
    /// Starts on a free loopback port with a fresh CA, accepting `token`.
    pub async fn start(token: &str) -> Self {
        Self::start_on("127.0.0.1:0", Some(token))
            .await
            .expect("start the test API server")
    }

    /// Starts on `listen` (`host:port`, port 0 for a free one). Client
    /// certificates from its CA always authenticate; `token` too when given.
    pub async fn start_on(listen: &str, token: Option<&str>) -> std::io::Result<Self> {
        taichu_workflows::kube::install_crypto_provider();
        let (host, port) = listen
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h.to_owned(), p.parse().ok()?)))
            .ok_or_else(|| std::io::Error::other(format!("--listen {listen}: expected HOST:PORT")))?;
        let mut server = Self {
            url: String::new(),
            token: token.map(str::to_owned),
            pki: Pki::new("taichu-test-ca"),
            host,
            port,
            state: Arc::default(),
            requests: Arc::default(),
            misbehavior: Arc::default(),
            server: None,
        };
        server.serve().await?;
        server.url = format!("https://{}:{}", server.host, server.port);
        Ok(server)
    }

    /// Listens (on the same port and with the same certificate after a restart).
    async fn serve(&mut self) -> std::io::Result<()> {
        let tcp = TcpListener::bind(format!("{}:{}", self.host, self.port))
            .into_acceptor()
            .await?;
        self.port = tcp.local_addr()[0]
            .as_socket_addr()
            .map(|a| a.port())
            .ok_or_else(|| std::io::Error::other("not a socket address"))?;
        let acceptor = ClientAwareTls::new(tcp, &self.pki.server, Some(&self.pki.ca_pem()))?;
        let shared = Shared {
            state: self.state.clone(),
            token: self.token.clone(),
            requests: self.requests.clone(),
            misbehavior: self.misbehavior.clone(),
        };
        let app = Route::new().at("/*path", http::serve).data(shared);
        self.server = Some(tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(app).await;
        }));
        Ok(())
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
        self.serve().await.expect("listen again");
    }

    fn kubeconfig_for(&self, user: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: test\nclusters:\n- name: test\n  cluster:\n    server: {url}\n    certificate-authority-data: {ca}\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: tester\nusers:\n- name: tester\n  user:\n{user}",
            url = self.url,
            ca = b64(&self.pki.ca_pem()),
        )
    }

    /// A kubeconfig with bearer `token` (pass a wrong one to test refusal).
    pub fn kubeconfig(&self, token: &str) -> String {
        self.kubeconfig_for(&format!("    token: {token}\n"))
    }

    fn certificate_kubeconfig(&self, identity: &Identity) -> String {
        self.kubeconfig_for(&format!(
            "    client-certificate-data: {}\n    client-key-data: {}\n",
            b64(&identity.cert_pem),
            b64(&identity.key_pem)
        ))
    }

    /// A kubeconfig authenticating `user` by a client certificate from this server's CA.
    pub fn client_cert_kubeconfig(&self, user: &str) -> String {
        self.certificate_kubeconfig(&self.pki.client(user))
    }

    /// A kubeconfig whose client certificate comes from some other CA.
    pub fn foreign_cert_kubeconfig(&self, user: &str) -> String {
        self.certificate_kubeconfig(&Pki::new("some-other-ca").client(user))
    }

    /// Makes lists misbehave from now on (or behave again with `None`).
    pub fn misbehave(&self, mode: Misbehavior) {
        *self.misbehavior.lock().expect("misbehavior") = mode;
    }

    /// Every request so far (`METHOD /path?query`), oldest first.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("request log").iter().cloned().collect()
    }

    /// How many objects it holds.
    pub fn object_count(&self) -> usize {
        self.state.read().expect("state lock").store.object_count()
    }

    /// Adds (or replaces) an object as it is: `group_version` is `v1` (or
    /// `core/v1`) or e.g. `networking.k8s.io/v1`. Putting metrics.k8s.io
    /// objects starts serving that API, as installing metrics-server does.
    pub fn put(&self, group_version: &str, resource: &str, object: Value) {
        let group_version = group_version.trim_start_matches("core/");
        let (group, version) = group_version.rsplit_once('/').unwrap_or(("", group_version));
        let mut state = self.state.write().expect("state lock");
        if group == catalog::METRICS_GROUP {
            state.catalog.serve_metrics();
        }
        let rt = state
            .catalog
            .find(group, version, resource)
            .cloned()
            .unwrap_or_else(|| panic!("{group_version}/{resource} is not served"));
        state.seed(&rt, object).expect("seed object");
    }

    /// Adds the objects of a YAML stream (`---` separated, `List`s expanded);
    /// returns how many.
    pub fn seed_yaml(&self, text: &str) -> Result<usize, String> {
        let mut count = 0;
        for document in serde_yaml::Deserializer::from_str(text) {
            let value: Value = serde::Deserialize::deserialize(document).map_err(|e| format!("not YAML: {e}"))?;
            let objects = match value["items"].as_array() {
                Some(items) if value["kind"].as_str().is_some_and(|k| k.ends_with("List")) => items.clone(),
                _ if value.is_null() => Vec::new(),
                _ => vec![value],
            };
            for object in objects {
                self.seed_object(object)?;
                count += 1;
            }
        }
        Ok(count)
    }

    fn seed_object(&self, object: Value) -> Result<(), String> {
        let api_version = object["apiVersion"].as_str().unwrap_or_default();
        let kind = object["kind"].as_str().unwrap_or_default();
        let mut state = self.state.write().expect("state lock");
        let rt = state
            .catalog
            .find_kind(api_version, kind)
            .cloned()
            .ok_or_else(|| format!("{api_version} {kind} is not served"))?;
        state.seed(&rt, object).map(drop).map_err(|f| f.message)
    }

    /// A Node, Ready or not.
    pub fn add_node(&self, name: &str, ready: bool) {
        let status = if ready { "True" } else { "False" };
        self.put("v1", "nodes", json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
                                 "status": {"conditions": [{"type": "Ready", "status": status}]}}));
    }

    pub fn add_namespace(&self, name: &str) {
        self.put(
            "v1",
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
