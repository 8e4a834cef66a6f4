//! Building a client for a cluster: the kubeconfig policy first, then a
//! client that can reach only what the policy allows and reads only bounded
//! replies. Nothing of the environment (proxies, debug overrides, files) and
//! nothing the policy refused can reach the connection.

use std::time::Duration;

use kube::client::ClientBuilder;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use taichu_storage::entities::clusters::Model as Cluster;
use taichu_storage::secrets::Slot;
use tower::util::MapResponseLayer;

use super::error::KubeError;
use super::kubeconfig;
use crate::egress::NetworkPolicy;
use crate::env::WorkflowEnv;
use crate::upstream::tidy;

/// The largest reply read from an API server; a page of objects fits easily.
pub const MAX_REPLY_BYTES: usize = 64 << 20;

/// How to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// An admin allowed `insecure-skip-tls-verify` / plain `http` for this cluster.
    pub allow_insecure: bool,
    pub network: NetworkPolicy,
    /// Connect, read and write timeout of each request.
    pub timeout: Duration,
}

impl ConnectOptions {
    /// Verified TLS, the default network policy, and `timeout` per request.
    pub fn new(timeout: Duration) -> Self {
        Self {
            allow_insecure: false,
            network: NetworkPolicy::default(),
            timeout,
        }
    }
}

/// A client for the cluster `yaml` describes.
pub async fn connect(yaml: &str, options: &ConnectOptions) -> Result<Client, KubeError> {
    kubeconfig::check(yaml, options.allow_insecure).map_err(|e| KubeError::Kubeconfig(e.to_string()))?;
    let mut parsed = Kubeconfig::from_yaml(yaml).map_err(|e| KubeError::Kubeconfig(tidy(&e.to_string())))?;
    strip(&mut parsed);
    let mut config = Config::from_custom_kubeconfig(parsed, &KubeConfigOptions::default())
        .await
        .map_err(|e| KubeError::Kubeconfig(tidy(&e.to_string())))?;
    // Whatever the environment says (HTTPS_PROXY and friends), clusters are
    // reached directly, with no extra headers and no files.
    config.proxy_url = None;
    config.root_cert_file = None;
    config.headers.clear();
    config.accept_invalid_certs &= options.allow_insecure;
    config.connect_timeout = Some(options.timeout);
    config.read_timeout = Some(options.timeout);
    config.write_timeout = Some(options.timeout);
    pin(&mut config, &options.network).await?;
    let builder = ClientBuilder::try_from(config).map_err(|e| KubeError::Kubeconfig(tidy(&e.to_string())))?;
    Ok(builder.with_layer(&MapResponseLayer::new(bounded)).build())
}

/// The client for a registered cluster, from its sealed kubeconfig.
pub async fn client_for(cluster: &Cluster, env: &WorkflowEnv, timeout: Duration) -> Result<Client, KubeError> {
    let stored = cluster
        .kubeconfig_enc
        .as_deref()
        .ok_or_else(|| KubeError::Kubeconfig("the cluster has no kubeconfig; import it first".into()))?;
    let yaml = env
        .secrets
        .open_str(Slot::ClusterKubeconfig, &cluster.id, stored)
        .map_err(|e| KubeError::Kubeconfig(e.to_string()))?;
    let options = ConnectOptions {
        allow_insecure: cluster.allow_insecure,
        network: env.network.clone(),
        timeout,
    };
    connect(&yaml, &options).await
}

type Reply = http::Response<Box<kube::client::DynBody>>;

fn bounded(reply: Reply) -> http::Response<http_body_util::Limited<Box<kube::client::DynBody>>> {
    reply.map(|body| http_body_util::Limited::new(body, MAX_REPLY_BYTES))
}

/// Clears every field the policy refuses, should one ever get past it.
fn strip(config: &mut Kubeconfig) {
    config.extensions = None;
    config.preferences = None;
    for cluster in config.clusters.iter_mut().filter_map(|c| c.cluster.as_mut()) {
        cluster.certificate_authority = None;
        cluster.proxy_url = None;
        cluster.extensions = None;
    }
    for user in config.auth_infos.iter_mut().filter_map(|u| u.auth_info.as_mut()) {
        user.exec = None;
        user.auth_provider = None;
        user.token_file = None;
        user.client_certificate = None;
        user.client_key = None;
        user.impersonate = None;
        user.impersonate_uid = None;
        user.impersonate_groups = None;
        user.impersonate_user_extra = None;
        user.extensions = None;
    }
}

/// Resolves the server, checks the network policy, and connects to exactly
/// that address from then on (the certificate is still checked against the
/// name in the kubeconfig).
async fn pin(config: &mut Config, policy: &NetworkPolicy) -> Result<(), KubeError> {
    let uri = config.cluster_url.clone();
    let host = uri
        .host()
        .ok_or_else(|| KubeError::Kubeconfig("the server URL has no host".into()))?;
    let https = uri.scheme_str() != Some("http");
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let addr = policy.resolve(host, port).await?;
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    if config.tls_server_name.is_none() {
        config.tls_server_name = Some(bare.to_owned());
    }
    let mut parts = uri.into_parts();
    parts.authority = Some(
        addr.to_string()
            .parse()
            .map_err(|_| KubeError::Kubeconfig("the server address cannot be used".into()))?,
    );
    config.cluster_url =
        http::Uri::from_parts(parts).map_err(|_| KubeError::Kubeconfig("the server URL cannot be used".into()))?;
    Ok(())
}
