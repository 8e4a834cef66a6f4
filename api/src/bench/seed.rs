//! Fills the database the way a large installation looks: many clusters,
//! many finished and pending workflow runs.

use taichu_storage::repositories::clusters::{self, ClusterStatus, NewCluster};
use taichu_storage::repositories::workflow_runs::{self as runs, NewRun};
use taichu_storage::{Database, TransactionTrait, new_id};

/// Rows per transaction: large enough to be quick, small enough not to hold a lock for long.
const CHUNK: usize = 1000;

const PROVIDERS: [&str; 3] = ["aws", "aliyun", "on-premises"];
const STATUSES: [ClusterStatus; 3] = [
    ClusterStatus::Healthy,
    ClusterStatus::Unhealthy,
    ClusterStatus::Unreachable,
];

/// The name of the `i`th seeded cluster; searches pick among these.
pub fn cluster_name(i: usize) -> String {
    format!("bench-cluster-{i:05}")
}

/// `count` clusters; their ids, in insertion order.
pub async fn clusters(db: &Database, count: usize) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::with_capacity(count);
    for chunk in (0..count).collect::<Vec<_>>().chunks(CHUNK) {
        let txn = db.begin().await?;
        for &i in chunk {
            let row = clusters::create(
                &txn,
                NewCluster {
                    id: new_id(),
                    name: cluster_name(i),
                    description: Some(format!("seeded by taichu bench api ({i})")),
                    provider: Some(PROVIDERS[i % PROVIDERS.len()].into()),
                    region: Some("cn-north-1".into()),
                    version: Some("v1.30.4".into()),
                    node_count: (i % 50) as i32 + 1,
                    created_by: Some("admin".into()),
                    owner_id: None,
                    allow_insecure: false,
                    kubeconfig_enc: None,
                    api_server: Some(format!("https://10.{}.{}.1:6443", i / 256 % 256, i % 256)),
                    status: Some(STATUSES[i % STATUSES.len()]),
                },
            )
            .await?;
            ids.push(row.id);
        }
        txn.commit().await?;
    }
    Ok(ids)
}

/// `count` canary runs (never executed: no worker runs in the benchmark); their ids.
pub async fn runs(db: &Database, count: usize) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::with_capacity(count);
    for chunk in (0..count).collect::<Vec<_>>().chunks(CHUNK) {
        let txn = db.begin().await?;
        for _ in chunk {
            let row = runs::insert(
                &txn,
                NewRun {
                    id: new_id(),
                    kind: "canary".into(),
                    subject: None,
                    input: r#"{"steps":3,"step_ms":0,"fail_attempts":0}"#.into(),
                    state: "{}".into(),
                    plan: r#"["step-1","step-2","step-3"]"#.into(),
                    created_by: Some("admin".into()),
                    created_by_id: None,
                },
            )
            .await?;
            ids.push(row.id);
        }
        txn.commit().await?;
    }
    Ok(ids)
}

/// Brings the freshly seeded database to the state a running installation
/// keeps it in, so the figures are not those of the minute after a bulk
/// load: the workers' sweeper compacts SQLite's name index, and on
/// PostgreSQL autovacuum would have vacuumed and analyzed the new rows (the
/// test machines run PostgreSQL with autovacuum off).
pub async fn settle(db: &Database) -> anyhow::Result<()> {
    use taichu_storage::{ConnectionTrait, DbBackend};
    clusters::tidy_search_index(db).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("VACUUM ANALYZE").await?;
    }
    Ok(())
}
