use sea_orm::entity::prelude::*;

/// One workflow run. `input`, `state` and `plan` are JSON text; the lease
/// columns say which worker may execute it and until when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workflow_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub kind: String,
    pub subject: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub input: String,
    #[sea_orm(column_type = "Text")]
    pub state: String,
    #[sea_orm(column_type = "Text")]
    pub plan: String,
    pub status: String,
    pub current_step: i32,
    /// Attempts made so far at `current_step`.
    pub step_attempt: i32,
    pub progress: i32,
    /// Step executions in total, retries included.
    pub attempts: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub cancel_requested: bool,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTimeUtc>,
    /// Username of whoever started the run, for display.
    pub created_by: Option<String>,
    /// Their user id: rights (logs, cancel) follow the id, not the name.
    pub created_by_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
