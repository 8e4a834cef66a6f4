//! Claimed scheduler ticks: a periodic job runs once per tick across all
//! worker replicas, whichever inserts the tick's row first.

use sea_orm_migration::prelude::*;

use crate::shapes::ts;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SchedulerTicks {
    Table,
    Job,
    Tick,
    ClaimedBy,
    ClaimedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SchedulerTicks::Table)
                    .col(ColumnDef::new(SchedulerTicks::Job).string_len(64).not_null())
                    .col(ColumnDef::new(SchedulerTicks::Tick).big_integer().not_null())
                    .col(ColumnDef::new(SchedulerTicks::ClaimedBy).string_len(128).not_null())
                    .col(ts(SchedulerTicks::ClaimedAt))
                    .primary_key(Index::create().col(SchedulerTicks::Job).col(SchedulerTicks::Tick))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SchedulerTicks::Table).to_owned())
            .await
    }
}
