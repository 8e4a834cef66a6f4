//! `test-apiserver`: the tests' Kubernetes API server as a process.
//!
//! `test-apiserver --listen 127.0.0.1:0 --kubeconfig-out FILE [--seed objects.yaml] [--token T]`
//! writes a kubeconfig for itself, prints its URL, and serves until killed.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use taichu_tests::apiserver::TestApiServer;

#[derive(Debug, Parser)]
#[command(
    name = "test-apiserver",
    about = "A Kubernetes API server for tests (HTTPS, throwaway CA)"
)]
struct Args {
    /// HOST:PORT to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// Where to write the kubeconfig that reaches this server.
    #[arg(long)]
    kubeconfig_out: PathBuf,
    /// A YAML stream of objects to start with (`---` separated, Lists expanded).
    #[arg(long)]
    seed: Option<PathBuf>,
    /// The bearer token in the kubeconfig; without it the kubeconfig carries a client certificate.
    #[arg(long, env = "TEST_APISERVER_TOKEN")]
    token: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = TestApiServer::start_on(&args.listen, args.token.as_deref()).await?;
    if let Some(seed) = &args.seed {
        let text = std::fs::read_to_string(seed).with_context(|| format!("read {}", seed.display()))?;
        let count = server.seed_yaml(&text).map_err(anyhow::Error::msg)?;
        eprintln!("seeded {count} objects from {}", seed.display());
    }
    let kubeconfig = match &args.token {
        Some(token) => server.kubeconfig(token),
        None => server.client_cert_kubeconfig("admin"),
    };
    write_private(&args.kubeconfig_out, &kubeconfig)?;
    println!("{}", server.url);
    tokio::signal::ctrl_c().await?;
    Ok(())
}

/// The kubeconfig holds credentials: readable by its owner only.
fn write_private(path: &PathBuf, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("write {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}
