//! Refresh tokens (hashed) and revoked access-token ids.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entities::{refresh_tokens, revoked_tokens};
use crate::{Result, new_id};

/// Stores a refresh token's hash for `session_id`.
pub async fn insert_refresh(
    db: &impl ConnectionTrait,
    user_id: &str,
    session_id: &str,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<refresh_tokens::Model> {
    let row = refresh_tokens::ActiveModel {
        id: Set(new_id()),
        user_id: Set(user_id.to_owned()),
        token_hash: Set(token_hash.to_owned()),
        session_id: Set(session_id.to_owned()),
        expires_at: Set(expires_at),
        rotated_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(Utc::now()),
    };
    Ok(row.insert(db).await?)
}

pub async fn find_refresh(db: &impl ConnectionTrait, token_hash: &str) -> Result<Option<refresh_tokens::Model>> {
    Ok(refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash))
        .one(db)
        .await?)
}

/// Marks a token used. Returns false when another request used it first, so
/// two concurrent refreshes with one token cannot both succeed.
pub async fn mark_rotated(db: &impl ConnectionTrait, id: &str) -> Result<bool> {
    let res = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RotatedAt, Expr::value(Utc::now()))
        .filter(refresh_tokens::Column::Id.eq(id))
        .filter(refresh_tokens::Column::RotatedAt.is_null())
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Revokes every refresh token of one login session.
pub async fn revoke_session(db: &impl ConnectionTrait, session_id: &str) -> Result<u64> {
    let res = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_tokens::Column::SessionId.eq(session_id))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Revokes every refresh token of a user (after a password change).
pub async fn revoke_user(db: &impl ConnectionTrait, user_id: &str) -> Result<u64> {
    let res = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_tokens::Column::UserId.eq(user_id))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Records an access token's `jti` as revoked until `expires_at`.
pub async fn revoke_jti(db: &impl ConnectionTrait, jti: &str, expires_at: DateTime<Utc>) -> Result<()> {
    let row = revoked_tokens::ActiveModel {
        jti: Set(jti.to_owned()),
        expires_at: Set(expires_at),
        revoked_at: Set(Utc::now()),
    };
    revoked_tokens::Entity::insert(row)
        .on_conflict(OnConflict::column(revoked_tokens::Column::Jti).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn is_jti_revoked(db: &impl ConnectionTrait, jti: &str) -> Result<bool> {
    Ok(revoked_tokens::Entity::find_by_id(jti.to_owned())
        .one(db)
        .await?
        .is_some())
}

/// Drops rows that can no longer matter: expired revocations and refresh tokens.
pub async fn purge_expired(db: &impl ConnectionTrait) -> Result<u64> {
    let now = Utc::now();
    let a = revoked_tokens::Entity::delete_many()
        .filter(revoked_tokens::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    let b = refresh_tokens::Entity::delete_many()
        .filter(refresh_tokens::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    Ok(a.rows_affected + b.rows_affected)
}
