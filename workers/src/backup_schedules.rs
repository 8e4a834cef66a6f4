//! Backup schedules fired: every tick (claimed by one replica), each enabled
//! schedule whose due time has come fires once. The firing's row is unique
//! per schedule and due time and is inserted in the transaction that records
//! the backup and starts its run: across replicas and restarts a due time
//! fires at most once. Due times passed while no worker ran are recorded as
//! missed, and only the latest fires, if within the catch-up deadline. A
//! schedule whose cluster is busy (its previous backup still running) has the
//! firing recorded as skipped, with the reason, not queued.

use std::time::Duration;

use chrono::{DateTime, Utc};
use taichu_storage::db;
use taichu_storage::entities::backup_schedules::Model as Schedule;
use taichu_storage::repositories::backup_schedules::{self, FiringStatus};
use taichu_storage::repositories::backups::BackupType;
use taichu_storage::repositories::{clusters, etcd_settings};
use taichu_storage::secrets::Slot;
use taichu_workflows::backup_records::{self, BackupOrder};
use taichu_workflows::cron_schedule::CronSchedule;
use taichu_workflows::resources::Selection;
use taichu_workflows::{Engine, StartedBy, WorkflowError};

use crate::Shutdown;
use crate::scheduler::Periodic;

const JOB: &str = "backup-schedules";
/// Missed due times recorded one by one for a schedule at most in a tick
/// (after a long outage the rest are named in the reason, not each recorded).
const MAX_MISSED: usize = 100;

/// How schedules are fired.
#[derive(Debug, Clone, Copy)]
pub struct ScheduleTiming {
    /// How often due schedules are looked for.
    pub tick: Duration,
    /// How late a due time may still fire (a CronJob's `startingDeadlineSeconds`).
    pub catch_up: Duration,
}

pub async fn run(engine: Engine, timing: ScheduleTiming, owner: String, shutdown: Shutdown) {
    let periodic = Periodic {
        job: JOB,
        period: timing.tick,
        owner,
    };
    let db = engine.db().clone();
    periodic
        .run(db, shutdown, || async {
            if let Err(err) = fire_due(&engine, timing.catch_up).await {
                tracing::warn!(error = %err, "firing backup schedules failed");
            }
        })
        .await;
}

async fn fire_due(engine: &Engine, catch_up: Duration) -> Result<(), String> {
    let now = Utc::now();
    let due = backup_schedules::due(engine.db(), now)
        .await
        .map_err(|e| e.to_string())?;
    for schedule in due {
        if let Err(err) = fire(engine, &schedule, now, catch_up).await {
            tracing::warn!(schedule = %schedule.id, error = %err, "firing a backup schedule failed");
        }
    }
    Ok(())
}

/// The due times from `first` up to (not including) `latest`, oldest first, at most [`MAX_MISSED`].
fn missed_times(cron: &CronSchedule, first: DateTime<Utc>, latest: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut times = Vec::new();
    let mut at = Some(first);
    while let Some(t) = at.filter(|t| *t < latest && times.len() < MAX_MISSED) {
        times.push(t);
        at = cron.next_after(t);
    }
    times
}

async fn fire(engine: &Engine, schedule: &Schedule, now: DateTime<Utc>, catch_up: Duration) -> Result<(), String> {
    let db = engine.db();
    let err = |e: taichu_storage::StorageError| e.to_string();
    let Some(first) = schedule.next_run_at else {
        return Ok(());
    };
    let cron = CronSchedule::parse(&schedule.cron_expr, &schedule.timezone)?;
    let latest = cron.last_at_or_before(now).unwrap_or(first).max(first);
    let next = cron.next_after(now.max(latest));
    for missed in &missed_times(&cron, first, latest) {
        let reason = format!("no worker fired it; a later due time ({latest}) came first");
        backup_schedules::claim_firing(db, &schedule.id, *missed, FiringStatus::Missed, None, Some(&reason))
            .await
            .map_err(err)?;
    }
    let late = (now - latest).to_std().unwrap_or_default();
    if late > catch_up {
        let reason = format!(
            "due at {latest}, {} s ago: past the catch-up deadline of {} s (no worker ran meanwhile)",
            late.as_secs(),
            catch_up.as_secs()
        );
        backup_schedules::claim_firing(db, &schedule.id, latest, FiringStatus::Missed, None, Some(&reason))
            .await
            .map_err(err)?;
        return backup_schedules::advance(db, &schedule.id, next, Some((now, None, FiringStatus::Missed)))
            .await
            .map_err(err);
    }
    let outcome = start(engine, schedule, latest, now, next).await;
    let (status, reason) = match outcome {
        Ok(()) => return Ok(()),
        Err(WorkflowError::Busy { subject, kind, run_id }) => (
            FiringStatus::Skipped,
            format!("{subject} is busy: {kind} {run_id} is still running"),
        ),
        Err(other) => (FiringStatus::Failed, other.to_string()),
    };
    if backup_schedules::claim_firing(db, &schedule.id, latest, status, None, Some(&reason))
        .await
        .map_err(err)?
    {
        tracing::info!(schedule = %schedule.id, due = %latest, status = status.as_str(), %reason, "backup schedule did not fire");
        backup_schedules::advance(db, &schedule.id, next, Some((now, None, status)))
            .await
            .map_err(err)?;
    }
    Ok(())
}

