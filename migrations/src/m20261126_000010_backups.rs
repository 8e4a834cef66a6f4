//! Backups and restores, and where each cluster's etcd is and how to reach it.
//!
//! A backup outlives its cluster (`cluster_id` goes NULL, `cluster_name`
//! stays) and records the etcd settings it used, without secrets; its SSH
//! password, when given inline, is sealed on the row. Restores point at the
//! backup they read and the cluster they write.

use sea_orm_migration::prelude::*;

use crate::shapes::{index, ts, ts_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Backups {
    Table,
    Id,
    ClusterId,
    ClusterName,
    Name,
    BackupType,
    Status,
    ErrorMessage,
    StorageLocation,
    SizeBytes,
    Sha256,
    EtcdRevision,
    EtcdVersion,
    KeyCount,
    RetentionDays,
    ExpiresAt,
    WorkflowId,
    Settings,
    SshPasswordEnc,
    DataKeyEnc,
    Parts,
    CreatedBy,
    CreatedById,
    CreatedAt,
    StartedAt,
    CompletedAt,
}

#[derive(DeriveIden)]
enum Restores {
    Table,
    Id,
    BackupId,
    ClusterId,
    Name,
    Status,
    ErrorMessage,
    WorkflowId,
    Details,
    CreatedBy,
    CreatedById,
    CreatedAt,
    StartedAt,
    CompletedAt,
}

#[derive(DeriveIden)]
enum ClusterEtcd {
    Table,
    ClusterId,
    Settings,
    SshPasswordEnc,
    HostKeys,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
}

/// A key that goes NULL when the row it points at goes.
fn set_null(from: (impl IntoIden, impl IntoIden), to: (impl IntoIden, impl IntoIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::SetNull)
        .to_owned()
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
                    .table(Backups::Table)
                    .col(ColumnDef::new(Backups::Id).string_len(36).not_null().primary_key())
                    .col(ColumnDef::new(Backups::ClusterId).string_len(36).null())
                    .col(ColumnDef::new(Backups::ClusterName).string_len(64).not_null())
                    .col(ColumnDef::new(Backups::Name).string_len(128).not_null())
                    .col(ColumnDef::new(Backups::BackupType).string_len(16).not_null())
                    .col(ColumnDef::new(Backups::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Backups::ErrorMessage).text().null())
                    .col(ColumnDef::new(Backups::StorageLocation).text().not_null())
                    .col(ColumnDef::new(Backups::SizeBytes).big_integer().null())
                    .col(ColumnDef::new(Backups::Sha256).string_len(64).null())
                    .col(ColumnDef::new(Backups::EtcdRevision).big_integer().null())
                    .col(ColumnDef::new(Backups::EtcdVersion).string_len(32).null())
                    .col(ColumnDef::new(Backups::KeyCount).big_integer().null())
                    .col(ColumnDef::new(Backups::RetentionDays).integer().not_null())
                    .col(ts_null(Backups::ExpiresAt))
                    .col(ColumnDef::new(Backups::WorkflowId).string_len(36).null())
                    .col(ColumnDef::new(Backups::Settings).text().null())
                    .col(ColumnDef::new(Backups::SshPasswordEnc).text().null())
                    .col(ColumnDef::new(Backups::DataKeyEnc).text().null())
                    .col(ColumnDef::new(Backups::Parts).text().not_null())
                    .col(ColumnDef::new(Backups::CreatedBy).string_len(64).null())
                    .col(ColumnDef::new(Backups::CreatedById).string_len(36).null())
                    .col(ts(Backups::CreatedAt))
                    .col(ts_null(Backups::StartedAt))
                    .col(ts_null(Backups::CompletedAt))
                    .foreign_key(&mut set_null(
                        (Backups::Table, Backups::ClusterId),
                        (Clusters::Table, Clusters::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_backups_cluster",
                Backups::Table,
                [Backups::ClusterId, Backups::CreatedAt],
            ))
            .await?;
        manager
            .create_index(index("idx_backups_status", Backups::Table, [Backups::Status]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Restores::Table)
                    .col(ColumnDef::new(Restores::Id).string_len(36).not_null().primary_key())
                    .col(ColumnDef::new(Restores::BackupId).string_len(36).null())
                    .col(ColumnDef::new(Restores::ClusterId).string_len(36).null())
                    .col(ColumnDef::new(Restores::Name).string_len(128).not_null())
                    .col(ColumnDef::new(Restores::Status).string_len(24).not_null())
                    .col(ColumnDef::new(Restores::ErrorMessage).text().null())
                    .col(ColumnDef::new(Restores::WorkflowId).string_len(36).null())
                    .col(ColumnDef::new(Restores::Details).text().not_null())
                    .col(ColumnDef::new(Restores::CreatedBy).string_len(64).null())
                    .col(ColumnDef::new(Restores::CreatedById).string_len(36).null())
                    .col(ts(Restores::CreatedAt))
                    .col(ts_null(Restores::StartedAt))
                    .col(ts_null(Restores::CompletedAt))
                    .foreign_key(&mut set_null(
                        (Restores::Table, Restores::BackupId),
                        (Backups::Table, Backups::Id),
                    ))
                    .foreign_key(&mut set_null(
                        (Restores::Table, Restores::ClusterId),
                        (Clusters::Table, Clusters::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_restores_backup", Restores::Table, [Restores::BackupId]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClusterEtcd::Table)
                    .col(
                        ColumnDef::new(ClusterEtcd::ClusterId)
                            .string_len(36)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(ClusterEtcd::Settings).text().not_null())
                    .col(ColumnDef::new(ClusterEtcd::SshPasswordEnc).text().null())
                    .col(ColumnDef::new(ClusterEtcd::HostKeys).text().not_null())
                    .col(ts(ClusterEtcd::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ClusterEtcd::Table, ClusterEtcd::ClusterId)
                            .to(Clusters::Table, Clusters::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Restores::Table.into_iden(),
            Backups::Table.into_iden(),
            ClusterEtcd::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
