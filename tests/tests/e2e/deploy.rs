//! The deployment files, checked against real parts. Container images
//! cannot be pulled here, so `deploy/compose.yaml`'s taichu services run as
//! local processes with the file's exact commands and environment (a wrong
//! flag or variable name in the file fails this), against the local
//! PostgreSQL, a throwaway Redis and a real S3 server standing in for the
//! file's `postgres`, `redis` and `s3` services.

use std::collections::BTreeMap;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use serde_yaml::Value as Yaml;
use taichu_tests::app::{start_process, taichu_bin};
use taichu_tests::postgres::TempDatabase;
use taichu_tests::python;
use taichu_tests::redis::RedisServer;
use taichu_tests::s3::S3Server;

/// `${NAME}`, `${NAME:?message}` and `${NAME:-default}` from `vars`, and `$$` as `$`, as compose reads them.
fn interpolate(text: &str, vars: &BTreeMap<&str, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = inner.find('}').expect("closed ${…}");
            let expr = &inner[..end];
            let (name, fallback) = match expr.find([':', '-', '?']) {
                Some(j) => (&expr[..j], Some(expr[j..].trim_start_matches(':'))),
                None => (expr, None),
            };
            let value = match (vars.get(name), fallback) {
                (Some(v), _) if !v.is_empty() => v.clone(),
                (_, Some(f)) if f.starts_with('-') => f[1..].to_owned(),
                (_, Some(f)) if f.starts_with('?') => panic!("compose would refuse: {name}: {}", &f[1..]),
                _ => String::new(),
            };
            out.push_str(&value);
            rest = &inner[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A service of the file: its command and environment, interpolated.
#[derive(Debug)]
struct Service {
    command: Vec<String>,
    env: Vec<(String, String)>,
}

fn services(vars: &BTreeMap<&str, String>) -> BTreeMap<String, Service> {
    let text = std::fs::read_to_string(python::root().join("deploy/compose.yaml")).expect("compose.yaml");
    let mut file: Yaml = serde_yaml::from_str(&text).expect("compose.yaml is YAML");
    file.apply_merge().expect("merge keys");
    let Yaml::Mapping(all) = &file["services"] else {
        panic!("no services");
    };
    let string = |v: &Yaml| interpolate(v.as_str().expect("a string"), vars);
    all.iter()
        .map(|(name, service)| {
            let command = match &service["command"] {
                Yaml::Sequence(words) => words.iter().map(string).collect(),
                _ => Vec::new(),
            };
            let env = match &service["environment"] {
                Yaml::Mapping(env) => env
                    .iter()
                    .map(|(k, v)| {
                        let value = match v {
                            Yaml::String(_) => string(v),
                            other => serde_yaml::to_string(other).expect("scalar").trim().to_owned(),
                        };
                        (k.as_str().expect("name").to_owned(), value)
                    })
                    .collect(),
                _ => Vec::new(),
            };
            (name.as_str().expect("name").to_owned(), Service { command, env })
        })
        .collect()
}

/// Points a value at the local stand-ins of the file's `postgres`, `redis` and `s3`.
fn local(key: &str, value: &str, db: &TempDatabase, redis: &RedisServer, s3: &S3Server) -> String {
    match key {
        "DATABASE_URL" => {
            assert!(
                value.starts_with("postgres://") && value.contains("@postgres:5432/"),
                "{value}"
            );
            db.url()
        }
        "QUEUE_URL" => {
            assert_eq!(value, "redis://redis:6379");
            redis.url()
        }
        "AWS_ENDPOINT_URL" => {
            assert_eq!(value, "http://s3:9000");
            s3.endpoint()
        }
        // Two APIs on one machine: each on a free loopback port.
        "TAICHU_LISTEN" => "127.0.0.1:0".to_owned(),
        _ => value.to_owned(),
    }
}

struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_compose_file_runs_as_written_two_apis_and_two_workers_on_postgres_redis_and_s3() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let Some(s3) = S3Server::start() else {
        return;
    };
    let db = TempDatabase::create().expect("PostgreSQL test database");
    s3.create_bucket("taichu-backups");
    let admin_password = "compose-admin-password";
    let vars: BTreeMap<&str, String> = [
        ("POSTGRES_PASSWORD", "unused-by-the-local-server".to_owned()),
        ("S3_ACCESS_KEY", s3.access_key().to_owned()),
        ("S3_SECRET_KEY", s3.secret_key().to_owned()),
        (
            "TAICHU_JWT_SECRET",
            "compose-jwt-secret-0123456789-abcdefghij".to_owned(),
        ),
        ("TAICHU_SECRET_KEY", "c0".repeat(32)),
        ("TAICHU_ADMIN_PASSWORD", admin_password.to_owned()),
    ]
    .into_iter()
    .collect();
    let services = services(&vars);
    let dir = tempfile::tempdir().expect("data dir");
    let env_of = |name: &str| -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = services[name]
            .env
            .iter()
            .map(|(k, v)| (k.clone(), local(k, v, &db, &redis, &s3)))
            .collect();
        // What the image sets (deploy/Dockerfile).
        env.push(("TAICHU_DATA_DIR".into(), dir.path().display().to_string()));
        env
    };

    let migrate = &services["migrate"];
    let out = Command::new(taichu_bin())
        .args(&migrate.command)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env_of("migrate"))
        .output()
        .expect("taichu migrate");
    assert!(
        out.status.success(),
        "migrate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("connected to postgres")
            && said.contains("applying m20261124_000001_users")
            && said.contains("the schema is up to date"),
        "migrate says what it does: {said}"
    );

    let mut processes = Processes(Vec::new());
    let mut apis = Vec::new();
    for name in ["api-1", "api-2"] {
        let args: Vec<&str> = services[name].command.iter().map(String::as_str).collect();
        assert_eq!(args, ["api"]);
        let log = dir.path().join(format!("{name}.log"));
        let (child, addr) = start_process(&args, &env_of(name), &log, "taichu listening on socket://");
        processes.0.push(child);
        apis.push(format!("http://{addr}/api/v1"));
    }
    for name in ["worker-1", "worker-2"] {
        let args: Vec<&str> = services[name].command.iter().map(String::as_str).collect();
        assert_eq!(args, ["worker"]);
        let log = dir.path().join(format!("{name}.log"));
        let (child, _) = start_process(&args, &env_of(name), &log, "taichu worker ready");
        processes.0.push(child);
    }

    let http = reqwest::Client::new();
    for api in &apis {
        let ready: Value = http
            .get(api.replace("/api/v1", "/readyz"))
            .send()
            .await
            .expect("readyz")
            .json()
            .await
            .expect("json");
        assert_eq!(ready["data"]["database"], "ok", "{ready}");
        assert_eq!(ready["data"]["queue"], "ok", "{ready}");
        assert_eq!(ready["data"]["object_store"], "ok", "{ready}");
        assert_eq!(ready["data"]["backend"], "postgres", "{ready}");
    }
    let login: Value = http
        .post(format!("{}/auth/login", apis[0]))
        .json(&json!({"username": "admin", "password": admin_password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let token = login["data"]["token"].as_str().expect("token").to_owned();
    let started: Value = http
        .post(format!("{}/workflows/canary", apis[0]))
        .bearer_auth(&token)
        .json(&json!({"steps": 3}))
        .send()
        .await
        .expect("canary")
        .json()
        .await
        .expect("json");
    let run = started["data"]["id"].as_str().expect("run id").to_owned();
    // Followed through the other replica: the same database behind both.
    let deadline = Instant::now() + Duration::from_secs(60);
    let finished = loop {
        let view: Value = http
            .get(format!("{}/workflows/{run}", apis[1]))
            .bearer_auth(&token)
            .send()
            .await
            .expect("run")
            .json()
            .await
            .expect("json");
        if view["data"]["status"] == "completed" {
            break view;
        }
        assert!(Instant::now() < deadline, "the canary did not complete: {view}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let workers: Vec<&str> = finished["data"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["worker"].as_str())
        .collect();
    assert_eq!(workers.len(), 3, "{finished}");
}

/// A tool from the API tools venv (scripts/lib/services.sh `ensure_api_tools`).
fn tool(name: &str) -> Option<std::path::PathBuf> {
    let python = python::python()?;
    Some(python.with_file_name(name))
}

fn run_tool(program: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(program).args(args).output().expect("run the tool")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_helm_chart_renders_valid_manifests_that_an_api_server_accepts() {
    let (Some(helm), Some(validate)) = (tool("helm"), tool("kubernetes-validate")) else {
        return;
    };
    let Ok(kubectl) = which_kubectl() else {
        assert!(taichu_tests::skip("kubectl"));
        return;
    };
    let chart = python::root().join("deploy/helm/taichu");
    let chart = chart.to_str().expect("path");
    let dir = tempfile::tempdir().expect("dir");
    let values = [
        "secrets.databaseUrl=postgres://taichu:pw@db.internal:5432/taichu",
        "secrets.queueUrl=redis://redis.internal:6379",
        "secrets.jwtSecret=helm-jwt-secret-0123456789-abcdefghij",
        "secrets.secretKey=c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0",
        "secrets.adminPassword=helm-admin-password",
        "objectStore.url=s3://taichu-backups",
        "objectStore.endpoint=https://s3.internal",
        "ingress.enabled=true",
        "ingress.className=nginx",
        "ingress.tlsSecret=taichu-tls",
    ];
    let mut args = vec!["template", "prod", chart, "--namespace", "default"];
    for v in &values {
        args.extend(["--set", v]);
    }
    let out = run_tool(&helm, &args);
    assert!(
        out.status.success(),
        "helm template: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rendered = dir.path().join("rendered.yaml");
    std::fs::write(&rendered, &out.stdout).expect("rendered");
    let docs: Vec<Yaml> = serde_yaml::Deserializer::from_slice(&out.stdout)
        .map(|d| serde::Deserialize::deserialize(d).expect("yaml"))
        .filter(|d: &Yaml| !d.is_null())
        .collect();
    let mut kinds: Vec<String> = docs
        .iter()
        .map(|d| {
            format!(
                "{}/{}",
                d["kind"].as_str().unwrap_or("?"),
                d["metadata"]["name"].as_str().unwrap_or("?")
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "Deployment/prod-taichu-api",
            "Deployment/prod-taichu-worker",
            "Ingress/prod-taichu",
            "Job/prod-taichu-migrate",
            "PodDisruptionBudget/prod-taichu-api",
            "PodDisruptionBudget/prod-taichu-worker",
            "Secret/prod-taichu",
            "Service/prod-taichu-api",
        ]
    );
    let job = docs.iter().find(|d| d["kind"] == "Job").expect("job");
    assert_eq!(
        job["metadata"]["annotations"]["helm.sh/hook"],
        "pre-install,pre-upgrade"
    );
    let api = docs
        .iter()
        .find(|d| d["metadata"]["name"] == "prod-taichu-api" && d["kind"] == "Deployment")
        .expect("api");
    let container = &api["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert!(container["resources"]["requests"]["memory"].is_string());

    let rendered_path = rendered.to_str().expect("path");
    let out = run_tool(&validate, &["--strict", "-k", "1.30.0", rendered_path]);
    assert!(
        out.status.success(),
        "kubernetes-validate: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let server = taichu_tests::apiserver::TestApiServer::start("helm-token").await;
    // Every real cluster has it.
    server
        .seed_yaml("apiVersion: v1\nkind: Namespace\nmetadata: {name: default}\n")
        .expect("default namespace");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, server.kubeconfig("helm-token")).expect("kubeconfig");
    let kubeconfig = kubeconfig.to_str().expect("path").to_owned();
    let applied = tokio::task::spawn_blocking({
        let rendered = rendered_path.to_owned();
        move || {
            // Schemas were checked above; the test server publishes no OpenAPI document.
            Command::new(kubectl)
                .args([
                    "--kubeconfig",
                    &kubeconfig,
                    "apply",
                    "--server-side",
                    "--validate=false",
                    "--field-manager=helm-test",
                    "-f",
                    &rendered,
                ])
                .output()
                .expect("kubectl")
        }
    })
    .await
    .expect("join");
    let said = String::from_utf8_lossy(&applied.stdout).to_string();
    assert!(
        applied.status.success(),
        "kubectl apply: {said}{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    // `kind[.group]/name serverside-applied`, one line per object.
    for object in &kinds {
        let (kind, name) = object.split_once('/').expect("kind/name");
        let kind = kind.to_lowercase();
        assert!(
            said.lines()
                .any(|l| l.starts_with(&kind) && l.ends_with(&format!("/{name} serverside-applied"))),
            "{object} was not applied: {said}"
        );
    }
    // Without its secrets the chart refuses to render, naming the value.
    let out = run_tool(&helm, &["template", "prod", chart]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("secrets.databaseUrl is required"));
}

fn which_kubectl() -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join("kubectl"))
                .find(|p| p.exists())
        })
        .ok_or(())
}

/// Every `taichu_…` metric name in `text`.
fn metric_names(text: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(at) = text[i..].find("taichu_") {
        let start = i + at;
        let preceded = start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let end = text[start..]
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .map_or(text.len(), |e| start + e);
        if !preceded {
            names.insert(text[start..end].to_owned());
        }
        i = end;
    }
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_and_alerts_use_only_metrics_that_exist() {
    let app = taichu_tests::spawn_app().await;
    let admin = app.admin_token().await;
    let server = taichu_tests::apiserver::TestApiServer::start("metrics-token").await;
    let imported = app
        .import_cluster(&admin, "watched", &server.kubeconfig("metrics-token"))
        .await;
    let cluster = imported["cluster_id"].as_str().expect("cluster");
    app.post(
        &format!("/clusters/{cluster}/backup-schedules"),
        &admin,
        json!({"name": "nightly", "cron_expr": "0 2 * * *", "backup_type": "resources"}),
    )
    .await
    .data();
    let exposed = reqwest::get(format!("{}/metrics", app.base))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let interval = exposed
        .lines()
        .find(|l| l.starts_with("taichu_backup_schedule_interval_seconds{") && l.contains("name=\"nightly\""))
        .unwrap_or_else(|| panic!("the schedule's interval is exposed:\n{exposed}"));
    assert!(interval.ends_with(" 86400"), "{interval}");
    assert!(
        exposed
            .lines()
            .any(|l| l.starts_with("taichu_backup_schedule_last_success_timestamp_seconds{")),
        "{exposed}"
    );
    // Families by their TYPE lines; a histogram's series carry suffixes.
    let families: std::collections::BTreeSet<String> = exposed
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    let exists = |name: &str| {
        families.contains(name)
            || ["_bucket", "_sum", "_count"]
                .iter()
                .any(|s| name.strip_suffix(s).is_some_and(|base| families.contains(base)))
    };
    for file in ["deploy/monitoring/alerts.yaml", "deploy/monitoring/dashboard.json"] {
        let text = std::fs::read_to_string(python::root().join(file)).expect("monitoring file");
        if file.ends_with(".json") {
            serde_json::from_str::<Value>(&text).expect("the dashboard is JSON");
        } else {
            let rules: Yaml = serde_yaml::from_str(&text).expect("the rules are YAML");
            let count = rules["groups"][0]["rules"].as_sequence().map_or(0, Vec::len);
            assert_eq!(count, 4, "runs failing, queue growing, workers absent, backups overdue");
        }
        let used = metric_names(&text);
        assert!(!used.is_empty(), "{file} uses taichu metrics");
        for name in &used {
            assert!(
                exists(name),
                "{file} uses {name}, which /metrics does not expose:\n{exposed}"
            );
        }
    }
}
