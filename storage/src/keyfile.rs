//! Keys generated once and kept in the data dir (mode 0600), for deployments
//! that do not pass them in the environment.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Reads the hex key in `path`, or creates it with `len` random bytes.
/// Refuses a key file that other users can read.
pub fn load_or_create(path: &Path, len: usize) -> std::io::Result<Vec<u8>> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut key = vec![0u8; len];
    rand::Rng::fill(&mut rand::rng(), key.as_mut_slice());
    match OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(mut file) => {
            file.write_all(hex::encode(&key).as_bytes())?;
            file.sync_all()?;
            tracing::info!(path = %path.display(), "generated a new key file");
            Ok(key)
        }
        Err(err) if err.kind() == ErrorKind::AlreadyExists => read_existing(path),
        Err(err) => Err(err),
    }
}

fn read_existing(path: &Path) -> std::io::Result<Vec<u8>> {
    let mode = fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(std::io::Error::new(
            ErrorKind::PermissionDenied,
            format!(
                "{} is readable by other users (mode {:o}); chmod 600 it",
                path.display(),
                mode & 0o777
            ),
        ));
    }
    let text = fs::read_to_string(path)?;
    hex::decode(text.trim()).map_err(|_| {
        std::io::Error::new(
            ErrorKind::InvalidData,
            format!("{} does not hold a hex key", path.display()),
        )
    })
}
