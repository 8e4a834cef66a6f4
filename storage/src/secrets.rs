//! Secrets at rest (SSH passwords and keys, kubeconfigs): AES-256-GCM under
//! the master key, a fresh random nonce per value. Stored as
//! `v1:<base64(nonce || ciphertext+tag)>`; the version prefix lets the format
//! change later without guessing.

use std::fmt;
use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

const PREFIX: &str = "v1:";
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

    /// From 64 hex characters (the form of `TAICHU_SECRET_KEY`).
    pub fn from_hex(text: &str) -> Result<Self, SecretError> {
        Self::new(&hex::decode(text.trim()).map_err(|_| SecretError::BadKey)?)
    }

    pub fn encrypt(&self, plaintext: &[u8]) -> String {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        // Encryption with a valid key and nonce cannot fail for in-memory data.
        let sealed = self
            .cipher
            .encrypt(&Nonce::from(nonce_bytes), plaintext)
            .unwrap_or_default();
        let mut blob = nonce_bytes.to_vec();
        blob.extend_from_slice(&sealed);
        format!("{PREFIX}{}", STANDARD.encode(blob))
    }

    pub fn encrypt_str(&self, plaintext: &str) -> String {
        self.encrypt(plaintext.as_bytes())
    }

    pub fn decrypt(&self, stored: &str) -> Result<Vec<u8>, SecretError> {
        let encoded = stored.strip_prefix(PREFIX).ok_or(SecretError::Malformed)?;
        let blob = STANDARD.decode(encoded).map_err(|_| SecretError::Malformed)?;
        if blob.len() < NONCE_LEN + 16 {
            return Err(SecretError::Malformed);
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SecretError::Malformed)?;
        self.cipher
            .decrypt(&Nonce::from(nonce), sealed)
            .map_err(|_| SecretError::Undecryptable)
    }

    pub fn decrypt_str(&self, stored: &str) -> Result<String, SecretError> {
        String::from_utf8(self.decrypt(stored)?).map_err(|_| SecretError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_fresh_nonces_and_tamper_detection() {
        let sb = SecretBox::new(&[1; 32]).expect("key");
        let a = sb.encrypt_str("hunter2-password");
        let b = sb.encrypt_str("hunter2-password");
        assert_ne!(a, b, "a fresh nonce per value");
        assert!(!a.contains("hunter2"));
        assert_eq!(sb.decrypt_str(&a).expect("open"), "hunter2-password");

        let other = SecretBox::new(&[2; 32]).expect("key");
        assert!(matches!(other.decrypt_str(&a), Err(SecretError::Undecryptable)));
        let mut tampered = a.clone();
        tampered.replace_range(10..11, if &a[10..11] == "A" { "B" } else { "A" });
        assert!(sb.decrypt_str(&tampered).is_err());
        assert!(matches!(sb.decrypt_str("plain"), Err(SecretError::Malformed)));
        assert!(SecretBox::new(&[0; 16]).is_err());
        assert!(SecretBox::from_hex(&"ab".repeat(32)).is_ok());
    }
}
