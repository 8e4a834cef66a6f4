//! The object store backups go to: local files under the data dir by
//! default, or any S3-compatible store (`TAICHU_OBJECT_STORE=s3://bucket[/prefix]`,
//! endpoint, region and keys from the standard `AWS_*` variables, path-style
//! addressing). Uploads stream in parts, hashed on the way, so memory does
//! not grow with the object; a failed upload is aborted, never left half-written.

use std::path::Path as FsPath;
use std::sync::Arc;

use futures::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::{Result, StorageError};

/// Bytes per uploaded part (S3's minimum is 5 MiB).
pub const PART_SIZE: usize = 8 << 20;
/// Parts in flight at once: memory stays near `PART_SIZE × (PARTS_IN_FLIGHT + 1)`.
pub const PARTS_IN_FLIGHT: usize = 2;

/// Where a backup's objects go: everything under one prefix per backup.
pub fn backup_prefix(cluster_id: &str, backup_id: &str) -> String {
    format!("clusters/{cluster_id}/backups/{backup_id}/")
}

/// The backup's manifest (parts, sizes, checksums, etcd facts).
pub fn manifest_key(cluster_id: &str, backup_id: &str) -> String {
    format!("{}manifest.json", backup_prefix(cluster_id, backup_id))
}

/// The backup's etcd snapshot, encrypted.
pub fn etcd_snapshot_key(cluster_id: &str, backup_id: &str) -> String {
    format!("{}etcd/snapshot.db.enc", backup_prefix(cluster_id, backup_id))
}

/// The backup's resources archive, encrypted.
pub fn resources_archive_key(cluster_id: &str, backup_id: &str) -> String {
    format!(
        "{}resources/resources.tar.zst.enc",
        backup_prefix(cluster_id, backup_id)
    )
}

/// What was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub size: u64,
    /// Hex SHA-256 of the bytes as stored.
    pub sha256: String,
}

/// A configured object store, rooted at its prefix.
#[derive(Clone)]
pub struct Objects {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    /// `s3://bucket/prefix/` or `file:///abs/dir/`: how keys are shown.
    base_url: String,
}

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Objects")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

fn store_error(err: object_store::Error) -> StorageError {
    let text = err.to_string();
    let has = |codes: &[&str]| codes.iter().any(|c| text.contains(c));
    let reason = match &err {
        _ if has(&["NoSuchBucket"]) => "the bucket does not exist".to_owned(),
        object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } => {
            REFUSED.to_owned()
        }
        _ if has(&[
            "SignatureDoesNotMatch",
            "InvalidAccessKeyId",
            "AccessDenied",
            "403 Forbidden",
        ]) =>
        {
            REFUSED.to_owned()
        }
        object_store::Error::NotFound { path, .. } => format!("not found: {path}"),
        // The first line says what failed; the rest is the server's XML.
        _ => text.lines().next().unwrap_or_default().chars().take(300).collect(),
    };
    StorageError::Objects(reason)
}

const REFUSED: &str = "the store refused the credentials (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)";

impl Objects {
    /// From `TAICHU_OBJECT_STORE` (`s3://bucket[/prefix]`, or unset for local
    /// files under `data_dir/objects`).
    pub fn open(spec: Option<&str>, data_dir: &FsPath) -> Result<Self> {
        match spec.map(str::trim).filter(|s| !s.is_empty()) {
            Some(url) if url.starts_with("s3://") => {
                let rest = &url["s3://".len()..];
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                if bucket.is_empty() {
                    return Err(StorageError::Objects(
                        "TAICHU_OBJECT_STORE: s3:// needs a bucket".into(),
                    ));
                }
                let store = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_virtual_hosted_style_request(false)
                    .build()
                    .map_err(|e| StorageError::Objects(format!("TAICHU_OBJECT_STORE: {e}")))?;
                let prefix = prefix.trim_matches('/');
                let base_url = if prefix.is_empty() {
                    format!("s3://{bucket}/")
                } else {
                    format!("s3://{bucket}/{prefix}/")
                };
                Ok(Self {
                    store: Arc::new(store),
                    prefix: Path::from(prefix),
                    base_url,
                })
            }
            Some(other) => Err(StorageError::Objects(format!(
                "TAICHU_OBJECT_STORE must be s3://bucket[/prefix] or unset, not {}://…",
                other.split("://").next().unwrap_or("?")
            ))),
            None => {
                let dir = data_dir.join("objects");
                std::fs::create_dir_all(&dir).map_err(|e| StorageError::Objects(format!("{}: {e}", dir.display())))?;
                let dir = dir
                    .canonicalize()
                    .map_err(|e| StorageError::Objects(format!("{}: {e}", dir.display())))?;
                let store = LocalFileSystem::new_with_prefix(&dir).map_err(store_error)?;
                Ok(Self {
                    store: Arc::new(store),
                    prefix: Path::default(),
                    base_url: format!("file://{}/", dir.display()),
                })
            }
        }
    }

