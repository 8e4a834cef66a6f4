use sea_orm_migration::prelude::*;

use crate::shapes::{index, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLogs {
    Table,
    Id,
    UserId,
    Username,
    Action,
    ResourceType,
    ResourceId,
    ClusterId,
    Details,
    Result,
    StatusCode,
    ClientAddr,
    UserAgent,
    Timestamp,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLogs::Table)
                    .col(ColumnDef::new(AuditLogs::Id).string_len(36).not_null().primary_key())
                    .col(ColumnDef::new(AuditLogs::UserId).string_len(36).null())
                    .col(ColumnDef::new(AuditLogs::Username).string_len(64).null())
                    .col(ColumnDef::new(AuditLogs::Action).string_len(64).not_null())
                    .col(ColumnDef::new(AuditLogs::ResourceType).string_len(64).not_null())
                    .col(ColumnDef::new(AuditLogs::ResourceId).string_len(128).null())
                    .col(ColumnDef::new(AuditLogs::ClusterId).string_len(36).null())
                    .col(ColumnDef::new(AuditLogs::Details).text().null())
                    .col(ColumnDef::new(AuditLogs::Result).string_len(16).not_null())
                    .col(ColumnDef::new(AuditLogs::StatusCode).integer().not_null())
                    .col(ColumnDef::new(AuditLogs::ClientAddr).string_len(64).null())
                    .col(ColumnDef::new(AuditLogs::UserAgent).string_len(512).null())
                    .col(ts(AuditLogs::Timestamp))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_audit_logs_timestamp", AuditLogs::Timestamp),
            ("idx_audit_logs_cluster", AuditLogs::ClusterId),
            ("idx_audit_logs_username", AuditLogs::Username),
        ] {
            manager.create_index(index(name, AuditLogs::Table, [col])).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLogs::Table).to_owned())
            .await
    }
}
