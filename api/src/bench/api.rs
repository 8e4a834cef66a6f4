//! `taichu bench api`: the HTTP API under load, in `taichu api` processes of
//! its own on a seeded database, next to a bare `/healthz` measured in the
//! same run (what the machine, the HTTP stack and the load generator cost).

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use serde_json::{Value, json};

use super::load::{self, MakeRequest, Rate, Stats};
use super::replicas::{Replica, Shared};
use super::{seed, tempfile_dir};

#[derive(Debug, Clone, Args)]
pub struct BenchApiArgs {
    /// Database URL; unset, a fresh SQLite file in a temporary directory.
    /// A PostgreSQL database should be empty: the benchmark seeds it.
    #[arg(long)]
    pub database: Option<String>,
    /// `redis://…` for the queue; unset, the queue lives in the SQLite database.
    #[arg(long)]
    pub queue: Option<String>,
    /// `taichu api` processes sharing the database; connections are spread over them.
    #[arg(long, default_value_t = 1)]
    pub replicas: usize,
    /// Connections of each closed-loop scenario.
    #[arg(long, default_value_t = 16)]
    pub connections: usize,
    /// Seconds each closed-loop scenario runs.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Seconds of the mixed fixed-rate profile (0 skips it).
    #[arg(long, default_value_t = 60)]
    pub mixed_seconds: u64,
    /// Clusters to seed.
    #[arg(long, default_value_t = 10_000)]
    pub clusters: usize,
    /// Workflow runs to seed.
    #[arg(long, default_value_t = 100_000)]
    pub runs: usize,
    /// Run only the closed-loop scenarios whose name contains this text (the baseline always runs).
    #[arg(long)]
    pub only: Option<String>,
}

const ADMIN_PASSWORD: &str = "bench-admin-password-9f2c";

/// A GET of `path` with the bearer `token`.
fn get(path: String, token: &str) -> MakeRequest {
    let bearer = format!("Bearer {token}");
    Arc::new(move |client, base, _| client.get(format!("{base}{path}")).header("authorization", &bearer))
}

/// A GET of the path `pick` chooses for the `n`th request.
fn get_each(token: &str, pick: impl Fn(u64) -> String + Send + Sync + 'static) -> MakeRequest {
    let bearer = format!("Bearer {token}");
    Arc::new(move |client, base, n| {
        client
            .get(format!("{base}{}", pick(n)))
            .header("authorization", &bearer)
    })
}

/// A POST of `body` to `path` with the bearer `token`.
fn post(path: &'static str, token: &str, body: Value) -> MakeRequest {
    let bearer = format!("Bearer {token}");
    Arc::new(move |client, base, _| {
        client
            .post(format!("{base}{path}"))
            .header("authorization", &bearer)
            .json(&body)
    })
}

fn login() -> MakeRequest {
    Arc::new(|client, base, _| {
        client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
    })
}

