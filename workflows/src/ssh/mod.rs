//! The SSH adapter every machine workflow uses.

pub mod client;
pub mod command;

pub use client::{Discard, ExecOutput, LineSink, SshAuth, SshError, SshSession, SshTarget, Stream};
pub use command::{RemoteCommand, quote};

/// Checks that `pem` is a private key this adapter can use (with `passphrase` if encrypted).
pub fn validate_private_key(pem: &str, passphrase: Option<&str>) -> Result<(), String> {
    russh::keys::decode_secret_key(pem, passphrase)
        .map(|_| ())
        .map_err(|e| e.to_string())
}
