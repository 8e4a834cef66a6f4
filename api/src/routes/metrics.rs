//! `/metrics` in Prometheus text format. Figures are read from the database,
//! so they cover every worker process, not just this one; the aggregate is
//! computed at most once per [`CACHE_FOR`], however often it is scraped.
//! With `TAICHU_METRICS_TOKEN` set, scrapers present it as a bearer token.

use std::fmt::Write;
use std::time::{Duration, Instant};

use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse, Request, Response, handler};
use taichu_storage::repositories::workflow_runs::{self, RunStatus};
use taichu_storage::repositories::workflow_steps;
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
    Ok(out)
}
