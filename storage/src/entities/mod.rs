//! One sea-orm entity per table.

pub mod audit_logs;
pub mod refresh_tokens;
pub mod revoked_tokens;
pub mod users;