    /// The store as users see it (no credentials).
    pub fn describe(&self) -> &str {
        &self.base_url
    }

    fn path(&self, key: &str) -> Path {
        let mut parts: Vec<String> = self.prefix.parts().map(|p| p.as_ref().to_owned()).collect();
        parts.extend(key.split('/').filter(|s| !s.is_empty()).map(str::to_owned));
        Path::from_iter(parts)
    }

    /// `key` as a URL, e.g. `s3://bucket/clusters/…/` for a prefix.
    pub fn url_of(&self, key: &str) -> String {
        format!("{}{}", self.base_url, key.trim_start_matches('/'))
    }

    /// Whether the store answers: the bucket exists and the keys work.
    pub async fn check(&self) -> Result<()> {
        let prefix = (!self.prefix.as_ref().is_empty()).then_some(&self.prefix);
        self.store.list_with_delimiter(prefix).await.map_err(store_error)?;
        Ok(())
    }

    /// Streams `reader` into `key` in parts, hashing on the way. On any
    /// error the upload is aborted: no partial object stays behind.
    pub async fn upload(&self, key: &str, mut reader: impl AsyncRead + Unpin) -> Result<Stored> {
        let path = self.path(key);
        let upload = self.store.put_multipart(&path).await.map_err(store_error)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match reader.read(&mut buf).await {
                Ok(n) => n,
                Err(err) => {
                    let _ = writer.abort().await;
                    return Err(StorageError::Objects(format!("reading what was to be stored: {err}")));
                }
            };
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            size += n as u64;
            if let Err(err) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                let _ = writer.abort().await;
                return Err(store_error(err));
            }
            writer.write(&buf[..n]);
        }
        writer.finish().await.map_err(store_error)?;
        Ok(Stored {
            size,
            sha256: hex::encode(hasher.finalize()),
        })
    }

    /// Stores a small object whole.
    pub async fn put_bytes(&self, key: &str, bytes: Vec<u8>) -> Result<Stored> {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let size = bytes.len() as u64;
        self.store
            .put(&self.path(key), PutPayload::from(bytes))
            .await
            .map_err(store_error)?;
        Ok(Stored { size, sha256 })
    }

    /// Reads a small object whole, refusing one larger than `max` bytes.
    pub async fn get_bytes(&self, key: &str, max: u64) -> Result<Vec<u8>> {
        let result = self.store.get(&self.path(key)).await.map_err(store_error)?;
        if result.meta.size > max {
            return Err(StorageError::Objects(format!("{key} is larger than {max} bytes")));
        }
        Ok(result.bytes().await.map_err(store_error)?.to_vec())
    }

    /// A reader over `key`'s bytes, streamed.
    pub async fn reader(&self, key: &str) -> Result<impl AsyncRead + Send + Unpin + 'static> {
        let result = self.store.get(&self.path(key)).await.map_err(store_error)?;
        let stream = result.into_stream().map(|chunk| chunk.map_err(std::io::Error::other));
        Ok(tokio_util::io::StreamReader::new(stream))
    }

    /// The size and SHA-256 of `key` as stored, read through once.
    pub async fn digest(&self, key: &str) -> Result<Stored> {
        let mut stream = self
            .store
            .get(&self.path(key))
            .await
            .map_err(store_error)?
            .into_stream();
        let (mut hasher, mut size) = (Sha256::new(), 0u64);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(store_error)?;
            size += chunk.len() as u64;
            hasher.update(&chunk);
        }
        Ok(Stored {
            size,
            sha256: hex::encode(hasher.finalize()),
        })
    }

    /// Deletes every object under `prefix`; returns how many.
    pub async fn delete_prefix(&self, prefix: &str) -> Result<u64> {
        let root = self.path(prefix);
        let mut listing = self.store.list(Some(&root));
        let mut deleted = 0;
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(store_error)?;
            self.store.delete(&meta.location).await.map_err(store_error)?;
            deleted += 1;
        }
        Ok(deleted)
    }

    /// The keys under `prefix`, relative to the store's root.
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let root = self.path(prefix);
        let skip = self.prefix.parts().count();
        let mut listing = self.store.list(Some(&root));
        let mut keys = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(store_error)?;
            let key: Vec<String> = meta
                .location
                .parts()
                .skip(skip)
                .map(|p| p.as_ref().to_owned())
                .collect();
            keys.push(key.join("/"));
        }
        keys.sort();
        Ok(keys)
    }
}

