//! Accounts.

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::entities::users::{self, ActiveModel, Column, Entity, Model};
use crate::error::conflict_on_unique;
use crate::pagination::page_of;
use crate::words::stored_words;
use crate::{Page, PageRequest, Result, new_id};

stored_words! {
    /// What an account may do: `viewer` reads, `user` works on the shared
    /// inventory (the seed's role), `admin` also manages accounts and the audit trail.
    pub enum Role {
        Admin = "admin",
        User = "user",
        Viewer = "viewer",
    }
}

impl Model {
    /// The account's role; an unknown word grants the least (viewer).
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Viewer)
    }
}

/// Fields of a new account; the password is already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub email: Option<String>,
    pub password_hash: String,
    pub role: Role,
}

/// Inserts an account; a taken username is [`crate::StorageError::Conflict`].
pub async fn create(db: &impl ConnectionTrait, new: NewUser) -> Result<Model> {
    let now = Utc::now();
    let row = ActiveModel {
        id: Set(new_id()),
        username: Set(new.username),
        email: Set(new.email),
        password_hash: Set(new.password_hash),
        role: Set(new.role.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    };
    row.insert(db).await.map_err(|e| conflict_on_unique(e, "username"))
}

pub async fn find_by_id(db: &impl ConnectionTrait, id: &str) -> Result<Option<Model>> {
    Ok(Entity::find_by_id(id.to_owned()).one(db).await?)
}

/// The account named `username`, whatever the case of either.
pub async fn find_by_username(db: &impl ConnectionTrait, username: &str) -> Result<Option<Model>> {
    let lowered = Expr::expr(Func::lower(Expr::col(Column::Username)));
    Ok(Entity::find()
        .filter(lowered.eq(username.to_lowercase()))
        .one(db)
        .await?)
}

/// Accounts ordered by creation, oldest first.
pub async fn list(db: &impl ConnectionTrait, page: PageRequest) -> Result<Page<Model>> {
    page_of::<Entity>(db, Condition::all(), &[(Column::Id, Order::Asc)], page).await
}

/// Number of accounts with the admin role.
pub async fn count_admins(db: &impl ConnectionTrait) -> Result<u64> {
    Ok(Entity::find()
        .filter(Column::Role.eq(Role::Admin.as_str()))
        .count(db)
        .await?)
}

/// Locks the admins' rows until the transaction ends, in id order. Every
/// transaction that may add or remove an admin takes this lock first, so they
/// run one after another (on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already
/// serialises them). Count after locking: rows promoted by a transaction that
/// committed while this one waited are not locked, but a fresh count sees them.
pub async fn lock_admins(db: &impl ConnectionTrait) -> Result<()> {
    Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::Role.eq(Role::Admin.as_str()))
        .order_by_asc(Column::Id)
        .lock_exclusive()
        .into_tuple::<String>()
        .all(db)
        .await?;
    Ok(())
}

/// The account, its row locked until the transaction ends.
pub async fn find_for_update(db: &impl ConnectionTrait, id: &str) -> Result<Option<Model>> {
    Ok(Entity::find_by_id(id.to_owned()).lock_exclusive().one(db).await?)
}

/// Changes to an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub email: Option<Option<String>>,
    pub role: Option<Role>,
    pub password_hash: Option<String>,
}

/// Applies `changes` to `user` and returns the stored row.
pub async fn update(db: &impl ConnectionTrait, user: Model, changes: UserChanges) -> Result<Model> {
    let mut row: ActiveModel = user.into();
    if let Some(email) = changes.email {
        row.email = Set(email);
    }
    if let Some(role) = changes.role {
        row.role = Set(role.as_str().to_owned());
    }
    if let Some(hash) = changes.password_hash {
        row.password_hash = Set(hash);
    }
    row.updated_at = Set(Utc::now());
    Ok(row.update(db).await?)
}

/// Deletes an account; its refresh tokens go with it (foreign key cascade).
pub async fn delete(db: &impl ConnectionTrait, id: &str) -> Result<bool> {
    let res = users::Entity::delete_by_id(id.to_owned()).exec(db).await?;
    Ok(res.rows_affected > 0)
}
