//! Backup schedules: checked on the way in, fired once per due time across
//! worker replicas (and after a worker dies), missed due times caught up at
//! most once, a busy cluster's firing skipped with the reason, and retention
//! by count and by age on the local store and S3.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use taichu_storage::repositories::backup_schedules;
use taichu_tests::apiserver::{Misbehavior, TestApiServer};
use taichu_tests::app::spawn;
use taichu_tests::redis::RedisServer;
use taichu_tests::{TestApp, plant, spawn_app_with};
use taichu_workflows::cron_schedule::CronSchedule;

const TOKEN: &str = "schedules-token";

/// Schedules may fire every second, and are looked for five times a second.
const FAST: [(&str, &str); 3] = [
    ("TAICHU_MIN_SCHEDULE_SECS", "1"),
    ("TAICHU_SCHEDULE_TICK_MS", "200"),
    ("TAICHU_RETENTION_SECS", "1"),
];

/// An empty test API server imported by `token`'s account (resources backups of it are quick).
async fn imported(app: &TestApp, token: &str, name: &str) -> (TestApiServer, String) {
    let server = TestApiServer::start(TOKEN).await;
    server.add_namespace("app");
    let status = app.import_cluster(token, name, &server.kubeconfig(TOKEN)).await;
    assert_eq!(status["status"], "completed", "{status}");
    (server, status["cluster_id"].as_str().expect("cluster").to_owned())
}

async fn create(app: &TestApp, token: &str, cluster: &str, body: Value) -> Value {
    app.post(&format!("/clusters/{cluster}/backup-schedules"), token, body)
        .await
        .data()
        .clone()
}

/// Every firing of a schedule, oldest first.
async fn firings(app: &TestApp, schedule: &str) -> Vec<(DateTime<Utc>, String, Option<String>, Option<String>)> {
    let db = plant::database(app).await;
    let mut rows: Vec<_> = backup_schedules::firings(&db, schedule, 10_000)
        .await
        .expect("firings")
        .into_iter()
        .map(|f| (f.due_at, f.status, f.backup_id, f.reason))
        .collect();
    rows.sort();
    rows
}

