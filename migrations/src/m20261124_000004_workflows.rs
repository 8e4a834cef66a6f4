//! The workflow engine's tables: runs, one row per step attempt, logs, and
//! the canary's marker rows.

use sea_orm_migration::prelude::*;

use crate::shapes::{cascade, index, serial_id, ts, ts_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WorkflowRuns {
    Table,
    Id,
    Kind,
    Subject,
    Input,
    State,
    Plan,
    Status,
    CurrentStep,
    StepAttempt,
    Progress,
    Attempts,
    Error,
    CancelRequested,
    LeaseOwner,
    LeaseExpiresAt,
    CreatedBy,
    CreatedAt,
    StartedAt,
    UpdatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum WorkflowSteps {
    Table,
    Id,
    RunId,
    StepIndex,
    Name,
    Attempt,
    Status,
    Error,
    Worker,
    StartedAt,
    FinishedAt,
    DurationMs,
}

#[derive(DeriveIden)]
enum WorkflowLogs {
    Table,
    Id,
    RunId,
    Step,
    Level,
    Message,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WorkflowMarkers {
    Table,
    Id,
    RunId,
    StepIndex,
    Attempt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WorkflowRuns::Table)
                    .col(ColumnDef::new(WorkflowRuns::Id).string_len(36).not_null().primary_key())
                    .col(ColumnDef::new(WorkflowRuns::Kind).string_len(64).not_null())
                    .col(ColumnDef::new(WorkflowRuns::Subject).string_len(128).null())
                    .col(ColumnDef::new(WorkflowRuns::Input).text().not_null())
                    .col(ColumnDef::new(WorkflowRuns::State).text().not_null())
                    .col(ColumnDef::new(WorkflowRuns::Plan).text().not_null())
                    .col(ColumnDef::new(WorkflowRuns::Status).string_len(16).not_null())
                    .col(ColumnDef::new(WorkflowRuns::CurrentStep).integer().not_null())
                    .col(ColumnDef::new(WorkflowRuns::StepAttempt).integer().not_null())
                    .col(ColumnDef::new(WorkflowRuns::Progress).integer().not_null())
                    .col(ColumnDef::new(WorkflowRuns::Attempts).integer().not_null())
                    .col(ColumnDef::new(WorkflowRuns::Error).text().null())
                    .col(ColumnDef::new(WorkflowRuns::CancelRequested).boolean().not_null())
                    .col(ColumnDef::new(WorkflowRuns::LeaseOwner).string_len(64).null())
                    .col(ts_null(WorkflowRuns::LeaseExpiresAt))
                    .col(ColumnDef::new(WorkflowRuns::CreatedBy).string_len(64).null())
                    .col(ts(WorkflowRuns::CreatedAt))
                    .col(ts_null(WorkflowRuns::StartedAt))
                    .col(ts(WorkflowRuns::UpdatedAt))
                    .col(ts_null(WorkflowRuns::FinishedAt))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_workflow_runs_kind_status",
                vec![WorkflowRuns::Kind, WorkflowRuns::Status],
            ),
            ("idx_workflow_runs_subject", vec![WorkflowRuns::Subject]),
            (
                "idx_workflow_runs_status_lease",
                vec![WorkflowRuns::Status, WorkflowRuns::LeaseExpiresAt],
            ),
        ] {
            manager.create_index(index(name, WorkflowRuns::Table, cols)).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(WorkflowSteps::Table)
                    .col(
                        ColumnDef::new(WorkflowSteps::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(WorkflowSteps::RunId).string_len(36).not_null())
                    .col(ColumnDef::new(WorkflowSteps::StepIndex).integer().not_null())
                    .col(ColumnDef::new(WorkflowSteps::Name).string_len(64).not_null())
                    .col(ColumnDef::new(WorkflowSteps::Attempt).integer().not_null())
                    .col(ColumnDef::new(WorkflowSteps::Status).string_len(16).not_null())
                    .col(ColumnDef::new(WorkflowSteps::Error).text().null())
                    .col(ColumnDef::new(WorkflowSteps::Worker).string_len(64).null())
                    .col(ts(WorkflowSteps::StartedAt))
                    .col(ts_null(WorkflowSteps::FinishedAt))
                    .col(ColumnDef::new(WorkflowSteps::DurationMs).big_integer().null())
                    .foreign_key(&mut cascade(
                        (WorkflowSteps::Table, WorkflowSteps::RunId),
                        (WorkflowRuns::Table, WorkflowRuns::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_workflow_steps_run",
                WorkflowSteps::Table,
                [WorkflowSteps::RunId, WorkflowSteps::StepIndex],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WorkflowLogs::Table)
                    .col(serial_id(WorkflowLogs::Id))
                    .col(ColumnDef::new(WorkflowLogs::RunId).string_len(36).not_null())
                    .col(ColumnDef::new(WorkflowLogs::Step).string_len(64).null())
                    .col(ColumnDef::new(WorkflowLogs::Level).string_len(8).not_null())
                    .col(ColumnDef::new(WorkflowLogs::Message).text().not_null())
                    .col(ts(WorkflowLogs::CreatedAt))
                    .foreign_key(&mut cascade(
                        (WorkflowLogs::Table, WorkflowLogs::RunId),
                        (WorkflowRuns::Table, WorkflowRuns::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_workflow_logs_run",
                WorkflowLogs::Table,
                [WorkflowLogs::RunId, WorkflowLogs::Id],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WorkflowMarkers::Table)
                    .col(serial_id(WorkflowMarkers::Id))
                    .col(ColumnDef::new(WorkflowMarkers::RunId).string_len(36).not_null())
                    .col(ColumnDef::new(WorkflowMarkers::StepIndex).integer().not_null())
                    .col(ColumnDef::new(WorkflowMarkers::Attempt).integer().not_null())
                    .col(ts(WorkflowMarkers::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_workflow_markers_run",
                WorkflowMarkers::Table,
                [WorkflowMarkers::RunId],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WorkflowMarkers::Table.into_iden(),
            WorkflowLogs::Table.into_iden(),
            WorkflowSteps::Table.into_iden(),
            WorkflowRuns::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
