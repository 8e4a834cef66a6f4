//! Periodic jobs that must run once per tick across all worker replicas (not
//! once per replica): each tick is claimed by inserting its row; the replica
//! whose insert wins runs it. Cluster health is one user; backup schedules
//! will be the next.

use std::future::Future;
use std::time::Duration;

use chrono::Utc;
use taichu_storage::Database;
use taichu_storage::repositories::scheduler;

use crate::Shutdown;

/// Ticks of a job remembered (older claims are swept).
const KEEP_TICKS: i64 = 100;

/// A job run once per `period` across every replica.
#[derive(Debug, Clone)]
pub struct Periodic {
    pub job: &'static str,
    pub period: Duration,
    /// This replica's name in the claims.
    pub owner: String,
}

impl Periodic {
    /// Runs `tick` for every tick this replica claims, until `shutdown`.
    pub async fn run<F, Fut>(self, db: Database, shutdown: Shutdown, mut tick: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = ()>,
    {
        let period = i64::try_from(self.period.as_millis()).unwrap_or(i64::MAX).max(1);
        let mut interval = tokio::time::interval(self.period);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = interval.tick() => {}
            }
            let current = Utc::now().timestamp_millis() / period;
            match scheduler::claim(&db, self.job, current, &self.owner).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(err) => {
                    tracing::warn!(job = self.job, error = %err, "claiming a tick failed");
                    continue;
                }
            }
            if let Err(err) = scheduler::forget_before(&db, self.job, current - KEEP_TICKS).await {
                tracing::warn!(job = self.job, error = %err, "forgetting old ticks failed");
            }
            tick().await;
        }
    }
}
