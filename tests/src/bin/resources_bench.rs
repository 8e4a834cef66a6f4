//! `resources-bench --objects 100000 --runs 3`: what a resources backup and
//! restore cost at scale, through the workflows' own code.
//!
//! Seeds a `test-apiserver` process with N objects (60% 641-byte pods, 20%
//! config maps, 20% secrets, in 20 namespaces), then for each run: the
//! baseline, one paged walk of every object through the kube adapter; the
//! backup (`dump_to_store`: pages → cleaned JSON → tar + zstd → sealed →
//! local store) in a fresh process, with its peak RSS; and the restore
//! (`count_selected` verify pass, then `apply` into an empty test-apiserver)
//! in a fresh process, with its peak RSS. Prints objects/s, the ratio to
//! the baseline, and peak RSS; medians of the runs.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use clap::Parser;
use kube::api::{Api, DynamicObject, ListParams};
use serde_json::json;
use taichu_storage::objects::Objects;
use taichu_storage::sealed_stream::{self, DataKey};
use taichu_tests::bench::{median, mib, proc_kib, test_apiserver};
use taichu_tests::workload;
use taichu_workflows::kube::{ConnectOptions, Pages, connect};
use taichu_workflows::resources::apply::{ApplyPlan, apply, count_selected};
use taichu_workflows::resources::archive::read_entries;
use taichu_workflows::resources::catalog::discover;
use taichu_workflows::resources::dump::dump_to_store;
use taichu_workflows::resources::{Contents, RestoreOptions, Selection, Tally};

#[derive(Debug, Parser)]
#[command(name = "resources-bench")]
struct Args {
    /// How many objects to seed.
    #[arg(long, default_value_t = 100_000)]
    objects: usize,
    /// Runs; medians are printed.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Internal: `backup` or `restore` in this fresh process: kubeconfig, data dir.
    #[arg(long, hide = true, num_args = 3)]
    probe: Option<Vec<String>>,
}

const KEY: [u8; 32] = [7; 32];
const OBJECT: &str = "bench/resources.tar.zst.enc";

fn connect_options() -> ConnectOptions {
    ConnectOptions::new(Duration::from_secs(120))
}

/// One backup or restore; prints `objects seconds peak_rss_bytes`.
async fn probe(args: &[String]) -> anyhow::Result<()> {
    let [mode, kubeconfig, data_dir] = args else {
        anyhow::bail!("probe takes 3 arguments");
    };
    let client = connect(&std::fs::read_to_string(kubeconfig)?, &connect_options())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let objects = Objects::open(None, Path::new(data_dir))?;
    let key = DataKey::from_bytes(&KEY)?;
    let contents_file = Path::new(data_dir).join("contents.json");
    let started = Instant::now();
    let count = match mode.as_str() {
        "backup" => {
            let stored = dump_to_store(&client, &Selection::default(), &objects, OBJECT, &key, |_, _| {})
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            std::fs::write(&contents_file, serde_json::to_vec(&stored.contents)?)?;
            stored.contents.total_objects
        }
        _ => {
            let contents: Contents = serde_json::from_slice(&std::fs::read(&contents_file)?)?;
            let options = RestoreOptions::default();
            let (plain, _) = sealed_stream::open(objects.reader(OBJECT).await?, &key);
            let mut tally = count_selected(read_entries(plain), &contents, &options).await?;
            let (plain, _) = sealed_stream::open(objects.reader(OBJECT).await?, &key);
            let (progress, _watch) = tokio::sync::watch::channel(Tally::default());
            let plan = ApplyPlan {
                contents: &contents,
                options: &options,
                restore_id: "bench",
            };
            apply(&client, read_entries(plain), plan, &mut tally, &progress, |e| {
                eprintln!("{e}")
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            ensure!(tally.failed == 0, "{} objects failed", tally.failed);
            tally.applied
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    println!("{count} {seconds} {}", proc_kib("self", "VmHWM:")?);
    Ok(())
}

/// Runs one probe in a fresh process: (objects, seconds, peak RSS).
async fn run_probe(mode: &str, kubeconfig: &Path, data_dir: &Path) -> anyhow::Result<(u64, f64, u64)> {
    let out = tokio::process::Command::new(std::env::current_exe()?)
        .args(["--probe", mode])
        .arg(kubeconfig)
        .arg(data_dir)
        .output()
        .await?;
    ensure!(out.status.success(), "{mode}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout)?;
    let mut fields = text.split_whitespace();
    let objects = fields.next().context("objects")?.parse()?;
    let seconds = fields.next().context("seconds")?.parse()?;
    let peak = fields.next().context("peak")?.parse()?;
    Ok((objects, seconds, peak))
}

/// A running `test-apiserver` and its kubeconfig.
struct Server {
    _child: tokio::process::Child,
    kubeconfig: PathBuf,
}

async fn server(dir: &Path, name: &str, seed: Option<&Path>) -> anyhow::Result<Server> {
    let kubeconfig = dir.join(format!("{name}.kubeconfig"));
    let child = test_apiserver(&kubeconfig, seed).await?;
    Ok(Server {
        _child: child,
        kubeconfig,
    })
}

fn write_seed(path: &Path, objects: usize) -> anyhow::Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    for ns in 0..20 {
        let namespace = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("team-{ns}")}});
        writeln!(file, "{namespace}\n---")?;
    }
    for i in 0..objects.saturating_sub(20) {
        let ns = format!("team-{}", i % 20);
        let object = match i % 5 {
            0 => {
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("cm-{i:07}"), "namespace": ns},
                        "data": {"mode": "production", "index": i.to_string()}})
            }
            1 => {
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": format!("s-{i:07}"), "namespace": ns},
                        "type": "Opaque", "data": {"password": "c2VjcmV0LXZhbHVl"}})
            }
            _ => workload::pod(i),
        };
        writeln!(file, "{object}\n---")?;
    }
    file.flush()?;
    Ok(())
}

