//! Backup schedules and their firings. A firing is unique per schedule and
//! due time: the replica whose insert wins fires it, in the transaction
//! that records the backup and starts its run, so no due time fires twice.
//! A schedule goes with its cluster; its backups stay (`schedule_id` on a
//! backup is a plain column, for retention), and keep the id of the cluster
//! they were taken from (`origin_cluster_id`: their objects' prefix) after
//! `cluster_id` goes NULL.

use sea_orm_migration::prelude::*;

use crate::shapes::{cascade, index, serial_id, ts, ts_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum BackupSchedules {
    Table,
    Id,
    ClusterId,
    Name,
    CronExpr,
    Timezone,
    BackupType,
    RetentionDays,
    RetentionCount,
    Enabled,
    Settings,
    SshPasswordEnc,
    Filters,
    NextRunAt,
    LastRunAt,
    LastBackupId,
    LastStatus,
    CreatedBy,
    CreatedById,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ScheduleFirings {
    Table,
    Id,
    ScheduleId,
    DueAt,
    Status,
    BackupId,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Backups {
    Table,
    ScheduleId,
    OriginClusterId,
}

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
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
                    .table(BackupSchedules::Table)
                    .col(
                        ColumnDef::new(BackupSchedules::Id)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(BackupSchedules::ClusterId).string_len(36).not_null())
                    .col(ColumnDef::new(BackupSchedules::Name).string_len(128).not_null())
                    .col(ColumnDef::new(BackupSchedules::CronExpr).string_len(256).not_null())
                    .col(ColumnDef::new(BackupSchedules::Timezone).string_len(64).not_null())
                    .col(ColumnDef::new(BackupSchedules::BackupType).string_len(16).not_null())
                    .col(ColumnDef::new(BackupSchedules::RetentionDays).integer().not_null())
                    .col(ColumnDef::new(BackupSchedules::RetentionCount).integer().null())
                    .col(ColumnDef::new(BackupSchedules::Enabled).boolean().not_null())
                    .col(ColumnDef::new(BackupSchedules::Settings).text().null())
                    .col(ColumnDef::new(BackupSchedules::SshPasswordEnc).text().null())
                    .col(ColumnDef::new(BackupSchedules::Filters).text().null())
                    .col(ts_null(BackupSchedules::NextRunAt))
                    .col(ts_null(BackupSchedules::LastRunAt))
                    .col(ColumnDef::new(BackupSchedules::LastBackupId).string_len(36).null())
                    .col(ColumnDef::new(BackupSchedules::LastStatus).string_len(16).null())
                    .col(ColumnDef::new(BackupSchedules::CreatedBy).string_len(64).null())
                    .col(ColumnDef::new(BackupSchedules::CreatedById).string_len(36).null())
                    .col(ts(BackupSchedules::CreatedAt))
                    .col(ts(BackupSchedules::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (BackupSchedules::Table, BackupSchedules::ClusterId),
                        (Clusters::Table, Clusters::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "idx_backup_schedules_name",
                    BackupSchedules::Table,
                    [BackupSchedules::ClusterId, BackupSchedules::Name],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_backup_schedules_due",
                BackupSchedules::Table,
                [BackupSchedules::Enabled, BackupSchedules::NextRunAt],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScheduleFirings::Table)
                    .col(serial_id(ScheduleFirings::Id))
                    .col(ColumnDef::new(ScheduleFirings::ScheduleId).string_len(36).not_null())
                    .col(ts(ScheduleFirings::DueAt))
                    .col(ColumnDef::new(ScheduleFirings::Status).string_len(16).not_null())
                    .col(ColumnDef::new(ScheduleFirings::BackupId).string_len(36).null())
                    .col(ColumnDef::new(ScheduleFirings::Reason).text().null())
                    .col(ts(ScheduleFirings::CreatedAt))
                    .foreign_key(&mut cascade(
                        (ScheduleFirings::Table, ScheduleFirings::ScheduleId),
                        (BackupSchedules::Table, BackupSchedules::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "idx_schedule_firings_due",
                    ScheduleFirings::Table,
                    [ScheduleFirings::ScheduleId, ScheduleFirings::DueAt],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        for column in [Backups::ScheduleId, Backups::OriginClusterId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Backups::Table)
                        .add_column(ColumnDef::new(column).string_len(36).null())
                        .to_owned(),
                )
                .await?;
        }
        let backfill = Query::update()
            .table(Backups::Table)
            .value(Backups::OriginClusterId, Expr::col(Alias::new("cluster_id")))
            .to_owned();
        manager.exec_stmt(backfill).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Backups::ScheduleId, Backups::OriginClusterId] {
            manager
                .alter_table(Table::alter().table(Backups::Table).drop_column(column).to_owned())
                .await?;
        }
        for table in [ScheduleFirings::Table.into_iden(), BackupSchedules::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
