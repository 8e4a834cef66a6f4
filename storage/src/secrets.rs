//! Secrets at rest (SSH passwords and keys, kubeconfigs): AES-256-GCM under
//! the master key, a fresh random nonce per value, and the value's place
//! (table, column, row id) as associated data, so a value copied into another
//! row or column does not decrypt. Stored as
//! `v2:<base64(nonce || ciphertext+tag)>`. `v1:` values (no associated data)
//! are only read by [`SecretBox::open_legacy`], to reseal them at start-up.

use std::fmt;
use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

const PREFIX: &str = "v2:";
const LEGACY_PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;

/// Why a secret could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the master key must be 32 bytes (64 hex characters)")]
    BadKey,
    #[error("stored secret is malformed")]
    Malformed,
    /// Wrong master key, or the value was tampered with.
    #[error("stored secret cannot be decrypted with this master key")]
    Undecryptable,
}

/// Where a secret is stored; it is bound to this place and its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    MachinePassword,
    MachinePrivateKey,
    MachinePassphrase,
    ClusterKubeconfig,
    ClusterEtcdSshPassword,
    BackupSshPassword,
    BackupDataKey,
    ScheduleSshPassword,
}

impl Slot {
    /// `table.column`, as in the schema.
    pub fn column(self) -> &'static str {
        match self {
            Slot::MachinePassword => "machines.password_enc",
            Slot::MachinePrivateKey => "machines.private_key_enc",
            Slot::MachinePassphrase => "machines.passphrase_enc",
            Slot::ClusterKubeconfig => "clusters.kubeconfig_enc",
            Slot::ClusterEtcdSshPassword => "cluster_etcd.ssh_password_enc",
            Slot::BackupSshPassword => "backups.ssh_password_enc",
            Slot::BackupDataKey => "backups.data_key_enc",
            Slot::ScheduleSshPassword => "backup_schedules.ssh_password_enc",
        }
    }

    fn associated_data(self, row_id: &str) -> Vec<u8> {
        format!("taichu:{}:{row_id}", self.column()).into_bytes()
    }
}

/// Encrypts and decrypts secrets with the master key. Cheap to clone.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Arc<Aes256Gcm>,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

