//! The Kubernetes adapter: a client per cluster from its kubeconfig (after
//! the kubeconfig policy and the network policy), with timeouts and bounded
//! replies, and the reads the workflows and live views need. Lists are read a
//! page at a time and capped, so a hostile or huge cluster cannot make us
//! read forever.

mod client;
mod error;
pub mod kubeconfig;

use std::collections::HashMap;

use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use kube::api::ListParams;
use kube::config::Kubeconfig;
use kube::{Api, Client};

pub use self::client::{ConnectOptions, MAX_REPLY_BYTES, client_for, connect};
pub use self::error::{KubeError, classify};

/// What a kubeconfig says before anything is contacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeconfigSummary {
    /// The API server URL of the current context.
    pub server: String,
}

/// Parses and checks a kubeconfig: the policy, a current context, a cluster
/// with a server. The error names the field.
pub fn inspect(yaml: &str, allow_insecure: bool) -> Result<KubeconfigSummary, String> {
    kubeconfig::check(yaml, allow_insecure).map_err(|e| e.to_string())?;
    let config = Kubeconfig::from_yaml(yaml).map_err(|e| format!("not a kubeconfig: {e}"))?;
    let context_name = config.current_context.clone().ok_or("no current-context")?;
    let context = config
        .contexts
        .iter()
        .find(|c| c.name == context_name)
        .and_then(|c| c.context.clone())
        .ok_or_else(|| format!("context {context_name} is not defined"))?;
    let cluster = config
        .clusters
        .iter()
        .find(|c| c.name == context.cluster)
        .and_then(|c| c.cluster.clone())
        .ok_or_else(|| format!("cluster {} is not defined", context.cluster))?;
    let server = cluster.server.ok_or("the cluster has no server")?;
    Ok(KubeconfigSummary { server })
}

/// The server's version, e.g. `v1.33.1`.
pub async fn version(client: &Client) -> Result<String, KubeError> {
    Ok(client.apiserver_version().await.map_err(classify)?.git_version)
}

/// Whether the API server says it is ready (`GET /readyz`).
pub async fn ready(client: &Client) -> Result<(), KubeError> {
    let request = http::Request::get("/readyz")
        .body(Vec::new())
        .map_err(|e| KubeError::Kubeconfig(e.to_string()))?;
    client.request_text(request).await.map_err(classify)?;
    Ok(())
}

/// Nodes and namespace names.
pub async fn inventory(client: &Client) -> Result<(Vec<Node>, Vec<String>), KubeError> {
    let nodes = nodes(client).await?;
    let mut namespaces = Vec::new();
    for_each(&Api::<Namespace>::all(client.clone()), |n| {
        namespaces.extend(n.metadata.name)
    })
    .await?;
    Ok((nodes, namespaces))
}

/// Installs the TLS crypto provider kube's rustls needs; call once at start-up.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// Objects per list request: a large cluster is read a page at a time, so
/// memory follows the page, not the cluster.
pub const PAGE: u32 = 500;
/// Pages read from one list at most (half a million objects): a server that
/// keeps handing out continue tokens is not followed forever.
pub const MAX_PAGES: usize = 1000;

/// Hands every object of `api`'s list to `visit`, a page at a time.
pub async fn for_each<K>(api: &Api<K>, mut visit: impl FnMut(K)) -> Result<(), KubeError>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let mut pages = Pages::new(api, ListParams::default());
    while let Some(page) = pages.next().await? {
        page.into_iter().for_each(&mut visit);
    }
    Ok(())
}

/// A list read one page of [`PAGE`] at a time, following continue tokens
/// at most [`MAX_PAGES`] times.
#[derive(Debug)]
pub struct Pages<'a, K> {
    api: &'a Api<K>,
    params: ListParams,
    read: usize,
    done: bool,
}

