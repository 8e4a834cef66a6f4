//! Authentication: passwords, access tokens, sessions, the bearer scheme and
//! its role checks, and login throttling.

pub mod bootstrap;
pub mod jwt;
pub mod password;
pub mod security;
pub mod session_cache;
pub mod sessions;
pub mod throttle;

pub use security::{AdminAuth, AuthUser, BearerAuth, WriterAuth};
