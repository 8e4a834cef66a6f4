use sea_orm::entity::prelude::*;

/// A restore of a backup into a cluster. `details` is JSON: what each part
/// and member went through.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "restores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub backup_id: Option<String>,
    pub cluster_id: Option<String>,
    pub name: String,
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub error_message: Option<String>,
    pub workflow_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub details: String,
    /// JSON: the parts restored, filters, namespace mappings, existing-object policy.
    #[sea_orm(column_type = "Text")]
    pub options: String,
    pub created_by: Option<String>,
    pub created_by_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
