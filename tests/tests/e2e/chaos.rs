//! `kill -9` of API and worker processes at random moments while the
//! production shape (PostgreSQL, Redis with an append-only file, SeaweedFS,
//! 2 × `taichu api`, 2 × `taichu worker`) carries a mixed load: canary runs,
//! machine checks over SSH, imports, etcd backups, resource backups and a
//! restore. Afterwards every run has ended completed, every step committed
//! once (side effects repeat only where an attempt was cut short), no
//! operation lock is left, no backup is left pending or running, every
//! stored object matches its recorded checksum, and no incomplete upload is
//! left in the bucket.
//!
//! The kill schedule comes from `TAICHU_CHAOS_SEED` (printed on every run,
//! random when unset), so a failing schedule can be replayed.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use taichu_storage::entities::{
    backups, operation_locks, restores, workflow_runs, workflow_steps as workflow_steps_entity,
};
use taichu_storage::repositories::workflow_steps;
use taichu_storage::sea_orm::EntityTrait;
use taichu_tests::apiserver::TestApiServer;
use taichu_tests::b64;
use taichu_tests::etcd::{Deployment, EtcdCluster};
use taichu_tests::fleet::{Client, Fleet, Kind, Sent};
use taichu_tests::postgres::TempDatabase;
use taichu_tests::redis::RedisServer;
use taichu_tests::runs::each_step_once;
use taichu_tests::s3::S3Server;
use taichu_tests::sshd::{SshHost, TEST_PASSWORD};
use taichu_tests::workload::Seeded;

use crate::backups::registered;
use crate::resources::{SMALL, TOKEN, backed_up, client as kube_client, delete_all, seeded_cluster};

