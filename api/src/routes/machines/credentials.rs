//! Credentials a machine request brings: keys checked (costs capped, decoded
//! off the request threads), everything sealed for its row.

use std::collections::BTreeMap;

use taichu_storage::secrets::Slot;
use taichu_workflows::ssh;

use crate::error::ApiError;
use crate::state::AppState;
use crate::validate;

pub(super) fn check_name(name: &str) -> Result<(), ApiError> {
    validate::name("name", name, 1, 64)
}

pub(super) fn check_labels(labels: &BTreeMap<String, String>) -> Result<String, ApiError> {
    validate::labels("labels", labels)?;
    serde_json::to_string(labels).map_err(ApiError::internal)
}

/// Checks a key: its derivation costs are capped, it is decoded off the
/// async threads, a few at a time, under a deadline.
async fn check_key(pem: &str, passphrase: Option<&str>) -> Result<(), ApiError> {
    validate::text("private_key", pem, 16 * 1024)?;
    ssh::keys::decode(pem, passphrase)
        .await
        .map(drop)
        .map_err(|e| ApiError::bad_request(format!("private_key: cannot be used: {e}")))
}

/// Sealed credentials for row `id`: a password, or a key (and passphrase).
pub(super) struct Credentials {
    pub password_enc: Option<String>,
    pub private_key_enc: Option<String>,
    pub passphrase_enc: Option<String>,
}

impl Credentials {
    /// `None` when the request carries neither a password nor a key.
    pub(super) async fn from_request(
        state: &AppState,
        id: &str,
        password: Option<&str>,
        private_key: Option<&str>,
        passphrase: Option<&str>,
    ) -> Result<Option<Self>, ApiError> {
        let password = password.filter(|p| !p.is_empty());
        let private_key = private_key.filter(|k| !k.is_empty());
        if password.is_none() && private_key.is_none() {
            return Ok(None);
        }
        if let Some(p) = password
            && p.len() > validate::MAX_PASSWORD
        {
            return Err(ApiError::bad_request("password: must be at most 1024 bytes"));
        }
        if let Some(pem) = private_key {
            check_key(pem, passphrase).await?;
        }
        let seal = |slot, value: Option<&str>| value.map(|v| state.env.secrets.seal_str(slot, id, v));
        Ok(Some(Self {
            password_enc: seal(Slot::MachinePassword, password),
            private_key_enc: seal(Slot::MachinePrivateKey, private_key),
            passphrase_enc: seal(Slot::MachinePassphrase, private_key.and(passphrase)),
        }))
    }
}
