//! Periodic cluster health: every tick, each cluster with a kubeconfig is
//! asked for its nodes (bounded concurrency, a timeout each) and marked
//! `healthy` (all nodes Ready), `unhealthy` (answers, some nodes not Ready)
//! or `unreachable`. A tick runs on one replica (see `scheduler`).

use std::time::Duration;

use futures::StreamExt;
use taichu_storage::entities::clusters::Model as Cluster;
use taichu_storage::repositories::clusters::{self, ClusterStatus};
use taichu_workflows::{WorkflowEnv, kube};

use crate::Shutdown;
use crate::scheduler::Periodic;

const JOB: &str = "cluster-health";
const CONCURRENCY: usize = 8;
const TIMEOUT: Duration = Duration::from_secs(10);

/// Statuses the checker leaves alone: an operation owns the cluster then.
const BUSY: [ClusterStatus; 3] = [ClusterStatus::Pending, ClusterStatus::Creating, ClusterStatus::Deleting];

pub async fn run(env: WorkflowEnv, every: Duration, owner: String, shutdown: Shutdown) {
    let periodic = Periodic {
        job: JOB,
        period: every,
        owner,
    };
    let db = env.db.clone();
    periodic.run(db, shutdown, || check_all(&env)).await;
}

async fn check_all(env: &WorkflowEnv) {
    let all = match clusters::all(&env.db).await {
        Ok(all) => all,
        Err(err) => {
            tracing::warn!(error = %err, "listing clusters for health checks failed");
            return;
        }
    };
    futures::stream::iter(
        all.into_iter()
            .filter(|c| c.kubeconfig_enc.is_some() && !BUSY.contains(&c.cluster_status())),
    )
    .for_each_concurrent(CONCURRENCY, |cluster| check(env, cluster))
    .await;
}

async fn check(env: &WorkflowEnv, cluster: Cluster) {
    let probe = async {
        let client = kube::client_for(&cluster, env, TIMEOUT).await?;
        kube::nodes(&client).await
    };
    let recorded = match tokio::time::timeout(TIMEOUT * 2, probe).await {
        Ok(Ok(nodes)) => {
            let ready = nodes.iter().filter(|n| is_ready(n)).count();
            let healthy = ready == nodes.len() && !nodes.is_empty();
            let message = format!("{ready} of {} nodes Ready", nodes.len());
            let count = i32::try_from(nodes.len()).unwrap_or(i32::MAX);
            clusters::record_health(&env.db, &cluster.id, healthy, &message, count).await
        }
        Ok(Err(err)) => clusters::mark_unreachable(&env.db, &cluster.id, &err.to_string()).await,
        Err(_) => clusters::mark_unreachable(&env.db, &cluster.id, "timed out").await,
    };
    if let Err(err) = recorded {
        tracing::warn!(cluster = %cluster.id, error = %err, "recording cluster health failed");
    }
}

fn is_ready(node: &k8s_openapi::api::core::v1::Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}
