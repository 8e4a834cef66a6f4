//! One module of queries per resource.

pub mod audit;
pub mod backup_schedules;
pub mod backups;
pub mod clusters;
pub mod etcd_settings;
pub mod machines;
pub mod operation_locks;
pub mod restores;
pub mod run_hosts;
pub mod scheduler;
pub mod sessions;
pub mod users;
pub mod workflow_runs;
pub mod workflow_steps;
