//! The etcd adapter: where a cluster's etcd is and how to reach its hosts,
//! the etcdctl/etcdutl command lines, the scripts run on the hosts, and what
//! their JSON output says.

pub mod access;
pub mod commands;
pub mod control;
pub mod remote;
pub mod validate;

use std::time::Duration;

use serde::Deserialize;
use taichu_storage::repositories::etcd_settings::EtcdMember;

pub use access::EtcdAccess;
pub use commands::Etcdctl;

use crate::env::WorkflowEnv;
use crate::error::StepError;
use crate::ssh::{Discard, LineSink};
use crate::upstream::tidy;

/// How long an etcdctl call may take end to end.
pub const CTL_TIMEOUT: Duration = Duration::from_secs(45);

/// A step that acts on etcd hosts: `timeout`, 3 attempts, 1 s first backoff.
pub fn step(name: &str, timeout: Duration) -> crate::definition::StepSpec {
    crate::definition::StepSpec::new(name)
        .timeout(timeout)
        .max_attempts(3)
        .backoff(Duration::from_secs(1))
}

/// A short one (2 minutes).
pub fn quick_step(name: &str) -> crate::definition::StepSpec {
    step(name, Duration::from_secs(120))
}

/// How long a snapshot may take to save, stream or restore.
pub const TRANSFER_TIMEOUT: Duration = Duration::from_secs(3 * 3600);

/// One that moves or restores a whole snapshot.
pub fn transfer_step(name: &str) -> crate::definition::StepSpec {
    step(name, TRANSFER_TIMEOUT + Duration::from_secs(60))
}

fn unexpected(what: &str, e: serde_json::Error) -> StepError {
    StepError::permanent(format!("unexpected {what} output: {}", tidy(&e.to_string())))
}

/// What `snapshot status -w json` says.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotStatus {
    pub hash: u64,
    pub revision: i64,
    pub total_key: i64,
    pub total_size: i64,
    #[serde(default)]
    pub version: Option<String>,
}

impl SnapshotStatus {
    pub fn parse(stdout: &str) -> Result<Self, StepError> {
        serde_json::from_str(stdout.trim()).map_err(|e| unexpected("snapshot status", e))
    }
}

/// One endpoint of `endpoint status -w json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointStatus {
    pub endpoint: String,
    pub revision: i64,
    pub version: String,
    pub cluster_id: u64,
}

impl EndpointStatus {
    pub fn parse(stdout: &str) -> Result<Vec<Self>, StepError> {
        #[derive(Deserialize)]
        struct Header {
            cluster_id: u64,
            revision: i64,
        }
        #[derive(Deserialize)]
        struct Status {
            header: Header,
            version: String,
        }
        #[derive(Deserialize)]
        struct Entry {
            #[serde(rename = "Endpoint")]
            endpoint: String,
            #[serde(rename = "Status")]
            status: Status,
        }
        let entries: Vec<Entry> = serde_json::from_str(stdout.trim()).map_err(|e| unexpected("endpoint status", e))?;
        Ok(entries
            .into_iter()
            .map(|e| Self {
                endpoint: e.endpoint,
                revision: e.status.header.revision,
                version: e.status.version,
                cluster_id: e.status.header.cluster_id,
            })
            .collect())
    }
}

/// The members `member list -w json` names, each reached at the host of its
/// first client URL.
pub fn parse_members(stdout: &str) -> Result<Vec<EtcdMember>, StepError> {
    #[derive(Deserialize)]
    struct Member {
        #[serde(default)]
        name: String,
        #[serde(rename = "peerURLs", default)]
        peer_urls: Vec<String>,
        #[serde(rename = "clientURLs", default)]
        client_urls: Vec<String>,
    }
    #[derive(Deserialize)]
    struct List {
        members: Vec<Member>,
    }
    let list: List = serde_json::from_str(stdout.trim()).map_err(|e| unexpected("member list", e))?;
    list.members
        .into_iter()
        .map(|m| {
            let (Some(peer), Some(client)) = (m.peer_urls.first(), m.client_urls.first()) else {
                return Err(StepError::permanent(format!(
                    "member {:?} has not started (no client URL); restore needs every member running",
                    m.name
                )));
            };
            let host = validate::url_host("member client URL", client)
                .map_err(|e| StepError::permanent(format!("member {:?}: {e}", m.name)))?;
            Ok(EtcdMember {
                name: m.name,
                host,
                peer_url: peer.clone(),
                client_url: client.clone(),
                data_dir: None,
                manifests_dir: None,
            })
        })
        .collect()
}