impl SecretBox {
    /// From the 32-byte master key.
    pub fn new(key: &[u8]) -> Result<Self, SecretError> {
        if key.len() != 32 {
            return Err(SecretError::BadKey);
        }
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| SecretError::BadKey)?;
        Ok(Self {
            cipher: Arc::new(cipher),
        })
    }

    /// A fresh random key, for processes whose secrets need not outlive them.
    pub fn generate() -> Self {
        let key: [u8; 32] = rand::random();
        Self {
            cipher: Arc::new(Aes256Gcm::new(&key.into())),
        }
    }

    /// From 64 hex characters (the form of `TAICHU_SECRET_KEY`).
    pub fn from_hex(text: &str) -> Result<Self, SecretError> {
        Self::new(&hex::decode(text.trim()).map_err(|_| SecretError::BadKey)?)
    }

    /// Encrypts `plaintext` for `slot` of row `row_id`.
    pub fn seal(&self, slot: Slot, row_id: &str, plaintext: &[u8]) -> String {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let aad = slot.associated_data(row_id);
        let payload = Payload {
            msg: plaintext,
            aad: &aad,
        };
        // Encryption with a valid key and nonce cannot fail for in-memory data.
        let sealed = self
            .cipher
            .encrypt(&Nonce::from(nonce_bytes), payload)
            .unwrap_or_default();
        let mut blob = nonce_bytes.to_vec();
        blob.extend_from_slice(&sealed);
        format!("{PREFIX}{}", STANDARD.encode(blob))
    }

    pub fn seal_str(&self, slot: Slot, row_id: &str, plaintext: &str) -> String {
        self.seal(slot, row_id, plaintext.as_bytes())
    }

    /// Decrypts a value stored in `slot` of row `row_id`.
    pub fn open(&self, slot: Slot, row_id: &str, stored: &str) -> Result<Vec<u8>, SecretError> {
        let encoded = stored.strip_prefix(PREFIX).ok_or(SecretError::Malformed)?;
        let aad = slot.associated_data(row_id);
        self.decrypt_blob(encoded, &aad)
    }

    pub fn open_str(&self, slot: Slot, row_id: &str, stored: &str) -> Result<String, SecretError> {
        String::from_utf8(self.open(slot, row_id, stored)?).map_err(|_| SecretError::Malformed)
    }

    /// Whether `stored` is in the old format, bound to no place.
    pub fn is_legacy(stored: &str) -> bool {
        stored.starts_with(LEGACY_PREFIX)
    }

    /// Decrypts an old `v1:` value, only to seal it again in its place.
    pub fn open_legacy(&self, stored: &str) -> Result<Vec<u8>, SecretError> {
        let encoded = stored.strip_prefix(LEGACY_PREFIX).ok_or(SecretError::Malformed)?;
        self.decrypt_blob(encoded, &[])
    }

    fn decrypt_blob(&self, encoded: &str, aad: &[u8]) -> Result<Vec<u8>, SecretError> {
        let blob = STANDARD.decode(encoded).map_err(|_| SecretError::Malformed)?;
        if blob.len() < NONCE_LEN + 16 {
            return Err(SecretError::Malformed);
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SecretError::Malformed)?;
        let payload = Payload { msg: sealed, aad };
        self.cipher
            .decrypt(&Nonce::from(nonce), payload)
            .map_err(|_| SecretError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_fresh_nonces_and_tamper_detection() {
        let sb = SecretBox::new(&[1; 32]).expect("key");
        let a = sb.seal_str(Slot::MachinePassword, "m1", "hunter2-password");
        let b = sb.seal_str(Slot::MachinePassword, "m1", "hunter2-password");
        assert_ne!(a, b, "a fresh nonce per value");
        assert!(!a.contains("hunter2"));
        assert_eq!(
            sb.open_str(Slot::MachinePassword, "m1", &a).expect("open"),
            "hunter2-password"
        );

        let other = SecretBox::new(&[2; 32]).expect("key");
        assert!(matches!(
            other.open_str(Slot::MachinePassword, "m1", &a),
            Err(SecretError::Undecryptable)
        ));
        let mut tampered = a.clone();
        tampered.replace_range(10..11, if &a[10..11] == "A" { "B" } else { "A" });
        assert!(sb.open_str(Slot::MachinePassword, "m1", &tampered).is_err());
        assert!(matches!(
            sb.open_str(Slot::MachinePassword, "m1", "plain"),
            Err(SecretError::Malformed)
        ));
        assert!(SecretBox::new(&[0; 16]).is_err());
        assert!(SecretBox::from_hex(&"ab".repeat(32)).is_ok());
    }

    #[test]
    fn a_value_moved_to_another_row_or_column_does_not_open() {
        let sb = SecretBox::new(&[3; 32]).expect("key");
        let sealed = sb.seal_str(Slot::MachinePassword, "machine-a", "pw");
        assert!(matches!(
            sb.open_str(Slot::MachinePassword, "machine-b", &sealed),
            Err(SecretError::Undecryptable)
        ));
        assert!(matches!(
            sb.open_str(Slot::MachinePassphrase, "machine-a", &sealed),
            Err(SecretError::Undecryptable)
        ));
    }

    #[test]
    fn legacy_values_open_only_through_the_legacy_path() {
        let sb = SecretBox::new(&[4; 32]).expect("key");
        // A v1 value: nonce || ciphertext without associated data.
        let cipher = Aes256Gcm::new_from_slice(&[4; 32]).expect("key");
        let nonce = [9u8; NONCE_LEN];
        let mut blob = nonce.to_vec();
        blob.extend(
            cipher
                .encrypt(&Nonce::from(nonce), &b"old-secret"[..])
                .expect("encrypt"),
        );
        let v1 = format!("v1:{}", STANDARD.encode(blob));
        assert!(SecretBox::is_legacy(&v1));
        assert_eq!(sb.open_legacy(&v1).expect("legacy"), b"old-secret");
        assert!(
            sb.open(Slot::MachinePassword, "m", &v1).is_err(),
            "v1 is not accepted as v2"
        );
    }
}
