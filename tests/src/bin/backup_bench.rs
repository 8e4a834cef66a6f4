//! `backup-bench --sizes 100,1024`: what streaming a snapshot from an SSH
//! host into the object store costs, through the backup workflow's own
//! transfer (`stream_snapshot`: SSH → encrypt + hash → multipart upload).
//!
//! For each size (MiB) it writes a random file on a real sshd host, then
//! times, in the same run: the baseline `ssh host cat file > /dev/null`
//! (OpenSSH), and the production path into (a) the local store and (b) a
//! SeaweedFS S3 store, and the same encrypted upload from memory (the S3
//! server's own ceiling on this machine). Each transfer runs in a fresh process whose peak
//! resident memory is reported. Prints MB/s, the ratio to the baseline, and
//! peak RSS; with `--runs N`, the median of N runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use clap::Parser;
use taichu_storage::objects::Objects;
use taichu_storage::sealed_stream::DataKey;
use taichu_tests::bench::{median, proc_kib};
use taichu_tests::s3::S3Server;
use taichu_tests::sshd::{SshHost, TEST_PASSWORD, TEST_USER};
use taichu_workflows::NetworkPolicy;
use taichu_workflows::ssh::{SshAuth, SshSession, SshTarget};

#[derive(Debug, Parser)]
#[command(name = "backup-bench")]
struct Args {
    /// Snapshot sizes to stream, in MiB.
    #[arg(long, value_delimiter = ',', default_values_t = vec![100u64, 1024])]
    sizes: Vec<u64>,
    /// Runs per measurement; the median is printed.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Internal: one transfer in this fresh process (`host:port`, file, store spec, data dir).
    #[arg(long, hide = true, num_args = 4)]
    probe: Option<Vec<String>>,
}

/// One production transfer; prints `seconds peak_rss_bytes`.
async fn probe(args: &[String]) -> anyhow::Result<()> {
    let [addr, file, store, data_dir] = args else {
        anyhow::bail!("probe takes 4 arguments");
    };
    let (host, port) = addr.rsplit_once(':').context("host:port")?;
    let store = (store != "local").then_some(store.as_str());
    let objects = Objects::open(store, Path::new(data_dir))?;
    let target = SshTarget {
        host: host.to_owned(),
        port: port.parse()?,
        username: TEST_USER.to_owned(),
        auth: SshAuth::Password(TEST_PASSWORD.to_owned()),
        host_key: None,
        connect_timeout: Duration::from_secs(10),
    };
    let key = DataKey::generate();
    let object = format!("bench/{}", uuid::Uuid::new_v4());
    if let Some(mib) = file.strip_prefix("memory:") {
        // The store's ceiling on this machine: the same encrypted upload, no SSH.
        use tokio::io::AsyncReadExt as _;
        let bytes: u64 = mib.parse::<u64>()? << 20;
        let started = Instant::now();
        let (sealed, _) = taichu_storage::sealed_stream::seal(tokio::io::repeat(7).take(bytes), &key);
        objects.upload(&object, sealed).await?;
        let seconds = started.elapsed().as_secs_f64();
        objects.delete_prefix(&object).await?;
        println!("{seconds} {}", proc_kib("self", "VmHWM:")?);
        return Ok(());
    }
    let policy = NetworkPolicy::parse(Some("none"), Vec::new()).map_err(anyhow::Error::msg)?;
    // Timed from before the login, as the baseline's `ssh` is.
    let started = Instant::now();
    let session = SshSession::connect(&target, &policy).await?;
    let streamed = taichu_workflows::backup::stream_snapshot(&session, file, &objects, &object, &key)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    session.close().await;
    ensure!(streamed.plain_size == streamed.fetched, "short transfer");
    objects.delete_prefix(&object).await?;
    println!("{seconds} {}", proc_kib("self", "VmHWM:")?);
    Ok(())
}

