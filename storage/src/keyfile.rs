//! Keys generated once and kept in the data dir (mode 0600), for deployments
//! that do not pass them in the environment.
//!
//! A new key is written whole to a private temporary file, synced, then
//! hard-linked into place: the link fails if the name exists, so two processes
//! starting on one data dir agree on one key, and neither ever reads a file
//! still being written.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Reads the hex key in `path`, or creates it with `len` random bytes.
/// Refuses a key file that other users can read.
pub fn load_or_create(path: &Path, len: usize) -> std::io::Result<Vec<u8>> {
    if path.exists() {
        return read_existing(path);
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut key = vec![0u8; len];
    rand::Rng::fill(&mut rand::rng(), key.as_mut_slice());
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("key");
    let temp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)?;
    let written = file
        .write_all(hex::encode(&key).as_bytes())
        .and_then(|()| file.sync_all());
    let linked = written.and_then(|()| fs::hard_link(&temp, path));
    let _ = fs::remove_file(&temp);
    match linked {
        Ok(()) => {
            if let Ok(d) = fs::File::open(dir) {
                let _ = d.sync_all();
            }
            tracing::info!(path = %path.display(), "generated a new key file");
            Ok(key)
        }
        // Another process got there first: use its key.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn racing_creators_agree_on_one_whole_key() {
        for round in 0..20 {
            let dir = tempfile::tempdir().expect("dir");
            let path = dir.path().join("secret_key");
            let keys: Vec<Vec<u8>> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..8).map(|_| s.spawn(|| load_or_create(&path, 32))).collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("thread").expect("key"))
                    .collect()
            });
            assert!(
                keys.iter().all(|k| k.len() == 32),
                "round {round}: a short key was read"
            );
            assert!(keys.windows(2).all(|w| w[0] == w[1]), "round {round}: keys differ");
            let mode = fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let leftovers = fs::read_dir(dir.path()).expect("dir").count();
            assert_eq!(leftovers, 1, "no temporary files remain");
        }
    }

    #[test]
    fn a_readable_key_file_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("k");
        fs::write(&path, "00".repeat(32)).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = load_or_create(&path, 32).expect_err("refused");
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }
}
