//! The object store backups go to: local files under the data dir by
//! default, or any S3-compatible store (`TAICHU_OBJECT_STORE=s3://bucket[/prefix]`,
//! endpoint, region and keys from the standard `AWS_*` variables, path-style
//! addressing). Uploads stream in parts, hashed on the way, so memory does
//! not grow with the object; a failed upload is aborted, never left
//! half-written. An abort the store was not there to hear leaves an
//! incomplete multipart upload: [`Objects::abort_uploads`] finds and aborts
//! those once it answers again.

use std::path::Path as FsPath;
use std::sync::Arc;

use futures::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey, AwsAuthorizer};
use object_store::client::{HttpClient, HttpConnector, HttpRequest, HttpRequestBody, ReqwestConnector};
use object_store::local::LocalFileSystem;
use object_store::multipart::MultipartStore;
use object_store::path::Path;
use object_store::{
    BackoffConfig, ClientConfigKey, ClientOptions, MultipartUpload, ObjectStore, PutPayload, RetryConfig,
};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::task::JoinSet;

use crate::{Result, StorageError};

/// Bytes per uploaded part (S3's minimum is 5 MiB).
pub const PART_SIZE: usize = 8 << 20;
/// Parts in flight at once: memory stays near `PART_SIZE × (PARTS_IN_FLIGHT + 1)`.
pub const PARTS_IN_FLIGHT: usize = 2;

/// How each request to an S3 store is retried: at most 10 times, at most
/// 1 s apart, so a store that is away fails the call within about 10 s and
/// the workflow step that made it retries on its own, longer backoff
/// (the client's default waits up to 15 s between tries, up to 3 minutes).
fn retry() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: std::time::Duration::from_millis(100),
            max_backoff: std::time::Duration::from_secs(1),
            base: 2.0,
        },
        max_retries: 10,
        retry_timeout: std::time::Duration::from_secs(60),
    }
}

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
    /// S3 only: the calls `ObjectStore` does not make.
    s3: Option<S3Uploads>,
    prefix: Path,
    /// `s3://bucket/prefix/` or `file:///abs/dir/`: how keys are shown.
    base_url: String,
}

/// Listing and aborting incomplete multipart uploads, signed as the store's
/// own requests are (same credentials, region and endpoint).
#[derive(Clone)]
struct S3Uploads {
    store: Arc<AmazonS3>,
    client: HttpClient,
    /// `{endpoint}/{bucket}`: path-style, as the store is addressed.
    bucket_url: String,
    /// The endpoint, as errors name it.
    endpoint: String,
    region: String,
}

/// A multipart upload begun and neither completed nor aborted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpload {
    /// The object's key, relative to the store's root.
    pub key: String,
    pub upload_id: String,
}

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Objects")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// `err` as a reason a user can act on; `endpoint` is named when the store
/// did not answer at all.
fn store_error(err: object_store::Error, endpoint: Option<&str>) -> StorageError {
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
        // A transport failure (refused, reset, timed out), not an answer.
        _ if has(&["HTTP error:"]) => unanswered(endpoint, &innermost(&err)),
        // The first line says what failed; the rest is the server's XML.
        _ => text.lines().next().unwrap_or_default().chars().take(300).collect(),
    };
    StorageError::Objects(reason)
}

fn unanswered(endpoint: Option<&str>, detail: &str) -> String {
    format!(
        "the store at {} did not answer ({detail}); check that it is running and that the workers reach it, then run the backup again",
        endpoint.unwrap_or("its endpoint")
    )
}

