//! The bearer scheme every protected operation takes.

use chrono::{DateTime, Utc};
use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use taichu_storage::repositories::{tokens, users};

use super::jwt::TokenError;
use crate::error::ApiError;
use crate::state::AppState;

/// The verified caller. Username and role are read from the database on each
/// request, so a demotion or deletion takes effect at once.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: String,
    pub username: String,
    pub role: String,
    pub jti: String,
    pub session_id: String,
    pub expires_at: DateTime<Utc>,
}

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        self.role == users::ROLE_ADMIN
    }

    /// 403 unless the caller is an admin.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden("admin role required"))
        }
    }

    /// 403 unless the caller is an admin or the user `id` itself.
    pub fn require_admin_or_self(&self, id: &str) -> Result<(), ApiError> {
        if self.is_admin() || self.id == id {
            Ok(())
        } else {
            Err(ApiError::forbidden("only an admin or the user themself may do this"))
        }
    }
}

/// JWT bearer token from `POST /auth/login`.
#[derive(Debug, SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "check_bearer")]
pub struct BearerAuth(pub AuthUser);

async fn check_bearer(req: &Request, bearer: Bearer) -> poem::Result<AuthUser> {
    let state = req
        .data::<AppState>()
        .ok_or_else(|| ApiError::internal("application state missing from request"))?;
    Ok(authenticate(state, &bearer.token).await?)
}

/// Verifies a token: signature, expiry, revocation, and that the user still exists.
pub async fn authenticate(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
    let claims = state.jwt.verify(token).map_err(|err| match err {
        TokenError::Expired => ApiError::unauthorized("token expired"),
        TokenError::Invalid => ApiError::unauthorized("invalid token"),
    })?;
    if tokens::is_jti_revoked(&state.db, &claims.jti).await? {
        return Err(ApiError::unauthorized("token revoked"));
    }
    let user = users::find_by_id(&state.db, &claims.sub)
        .await?
        .ok_or_else(|| ApiError::unauthorized("user no longer exists"))?;
    Ok(AuthUser {
        expires_at: claims.expires_at(),
        id: user.id,
        username: user.username,
        role: user.role,
        jti: claims.jti,
        session_id: claims.sid,
    })
}
