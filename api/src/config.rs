//! Start-up configuration: defaults, then environment (`TAICHU_…`), then flags.
//! Validated once, before anything listens.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use taichu_storage::repositories::users::Role;
use taichu_workflows::NetworkPolicy;

use crate::auth::throttle::Limits;

/// A value that must never appear in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// Where the database lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Directory for the embedded database, generated keys and local objects.
    #[arg(long, env = "TAICHU_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; defaults to `taichu.db` in the data dir.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<Secret>,
    /// 64 hex characters (32 bytes) that encrypt credentials at rest; generated
    /// once into the data dir when unset. Every api and worker process needs the same key.
    #[arg(long, env = "TAICHU_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<Secret>,
    /// Where backups go: `s3://bucket[/prefix]` (endpoint, region and keys from
    /// `AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_ALLOW_HTTP`), or unset for local files under `<data dir>/objects`.
    #[arg(long, env = "TAICHU_OBJECT_STORE")]
    pub object_store: Option<String>,
}

impl DatabaseArgs {
    /// The master key for secrets at rest: `TAICHU_SECRET_KEY`, or the key
    /// generated once into the data dir (mode 0600).
    pub fn secret_box(&self) -> anyhow::Result<taichu_storage::secrets::SecretBox> {
        let secrets = match &self.secret_key {
            Some(hex) => taichu_storage::secrets::SecretBox::from_hex(hex.expose())?,
            None => {
                let key = taichu_storage::keyfile::load_or_create(&self.data_dir.join("secret_key"), 32)?;
                taichu_storage::secrets::SecretBox::new(&key)?
            }
        };
        Ok(secrets)
    }

    /// The object store backups go to.
    pub fn objects(&self) -> anyhow::Result<taichu_storage::objects::Objects> {
        Ok(taichu_storage::objects::Objects::open(
            self.object_store.as_deref(),
            &self.data_dir,
        )?)
    }

    /// The database URL, defaulting to a SQLite file in the data dir.
    pub fn url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("taichu.db").display()),
        }
    }
}

/// The job queue and how workers execute runs.
#[derive(Debug, Clone, Args)]
pub struct EngineArgs {
    /// `redis://…` for production; unset, the queue lives in the SQLite database.
    #[arg(long, env = "QUEUE_URL", hide_env_values = true)]
    pub queue_url: Option<Secret>,
    /// Runs one worker process drives at once.
    #[arg(long, env = "TAICHU_WORKER_CONCURRENCY", default_value_t = 4)]
    pub concurrency: usize,
    /// Seconds a run's lease lasts without renewal (how long a dead worker's run waits).
    #[arg(long, env = "TAICHU_LEASE_SECS", default_value_t = 30)]
    pub lease_secs: u64,
    /// Seconds between sweeps for stranded runs.
    #[arg(long, env = "TAICHU_REAPER_SECS", default_value_t = 10)]
    pub reaper_secs: u64,
    /// Seconds between cluster health checks (one replica runs each round).
    #[arg(long, env = "TAICHU_HEALTH_SECS", default_value_t = 60)]
    pub health_secs: u64,
    /// Milliseconds between looks for due backup schedules (one replica looks each time).
    #[arg(long, env = "TAICHU_SCHEDULE_TICK_MS", default_value_t = 5000)]
    pub schedule_tick_ms: u64,
    /// Seconds a due time may be missed and still fire once when workers return.
    #[arg(long, env = "TAICHU_SCHEDULE_CATCH_UP_SECS", default_value_t = 3600)]
    pub schedule_catch_up_secs: u64,
    /// Seconds between backup retention sweeps.
    #[arg(long, env = "TAICHU_RETENTION_SECS", default_value_t = 300)]
    pub retention_secs: u64,
    /// The shortest interval a backup schedule may fire at, in seconds.
    #[arg(long, env = "TAICHU_MIN_SCHEDULE_SECS", default_value_t = 60)]
    pub min_schedule_secs: u64,
}

