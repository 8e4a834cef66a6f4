//! Workflow runs through the API: the canary, views, cancellation, metrics,
//! and a fault test with real processes (API + two workers on Redis, one killed).

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use taichu_tests::app::spawn;
use taichu_tests::redis::RedisServer;
use taichu_tests::{TestApp, spawn_app};

#[tokio::test]
async fn canary_runs_to_completion_with_retries_logs_and_metrics() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let started = app
        .post(
            "/workflows/canary",
            &admin,
            json!({"steps": 3, "step_ms": 10, "fail_attempts": 1}),
        )
        .await;
    let id = started.data()["id"].as_str().expect("id").to_owned();
    assert_eq!(started.data()["kind"], "canary");
    assert_eq!(started.data()["total_steps"], 3);

    let run = app.wait_finished(&admin, &id).await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(run["progress"], 100);
    assert_eq!(run["attempts"], 6);
    assert_eq!(run["plan"], json!(["step-1", "step-2", "step-3"]));
    let attempts: Vec<(i64, String)> = run["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["attempt"].as_i64().expect("attempt"),
                s["status"].as_str().expect("status").to_owned(),
            )
        })
        .collect();
    assert_eq!(attempts.len(), 6);
    assert!(
        attempts
            .chunks(2)
            .all(|pair| pair[0] == (1, "failed".into()) && pair[1] == (2, "completed".into()))
    );
    assert_eq!(run["steps"][0]["error"], "canary failure 1 of 1");
    let total = run["log_total"].as_u64().expect("log_total");
    let messages: Vec<&str> = run["logs"]
        .as_array()
        .expect("logs")
        .iter()
        .filter_map(|l| l["message"].as_str())
        .collect();
    assert!(messages.iter().any(|m| m.contains("retrying in")), "{messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("step step-3 completed")),
        "{messages:?}"
    );
    // Tailing: asking from the end returns nothing new.
    let tail = app.get(&format!("/workflows/{id}?log_offset={total}"), &admin).await;
    assert_eq!(tail.data()["logs"], json!([]));
    let tail = app
        .get(&format!("/workflows/{id}?log_offset={}", total - 1), &admin)
        .await;
    assert_eq!(tail.data()["logs"].as_array().map(Vec::len), Some(1));

    let listed = app.get("/workflows?kind=canary&status=completed", &admin).await;
    assert_eq!(listed.data()["total"], 1);
    assert_eq!(app.get("/workflows?status=failed", &admin).await.data()["total"], 0);

    let metrics = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("taichu_workflow_runs_completed_total{kind=\"canary\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("taichu_workflow_step_duration_seconds_count 6"),
        "{metrics}"
    );
    assert!(metrics.contains("taichu_workflow_queue_depth 0"), "{metrics}");
}

#[tokio::test]
async fn canary_input_and_roles_are_checked() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, user) = app.user("olga").await;
    app.post("/workflows/canary", &user, json!({"steps": 1}))
        .await
        .error(403);
    for (body, field) in [
        (json!({"steps": 0}), "steps"),
        (json!({"steps": 101}), "steps"),
        (json!({"steps": 1, "step_ms": 600000}), "step_ms"),
        (json!({"steps": 1, "fail_attempts": 9}), "fail_attempts"),
        (json!({"step_ms": 1}), "steps"),
    ] {
        let message = app.post("/workflows/canary", &admin, body.clone()).await.error(400);
        assert!(message.contains(field), "{body} -> {message}");
    }
    assert_eq!(
        app.get("/workflows", &admin).await.data()["total"],
        0,
        "nothing half-written"
    );
    app.get("/workflows/0193a9f6-0000-7000-8000-00000000abcd", &admin)
        .await
        .error(404);
}

#[tokio::test]
async fn cancelling_a_run_stops_it_and_only_the_creator_or_an_admin_may() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, user) = app.user("pavel").await;
    let id = app
        .post("/workflows/canary", &admin, json!({"steps": 5, "step_ms": 5000}))
        .await
        .data()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.wait_run_until(&admin, &id, Duration::from_secs(30), |r| r["status"] == "running")
        .await;
    app.post(&format!("/workflows/{id}/cancel"), &user, json!({}))
        .await
        .error(403);
    let asked = Instant::now();
    let reply = app.post(&format!("/workflows/{id}/cancel"), &admin, json!({})).await;
    assert_eq!(reply.data()["cancel_requested"], true);
    let run = app.wait_finished(&admin, &id).await;
    assert_eq!(run["status"], "cancelled");
    assert!(
        asked.elapsed() < Duration::from_secs(4),
        "the sleeping step was interrupted"
    );
    assert_eq!(run["steps"][0]["status"], "cancelled");
    assert!(
        app.post(&format!("/workflows/{id}/cancel"), &admin, json!({}))
            .await
            .error(409)
            .contains("cancelled")
    );
}

