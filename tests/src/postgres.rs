//! A throwaway database on the local PostgreSQL server, dropped afterwards.

use std::process::Command;

/// Server used when `TAICHU_TEST_DATABASE=postgres` (override with `TAICHU_TEST_PG_URL`).
fn server_url() -> String {
    std::env::var("TAICHU_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// A database that exists for the life of this value.
#[derive(Debug)]
pub struct TempDatabase {
    name: String,
}

fn psql(sql: &str) -> std::io::Result<bool> {
    let status = Command::new("psql")
        .arg(format!("{}/postgres", server_url()))
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .status()?;
    Ok(status.success())
}

impl TempDatabase {
    /// Creates `taichu_test_<random>`.
    pub fn create() -> anyhow::Result<Self> {
        let name = format!("taichu_test_{}", uuid::Uuid::new_v4().simple());
        anyhow::ensure!(
            psql(&format!("CREATE DATABASE {name}"))?,
            "creating database {name} failed"
        );
        Ok(Self { name })
    }

    pub fn url(&self) -> String {
        format!("{}/{}", server_url(), self.name)
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        let _ = psql(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

/// A fresh, empty database for a test that talks to storage directly:
/// PostgreSQL when `TAICHU_TEST_DATABASE=postgres`, else a SQLite file.
#[derive(Debug)]
pub struct FreshDatabase {
    pub url: String,
    _postgres: Option<TempDatabase>,
    _dir: tempfile::TempDir,
}

impl FreshDatabase {
    pub fn create() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let postgres = (std::env::var("TAICHU_TEST_DATABASE").as_deref() == Ok("postgres"))
            .then(|| TempDatabase::create().expect("PostgreSQL test database"));
        let url = match &postgres {
            Some(pg) => pg.url(),
            None => format!("sqlite://{}?mode=rwc", dir.path().join("fresh.db").display()),
        };
        Self {
            url,
            _postgres: postgres,
            _dir: dir,
        }
    }
}
