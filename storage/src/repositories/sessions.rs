//! Login sessions and their refresh tokens (kept only as SHA-256).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entities::{refresh_tokens, sessions, users};
use crate::{Result, new_id};

/// Opens session `id` for `user_id`, ending at `expires_at` at the latest.
pub async fn open(
    db: &impl ConnectionTrait,
    id: &str,
    user_id: &str,
    expires_at: DateTime<Utc>,
) -> Result<sessions::Model> {
    let row = sessions::ActiveModel {
        id: Set(id.to_owned()),
        user_id: Set(user_id.to_owned()),
        created_at: Set(Utc::now()),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
    };
    Ok(row.insert(db).await?)
}

/// The session and its account, if the session is neither revoked nor past
/// its end: what every authenticated request checks, in one query.
pub async fn live_with_user(
    db: &impl ConnectionTrait,
    session_id: &str,
) -> Result<Option<(sessions::Model, users::Model)>> {
    let found = sessions::Entity::find_by_id(session_id.to_owned())
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(Utc::now()))
        .find_also_related(users::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(session, user)| user.map(|u| (session, u))))
}

/// Finds a session whatever its state.
pub async fn find(db: &impl ConnectionTrait, session_id: &str) -> Result<Option<sessions::Model>> {
    Ok(sessions::Entity::find_by_id(session_id.to_owned()).one(db).await?)
}

/// Ends one session: its access tokens stop working at once, its refresh tokens too.
pub async fn revoke(db: &impl ConnectionTrait, session_id: &str) -> Result<()> {
    let now = Utc::now();
    sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now))
        .filter(sessions::Column::Id.eq(session_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::SessionId.eq(session_id))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of a user (after a password change).
pub async fn revoke_user(db: &impl ConnectionTrait, user_id: &str) -> Result<()> {
    let now = Utc::now();
    sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now))
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::UserId.eq(user_id))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

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

/// Drops rows that can no longer matter: refresh tokens and sessions past their end.
pub async fn purge_expired(db: &impl ConnectionTrait) -> Result<u64> {
    let now = Utc::now();
    let tokens = refresh_tokens::Entity::delete_many()
        .filter(refresh_tokens::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    let ended = sessions::Entity::delete_many()
        .filter(sessions::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    Ok(tokens.rows_affected + ended.rows_affected)
}
