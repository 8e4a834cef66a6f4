use sea_orm::entity::prelude::*;

/// A backup schedule of a cluster. `settings` is the etcd settings (JSON,
/// no secrets), `filters` the resource filters (JSON); the SSH password is
/// sealed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "backup_schedules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub cluster_id: String,
    pub name: String,
    pub cron_expr: String,
    pub timezone: String,
    pub backup_type: String,
    pub retention_days: i32,
    pub retention_count: Option<i32>,
    pub enabled: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub settings: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub ssh_password_enc: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub filters: Option<String>,
    pub next_run_at: Option<DateTimeUtc>,
    pub last_run_at: Option<DateTimeUtc>,
    pub last_backup_id: Option<String>,
    pub last_status: Option<String>,
    pub created_by: Option<String>,
    pub created_by_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
