//! Start-up configuration: defaults, then environment (`TAICHU_…`), then flags.
//! Validated once, before anything listens.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

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
}

impl DatabaseArgs {
    /// The database URL, defaulting to a SQLite file in the data dir.
    pub fn url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("taichu.db").display()
            ),
        }
    }
}

/// Settings of the HTTP API.
#[derive(Debug, Clone, Args)]
pub struct ApiArgs {
    /// Address to listen on; port 0 picks a free port (printed at start-up).
    #[arg(long, env = "TAICHU_LISTEN", default_value = "0.0.0.0:8086")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
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
    /// Seconds to let in-flight requests finish after SIGTERM.
    #[arg(long, env = "TAICHU_SHUTDOWN_GRACE", default_value_t = 20)]
    pub shutdown_grace: u64,
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
        Ok(())
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
