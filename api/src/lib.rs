//! Taichu's HTTP API: routes, auth, envelope, OpenAPI, and the `taichu` binary's commands.

/// The `Allow` header of 405 answers.
pub mod allow;
/// The audit middleware: every mutating request recorded after it completes.
pub mod audit_trail;
/// Tokens, sessions, roles, throttling, the default admin.
pub mod auth;
/// `taichu bench workflows` and `taichu bench api`.
pub mod bench;
/// The command line.
pub mod cli;
/// Start-up configuration, validated once.
pub mod config;
/// `taichu backup decrypt`: a stored part opened with the master key.
pub mod decrypt;
/// The `{code, message, data}` envelope.
pub mod envelope;
/// The API's one error type and its mapping to the envelope.
pub mod error;
/// The request body limit.
pub mod limits;
/// JSON bodies whose parse errors name the field.
pub mod payload;
/// One module per resource.
pub mod routes;
/// Assembling the app and running the processes.
pub mod server;
/// State handed to every handler.
pub mod state;
/// Log set-up.
pub mod telemetry;
/// Input checks shared by handlers.
pub mod validate;
