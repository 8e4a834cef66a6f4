//! The durable workflow engine, the workflows, and the adapters to the outside world.
//!
//! A workflow is an ordered list of named steps over a typed state. The
//! engine executes one run at a time per lease, commits each step's result
//! and the run's new state in one transaction, retries transient failures
//! with backoff, and hands a run whose worker died to another worker.

pub mod canary;
pub mod check_machine;
pub mod context;
pub mod definition;
pub mod egress;
pub mod engine;
pub mod env;
pub mod error;
pub mod import_cluster;
pub mod kube;
pub mod ssh;
pub mod upstream;

pub use context::StepContext;
pub use definition::{Registry, StepSpec, Workflow};
pub use egress::NetworkPolicy;
pub use engine::{Engine, EngineConfig, RunQueue, StartedBy};
pub use env::WorkflowEnv;
pub use error::{StepError, WorkflowError};