/// The baseline: one paged walk of every listable type, objects per second.
async fn walk(kubeconfig: &Path) -> anyhow::Result<(u64, f64)> {
    let client = connect(&std::fs::read_to_string(kubeconfig)?, &connect_options())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let started = Instant::now();
    let mut seen = 0u64;
    for t in discover(&client).await.map_err(|e| anyhow::anyhow!("{e}"))? {
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &t.resource());
        let mut pages = Pages::new(&api, ListParams::default());
        while let Some(page) = pages.next().await.map_err(|e| anyhow::anyhow!("{e}"))? {
            seen += page.len() as u64;
        }
    }
    Ok((seen, started.elapsed().as_secs_f64()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    taichu_workflows::kube::install_crypto_provider();
    if let Some(probe_args) = &args.probe {
        return probe(probe_args).await;
    }
    let dir = tempfile::tempdir()?;
    let seed = dir.path().join("objects.yaml");
    write_seed(&seed, args.objects)?;
    let source = server(dir.path(), "source", Some(&seed)).await?;
    let (mut walks, mut backups, mut restores) = (Vec::new(), Vec::new(), Vec::new());
    let (mut backup_peaks, mut restore_peaks) = (Vec::new(), Vec::new());
    for run in 0..args.runs {
        let (seen, seconds) = walk(&source.kubeconfig).await?;
        ensure!(seen == args.objects as u64, "walked {seen} of {} objects", args.objects);
        walks.push(seen as f64 / seconds);
        let data_dir = dir.path().join(format!("run-{run}"));
        std::fs::create_dir_all(&data_dir)?;
        let (taken, seconds, peak) = run_probe("backup", &source.kubeconfig, &data_dir).await?;
        ensure!(taken == args.objects as u64, "backed up {taken} of {}", args.objects);
        backups.push(taken as f64 / seconds);
        backup_peaks.push(peak as f64);
        let target = server(dir.path(), &format!("target-{run}"), None).await?;
        let (applied, seconds, peak) = run_probe("restore", &target.kubeconfig, &data_dir).await?;
        ensure!(applied == taken, "restored {applied} of {taken}");
        restores.push(applied as f64 / seconds);
        restore_peaks.push(peak as f64);
        eprintln!(
            "run {}: walk {:.0}/s, backup {:.0}/s ({:.1} MiB), restore {:.0}/s ({:.1} MiB)",
            run + 1,
            walks[run],
            backups[run],
            mib(backup_peaks[run] as u64),
            restores[run],
            mib(peak)
        );
    }
    let walk = median(walks);
    let backup = median(backups);
    let restore = median(restores);
    println!("objects: {} (medians of {} runs)", args.objects, args.runs);
    println!("| measurement | objects/s | vs paged walk | peak RSS |");
    println!("|---|---|---|---|");
    println!("| paged walk of every object (baseline) | {walk:.0} | 1.00 | |");
    println!(
        "| resources backup to the local store | {backup:.0} | {:.2} | {:.1} MiB |",
        backup / walk,
        mib(median(backup_peaks) as u64)
    );
    println!(
        "| restore (verify pass + apply) into an empty server | {restore:.0} | {:.2} | {:.1} MiB |",
        restore / walk,
        mib(median(restore_peaks) as u64)
    );
    Ok(())
}
