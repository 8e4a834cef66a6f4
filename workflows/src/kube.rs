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
