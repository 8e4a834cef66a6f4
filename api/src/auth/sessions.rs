//! Login sessions: token pairs, refresh rotation with reuse detection, logout.

use chrono::Utc;
use sha2::{Digest, Sha256};
use taichu_storage::ConnectionTrait;
use taichu_storage::entities::users;
use taichu_storage::repositories::{tokens, users as user_repo};

use super::password;
use super::security::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

/// An access token and the refresh token that renews it.
#[derive(Debug)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub user: users::Model,
}

fn hash_refresh(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_refresh_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
}

/// Issues a token pair in `session_id`, storing only the refresh token's hash.
async fn issue(
    state: &AppState,
    db: &impl ConnectionTrait,
    user: users::Model,
    session_id: &str,
) -> Result<TokenPair, ApiError> {
    let (access_token, _) = state.jwt.issue(&user, session_id).map_err(ApiError::internal)?;
    let refresh_token = new_refresh_token();
    let ttl = chrono::Duration::from_std(state.settings.refresh_ttl).map_err(ApiError::internal)?;
    tokens::insert_refresh(
        db,
        &user.id,
        session_id,
        &hash_refresh(&refresh_token),
        Utc::now() + ttl,
    )
    .await?;
    Ok(TokenPair {
        access_token,
        refresh_token,
        expires_in: state.jwt.ttl().as_secs(),
        user,
    })
}

/// Checks credentials and opens a new session.
pub async fn login(state: &AppState, username: &str, password: String) -> Result<TokenPair, ApiError> {
    let user = user_repo::find_by_username(&state.db, username).await?;
    let ok = password::verify(password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    match user {
        Some(user) if ok => issue(state, &state.db, user, &uuid::Uuid::now_v7().to_string()).await,
        _ => Err(ApiError::unauthorized("invalid username or password")),
    }
}

/// Issues a token pair for `user` without a password (development test token).
pub async fn open_session(state: &AppState, user: users::Model) -> Result<TokenPair, ApiError> {
    issue(state, &state.db, user, &uuid::Uuid::now_v7().to_string()).await
}

/// Rotates a refresh token. Presenting a token that was already rotated is
/// treated as theft: the whole session is revoked.
pub async fn refresh(state: &AppState, refresh_token: &str) -> Result<TokenPair, ApiError> {
    let invalid = || ApiError::unauthorized("invalid refresh token");
    // No read-then-write transaction: on SQLite it fails with SQLITE_BUSY when
    // any other writer commits in between. The single conditional UPDATE in
    // `mark_rotated` is what makes a token usable once.
    let row = tokens::find_refresh(&state.db, &hash_refresh(refresh_token))
        .await?
        .ok_or_else(invalid)?;
    if row.revoked_at.is_some() || row.expires_at < Utc::now() {
        return Err(invalid());
    }
    if row.rotated_at.is_some() || !tokens::mark_rotated(&state.db, &row.id).await? {
        tokens::revoke_session(&state.db, &row.session_id).await?;
        tracing::warn!(session = %row.session_id, user_id = %row.user_id, "refresh token reused; session revoked");
        return Err(ApiError::unauthorized("refresh token already used; session revoked"));
    }
    let user = user_repo::find_by_id(&state.db, &row.user_id)
        .await?
        .ok_or_else(invalid)?;
    issue(state, &state.db, user, &row.session_id).await
}

/// Ends the caller's session: its refresh tokens and this access token.
pub async fn logout(state: &AppState, caller: &AuthUser) -> Result<(), ApiError> {
    tokens::revoke_session(&state.db, &caller.session_id).await?;
    tokens::revoke_jti(&state.db, &caller.jti, caller.expires_at).await?;
    Ok(())
}
