//! What makes the big lists cheap to page through:
//!
//! - `row_counts`: the number of rows of each large table, kept exact by
//!   triggers in the same transaction as every insert and delete (cascaded
//!   ones too), so an unfiltered page reads its `total` from a few rows
//!   instead of counting the table. PostgreSQL counts into 16 slots per table,
//!   picked by the writing connection, so concurrent inserts do not queue on
//!   one row; the total is their sum.
//! - A trigram index on cluster names, so `?search=` finds a part of a name
//!   without reading every name: FTS5's trigram tokenizer on SQLite, pg_trgm
//!   on PostgreSQL (where the extension cannot be created, searches scan, as
//!   before, and the migration says so).
//!
//! A later migration that rebuilds one of these tables on SQLite (create,
//! copy, drop, rename) drops its triggers and must create them again.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables whose rows are counted; the storage crate reads the same list.
const COUNTED: [&str; 3] = ["clusters", "workflow_runs", "audit_logs"];
/// Counter rows per table on PostgreSQL.
const SLOTS: u32 = 16;

const CREATE_ROW_COUNTS: &str = "CREATE TABLE row_counts (\
     table_name varchar(64) NOT NULL, slot integer NOT NULL, n bigint NOT NULL, \
     PRIMARY KEY (table_name, slot))";

fn sqlite_up() -> Vec<String> {
    let mut sql = vec![CREATE_ROW_COUNTS.to_owned()];
    for table in COUNTED {
        sql.push(format!(
            "INSERT INTO row_counts (table_name, slot, n) SELECT '{table}', 0, COUNT(*) FROM {table}"
        ));
        for (event, delta) in [("insert", "+ 1"), ("delete", "- 1")] {
            sql.push(format!(
                "CREATE TRIGGER row_counts_{table}_{event} AFTER {event} ON {table} BEGIN \
                 UPDATE row_counts SET n = n {delta} WHERE table_name = '{table}' AND slot = 0; END"
            ));
        }
    }
    sql.extend(
        [
            "CREATE VIRTUAL TABLE clusters_name_trigrams USING fts5(name, content='clusters', content_rowid='rowid', tokenize='trigram')",
            "INSERT INTO clusters_name_trigrams (clusters_name_trigrams) VALUES ('rebuild')",
            "CREATE TRIGGER clusters_name_trigrams_insert AFTER INSERT ON clusters BEGIN \
             INSERT INTO clusters_name_trigrams (rowid, name) VALUES (new.rowid, new.name); END",
            "CREATE TRIGGER clusters_name_trigrams_delete AFTER DELETE ON clusters BEGIN \
             INSERT INTO clusters_name_trigrams (clusters_name_trigrams, rowid, name) VALUES ('delete', old.rowid, old.name); END",
            "CREATE TRIGGER clusters_name_trigrams_update AFTER UPDATE OF name ON clusters BEGIN \
             INSERT INTO clusters_name_trigrams (clusters_name_trigrams, rowid, name) VALUES ('delete', old.rowid, old.name); \
             INSERT INTO clusters_name_trigrams (rowid, name) VALUES (new.rowid, new.name); END",
        ]
        .map(str::to_owned),
    );
    sql
}

fn postgres_up() -> Vec<String> {
    // Writers wait while the tables are counted, so no row is missed between
    // the count and the trigger (a rolling deploy may still be writing).
    let mut sql = vec![
        format!("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE", COUNTED.join(", ")),
        CREATE_ROW_COUNTS.to_owned(),
        format!(
            "CREATE FUNCTION row_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             UPDATE row_counts SET n = n + CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END \
             WHERE table_name = TG_TABLE_NAME AND slot = pg_backend_pid() % {SLOTS}; \
             RETURN NULL; END $$"
        ),
    ];
    for table in COUNTED {
        sql.push(format!(
            "INSERT INTO row_counts (table_name, slot, n) SELECT '{table}', s, \
             CASE WHEN s = 0 THEN (SELECT COUNT(*) FROM {table}) ELSE 0 END FROM generate_series(0, {}) s",
            SLOTS - 1
        ));
        sql.push(format!(
            "CREATE TRIGGER row_counts_track AFTER INSERT OR DELETE ON {table} \
             FOR EACH ROW EXECUTE FUNCTION row_counts_track()"
        ));
    }
    sql.extend(
        [
            // A managed PostgreSQL may not offer pg_trgm: then searches scan, as before.
            // Without `fastupdate`, inserts go straight into the index: a pending list
            // is read in full by every search until a vacuum, and names change rarely.
            "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; \
             EXCEPTION WHEN OTHERS THEN RAISE WARNING 'pg_trgm is not available (%): cluster searches will read every name', SQLERRM; END $$",
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN \
             CREATE INDEX idx_clusters_name_trigrams ON clusters USING gin (name gin_trgm_ops) WITH (fastupdate = off); \
             END IF; END $$",
        ]
        .map(str::to_owned),
    );
    sql
}

fn sqlite_down() -> Vec<String> {
    let mut sql: Vec<String> = ["insert", "delete", "update"]
        .iter()
        .map(|event| format!("DROP TRIGGER clusters_name_trigrams_{event}"))
        .collect();
    sql.push("DROP TABLE clusters_name_trigrams".into());
    for table in COUNTED {
        for event in ["insert", "delete"] {
            sql.push(format!("DROP TRIGGER row_counts_{table}_{event}"));
        }
    }
    sql.push("DROP TABLE row_counts".into());
    sql
}

fn postgres_down() -> Vec<String> {
    let mut sql = vec!["DROP INDEX IF EXISTS idx_clusters_name_trigrams".to_owned()];
    sql.extend(COUNTED.map(|table| format!("DROP TRIGGER row_counts_track ON {table}")));
    sql.push("DROP FUNCTION row_counts_track()".into());
    sql.push("DROP TABLE row_counts".into());
    sql
}

async fn run(manager: &SchemaManager<'_>, statements: Vec<String>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => run(manager, postgres_up()).await,
            _ => run(manager, sqlite_up()).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => run(manager, postgres_down()).await,
            _ => run(manager, sqlite_down()).await,
        }
    }
}
