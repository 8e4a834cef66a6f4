//! Login sessions: token pairs, refresh rotation with reuse detection,
//! logout. A session ends at the latest `TAICHU_SESSION_MAX_SECS` after login,
//! however often it is refreshed; revoking it ends its access tokens at once.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use taichu_storage::entities::users;
use taichu_storage::repositories::{sessions, users as user_repo};

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

fn after(d: std::time::Duration) -> Result<DateTime<Utc>, ApiError> {
    Ok(Utc::now() + chrono::Duration::from_std(d).map_err(ApiError::internal)?)
}

/// Issues a token pair in `session_id`, which ends at `session_end`; stores
/// only the refresh token's hash. No token outlives its session.
async fn issue(
    state: &AppState,
    user: users::Model,
    session_id: &str,
    session_end: DateTime<Utc>,
) -> Result<TokenPair, ApiError> {
    let (access_token, _) = state.jwt.issue(&user, session_id).map_err(ApiError::internal)?;
    let refresh_token = new_refresh_token();
    let expires_at = after(state.settings.refresh_ttl)?.min(session_end);
    sessions::insert_refresh(
        &state.db,
        &user.id,
        session_id,
        &hash_refresh(&refresh_token),
        expires_at,
    )
    .await?;
    Ok(TokenPair {
        access_token,
        refresh_token,
        expires_in: state.jwt.ttl().as_secs(),
        user,
    })
}

/// Opens a new session for `user` and issues its first pair.
pub async fn open_session(state: &AppState, user: users::Model) -> Result<TokenPair, ApiError> {
    let id = uuid::Uuid::now_v7().to_string();
    let end = after(state.settings.session_max)?;
    sessions::open(&state.db, &id, &user.id, end).await?;
    issue(state, user, &id, end).await
}

/// Checks credentials and opens a new session. Failures say only that the
/// pair was wrong, and cost the same time whether the name exists or not.
pub async fn login(state: &AppState, username: &str, password: String) -> Result<TokenPair, ApiError> {
    let invalid = || ApiError::unauthorized("invalid username or password");
    if password.len() > crate::validate::MAX_PASSWORD {
        return Err(invalid());
    }
    let user = user_repo::find_by_username(&state.db, username).await?;
    let ok = password::verify(password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    match user {
        Some(user) if ok => open_session(state, user).await,
        _ => Err(invalid()),
    }
}

/// Rotates a refresh token. Presenting a token that was already rotated is
/// treated as theft: the whole session is revoked, access tokens included.
pub async fn refresh(state: &AppState, refresh_token: &str) -> Result<TokenPair, ApiError> {
    let invalid = || ApiError::unauthorized("invalid refresh token");
    // No read-then-write transaction: on SQLite it fails with SQLITE_BUSY when
    // any other writer commits in between. The single conditional UPDATE in
    // `mark_rotated` is what makes a token usable once.
    let row = sessions::find_refresh(&state.db, &hash_refresh(refresh_token))
        .await?
        .ok_or_else(invalid)?;
    if row.revoked_at.is_some() || row.expires_at < Utc::now() {
        return Err(invalid());
    }
    if row.rotated_at.is_some() || !sessions::mark_rotated(&state.db, &row.id).await? {
        sessions::revoke(&state.db, &row.session_id).await?;
        tracing::warn!(session = %row.session_id, user_id = %row.user_id, "refresh token reused; session revoked");
        return Err(ApiError::unauthorized("refresh token already used; session revoked"));
    }
    let (session, user) = sessions::live_with_user(&state.db, &row.session_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("session ended; log in again"))?;
    issue(state, user, &session.id, session.expires_at).await
}

/// Ends the caller's session: its access and refresh tokens.
pub async fn logout(state: &AppState, caller: &AuthUser) -> Result<(), ApiError> {
    sessions::revoke(&state.db, &caller.session_id).await?;
    Ok(())
}
