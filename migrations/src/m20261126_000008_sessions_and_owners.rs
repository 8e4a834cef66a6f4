//! Safe-by-default accounts: login sessions with an absolute end (revoking one
//! revokes its access tokens too, so per-token revocations go), owners as user
//! ids on machines, clusters and runs, case-insensitive usernames, a cluster's
//! `allow_insecure`, and the source of each audit row.

use sea_orm_migration::prelude::*;

use crate::shapes::{cascade, index, ts, ts_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RevokedTokens {
    Table,
}

#[derive(DeriveIden)]
enum Clusters {
    Table,
    OwnerId,
    AllowInsecure,
}

#[derive(DeriveIden)]
enum Machines {
    Table,
    OwnerId,
}

#[derive(DeriveIden)]
enum WorkflowRuns {
    Table,
    CreatedById,
}

#[derive(DeriveIden)]
enum AuditLogs {
    Table,
    Source,
}

fn add(table: impl IntoIden, col: ColumnDef) -> TableAlterStatement {
    Table::alter().table(table).add_column(col).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// All or nothing, on SQLite too (whose DDL is transactional), and on one
    /// connection, so each statement sees the tables the previous one made.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(ColumnDef::new(Sessions::Id).string_len(36).not_null().primary_key())
                    .col(ColumnDef::new(Sessions::UserId).string_len(36).not_null())
                    .col(ts(Sessions::CreatedAt))
                    .col(ts(Sessions::ExpiresAt))
                    .col(ts_null(Sessions::RevokedAt))
                    .foreign_key(&mut cascade(
                        (Sessions::Table, Sessions::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_sessions_user", Sessions::Table, [Sessions::UserId]))
            .await?;
        // Logins before this migration had no session row: they end here.
        manager
            .drop_table(Table::drop().table(RevokedTokens::Table).to_owned())
            .await?;

        let owner = || ColumnDef::new(Clusters::OwnerId).string_len(36).null().to_owned();
        manager.alter_table(add(Clusters::Table, owner())).await?;
        manager
            .alter_table(add(
                Clusters::Table,
                ColumnDef::new(Clusters::AllowInsecure)
                    .boolean()
                    .not_null()
                    .default(false)
                    .to_owned(),
            ))
            .await?;
        manager
            .alter_table(add(
                Machines::Table,
                ColumnDef::new(Machines::OwnerId).string_len(36).null().to_owned(),
            ))
            .await?;
        manager
            .alter_table(add(
                WorkflowRuns::Table,
                ColumnDef::new(WorkflowRuns::CreatedById)
                    .string_len(36)
                    .null()
                    .to_owned(),
            ))
            .await?;
        manager
            .alter_table(add(
                AuditLogs::Table,
                ColumnDef::new(AuditLogs::Source)
                    .string_len(16)
                    .not_null()
                    .default("api")
                    .to_owned(),
            ))
            .await?;

        let db = manager.get_connection();
        // Owners were usernames; the account that had the name then owns it now.
        db.execute_unprepared(
            "UPDATE clusters SET owner_id = (SELECT id FROM users WHERE users.username = clusters.created_by)",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE workflow_runs SET created_by_id = (SELECT id FROM users WHERE users.username = workflow_runs.created_by)",
        )
        .await?;
        // One account per name whatever its case ("Admin" is not a second "admin").
        db.execute_unprepared("CREATE UNIQUE INDEX idx_users_username_lower ON users (lower(username))")
            .await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m20261126_000008 cannot be reverted: revoked sessions would become valid again".into(),
        ))
    }
}
