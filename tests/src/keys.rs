//! Private keys for tests, made by the real `ssh-keygen`, and hostile ones
//! derived from them.

use std::process::Command;

use base64::Engine as _;

/// An OpenSSH ed25519 key encrypted with `passphrase` and `rounds` bcrypt rounds.
pub fn encrypted(passphrase: &str, rounds: u32) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("key");
    let out = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            passphrase,
            "-a",
            &rounds.to_string(),
            "-C",
            "t",
            "-f",
        ])
        .arg(&path)
        .output()
        .expect("ssh-keygen");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read_to_string(path).expect("key")
}

/// `pem` (an encrypted OpenSSH key) with its bcrypt rounds rewritten to
/// `rounds`: a key file that asks whoever opens it for that much work.
pub fn with_rounds(pem: &str, rounds: u32) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let mut blob = engine.decode(body).expect("base64");
    // magic, then cipher name and kdf name, then kdf options: salt, rounds.
    let mut at = b"openssh-key-v1\0".len();
    let read_len = |blob: &[u8], at: usize| u32::from_be_bytes(blob[at..at + 4].try_into().expect("u32")) as usize;
    for _ in 0..2 {
        at += 4 + read_len(&blob, at);
    }
    at += 4; // kdf options length
    at += 4 + read_len(&blob, at); // salt
    blob[at..at + 4].copy_from_slice(&rounds.to_be_bytes());
    let encoded = engine.encode(blob);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(70)
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect();
    format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
        lines.join("\n")
    )
}
