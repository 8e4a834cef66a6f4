//! The fixed scripts run on etcd hosts (caller values only ever as `$1`, `$2`,
//! …), and running a command so that a failure says where and what.

use std::time::Duration;

use crate::error::StepError;
use crate::ssh::{ExecOutput, LineSink, RemoteCommand, SshSession};
use crate::upstream::tidy;

/// Creates the private directory `$1` (mode 0700), or accepts it if it is
/// already ours: a directory, not a link, owned by this user.
pub const PRIVATE_DIR: &str = r#"set -eu
umask 077
d="$1"
if [ -L "$d" ]; then echo "refusing $d: it is a symbolic link" >&2; exit 3; fi
if [ -e "$d" ]; then
  if [ ! -d "$d" ] || [ ! -O "$d" ]; then echo "refusing $d: it exists and is not our directory" >&2; exit 3; fi
  chmod 700 "$d"
else
  mkdir -m 700 "$d"
fi"#;

/// Removes our scratch directory or an unused restored data dir `$1`
/// (only names we create).
pub const REMOVE_SCRATCH: &str = r#"set -eu
d="$1"
case "${d##*/}" in taichu-backup-*|taichu-restore-*|*.taichu-restore-*-new) ;; *) echo "refusing to remove $d" >&2; exit 3;; esac
if [ -L "$d" ]; then rm -f -- "$d"; elif [ -e "$d" ]; then rm -rf -- "$d"; fi"#;

/// Moves file `$1` into directory `$2` (created 0700) if `$1` is there.
pub const MOVE_INTO: &str = r#"set -eu
if [ -e "$1" ]; then
  mkdir -p -m 700 "$2"
  mv -f -- "$1" "$2/"
fi"#;

/// Puts restored data dir `$2` in place of `$1`, keeping the old one as `$3`;
/// `$4` marks it done, so running it again changes nothing.
pub const SWAP_IN: &str = r#"set -eu
data="$1"; new="$2"; aside="$3"; done="$4"
if [ -e "$done" ]; then exit 0; fi
if [ ! -d "$new" ]; then
  # Moved in by a run cut short before it could mark it done.
  if [ -e "$aside" ] && [ -d "$data" ]; then : > "$done"; exit 0; fi
  echo "restored data $new is missing" >&2; exit 3
fi
if [ -e "$data" ] && [ ! -e "$aside" ]; then mv -- "$data" "$aside"; fi
if [ -e "$data" ]; then echo "$data still exists next to $aside" >&2; exit 3; fi
mv -- "$new" "$data"
: > "$done""#;

/// Puts the old data dir `$2` back as `$1` (a restored one there moves to `$3`).
pub const SWAP_BACK: &str = r#"set -eu
data="$1"; aside="$2"; failed="$3"
if [ ! -e "$aside" ]; then exit 0; fi
if [ -e "$data" ]; then rm -rf -- "$failed"; mv -- "$data" "$failed"; fi
mv -- "$aside" "$data""#;

/// Prints the SHA-256 of file `$1`, or nothing if it is not there.
pub const SHA256_IF_PRESENT: &str = r#"if [ -f "$1" ]; then sha256sum -- "$1" | cut -d' ' -f1; fi"#;

/// Runs `command` on `host`: its output streams to `sink`; a non-zero exit is
/// an error naming the host, the command and the last thing it said.
pub async fn run(
    session: &SshSession,
    sink: &dyn LineSink,
    host: &str,
    command: &RemoteCommand,
    timeout: Duration,
) -> Result<ExecOutput, StepError> {
    let out = session.exec(command, timeout, sink).await?;
    if out.success() {
        return Ok(out);
    }
    let said = out
        .stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .or_else(|| out.stdout.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("no output");
    let status = out
        .exit_status
        .map_or_else(|| "no exit status".to_owned(), |s| format!("exit {s}"));
    Err(StepError::transient(format!(
        "on {host}: {} failed ({status}): {}",
        tidy(&command.to_string()),
        tidy(said)
    )))
}

/// Like [`run`], for commands whose failure retrying cannot fix.
pub async fn run_once(
    session: &SshSession,
    sink: &dyn LineSink,
    host: &str,
    command: &RemoteCommand,
    timeout: Duration,
) -> Result<ExecOutput, StepError> {
    run(session, sink, host, command, timeout)
        .await
        .map_err(|e| StepError::permanent(e.to_string()))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Runs `script` through a real local `sh` with `args`, as a host would.
    fn sh(script: &'static str, args: &[&Path]) -> bool {
        let line = RemoteCommand::script(script)
            .args(args.iter().map(|p| p.display().to_string()))
            .to_shell()
            .expect("line");
        std::process::Command::new("sh")
            .arg("-c")
            .arg(line)
            .status()
            .expect("sh")
            .success()
    }

    fn mark(dir: &Path, what: &str) {
        std::fs::create_dir_all(dir).expect("dir");
        std::fs::write(dir.join("which"), what).expect("mark");
    }

    fn which(dir: &Path) -> String {
        std::fs::read_to_string(dir.join("which")).unwrap_or_default()
    }

    #[test]
    fn the_swap_survives_being_cut_short_anywhere_and_goes_back() {
        let tmp = tempfile::tempdir().expect("tmp");
        let root = tmp.path();
        let (data, new, aside, done, failed) = (
            root.join("etcd"),
            root.join("etcd.new"),
            root.join("etcd.old"),
            root.join("swapped"),
            root.join("etcd.failed"),
        );
        let swap = |args: &[&Path]| sh(SWAP_IN, args);
        let all = [data.as_path(), new.as_path(), aside.as_path(), done.as_path()];

        mark(&data, "old");
        mark(&new, "restored");
        assert!(swap(&all));
        assert_eq!((which(&data), which(&aside)), ("restored".into(), "old".into()));
        assert!(swap(&all), "again: nothing to do");
        assert_eq!(which(&data), "restored");

        // Cut short after the old data moved aside.
        std::fs::remove_file(&done).expect("rm");
        std::fs::rename(&data, &new).expect("back to new");
        assert!(swap(&all));
        assert_eq!((which(&data), which(&aside)), ("restored".into(), "old".into()));

        // Cut short after the restored data moved in, before it was marked.
        std::fs::remove_file(&done).expect("rm");
        assert!(swap(&all));
        assert!(done.exists());

        assert!(sh(SWAP_BACK, &[&data, &aside, &failed]));
        assert_eq!((which(&data), which(&failed)), ("old".into(), "restored".into()));
        assert!(sh(SWAP_BACK, &[&data, &aside, &failed]), "again: nothing to do");
        assert_eq!(which(&data), "old");
    }

    #[test]
    fn scratch_removal_only_takes_our_names_and_private_dirs_refuse_links() {
        let tmp = tempfile::tempdir().expect("tmp");
        let ours = tmp.path().join("taichu-backup-1");
        let theirs = tmp.path().join("etcd");
        mark(&ours, "x");
        mark(&theirs, "x");
        assert!(sh(REMOVE_SCRATCH, &[&ours]));
        assert!(!ours.exists());
        assert!(!sh(REMOVE_SCRATCH, &[&theirs]));
        assert!(theirs.exists());

        let link = tmp.path().join("taichu-backup-2");
        std::os::unix::fs::symlink(&theirs, &link).expect("link");
        assert!(!sh(PRIVATE_DIR, &[&link]), "a link is refused");
        let fresh = tmp.path().join("taichu-backup-3");
        assert!(sh(PRIVATE_DIR, &[&fresh]));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&fresh).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }
}
