//! The machine inventory. Credentials are stored encrypted (see storage `secrets`).

use sea_orm_migration::prelude::*;

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
                    .col(ColumnDef::new(Machines::LastCheckAt).timestamp_with_time_zone().null())
                    .col(ColumnDef::new(Machines::HostKeyFingerprint).string_len(128).null())
                    .col(ColumnDef::new(Machines::Hostname).string_len(255).null())
                    .col(ColumnDef::new(Machines::Os).string_len(255).null())
                    .col(ColumnDef::new(Machines::Kernel).string_len(255).null())
                    .col(ColumnDef::new(Machines::Arch).string_len(32).null())
                    .col(ColumnDef::new(Machines::CpuCores).integer().null())
                    .col(ColumnDef::new(Machines::MemoryBytes).big_integer().null())
                    .col(ColumnDef::new(Machines::ClusterId).string_len(36).null())
                    .col(
                        ColumnDef::new(Machines::CreatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Machines::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_machines_status")
                    .table(Machines::Table)
                    .col(Machines::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Machines::Table).to_owned())
            .await
    }
}
