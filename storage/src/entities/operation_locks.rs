use sea_orm::entity::prelude::*;

/// A subject (`cluster:{id}`, `machine:{id}`) held by a run: one mutating
/// operation at a time. Written with the run, released with its final status.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "operation_locks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    pub run_id: String,
    pub kind: String,
    pub acquired_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