impl EngineArgs {
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (1..=256).contains(&self.concurrency),
            "TAICHU_WORKER_CONCURRENCY must be 1-256"
        );
        anyhow::ensure!(self.lease_secs >= 2, "TAICHU_LEASE_SECS must be at least 2");
        anyhow::ensure!(self.reaper_secs >= 1, "TAICHU_REAPER_SECS must be at least 1");
        anyhow::ensure!(self.health_secs >= 1, "TAICHU_HEALTH_SECS must be at least 1");
        anyhow::ensure!(
            self.schedule_tick_ms >= 100,
            "TAICHU_SCHEDULE_TICK_MS must be at least 100"
        );
        anyhow::ensure!(self.retention_secs >= 1, "TAICHU_RETENTION_SECS must be at least 1");
        anyhow::ensure!(
            self.min_schedule_secs >= 1,
            "TAICHU_MIN_SCHEDULE_SECS must be at least 1"
        );
        Ok(())
    }

    pub fn engine_config(&self) -> taichu_workflows::EngineConfig {
        let lease_ttl = Duration::from_secs(self.lease_secs);
        taichu_workflows::EngineConfig {
            lease_ttl,
            renew_every: (lease_ttl / 5).min(Duration::from_secs(1)),
            ..Default::default()
        }
    }

    pub fn worker_settings(&self, env: taichu_workflows::WorkflowEnv) -> taichu_workers::WorkerSettings {
        taichu_workers::WorkerSettings {
            concurrency: self.concurrency,
            reap_every: Duration::from_secs(self.reaper_secs),
            health: Some((Duration::from_secs(self.health_secs), env)),
            backups: Some(taichu_workers::BackupJobs {
                schedules: taichu_workers::ScheduleTiming {
                    tick: Duration::from_millis(self.schedule_tick_ms),
                    catch_up: Duration::from_secs(self.schedule_catch_up_secs),
                },
                retention_every: Duration::from_secs(self.retention_secs),
            }),
        }
    }
}

/// Where outbound connections (SSH, Kubernetes) may not go.
#[derive(Debug, Clone, Args)]
pub struct NetworkArgs {
    /// Denied destinations, comma-separated CIDRs; `default` is link-local and
    /// the cloud metadata addresses, `none` denies no range. Taichu's own API
    /// address is always denied.
    #[arg(long, env = "TAICHU_DENY_NETWORKS")]
    pub deny_networks: Option<String>,
}

impl NetworkArgs {
    /// The policy, with `own` (this deployment's API addresses) denied too.
    pub fn policy(&self, own: Vec<SocketAddr>) -> anyhow::Result<NetworkPolicy> {
        NetworkPolicy::parse(self.deny_networks.as_deref(), own).map_err(anyhow::Error::msg)
    }
}

/// Settings of a worker process.
#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub network: NetworkArgs,
    /// The API's address (as `taichu api` is given it), so workers never
    /// connect to it on a user's behalf.
    #[arg(long = "api-listen", env = "TAICHU_LISTEN")]
    pub api_listen: Option<SocketAddr>,
}

/// Who may register an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegisterRole {
    /// New accounts read only; an admin grants more.
    Viewer,
    /// New accounts work on the shared inventory (the seed's behaviour).
    User,
    /// Registration is off; admins create accounts.
    Closed,
}

impl RegisterRole {
    /// The role a new account gets, or `None` when registration is closed.
    pub fn role(self) -> Option<Role> {
        match self {
            RegisterRole::Viewer => Some(Role::Viewer),
            RegisterRole::User => Some(Role::User),
            RegisterRole::Closed => None,
        }
    }
}

