//! Seed section 认证接口: login, register, refresh, profile, logout, test token.

use poem::web::Data;
use poem_openapi::{Object, OpenApi};
use taichu_storage::repositories::users::{self, NewUser, ROLE_ADMIN, ROLE_USER};

use super::ApiTags;
use super::users::UserView;
use crate::auth::sessions::{self, TokenPair};
use crate::auth::{BearerAuth, password};
use crate::envelope::{MessageData, ok};
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::state::AppState;
use crate::validate;

#[derive(Debug, Object, serde::Deserialize)]
pub struct LoginRequest {
    pub username: String,
    #[oai(write_only)]
    pub password: String,
}

/// Registration always creates a `user`; any role in the body is ignored.
#[derive(Debug, Object, serde::Deserialize)]
pub struct RegisterRequest {
    /// 3-64 characters of A-Z, a-z, 0-9, `_`, `.`, `-`.
    pub username: String,
    /// At least 8 characters.
    #[oai(write_only)]
    pub password: String,
    pub email: Option<String>,
}

#[derive(Debug, Object, serde::Deserialize)]
pub struct RefreshRequest {
    #[oai(write_only)]
    pub refresh_token: String,
}

/// Who the tokens belong to.
#[derive(Debug, Object)]
pub struct TokenUser {
    pub id: String,
    pub username: String,
    pub role: String,
}

/// A new access token and its refresh token.
#[derive(Debug, Object)]
pub struct LoginData {
    /// HS256 JWT for `Authorization: Bearer`.
    pub token: String,
    /// Opaque; single use; exchange at `POST /auth/refresh`.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until `token` expires.
    pub expires_in: u64,
    pub user: TokenUser,
}

impl From<TokenPair> for LoginData {
    fn from(p: TokenPair) -> Self {
        Self {
            token: p.access_token,
            refresh_token: p.refresh_token,
            token_type: "Bearer".to_owned(),
            expires_in: p.expires_in,
            user: TokenUser {
                id: p.user.id,
                username: p.user.username,
                role: p.user.role,
            },
        }
    }
}

#[derive(Debug, Object)]
pub struct TestTokenData {
    pub token: String,
}

#[derive(Debug)]
pub struct AuthApi;

#[OpenApi(tag = "ApiTags::Auth")]
impl AuthApi {
    /// Log in and receive an access token and a refresh token.
    #[oai(path = "/auth/login", method = "post")]
    async fn login(&self, state: Data<&AppState>, body: JsonBody<LoginRequest>) -> ApiResult<LoginData> {
        let LoginRequest { username, password } = body.0;
        let pair = sessions::login(&state, &username, password).await?;
        Ok(ok(pair.into()))
    }

    /// Register an account with role `user`.
    #[oai(path = "/auth/register", method = "post")]
    async fn register(&self, state: Data<&AppState>, body: JsonBody<RegisterRequest>) -> ApiResult<UserView> {
        let body = body.0;
        validate::username(&body.username)?;
        validate::new_password("password", &body.password)?;
        if let Some(email) = &body.email {
            validate::email(email)?;
        }
        let password_hash = password::hash(body.password).await?;
        let new = NewUser {
            username: body.username,
            email: body.email,
            password_hash,
            role: ROLE_USER,
        };
        Ok(ok(users::create(&state.db, new).await?.into()))
    }

    /// Exchange a refresh token for a new pair. Each refresh token works once;
    /// presenting a used one revokes the whole session.
    #[oai(path = "/auth/refresh", method = "post")]
    async fn refresh(&self, state: Data<&AppState>, body: JsonBody<RefreshRequest>) -> ApiResult<LoginData> {
        Ok(ok(sessions::refresh(&state, &body.refresh_token).await?.into()))
    }

    /// The caller's account.
    #[oai(path = "/auth/profile", method = "get")]
    async fn profile(&self, state: Data<&AppState>, auth: BearerAuth) -> ApiResult<UserView> {
        let user = users::find_by_id(&state.db, &auth.0.id)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        Ok(ok(user.into()))
    }

    /// Log out: revokes this access token and the session's refresh tokens.
    #[oai(path = "/auth/logout", method = "post")]
    async fn logout(&self, state: Data<&AppState>, auth: BearerAuth) -> ApiResult<MessageData> {
        sessions::logout(&state, &auth.0).await?;
        Ok(ok(MessageData::new("logged out")))
    }

    /// Development only: a token for the `admin` account without a password.
    /// Answers 404 unless the server runs with `TAICHU_DEV_MODE=true`.
    #[oai(path = "/auth/token", method = "get")]
    async fn test_token(&self, state: Data<&AppState>) -> ApiResult<TestTokenData> {
        if !state.settings.dev_mode {
            return Err(ApiError::not_found("route"));
        }
        let admin = users::find_by_username(&state.db, "admin")
            .await?
            .filter(|u| u.role == ROLE_ADMIN)
            .ok_or_else(|| ApiError::not_found("admin account"))?;
        tracing::warn!("issued a development test token for admin");
        let pair = sessions::open_session(&state, admin).await?;
        Ok(ok(TestTokenData {
            token: pair.access_token,
        }))
    }
}
