//! Taichu's HTTP API: routes, auth, envelope, OpenAPI, and the `taichu` binary's commands.

pub mod audit_trail;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod config;
pub mod envelope;
pub mod error;
pub mod limits;
pub mod payload;
pub mod routes;
pub mod server;
pub mod state;
pub mod telemetry;
pub mod validate;
