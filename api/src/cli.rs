//! The `taichu` command line: every subcommand only wires parts together.

use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::config::{ApiArgs, DatabaseArgs, LogFormat, WorkerArgs};
use crate::{bench, decrypt, server, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "taichu",
    version,
    about = "Manage many Kubernetes clusters from one REST API"
)]
struct Cli {
    /// Log format.
    #[arg(long, global = true, env = "TAICHU_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// API, workers and scheduler in one process; needs no external service.
    Serve(ApiArgs),
    /// The HTTP API only (production: N replicas behind a load balancer).
    Api(ApiArgs),
    /// Background workers only (production: N replicas).
    Worker(WorkerArgs),
    /// Applies database migrations and exits.
    Migrate(DatabaseArgs),
    /// Prints the OpenAPI spec of /api/v1.
    Openapi,
    /// Benchmarks; each prints its figures and a baseline measured in the same run.
    #[command(subcommand)]
    Bench(Bench),
    /// Backups read outside the service.
    #[command(subcommand)]
    Backup(BackupCommand),
}

#[derive(Debug, Subcommand)]
enum BackupCommand {
    /// Decrypts a stored part (etcd snapshot or resources archive) with the master key.
    Decrypt(decrypt::DecryptArgs),
}

#[derive(Debug, Subcommand)]
enum Bench {
    /// Throughput and per-step overhead of the workflow engine on the real queue.
    Workflows(bench::workflows::BenchWorkflowsArgs),
    /// Requests per second and latency of the HTTP API on a seeded database,
    /// in `taichu api` processes of its own, next to a bare `/healthz`.
    Api(bench::api::BenchApiArgs),
}

/// Parses the command line and runs the chosen subcommand.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        println!("{}", server::openapi_spec());
        return Ok(());
    }
    telemetry::init(cli.log_format);
    // kube's rustls needs a process-wide crypto provider before the first client.
    taichu_workflows::kube::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let grace = match &cli.command {
        Command::Serve(args) | Command::Api(args) => Duration::from_secs(args.shutdown_grace),
        _ => Duration::from_secs(20),
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => server::run(args, true).await,
            Command::Api(args) => server::run(args, false).await,
            Command::Worker(args) => server::run_workers(args).await,
            Command::Migrate(args) => server::migrate(args).await,
            Command::Openapi => Ok(()),
            Command::Bench(Bench::Workflows(args)) => bench::workflows::workflows(args).await,
            Command::Bench(Bench::Api(args)) => bench::api::api(args).await,
            Command::Backup(BackupCommand::Decrypt(args)) => decrypt::run(args).await,
        }
    });
    // Blocking work still running (a stuck request's thread) must not keep the
    // process alive past the grace period: dropping the runtime would wait for it.
    runtime.shutdown_timeout(grace);
    result
}
