//! Backup retention, once per tick across replicas. A schedule keeps its
//! newest `retention_count` completed backups and none older than
//! `retention_days`, except that the newest completed backup of an enabled
//! schedule is never deleted by age alone; its failed backups go after
//! `retention_days`. Other backups (manual ones, and those of a deleted
//! schedule) go when their own `retention_days` end. Objects first, then
//! the record; a deletion that fails is kept as `delete_failed` and retried
//! on the next tick. Backups being restored, or still running, are left.
//! Each tick also aborts the incomplete uploads of backups that have ended.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use taichu_storage::entities::backup_schedules::Model as Schedule;
use taichu_storage::entities::backups::Model as Backup;
use taichu_storage::repositories::audit::{self, NewAudit, Source};
use taichu_storage::repositories::backup_schedules;
use taichu_storage::repositories::backups::{self, BackupStatus};
use taichu_storage::repositories::restores;
use taichu_workflows::Engine;
use taichu_workflows::backup_records;

use crate::Shutdown;
use crate::scheduler::Periodic;

const JOB: &str = "backup-retention";

pub async fn run(engine: Engine, every: Duration, owner: String, shutdown: Shutdown) {
    let periodic = Periodic {
        job: JOB,
        period: every,
        owner,
    };
    let db = engine.db().clone();
    periodic
        .run(db, shutdown, || async {
            if let Err(err) = sweep(&engine, Utc::now()).await {
                tracing::warn!(error = %err, "backup retention failed");
            }
        })
        .await;
}

/// Why each backup of `schedule` (newest first) should go, if it should.
fn schedule_verdicts<'a>(schedule: &Schedule, backups: &'a [Backup], now: DateTime<Utc>) -> Vec<(&'a Backup, String)> {
    let cutoff = now - chrono::Duration::days(i64::from(schedule.retention_days));
    let mut completed_seen = 0usize;
    let mut out = Vec::new();
    for backup in backups {
        let status = backup.backup_status();
        let old = backup.created_at < cutoff;
        let verdict = match status {
            BackupStatus::Completed => {
                completed_seen += 1;
                let beyond_count = schedule
                    .retention_count
                    .and_then(|n| usize::try_from(n).ok())
                    .is_some_and(|keep| completed_seen > keep);
                let newest_kept = completed_seen == 1 && schedule.enabled;
                if beyond_count {
                    Some(format!(
                        "beyond the schedule's retention_count of {}",
                        schedule.retention_count.unwrap_or_default()
                    ))
                } else if old && !newest_kept {
                    Some(format!(
                        "older than the schedule's retention_days of {}",
                        schedule.retention_days
                    ))
                } else {
                    None
                }
            }
            BackupStatus::Failed if old => Some(format!(
                "failed, and older than the schedule's retention_days of {}",
                schedule.retention_days
            )),
            BackupStatus::DeleteFailed => Some("an earlier deletion failed; retried".to_owned()),
            _ => None,
        };
        if let Some(reason) = verdict {
            out.push((backup, reason));
        }
    }
    out
}

async fn sweep(engine: &Engine, now: DateTime<Utc>) -> Result<(), String> {
    let db = engine.db();
    let err = |e: taichu_storage::StorageError| e.to_string();
    let schedules = backup_schedules::all(db).await.map_err(err)?;
    let known: HashSet<&str> = schedules.iter().map(|s| s.id.as_str()).collect();
    let mut doomed: HashMap<String, (Backup, String)> = HashMap::new();
    for schedule in &schedules {
        let backups = backups::of_schedule(db, &schedule.id).await.map_err(err)?;
        for (backup, reason) in schedule_verdicts(schedule, &backups, now) {
            doomed.insert(backup.id.clone(), (backup.clone(), reason));
        }
    }
    for backup in backups::expired(db, now).await.map_err(err)? {
        let scheduled = backup.schedule_id.as_deref().is_some_and(|s| known.contains(s));
        if !scheduled || backup.backup_status() == BackupStatus::DeleteFailed {
            let reason = format!("its retention of {} days ended", backup.retention_days);
            doomed.entry(backup.id.clone()).or_insert((backup, reason));
        }
    }
    for (backup, reason) in doomed.into_values() {
        if let Err(e) = delete(engine, &backup, &reason).await {
            tracing::warn!(backup = %backup.id, error = %e, "retention could not delete a backup");
        }
    }
    backup_records::abort_abandoned_uploads(engine).await?;
    Ok(())
}

async fn delete(engine: &Engine, backup: &Backup, reason: &str) -> Result<(), String> {
    let db = engine.db();
    if !restores::active_for_backup(db, &backup.id)
        .await
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        return Ok(());
    }
    if !backups::claim_for_deletion(db, &backup.id)
        .await
        .map_err(|e| e.to_string())?
    {
        return Ok(());
    }
    let result = backup_records::delete_stored(engine, backup).await;
    let (success, details) = match &result {
        Ok(()) => (
            true,
            format!("retention deleted backup {} ({}): {reason}", backup.name, backup.id),
        ),
        Err(failure) => (
            false,
            format!(
                "retention could not delete backup {} ({}): {failure}",
                backup.name, backup.id
            ),
        ),
    };
    tracing::info!(backup = %backup.id, success, %details, "backup retention");
    audit::insert(
        db,
        NewAudit {
            source: Source::System,
            username: Some("system".to_owned()),
            action: "DELETE_BACKUP".to_owned(),
            resource_type: "backup".to_owned(),
            resource_id: Some(backup.id.clone()),
            cluster_id: backup.cluster_id.clone(),
            details: Some(details),
            success,
            status_code: if success { 200 } else { 503 },
            ..Default::default()
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    result
}