/// The SHA-256 and size of the bytes that went through a stream, shared
/// with whoever reads them once the stream has ended.
#[derive(Debug, Clone, Default)]
pub struct StreamDigest(Arc<std::sync::Mutex<(Sha256, u64)>>);

impl StreamDigest {
    pub fn update(&self, bytes: &[u8]) {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        guard.0.update(bytes);
        guard.1 += bytes.len() as u64;
    }

    /// Hex SHA-256 and size of everything seen.
    pub fn finish(&self) -> (String, u64) {
        let guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        (hex::encode(guard.0.clone().finalize()), guard.1)
    }
}

/// Hashes what is read through it: one pass checks a stored object's
/// checksum while its contents go on to be decrypted.
#[derive(Debug)]
pub struct HashingReader<R> {
    inner: R,
    digest: StreamDigest,
}

impl<R> HashingReader<R> {
    pub fn new(inner: R) -> (Self, StreamDigest) {
        let digest = StreamDigest::default();
        (
            Self {
                inner,
                digest: digest.clone(),
            },
            digest,
        )
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for HashingReader<R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if let std::task::Poll::Ready(Ok(())) = &polled {
            self.digest.update(&buf.filled()[before..]);
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_round_trip_streams_hashes_and_deletes() {
        let dir = tempfile::tempdir().expect("dir");
        let objects = Objects::open(None, dir.path()).expect("store");
        assert!(objects.describe().starts_with("file:///"));
        objects.check().await.expect("answers");
        let data: Vec<u8> = (0..(20 << 20)).map(|i: u32| (i % 251) as u8).collect();
        let stored = objects
            .upload("clusters/c/backups/b/etcd/snapshot.db", &data[..])
            .await
            .expect("upload");
        assert_eq!(stored.size, data.len() as u64);
        assert_eq!(stored.sha256, hex::encode(Sha256::digest(&data)));
        assert_eq!(
            objects
                .digest("clusters/c/backups/b/etcd/snapshot.db")
                .await
                .expect("digest"),
            stored
        );
        let mut back = Vec::new();
        objects
            .reader("clusters/c/backups/b/etcd/snapshot.db")
            .await
            .expect("reader")
            .read_to_end(&mut back)
            .await
            .expect("read");
        assert_eq!(back, data);
        objects
            .put_bytes("clusters/c/backups/b/manifest.json", b"{}".to_vec())
            .await
            .expect("put");
        assert_eq!(
            objects.list("clusters/c/backups/b").await.expect("list"),
            vec![
                "clusters/c/backups/b/etcd/snapshot.db",
                "clusters/c/backups/b/manifest.json"
            ]
        );
        assert_eq!(objects.delete_prefix("clusters/c/backups/b").await.expect("delete"), 2);
        assert!(objects.list("clusters/c").await.expect("list").is_empty());
        assert!(Objects::open(Some("ftp://x"), dir.path()).is_err());
    }
}
