//! The totals and searches of the big lists come from counter rows and
//! trigram indexes kept by triggers; they must say exactly what a full count
//! and a full scan say, through every kind of write, on SQLite and on
//! PostgreSQL (`TAICHU_TEST_DATABASE=postgres`).

use taichu_migrations::{Migrator, MigratorTrait};
use taichu_storage::repositories::audit::{self, AuditFilter, NewAudit};
use taichu_storage::repositories::clusters::{self, ClusterFilter, NewCluster};
use taichu_storage::repositories::workflow_runs::{self as runs, NewRun, RunFilter};
use taichu_storage::sea_orm::{ConnectionTrait, Statement};
use taichu_storage::{Database, DbBackend, PageRequest, new_id};
use taichu_tests::postgres::FreshDatabase;

/// The migration before the one that adds the counters and the index.
const BEFORE_COUNTERS: u32 = 13;

/// One row per page, so no page is short enough to tell its own total.
fn first_of_many() -> PageRequest {
    PageRequest::new(Some(1), Some(1)).expect("page")
}

async fn add_cluster(db: &impl ConnectionTrait, name: &str) -> String {
    let new = NewCluster {
        id: new_id(),
        name: name.to_owned(),
        ..Default::default()
    };
    clusters::create(db, new).await.expect("cluster").id
}

async fn add_run(db: &impl ConnectionTrait) {
    runs::insert(db, NewRun::bare("canary")).await.expect("run");
}

async fn add_audit(db: &impl ConnectionTrait) {
    let new = NewAudit {
        action: "TEST".into(),
        resource_type: "test".into(),
        success: true,
        status_code: 200,
        ..Default::default()
    };
    audit::insert(db, new).await.expect("audit");
}

async fn count_rows(db: &Database, table: &str) -> u64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .expect("count")
        .expect("row");
    row.try_get::<i64>("", "n").expect("n") as u64
}

/// Each list's total as the API would show it on `page`.
async fn shown_totals(db: &Database, page: PageRequest) -> [u64; 3] {
    [
        clusters::list(db, ClusterFilter::default(), page)
            .await
            .expect("clusters")
            .total,
        runs::list(db, RunFilter::default(), page).await.expect("runs").total,
        audit::list(db, AuditFilter::default(), page)
            .await
            .expect("audit")
            .total,
    ]
}

/// Asserts each list's total, on its first page and on a page past its
/// end, is `COUNT(*)`; returns the clusters'.
async fn assert_exact(db: &Database, when: &str) -> u64 {
    let tables = ["clusters", "workflow_runs", "audit_logs"];
    let past_the_end = PageRequest::new(Some(100_000), Some(1)).expect("page");
    let (first, past) = (
        shown_totals(db, first_of_many()).await,
        shown_totals(db, past_the_end).await,
    );
    for (i, table) in tables.iter().enumerate() {
        let counted = count_rows(db, table).await;
        assert_eq!(first[i], counted, "{table} {when}");
        assert_eq!(past[i], counted, "{table} {when}, past the last page");
    }
    first[0]
}

#[tokio::test(flavor = "multi_thread")]
async fn totals_stay_exact_through_inserts_deletes_rollbacks_and_concurrent_writers() {
    let fresh = FreshDatabase::create();
    let db = taichu_storage::connect(&fresh.url).await.expect("connect");
    // Rows written before the counters existed are counted by the migration.
    Migrator::up(&db, Some(BEFORE_COUNTERS)).await.expect("old schema");
    for i in 0..25 {
        add_cluster(&db, &format!("before-{i}")).await;
        add_run(&db).await;
    }
    for _ in 0..7 {
        add_audit(&db).await;
    }
    Migrator::up(&db, None).await.expect("migrate");
    assert_eq!(assert_exact(&db, "after the migration").await, 25);

    // Concurrent writers (16 connections on PostgreSQL land on different counter slots).
    let mut writers = Vec::new();
    for w in 0..8 {
        let db = db.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..10 {
                let txn = taichu_storage::db::begin_write(&db).await.expect("begin");
                let id = add_cluster(&txn, &format!("w{w}-{i}")).await;
                add_run(&txn).await;
                add_audit(&txn).await;
                if i % 3 == 0 {
                    clusters::delete(&txn, &id).await.expect("delete");
                }
                txn.commit().await.expect("commit");
            }
        }));
    }
    for writer in writers {
        writer.await.expect("writer");
    }
    assert_eq!(assert_exact(&db, "after concurrent writers").await, 25 + 8 * 10 - 8 * 4);

    // A rolled-back insert and delete leave the total as it was.
    let txn = taichu_storage::db::begin_write(&db).await.expect("begin");
    add_cluster(&txn, "rolled-back").await;
    clusters::delete(&txn, &add_cluster(&txn, "gone-too").await)
        .await
        .expect("delete");
    txn.rollback().await.expect("rollback");
    // One statement deleting many rows.
    db.execute_unprepared("DELETE FROM clusters WHERE name LIKE 'before-1%'")
        .await
        .expect("bulk delete");
    assert_eq!(assert_exact(&db, "after a rollback and a bulk delete").await, 73 - 11);

    // Down and up again: the counters start over from the rows.
    Migrator::down(&db, Some(1)).await.expect("down");
    add_cluster(&db, "while-uncounted").await;
    Migrator::up(&db, None).await.expect("up again");
    assert_eq!(assert_exact(&db, "after down and up").await, 63);
}

