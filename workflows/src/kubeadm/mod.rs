//! Creating clusters with kubeadm over SSH: what a cluster to create is
//! made of and how it is checked, and the kubeadm configuration rendered
//! from it. (The `create_cluster` workflow builds on these.)

/// The kubeadm configuration, rendered from typed values.
pub mod config;
/// The cluster to create, and its checks.
pub mod spec;

pub use config::{InitNode, init_config};
pub use spec::{ClusterSpec, Cni, PackageSource};