async fn admin_token(base: &str) -> anyhow::Result<String> {
    let reply: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    reply["data"]["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("login failed: {reply}"))
}

fn header() {
    println!(
        "{:<44} {:>9} {:>9} {:>8} {:>8} {:>8} {:>7}  vs /healthz",
        "scenario", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors"
    );
}

fn row(name: &str, stats: &Stats, note: &str) {
    println!(
        "{:<44} {:>9} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>7}  {note}",
        name,
        stats.requests,
        stats.per_second(),
        stats.p50(),
        stats.p99(),
        stats.max(),
        stats.errors + stats.dropped,
    );
    if let Some(err) = &stats.first_error {
        println!("    first error: {err}");
    }
}

pub async fn api(args: BenchApiArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.replicas >= 1, "--replicas must be at least 1");
    anyhow::ensure!(args.connections >= 1, "--connections must be at least 1");
    anyhow::ensure!(
        args.clusters >= 1 && args.runs >= 1,
        "seed at least one cluster and one run"
    );
    let dir = tempfile_dir()?;
    let url = args
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()));
    let backend = if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let shared = Shared {
        database_url: &url,
        queue_url: args.queue.as_deref(),
        dir: &dir,
        admin_password: ADMIN_PASSWORD,
    };
    let keys = (
        hex::encode(rand::random::<[u8; 32]>()),
        hex::encode(rand::random::<[u8; 32]>()),
    );
    // The first replica migrates and creates the admin before the others start.
    let mut replicas = Vec::new();
    for index in 0..args.replicas {
        replicas.push(Replica::start(index, &shared, &keys)?);
    }
    let bases: Vec<String> = replicas.iter().map(|r| r.base.clone()).collect();

    let db = taichu_storage::connect(&url).await?;
    let seeding = std::time::Instant::now();
    let cluster_ids = Arc::new(seed::clusters(&db, args.clusters).await?);
    let run_ids = Arc::new(seed::runs(&db, args.runs).await?);
    seed::settle(&db).await?;
    println!(
        "bench api: database={backend} queue={} replicas={} connections={} clusters={} runs={} (seeded in {:.1} s) seconds={}",
        if args.queue.is_some() { "redis" } else { "sqlite" },
        args.replicas,
        args.connections,
        args.clusters,
        args.runs,
        seeding.elapsed().as_secs_f64(),
        args.seconds,
    );
    let token = admin_token(&bases[0]).await?;
    let pages = args.clusters.div_ceil(20).max(1);
    let searched = seed::cluster_name(args.clusters / 2);
    // Ten names share this prefix (or fewer in a small fleet): a realistic filter.
    let search_term = searched[..searched.len() - 1].to_owned();

    let run = Duration::from_secs(args.seconds);
    let closed = |make: MakeRequest| load::closed_loop(&bases, args.connections, run, make);
    // Warm caches and connections before anything counts.
    load::closed_loop(
        &bases,
        args.connections,
        Duration::from_secs(2),
        get("/api/v1/clusters".into(), &token),
    )
    .await?;

    header();
    let healthz: MakeRequest = Arc::new(|client, base, _| client.get(format!("{base}/healthz")));
    let baseline = closed(healthz).await?;
    row("GET /healthz (baseline)", &baseline, "baseline");
    let scenarios: Vec<(String, MakeRequest)> = vec![
        ("GET /clusters".into(), get("/api/v1/clusters".into(), &token)),
        (
            format!("GET /clusters?page={pages}&limit=20"),
            get(format!("/api/v1/clusters?page={pages}&limit=20"), &token),
        ),
        (
            format!("GET /clusters?search={search_term}"),
            get(format!("/api/v1/clusters?search={search_term}"), &token),
        ),
        ("GET /clusters/{id}".into(), {
            let ids = cluster_ids.clone();
            get_each(&token, move |n| {
                format!("/api/v1/clusters/{}", ids[n as usize % ids.len()])
            })
        }),
        ("GET /workflows".into(), get("/api/v1/workflows".into(), &token)),
        ("GET /workflows/{id}".into(), {
            let ids = run_ids.clone();
            get_each(&token, move |n| {
                format!("/api/v1/workflows/{}", ids[n as usize % ids.len()])
            })
        }),
        ("POST /auth/login (argon2id by design)".into(), login()),
    ];
    let wanted = |name: &str| args.only.as_deref().is_none_or(|only| name.contains(only));
    for (name, make) in scenarios.into_iter().filter(|(name, _)| wanted(name)) {
        let stats = closed(make).await?;
        let share = format!(
            "{:.1}% of its req/s",
            100.0 * stats.per_second() / baseline.per_second()
        );
        row(&name, &stats, &share);
    }

    if args.mixed_seconds > 0 {
        let ids = cluster_ids.clone();
        let runs = run_ids.clone();
        let rates = vec![
            Rate {
                name: "GET /clusters",
                per_second: 200,
                make: get("/api/v1/clusters".into(), &token),
            },
            Rate {
                name: "GET /clusters/{id}",
                per_second: 200,
                make: get_each(&token, move |n| {
                    format!("/api/v1/clusters/{}", ids[n as usize % ids.len()])
                }),
            },
            Rate {
                name: "GET /clusters?search=",
                per_second: 20,
                make: get(format!("/api/v1/clusters?search={search_term}"), &token),
            },
            Rate {
                name: "GET /workflows",
                per_second: 100,
                make: get("/api/v1/workflows".into(), &token),
            },
            Rate {
                name: "GET /workflows/{id}",
                per_second: 100,
                make: get_each(&token, move |n| {
                    format!("/api/v1/workflows/{}", runs[n as usize % runs.len()])
                }),
            },
            Rate {
                name: "POST /audit",
                per_second: 20,
                make: post(
                    "/api/v1/audit",
                    &token,
                    json!({"action": "BENCH", "resource_type": "bench", "details": "taichu bench api"}),
                ),
            },
            Rate {
                name: "POST /workflows/canary",
                per_second: 10,
                make: post("/api/v1/workflows/canary", &token, json!({"steps": 1, "step_ms": 0})),
            },
            Rate {
                name: "POST /auth/login",
                per_second: 2,
                make: login(),
            },
        ];
        let total: u32 = rates.iter().map(|r| r.per_second).sum();
        println!(
            "mixed profile: {total} requests/s at fixed rates for {} s over {} replica(s); latency counts from when each request was due",
            args.mixed_seconds, args.replicas
        );
        header();
        for (name, stats) in load::open_loop(&bases, rates, Duration::from_secs(args.mixed_seconds)).await? {
            row(&format!("mixed: {name}"), &stats, "fixed rate");
        }
    }
    for (index, replica) in replicas.iter().enumerate() {
        if let Some(rss) = replica.rss_kib() {
            println!("api replica {index}: rss {:.1} MiB", rss as f64 / 1024.0);
        }
    }
    drop(replicas);
    db.close().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
