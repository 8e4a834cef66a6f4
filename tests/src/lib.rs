//! Test support: start the real `taichu` program on a free port with a fresh
//! data dir (and, when asked, a fresh PostgreSQL database), and talk HTTP to it.

pub mod apiserver;
pub mod app;
pub mod engine;
pub mod keys;
pub mod plant;
pub mod postgres;
pub mod redis;
pub mod sshd;

pub use app::{TestApp, spawn_app, spawn_app_with};

/// True when CI asked for every real server (`TAICHU_TEST_REQUIRE=all`): a
/// missing one then fails the test instead of skipping it.
pub fn require_all() -> bool {
    std::env::var("TAICHU_TEST_REQUIRE").is_ok_and(|v| v == "all")
}

/// Skips (returns true after saying so) or, under `TAICHU_TEST_REQUIRE=all`, fails.
pub fn skip(what: &str) -> bool {
    assert!(
        !require_all(),
        "{what} is required (TAICHU_TEST_REQUIRE=all) but not available"
    );
    eprintln!("SKIP: {what} not installed");
    true
}