/// The first endpoint (in endpoint order) whose host we can log in to and
/// that says it is healthy: its host and URL. Each refusal is logged.
pub async fn healthy_member(
    access: &EtcdAccess,
    env: &WorkflowEnv,
    sink: &dyn LineSink,
    log: impl Fn(String),
) -> Result<(String, String), StepError> {
    let ctl = Etcdctl::new(&access.settings);
    let mut reasons = Vec::new();
    for (endpoint, host) in access.settings.endpoints.iter().zip(access.endpoint_hosts()) {
        let outcome = async {
            let session = access.connect(env, &host).await?;
            let result = remote::run(&session, sink, &host, &ctl.health(endpoint), CTL_TIMEOUT).await;
            session.close().await;
            result
        }
        .await;
        match outcome {
            Ok(_) => return Ok((host, endpoint.clone())),
            Err(StepError::Permanent(reason)) => return Err(StepError::Permanent(reason)),
            Err(err) => {
                log(format!("{endpoint} is not usable: {err}"));
                reasons.push(format!("{endpoint}: {err}"));
            }
        }
    }
    Err(StepError::transient(format!(
        "no healthy etcd member: {}",
        reasons.join("; ")
    )))
}

/// The members to restore: as given in the settings, else as `member list`
/// reports them (every one on a host of the endpoints).
pub async fn members(
    access: &EtcdAccess,
    env: &WorkflowEnv,
    host: &str,
    endpoint: &str,
) -> Result<Vec<EtcdMember>, StepError> {
    if !access.settings.members.is_empty() {
        return Ok(access.settings.members.clone());
    }
    let session = access.connect(env, host).await?;
    let out = remote::run(
        &session,
        &Discard,
        host,
        &Etcdctl::new(&access.settings).member_list(endpoint),
        CTL_TIMEOUT,
    )
    .await;
    session.close().await;
    let members = parse_members(&out?.stdout)?;
    let hosts = access.endpoint_hosts();
    for (i, member) in members.iter().enumerate() {
        validate::member(i, member, &hosts).map_err(|e| StepError::permanent(format!("etcd member list: {e}")))?;
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_etcd_json() {
        let status = SnapshotStatus::parse(
            r#"{"hash":3582245137,"revision":1006,"totalKey":1003,"totalSize":200704,"version":"3.5.0"}"#,
        )
        .expect("status");
        assert_eq!(status.revision, 1006);
        assert_eq!(status.total_key, 1003);
        assert_eq!(status.version.as_deref(), Some("3.5.0"));

        let list = parse_members(
            r#"{"header":{"cluster_id":1,"member_id":2,"raft_term":3},"members":[{"ID":17227713937541238573,"name":"m1","peerURLs":["http://10.0.0.1:2380"],"clientURLs":["https://10.0.0.1:2379"]}]}"#,
        )
        .expect("members");
        assert_eq!(list[0].host, "10.0.0.1");
        assert_eq!(list[0].name, "m1");

        let unstarted = r#"{"members":[{"ID":1,"name":"","peerURLs":["http://10.0.0.9:2380"]}]}"#;
        assert!(parse_members(unstarted).is_err());

        let endpoints = EndpointStatus::parse(
            r#"[{"Endpoint":"https://10.0.0.1:2379","Status":{"header":{"cluster_id":99,"member_id":1,"revision":1006,"raft_term":2},"version":"3.5.1","dbSize":1,"leader":1,"raftIndex":5,"raftTerm":2}}]"#,
        )
        .expect("endpoint status");
        assert_eq!(endpoints[0].revision, 1006);
        assert_eq!(endpoints[0].cluster_id, 99);
    }
}
