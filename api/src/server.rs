//! Assembling the HTTP app and running the processes.

use std::sync::Arc;
use std::time::Duration;

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::{RequestId, ReuseId, Tracing};
use poem::{Endpoint, EndpointExt, Route, Server, get};
use poem_openapi::OpenApiService;
use taichu_storage::Database;
use taichu_workers::{Queue, Shutdown};
use taichu_workflows::{Engine, WorkflowEnv};

use crate::auth::bootstrap;
use crate::auth::jwt::JwtKeys;
use crate::auth::session_cache::{self, SessionCache};
use crate::auth::throttle::Throttle;
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
        .around(envelope_errors)
        .around(session_cache::forget_on_change)
        .around(audit_trail::record)
        // Outermost: nothing reads more of a body than the limit.
        .around(limits::limit_body)
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

/// The workflow environment: the database, the master key (old secrets are
/// sealed again, bound to their rows), the network policy and the object store.
async fn open_env(
    db: &Database,
    args: &DatabaseArgs,
    network: taichu_workflows::NetworkPolicy,
) -> anyhow::Result<WorkflowEnv> {
    let secrets = args.secret_box()?;
    taichu_storage::reseal::reseal_legacy(db, &secrets).await?;
    Ok(WorkflowEnv {
        db: db.clone(),
        secrets,
        network,
        objects: args.objects()?,
    })
}

/// The queue and the engine over it.
async fn open_engine(env: &WorkflowEnv, args: &EngineArgs) -> anyhow::Result<(Engine, Queue)> {
    let queue = Queue::connect(args.queue_url.as_ref().map(Secret::expose), &env.db).await?;
    let engine = taichu_workers::engine(env.clone(), queue.clone(), args.engine_config());
    Ok((engine, queue))
}

/// `taichu migrate`.
pub async fn migrate(args: DatabaseArgs) -> anyhow::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(&args.data_dir)?;
    let db = taichu_storage::connect(&args.url()).await?;
    let backend = format!("{:?}", db.get_database_backend()).to_lowercase();
    println!("taichu migrate: connected to {backend}");
    let applied = taichu_storage::db::migrate_reporting(&db, |name, took| match took {
        None => {
            print!("applying {name} … ");
            let _ = std::io::stdout().flush();
        }
        Some(took) => println!("done in {} ms", took.as_millis()),
    })
    .await?;
    match applied {
        0 => println!("taichu migrate: the schema is up to date"),
        n => println!("taichu migrate: {n} migration(s) applied; the schema is up to date"),
    }
    Ok(())
}

/// `taichu serve` (with workers) and `taichu api`.
pub async fn run(args: ApiArgs, with_workers: bool) -> anyhow::Result<()> {
    args.validate()?;
    let db = open_database(&args.database).await?;
    let default_admin = bootstrap::ensure_admin(&db, args.admin_password.as_ref()).await?;
    if default_admin {
        tracing::warn!(
            "TAICHU_ADMIN_PASSWORD is not set and the account 'admin' still has the password 'admin'; change it now"
        );
        anyhow::ensure!(
            args.listen.ip().is_loopback() || args.allow_default_admin,
            "refusing to listen on {} while 'admin' still has the password 'admin': set TAICHU_ADMIN_PASSWORD \
             (or change the password), or set TAICHU_ALLOW_DEFAULT_ADMIN=true",
            args.listen
        );
    }
    let secret = bootstrap::jwt_secret(args.jwt_secret.as_ref(), &args.database.data_dir)?;
    // Bound first: with port 0 the real address is known only now, and no
    // live view or worker may connect to it on a user's behalf.
    let acceptor = TcpListener::bind(args.listen).into_acceptor().await?;
    let bound: Vec<std::net::SocketAddr> = acceptor
        .local_addr()
        .iter()
        .filter_map(|a| a.as_socket_addr().copied())
        .collect();
    let env = open_env(&db, &args.database, args.network.policy(bound)?).await?;
    let (engine, queue) = open_engine(&env, &args.engine).await?;
    let state = AppState {
        db: db.clone(),
        env: env.clone(),
        engine: engine.clone(),
        jwt: Arc::new(JwtKeys::new(&secret, args.access_ttl())),
        settings: Arc::new(Settings {
            refresh_ttl: args.refresh_ttl(),
            session_max: Duration::from_secs(args.session_max_secs),
            dev_mode: args.dev_mode,
            register_role: args.register_role.role(),
            metrics_token: args.metrics_token.clone(),
            trusted_proxies: args.trusted_proxies()?,
            min_schedule_secs: args.engine.min_schedule_secs,
        }),
        throttle: Arc::new(Throttle::new(args.limits())),
        sessions: Arc::new(SessionCache::new(Duration::from_millis(args.auth_cache_ms))),
        metrics: Arc::default(),
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
            args.engine.worker_settings(env.clone()),
            shutdown.clone(),
        ))
    });
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
    let own = args.api_listen.into_iter().collect();
    let env = open_env(&db, &args.database, args.network.policy(own)?).await?;
    let (engine, queue) = open_engine(&env, &args.engine).await?;
    // Plain line on stdout so scripts and tests know the worker is consuming.
    println!("taichu worker ready on {} queue", queue.backend_name());
    let shutdown = Shutdown::new();
    tokio::spawn(wait_for_signal(shutdown.clone()));
    taichu_workers::run(engine, queue, args.engine.worker_settings(env), shutdown).await;
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
