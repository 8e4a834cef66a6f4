//! Private keys users upload. Decoding an encrypted key runs its key
//! derivation, whose cost the key file itself chooses: a key asking for 2^32
//! bcrypt rounds would hold a thread for days. Costs are read from the file
//! and capped before anything is derived, and decoding runs on the blocking
//! pool, a few at a time, under a deadline.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use base64::Engine as _;
use russh::keys::PrivateKey;
use tokio::sync::Semaphore;

/// Most bcrypt rounds an OpenSSH key may ask for (`ssh-keygen -a`; its default is 16).
pub const MAX_BCRYPT_ROUNDS: u32 = 1024;
/// Most PBKDF2 iterations a PKCS#8 key may ask for.
pub const MAX_PBKDF2_ITERATIONS: u32 = 1_000_000;
/// Most memory a PKCS#8 key's scrypt may ask for.
pub const MAX_SCRYPT_BYTES: u64 = 64 << 20;
/// How long one decode may take.
pub const DECODE_DEADLINE: Duration = Duration::from_secs(10);
/// Decodes running at once, across the process.
const DECODES_AT_ONCE: usize = 2;

static DECODES: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(DECODES_AT_ONCE)));

/// The base64 body between a PEM's BEGIN and END lines.
fn pem_body(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = pem[start..].find(&end)? + start;
    let text: String = pem[start..stop].chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// Reads a big-endian u32 and a length-prefixed string from an OpenSSH key.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn u32(&mut self) -> Option<u32> {
        let (head, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_be_bytes(*head))
    }

    fn string(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.u32()?).ok()?;
        if len > self.0.len() {
            return None;
        }
        let (s, rest) = self.0.split_at(len);
        self.0 = rest;
        Some(s)
    }
}

/// The bcrypt rounds an OpenSSH key asks for (`None` when it is not encrypted).
fn openssh_rounds(blob: &[u8]) -> Result<Option<u32>, String> {
    let rest = blob
        .strip_prefix(b"openssh-key-v1\0")
        .ok_or("not an OpenSSH private key")?;
    let mut r = Reader(rest);
    let malformed = || "malformed OpenSSH private key".to_owned();
    let _cipher = r.string().ok_or_else(malformed)?;
    let kdf = r.string().ok_or_else(malformed)?;
    let options = r.string().ok_or_else(malformed)?;
    match kdf {
        b"none" => Ok(None),
        b"bcrypt" => {
            let mut o = Reader(options);
            let _salt = o.string().ok_or_else(malformed)?;
            Ok(Some(o.u32().ok_or_else(malformed)?))
        }
        other => Err(format!(
            "unsupported key derivation {:?}",
            String::from_utf8_lossy(other)
        )),
    }
}

/// Refuses a PKCS#8 key whose PBES2 derivation costs more than the caps.
fn check_pkcs8_cost(der: &[u8]) -> Result<(), String> {
    use pkcs8::der::Decode;
    let info = pkcs8::EncryptedPrivateKeyInfoRef::from_der(der).map_err(|e| format!("malformed PKCS#8 key: {e}"))?;
    let pkcs5::EncryptionScheme::Pbes2(params) = &info.encryption_algorithm else {
        return Err("only PBES2-encrypted PKCS#8 keys are accepted".into());
    };
    match &params.kdf {
        pkcs5::pbes2::Kdf::Pbkdf2(p) if p.iteration_count > MAX_PBKDF2_ITERATIONS => Err(format!(
            "the key asks for {} PBKDF2 iterations; at most {MAX_PBKDF2_ITERATIONS} are accepted",
            p.iteration_count
        )),
        pkcs5::pbes2::Kdf::Scrypt(p) => {
            // scrypt holds 128 × N × r bytes, and runs p times.
            let bytes = p
                .cost_parameter
                .saturating_mul(u64::from(p.block_size))
                .saturating_mul(128);
            if bytes > MAX_SCRYPT_BYTES || p.parallelization > 4 {
                Err(format!(
                    "the key's scrypt parameters need {} MiB (p={}); at most {} MiB and p=4 are accepted",
                    bytes >> 20,
                    p.parallelization,
                    MAX_SCRYPT_BYTES >> 20
                ))
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

/// Checks what a key file asks of us before anything is derived from it.
pub fn check_cost(pem: &str) -> Result<(), String> {
    let trimmed = pem.trim_start();
    if trimmed.starts_with("PuTTY-User-Key-File-") {
        return Err("PuTTY (.ppk) keys are not accepted; convert with `puttygen key.ppk -O private-openssh`".into());
    }
    if let Some(blob) = pem_body(pem, "OPENSSH PRIVATE KEY") {
        if let Some(rounds) = openssh_rounds(&blob)?
            && rounds > MAX_BCRYPT_ROUNDS
        {
            return Err(format!(
                "the key asks for {rounds} bcrypt rounds; at most {MAX_BCRYPT_ROUNDS} are accepted (ssh-keygen -a)"
            ));
        }
    } else if let Some(der) = pem_body(pem, "ENCRYPTED PRIVATE KEY") {
        check_pkcs8_cost(&der)?;
    }
    Ok(())
}

/// Decodes `pem` (with `passphrase` if encrypted) after [`check_cost`], on
/// the blocking pool, at most a few at once, within [`DECODE_DEADLINE`].
pub async fn decode(pem: &str, passphrase: Option<&str>) -> Result<PrivateKey, String> {
    check_cost(pem)?;
    let permit = tokio::time::timeout(DECODE_DEADLINE, DECODES.clone().acquire_owned())
        .await
        .map_err(|_| "too many keys are being decoded; try again shortly".to_owned())?
        .map_err(|_| "key decoding is shut down".to_owned())?;
    let (pem, passphrase) = (pem.to_owned(), passphrase.map(str::to_owned));
    // The permit goes with the work: a decode that outlives its deadline
    // still holds its slot, so stuck decodes cannot pile up.
    let work = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        russh::keys::decode_secret_key(&pem, passphrase.as_deref()).map_err(|e| e.to_string())
    });
    match tokio::time::timeout(DECODE_DEADLINE, work).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err("decoding the key failed".into()),
        Err(_) => Err(format!(
            "decoding the key took longer than {} s",
            DECODE_DEADLINE.as_secs()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn puttys_and_garbage_are_told_apart() {
        assert!(check_cost("PuTTY-User-Key-File-3: ssh-ed25519\n").is_err());
        assert!(check_cost("not a key at all").is_ok(), "left to the decoder");
    }

    #[test]
    fn rounds_are_read_from_the_header() {
        let mut blob = b"openssh-key-v1\0".to_vec();
        for s in [&b"aes256-ctr"[..], b"bcrypt"] {
            blob.extend((s.len() as u32).to_be_bytes());
            blob.extend(s);
        }
        let mut options = Vec::new();
        options.extend(16u32.to_be_bytes());
        options.extend([7u8; 16]);
        options.extend(u32::MAX.to_be_bytes());
        blob.extend((options.len() as u32).to_be_bytes());
        blob.extend(options);
        assert_eq!(openssh_rounds(&blob), Ok(Some(u32::MAX)));
        let pem = format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(&blob)
        );
        assert!(
            check_cost(&pem)
                .expect_err("capped")
                .contains("4294967295 bcrypt rounds")
        );
    }
}
