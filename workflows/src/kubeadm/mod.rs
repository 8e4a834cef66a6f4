//! Creating clusters with kubeadm over SSH: what a cluster to create is
//! made of and how it is checked, what each host must be first, and the
//! kubeadm configuration rendered from it. (The `create_cluster` workflow
//! builds on these.)

/// The kubeadm configuration, rendered from typed values.
pub mod config;
/// Join commands parsed into checked parts, and `kubeadm join` arguments.
pub mod join;
/// What a host must be before kubeadm touches it.
pub mod preflight;
/// The cluster to create, and its checks.
pub mod spec;

pub use config::{InitNode, init_config};
pub use spec::{ClusterSpec, Cni, PackageSource};