impl<'a, K> Pages<'a, K>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    pub fn new(api: &'a Api<K>, params: ListParams) -> Self {
        Self {
            api,
            params: params.limit(PAGE),
            read: 0,
            done: false,
        }
    }

    /// The next page, or `None` after the last.
    pub async fn next(&mut self) -> Result<Option<Vec<K>>, KubeError> {
        if self.done {
            return Ok(None);
        }
        if self.read == MAX_PAGES {
            return Err(KubeError::Limit(format!(
                "the API server kept paging past {MAX_PAGES} pages of {PAGE}; stopped"
            )));
        }
        let page = self.api.list(&self.params).await.map_err(classify)?;
        self.read += 1;
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => {
                if self.params.continue_token.as_deref() == Some(token.as_str()) {
                    return Err(KubeError::Limit(
                        "the API server handed back the same continue token; stopped".into(),
                    ));
                }
                self.params = std::mem::take(&mut self.params).continue_token(&token);
            }
            _ => self.done = true,
        }
        Ok(Some(page.items))
    }
}

/// Every object of a list across all namespaces (or cluster-scoped), read in pages.
pub async fn list_all<K>(client: &Client) -> Result<Vec<K>, KubeError>
where
    K: ::kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    K::DynamicType: Default,
{
    let mut items = Vec::new();
    for_each(&Api::<K>::all(client.clone()), |item| items.push(item)).await?;
    Ok(items)
}

/// Every Node.
pub async fn nodes(client: &Client) -> Result<Vec<Node>, KubeError> {
    list_all(client).await
}

/// How many pods each node runs; pods are counted page by page, never held.
pub async fn pods_per_node(client: &Client) -> Result<HashMap<String, u32>, KubeError> {
    let mut counts = HashMap::new();
    for_each(&Api::<Pod>::all(client.clone()), |pod| {
        if let Some(node) = pod.spec.and_then(|s| s.node_name) {
            *counts.entry(node).or_insert(0) += 1;
        }
    })
    .await?;
    Ok(counts)
}

/// Current CPU (cores) and memory (bytes) use per node from metrics.k8s.io,
/// or `None` when the cluster does not serve it.
pub async fn node_usage(client: &Client) -> Option<HashMap<String, (f64, f64)>> {
    let resource = ::kube::discovery::ApiResource {
        group: "metrics.k8s.io".into(),
        version: "v1beta1".into(),
        api_version: "metrics.k8s.io/v1beta1".into(),
        kind: "NodeMetrics".into(),
        plural: "nodes".into(),
    };
    let api = Api::<::kube::api::DynamicObject>::all_with(client.clone(), &resource);
    let mut usage = HashMap::new();
    for_each(&api, |m| {
        let name = m.metadata.name;
        let cpu = m.data["usage"]["cpu"].as_str().and_then(cpu_cores);
        let memory = m.data["usage"]["memory"].as_str().and_then(bytes);
        if let (Some(name), Some(cpu), Some(memory)) = (name, cpu, memory) {
            usage.insert(name, (cpu, memory));
        }
    })
    .await
    .ok()?;
    (!usage.is_empty()).then_some(usage)
}

/// CPU quantity in cores: `4`, `3500m`, `250000000n`.
pub fn cpu_cores(quantity: &str) -> Option<f64> {
    let q = quantity.trim();
    if let Some(n) = q.strip_suffix('n') {
        return n.parse::<f64>().ok().map(|v| v / 1e9);
    }
    if let Some(u) = q.strip_suffix('u') {
        return u.parse::<f64>().ok().map(|v| v / 1e6);
    }
    if let Some(m) = q.strip_suffix('m') {
        return m.parse::<f64>().ok().map(|v| v / 1e3);
    }
    q.parse::<f64>().ok()
}

/// Memory quantity in bytes: `16Gi`, `16384Ki`, `1G`, `123456`.
pub fn bytes(quantity: &str) -> Option<f64> {
    let q = quantity.trim();
    const UNITS: [(&str, f64); 10] = [
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("Pi", 1125899906842624.0),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
    ];
    for (suffix, factor) in UNITS {
        if let Some(n) = q.strip_suffix(suffix) {
            return n.parse::<f64>().ok().map(|v| v * factor);
        }
    }
    q.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(cpu_cores("4"), Some(4.0));
        assert_eq!(cpu_cores("3500m"), Some(3.5));
        assert_eq!(cpu_cores("250000000n"), Some(0.25));
        assert_eq!(bytes("16Gi"), Some(17179869184.0));
        assert_eq!(bytes("2048Ki"), Some(2097152.0));
        assert_eq!(bytes("1G"), Some(1e9));
        assert_eq!(bytes("12345"), Some(12345.0));
        assert_eq!(bytes("lots"), None);
    }
}
