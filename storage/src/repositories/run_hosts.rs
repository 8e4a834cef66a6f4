//! Per-host step states of a run: upserted as each host's work moves.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::Result;
use crate::entities::run_hosts::{ActiveModel, Column, Entity, Model};

/// Records that `machine_id` is at `status` in `step` of `run_id`.
pub async fn record(
    db: &impl ConnectionTrait,
    run_id: &str,
    machine_id: &str,
    step: &str,
    status: HostStatus,
    detail: Option<String>,
) -> Result<()> {
    let row = ActiveModel {
        run_id: Set(run_id.to_owned()),
        machine_id: Set(machine_id.to_owned()),
        step: Set(step.to_owned()),
        status: Set(status.as_str().to_owned()),
        detail: Set(detail),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    Entity::insert(row)
        .on_conflict(
            OnConflict::columns([Column::RunId, Column::MachineId, Column::Step])
                .update_columns([Column::Status, Column::Detail, Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Every host state of `run_id`, in the order they were first recorded.
pub async fn of_run(db: &impl ConnectionTrait, run_id: &str) -> Result<Vec<Model>> {
    Ok(Entity::find()
        .filter(Column::RunId.eq(run_id))
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// Where a host is in a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostStatus {
    Running,
    Done,
    /// Already in the state the step brings it to (a resumed run).
    Skipped,
    Failed,
}

impl HostStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Done => "done",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
        }
    }
}
