//! `taichu backup decrypt`: opens a stored part of a backup with the master
//! key, outside the service: a bucket, the master key and this command are
//! enough to read a backup even without Taichu's database.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use taichu_storage::objects::HashingReader;
use taichu_storage::sealed_stream::{self, DataKey};
use taichu_storage::secrets::Slot;
use taichu_workflows::manifest::Manifest;
use tokio::io::AsyncWriteExt;

use crate::config::DatabaseArgs;

#[derive(Debug, Args)]
pub struct DecryptArgs {
    /// The backup's `manifest.json`.
    #[arg(long)]
    pub manifest: PathBuf,
    /// A stored part: `etcd/snapshot.db.enc` or `resources/resources.tar.zst.enc`.
    #[arg(long)]
    pub input: PathBuf,
    /// Where the decrypted part goes (`-`: standard output).
    #[arg(long)]
    pub output: PathBuf,
    #[command(flatten)]
    pub keys: DatabaseArgs,
}

/// Decrypts `input` into `output`, checking both SHA-256 sums the manifest records.
pub async fn run(args: DecryptArgs) -> anyhow::Result<()> {
    if args.keys.secret_key.is_none() && !args.keys.data_dir.join("secret_key").exists() {
        bail!("no master key: set TAICHU_SECRET_KEY or --data-dir to the directory holding secret_key");
    }
    let secrets = args.keys.secret_box()?;
    let manifest = std::fs::read(&args.manifest).with_context(|| format!("reading {}", args.manifest.display()))?;
    let manifest = Manifest::parse(&manifest).map_err(anyhow::Error::msg)?;
    let sealed = manifest
        .data_key_sealed
        .as_deref()
        .context("the manifest holds no sealed data key")?;
    let key = secrets
        .open(Slot::BackupDataKey, &manifest.backup_id, sealed)
        .context("the data key does not open with this master key")?;
    let key = DataKey::from_bytes(&key)?;
    let file_name = args
        .input
        .file_name()
        .and_then(|n| n.to_str())
        .context("--input has no file name")?;
    let part = manifest
        .parts
        .iter()
        .find(|p| p.object.as_deref().is_some_and(|o| o.ends_with(file_name)))
        .with_context(|| format!("the manifest lists no part stored as {file_name}"))?;
    let input = tokio::fs::File::open(&args.input)
        .await
        .with_context(|| format!("opening {}", args.input.display()))?;
    let (hashing, stored) = HashingReader::new(input);
    let (mut plain, plain_digest) = sealed_stream::open(hashing, &key);
    let mut out: Box<dyn tokio::io::AsyncWrite + Unpin + Send> = if args.output.as_os_str() == "-" {
        Box::new(tokio::io::stdout())
    } else {
        Box::new(
            tokio::fs::File::create(&args.output)
                .await
                .with_context(|| format!("creating {}", args.output.display()))?,
        )
    };
    let copied = tokio::io::copy(&mut plain, &mut out).await;
    out.flush().await?;
    let (stored_sha256, _) = stored.finish();
    if part.sha256.as_deref() != Some(stored_sha256.as_str()) {
        bail!("{file_name}: SHA-256 {stored_sha256} is not the manifest's; the file is damaged or altered");
    }
    copied.context("decrypting (the file is damaged, truncated, or of another backup)")?;
    let (plain_sha256, plain_size) = plain_digest.finish();
    if part.plain_sha256.as_deref() != Some(plain_sha256.as_str()) {
        bail!("the decrypted {file_name} has SHA-256 {plain_sha256}, not the manifest's");
    }
    eprintln!("decrypted {file_name}: {plain_size} bytes, sha256 {plain_sha256} (matches the manifest)");
    Ok(())
}
