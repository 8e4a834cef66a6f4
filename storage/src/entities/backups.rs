use sea_orm::entity::prelude::*;

/// A backup: what was stored where, with what checksum, by whom. `parts` is
/// JSON (one entry per part: etcd, resources); `settings` the etcd settings
/// it used, without secrets; `ssh_password_enc` a password given inline; `data_key_enc` the
/// key its archives are encrypted with.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "backups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub cluster_id: Option<String>,
    pub cluster_name: String,
    pub name: String,
    pub backup_type: String,
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub error_message: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub storage_location: String,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub etcd_revision: Option<i64>,
    pub etcd_version: Option<String>,
    pub key_count: Option<i64>,
    pub retention_days: i32,
    pub expires_at: Option<DateTimeUtc>,
    pub workflow_id: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub settings: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub ssh_password_enc: Option<String>,
    /// The archive's data key, sealed with the master key (also in the manifest).
    #[sea_orm(column_type = "Text", nullable)]
    pub data_key_enc: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub parts: String,
    /// JSON: the filters a resource backup was taken with.
    #[sea_orm(column_type = "Text", nullable)]
    pub filters: Option<String>,
    /// JSON: the types a resource backup took and how many of each.
    #[sea_orm(column_type = "Text", nullable)]
    pub contents: Option<String>,
    /// The schedule that fired it, if one did.
    pub schedule_id: Option<String>,
    /// The cluster it was taken from (its objects' prefix), kept after the cluster goes.
    pub origin_cluster_id: Option<String>,
    pub created_by: Option<String>,
    pub created_by_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
