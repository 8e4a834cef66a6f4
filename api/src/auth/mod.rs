//! Authentication: passwords, access tokens, refresh sessions and the bearer scheme.

pub mod bootstrap;
pub mod jwt;
pub mod password;
pub mod security;
pub mod sessions;

pub use security::{AuthUser, BearerAuth};