/// Records the firing, the backup and its run in one transaction.
async fn start(
    engine: &Engine,
    schedule: &Schedule,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
    next: Option<DateTime<Utc>>,
) -> Result<(), WorkflowError> {
    let db = engine.db();
    let cluster = clusters::find(db, &schedule.cluster_id)
        .await?
        .ok_or_else(|| WorkflowError::InvalidInput("the schedule's cluster no longer exists".into()))?;
    let order = order_of(engine, schedule, due).await?;
    let backup_id = order.id.clone();
    let txn = db::begin_write(db).await?;
    let claimed =
        backup_schedules::claim_firing(&txn, &schedule.id, due, FiringStatus::Fired, Some(&backup_id), None).await?;
    if !claimed {
        // Another replica fired this due time already.
        return Ok(());
    }
    let started_by = match (&schedule.created_by_id, &schedule.created_by) {
        (Some(user_id), Some(username)) => Some(StartedBy {
            user_id: user_id.clone(),
            username: username.clone(),
        }),
        _ => None,
    };
    let (_, started) = backup_records::start_in(engine, &txn, &cluster, order, started_by.as_ref()).await?;
    backup_schedules::advance(
        &txn,
        &schedule.id,
        next,
        Some((now, Some(&backup_id), FiringStatus::Fired)),
    )
    .await?;
    txn.commit().await?;
    engine.enqueue(started).await;
    tracing::info!(schedule = %schedule.id, due = %due, backup = %backup_id, "backup schedule fired");
    Ok(())
}

/// The backup a schedule asks for: its etcd settings (else the cluster's)
/// with the password sealed afresh for the backup's row, its filters.
async fn order_of(engine: &Engine, schedule: &Schedule, due: DateTime<Utc>) -> Result<BackupOrder, WorkflowError> {
    let secrets = &engine.env().secrets;
    let id = taichu_storage::new_id();
    let backup_type: BackupType = schedule
        .backup_type
        .parse()
        .map_err(|_| WorkflowError::Corrupt(format!("backup type {}", schedule.backup_type)))?;
    let corrupt = |e: String| WorkflowError::Corrupt(e);
    let (settings, password) = if !backup_type
        .parts()
        .contains(&taichu_storage::repositories::backups::PartKind::Etcd)
    {
        (None, None)
    } else if let Some(json) = &schedule.settings {
        let settings = serde_json::from_str(json).map_err(|e| corrupt(e.to_string()))?;
        let password = schedule
            .ssh_password_enc
            .as_deref()
            .map(|sealed| secrets.open(Slot::ScheduleSshPassword, &schedule.id, sealed))
            .transpose()
            .map_err(|e| corrupt(e.to_string()))?;
        (Some(settings), password)
    } else {
        let stored = etcd_settings::find(engine.db(), &schedule.cluster_id)
            .await?
            .ok_or_else(|| WorkflowError::InvalidInput("etcd settings: none on the schedule or its cluster".into()))?;
        let password = stored
            .ssh_password_enc
            .as_deref()
            .map(|sealed| secrets.open(Slot::ClusterEtcdSshPassword, &schedule.cluster_id, sealed))
            .transpose()
            .map_err(|e| corrupt(e.to_string()))?;
        (Some(stored.settings), password)
    };
    let filters: Selection = match &schedule.filters {
        Some(json) => serde_json::from_str(json).map_err(|e| corrupt(e.to_string()))?,
        None => Selection::default(),
    };
    Ok(BackupOrder {
        ssh_password_enc: password.map(|p: Vec<u8>| secrets.seal(Slot::BackupSshPassword, &id, &p)),
        id,
        name: format!("{}-{}", schedule.name, due.format("%Y%m%dT%H%M%SZ")),
        backup_type,
        retention_days: schedule.retention_days,
        settings,
        filters,
        schedule_id: Some(schedule.id.clone()),
    })
}
