//! `/metrics` in Prometheus text format. Figures are read from the database,
//! so they cover every worker process, not just this one; the aggregate is
//! computed at most once per [`CACHE_FOR`], however often it is scraped.
//! With `TAICHU_METRICS_TOKEN` set, scrapers present it as a bearer token.

use std::collections::HashMap;
use std::fmt::Write;
use std::time::{Duration, Instant};

use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse, Request, Response, handler};
use taichu_storage::repositories::workflow_runs::{self, RunStatus};
use taichu_storage::repositories::workflow_steps;
use taichu_storage::repositories::{backup_schedules, backups};
use taichu_workflows::cron_schedule::CronSchedule;
use tokio::sync::Mutex;

use crate::state::AppState;

/// How long one rendering is served.
pub const CACHE_FOR: Duration = Duration::from_secs(5);

/// The last rendering and when it was made.
#[derive(Debug, Default)]
pub struct MetricsCache(Mutex<Option<(Instant, String)>>);

/// Compares without an early exit, so timing does not reveal the token.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Histogram bounds for step durations, in milliseconds.
const BUCKETS_MS: [i64; 12] = [5, 10, 25, 50, 100, 250, 500, 1_000, 5_000, 30_000, 120_000, 600_000];

#[handler]
pub async fn metrics(state: Data<&AppState>, req: &Request) -> Response {
    if let Some(token) = &state.settings.metrics_token {
        let presented = req.header("authorization").and_then(|h| h.strip_prefix("Bearer "));
        if !presented.is_some_and(|p| same(p.as_bytes(), token.expose().as_bytes())) {
            return StatusCode::UNAUTHORIZED.into_response();
        }
    }
    // Concurrent scrapes wait for one rendering instead of each querying.
    let mut cache = state.metrics.0.lock().await;
    if let Some((at, text)) = cache.as_ref()
        && at.elapsed() < CACHE_FOR
    {
        return text
            .clone()
            .with_content_type("text/plain; version=0.0.4")
            .into_response();
    }
    match render(&state).await {
        Ok(text) => {
            *cache = Some((Instant::now(), text.clone()));
            text.with_content_type("text/plain; version=0.0.4").into_response()
        }
        Err(err) => {
            tracing::error!(error = %err, "rendering metrics failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

async fn render(state: &AppState) -> Result<String, taichu_storage::StorageError> {
    let counts = workflow_runs::count_by_kind_status(&state.db).await?;
    let (buckets, count, sum_ms) = workflow_steps::duration_histogram(&state.db, &BUCKETS_MS).await?;
    let mut out = String::new();
    let mut kinds: Vec<&str> = counts.iter().map(|(k, _, _)| k.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();

    out.push_str(
        "# HELP taichu_workflow_runs Workflow runs by kind and current status.\n# TYPE taichu_workflow_runs gauge\n",
    );
    for (kind, status, n) in &counts {
        let _ = writeln!(out, "taichu_workflow_runs{{kind=\"{kind}\",status=\"{status}\"}} {n}");
    }
    for (name, help, statuses) in [
        ("started", "Workflow runs created.", RunStatus::ALL),
        (
            "completed",
            "Workflow runs that completed.",
            &[RunStatus::Completed][..],
        ),
        ("failed", "Workflow runs that failed.", &[RunStatus::Failed][..]),
    ] {
        let _ = writeln!(
            out,
            "# HELP taichu_workflow_runs_{name}_total {help}\n# TYPE taichu_workflow_runs_{name}_total counter"
        );
        for kind in &kinds {
            let n: i64 = counts
                .iter()
                .filter(|(k, s, _)| k == kind && statuses.contains(s))
                .map(|(_, _, n)| n)
                .sum();
            let _ = writeln!(out, "taichu_workflow_runs_{name}_total{{kind=\"{kind}\"}} {n}");
        }
    }
    out.push_str("# HELP taichu_workflow_step_duration_seconds Duration of finished step attempts.\n# TYPE taichu_workflow_step_duration_seconds histogram\n");
    for (bound, n) in BUCKETS_MS.iter().zip(&buckets) {
        let _ = writeln!(
            out,
            "taichu_workflow_step_duration_seconds_bucket{{le=\"{}\"}} {n}",
            *bound as f64 / 1000.0
        );
    }
    let _ = writeln!(
        out,
        "taichu_workflow_step_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
    );
    let _ = writeln!(
        out,
        "taichu_workflow_step_duration_seconds_sum {}",
        sum_ms as f64 / 1000.0
    );
    let _ = writeln!(out, "taichu_workflow_step_duration_seconds_count {count}");
    let depth: i64 = counts
        .iter()
        .filter(|(_, s, _)| *s == RunStatus::Pending)
        .map(|(_, _, n)| n)
        .sum();
    let _ = writeln!(
        out,
        "# HELP taichu_workflow_queue_depth Runs waiting for a worker.\n# TYPE taichu_workflow_queue_depth gauge\ntaichu_workflow_queue_depth {depth}"
    );
    let now = chrono::Utc::now();
    let waited = workflow_runs::oldest_pending(&state.db)
        .await?
        .map_or(0, |at| (now - at).num_seconds().max(0));
    let _ = writeln!(
        out,
        "# HELP taichu_workflow_oldest_pending_seconds How long the oldest run has waited for a worker (0: none waits); it grows when no worker takes runs.\n# TYPE taichu_workflow_oldest_pending_seconds gauge\ntaichu_workflow_oldest_pending_seconds {waited}"
    );
    render_schedules(state, now, &mut out).await?;
    Ok(out)
}

/// A label value in Prometheus' text format.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Per enabled backup schedule: its interval and when it last produced a
/// completed backup, so an alert can say a cluster's backups are overdue.
async fn render_schedules(
    state: &AppState,
    now: chrono::DateTime<chrono::Utc>,
    out: &mut String,
) -> Result<(), taichu_storage::StorageError> {
    let last: HashMap<String, chrono::DateTime<chrono::Utc>> = backups::last_completed_per_schedule(&state.db)
        .await?
        .into_iter()
        .collect();
    out.push_str("# HELP taichu_backup_schedule_interval_seconds Time between two firings of an enabled backup schedule.\n# TYPE taichu_backup_schedule_interval_seconds gauge\n");
    let mut success = String::from(
        "# HELP taichu_backup_schedule_last_success_timestamp_seconds When the schedule's newest completed backup completed (its creation time until the first).\n# TYPE taichu_backup_schedule_last_success_timestamp_seconds gauge\n",
    );
    for schedule in backup_schedules::all(&state.db).await?.iter().filter(|s| s.enabled) {
        let labels = format!(
            "schedule_id=\"{}\",cluster_id=\"{}\",name=\"{}\"",
            label(&schedule.id),
            label(&schedule.cluster_id),
            label(&schedule.name)
        );
        let interval = CronSchedule::parse(&schedule.cron_expr, &schedule.timezone)
            .ok()
            .and_then(|cron| {
                let first = cron.next_after(now)?;
                Some((cron.next_after(first)? - first).num_seconds())
            });
        if let Some(interval) = interval {
            let _ = writeln!(out, "taichu_backup_schedule_interval_seconds{{{labels}}} {interval}");
        }
        let at = last.get(&schedule.id).copied().unwrap_or(schedule.created_at);
        let _ = writeln!(
            success,
            "taichu_backup_schedule_last_success_timestamp_seconds{{{labels}}} {}",
            at.timestamp()
        );
    }
    out.push_str(&success);
    Ok(())
}
