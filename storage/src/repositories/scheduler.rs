//! Once-per-tick claims for periodic jobs across worker replicas.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::Result;
use crate::entities::scheduler_ticks::{ActiveModel, Column, Entity};

/// Claims `tick` of `job` for `owner`; false when another replica already did.
pub async fn claim(db: &impl ConnectionTrait, job: &str, tick: i64, owner: &str) -> Result<bool> {
    let row = ActiveModel {
        job: Set(job.to_owned()),
        tick: Set(tick),
        claimed_by: Set(owner.to_owned()),
        claimed_at: Set(Utc::now()),
    };
    let inserted = Entity::insert(row)
        .on_conflict(OnConflict::columns([Column::Job, Column::Tick]).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(inserted == 1)
}

/// Forgets claims older than `keep_after` (ticks are only compared with recent ones).
pub async fn forget_before(db: &impl ConnectionTrait, job: &str, keep_after: i64) -> Result<()> {
    Entity::delete_many()
        .filter(Column::Job.eq(job))
        .filter(Column::Tick.lt(keep_after))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_tick_is_claimed_once() {
        let db = crate::connect("sqlite::memory:").await.expect("db");
        crate::db::migrate(&db).await.expect("migrate");
        assert!(claim(&db, "health", 7, "a").await.expect("claim"));
        assert!(
            !claim(&db, "health", 7, "b").await.expect("claim"),
            "the second replica skips"
        );
        assert!(claim(&db, "health", 8, "b").await.expect("claim"));
        forget_before(&db, "health", 8).await.expect("forget");
        assert!(
            claim(&db, "health", 7, "c").await.expect("claim"),
            "forgotten ticks are gone"
        );
    }
}
