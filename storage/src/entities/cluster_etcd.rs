use sea_orm::entity::prelude::*;

/// Where a cluster's etcd is and how to reach it: `settings` is JSON (no
/// secrets), `ssh_password_enc` sealed, `host_keys` the SSH host keys pinned
/// per etcd host (JSON map).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cluster_etcd")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub cluster_id: String,
    #[sea_orm(column_type = "Text")]
    pub settings: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub ssh_password_enc: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub host_keys: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
