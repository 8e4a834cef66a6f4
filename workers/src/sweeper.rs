//! Deletes rows that can no longer matter (sessions past their end and
//! expired refresh tokens), so those tables stay small, and keeps the search
//! index of cluster names compact. Idempotent, so running it on every worker
//! replica is harmless.

use std::time::Duration;

use taichu_storage::Database;
use taichu_storage::repositories::{clusters, sessions};

use crate::Shutdown;

const INTERVAL: Duration = Duration::from_secs(600);

pub async fn run(db: Database, shutdown: Shutdown) {
    let mut tick = tokio::time::interval(INTERVAL);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {
                match sessions::purge_expired(&db).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(rows = n, "purged expired sessions and tokens"),
                    Err(err) => tracing::warn!(error = %err, "purging expired sessions failed"),
                }
                if let Err(err) = clusters::tidy_search_index(&db).await {
                    tracing::warn!(error = %err, "compacting the cluster name index failed");
                }
            }
        }
    }
}