/// The schedule's backups (id → status).
async fn backups_of(app: &TestApp, token: &str, cluster: &str, schedule: &str) -> Vec<Value> {
    let list = app.get(&format!("/clusters/{cluster}/backups?limit=100"), token).await;
    let db = plant::database(app).await;
    let ids: BTreeSet<String> = taichu_storage::repositories::backups::of_schedule(&db, schedule)
        .await
        .expect("backups")
        .into_iter()
        .map(|b| b.id)
        .collect();
    list.data()["backups"]
        .as_array()
        .expect("backups")
        .iter()
        .filter(|b| ids.contains(b["id"].as_str().unwrap_or_default()))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn schedules_are_checked_on_the_way_in_and_never_show_the_password() {
    let app = spawn_app_with(&[]).await;
    let (_, owner) = app.user("owner").await;
    let (_server, cluster) = imported(&app, &owner, "scheduled").await;
    let path = format!("/clusters/{cluster}/backup-schedules");
    let etcd = json!({"etcd_endpoints": "https://127.0.0.1:2379", "etcd_ca_cert": "/etc/etcd/ca.pem",
                      "ssh_username": "root", "ssh_password": "schedule-secret-pw"});
    let with = |extra: Value| {
        let mut body = json!({"name": "nightly", "cron_expr": "0 2 * * *", "backup_type": "resources"});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        body
    };
    for (body, field) in [
        (with(json!({"cron_expr": "61 * * * *"})), "cron_expr"),
        (with(json!({"cron_expr": "* * *"})), "cron_expr"),
        (with(json!({"cron_expr": "*/5 * * * * *"})), "cron_expr"),
        (with(json!({"timezone": "Mars/Olympus"})), "timezone"),
        (with(json!({"backup_type": "everything"})), "backup_type"),
        (with(json!({"retention_days": 0})), "retention_days"),
        (with(json!({"name": "bad name; rm -rf /"})), "name"),
        (with(json!({"backup_type": "etcd"})), "etcd settings"),
        (
            with(
                json!({"backup_type": "etcd", "etcd_endpoints": "https://127.0.0.1:2379", "etcd_ca_cert": "../../etc/shadow"}),
            ),
            "etcd_ca_cert",
        ),
        (
            with(json!({"include_namespaces": ["Not A Name"]})),
            "include_namespaces",
        ),
    ] {
        let message = app.post(&path, &owner, body.clone()).await.error(400);
        assert!(message.starts_with(field), "{body}: {message}");
    }
    let page = app.get(&path, &owner).await;
    assert_eq!(page.data().as_array().map(Vec::len), Some(0), "nothing was stored");

    let mut etcd_body = with(
        json!({"backup_type": "full", "timezone": "Asia/Shanghai", "created_by": "someone-else",
                                   "retention_count": 3}),
    );
    etcd_body
        .as_object_mut()
        .expect("body")
        .extend(etcd.as_object().expect("etcd").clone());
    let created = app.post(&path, &owner, etcd_body).await;
    assert!(!created.body.to_string().contains("schedule-secret-pw"));
    let schedule = created.data().clone();
    assert_eq!(schedule["created_by"], "owner", "the token says who, not the body");
    assert_eq!(schedule["has_ssh_password"], true);
    assert!(schedule.get("ssh_password").is_none());
    assert_eq!(schedule["schedule_name"], "nightly");
    assert_eq!(schedule["cron_expression"], "0 2 * * *");
    let next: DateTime<Utc> = schedule["next_run_at"].as_str().expect("next").parse().expect("time");
    let expected = CronSchedule::parse("0 2 * * *", "Asia/Shanghai")
        .expect("cron")
        .next_after(Utc::now())
        .expect("next");
    assert_eq!(next, expected, "02:00 in Shanghai");
    let raw = String::from_utf8_lossy(&app.stored_bytes()).to_string();
    assert!(!raw.contains("schedule-secret-pw"), "the password is sealed at rest");

    let duplicate = app.post(&path, &owner, with(json!({}))).await.error(409);
    assert!(duplicate.contains("already exists"), "{duplicate}");

    let id = schedule["id"].as_str().expect("id");
    let changed = app
        .put(
            &format!("{path}/{id}"),
            &owner,
            json!({"cron_expr": "30 3 * * *", "timezone": "UTC"}),
        )
        .await
        .data()
        .clone();
    let next: DateTime<Utc> = changed["next_run_at"].as_str().expect("next").parse().expect("time");
    assert_eq!(
        next,
        CronSchedule::parse("30 3 * * *", "UTC")
            .expect("cron")
            .next_after(Utc::now())
            .expect("next")
    );
    assert_eq!(changed["has_ssh_password"], true, "kept");
    let disabled = app
        .put(&format!("{path}/{id}"), &owner, json!({"enabled": false}))
        .await
        .data()
        .clone();
    assert_eq!(disabled["next_run_at"], Value::Null, "a disabled schedule is never due");

    // Another cluster's schedule is not found through this one.
    let (_other_server, other) = imported(&app, &owner, "other").await;
    app.get(&format!("/clusters/{other}/backup-schedules/{id}"), &owner)
        .await
        .error(404);
    app.put(
        &format!("/clusters/{other}/backup-schedules/{id}"),
        &owner,
        json!({"enabled": true}),
    )
    .await
    .error(404);

    // Deleting the cluster removes its schedules; its backups stay, listed for admins.
    let manual = app
        .backup_with(
            &owner,
            &cluster,
            json!({"backup_name": "kept", "backup_type": "resources"}),
        )
        .await;
    assert_eq!(manual["status"], "completed", "{manual}");
    app.delete(&format!("/clusters/{cluster}"), &owner).await.data();
    let admin = app.admin_token().await;
    let db = plant::database(&app).await;
    assert!(
        backup_schedules::find(&db, id).await.expect("find").is_none(),
        "the schedule went with its cluster"
    );
    let everywhere = app.get("/backups", &admin).await;
    let kept = everywhere.data()["backups"]
        .as_array()
        .expect("backups")
        .iter()
        .find(|b| b["id"] == manual["id"])
        .cloned()
        .expect("the backup stays");
    assert_eq!(kept["cluster_id"], Value::Null);
    assert_eq!(kept["cluster_name"], "scheduled");
    app.get("/backups", &owner).await.error(403);
    // And an admin restores it into another cluster.
    let restored = app
        .restore_with(
            &admin,
            &other,
            manual["id"].as_str().expect("id"),
            json!({"restore_name": "orphan"}),
        )
        .await;
    assert_eq!(restored["status"], "completed", "{restored}");
}

/// Checks a schedule's record: one firing per due time from the first to the
/// last, each fired one with exactly one backup, and no backup without one.
async fn assert_once_per_due_time(app: &TestApp, token: &str, cluster: &str, schedule: &str, cron: &str) -> usize {
    let rows = firings(app, schedule).await;
    assert!(rows.len() > 3, "{rows:?}");
    let cron = CronSchedule::parse(cron, "UTC").expect("cron");
    let (first, last) = (rows[0].0, rows[rows.len() - 1].0);
    let mut expected = vec![first];
    while let Some(next) = cron.next_after(expected[expected.len() - 1]).filter(|n| *n <= last) {
        expected.push(next);
    }
    let due: Vec<DateTime<Utc>> = rows.iter().map(|r| r.0).collect();
    assert_eq!(due, expected, "one firing per due time, none missing, none doubled");
    let fired: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.1 == "fired")
        .filter_map(|r| r.2.clone())
        .collect();
    assert_eq!(
        fired.len(),
        rows.iter().filter(|r| r.1 == "fired").count(),
        "each fired due time has its own backup"
    );
    let backups: BTreeSet<String> = backups_of(app, token, cluster, schedule)
        .await
        .iter()
        .map(|b| b["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(backups, fired, "every backup came from exactly one firing");
    fired.len()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_fire_each_due_time_once_even_when_one_dies() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let queue = redis.url();
    let mut env: Vec<(&str, &str)> = FAST.to_vec();
    env.extend([
        ("QUEUE_URL", queue.as_str()),
        ("TAICHU_LEASE_SECS", "3"),
        ("TAICHU_REAPER_SECS", "1"),
    ]);
    let app = spawn("api", &env);
    let admin = app.admin_token().await;
    let mut first = app.spawn_worker("first", &env);
    let _second = app.spawn_worker("second", &env);
    let (_server, cluster) = imported(&app, &admin, "scheduled").await;
    let every = "*/2 * * * * *";
    let schedule = create(
        &app,
        &admin,
        &cluster,
        json!({"name": "often", "cron_expr": every, "backup_type": "resources"}),
    )
    .await;
    let id = schedule["id"].as_str().expect("id").to_owned();
    tokio::time::sleep(Duration::from_secs(15)).await;
    first.kill_hard();
    tokio::time::sleep(Duration::from_secs(15)).await;
    app.put(
        &format!("/clusters/{cluster}/backup-schedules/{id}"),
        &admin,
        json!({"enabled": false}),
    )
    .await
    .data();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let fired = assert_once_per_due_time(&app, &admin, &cluster, &id, every).await;
    assert!(fired >= 10, "{fired} firings in 30 s");
    let rows = firings(&app, &id).await;
    let not_fired: Vec<_> = rows.iter().filter(|r| r.1 != "fired").collect();
    // Due times that came while the killed worker's backup still held the
    // cluster (until its lease ran out) may be skipped; nothing else.
    assert!(
        not_fired
            .iter()
            .all(|r| r.1 == "skipped" && r.3.as_deref().is_some_and(|m| m.contains("busy"))),
        "{not_fired:?}"
    );
    assert!(not_fired.len() < fired, "{not_fired:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn due_times_missed_while_no_worker_ran_fire_once_on_return() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let queue = redis.url();
    let mut env: Vec<(&str, &str)> = FAST.to_vec();
    env.extend([("QUEUE_URL", queue.as_str()), ("TAICHU_SCHEDULE_CATCH_UP_SECS", "30")]);
    let app = spawn("api", &env);
    let admin = app.admin_token().await;
    let worker = app.spawn_worker("importer", &env);
    let (_server, cluster) = imported(&app, &admin, "scheduled").await;
    drop(worker);
    let schedule = create(
        &app,
        &admin,
        &cluster,
        json!({"name": "missed", "cron_expr": "* * * * * *", "backup_type": "resources"}),
    )
    .await;
    let id = schedule["id"].as_str().expect("id").to_owned();
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(firings(&app, &id).await.is_empty(), "no worker, no firing");
    let _worker = app.spawn_worker("back", &env);
    tokio::time::sleep(Duration::from_secs(3)).await;
    app.put(
        &format!("/clusters/{cluster}/backup-schedules/{id}"),
        &admin,
        json!({"enabled": false}),
    )
    .await
    .data();
    let rows = firings(&app, &id).await;
    // Everything before the worker's first firing was missed; that firing is
    // the one catch-up, for the latest due time; from then on it fires as usual.
    let caught_up = rows.iter().position(|r| r.1 == "fired").expect("a firing");
    let before = &rows[..caught_up];
    assert!(before.len() >= 9, "{rows:?}");
    assert!(before.iter().all(|r| r.1 == "missed"), "{rows:?}");
    let latest = rows[caught_up].0.to_string();
    assert!(
        before
            .iter()
            .all(|r| r.3.as_deref().is_some_and(|m| m.contains(&latest))),
        "each missed one names the due time that fired instead: {rows:?}"
    );
    assert!(rows[caught_up..].iter().all(|r| r.1 != "missed"), "{rows:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_firing_while_the_last_backup_still_runs_is_skipped_with_the_reason() {
    let app = spawn_app_with(&FAST).await;
    let (_, owner) = app.user("owner").await;
    let (server, cluster) = imported(&app, &owner, "scheduled").await;
    // Every request to the cluster takes a second: a backup outlasts the next due time.
    server.misbehave(Misbehavior::Slow(1000));
    let schedule = create(
        &app,
        &owner,
        &cluster,
        json!({"name": "slow", "cron_expr": "*/2 * * * * *", "backup_type": "resources"}),
    )
    .await;
    let id = schedule["id"].as_str().expect("id").to_owned();
    let path = format!("/clusters/{cluster}/backup-schedules/{id}");
    let seen = app
        .poll(&path, &owner, Duration::from_secs(60), |s| {
            s["recent_firings"]
                .as_array()
                .is_some_and(|f| f.iter().any(|f| f["status"] == "skipped"))
        })
        .await;
    app.put(&path, &owner, json!({"enabled": false})).await.data();
    server.misbehave(Misbehavior::None);
    let skipped = seen["recent_firings"]
        .as_array()
        .expect("firings")
        .iter()
        .find(|f| f["status"] == "skipped")
        .cloned()
        .expect("skipped");
    let reason = skipped["reason"].as_str().expect("reason");
    assert!(reason.contains("busy") && reason.contains("backup"), "{reason}");
    assert_eq!(
        skipped["backup_id"],
        Value::Null,
        "nothing was queued behind the running backup"
    );
}

async fn retention_keeps_the_newest(app: &TestApp, stored: impl Fn(&str, &str) -> usize) {
    let (_, owner) = app.user("owner").await;
    let (_server, cluster) = imported(app, &owner, "scheduled").await;
    let schedule = create(
        app,
        &owner,
        &cluster,
        json!({"name": "kept", "cron_expr": "* * * * * *", "backup_type": "resources",
                                                        "retention_count": 3}),
    )
    .await;
    let id = schedule["id"].as_str().expect("id").to_owned();
    let path = format!("/clusters/{cluster}/backup-schedules/{id}");
    let db = plant::database(app).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while firings(app, &id).await.iter().filter(|r| r.1 == "fired").count() < 8 {
        assert!(std::time::Instant::now() < deadline, "8 firings did not come");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    app.put(&path, &owner, json!({"enabled": false})).await.data();
    // The last backups end and retention sweeps (every second): wait for
    // that end state, however long a loaded machine takes to reach it.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let (fired, newest) = loop {
        let fired: Vec<String> = firings(app, &id)
            .await
            .into_iter()
            .filter(|r| r.1 == "fired")
            .filter_map(|r| r.2)
            .collect();
        let newest: BTreeSet<String> = fired.iter().rev().take(3).cloned().collect();
        let backups = backups_of(app, &owner, &cluster, &id).await;
        let ended = backups
            .iter()
            .all(|b| !matches!(b["status"].as_str(), Some("pending" | "running")));
        let left: BTreeSet<String> = backups
            .iter()
            .map(|b| b["id"].as_str().expect("id").to_owned())
            .collect();
        if (ended && left == newest) || std::time::Instant::now() > deadline {
            assert_eq!(left, newest, "exactly the 3 newest remain: {backups:?}");
            break (fired, newest);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    for backup in &fired {
        let expected = usize::from(newest.contains(backup)) * 2;
        assert_eq!(stored(&cluster, backup), expected, "objects of backup {backup}");
    }
    let audit = app.audit_rows(&app.admin_token().await, "&action=DELETE_BACKUP").await;
    assert!(audit.len() >= fired.len() - 3, "each deletion is audited: {audit:?}");
    assert!(audit.iter().all(|r| r["username"] == "system"), "{audit:?}");

    // By age: a manual backup past its retention goes; the newest completed
    // backup of an enabled schedule stays however old.
    app.put(
        &path,
        &owner,
        json!({"enabled": true, "cron_expr": "0 0 1 1 *", "retention_days": 1}),
    )
    .await
    .data();
    let manual = app
        .backup_with(
            &owner,
            &cluster,
            json!({"backup_name": "old", "backup_type": "resources", "retention_days": 1}),
        )
        .await;
    let manual_id = manual["id"].as_str().expect("id").to_owned();
    let long_ago = "2020-01-01T00:00:00Z";
    let sql = format!(
        "UPDATE backups SET created_at = '{long_ago}', expires_at = '{long_ago}' WHERE id = '{manual_id}' OR schedule_id = '{id}'"
    );
    taichu_storage::ConnectionTrait::execute_unprepared(&db, &sql)
        .await
        .expect("back-date");
    tokio::time::sleep(Duration::from_secs(4)).await;
    app.get(&format!("/clusters/{cluster}/backups/{manual_id}"), &owner)
        .await
        .error(404);
    let left: Vec<String> = backups_of(app, &owner, &cluster, &id)
        .await
        .iter()
        .map(|b| b["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(
        left.len(),
        1,
        "only the schedule's newest completed backup is kept: {left:?}"
    );
    assert!(newest.contains(&left[0]));
}

fn local_objects(app: &TestApp) -> impl Fn(&str, &str) -> usize + '_ {
    move |cluster: &str, backup: &str| {
        let dir = app
            .data_dir
            .path()
            .join(format!("objects/clusters/{cluster}/backups/{backup}"));
        walk(&dir)
    }
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 })
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_keeps_the_newest_on_the_local_store() {
    let app = spawn_app_with(&FAST).await;
    retention_keeps_the_newest(&app, local_objects(&app)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_keeps_the_newest_on_s3() {
    let Some(s3) = taichu_tests::s3::S3Server::start() else {
        return;
    };
    s3.create_bucket("backups");
    let mut env: Vec<(String, String)> = s3.env("backups");
    env.extend(FAST.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app_with(&env).await;
    let stored = |cluster: &str, backup: &str| {
        s3.list("backups", &format!("clusters/{cluster}/backups/{backup}/"))
            .len()
    };
    retention_keeps_the_newest(&app, stored).await;
}
