//! Periodic cluster health: every tick, each cluster with a kubeconfig is
//! asked for its nodes (bounded concurrency, a timeout each) and marked
//! `healthy` (all nodes Ready), `unhealthy` (answers, some nodes not Ready)
//! or `unreachable`. A tick runs once across all worker replicas: the first
//! to claim it in the database runs it.

use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use taichu_storage::Database;
use taichu_storage::entities::clusters::Model as Cluster;
use taichu_storage::repositories::{clusters, scheduler};
use taichu_storage::sea_orm::{IntoActiveModel, Set};
use taichu_storage::secrets::SecretBox;
use taichu_workflows::kube;

use crate::Shutdown;

const JOB: &str = "cluster-health";
const CONCURRENCY: usize = 8;
const TIMEOUT: Duration = Duration::from_secs(10);

/// Statuses the checker leaves alone: an operation owns the cluster then.
const BUSY: [&str; 3] = [
    clusters::status::PENDING,
    clusters::status::CREATING,
    clusters::status::DELETING,
];

pub async fn run(db: Database, secrets: SecretBox, every: Duration, owner: String, shutdown: Shutdown) {
    let period = i64::try_from(every.as_millis()).unwrap_or(i64::MAX).max(1);
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let current = Utc::now().timestamp_millis() / period;
        match scheduler::claim(&db, JOB, current, &owner).await {
            Ok(true) => {}
            Ok(false) => continue,
            Err(err) => {
                tracing::warn!(error = %err, "claiming a health tick failed");
                continue;
            }
        }
        let _ = scheduler::forget_before(&db, JOB, current - 100).await;
        let all = match clusters::all(&db).await {
            Ok(all) => all,
            Err(err) => {
                tracing::warn!(error = %err, "listing clusters for health checks failed");
                continue;
            }
        };
        futures::stream::iter(
            all.into_iter()
                .filter(|c| c.kubeconfig_enc.is_some() && !BUSY.contains(&c.status.as_str())),
        )
        .for_each_concurrent(CONCURRENCY, |cluster| check(&db, &secrets, cluster))
        .await;
    }
}

async fn check(db: &Database, secrets: &SecretBox, cluster: Cluster) {
    let probe = async {
        let stored = cluster.kubeconfig_enc.as_deref().unwrap_or_default();
        let yaml = secrets.decrypt_str(stored).map_err(|e| e.to_string())?;
        let client = kube::client(&yaml, TIMEOUT).await.map_err(|e| e.to_string())?;
        kube::nodes(&client).await.map_err(|e| e.to_string())
    };
    let outcome = tokio::time::timeout(TIMEOUT * 2, probe)
        .await
        .unwrap_or_else(|_| Err("timed out".into()));
    let mut row = cluster.clone().into_active_model();
    match outcome {
        Ok(nodes) => {
            let ready = nodes.iter().filter(|n| is_ready(n)).count();
            let healthy = ready == nodes.len() && !nodes.is_empty();
            row.status = Set(if healthy {
                clusters::status::HEALTHY
            } else {
                clusters::status::UNHEALTHY
            }
            .to_owned());
            row.status_message = Set(Some(format!("{ready} of {} nodes Ready", nodes.len())));
            row.node_count = Set(i32::try_from(nodes.len()).unwrap_or(i32::MAX));
            row.last_seen_at = Set(Some(Utc::now()));
        }
        Err(reason) => {
            row.status = Set(clusters::status::UNREACHABLE.to_owned());
            row.status_message = Set(Some(reason));
        }
    }
    if let Err(err) = clusters::save(db, row).await {
        tracing::warn!(cluster = %cluster.id, error = %err, "recording cluster health failed");
    }
}

fn is_ready(node: &k8s_openapi::api::core::v1::Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}
