//! How to reach a registered machine: its address and its credentials,
//! opened here at the moment of connecting and sent nowhere else.

use std::time::Duration;

use taichu_storage::entities::machines::Model as Machine;
use taichu_storage::secrets::{SecretBox, Slot};

use super::client::{SshAuth, SshSession, SshTarget};
use crate::env::WorkflowEnv;
use crate::error::StepError;

/// How long connecting and logging in may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The machine's address and its decrypted credentials.
pub fn target_for(machine: &Machine, secrets: &SecretBox) -> Result<SshTarget, StepError> {
    let open = |slot: Slot, stored: &str| {
        secrets
            .open_str(slot, &machine.id, stored)
            .map_err(|e| StepError::permanent(e.to_string()))
    };
    let auth = match (&machine.private_key_enc, &machine.password_enc) {
        (Some(key), _) => SshAuth::Key {
            pem: open(Slot::MachinePrivateKey, key)?,
            passphrase: machine
                .passphrase_enc
                .as_deref()
                .map(|p| open(Slot::MachinePassphrase, p))
                .transpose()?,
        },
        (None, Some(password)) => SshAuth::Password(open(Slot::MachinePassword, password)?),
        (None, None) => {
            return Err(StepError::permanent(
                "the machine has neither a password nor a private key",
            ));
        }
    };
    Ok(SshTarget {
        host: machine.ip.clone(),
        port: u16::try_from(machine.port).map_err(|_| StepError::permanent("invalid port"))?,
        username: machine.username.clone(),
        auth,
        host_key: machine.host_key_fingerprint.clone(),
        connect_timeout: CONNECT_TIMEOUT,
    })
}

/// Connects to `machine` as it is registered, through the network policy.
pub async fn connect_machine(machine: &Machine, env: &WorkflowEnv) -> Result<SshSession, StepError> {
    let target = target_for(machine, &env.secrets)?;
    Ok(SshSession::connect(&target, &env.network).await?)
}
