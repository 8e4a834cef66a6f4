//! The Kubernetes adapter: a client per cluster from its kubeconfig, with
//! timeouts, and the reads the workflows need. Errors are classified for the
//! engine: refused credentials are permanent, an unreachable server transient.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Node};
use kube::api::ListParams;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};

use crate::error::StepError;

/// What a kubeconfig says before anything is contacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeconfigSummary {
    /// The API server URL of the current context.
    pub server: String,
}

/// Parses and checks a kubeconfig: YAML, a current context, a cluster with a server.
pub fn inspect(yaml: &str) -> Result<KubeconfigSummary, String> {
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

/// A client for the cluster `yaml` describes, with connect and read timeouts.
pub async fn client(yaml: &str, timeout: Duration) -> Result<Client, StepError> {
    let kubeconfig = Kubeconfig::from_yaml(yaml).map_err(|e| StepError::permanent(format!("not a kubeconfig: {e}")))?;
    let mut config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(|e| StepError::permanent(format!("unusable kubeconfig: {e}")))?;
    config.connect_timeout = Some(timeout);
    config.read_timeout = Some(timeout);
    config.write_timeout = Some(timeout);
    Client::try_from(config).map_err(|e| StepError::permanent(format!("cannot build a client: {e}")))
}

/// Maps a kube error to the engine's classes.
pub fn classify(err: kube::Error) -> StepError {
    match &err {
        kube::Error::Api(status) if status.code == 401 || status.code == 403 => StepError::permanent(format!(
            "the API server refused the credentials ({}): {}",
            status.code, status.message
        )),
        kube::Error::Api(status) if status.code >= 500 => {
            StepError::transient(format!("API server error: {}", status.message))
        }
        kube::Error::Api(status) => {
            StepError::permanent(format!("API server answered {}: {}", status.code, status.message))
        }
        _ => StepError::transient(format!("cannot reach the API server: {err}")),
    }
}

/// The server's version, e.g. `v1.33.1`.
pub async fn version(client: &Client) -> Result<String, StepError> {
    Ok(client.apiserver_version().await.map_err(classify)?.git_version)
}

/// Node names and namespace names.
pub async fn inventory(client: &Client) -> Result<(Vec<Node>, Vec<String>), StepError> {
    let nodes = Api::<Node>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(classify)?
        .items;
    let namespaces = Api::<Namespace>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(classify)?
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    Ok((nodes, namespaces))
}

/// Installs the TLS crypto provider kube's rustls needs; call once at start-up.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// Every object of a cluster-scoped or all-namespaces list.
pub async fn list_all<K>(client: &Client) -> Result<Vec<K>, StepError>
where
    K: ::kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    K::DynamicType: Default,
{
    Ok(Api::<K>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(classify)?
        .items)
}

/// Every Node.
pub async fn nodes(client: &Client) -> Result<Vec<Node>, StepError> {
    Ok(Api::<Node>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(classify)?
        .items)
}

/// Current CPU (cores) and memory (bytes) use per node from metrics.k8s.io,
/// or `None` when the cluster does not serve it.
pub async fn node_usage(client: &Client) -> Option<std::collections::HashMap<String, (f64, f64)>> {
    let resource = ::kube::discovery::ApiResource {
        group: "metrics.k8s.io".into(),
        version: "v1beta1".into(),
        api_version: "metrics.k8s.io/v1beta1".into(),
        kind: "NodeMetrics".into(),
        plural: "nodes".into(),
    };
    let api = Api::<::kube::api::DynamicObject>::all_with(client.clone(), &resource);
    let list = api.list(&ListParams::default()).await.ok()?;
    let usage = list
        .items
        .into_iter()
        .filter_map(|m| {
            let name = m.metadata.name?;
            let cpu = cpu_cores(m.data["usage"]["cpu"].as_str()?)?;
            let memory = bytes(m.data["usage"]["memory"].as_str()?)?;
            Some((name, (cpu, memory)))
        })
        .collect::<std::collections::HashMap<_, _>>();
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
