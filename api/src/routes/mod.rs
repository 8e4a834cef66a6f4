//! One module per resource; each holds its `#[OpenApi]` struct and its types.

/// The audit trail (`/audit`, `/clusters/{id}/audit`).
pub mod audit;
/// Login, registration, tokens, profile.
pub mod auth;
/// etcd settings, backups and restores.
pub mod backups;
/// `POST /clusters/create`: clusters made with kubeadm on registered machines.
pub mod cluster_create;
/// The cluster registry and topology.
pub mod clusters;
/// Cluster creation tasks: views of `create_cluster` runs.
pub mod create_tasks;
/// `POST /clusters/{id}/expansion` and its history.
pub mod expansion;
/// `/healthz` and `/readyz`.
pub mod health;
/// Importing clusters from kubeconfigs.
pub mod imports;
/// Live views read from the clusters.
pub mod live;
/// The machine inventory.
pub mod machines;
/// `/metrics`.
pub mod metrics;
/// What the views over runs of one kind share.
pub mod run_views;
/// Accounts (admin; self-service).
pub mod users;
/// Workflow runs, cancel, canary.
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
    /// etcd settings, backups and restores.
    Backups,
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
    backups::etcd::EtcdApi,
    backups::BackupsApi,
    backups::restore::RestoreApi,
    backups::schedules::SchedulesApi,
    cluster_create::ClusterCreateApi,
    expansion::ExpansionApi,
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
        backups::etcd::EtcdApi,
        backups::BackupsApi,
        backups::restore::RestoreApi,
        backups::schedules::SchedulesApi,
        cluster_create::ClusterCreateApi,
        expansion::ExpansionApi,
    )
}
