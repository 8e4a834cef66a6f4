use sea_orm::entity::prelude::*;

/// A cluster Taichu manages. `kubeconfig_enc` is encrypted with the master key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clusters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(unique)]
    pub name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    pub provider: Option<String>,
    pub region: Option<String>,
    pub version: Option<String>,
    pub node_count: i32,
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub status_message: Option<String>,
    pub api_server: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub kubeconfig_enc: Option<String>,
    /// The seed's `created_by`: the creator's username, for display.
    pub created_by: Option<String>,
    /// The owning user's id: owners, not names, hold rights.
    pub owner_id: Option<String>,
    /// Whether an admin allowed `insecure-skip-tls-verify` or plain `http` for this cluster.
    pub allow_insecure: bool,
    /// For an imported cluster: the registered machine that is one of its
    /// control planes (expansion asks it for join tokens).
    pub control_plane_machine_id: Option<String>,
    pub last_seen_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
