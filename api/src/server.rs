//! Assembling the HTTP app and running the processes.

use std::sync::Arc;
use std::time::Duration;

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::{RequestId, ReuseId, Tracing};
use poem::{Endpoint, EndpointExt, Route, Server, get};
use poem_openapi::OpenApiService;
use taichu_storage::Database;
use taichu_storage::secrets::SecretBox;
use taichu_workers::{Queue, Shutdown};
use taichu_workflows::Engine;

use crate::auth::bootstrap;
use crate::auth::jwt::JwtKeys;
use crate::config::{ApiArgs, DatabaseArgs, EngineArgs, Secret, WorkerArgs};
use crate::error::envelope_errors;
use crate::routes::{self, health, metrics};
use crate::state::{AppState, Settings};
use crate::{audit_trail, limits};

fn api_service() -> OpenApiService<routes::Apis, ()> {
    OpenApiService::new(routes::apis(), "Taichu", env!("CARGO_PKG_VERSION"))
        .description(
            "Manage many Kubernetes clusters from one REST API. Every response is an envelope `{code, message, data}`.",
        )
        .server("/api/v1")
}

/// The OpenAPI document of `/api/v1`, as committed in `openapi/openapi.json`.
pub fn openapi_spec() -> String {
    api_service().spec()
}

/// The whole HTTP app over `state`.
pub fn app(state: AppState) -> impl Endpoint {
    let api = api_service();
    let spec = api.spec_endpoint();
    let swagger = api.swagger_ui();
    Route::new()
        .at("/api/v1/openapi.json", spec)
        .nest("/api/v1", api)
        .nest("/swagger", swagger)
        .at("/healthz", get(health::healthz))
        .at("/readyz", get(health::readyz))
        .at("/metrics", get(metrics::metrics))
        .around(limits::limit_body)
        .around(envelope_errors)
        .around(audit_trail::record)
        .with(Tracing)
        .with(RequestId::default().reuse_id(ReuseId::Use))
        .data(state)
}

async fn open_database(args: &DatabaseArgs) -> anyhow::Result<Database> {
    std::fs::create_dir_all(&args.data_dir)?;
    let db = taichu_storage::connect(&args.url()).await?;
    taichu_storage::db::migrate(&db).await?;
    Ok(db)
}

/// The queue and the engine over it.
async fn open_engine(db: &Database, args: &EngineArgs, secrets: SecretBox) -> anyhow::Result<(Engine, Queue)> {
    let queue = Queue::connect(args.queue_url.as_ref().map(Secret::expose), db).await?;
    let engine = taichu_workers::engine(db.clone(), queue.clone(), args.engine_config(), secrets);
    Ok((engine, queue))
}

/// `taichu migrate`.
pub async fn migrate(args: DatabaseArgs) -> anyhow::Result<()> {
    open_database(&args).await?;
    tracing::info!("migrations applied");
    Ok(())
}

/// `taichu serve` (with workers) and `taichu api`.
pub async fn run(args: ApiArgs, with_workers: bool) -> anyhow::Result<()> {
    args.validate()?;
    let db = open_database(&args.database).await?;
    bootstrap::ensure_admin(&db, args.admin_password.as_ref()).await?;
    let secret = bootstrap::jwt_secret(args.jwt_secret.as_ref(), &args.database.data_dir)?;
    let secrets = args.database.secret_box()?;
    let (engine, queue) = open_engine(&db, &args.engine, secrets.clone()).await?;
    let state = AppState {
        db: db.clone(),
        secrets: secrets.clone(),
        engine: engine.clone(),
        jwt: Arc::new(JwtKeys::new(&secret, args.access_ttl())),
        settings: Arc::new(Settings {
            refresh_ttl: args.refresh_ttl(),
            dev_mode: args.dev_mode,
        }),
    };
    if args.dev_mode {
        tracing::warn!("development mode: GET /api/v1/auth/token hands out admin tokens without a password");
    }
    let shutdown = Shutdown::new();
    tokio::spawn(wait_for_signal(shutdown.clone()));
    let workers = with_workers.then(|| {
        tokio::spawn(taichu_workers::run(
            engine,
            queue,
            args.engine.worker_settings(secrets),
            shutdown.clone(),
        ))
    });

    let acceptor = TcpListener::bind(args.listen).into_acceptor().await?;
    for addr in acceptor.local_addr() {
        // Plain line on stdout so scripts and tests can find a port chosen with :0.
        println!("taichu listening on {}", addr.0);
        tracing::info!(addr = %addr.0, "listening");
    }
    let grace = Duration::from_secs(args.shutdown_grace);
    let signal = {
        let shutdown = shutdown.clone();
        async move { shutdown.cancelled().await }
    };
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(app(state), signal, Some(grace))
        .await?;
    shutdown.cancel();
    if let Some(workers) = workers {
        workers.await?;
    }
    db.close().await?;
    tracing::info!("stopped");
    Ok(())
}

/// `taichu worker`.
pub async fn run_workers(args: WorkerArgs) -> anyhow::Result<()> {
    args.engine.validate()?;
    let db = open_database(&args.database).await?;
    let secrets = args.database.secret_box()?;
    let (engine, queue) = open_engine(&db, &args.engine, secrets.clone()).await?;
    // Plain line on stdout so scripts and tests know the worker is consuming.
    println!("taichu worker ready on {} queue", queue.backend_name());
    let shutdown = Shutdown::new();
    tokio::spawn(wait_for_signal(shutdown.clone()));
    taichu_workers::run(engine, queue, args.engine.worker_settings(secrets), shutdown).await;
    db.close().await?;
    Ok(())
}

/// Cancels `shutdown` on SIGTERM or Ctrl-C.
async fn wait_for_signal(shutdown: Shutdown) {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(err) => {
            tracing::error!(error = %err, "cannot listen for SIGTERM");
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received; shutting down"),
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupt received; shutting down"),
    }
    shutdown.cancel();
}
