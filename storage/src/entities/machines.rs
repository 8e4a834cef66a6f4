use sea_orm::entity::prelude::*;

/// A host Taichu can reach over SSH. `*_enc` columns hold secrets encrypted
/// with the master key; `labels` is a JSON object.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "machines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub name: String,
    pub ip: String,
    pub port: i32,
    pub username: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub password_enc: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub private_key_enc: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub passphrase_enc: Option<String>,
    pub role: String,
    #[sea_orm(column_type = "Text")]
    pub labels: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub status_message: Option<String>,
    pub last_check_at: Option<DateTimeUtc>,
    pub host_key_fingerprint: Option<String>,
    pub hostname: Option<String>,
    pub os: Option<String>,
    pub kernel: Option<String>,
    pub arch: Option<String>,
    pub cpu_cores: Option<i32>,
    pub memory_bytes: Option<i64>,
    pub cluster_id: Option<String>,
    /// The owning user's id.
    pub owner_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