/// Settings of the HTTP API.
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// Address to listen on; port 0 picks a free port (printed at start-up).
    /// Loopback by default: listening elsewhere is a deliberate choice.
    #[arg(long, env = "TAICHU_LISTEN", default_value = "127.0.0.1:8086")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// HS256 signing secret (at least 32 bytes); generated once into the data dir when unset.
    #[arg(long, env = "TAICHU_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,
    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "TAICHU_ACCESS_TOKEN_TTL", default_value_t = 900)]
    pub access_token_ttl: u64,
    /// Lifetime of refresh tokens, in seconds.
    #[arg(long, env = "TAICHU_REFRESH_TOKEN_TTL", default_value_t = 7 * 24 * 3600)]
    pub refresh_token_ttl: u64,
    /// Password of the `admin` account created at first start (`admin` when unset).
    #[arg(long, env = "TAICHU_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<Secret>,
    /// Enables development-only routes such as `GET /auth/token`.
    #[arg(long, env = "TAICHU_DEV_MODE", default_value_t = false)]
    pub dev_mode: bool,
    /// Seconds to let in-flight requests finish after SIGTERM; then the process exits regardless.
    #[arg(long, env = "TAICHU_SHUTDOWN_GRACE", default_value_t = 20)]
    pub shutdown_grace: u64,
    /// The role self-registration gives: viewer, user, or closed (no registration).
    #[arg(long, env = "TAICHU_REGISTER_ROLE", value_enum, default_value = "viewer")]
    pub register_role: RegisterRole,
    /// A login session ends this long after login, however often it is refreshed.
    #[arg(long, env = "TAICHU_SESSION_MAX_SECS", default_value_t = 7 * 24 * 3600)]
    pub session_max_secs: u64,
    /// Start on a non-loopback address although `admin` still has the password `admin`.
    #[arg(long, env = "TAICHU_ALLOW_DEFAULT_ADMIN", default_value_t = false)]
    pub allow_default_admin: bool,
    /// When set, `/metrics` asks for `Authorization: Bearer <this>`.
    #[arg(long, env = "TAICHU_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,
    /// Proxies (comma-separated CIDRs) whose `X-Forwarded-For` names the client.
    #[arg(long, env = "TAICHU_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,
    /// Login attempts per client address per minute.
    #[arg(long, env = "TAICHU_LOGIN_ATTEMPTS_PER_MINUTE", default_value_t = 60)]
    pub login_attempts_per_minute: u32,
    /// Failed logins per username per 15 minutes before it is paused.
    #[arg(long, env = "TAICHU_LOGIN_FAILURES_PER_USER", default_value_t = 10)]
    pub login_failures_per_user: u32,
    /// Registrations per client address per hour.
    #[arg(long, env = "TAICHU_REGISTRATIONS_PER_HOUR", default_value_t = 20)]
    pub registrations_per_hour: u32,
    /// Milliseconds a verified session is trusted without reading the database
    /// again. A logout, password or role change made through this process
    /// takes effect here at once; made through another replica, within this
    /// time. 0 reads the database on every request.
    #[arg(long, env = "TAICHU_AUTH_CACHE_MS", default_value_t = 1000)]
    pub auth_cache_ms: u64,
    #[command(flatten)]
    pub network: NetworkArgs,
}

impl ApiArgs {
    /// Checks what clap cannot.
    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(secret) = &self.jwt_secret {
            anyhow::ensure!(
                secret.expose().len() >= 32,
                "TAICHU_JWT_SECRET must be at least 32 bytes"
            );
        }
        anyhow::ensure!(
            self.access_token_ttl >= 10,
            "TAICHU_ACCESS_TOKEN_TTL must be at least 10 seconds"
        );
        anyhow::ensure!(
            self.refresh_token_ttl > self.access_token_ttl,
            "TAICHU_REFRESH_TOKEN_TTL must be longer than TAICHU_ACCESS_TOKEN_TTL"
        );
        anyhow::ensure!(
            self.session_max_secs >= self.access_token_ttl,
            "TAICHU_SESSION_MAX_SECS must be at least TAICHU_ACCESS_TOKEN_TTL"
        );
        anyhow::ensure!(
            self.login_attempts_per_minute >= 1 && self.login_failures_per_user >= 1,
            "TAICHU_LOGIN_ATTEMPTS_PER_MINUTE and TAICHU_LOGIN_FAILURES_PER_USER must be at least 1"
        );
        if self.dev_mode {
            anyhow::ensure!(
                self.listen.ip().is_loopback(),
                "TAICHU_DEV_MODE hands out admin tokens without a password; it is refused on {} (listen on loopback)",
                self.listen
            );
        }
        self.trusted_proxies()?;
        Ok(())
    }

    /// The throttling limits.
    pub fn limits(&self) -> Limits {
        Limits {
            logins_per_minute: self.login_attempts_per_minute,
            failures_per_user: self.login_failures_per_user,
            registrations_per_hour: self.registrations_per_hour,
        }
    }

    /// Proxies trusted to name the client in `X-Forwarded-For`.
    pub fn trusted_proxies(&self) -> anyhow::Result<Vec<ipnet::IpNet>> {
        self.trusted_proxies
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<ipnet::IpNet>()
                    .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| anyhow::anyhow!("TAICHU_TRUSTED_PROXIES: {s:?} is not a CIDR or an address"))
            })
            .collect()
    }

    pub fn access_ttl(&self) -> Duration {
        Duration::from_secs(self.access_token_ttl)
    }

    pub fn refresh_ttl(&self) -> Duration {
        Duration::from_secs(self.refresh_token_ttl)
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}
