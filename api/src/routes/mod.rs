//! One module per resource; each holds its `#[OpenApi]` struct and its types.

pub mod audit;
pub mod auth;
pub mod health;
pub mod users;

use poem_openapi::Tags;

/// Spec sections.
#[derive(Debug, Tags)]
pub enum ApiTags {
    /// Login, tokens and the caller's profile.
    Auth,
    /// Accounts (admin).
    Users,
    /// The audit trail.
    Audit,
}

/// Every API of `/api/v1`, combined.
pub type Apis = (auth::AuthApi, users::UsersApi, audit::AuditApi);

pub fn apis() -> Apis {
    (auth::AuthApi, users::UsersApi, audit::AuditApi)
}
