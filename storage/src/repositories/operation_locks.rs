//! Operation locks: which run holds a cluster or a machine.
//!
//! Locks are inserted in the transaction that creates the run, in one order
//! (so two starters never wait on each other in a cycle), with "do nothing on
//! conflict": a starter that finds a subject held learns who holds it, and its
//! transaction is still usable to answer with that.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::Result;
use crate::entities::operation_locks::{ActiveModel, Column, Entity, Model};

/// Takes every subject in `subjects` for `run_id`, or none: `Err(holder)`
/// names the first subject already held and the run holding it (the caller
/// rolls its transaction back).
pub async fn acquire(
    db: &impl ConnectionTrait,
    subjects: &[String],
    run_id: &str,
    kind: &str,
) -> Result<std::result::Result<(), Model>> {
    let mut sorted: Vec<&String> = subjects.iter().collect();
    sorted.sort();
    sorted.dedup();
    for subject in sorted {
        let row = ActiveModel {
            subject: Set(subject.clone()),
            run_id: Set(run_id.to_owned()),
            kind: Set(kind.to_owned()),
            acquired_at: Set(Utc::now()),
        };
        let inserted = Entity::insert(row)
            .on_conflict(OnConflict::column(Column::Subject).do_nothing().to_owned())
            .exec_without_returning(db)
            .await?;
        if inserted == 0 {
            let holder = Entity::find_by_id(subject.clone()).one(db).await?;
            // Released between the insert and the read: report it held all the same.
            let holder = holder.unwrap_or(Model {
                subject: subject.clone(),
                run_id: String::new(),
                kind: String::new(),
                acquired_at: Utc::now(),
            });
            return Ok(Err(holder));
        }
    }
    Ok(Ok(()))
}

/// Releases `subjects` (held for the length of a transaction, by a deletion).
pub async fn release_subjects(db: &impl ConnectionTrait, subjects: &[String]) -> Result<u64> {
    let res = Entity::delete_many()
        .filter(Column::Subject.is_in(subjects.iter().cloned()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Releases every lock `run_id` holds.
pub async fn release_run(db: &impl ConnectionTrait, run_id: &str) -> Result<u64> {
    let res = Entity::delete_many().filter(Column::RunId.eq(run_id)).exec(db).await?;
    Ok(res.rows_affected)
}

/// Who holds `subject`, if anyone.
pub async fn holder(db: &impl ConnectionTrait, subject: &str) -> Result<Option<Model>> {
    Ok(Entity::find_by_id(subject.to_owned()).one(db).await?)
}

/// Every lock `run_id` holds.
pub async fn held_by(db: &impl ConnectionTrait, run_id: &str) -> Result<Vec<Model>> {
    Ok(Entity::find().filter(Column::RunId.eq(run_id)).all(db).await?)
}