/// The last error in `err`'s chain: the one that says what happened on the wire.
fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err;
    while let Some(source) = last.source() {
        last = source;
    }
    last.to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(120)
        .collect()
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
                let builder = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_virtual_hosted_style_request(false)
                    .with_retry(retry());
                let region = builder
                    .get_config_value(&AmazonS3ConfigKey::Region)
                    .unwrap_or_else(|| "us-east-1".to_owned());
                let endpoint = builder
                    .get_config_value(&AmazonS3ConfigKey::Endpoint)
                    .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
                let endpoint = endpoint.trim_end_matches('/').to_owned();
                let configured = |e: object_store::Error| StorageError::Objects(format!("TAICHU_OBJECT_STORE: {e}"));
                let store = Arc::new(builder.build().map_err(configured)?);
                let client = ReqwestConnector::default()
                    .connect(&client_options())
                    .map_err(configured)?;
                let prefix = prefix.trim_matches('/');
                let base_url = if prefix.is_empty() {
                    format!("s3://{bucket}/")
                } else {
                    format!("s3://{bucket}/{prefix}/")
                };
                Ok(Self {
                    store: store.clone(),
                    s3: Some(S3Uploads {
                        store,
                        client,
                        bucket_url: format!("{endpoint}/{}", encode(bucket)),
                        endpoint,
                        region,
                    }),
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
                let store = LocalFileSystem::new_with_prefix(&dir).map_err(|e| store_error(e, None))?;
                Ok(Self {
                    store: Arc::new(store),
                    s3: None,
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

    fn fail(&self, err: object_store::Error) -> StorageError {
        store_error(err, self.s3.as_ref().map(|s| s.endpoint.as_str()))
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
        self.store.list_with_delimiter(prefix).await.map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// Streams `reader` into `key` in parts, hashing on the way. On any
    /// error, the last part's included, the upload is aborted: no partial
    /// object stays behind.
    pub async fn upload(&self, key: &str, mut reader: impl AsyncRead + Unpin) -> Result<Stored> {
        let path = self.path(key);
        let mut upload = self.store.put_multipart(&path).await.map_err(|e| self.fail(e))?;
        let mut parts = JoinSet::new();
        // The reader lives until the abort is done: whoever writes into it
        // waits meanwhile instead of failing first with a broken pipe, so
        // the store's error is the one reported.
        let sent = self.send_parts(upload.as_mut(), &mut parts, &mut reader).await;
        let done = match sent {
            Ok(stored) => upload.complete().await.map(|_| stored).map_err(|e| self.fail(e)),
            Err(err) => Err(err),
        };
        if done.is_err() {
            parts.shutdown().await;
            if let Err(err) = upload.abort().await {
                tracing::warn!(key, error = %err, "an upload that failed could not be aborted; it is aborted once the store answers");
            }
        }
        done
    }

    /// Reads `reader` into parts of [`PART_SIZE`], each uploaded in a task of
    /// `parts` with at most [`PARTS_IN_FLIGHT`] at once, and waits for all.
    async fn send_parts(
        &self,
        upload: &mut dyn MultipartUpload,
        parts: &mut JoinSet<object_store::Result<()>>,
        reader: &mut (impl AsyncRead + Unpin),
    ) -> Result<Stored> {
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        let mut part: Vec<u8> = Vec::with_capacity(PART_SIZE);
        loop {
            let n = reader
                .read(&mut buf)
                .await
                .map_err(|err| StorageError::Objects(format!("reading what was to be stored: {err}")))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            size += n as u64;
            let mut rest = &buf[..n];
            while !rest.is_empty() {
                let take = rest.len().min(PART_SIZE - part.len());
                part.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
                if part.len() == PART_SIZE {
                    while parts.len() >= PARTS_IN_FLIGHT {
                        self.joined(parts.join_next().await)?;
                    }
                    let full = std::mem::replace(&mut part, Vec::with_capacity(PART_SIZE));
                    parts.spawn(upload.put_part(PutPayload::from(full)));
                }
            }
        }
        if !part.is_empty() {
            parts.spawn(upload.put_part(PutPayload::from(part)));
        }
        while let Some(joined) = parts.join_next().await {
            self.joined(Some(joined))?;
        }
        Ok(Stored {
            size,
            sha256: hex::encode(hasher.finalize()),
        })
    }

    fn joined(
        &self,
        joined: Option<std::result::Result<object_store::Result<()>, tokio::task::JoinError>>,
    ) -> Result<()> {
        match joined {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(err))) => Err(self.fail(err)),
            Some(Err(err)) => Err(StorageError::Objects(format!("an upload task ended: {err}"))),
        }
    }

    /// Stores a small object whole.
    pub async fn put_bytes(&self, key: &str, bytes: Vec<u8>) -> Result<Stored> {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let size = bytes.len() as u64;
        self.store
            .put(&self.path(key), PutPayload::from(bytes))
            .await
            .map_err(|e| self.fail(e))?;
        Ok(Stored { size, sha256 })
    }

    /// Reads a small object whole, refusing one larger than `max` bytes.
    pub async fn get_bytes(&self, key: &str, max: u64) -> Result<Vec<u8>> {
        let result = self.store.get(&self.path(key)).await.map_err(|e| self.fail(e))?;
        if result.meta.size > max {
            return Err(StorageError::Objects(format!("{key} is larger than {max} bytes")));
        }
        Ok(result.bytes().await.map_err(|e| self.fail(e))?.to_vec())
    }

    /// A reader over `key`'s bytes, streamed.
    pub async fn reader(&self, key: &str) -> Result<impl AsyncRead + Send + Unpin + 'static> {
        let result = self.store.get(&self.path(key)).await.map_err(|e| self.fail(e))?;
        let stream = result.into_stream().map(|chunk| chunk.map_err(std::io::Error::other));
        Ok(tokio_util::io::StreamReader::new(stream))
    }

    /// The size and SHA-256 of `key` as stored, read through once.
    pub async fn digest(&self, key: &str) -> Result<Stored> {
        let mut stream = self
            .store
            .get(&self.path(key))
            .await
            .map_err(|e| self.fail(e))?
            .into_stream();
        let (mut hasher, mut size) = (Sha256::new(), 0u64);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.fail(e))?;
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
            let meta = meta.map_err(|e| self.fail(e))?;
            self.store.delete(&meta.location).await.map_err(|e| self.fail(e))?;
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
            let meta = meta.map_err(|e| self.fail(e))?;
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

    /// The key `prefix` as the store names it (its own prefix first); a
    /// trailing `/` stays, so `a/b/` does not also match `a/bc`.
    fn store_prefix(&self, prefix: &str) -> String {
        let path = self.path(prefix);
        match prefix.ends_with('/') && !path.as_ref().is_empty() {
            true => format!("{}/", path.as_ref()),
            false => path.as_ref().to_owned(),
        }
    }

    /// Multipart uploads under `prefix` begun and neither completed nor
    /// aborted (S3's ListMultipartUploads); none for local files, whose
    /// unfinished parts are not objects.
    pub async fn incomplete_uploads(&self, prefix: &str) -> Result<Vec<PendingUpload>> {
        let Some(s3) = &self.s3 else {
            return Ok(Vec::new());
        };
        let prefix = self.store_prefix(prefix);
        let skip = self.prefix.parts().count();
        let mut found = Vec::new();
        let mut markers: Option<(String, String)> = None;
        loop {
            let mut query = format!("uploads=&prefix={}", encode(&prefix));
            if let Some((key, id)) = &markers {
                query.push_str(&format!("&key-marker={}&upload-id-marker={}", encode(key), encode(id)));
            }
            let xml = s3.get(&query).await?;
            for upload in xml.split("<Upload>").skip(1) {
                let (Some(key), Some(upload_id)) = (element(upload, "Key"), element(upload, "UploadId")) else {
                    continue;
                };
                let key: Vec<&str> = key.split('/').skip(skip).collect();
                found.push(PendingUpload {
                    key: key.join("/"),
                    upload_id,
                });
            }
            if element(&xml, "IsTruncated").as_deref() != Some("true") {
                return Ok(found);
            }
            let next = (element(&xml, "NextKeyMarker"), element(&xml, "NextUploadIdMarker"));
            match next {
                (Some(key), Some(id)) if markers.as_ref() != Some(&(key.clone(), id.clone())) => {
                    markers = Some((key, id));
                }
                _ => return Ok(found),
            }
        }
    }

    /// Aborts `upload` (one [`Objects::incomplete_uploads`] found).
    pub async fn abort_upload(&self, upload: &PendingUpload) -> Result<()> {
        let Some(s3) = &self.s3 else {
            return Ok(());
        };
        match s3
            .store
            .abort_multipart(&self.path(&upload.key), &upload.upload_id)
            .await
        {
            // Completed or aborted since it was listed.
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(err) => Err(self.fail(err)),
        }
    }

    /// Aborts every incomplete multipart upload under `prefix`; returns how many.
    pub async fn abort_uploads(&self, prefix: &str) -> Result<u64> {
        let mut aborted = 0;
        for upload in self.incomplete_uploads(prefix).await? {
            self.abort_upload(&upload).await?;
            aborted += 1;
        }
        Ok(aborted)
    }
}

impl S3Uploads {
    /// `GET {bucket}?{query}`, signed; the answer's body.
    async fn get(&self, query: &str) -> Result<String> {
        let credential = self
            .store
            .credentials()
            .get_credential()
            .await
            .map_err(|e| store_error(e, Some(&self.endpoint)))?;
        let url = format!("{}?{query}", self.bucket_url);
        let mut request = HttpRequest::new(HttpRequestBody::empty());
        *request.uri_mut() = url.parse().map_err(|e| StorageError::Objects(format!("{url}: {e}")))?;
        AwsAuthorizer::new(&credential, "s3", &self.region).authorize(&mut request, None);
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|e| StorageError::Objects(unanswered(Some(&self.endpoint), &innermost(&e))))?;
        let status = response.status();
        let body = response
            .into_body()
            .bytes()
            .await
            .map_err(|e| StorageError::Objects(unanswered(Some(&self.endpoint), &innermost(&e))))?;
        let body = String::from_utf8_lossy(&body).into_owned();
        if !status.is_success() {
            let code = element(&body, "Code").unwrap_or_default();
            let reason = match code.as_str() {
                "NoSuchBucket" => "the bucket does not exist".to_owned(),
                "SignatureDoesNotMatch" | "InvalidAccessKeyId" | "AccessDenied" => REFUSED.to_owned(),
                _ => format!("listing incomplete uploads: {status} {code}"),
            };
            return Err(StorageError::Objects(reason));
        }
        Ok(body)
    }
}