#[tokio::test]
async fn create_task_views_show_only_cluster_creation_runs() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app.post("/workflows/canary", &admin, json!({"steps": 1})).await.data()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let tasks = app.get("/create-tasks", &admin).await;
    assert_eq!(tasks.data()["total"], 0);
    assert_eq!(tasks.data()["tasks"], json!([]));
    app.get(&format!("/create-tasks/{id}"), &admin).await.error(404);
    app.request(Method::GET, "/create-tasks", None, None).await.error(401);
}

/// API and two `taichu worker` processes on one Redis; one worker is killed
/// with SIGKILL while steps run. Every run completes; every step's side
/// effect happens, and happens twice only where a step was re-run.
#[tokio::test(flavor = "multi_thread")]
async fn runs_survive_a_killed_worker_process() {
    let Some(redis) = RedisServer::start() else { return };
    let queue = redis.url();
    let fast = [
        ("QUEUE_URL", queue.as_str()),
        ("TAICHU_LEASE_SECS", "3"),
        ("TAICHU_REAPER_SECS", "1"),
    ];
    let app = spawn("api", &fast);
    let mut doomed = app.spawn_worker("worker-a", &fast);
    let _survivor = app.spawn_worker("worker-b", &fast);
    let admin = app.admin_token().await;

    const RUNS: usize = 20;
    const STEPS: i32 = 5;
    let mut ids = Vec::new();
    for _ in 0..RUNS {
        let reply = app
            .post("/workflows/canary", &admin, json!({"steps": STEPS, "step_ms": 300}))
            .await;
        ids.push(reply.data()["id"].as_str().expect("id").to_owned());
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.get("/workflows?status=running", &admin).await.data()["total"].as_u64() < Some(6) {
        assert!(Instant::now() < deadline, "workers never got busy");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    doomed.kill_hard();

    for id in &ids {
        let run = app
            .wait_run_until(&admin, id, Duration::from_secs(120), |r| {
                !matches!(r["status"].as_str(), Some("pending" | "running"))
            })
            .await;
        assert_eq!(run["status"], "completed", "{run}");
    }

    let tally = taichu_tests::runs::each_step_once(&app.database_url(), &ids, STEPS).await;
    assert!(tally.abandoned >= 1, "the kill landed while steps were running");
}

#[tokio::test]
async fn readiness_reports_a_lost_queue() {
    let Some(redis) = RedisServer::start() else { return };
    let queue = redis.url();
    let app = spawn("serve", &[("QUEUE_URL", queue.as_str())]);
    let url = format!("{}/readyz", app.base);
    let ready: Value = app
        .client
        .get(&url)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(ready["data"]["queue"], "ok", "{ready}");
    drop(redis);
    let reply = TestApp::reply(app.client.get(&url).send().await.expect("sent")).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.body["message"], "queue unavailable");
    assert_eq!(reply.body["data"]["database"], "ok");
}

/// The JSON log lines of `app` (`TAICHU_LOG_FORMAT=json`).
fn json_lines(app: &taichu_tests::TestApp) -> Vec<Value> {
    app.log().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

#[tokio::test]
async fn json_logs_name_the_run_the_step_and_its_subject() {
    let app = taichu_tests::spawn_app_with(&[("TAICHU_LOG_FORMAT", "json"), ("RUST_LOG", "info")]).await;
    let admin = app.admin_token().await;
    let started = app
        .post("/workflows/canary", &admin, json!({"steps": 2, "fail_attempts": 1}))
        .await;
    let id = started.data()["id"].as_str().expect("id").to_owned();
    app.wait_finished(&admin, &id).await;
    let machine = app
        .post(
            "/machines",
            &admin,
            json!({"name": "logged", "ip": "127.0.0.1", "port": 1, "username": "nobody", "password": "never-logged-pw-7731", "role": "worker"}),
        )
        .await
        .data()
        .clone();
    let check = machine["check_workflow_id"].as_str().expect("check").to_owned();
    app.wait_finished(&admin, &check).await;

    let lines = json_lines(&app);
    let of_run = |run: &str| -> Vec<&Value> { lines.iter().filter(|l| l["span"]["run_id"] == run).collect() };
    let canary = of_run(&id);
    let steps: std::collections::BTreeSet<&str> = canary.iter().filter_map(|l| l["span"]["step"].as_str()).collect();
    assert_eq!(steps, ["step-1", "step-2"].into(), "{canary:?}");
    assert!(
        canary
            .iter()
            .any(|l| l["level"] == "WARN" && l["fields"]["message"] == "step attempt failed"),
        "the failed first attempt is logged: {canary:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["run_id"] == id.as_str() && l["fields"]["message"] == "run started"),
        "the API logs the run it started"
    );
    let checked = of_run(&check);
    assert!(!checked.is_empty(), "the machine check logs");
    assert!(
        checked.iter().all(|l| l["span"]["machine_id"] == machine["id"]),
        "{checked:?}"
    );
    assert!(
        !app.log().contains("never-logged-pw-7731"),
        "the machine's password is in no log line"
    );
}

/// libfaketime, preloaded into a process, moves its clock (Debian `faketime`).
const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_whose_clock_runs_ahead_does_not_steal_live_leases() {
    if !std::path::Path::new(LIBFAKETIME).exists() {
        assert!(taichu_tests::skip("libfaketime (Debian faketime)"));
        return;
    }
    let Some(redis) = taichu_tests::redis::RedisServer::start() else {
        return;
    };
    // The database's clock must be another process's: PostgreSQL.
    let db = taichu_tests::postgres::TempDatabase::create().expect("PostgreSQL test database");
    let (db_url, queue) = (db.url(), redis.url());
    let shared = [
        ("DATABASE_URL", db_url.as_str()),
        ("QUEUE_URL", queue.as_str()),
        ("TAICHU_LEASE_SECS", "3"),
        ("TAICHU_REAPER_SECS", "1"),
    ];
    let app = taichu_tests::app::spawn("api", &shared);
    let admin = app.admin_token().await;
    let mut honest_env = shared.to_vec();
    honest_env.push(("HOSTNAME", "honest"));
    let _honest = app.spawn_worker("honest", &honest_env);
    let started = app
        .post("/workflows/canary", &admin, json!({"steps": 3, "step_ms": 4000}))
        .await;
    let id = started.data()["id"].as_str().expect("id").to_owned();
    app.wait_run_until(&admin, &id, std::time::Duration::from_secs(30), |r| {
        r["status"] == "running"
    })
    .await;
    // Ten seconds ahead: by its own clock every lease of the honest worker has long expired.
    let mut ahead_env = shared.to_vec();
    ahead_env.extend([
        ("HOSTNAME", "ahead"),
        ("LD_PRELOAD", LIBFAKETIME),
        ("FAKETIME", "+10s"),
        ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
    ]);
    let _ahead = app.spawn_worker("ahead", &ahead_env);

    let run = app.wait_finished(&admin, &id).await;
    assert_eq!(run["status"], "completed", "{run}");
    let steps = run["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 3, "each step ran once: {run}");
    for step in steps {
        assert_eq!(step["attempt"], 1, "{run}");
        assert!(
            step["worker"].as_str().is_some_and(|w| w.starts_with("honest-")),
            "only the honest worker ran it: {run}"
        );
    }
}

/// SIGTERM, as an orchestrator stops a pod, to a worker in the middle of a
/// run: the run ends completed with every step run once (nothing abandoned,
/// nothing stranded), and the worker process exits.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_to_a_busy_worker_ends_its_run_cleanly_and_exits() {
    let Some(redis) = RedisServer::start() else { return };
    let queue = redis.url();
    let fast = [
        ("QUEUE_URL", queue.as_str()),
        ("TAICHU_LEASE_SECS", "3"),
        ("TAICHU_REAPER_SECS", "1"),
    ];
    let app = spawn("api", &fast);
    let admin = app.admin_token().await;
    let mut first = app.spawn_worker("first", &fast);
    let started = app
        .post("/workflows/canary", &admin, json!({"steps": 4, "step_ms": 2000}))
        .await;
    let id = started.data()["id"].as_str().expect("id").to_owned();
    app.wait_run_until(&admin, &id, std::time::Duration::from_secs(30), |r| {
        r["status"] == "running"
    })
    .await;
    let _second = app.spawn_worker("second", &fast);
    let stopped = tokio::task::spawn_blocking(move || {
        let stopped = first.terminate(std::time::Duration::from_secs(30));
        (stopped, first)
    })
    .await
    .expect("join");
    assert!(stopped.0, "the worker exits on SIGTERM");
    let run = app.wait_finished(&admin, &id).await;
    assert_eq!(run["status"], "completed", "{run}");
    let steps = run["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 4, "no attempt abandoned: {run}");
    assert!(steps.iter().all(|s| s["status"] == "completed"), "{run}");
}
