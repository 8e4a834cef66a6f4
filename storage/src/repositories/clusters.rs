//! Registered clusters.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, Order, QueryFilter, QueryOrder,
    Set,
};

use crate::entities::clusters::{ActiveModel, Column, Entity, Model};
use crate::error::conflict_on_unique;
use crate::pagination::page_of;
use crate::words::stored_words;
use crate::{Page, PageRequest, Result};

stored_words! {
    /// Where a cluster stands (the seed's words).
    pub enum ClusterStatus {
        Pending = "pending",
        Creating = "creating",
        Running = "running",
        Healthy = "healthy",
        Unhealthy = "unhealthy",
        Unreachable = "unreachable",
        Deleting = "deleting",
    }
}

impl Model {
    /// The cluster's status; an unknown word reads as unreachable.
    pub fn cluster_status(&self) -> ClusterStatus {
        self.status.parse().unwrap_or(ClusterStatus::Unreachable)
    }
}

/// A cluster to register; a kubeconfig, when given, is already sealed for row `id`.
#[derive(Debug, Clone, Default)]
pub struct NewCluster {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub provider: Option<String>,
    pub region: Option<String>,
    pub version: Option<String>,
    pub node_count: i32,
    pub created_by: Option<String>,
    pub owner_id: Option<String>,
    pub allow_insecure: bool,
    pub kubeconfig_enc: Option<String>,
    pub api_server: Option<String>,
    /// Where it starts; `pending` when not said (`creating` for clusters Taichu makes).
    pub status: Option<ClusterStatus>,
}

pub async fn create(db: &impl ConnectionTrait, new: NewCluster) -> Result<Model> {
    let now = Utc::now();
    let row = ActiveModel {
        id: Set(new.id),
        name: Set(new.name),
        description: Set(new.description),
        provider: Set(new.provider),
        region: Set(new.region),
        version: Set(new.version),
        node_count: Set(new.node_count),
        status: Set(new.status.unwrap_or(ClusterStatus::Pending).as_str().to_owned()),
        status_message: Set(None),
        api_server: Set(new.api_server),
        kubeconfig_enc: Set(new.kubeconfig_enc),
        created_by: Set(new.created_by),
        owner_id: Set(new.owner_id),
        allow_insecure: Set(new.allow_insecure),
        control_plane_machine_id: Set(None),
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
    pub status: Option<ClusterStatus>,
    pub provider: Option<String>,
    /// Part of the name, taken literally (`%` and `_` match themselves).
    pub search: Option<String>,
}

/// `%text%` with LIKE's wildcards escaped, so user text matches only itself.
fn contains_literally(text: &str) -> LikeExpr {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    LikeExpr::new(pattern).escape('\\')
}

/// Names that contain `text`. PostgreSQL's planner finds the trigram index
/// for the `LIKE` by itself; SQLite is pointed at its FTS5 trigram table,
/// which can only look up three characters or more. The `LIKE` decides in
/// every case, so the index only narrows what is read.
fn name_contains(backend: DbBackend, text: &str) -> Condition {
    let like = Expr::col(Column::Name).like(contains_literally(text));
    let mut cond = Condition::all().add(like);
    if backend == DbBackend::Sqlite && text.chars().count() >= 3 {
        // An FTS5 string: only `"` is special inside one, written twice.
        let phrase = format!("\"{}\"", text.replace('"', "\"\""));
        cond = cond.add(Expr::cust_with_values(
            "rowid IN (SELECT rowid FROM clusters_name_trigrams WHERE clusters_name_trigrams MATCH ?)",
            [phrase],
        ));
    }
    cond
}

/// Oldest first.
pub async fn list(db: &impl ConnectionTrait, filter: ClusterFilter, page: PageRequest) -> Result<Page<Model>> {
    let mut cond = Condition::all();
    if let Some(v) = filter.status {
        cond = cond.add(Column::Status.eq(v.as_str()));
    }
    if let Some(v) = filter.provider {
        cond = cond.add(Column::Provider.eq(v));
    }
    if let Some(v) = filter.search {
        cond = cond.add(name_contains(db.get_database_backend(), &v));
    }
    page_of::<Entity>(db, cond, &[(Column::Id, Order::Asc)], page).await
}

/// Merges SQLite's trigram index of cluster names into one segment. Each
/// write adds a segment and every search reads them all: 10,000 names added
/// one by one made a search read about 20 segments and cost eight times what
/// it costs after this. PostgreSQL's index needs nothing (its inserts go
/// straight into it).
pub async fn tidy_search_index(db: &impl ConnectionTrait) -> Result<()> {
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("INSERT INTO clusters_name_trigrams (clusters_name_trigrams) VALUES ('optimize')")
            .await?;
    }
    Ok(())
}

/// Every cluster, oldest first (for the topology view).
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<Model>> {
    Ok(Entity::find().order_by_asc(Column::Id).all(db).await?)
}

/// Removes the cluster's records; the machines it used are freed by their
/// key (`ON DELETE SET NULL`). The cluster itself is never touched.
pub async fn delete(db: &impl ConnectionTrait, id: &str) -> Result<bool> {
    // Audit rows stay: the trail outlives what it describes.
    Ok(Entity::delete_by_id(id.to_owned()).exec(db).await?.rows_affected > 0)
}

/// Records a finished import: the version and node count read from the cluster.
pub async fn record_import(
    db: &impl ConnectionTrait,
    id: &str,
    version: Option<String>,
    node_count: i32,
) -> Result<()> {
    let now = Utc::now();
    Entity::update_many()
        .col_expr(Column::Version, Expr::value(version))
        .col_expr(Column::NodeCount, Expr::value(node_count))
        .col_expr(Column::Status, Expr::value(ClusterStatus::Healthy.as_str()))
        .col_expr(Column::StatusMessage, Expr::value("imported"))
        .col_expr(Column::LastSeenAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Names the registered machine that is one of the cluster's control planes.
pub async fn set_control_plane_machine(db: &impl ConnectionTrait, id: &str, machine_id: &str) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::ControlPlaneMachineId, Expr::value(machine_id))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Stores a kubeconfig (sealed for this row) and the API server it reaches.
pub async fn store_kubeconfig(db: &impl ConnectionTrait, id: &str, sealed: &str, api_server: &str) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::KubeconfigEnc, Expr::value(sealed))
        .col_expr(Column::ApiServer, Expr::value(api_server))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a health check that reached the cluster.
pub async fn record_health(
    db: &impl ConnectionTrait,
    id: &str,
    healthy: bool,
    message: &str,
    node_count: i32,
) -> Result<()> {
    let now = Utc::now();
    let to = if healthy {
        ClusterStatus::Healthy
    } else {
        ClusterStatus::Unhealthy
    };
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(to.as_str()))
        .col_expr(Column::StatusMessage, Expr::value(message))
        .col_expr(Column::NodeCount, Expr::value(node_count))
        .col_expr(Column::LastSeenAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records that the cluster did not answer, and why.
pub async fn mark_unreachable(db: &impl ConnectionTrait, id: &str, reason: &str) -> Result<()> {
    Entity::update_many()
        .col_expr(Column::Status, Expr::value(ClusterStatus::Unreachable.as_str()))
        .col_expr(Column::StatusMessage, Expr::value(reason))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