/// How long the load and the kills go on: 45 s, or `TAICHU_CHAOS_SECS`
/// for a longer run.
fn load_time() -> Duration {
    let secs = std::env::var("TAICHU_CHAOS_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(45);
    Duration::from_secs(secs)
}
/// How long every run gets to end once the kills stop.
const SETTLE: Duration = Duration::from_secs(240);
const BUCKET: &str = "chaos";
const CANARY_STEPS: i32 = 4;
/// How long a SIGTERM'd worker may take to finish its steps and exit.
const GRACE: Duration = Duration::from_secs(60);

/// What the load asked for and how it was answered.
#[derive(Debug, Default)]
struct Asked {
    /// Accepted starts per kind of work.
    started: BTreeMap<&'static str, usize>,
    /// 409 answers per kind of work, with one message each.
    refused: BTreeMap<&'static str, (usize, String)>,
    /// Requests whose API process died before answering.
    lost: usize,
    canaries: Vec<String>,
    restore: Option<(String, String)>,
    /// Objects on the cluster's API server once its objects were deleted for the restore.
    left_for_restore: usize,
}

impl Asked {
    fn record(&mut self, what: &'static str, sent: Sent) -> Option<Value> {
        match sent {
            Sent::Answered(reply) if reply.body["code"] == 0 => {
                *self.started.entry(what).or_default() += 1;
                Some(reply.body["data"].clone())
            }
            Sent::Answered(reply) => {
                assert_eq!(reply.status.as_u16(), 409, "{what}: {}", reply.body);
                let message = reply.body["message"].as_str().unwrap_or_default().to_owned();
                assert!(!message.is_empty(), "a refusal says why: {}", reply.body);
                let entry = self.refused.entry(what).or_insert((0, message));
                entry.0 += 1;
                None
            }
            Sent::Lost(_) => {
                self.lost += 1;
                None
            }
        }
    }
}

/// The clusters and machines the load works on.
struct Targets {
    resources_cluster: String,
    etcd_cluster: String,
    machines: Vec<String>,
    kubeconfig: String,
}

/// Waits until no backup of `cluster` is pending or running.
async fn backups_idle(client: &Client, cluster: &str) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let list = client.get(&format!("/clusters/{cluster}/backups?limit=100")).await;
        let busy = list.body["data"]["backups"].as_array().is_some_and(|b| {
            b.iter()
                .any(|b| matches!(b["status"].as_str(), Some("pending" | "running")))
        });
        if !busy {
            return;
        }
        assert!(Instant::now() < deadline, "backups of {cluster} never went idle");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A completed resources backup of `cluster`, if there is one yet.
async fn completed_resources_backup(client: &Client, cluster: &str) -> Option<String> {
    let list = client
        .get(&format!("/clusters/{cluster}/backups?limit=100&status=completed"))
        .await;
    list.body["data"]["backups"]
        .as_array()?
        .iter()
        .find(|b| b["backup_type"] == "resources")
        .and_then(|b| b["id"].as_str().map(str::to_owned))
}

/// Starts the restore of `backup` into `cluster`; its id. An answer lost
/// with its API process is looked for in the database before the request is
/// sent again, so the cluster gets exactly one restore.
async fn start_restore(
    client: &Client,
    store: &taichu_storage::Database,
    cluster: &str,
    backup: &str,
    asked: &mut Asked,
) -> String {
    use taichu_storage::sea_orm::{ColumnTrait, QueryFilter};
    let path = format!("/clusters/{cluster}/backups/{backup}/restore");
    loop {
        let sent = client
            .send(Method::POST, &path, Some(json!({"restore_name": "chaos"})))
            .await;
        if let Some(restore) = asked.record("restore", sent) {
            return restore["id"].as_str().expect("id").to_owned();
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let made = restores::Entity::find()
            .filter(restores::Column::ClusterId.eq(cluster))
            .one(store)
            .await
            .expect("restores");
        if let Some(restore) = made {
            return restore.id;
        }
    }
}

/// Starts work of every kind, in turn, until the load time has passed; the restore
/// (of `cluster` from one of its resources backups, after its objects are
/// deleted) once one has completed, a third of the way in.
async fn load(
    client: Client,
    store: &taichu_storage::Database,
    targets: Targets,
    server: &TestApiServer,
    seeded: &[Seeded],
) -> Asked {
    let mut asked = Asked::default();
    let started = Instant::now();
    for i in 0usize.. {
        if started.elapsed() > load_time() {
            break;
        }
        let (a, b) = (&targets.resources_cluster, &targets.etcd_cluster);
        match i % 6 {
            0 | 3 => {
                for _ in 0..2 {
                    let body = json!({"steps": CANARY_STEPS, "step_ms": 400});
                    let sent = client.send(Method::POST, "/workflows/canary", Some(body)).await;
                    if let Some(run) = asked.record("canary", sent) {
                        asked.canaries.push(run["id"].as_str().expect("id").to_owned());
                    }
                }
            }
            1 => {
                let machine = &targets.machines[i / 6 % targets.machines.len()];
                let sent = client
                    .send(Method::POST, &format!("/machines/{machine}/check"), None)
                    .await;
                asked.record("machine check", sent);
            }
            2 => {
                let body = json!({"name": format!("chaos-import-{i}"), "kubeconfig": b64(&targets.kubeconfig)});
                let sent = client.send(Method::POST, "/clusters/import", Some(body)).await;
                asked.record("import", sent);
            }
            4 => {
                let body = json!({"backup_name": format!("etcd-{i}"), "backup_type": "etcd"});
                let sent = client
                    .send(Method::POST, &format!("/clusters/{b}/etcd/backups"), Some(body))
                    .await;
                asked.record("etcd backup", sent);
            }
            _ => {
                let body = json!({"backup_name": format!("resources-{i}"), "backup_type": "resources"});
                let sent = client
                    .send(Method::POST, &format!("/clusters/{a}/backups"), Some(body))
                    .await;
                asked.record("resources backup", sent);
            }
        }
        if asked.restore.is_none()
            && started.elapsed() > load_time() / 3
            && let Some(backup) = completed_resources_backup(&client, a).await
        {
            backups_idle(&client, a).await;
            delete_all(&kube_client(server).await, seeded).await;
            asked.left_for_restore = server.object_count();
            let restore = start_restore(&client, store, a, &backup, &mut asked).await;
            asked.restore = Some((backup, restore));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    asked
}

/// Stops a random process every 1.5–3.5 s, API and worker in turn, and
/// starts it again 0.2–1.2 s later, until the load time has passed: `kill -9`,
/// except every second worker, which gets SIGTERM as an orchestrator would
/// send it.
fn kill_at_random(mut fleet: Fleet, seed: u64) -> Fleet {
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();
    for n in 0usize.. {
        std::thread::sleep(Duration::from_millis(rng.random_range(1500..3500)));
        if started.elapsed() > load_time() {
            break;
        }
        let kind = if n % 2 == 0 { Kind::Worker } else { Kind::Api };
        let index = rng.random_range(0..fleet.count(kind));
        if n % 4 == 2 {
            fleet.terminate_worker(index, GRACE);
        } else {
            fleet.kill(kind, index);
        }
        std::thread::sleep(Duration::from_millis(rng.random_range(200..1200)));
        fleet.revive(kind, index);
    }
    fleet
}

/// Reads what a dashboard reads, back to back, until the load time has passed, so
/// API processes die with requests in flight; how many reads were answered
/// and how many were cut off by a kill (and sent again).
async fn read_constantly(client: Client, n: usize) -> (usize, usize) {
    let paths = [
        "/clusters",
        "/workflows?limit=50",
        "/backups",
        "/machines",
        "/clusters/imports",
    ];
    let started = Instant::now();
    let (mut answered, mut cut_off) = (0, 0);
    for i in n.. {
        if started.elapsed() > load_time() {
            break;
        }
        match client.send(Method::GET, paths[i % paths.len()], None).await {
            Sent::Answered(reply) => {
                assert_eq!(reply.status, 200, "GET {}: {}", paths[i % paths.len()], reply.body);
                answered += 1;
            }
            Sent::Lost(_) => cut_off += 1,
        }
    }
    (answered, cut_off)
}

/// The attempts each SIGTERM'd worker ran: none may have been abandoned.
fn terminated_finished_their_steps(fleet: &Fleet, steps: &[workflow_steps_entity::Model]) -> usize {
    let mut ran = 0;
    for (name, _) in &fleet.terminated {
        let prefix = format!("{name}-");
        for step in steps
            .iter()
            .filter(|s| s.worker.as_deref().is_some_and(|w| w.starts_with(&prefix)))
        {
            assert_ne!(
                step.status, "abandoned",
                "{name} was stopped with SIGTERM yet left {step:?}"
            );
            ran += 1;
        }
    }
    ran
}

/// Waits until no run is pending or running.
async fn all_ended(client: &Client, fleet: &Fleet) {
    let deadline = Instant::now() + SETTLE;
    loop {
        let mut active = 0;
        for status in ["pending", "running"] {
            active += client.get(&format!("/workflows?status={status}&limit=1")).await.body["data"]["total"]
                .as_u64()
                .unwrap_or(0);
        }
        if active == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{active} runs still active {SETTLE:?} after the kills stopped\n{}",
            fleet.logs()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every planned step of every run has exactly one completed attempt; the
/// attempts that did not complete, per reason.
async fn each_planned_step_once(
    db: &taichu_storage::Database,
    runs: &[workflow_runs::Model],
) -> BTreeMap<String, usize> {
    let mut cut_short = BTreeMap::new();
    for run in runs {
        let planned = serde_json::from_str::<Vec<Value>>(&run.plan).expect("plan").len() as i32;
        let steps = workflow_steps::list(db, &run.id).await.expect("steps");
        let mut completed: HashMap<i32, usize> = HashMap::new();
        for step in &steps {
            if step.status == "completed" {
                *completed.entry(step.step_index).or_default() += 1;
            } else {
                *cut_short.entry(format!("{} {}", run.kind, step.status)).or_default() += 1;
            }
        }
        for index in 0..planned {
            assert_eq!(
                completed.get(&index),
                Some(&1),
                "{} run {} step {index} committed exactly once: {steps:?}",
                run.kind,
                run.id
            );
        }
    }
    cut_short
}

/// Every backup completed, and every object it recorded is in the bucket
/// with its recorded size and SHA-256; every object in the bucket belongs to
/// a completed backup; no multipart upload is left open.
fn backups_are_whole(s3: &S3Server, backups: &[backups::Model]) -> usize {
    let mut recorded = Vec::new();
    for backup in backups {
        assert_eq!(
            backup.status, "completed",
            "backup {} {}: {:?}",
            backup.id, backup.name, backup.error_message
        );
        let prefix = format!(
            "clusters/{}/backups/{}/",
            backup.cluster_id.as_deref().unwrap_or_default(),
            backup.id
        );
        recorded.push(format!("{prefix}manifest.json"));
        for part in backup.part_list() {
            let key = part.object.clone().expect("a completed part names its object");
            let key = if key.starts_with("clusters/") {
                key
            } else {
                format!("{prefix}{key}")
            };
            let bytes = s3.get(BUCKET, &key);
            assert_eq!(Some(bytes.len() as i64), part.size_bytes, "{key}: size");
            assert_eq!(
                part.sha256.as_deref(),
                Some(hex::encode(Sha256::digest(&bytes)).as_str()),
                "{key}: sha256"
            );
            recorded.push(key);
        }
    }
    let mut stored = s3.list(BUCKET, "");
    stored.sort();
    recorded.sort();
    assert_eq!(
        stored, recorded,
        "the bucket holds exactly the completed backups' objects"
    );
    assert_eq!(s3.multipart_uploads(BUCKET, ""), vec![], "no incomplete upload is left");
    stored.len()
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_apis_and_workers_at_random_moments_lose_no_run_double_no_step_and_leave_nothing_behind() {
    if std::env::var("TAICHU_TEST_DATABASE").as_deref() != Ok("postgres") {
        eprintln!("SKIP: the chaos test runs in the PostgreSQL pass (production shape)");
        return;
    }
    let Some(etcd) = EtcdCluster::start(1, Deployment::Systemd) else {
        return;
    };
    let (Some(host_a), Some(host_b)) = (SshHost::start(), SshHost::start()) else {
        return;
    };
    let Some(s3) = S3Server::start() else { return };
    let redis_dir = tempfile::tempdir().expect("dir");
    let Some(redis) = RedisServer::start_persistent(redis_dir.path()) else {
        return;
    };
    s3.create_bucket(BUCKET);
    let db = TempDatabase::create().expect("PostgreSQL test database");
    let mut env = s3.env(BUCKET);
    env.extend([
        ("DATABASE_URL".to_owned(), db.url()),
        ("QUEUE_URL".to_owned(), redis.url()),
    ]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let fleet = Fleet::start(&env, &[("TAICHU_LEASE_SECS", "3"), ("TAICHU_REAPER_SECS", "1")], 2, 2);

    // What the load works on, set up before the first kill.
    let app = &fleet.apis[0];
    let admin = app.admin_token().await;
    let (server, seeded, resources_cluster) = seeded_cluster(app, &admin, SMALL, "chaos-resources").await;
    let objects = server.object_count();
    let etcd_cluster = registered(app, &admin, &etcd).await;
    let mut machines = Vec::new();
    for (name, host) in [("chaos-a", &host_a), ("chaos-b", &host_b)] {
        let machine = app
            .create_machine(&admin, name, host, json!({"password": TEST_PASSWORD}))
            .await;
        let id = machine["id"].as_str().expect("id").to_owned();
        app.wait_machine(&admin, &id, "ready").await;
        machines.push(id);
    }
    let targets = Targets {
        resources_cluster: resources_cluster.clone(),
        etcd_cluster,
        machines: machines.clone(),
        kubeconfig: server.kubeconfig(TOKEN),
    };

    let seed = std::env::var("TAICHU_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    eprintln!("chaos: TAICHU_CHAOS_SEED={seed}");
    let client = Client::new(fleet.bases(), &admin);
    let killing = tokio::task::spawn_blocking(move || kill_at_random(fleet, seed));
    let readers: Vec<_> = (0..3)
        .map(|n| tokio::spawn(read_constantly(client.clone(), n)))
        .collect();
    let store = taichu_storage::connect(&db.url()).await.expect("database");
    let asked = load(client.clone(), &store, targets, &server, &seeded).await;
    let mut fleet = killing.await.expect("kills");
    let (mut reads, mut reads_cut_off) = (0, 0);
    for reader in readers {
        let (answered, cut_off) = reader.await.expect("reader");
        reads += answered;
        reads_cut_off += cut_off;
    }
    fleet.all_running().expect("every process is up again");
    all_ended(&client, &fleet).await;

    // Every run completed, each planned step once.
    let runs = workflow_runs::Entity::find().all(&store).await.expect("runs");
    let failed: Vec<String> = runs
        .iter()
        .filter(|r| r.status != "completed")
        .map(|r| format!("{} {} {}: {:?}", r.kind, r.id, r.status, r.error))
        .collect();
    assert!(
        failed.is_empty(),
        "runs that did not complete: {failed:#?}\n{}",
        fleet.logs()
    );
    let cut_short = each_planned_step_once(&store, &runs).await;
    let canaries = each_step_once(&db.url(), &asked.canaries, CANARY_STEPS).await;
    let attempts = workflow_steps_entity::Entity::find()
        .all(&store)
        .await
        .expect("attempts");
    let by_terminated = terminated_finished_their_steps(&fleet, &attempts);
    let locks = operation_locks::Entity::find().all(&store).await.expect("locks");
    assert!(locks.is_empty(), "operation locks left behind: {locks:?}");

    // Backups whole, the restore complete, imports and machines in order.
    let backups = backups::Entity::find().all(&store).await.expect("backups");
    let stored = backups_are_whole(&s3, &backups);
    let (backup, restore) = asked.restore.clone().expect("the restore started");
    let done = client
        .get(&format!(
            "/clusters/{resources_cluster}/backups/{backup}/restore/{restore}"
        ))
        .await;
    assert_eq!(done.body["data"]["status"], "completed", "{}", done.body);
    let made = restores::Entity::find().all(&store).await.expect("restores");
    assert_eq!(made.len(), 1, "exactly one restore: {made:?}");
    let expected = backed_up(&seeded).len();
    assert_eq!(
        done.body["data"]["objects_applied"].as_u64(),
        Some(expected as u64),
        "{}",
        done.body
    );
    assert_eq!(
        server.object_count(),
        asked.left_for_restore + expected,
        "every backed-up object is back, none twice (of {objects} before the deletion)"
    );
    let imports = client.get("/clusters/imports?limit=100").await;
    for import in imports.body["data"]["imports"].as_array().expect("imports") {
        assert_eq!(import["status"], "completed", "{import}");
    }
    for machine in &machines {
        assert_eq!(
            client.get(&format!("/machines/{machine}")).await.body["data"]["status"],
            "ready"
        );
    }

    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for run in &runs {
        *kinds.entry(run.kind.as_str()).or_default() += 1;
    }
    assert!(
        fleet.kills_of(Kind::Api) >= 3 && fleet.kills_of(Kind::Worker) >= 2 && !fleet.terminated.is_empty(),
        "{:?} {:?}",
        fleet.kills,
        fleet.terminated
    );
    let terms: Vec<String> = fleet
        .terminated
        .iter()
        .map(|(n, t)| format!("{n} exited in {t:.1?}"))
        .collect();
    eprintln!(
        "chaos (seed {seed}): kill -9 of {} api and {} worker processes, SIGTERM to {} workers ({terms:?}), in {:?}; \
         {} runs completed {kinds:?}; attempts cut short {cut_short:?}; canary side effects repeated {} times \
         for {} attempts cut short; the SIGTERM'd workers ran {by_terminated} attempts, none abandoned; \
         started {:?}; refused {:?}; {} starts lost with their process; {reads} reads answered, \
         {reads_cut_off} cut off by a kill and sent again; {} backups whole ({stored} objects); \
         restore of {objects} objects completed",
        fleet.kills_of(Kind::Api),
        fleet.kills_of(Kind::Worker),
        fleet.terminated.len(),
        load_time(),
        runs.len(),
        canaries.duplicates,
        canaries.rerun,
        asked.started,
        asked.refused,
        asked.lost,
        backups.len(),
    );
}