/// Whether the database's `LIKE` (ASCII case-insensitive on SQLite,
/// case-sensitive on PostgreSQL) finds `text` in `name`.
fn like_finds(backend: DbBackend, name: &str, text: &str) -> bool {
    match backend {
        DbBackend::Postgres => name.contains(text),
        _ => name.to_ascii_lowercase().contains(&text.to_ascii_lowercase()),
    }
}

async fn search(db: &Database, text: &str) -> (Vec<String>, u64) {
    let mut names = Vec::new();
    let mut total = 0;
    for page in 1.. {
        let filter = ClusterFilter {
            search: Some(text.to_owned()),
            ..Default::default()
        };
        let found = clusters::list(db, filter, PageRequest::new(Some(page), Some(3)).expect("page"))
            .await
            .unwrap_or_else(|e| panic!("search {text:?}: {e}"));
        total = found.total;
        if found.items.is_empty() {
            break;
        }
        names.extend(found.items.into_iter().map(|c| c.name));
    }
    (names, total)
}

#[tokio::test(flavor = "multi_thread")]
async fn searches_find_exactly_what_a_full_scan_finds() {
    let fresh = FreshDatabase::create();
    let db = taichu_storage::connect(&fresh.url).await.expect("connect");
    taichu_storage::db::migrate(&db).await.expect("migrate");
    let backend = db.get_database_backend();
    let mut names: Vec<String> = [
        "prod-east",
        "prod-west",
        "PROD-north",
        "staging_1",
        "staging-1",
        "a_b",
        "axb",
        "lab.v1",
        "lab-v1",
        "x",
        "ab",
        "abc",
        "zabcz",
        "cn-north-1-prod",
        "Ünïcode-ÄB",
        "北京市-prod",
    ]
    .map(str::to_owned)
    .to_vec();
    names.extend((0..40).map(|i| format!("fleet-{i:03}")));
    // (id, name), in id order.
    let mut rows = Vec::new();
    for name in names {
        rows.push((add_cluster(&db, &name).await, name));
    }
    rows.sort();
    // A rename and a delete must reach the index too.
    db.execute_unprepared("UPDATE clusters SET name = 'renamed-west' WHERE name = 'prod-west'")
        .await
        .expect("rename");
    let gone = rows.iter().position(|(_, n)| n == "zabcz").expect("zabcz");
    clusters::delete(&db, &rows.remove(gone).0).await.expect("delete");
    for (_, name) in rows.iter_mut().filter(|(_, n)| n == "prod-west") {
        *name = "renamed-west".into();
    }

    let texts = [
        "prod",
        "PROD",
        "od-e",
        "west",
        "prod-west",
        "renamed",
        "_",
        "a_b",
        "g_1",
        ".",
        "lab.",
        "-",
        "x",
        "ab",
        "abc",
        "zab",
        "%",
        "\\",
        "a\"b",
        "\"",
        "fleet-0",
        "fleet-03",
        "leet",
        "nothing-like-this",
        "北京",
        "北京市",
        "ÄB",
        "äb",
        "ïcode",
    ];
    for text in texts {
        let expected: Vec<String> = rows
            .iter()
            .filter(|(_, n)| like_finds(backend, n, text))
            .map(|(_, n)| n.clone())
            .collect();
        let (found, total) = search(&db, text).await;
        assert_eq!(found, expected, "search {text:?} on {backend:?}");
        assert_eq!(total, expected.len() as u64, "total of search {text:?}");
    }
    if backend == DbBackend::Sqlite {
        // FTS5 compares its index with the clusters table itself.
        db.execute_unprepared(
            "INSERT INTO clusters_name_trigrams (clusters_name_trigrams, rank) VALUES ('integrity-check', 1)",
        )
        .await
        .expect("the trigram index agrees with the clusters table");
    }
}
