//! `TestApp`: one running `taichu serve` and a helper per endpoint family.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::postgres::TempDatabase;

/// JWT secret every test server is started with, so tests can craft tokens.
pub const JWT_SECRET: &str = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
/// Password of the default admin in test servers.
pub const ADMIN_PASSWORD: &str = "admin-password-for-tests";

/// The `taichu` program built for these tests: `target/<profile>/taichu-e2e`,
/// beside the `deps/` folder the test executable runs from.
pub fn taichu_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    let bin = profile_dir.join("taichu-e2e");
    assert!(
        bin.exists(),
        "{} is missing; build it with `cargo build -p taichu-tests`",
        bin.display()
    );
    bin
}

/// A running server. Killed, and its database dropped, on drop.
#[derive(Debug)]
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub client: reqwest::Client,
    pub data_dir: tempfile::TempDir,
    child: Child,
    _database: Option<TempDatabase>,
}

/// Starts a server with the default test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts a server with extra environment variables (empty value: unset).
pub async fn spawn_app_with(env: &[(&str, &str)]) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let database = match std::env::var("TAICHU_TEST_DATABASE").as_deref() {
        Ok("postgres") => Some(TempDatabase::create().expect("PostgreSQL test database")),
        _ => None,
    };
    let mut cmd = Command::new(taichu_bin());
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TAICHU_DATA_DIR", data_dir.path())
        .env("TAICHU_JWT_SECRET", JWT_SECRET)
        .env("TAICHU_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(data_dir.path().join("taichu.log")).expect("log file"));
    if let Some(db) = &database {
        cmd.env("DATABASE_URL", db.url());
    }
    // An empty value means "leave this variable unset".
    for (k, v) in env {
        if v.is_empty() {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
    let mut child = cmd.spawn().expect("start taichu");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("taichu listening on socket://") {
                let _ = tx.send(addr.to_owned());
            }
        }
    });
    let addr = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(addr) => addr,
        Err(_) => {
            let _ = child.kill();
            let log =
                std::fs::read_to_string(data_dir.path().join("taichu.log")).unwrap_or_default();
            panic!("taichu did not start listening within 60 s; log:\n{log}");
        }
    };
    TestApp {
        base: format!("http://{addr}"),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client"),
        data_dir,
        child,
        _database: database,
    }
}

/// A response: status and parsed JSON body (Null when not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// `data` of a success envelope; panics with the body otherwise.
    pub fn data(&self) -> &Value {
        assert_eq!(
            self.body["code"], 0,
            "expected success, got {} {}",
            self.status, self.body
        );
        &self.body["data"]
    }

    /// Asserts an error envelope with `status` and returns its message.
    pub fn error(&self, status: u16) -> String {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(
            self.body["code"], status,
            "envelope code must equal HTTP status: {}",
            self.body
        );
        assert!(
            self.body["data"].is_null(),
            "error data must be null: {}",
            self.body
        );
        self.body["message"].as_str().expect("message").to_owned()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{}", self.base, path)
    }

    /// Sends a request under `/api/v1` with an optional bearer token and JSON body.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request sent");
        Self::reply(resp).await
    }

    pub async fn reply(resp: reqwest::Response) -> Reply {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request(Method::PUT, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    /// `POST /auth/login`.
    pub async fn login(&self, username: &str, password: &str) -> Reply {
        self.request(
            Method::POST,
            "/auth/login",
            None,
            Some(json!({"username": username, "password": password})),
        )
        .await
    }

    /// Logs in and returns `(access token, refresh token)`.
    pub async fn tokens(&self, username: &str, password: &str) -> (String, String) {
        let reply = self.login(username, password).await;
        let data = reply.data();
        (
            data["token"].as_str().expect("token").to_owned(),
            data["refresh_token"].as_str().expect("refresh").to_owned(),
        )
    }

    pub async fn admin_token(&self) -> String {
        self.tokens("admin", ADMIN_PASSWORD).await.0
    }

    /// Registers `username` (password `password-<username>`), returns its id.
    pub async fn register(&self, username: &str) -> String {
        let body = json!({"username": username, "password": format!("password-{username}"), "email": format!("{username}@example.com")});
        let reply = self
            .request(Method::POST, "/auth/register", None, Some(body))
            .await;
        reply.data()["id"].as_str().expect("id").to_owned()
    }

    /// Registers and logs in `username`; returns `(id, token)`.
    pub async fn user(&self, username: &str) -> (String, String) {
        let id = self.register(username).await;
        let (token, _) = self.tokens(username, &format!("password-{username}")).await;
        (id, token)
    }

    /// Signs arbitrary claims with the server's secret (for expired tokens).
    pub fn craft_token(&self, claims: &Value) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            claims,
            &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
        )
        .expect("sign")
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("taichu.log")).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit code.
    pub fn terminate(&mut self, within: Duration) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