/// Runs one production transfer in a fresh process: (seconds, peak RSS).
fn transfer(
    host: &SshHost,
    file: &str,
    store: &str,
    data_dir: &Path,
    env: &[(String, String)],
) -> anyhow::Result<(f64, u64)> {
    let out = Command::new(std::env::current_exe()?)
        .arg("--probe")
        .arg(format!("{}:{}", host.ip, host.port))
        .arg(file)
        .arg(store)
        .arg(data_dir)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()?;
    ensure!(out.status.success(), "probe: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout)?;
    let mut words = text.split_whitespace();
    Ok((
        words.next().context("seconds")?.parse()?,
        words.next().context("rss")?.parse()?,
    ))
}

/// The baseline: OpenSSH's `ssh host cat file > /dev/null`, in seconds.
fn baseline(host: &SshHost, key: &Path, file: &str) -> anyhow::Result<f64> {
    let started = Instant::now();
    let status = Command::new("ssh")
        .args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
        ])
        .arg("-i")
        .arg(key)
        .arg("-p")
        .arg(host.port.to_string())
        .arg(format!("{TEST_USER}@{}", host.ip))
        .arg(format!("cat {file}"))
        .stdout(std::process::Stdio::null())
        .status()?;
    ensure!(status.success(), "ssh cat failed");
    Ok(started.elapsed().as_secs_f64())
}

fn mb_per_s(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / 1e6 / seconds
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(probe_args) = &args.probe {
        return probe(probe_args).await;
    }
    ensure!(args.runs >= 1, "--runs must be at least 1");
    let host = SshHost::start().context("sshd test host (scripts/lib/services.sh ensure_sshd)")?;
    let s3 = S3Server::start().context("SeaweedFS (ensure_test_tools)")?;
    s3.create_bucket("bench");
    let s3_env = s3.env("bench");
    let work = tempfile::tempdir()?;
    let key_file: PathBuf = work.path().join("client_key");
    std::fs::write(&key_file, &host.client_key)?;
    Command::new("chmod").arg("600").arg(&key_file).status()?;
    let data_dir = work.path().join("data");
    std::fs::create_dir_all(&data_dir)?;

    println!(
        "| size | path | MB/s (median of {}) | vs ssh cat | peak RSS |",
        args.runs
    );
    println!("|---|---|---|---|---|");
    for size in &args.sizes {
        let file = format!("{}/snapshot-{size}.db", host.scratch());
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("head -c {}M /dev/urandom > {file} && chmod 644 {file}", size))
            .status()?;
        ensure!(status.success(), "writing {file}");
        let bytes = size << 20;
        let (mut cat, mut local, mut remote, mut ceiling) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut local_rss, mut s3_rss) = (0u64, 0u64);
        // Interleaved, so drift on a noisy machine hits every path alike.
        for _ in 0..args.runs {
            cat.push(baseline(&host, &key_file, &file)?);
            let (t, rss) = transfer(&host, &file, "local", &data_dir, &[])?;
            local.push(t);
            local_rss = local_rss.max(rss);
            let (t, rss) = transfer(&host, &file, "s3://bench", &data_dir, &s3_env)?;
            remote.push(t);
            s3_rss = s3_rss.max(rss);
            let memory = format!("memory:{size}");
            ceiling.push(transfer(&host, &memory, "s3://bench", &data_dir, &s3_env)?.0);
        }
        let cat = mb_per_s(bytes, median(cat));
        let local = mb_per_s(bytes, median(local));
        let remote = mb_per_s(bytes, median(remote));
        let ceiling = mb_per_s(bytes, median(ceiling));
        let mib = |b: u64| b as f64 / (1 << 20) as f64;
        println!("| {size} MiB | ssh cat > /dev/null (baseline) | {cat:.1} | 1.00 | - |");
        println!(
            "| {size} MiB | SSH → encrypt → local store | {local:.1} | {:.2} | {:.1} MiB |",
            local / cat,
            mib(local_rss)
        );
        println!(
            "| {size} MiB | SSH → encrypt → S3 (SeaweedFS) | {remote:.1} | {:.2} | {:.1} MiB |",
            remote / cat,
            mib(s3_rss)
        );
        println!(
            "| {size} MiB | memory → encrypt → S3 (the store's ceiling here, no SSH) | {ceiling:.1} | {:.2} | - |",
            ceiling / cat
        );
        let _ = std::fs::remove_file(&file);
    }
    Ok(())
}
