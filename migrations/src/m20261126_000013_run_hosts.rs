//! Per-host step states of the runs that work on several machines (create,
//! expand): one row per run, machine and step, updated as the host's work
//! starts and ends, so a task view shows which host is where. And the
//! control-plane machine an imported cluster may be expanded from.

use sea_orm_migration::prelude::*;

use crate::shapes::{cascade, index, serial_id, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RunHosts {
    Table,
    Id,
    RunId,
    MachineId,
    Step,
    Status,
    Detail,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WorkflowRuns {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Clusters {
    Table,
    ControlPlaneMachineId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RunHosts::Table)
                    .col(serial_id(RunHosts::Id))
                    .col(ColumnDef::new(RunHosts::RunId).string_len(36).not_null())
                    .col(ColumnDef::new(RunHosts::MachineId).string_len(36).not_null())
                    .col(ColumnDef::new(RunHosts::Step).string_len(64).not_null())
                    .col(ColumnDef::new(RunHosts::Status).string_len(16).not_null())
                    .col(ColumnDef::new(RunHosts::Detail).text().null())
                    .col(ts(RunHosts::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (RunHosts::Table, RunHosts::RunId),
                        (WorkflowRuns::Table, WorkflowRuns::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "idx_run_hosts_step",
                    RunHosts::Table,
                    [RunHosts::RunId, RunHosts::MachineId, RunHosts::Step],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Clusters::Table)
                    .add_column(ColumnDef::new(Clusters::ControlPlaneMachineId).string_len(36).null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Clusters::Table)
                    .drop_column(Clusters::ControlPlaneMachineId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(RunHosts::Table).to_owned())
            .await
    }
}