/// The client options `AmazonS3Builder::from_env` would take (`AWS_ALLOW_HTTP`,
/// timeouts, proxies), for the requests made beside it.
fn client_options() -> ClientOptions {
    let mut options = ClientOptions::new();
    for (key, value) in std::env::vars() {
        let Some(name) = key.to_ascii_lowercase().strip_prefix("aws_").map(str::to_owned) else {
            continue;
        };
        if let Ok(key) = name.parse::<ClientConfigKey>() {
            options = options.with_config(key, value);
        }
    }
    options
}

/// S3's URI encoding of a query value: unreserved characters stay.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The text of the first `<name>…</name>` in `xml`, entities decoded
/// (S3's answers are flat enough for this).
fn element(xml: &str, name: &str) -> Option<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(
        xml[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
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

    #[test]
    fn list_uploads_answers_are_read_and_queries_encoded() {
        let xml = "<ListMultipartUploadsResult><Upload><Key>a/b &amp; c</Key><UploadId>x1</UploadId></Upload>\
                   <IsTruncated>false</IsTruncated></ListMultipartUploadsResult>";
        assert_eq!(element(xml, "Key").as_deref(), Some("a/b & c"));
        assert_eq!(element(xml, "IsTruncated").as_deref(), Some("false"));
        assert_eq!(element(xml, "NextKeyMarker"), None);
        assert_eq!(encode("clusters/a b+c~"), "clusters%2Fa%20b%2Bc~");
    }
}
