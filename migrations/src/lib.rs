//! Schema migrations. Every migration runs on SQLite and PostgreSQL alike, so
//! columns use portable types: ids are UUID strings, times are `timestamptz`.

pub use sea_orm_migration::prelude::*;

mod shapes;

mod m20261124_000001_users;
mod m20261124_000002_tokens;
mod m20261124_000003_audit_logs;
mod m20261124_000004_workflows;
mod m20261124_000005_machines;
mod m20261124_000006_clusters;
mod m20261124_000007_scheduler_ticks;
mod m20261126_000008_sessions_and_owners;
mod m20261126_000009_locks_and_machine_clusters;
mod m20261126_000010_backups;
mod m20261126_000011_resource_backups;
mod m20261126_000012_backup_schedules;
mod m20261126_000013_run_hosts;
mod m20261207_000014_list_counts_and_search;

/// All migrations, in order.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_users::Migration),
            Box::new(m20261124_000002_tokens::Migration),
            Box::new(m20261124_000003_audit_logs::Migration),
            Box::new(m20261124_000004_workflows::Migration),
            Box::new(m20261124_000005_machines::Migration),
            Box::new(m20261124_000006_clusters::Migration),
            Box::new(m20261124_000007_scheduler_ticks::Migration),
            Box::new(m20261126_000008_sessions_and_owners::Migration),
            Box::new(m20261126_000009_locks_and_machine_clusters::Migration),
            Box::new(m20261126_000010_backups::Migration),
            Box::new(m20261126_000011_resource_backups::Migration),
            Box::new(m20261126_000012_backup_schedules::Migration),
            Box::new(m20261126_000013_run_hosts::Migration),
            Box::new(m20261207_000014_list_counts_and_search::Migration),
        ]
    }
}
