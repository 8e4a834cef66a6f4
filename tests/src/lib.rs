//! Test support: start the real `taichu` program on a free port with a fresh
//! data dir (and, when asked, a fresh PostgreSQL database), and talk HTTP to it.

/// A Kubernetes API server for tests.
pub mod apiserver;
/// The real `taichu` program as a test server.
pub mod app;
/// Helpers of the benchmark binaries.
pub mod bench;
/// One helper per endpoint family, on `TestApp`.
pub mod endpoints;
/// An in-process engine over a real queue.
pub mod engine;
/// Real etcd clusters: members on sshd hosts, with `systemctl` and a kubelet.
pub mod etcd;
/// API and worker processes killed and started again under load.
pub mod fleet;
/// Private keys made by `ssh-keygen`, and hostile ones.
pub mod keys;
/// Machines with kubeadm stand-ins, for cluster creation tests.
pub mod kubehost;
/// A throwaway PostgreSQL server, stopped and started by tests.
pub mod pgserver;
/// Rows written straight into a test server's database.
pub mod plant;
/// Throwaway PostgreSQL databases.
pub mod postgres;
/// The Python scripts of tests/python.
pub mod python;
/// Throwaway redis-servers.
pub mod redis;
/// How often each step of finished runs ran.
pub mod runs;
/// A real S3 server (SeaweedFS).
pub mod s3;
/// Real sshd hosts, on loopback or in network namespaces.
pub mod sshd;
/// A cluster's worth of objects for resource backups.
pub mod workload;

pub use app::{TestApp, spawn_app, spawn_app_with};
pub use endpoints::{b64, etcd_settings, kubeconfig, machine_body, peak_rss};

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
