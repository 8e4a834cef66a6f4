//! Background processes run by `taichu worker` and `taichu serve`.

mod sweeper;

use taichu_storage::Database;
pub use tokio_util::sync::CancellationToken as Shutdown;

/// Errors that stop the workers.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("background task panicked: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Runs every background loop until `shutdown` is cancelled.
pub async fn run(db: Database, shutdown: Shutdown) -> Result<(), WorkerError> {
    tracing::info!("workers started");
    let sweeper = tokio::spawn(sweeper::run(db, shutdown.clone()));
    sweeper.await?;
    tracing::info!("workers stopped");
    Ok(())
}
