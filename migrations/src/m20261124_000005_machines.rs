//! The machine inventory. Credentials are stored encrypted (see storage `secrets`).

use sea_orm_migration::prelude::*;

use crate::shapes::{index, ts, ts_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Machines {
    Table,
    Id,
    Name,
    Ip,
    Port,
    Username,
    PasswordEnc,
    PrivateKeyEnc,
    PassphraseEnc,
    Role,
    Labels,
    Description,
    Status,
    StatusMessage,
    LastCheckAt,
    HostKeyFingerprint,
    Hostname,
    Os,
    Kernel,
    Arch,
    CpuCores,
    MemoryBytes,
    ClusterId,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Machines::Table)
                    .col(ColumnDef::new(Machines::Id).string_len(36).not_null().primary_key())
                    .col(ColumnDef::new(Machines::Name).string_len(64).not_null().unique_key())
                    .col(ColumnDef::new(Machines::Ip).string_len(45).not_null())
                    .col(ColumnDef::new(Machines::Port).integer().not_null())
                    .col(ColumnDef::new(Machines::Username).string_len(64).not_null())
                    .col(ColumnDef::new(Machines::PasswordEnc).text().null())
                    .col(ColumnDef::new(Machines::PrivateKeyEnc).text().null())
                    .col(ColumnDef::new(Machines::PassphraseEnc).text().null())
                    .col(ColumnDef::new(Machines::Role).string_len(16).not_null())
                    .col(ColumnDef::new(Machines::Labels).text().not_null())
                    .col(ColumnDef::new(Machines::Description).text().null())
                    .col(ColumnDef::new(Machines::Status).string_len(16).not_null())
                    .col(ColumnDef::new(Machines::StatusMessage).text().null())
                    .col(ts_null(Machines::LastCheckAt))
                    .col(ColumnDef::new(Machines::HostKeyFingerprint).string_len(128).null())
                    .col(ColumnDef::new(Machines::Hostname).string_len(255).null())
                    .col(ColumnDef::new(Machines::Os).string_len(255).null())
                    .col(ColumnDef::new(Machines::Kernel).string_len(255).null())
                    .col(ColumnDef::new(Machines::Arch).string_len(32).null())
                    .col(ColumnDef::new(Machines::CpuCores).integer().null())
                    .col(ColumnDef::new(Machines::MemoryBytes).big_integer().null())
                    .col(ColumnDef::new(Machines::ClusterId).string_len(36).null())
                    .col(ts(Machines::CreatedAt))
                    .col(ts(Machines::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_machines_status", Machines::Table, [Machines::Status]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Machines::Table).to_owned())
            .await
    }
}
