use sea_orm::entity::prelude::*;

/// Where one machine is in one step of a run (`running`, `done`, `failed`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "run_hosts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub run_id: String,
    pub machine_id: String,
    pub step: String,
    pub status: String,
    /// What the host's work said last: a failure's reason, or why it was skipped.
    #[sea_orm(column_type = "Text", nullable)]
    pub detail: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
