//! The durable workflow engine, the workflows, and the adapters to the outside world.
//!
//! A workflow is a typed input, a typed state and a plan of typed steps. The
//! engine executes one run at a time per lease, commits each step's result
//! and the run's new state in one transaction, retries transient failures
//! with backoff, and hands a run whose worker died to another worker.

/// The backup workflow: etcd snapshots over SSH into the object store.
pub mod backup;
/// Recording and starting backups, deleting stored ones: shared by the API and the scheduler.
pub mod backup_records;
/// The canary workflow: are workers alive, how fast is the queue.
pub mod canary;
/// The check_machine workflow: SSH facts and host-key pinning.
pub mod check_machine;
/// What a step works with: environment, log, cancellation.
pub mod context;
/// The create_cluster workflow: kubeadm on registered machines over SSH.
pub mod create_cluster;
/// When a backup schedule is due: cron expressions in a time zone.
pub mod cron_schedule;
/// The `Workflow` trait, step specs and plans.
pub mod definition;
/// The network policy every outbound connection passes.
pub mod egress;
/// The engine: starting runs (with their locks) and driving them.
pub mod engine;
/// The workflow environment: database, secrets, network policy.
pub mod env;
/// Step and engine errors.
pub mod error;
/// The etcd adapter: settings, access, commands.
pub mod etcd;
/// The expand_cluster workflow: more workers for a created cluster.
pub mod expand_cluster;
/// Steps whose failure is kept for a cleanup or compensation step.
pub mod guard;
/// The import_cluster workflow.
pub mod import_cluster;
/// The Kubernetes adapter.
pub mod kube;
/// Creating clusters with kubeadm: the cluster spec and the rendered kubeadm config.
pub mod kubeadm;
/// Leases: one worker per run, renewed while a step runs.
mod lease;
/// The manifest stored with every backup.
pub mod manifest;
/// Every workflow of this build, by kind.
pub mod registry;
/// Kubernetes resource backups and restores: discovery, filters, archive, apply.
pub mod resources;
/// The restore workflow: a verified etcd snapshot into every member.
pub mod restore;
/// The SSH adapter.
pub mod ssh;
/// The teardown_cluster workflow: kubeadm reset on a created cluster's machines.
pub mod teardown_cluster;
/// Upstream text made fit for messages.
pub mod upstream;

pub use context::StepContext;
pub use definition::{Planned, StepSpec, Workflow};
pub use egress::NetworkPolicy;
pub use engine::{Engine, EngineConfig, HeldLocks, Lock, RunQueue, Started, StartedBy};
pub use env::WorkflowEnv;
pub use error::{StepError, WorkflowError};
pub use registry::Registry;
