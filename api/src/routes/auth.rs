//! Seed section 认证接口: login, register, refresh, profile, logout, test token.

use poem::Request;
use poem::web::Data;
use poem_openapi::{Object, OpenApi};
use taichu_storage::repositories::audit::{self, NewAudit, Source};
use taichu_storage::repositories::users::{self, NewUser, Role};

use super::ApiTags;
use super::users::UserView;
use crate::audit_trail::client_ip;
use crate::auth::sessions::{self, TokenPair};
use crate::auth::throttle::Refusal;
use crate::auth::{BearerAuth, password};
use crate::envelope::{MessageData, ok};
use crate::error::{ApiError, ApiResult};
use crate::payload::JsonBody;
use crate::state::AppState;
use crate::validate;

#[derive(Debug, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct LoginRequest {
    pub username: String,
    #[oai(write_only)]
    pub password: String,
}

/// Registration creates the role the server is configured with
/// (`TAICHU_REGISTER_ROLE`, `viewer` by default); any role in the body is ignored.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct RegisterRequest {
    /// 3-64 characters of A-Z, a-z, 0-9, `_`, `.`, `-`.
    pub username: String,
    /// At least 8 characters.
    #[oai(write_only)]
    pub password: String,
    pub email: Option<String>,
}

#[derive(Debug, Object, serde::Deserialize)]
#[oai(skip_serializing_if_is_none)]
pub struct RefreshRequest {
    #[oai(write_only)]
    pub refresh_token: String,
}

/// Who the tokens belong to.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TokenUser {
    pub id: String,
    pub username: String,
    pub role: String,
}

/// A new access token and its refresh token.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
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
#[oai(skip_serializing_if_is_none)]
pub struct TestTokenData {
    pub token: String,
}

#[derive(Debug)]
pub struct AuthApi;

/// Turns a throttling refusal into a 429, auditing the first of a burst.
async fn throttled(state: &AppState, req: &Request, action: &str, refusal: Refusal) -> ApiError {
    if refusal.first {
        tracing::warn!(action, reason = %refusal.reason, "throttling");
        let row = NewAudit {
            source: Source::System,
            action: action.to_owned(),
            resource_type: "user".to_owned(),
            details: Some(refusal.reason.clone()),
            status_code: 429,
            client_addr: client_ip(req, &state.settings.trusted_proxies).map(|ip| ip.to_string()),
            ..Default::default()
        };
        if let Err(err) = audit::insert(&state.db, row).await {
            tracing::error!(error = %err, "writing a throttling audit row failed");
        }
    }
    ApiError::too_many(refusal.reason, refusal.retry_after)
}

#[OpenApi(tag = "ApiTags::Auth")]
impl AuthApi {
    /// Log in and receive an access token and a refresh token.
    #[oai(path = "/auth/login", method = "post", operation_id = "login")]
    async fn login(&self, state: Data<&AppState>, req: &Request, body: JsonBody<LoginRequest>) -> ApiResult<LoginData> {
        let LoginRequest { username, password } = body.0;
        let ip = client_ip(req, &state.settings.trusted_proxies);
        if let Err(refusal) = state.throttle.before_login(ip, &username) {
            return Err(throttled(&state, req, "LOGIN_THROTTLED", refusal).await);
        }
        match sessions::login(&state, &username, password).await {
            Ok(pair) => {
                state.throttle.login_succeeded(&username);
                Ok(ok(pair.into()))
            }
            Err(err) => {
                if matches!(err, ApiError::Unauthorized(_)) {
                    state.throttle.login_failed(&username);
                }
                Err(err)
            }
        }
    }

    /// Register an account, with the role the server gives new accounts
    /// (`viewer` unless configured otherwise); 403 when registration is closed.
    #[oai(path = "/auth/register", method = "post", operation_id = "register")]
    async fn register(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: JsonBody<RegisterRequest>,
    ) -> ApiResult<UserView> {
        let role = state
            .settings
            .register_role
            .ok_or_else(|| ApiError::forbidden("registration is closed; ask an admin for an account"))?;
        if let Err(refusal) = state
            .throttle
            .before_register(client_ip(req, &state.settings.trusted_proxies))
        {
            return Err(throttled(&state, req, "REGISTER_THROTTLED", refusal).await);
        }
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
            role,
        };
        Ok(ok(users::create(&state.db, new).await?.into()))
    }

    /// Exchange a refresh token for a new pair. Each refresh token works once;
    /// presenting a used one revokes the whole session.
    #[oai(path = "/auth/refresh", method = "post", operation_id = "refresh_token")]
    async fn refresh(&self, state: Data<&AppState>, body: JsonBody<RefreshRequest>) -> ApiResult<LoginData> {
        Ok(ok(sessions::refresh(&state, &body.refresh_token).await?.into()))
    }

    /// The caller's account.
    #[oai(path = "/auth/profile", method = "get", operation_id = "get_profile")]
    async fn profile(&self, state: Data<&AppState>, auth: BearerAuth) -> ApiResult<UserView> {
        let user = users::find_by_id(&state.db, &auth.0.id)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        Ok(ok(user.into()))
    }

    /// Log out: revokes this access token and the session's refresh tokens.
    #[oai(path = "/auth/logout", method = "post", operation_id = "logout")]
    async fn logout(&self, state: Data<&AppState>, auth: BearerAuth) -> ApiResult<MessageData> {
        sessions::logout(&state, &auth.0).await?;
        Ok(ok(MessageData::new("logged out")))
    }

    /// Development only: a token for the `admin` account without a password.
    /// Answers 404 unless the server runs with `TAICHU_DEV_MODE=true`.
    #[oai(path = "/auth/token", method = "get", operation_id = "get_token")]
    async fn test_token(&self, state: Data<&AppState>) -> ApiResult<TestTokenData> {
        if !state.settings.dev_mode {
            return Err(ApiError::not_found("route"));
        }
        let admin = users::find_by_username(&state.db, "admin")
            .await?
            .filter(|u| u.role() == Role::Admin)
            .ok_or_else(|| ApiError::not_found("admin account"))?;
        tracing::warn!("issued a development test token for admin");
        let pair = sessions::open_session(&state, admin).await?;
        Ok(ok(TestTokenData {
            token: pair.access_token,
        }))
    }
}
