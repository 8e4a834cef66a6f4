//! The bearer scheme every protected operation takes, and the role each
//! operation asks for. The role is checked while the request is taken apart,
//! before its body is read: a viewer gets 403, not a complaint about the body.

use chrono::{DateTime, Utc};
use poem::{Request, RequestBody};
use poem_openapi::auth::Bearer;
use poem_openapi::registry::Registry;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions, SecurityScheme};
use taichu_storage::repositories::sessions;
use taichu_storage::repositories::users::Role;
use taichu_workflows::StartedBy;

use super::jwt::TokenError;
use super::session_cache::Verified;
use crate::error::ApiError;
use crate::state::AppState;

/// The verified caller. The role is read from the database (at most one
/// `TAICHU_AUTH_CACHE_MS` ago, and again at once after a change made through
/// this process), so a demotion or deletion takes effect without a new login.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: String,
    pub username: String,
    pub role: Role,
    pub session_id: String,
    pub expires_at: DateTime<Utc>,
}

impl AuthUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// 403 unless the caller is an admin or the user `id` itself.
    pub fn require_admin_or_self(&self, id: &str) -> Result<(), ApiError> {
        if self.is_admin() || self.id == id {
            Ok(())
        } else {
            Err(ApiError::forbidden("only an admin or the user themself may do this"))
        }
    }

    /// Whether the caller is an admin or the owner `owner_id` names.
    pub fn can_manage(&self, owner_id: Option<&str>) -> bool {
        self.is_admin() || owner_id == Some(self.id.as_str())
    }

    /// 403 unless the caller is an admin or the owner of `what`.
    pub fn require_owner(&self, owner_id: Option<&str>, what: &str) -> Result<(), ApiError> {
        if self.can_manage(owner_id) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "only an admin or the {what}'s owner may do this"
            )))
        }
    }

    /// The caller as the starter of a workflow run.
    pub fn starter(&self) -> StartedBy {
        StartedBy {
            user_id: self.id.clone(),
            username: self.username.clone(),
        }
    }
}

/// JWT bearer token from `POST /auth/login`: any signed-in account.
#[derive(Debug, SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "check_bearer")]
pub struct BearerAuth(pub AuthUser);

async fn check_bearer(req: &Request, bearer: Bearer) -> poem::Result<AuthUser> {
    let state = req
        .data::<AppState>()
        .ok_or_else(|| ApiError::internal("application state missing from request"))?;
    Ok(authenticate(state, &bearer.token).await?)
}

/// Verifies a token: signature and expiry, then in one query (or from the
/// session cache) that its session is neither revoked nor past its end and
/// that its user still exists.
pub async fn authenticate(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
    let claims = state.jwt.verify(token).map_err(|err| match err {
        TokenError::Expired => ApiError::unauthorized("token expired"),
        TokenError::Invalid => ApiError::unauthorized("invalid token"),
    })?;
    let verified = match state.sessions.get(&claims.sid) {
        Some(verified) => verified,
        None => {
            let (session, user) = sessions::live_with_user(&state.db, &claims.sid)
                .await?
                .ok_or_else(|| ApiError::unauthorized("token revoked"))?;
            let verified = Verified {
                role: user.role(),
                user_id: user.id,
                username: user.username,
                session_expires_at: session.expires_at,
            };
            state.sessions.put(&claims.sid, verified.clone());
            verified
        }
    };
    if verified.user_id != claims.sub {
        return Err(ApiError::unauthorized("invalid token"));
    }
    Ok(AuthUser {
        expires_at: claims.expires_at(),
        role: verified.role,
        id: verified.user_id,
        username: verified.username,
        session_id: claims.sid,
    })
}

/// The same bearer token, from an account whose role is at least `MIN`:
/// the spec shows the one bearer scheme; the role is checked before the
/// request body is parsed.
macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $allowed:expr, $refusal:literal) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(pub AuthUser);

        impl<'a> ApiExtractor<'a> for $name {
            const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
            type ParamType = ();
            type ParamRawType = ();

            fn register(registry: &mut Registry) {
                BearerAuth::register(registry);
            }

            fn security_schemes() -> Vec<&'static str> {
                BearerAuth::security_schemes()
            }

            async fn from_request(
                req: &'a Request,
                body: &mut RequestBody,
                _options: ExtractParamOptions<Self::ParamType>,
            ) -> poem::Result<Self> {
                let user = BearerAuth::from_request(req, body, ExtractParamOptions::default()).await?.0;
                if !$allowed.contains(&user.role) {
                    return Err(ApiError::forbidden($refusal).into());
                }
                Ok(Self(user))
            }
        }
    };
}

role_extractor!(
    /// A bearer token of a `user` or an `admin`: anything that changes state.
    WriterAuth,
    [Role::User, Role::Admin],
    "the viewer role is read-only"
);
role_extractor!(
    /// A bearer token of an `admin`.
    AdminAuth,
    [Role::Admin],
    "admin role required"
);
