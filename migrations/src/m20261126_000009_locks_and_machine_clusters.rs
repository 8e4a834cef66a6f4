//! Operation locks (one mutating operation per cluster or machine, taken in
//! the transaction that starts the run and released with its final status;
//! a deletion holds its subject for the length of its own transaction, so
//! `run_id` is not a key of `workflow_runs`),
//! and the missing key `machines.cluster_id → clusters.id`: deleting a cluster
//! frees its machines by the key, not by hand. Whether a machine is in use is
//! now that key alone; the stored status keeps what its checks found.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::shapes::{index, ts, ts_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OperationLocks {
    Table,
    Subject,
    RunId,
    Kind,
    AcquiredAt,
}

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
}

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
    OwnerId,
    CreatedAt,
    UpdatedAt,
}

const MACHINE_COLUMNS: &str = "id, name, ip, port, username, password_enc, private_key_enc, passphrase_enc, role, labels, \
     description, status, status_message, last_check_at, host_key_fingerprint, hostname, os, kernel, arch, cpu_cores, \
     memory_bytes, cluster_id, owner_id, created_at, updated_at";

fn cluster_key() -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name("fk_machines_cluster")
        .from(Machines::Table, Machines::ClusterId)
        .to(Clusters::Table, Clusters::Id)
        .on_delete(ForeignKeyAction::SetNull)
        .to_owned()
}

/// The machines table as it is after migration 8, plus the cluster key
/// (SQLite adds a key only by rebuilding the table).
fn machines_with_key(name: &str) -> TableCreateStatement {
    Table::create()
        .table(Alias::new(name))
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
        .col(ColumnDef::new(Machines::OwnerId).string_len(36).null())
        .col(ts(Machines::CreatedAt))
        .col(ts(Machines::UpdatedAt))
        .foreign_key(&mut cluster_key())
        .to_owned()
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
                    .table(OperationLocks::Table)
                    .col(
                        ColumnDef::new(OperationLocks::Subject)
                            .string_len(128)
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(OperationLocks::RunId).string_len(36).not_null())
                    .col(ColumnDef::new(OperationLocks::Kind).string_len(64).not_null())
                    .col(ts(OperationLocks::AcquiredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_operation_locks_run",
                OperationLocks::Table,
                [OperationLocks::RunId],
            ))
            .await?;

        let db = manager.get_connection();
        // A machine is in use exactly when it names a cluster.
        db.execute_unprepared("UPDATE machines SET status = 'ready' WHERE status = 'in-use'")
            .await?;
        db.execute_unprepared(
            "UPDATE machines SET cluster_id = NULL WHERE cluster_id IS NOT NULL AND cluster_id NOT IN (SELECT id FROM clusters)",
        )
        .await?;
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                manager.create_table(machines_with_key("machines_keyed")).await?;
                db.execute_unprepared(&format!(
                    "INSERT INTO machines_keyed ({MACHINE_COLUMNS}) SELECT {MACHINE_COLUMNS} FROM machines"
                ))
                .await?;
                manager
                    .drop_table(Table::drop().table(Machines::Table).to_owned())
                    .await?;
                db.execute_unprepared("ALTER TABLE machines_keyed RENAME TO machines")
                    .await?;
                manager
                    .create_index(index("idx_machines_status", Machines::Table, [Machines::Status]))
                    .await?;
            }
            _ => manager.create_foreign_key(cluster_key()).await?,
        }
        manager
            .create_index(index("idx_machines_cluster", Machines::Table, [Machines::ClusterId]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OperationLocks::Table).to_owned())
            .await
    }
}
