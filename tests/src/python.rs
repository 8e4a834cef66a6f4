//! The Python scripts in tests/python, run with the API tools venv that
//! scripts/lib/services.sh `ensure_api_tools` fills (generated client on
//! the path), as a user's own script would run.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The venv's python, or `None` (after `skip`) where it is not installed.
pub fn python() -> Option<PathBuf> {
    let dir = std::env::var("TAICHU_API_TOOLS").unwrap_or_else(|_| "/opt/taichu-api-tools".into());
    let python = Path::new(&dir).join("bin/python");
    if python.exists() {
        Some(python)
    } else {
        crate::skip("the API tools venv (scripts/lib/services.sh ensure_api_tools)");
        None
    }
}

/// Runs `tests/python/<script>` with `env`; the one JSON line it prints, or
/// a panic showing what it wrote to stderr.
pub async fn run(python: PathBuf, script: &str, env: Vec<(String, String)>) -> Value {
    let script = root().join("tests/python").join(script);
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(&script)
            .env("PYTHONPATH", root().join("clients/python"))
            .envs(env)
            .output()
            .expect("python")
    })
    .await
    .expect("join");
    assert!(
        out.status.success(),
        "the script failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the script's JSON summary")
}

/// Where tests leave files for people to look at (screenshots): CI sets
/// `TAICHU_TEST_OUTPUT` to its output folder; else `target/test-output`.
pub fn output_dir() -> PathBuf {
    let dir = std::env::var("TAICHU_TEST_OUTPUT").map_or_else(|_| root().join("target/test-output"), PathBuf::from);
    std::fs::create_dir_all(&dir).expect("test output dir");
    dir
}
