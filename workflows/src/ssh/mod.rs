//! The SSH adapter every machine workflow uses.

pub mod client;
pub mod command;
pub mod keys;
pub mod target;

pub use client::{Discard, ExecOutput, LineSink, SshAuth, SshError, SshSession, SshTarget, Stream};
pub use command::{RemoteCommand, quote};
pub use target::{connect_machine, target_for};
