//! The audit trail.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, Order, Set};

use crate::entities::audit_logs::{ActiveModel, Column, Entity, Model};
use crate::pagination::page_of;
use crate::words::stored_words;
use crate::{Page, PageRequest, Result, new_id};

stored_words! {
    /// Who wrote an audit row.
    #[derive(Default)]
    pub enum Source {
        /// The audit middleware, describing a request it saw.
        #[default]
        Api = "api",
        /// A client, through `POST /audit`: its own claim, under its own name.
        Client = "client",
        /// Taichu itself (throttling, retention).
        System = "system",
    }
}

/// An audit row to record.
#[derive(Debug, Clone, Default)]
pub struct NewAudit {
    pub source: Source,
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub cluster_id: Option<String>,
    pub details: Option<String>,
    pub success: bool,
    pub status_code: u16,
    pub client_addr: Option<String>,
    pub user_agent: Option<String>,
}

pub async fn insert(db: &impl ConnectionTrait, new: NewAudit) -> Result<Model> {
    let row = ActiveModel {
        id: Set(new_id()),
        user_id: Set(new.user_id),
        username: Set(new.username),
        action: Set(new.action),
        resource_type: Set(new.resource_type),
        resource_id: Set(new.resource_id),
        cluster_id: Set(new.cluster_id),
        details: Set(new.details),
        result: Set(if new.success { "success" } else { "failure" }.to_owned()),
        status_code: Set(i32::from(new.status_code)),
        client_addr: Set(new.client_addr),
        user_agent: Set(new.user_agent),
        timestamp: Set(Utc::now()),
        source: Set(new.source.as_str().to_owned()),
    };
    Ok(row.insert(db).await?)
}

/// Filters for listing audit rows; all optional and combined with AND.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub username: Option<String>,
    pub action: Option<String>,
    pub resource_type: Option<String>,
    pub cluster_id: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Newest first.
pub async fn list(db: &impl ConnectionTrait, filter: AuditFilter, page: PageRequest) -> Result<Page<Model>> {
    let mut cond = Condition::all();
    if let Some(v) = filter.username {
        cond = cond.add(Column::Username.eq(v));
    }
    if let Some(v) = filter.action {
        cond = cond.add(Column::Action.eq(v));
    }
    if let Some(v) = filter.resource_type {
        cond = cond.add(Column::ResourceType.eq(v));
    }
    if let Some(v) = filter.cluster_id {
        cond = cond.add(Column::ClusterId.eq(v));
    }
    if let Some(v) = filter.since {
        cond = cond.add(Column::Timestamp.gte(v));
    }
    if let Some(v) = filter.until {
        cond = cond.add(Column::Timestamp.lte(v));
    }
    page_of::<Entity>(
        db,
        cond,
        &[(Column::Timestamp, Order::Desc), (Column::Id, Order::Desc)],
        page,
    )
    .await
}
