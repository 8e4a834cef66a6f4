//! `apiserver-bench --objects N`: what the test API server costs at scale,
//! and what the production kube adapter costs reading it.
//!
//! Starts `test-apiserver` (next to this binary) seeded with N pods, then
//! prints, each against a baseline from the same run: the server's resident
//! memory against the seed's JSON size; a 500-object page and a single get
//! against `GET /version`; and the adapter's peak memory counting pods page
//! by page against holding the whole list.

use std::io::Write as _;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use serde_json::json;
use taichu_tests::bench::{mib, proc_kib, test_apiserver};
use taichu_tests::workload;

#[derive(Debug, Parser)]
#[command(name = "apiserver-bench")]
struct Args {
    /// How many pods to seed.
    #[arg(long, default_value_t = 100_000)]
    objects: usize,
    /// Internal: measure one adapter read (`count` or `list`) in this fresh
    /// process against the kubeconfig in `--kubeconfig`, print its peak.
    #[arg(long, hide = true, requires = "kubeconfig")]
    probe: Option<String>,
    #[arg(long, hide = true)]
    kubeconfig: Option<std::path::PathBuf>,
}

/// Runs one adapter read in this process and prints how far resident memory
/// rose above where it stood once the client was built.
async fn probe(mode: &str, kubeconfig: &std::path::Path) -> anyhow::Result<()> {
    let client = taichu_workflows::kube::connect(
        &std::fs::read_to_string(kubeconfig)?,
        &taichu_workflows::kube::ConnectOptions::new(Duration::from_secs(120)),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    client.apiserver_version().await?;
    let before = proc_kib("self", "VmRSS:")?;
    let objects = match mode {
        "count" => taichu_workflows::kube::pods_per_node(&client)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?
            .values()
            .map(|n| *n as usize)
            .sum(),
        _ => Api::<Pod>::all(client).list(&ListParams::default()).await?.items.len(),
    };
    println!("{objects} {}", proc_kib("self", "VmHWM:")?.saturating_sub(before));
    Ok(())
}

/// Peak memory of one adapter read, each in a fresh process so that one
/// measurement's freed memory cannot hide the next one's.
async fn adapter_peak(mode: &str, kubeconfig: &std::path::Path, objects: usize) -> anyhow::Result<u64> {
    let out = tokio::process::Command::new(std::env::current_exe()?)
        .args(["--probe", mode, "--kubeconfig"])
        .arg(kubeconfig)
        .output()
        .await?;
    anyhow::ensure!(
        out.status.success(),
        "probe {mode}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout)?;
    let (seen, peak) = text.trim().split_once(' ').context("probe output")?;
    anyhow::ensure!(
        seen.parse::<usize>()? == objects,
        "probe {mode} read {seen} of {objects} pods"
    );
    Ok(peak.parse()?)
}

fn p50(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    taichu_workflows::kube::install_crypto_provider();
    if let (Some(mode), Some(kubeconfig)) = (&args.probe, &args.kubeconfig) {
        return probe(mode, kubeconfig).await;
    }
    let dir = tempfile::tempdir()?;
    let seed = dir.path().join("pods.yaml");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&seed)?);
    let mut json_bytes = 0u64;
    for ns in 0..20 {
        writeln!(
            file,
            "{}\n---",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("team-{ns}")}})
        )?;
    }
    for i in 0..args.objects {
        let text = workload::pod(i).to_string();
        json_bytes += text.len() as u64;
        writeln!(file, "{text}\n---")?;
    }
    file.flush()?;
    drop(file);

    let kubeconfig_path = dir.path().join("kubeconfig");
    let started = Instant::now();
    let mut child = test_apiserver(&kubeconfig_path, Some(&seed)).await?;
    let seeded_in = started.elapsed();
    let pid = child.id().context("pid")?.to_string();
    let server_rss = proc_kib(&pid, "VmRSS:")?;

    let kubeconfig = std::fs::read_to_string(&kubeconfig_path)?;
    let client = taichu_workflows::kube::connect(
        &kubeconfig,
        &taichu_workflows::kube::ConnectOptions::new(Duration::from_secs(60)),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let pods: Api<Pod> = Api::all(client.clone());
    let mut version = Vec::new();
    let mut get = Vec::new();
    for i in 0..200 {
        let t = Instant::now();
        client.apiserver_version().await?;
        version.push(t.elapsed());
        let name = format!("web-{:07}", i * (args.objects / 200).max(1) % args.objects);
        let ns = format!("team-{}", i * (args.objects / 200).max(1) % args.objects % 20);
        let t = Instant::now();
        Api::<Pod>::namespaced(client.clone(), &ns).get(&name).await?;
        get.push(t.elapsed());
    }
    let mut pages = Vec::new();
    let mut params = ListParams::default().limit(500);
    let mut seen = 0;
    let walk = Instant::now();
    loop {
        let t = Instant::now();
        let page = pods.list(&params).await?;
        pages.push(t.elapsed());
        seen += page.items.len();
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => break,
        }
    }
    let walked_in = walk.elapsed();
    anyhow::ensure!(seen == args.objects, "paged {seen} of {} pods", args.objects);

    let counted_peak = adapter_peak("count", &kubeconfig_path, args.objects).await?;
    let listed_peak = adapter_peak("list", &kubeconfig_path, args.objects).await?;

    println!("objects                 {}", args.objects);
    println!(
        "seed JSON               {:.1} MiB ({} B/object)",
        mib(json_bytes),
        json_bytes / args.objects.max(1) as u64
    );
    println!("start + seed            {:.2} s", seeded_in.as_secs_f64());
    println!(
        "server RSS              {:.1} MiB ({:.2}x the JSON)",
        mib(server_rss),
        server_rss as f64 / json_bytes as f64
    );
    println!("GET /version p50        {:.3} ms (baseline)", ms(p50(version.clone())));
    println!(
        "GET pod p50             {:.3} ms ({:.1}x baseline)",
        ms(p50(get.clone())),
        ms(p50(get)) / ms(p50(version.clone()))
    );
    println!(
        "list page of 500 p50    {:.3} ms ({:.1}x baseline)",
        ms(p50(pages.clone())),
        ms(p50(pages.clone())) / ms(p50(version))
    );
    println!(
        "walk all pages          {:.2} s ({:.0} objects/s, {} pages)",
        walked_in.as_secs_f64(),
        args.objects as f64 / walked_in.as_secs_f64(),
        pages.len()
    );
    println!(
        "adapter peak: pods_per_node {:.1} MiB vs whole list {:.1} MiB ({:.1}x less)",
        mib(counted_peak),
        mib(listed_peak),
        listed_peak as f64 / counted_peak.max(1) as f64
    );
    child.kill().await?;
    Ok(())
}
