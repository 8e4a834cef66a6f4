//! One sea-orm entity per table.

pub mod audit_logs;
pub mod backup_schedules;
pub mod backups;
pub mod cluster_etcd;
pub mod clusters;
pub mod machines;
pub mod operation_locks;
pub mod refresh_tokens;
pub mod restores;
pub mod run_hosts;
pub mod schedule_firings;
pub mod scheduler_ticks;
pub mod sessions;
pub mod users;
pub mod workflow_logs;
pub mod workflow_markers;
pub mod workflow_runs;
pub mod workflow_steps;
