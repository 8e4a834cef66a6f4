//! Resource backups: a backup keeps the filters it was taken with and what
//! it took (types and counts per kind); a restore keeps its options (parts,
//! filters, namespace mappings, existing-object policy).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Backups {
    Table,
    Filters,
    Contents,
}

#[derive(DeriveIden)]
enum Restores {
    Table,
    Options,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [Backups::Filters, Backups::Contents] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Backups::Table)
                        .add_column(ColumnDef::new(column).text().null())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Restores::Table)
                    .add_column(ColumnDef::new(Restores::Options).text().not_null().default("{}"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Backups::Filters, Backups::Contents] {
            manager
                .alter_table(Table::alter().table(Backups::Table).drop_column(column).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Restores::Table)
                    .drop_column(Restores::Options)
                    .to_owned(),
            )
            .await
    }
}
