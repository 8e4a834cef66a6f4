//! Dependencies restarted or wiped under load, in production shape (PostgreSQL,
//! Redis with an append-only file, `taichu api`, two `taichu worker`
//! processes): every run completes, every step commits exactly once, and a
//! step's side effect repeats only where an attempt of it did not complete.

use std::time::{Duration, Instant};

use serde_json::json;
use taichu_tests::TestApp;
use taichu_tests::app::{WorkerProcess, spawn};
use taichu_tests::pgserver::PgServer;
use taichu_tests::postgres::TempDatabase;
use taichu_tests::redis::RedisServer;
use taichu_tests::runs::each_step_once;

const RUNS: usize = 20;
const STEPS: i32 = 4;

/// Starts `RUNS` canaries of `STEPS` steps sleeping `step_ms` each; their ids.
async fn start_canaries(app: &TestApp, token: &str, step_ms: u64) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..RUNS {
        let reply = app
            .post("/workflows/canary", token, json!({"steps": STEPS, "step_ms": step_ms}))
            .await;
        ids.push(reply.data()["id"].as_str().expect("id").to_owned());
    }
    ids
}

/// Waits until several runs are in the middle of a step, so a fault lands under load.
async fn wait_busy(app: &TestApp, token: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.get("/workflows?status=running", token).await.data()["total"].as_u64() < Some(6) {
        assert!(Instant::now() < deadline, "workers never got busy");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// Waits for every run to end and asserts each completed; a run still
/// active at the deadline fails the test with the workers' logs.
async fn all_completed(app: &TestApp, token: &str, ids: &[String], within: Duration, workers: &[&WorkerProcess]) {
    let deadline = Instant::now() + within;
    for id in ids {
        loop {
            let run = app.get(&format!("/workflows/{id}"), token).await.data().clone();
            if !matches!(run["status"].as_str(), Some("pending" | "running")) {
                assert_eq!(run["status"], "completed", "{run}");
                break;
            }
            if Instant::now() > deadline {
                let logs: Vec<String> = workers.iter().map(|w| w.log_text()).collect();
                panic!(
                    "run {id} still active after {within:?}: {run}\nworker logs:\n{}",
                    logs.join("\n---\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Both workers are alive, with their logs for the failure message.
fn alive(workers: &mut [&mut WorkerProcess]) {
    for worker in workers {
        assert!(
            worker.is_running(),
            "a worker process died; its log:\n{}",
            worker.log_text()
        );
    }
}

/// PostgreSQL (a database on the local server), a persistent Redis in
/// `redis_dir`, `taichu api` and two workers with 3-s leases.
struct Shape {
    app: TestApp,
    a: WorkerProcess,
    b: WorkerProcess,
    redis: RedisServer,
    db: TempDatabase,
    _redis_dir: tempfile::TempDir,
}

fn production_shape() -> Option<Shape> {
    let redis_dir = tempfile::tempdir().expect("temp dir");
    let redis = RedisServer::start_persistent(redis_dir.path())?;
    let db = TempDatabase::create().expect("PostgreSQL test database");
    let (db_url, queue) = (db.url(), redis.url());
    let env = [
        ("DATABASE_URL", db_url.as_str()),
        ("QUEUE_URL", queue.as_str()),
        ("TAICHU_LEASE_SECS", "3"),
        ("TAICHU_REAPER_SECS", "1"),
    ];
    let app = spawn("api", &env);
    let a = app.spawn_worker("worker-a", &env);
    let b = app.spawn_worker("worker-b", &env);
    Some(Shape {
        app,
        a,
        b,
        redis,
        db,
        _redis_dir: redis_dir,
    })
}

/// Redis stopped (SIGTERM, its append-only file flushed) and started again on
/// the same port and files while runs are mid-step: the queued messages
/// survive, the workers reconnect, and every run completes.
#[tokio::test(flavor = "multi_thread")]
async fn redis_restarted_with_appendonly_loses_no_run() {
    let Some(mut shape) = production_shape() else { return };
    let admin = shape.app.admin_token().await;
    let ids = start_canaries(&shape.app, &admin, 300).await;
    wait_busy(&shape.app, &admin).await;
    let fault = Instant::now();
    shape.redis.restart();
    all_completed(&shape.app, &admin, &ids, Duration::from_secs(45), &[&shape.a, &shape.b]).await;
    let recovered = fault.elapsed();
    let tally = each_step_once(&shape.db.url(), &ids, STEPS).await;
    assert_eq!(tally.rerun, 0, "steps need only the database: no attempt was cut short");
    alive(&mut [&mut shape.a, &mut shape.b]);
    eprintln!("redis restart: {RUNS} runs completed {recovered:?} after the restart; {tally:?}");
}

/// Redis killed (`kill -9`), its files deleted and an empty one started on
/// the same port mid-load: every queued message is gone, the reaper sends
/// every unfinished run again from the database, and every run completes.
#[tokio::test(flavor = "multi_thread")]
async fn redis_killed_and_wiped_loses_no_run() {
    let Some(mut shape) = production_shape() else { return };
    let admin = shape.app.admin_token().await;
    let ids = start_canaries(&shape.app, &admin, 300).await;
    wait_busy(&shape.app, &admin).await;
    let fault = Instant::now();
    shape.redis.kill_and_wipe();
    all_completed(&shape.app, &admin, &ids, Duration::from_secs(45), &[&shape.a, &shape.b]).await;
    let recovered = fault.elapsed();
    let tally = each_step_once(&shape.db.url(), &ids, STEPS).await;
    assert_eq!(tally.rerun, 0, "steps need only the database: no attempt was cut short");
    alive(&mut [&mut shape.a, &mut shape.b]);
    let reaped = [&shape.a, &shape.b]
        .iter()
        .any(|w| w.log_text().contains("re-enqueueing a stranded run"));
    assert!(reaped, "the reaper re-enqueued the runs whose messages were wiped");
    eprintln!("redis wiped: {RUNS} runs completed {recovered:?} after the wipe; {tally:?}");
}

/// `GET /readyz` within a probe's patience: status and message.
async fn readyz(app: &TestApp) -> Result<(u16, String), String> {
    let reply = app
        .client
        .get(format!("{}/readyz", app.base))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .map_err(|e| format!("no answer within 5 s: {e}"))?;
    let reply = TestApp::reply(reply).await;
    let message = reply.body["message"].as_str().unwrap_or_default().to_owned();
    Ok((reply.status.as_u16(), message))
}

/// PostgreSQL itself (a server of the test's own) shut down fast for five
/// seconds while runs are mid-step, then started again: meanwhile the API's
/// readiness answers 503 naming the database; the workers wait it out and
/// live on; afterwards every run completes and no step commits twice.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_restarted_mid_load_loses_no_run_and_commits_none_twice() {
    let Some(mut pg) = PgServer::start() else { return };
    let Some(redis) = RedisServer::start() else { return };
    let (db_url, queue) = (pg.url(), redis.url());
    let env = [
        ("DATABASE_URL", db_url.as_str()),
        ("QUEUE_URL", queue.as_str()),
        ("TAICHU_LEASE_SECS", "3"),
        ("TAICHU_REAPER_SECS", "1"),
    ];
    let app = spawn("api", &env);
    let mut a = app.spawn_worker("worker-a", &env);
    let mut b = app.spawn_worker("worker-b", &env);
    let admin = app.admin_token().await;
    assert_eq!(readyz(&app).await, Ok((200, "success".to_owned())));

    let ids = start_canaries(&app, &admin, 500).await;
    wait_busy(&app, &admin).await;
    pg.stop();
    let outage = Instant::now();
    let (status, message) = readyz(&app)
        .await
        .expect("readiness answers while the database is down");
    assert_eq!(status, 503, "{message}");
    assert!(
        message.contains("database"),
        "the message names the database: {message}"
    );
    let healthz = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .expect("the API lives");
    assert_eq!(healthz.status(), 200);
    tokio::time::sleep(Duration::from_secs(5).saturating_sub(outage.elapsed())).await;
    pg.start_again();

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if readyz(&app).await == Ok((200, "success".to_owned())) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "readiness never came back: {:?}",
            readyz(&app).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ready_again = outage.elapsed();
    all_completed(&app, &admin, &ids, Duration::from_secs(45), &[&a, &b]).await;
    let recovered = outage.elapsed();
    let tally = each_step_once(&pg.url(), &ids, STEPS).await;
    alive(&mut [&mut a, &mut b]);
    // Waiting, not a hot loop of errors: a few lines per run at most (the
    // reaper names each run whose lease ran out during the outage).
    for worker in [&a, &b] {
        let log = worker.log_text();
        assert!(log.lines().count() <= 5 * RUNS, "a worker logged in a loop:\n{log}");
    }
    eprintln!(
        "postgres outage: ready again {ready_again:?} and {RUNS} runs completed {recovered:?} after the stop; {tally:?}"
    );
}
