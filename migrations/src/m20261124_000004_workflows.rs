//! The workflow engine's tables: runs, one row per step attempt, logs, and
//! the canary's marker rows.

use sea_orm_migration::prelude::*;

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

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().not_null().to_owned()
}

fn ts_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().null().to_owned()
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
            let mut index = Index::create().name(name).table(WorkflowRuns::Table).to_owned();
            for col in cols {
                index.col(col);
            }
            manager.create_index(index).await?;
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
                    .foreign_key(
                        ForeignKey::create()
                            .from(WorkflowSteps::Table, WorkflowSteps::RunId)
                            .to(WorkflowRuns::Table, WorkflowRuns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_workflow_steps_run")
                    .table(WorkflowSteps::Table)
                    .col(WorkflowSteps::RunId)
                    .col(WorkflowSteps::StepIndex)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WorkflowLogs::Table)
                    .col(
                        ColumnDef::new(WorkflowLogs::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(WorkflowLogs::RunId).string_len(36).not_null())
                    .col(ColumnDef::new(WorkflowLogs::Step).string_len(64).null())
                    .col(ColumnDef::new(WorkflowLogs::Level).string_len(8).not_null())
                    .col(ColumnDef::new(WorkflowLogs::Message).text().not_null())
                    .col(ts(WorkflowLogs::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WorkflowLogs::Table, WorkflowLogs::RunId)
                            .to(WorkflowRuns::Table, WorkflowRuns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_workflow_logs_run")
                    .table(WorkflowLogs::Table)
                    .col(WorkflowLogs::RunId)
                    .col(WorkflowLogs::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WorkflowMarkers::Table)
                    .col(
                        ColumnDef::new(WorkflowMarkers::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(WorkflowMarkers::RunId).string_len(36).not_null())
                    .col(ColumnDef::new(WorkflowMarkers::StepIndex).integer().not_null())
                    .col(ColumnDef::new(WorkflowMarkers::Attempt).integer().not_null())
                    .col(ts(WorkflowMarkers::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_workflow_markers_run")
                    .table(WorkflowMarkers::Table)
                    .col(WorkflowMarkers::RunId)
                    .to_owned(),
            )
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
