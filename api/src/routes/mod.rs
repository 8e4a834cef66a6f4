//! One module per resource; each holds its `#[OpenApi]` struct and its types.

pub mod audit;
pub mod auth;
pub mod clusters;
pub mod create_tasks;
pub mod health;
pub mod imports;
pub mod live;
pub mod machines;
pub mod metrics;
pub mod users;
pub mod workflows;

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
    /// Long-running operations and their progress.
    Workflows,
    /// The machine inventory (SSH hosts).
    Machines,
    /// Registered clusters and their topology.
    Clusters,
}

/// Every API of `/api/v1`, combined.
pub type Apis = (
    auth::AuthApi,
    users::UsersApi,
    audit::AuditApi,
    workflows::WorkflowsApi,
    create_tasks::CreateTasksApi,
    machines::MachinesApi,
    clusters::ClustersApi,
    imports::ImportsApi,
    live::LiveApi,
);

pub fn apis() -> Apis {
    (
        auth::AuthApi,
        users::UsersApi,
        audit::AuditApi,
        workflows::WorkflowsApi,
        create_tasks::CreateTasksApi,
        machines::MachinesApi,
        clusters::ClustersApi,
        imports::ImportsApi,
        live::LiveApi,
    )
}
