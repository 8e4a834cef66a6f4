//! Registered clusters.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set,
};

use crate::entities::clusters::{ActiveModel, Column, Entity, Model};
use crate::entities::machines;
use crate::error::conflict_on_unique;
use crate::{Page, PageRequest, Result, new_id};

/// Cluster statuses as stored (the seed's words).
pub mod status {
    pub const PENDING: &str = "pending";
    pub const CREATING: &str = "creating";
    pub const RUNNING: &str = "running";
    pub const HEALTHY: &str = "healthy";
    pub const UNHEALTHY: &str = "unhealthy";
    pub const UNREACHABLE: &str = "unreachable";
    pub const DELETING: &str = "deleting";
}

/// A cluster to register.
#[derive(Debug, Clone, Default)]
pub struct NewCluster {
    pub name: String,
    pub description: Option<String>,
    pub provider: Option<String>,
    pub region: Option<String>,
    pub version: Option<String>,
    pub node_count: i32,
    pub created_by: Option<String>,
}

pub async fn create(db: &impl ConnectionTrait, new: NewCluster) -> Result<Model> {
    let now = Utc::now();
    let row = ActiveModel {
        id: Set(new_id()),
        name: Set(new.name),
        description: Set(new.description),
        provider: Set(new.provider),
        region: Set(new.region),
        version: Set(new.version),
        node_count: Set(new.node_count),
        status: Set(status::PENDING.to_owned()),
        status_message: Set(None),
        api_server: Set(None),
        kubeconfig_enc: Set(None),
        created_by: Set(new.created_by),
        last_seen_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    row.insert(db).await.map_err(|e| conflict_on_unique(e, "cluster name"))
}

pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<Option<Model>> {
    Ok(Entity::find_by_id(id.to_owned()).one(db).await?)
}

/// Filters for listing clusters.
#[derive(Debug, Clone, Default)]
pub struct ClusterFilter {
    pub status: Option<String>,
    pub provider: Option<String>,
    /// Part of the name.
    pub search: Option<String>,
}

/// Oldest first.
pub async fn list(db: &impl ConnectionTrait, filter: ClusterFilter, page: PageRequest) -> Result<Page<Model>> {
    let mut cond = Condition::all();
    if let Some(v) = filter.status {
        cond = cond.add(Column::Status.eq(v));
    }
    if let Some(v) = filter.provider {
        cond = cond.add(Column::Provider.eq(v));
    }
    if let Some(v) = filter.search {
        cond = cond.add(Column::Name.contains(v));
    }
    let paginator = Entity::find()
        .filter(cond)
        .order_by_asc(Column::Id)
        .paginate(db, page.limit);
    let total = paginator.num_items().await?;
    let items = paginator.fetch_page(page.index()).await?;
    Ok(Page { items, total })
}

/// Every cluster, oldest first (for the topology view).
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<Model>> {
    Ok(Entity::find().order_by_asc(Column::Id).all(db).await?)
}

/// Removes the cluster's records; machines it used become free again
/// (`pending`, to be checked). The cluster itself is never touched.
pub async fn delete(db: &impl ConnectionTrait, id: &str) -> Result<bool> {
    machines::Entity::update_many()
        .col_expr(machines::Column::ClusterId, Expr::value(Option::<String>::None))
        .col_expr(
            machines::Column::Status,
            Expr::value(crate::repositories::machines::status::PENDING),
        )
        .filter(machines::Column::ClusterId.eq(id))
        .exec(db)
        .await?;
    // Audit rows stay: the trail outlives what it describes.
    Ok(Entity::delete_by_id(id.to_owned()).exec(db).await?.rows_affected > 0)
}

/// Saves a changed row, stamping `updated_at`.
pub async fn save(db: &impl ConnectionTrait, mut row: ActiveModel) -> Result<Model> {
    row.updated_at = Set(Utc::now());
    row.update(db).await.map_err(|e| conflict_on_unique(e, "cluster name"))
}

/// Registers a cluster being imported: its encrypted kubeconfig and API server.
pub async fn create_imported(
    db: &impl ConnectionTrait,
    new: NewCluster,
    kubeconfig_enc: String,
    api_server: String,
) -> Result<Model> {
    let created = create(db, new).await?;
    let mut row: ActiveModel = created.into();
    row.kubeconfig_enc = Set(Some(kubeconfig_enc));
    row.api_server = Set(Some(api_server));
    save(db, row).await
}
