//! Kubernetes resource backups and restores: which types a cluster serves
//! and which of them a backup takes, objects cleaned of what their cluster
//! set, a streamed compressed archive of one JSON file per object, and the
//! ordered, counted apply of a restore.

/// Applying an archive to a cluster, with its options and counts.
pub mod apply;
/// The archive's format: tar + zstd, streamed both ways.
pub mod archive;
/// Discovery of the served types, what is skipped, restore order.
pub mod catalog;
/// Server-set fields stripped; controller-owned objects recognised.
pub mod clean;
/// Reading a cluster into an archive.
pub mod dump;
/// Namespace, kind and label filters.
pub mod select;

pub use apply::{ExistingPolicy, RestoreOptions, Tally};
pub use dump::Contents;
pub use select::Selection;
