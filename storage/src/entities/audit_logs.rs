use sea_orm::entity::prelude::*;

/// One audited request. `user_id`/`username` come from the verified token only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_logs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub cluster_id: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub details: Option<String>,
    pub result: String,
    pub status_code: i32,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
    pub timestamp: DateTimeUtc,
    /// `api` (the audit middleware), `client` (`POST /audit`) or `system` (workers).
    pub source: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
