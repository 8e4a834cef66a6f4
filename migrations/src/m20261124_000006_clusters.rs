//! Registered clusters. The kubeconfig is stored encrypted (storage `secrets`).

use sea_orm_migration::prelude::*;

use crate::shapes::{index, ts, ts_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
    Name,
    Description,
    Provider,
    Region,
    Version,
    NodeCount,
    Status,
    StatusMessage,
    ApiServer,
    KubeconfigEnc,
    CreatedBy,
    LastSeenAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Clusters::Table)
                    .col(ColumnDef::new(Clusters::Id).string_len(36).not_null().primary_key())
                    .col(ColumnDef::new(Clusters::Name).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(Clusters::Description).text().null())
                    .col(ColumnDef::new(Clusters::Provider).string_len(64).null())
                    .col(ColumnDef::new(Clusters::Region).string_len(64).null())
                    .col(ColumnDef::new(Clusters::Version).string_len(32).null())
                    .col(ColumnDef::new(Clusters::NodeCount).integer().not_null())
                    .col(ColumnDef::new(Clusters::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Clusters::StatusMessage).text().null())
                    .col(ColumnDef::new(Clusters::ApiServer).string_len(512).null())
                    .col(ColumnDef::new(Clusters::KubeconfigEnc).text().null())
                    .col(ColumnDef::new(Clusters::CreatedBy).string_len(64).null())
                    .col(ts_null(Clusters::LastSeenAt))
                    .col(ts(Clusters::CreatedAt))
                    .col(ts(Clusters::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_clusters_status", Clusters::Table, [Clusters::Status]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Clusters::Table).to_owned())
            .await
    }
}
