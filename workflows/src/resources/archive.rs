//! The resources archive: a tar of one JSON file per object at
//! `{group}/{version}/{kind}/{namespace|_cluster}/{name}.json` (`core` for
//! the core group), compressed with zstd. Both directions stream through a
//! blocking thread and a bounded channel, so memory holds a few objects and
//! the compressor's window, never the archive.

use std::io::{self, Read, Write};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::io::SyncIoBridge;

/// The archive's name under the backup's prefix (sealed: `.enc`).
pub const FILE_NAME: &str = "resources.tar.zst";
/// zstd level: fast, and JSON compresses well even so.
const LEVEL: i32 = 3;
/// Objects in flight between the API reads and the archive.
const QUEUE: usize = 256;
/// The largest object read back (etcd's own limit is 1.5 MiB).
pub const MAX_OBJECT_BYTES: u64 = 16 << 20;
/// The path segment of cluster-scoped objects.
pub const CLUSTER_SCOPE: &str = "_cluster";
/// The path segment of the core group.
pub const CORE_GROUP: &str = "core";

/// One object in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Where an object sits in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPath {
    /// `""` for the core group.
    pub group: String,
    pub version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl EntryPath {
    pub fn to_path(&self) -> String {
        let group = if self.group.is_empty() { CORE_GROUP } else { &self.group };
        let ns = self.namespace.as_deref().unwrap_or(CLUSTER_SCOPE);
        format!("{group}/{}/{}/{ns}/{}.json", self.version, self.kind, self.name)
    }

    pub fn parse(path: &str) -> Option<Self> {
        let mut parts = path.split('/');
        let (group, version, kind, ns, file) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            group: if group == CORE_GROUP {
                String::new()
            } else {
                group.to_owned()
            },
            version: version.to_owned(),
            kind: kind.to_owned(),
            namespace: (ns != CLUSTER_SCOPE).then(|| ns.to_owned()),
            name: file.strip_suffix(".json")?.to_owned(),
        })
    }
}

/// Writes entries sent to it into `out` as a compressed tar.
#[derive(Debug)]
pub struct ArchiveWriter {
    sender: mpsc::Sender<Entry>,
    task: JoinHandle<io::Result<u64>>,
}

impl ArchiveWriter {
    pub fn new(out: impl AsyncWrite + Unpin + Send + 'static) -> Self {
        let (sender, mut receiver) = mpsc::channel::<Entry>(QUEUE);
        let handle = tokio::runtime::Handle::current();
        let task = tokio::task::spawn_blocking(move || {
            let sink = SyncIoBridge::new_with_handle(out, handle);
            let mut tar = tar::Builder::new(zstd::Encoder::new(sink, LEVEL)?);
            let mut count = 0u64;
            while let Some(entry) = receiver.blocking_recv() {
                let mut header = tar::Header::new_gnu();
                header.set_size(entry.bytes.len() as u64);
                header.set_mode(0o600);
                header.set_entry_type(tar::EntryType::Regular);
                tar.append_data(&mut header, &entry.path, entry.bytes.as_slice())?;
                count += 1;
            }
            let mut sink = tar.into_inner()?.finish()?;
            sink.flush()?;
            sink.shutdown()?;
            Ok(count)
        });
        Self { sender, task }
    }

    /// Queues one object; fails when the archive can no longer be written.
    pub async fn add(&self, entry: Entry) -> io::Result<()> {
        self.sender
            .send(entry)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the archive stopped taking objects"))
    }

    /// Ends the archive; the number of objects written.
    pub async fn finish(self) -> io::Result<u64> {
        drop(self.sender);
        self.task.await.map_err(io::Error::other)?
    }
}

/// Reads the entries of the compressed tar `input`, a few at a time. After
/// the last entry the rest of `input` is read to its end too, so whatever
/// checks it (hash, authentication) sees every byte.
pub fn read_entries(input: impl AsyncRead + Unpin + Send + 'static) -> mpsc::Receiver<io::Result<Entry>> {
    let (sender, receiver) = mpsc::channel(QUEUE);
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let result = (|| {
            let source = SyncIoBridge::new_with_handle(input, handle);
            let mut archive = tar::Archive::new(zstd::Decoder::new(source)?);
            for entry in archive.entries()? {
                let entry = entry?;
                let path = entry.path()?.to_string_lossy().into_owned();
                if entry.size() > MAX_OBJECT_BYTES {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{path} is larger than {MAX_OBJECT_BYTES} bytes"),
                    ));
                }
                let mut bytes = Vec::with_capacity(entry.size() as usize);
                entry.take(MAX_OBJECT_BYTES).read_to_end(&mut bytes)?;
                if sender.blocking_send(Ok(Entry { path, bytes })).is_err() {
                    return Ok(());
                }
            }
            let mut decoder = archive.into_inner();
            io::copy(&mut decoder, &mut io::sink())?;
            io::copy(&mut decoder.finish(), &mut io::sink())?;
            Ok(())
        })();
        if let Err(err) = result {
            let _ = sender.blocking_send(Err(err));
        }
    });
    receiver
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        let p = EntryPath {
            group: String::new(),
            version: "v1".into(),
            kind: "ConfigMap".into(),
            namespace: Some("shop".into()),
            name: "settings".into(),
        };
        assert_eq!(p.to_path(), "core/v1/ConfigMap/shop/settings.json");
        assert_eq!(EntryPath::parse(&p.to_path()), Some(p));
        let c =
            EntryPath::parse("rbac.authorization.k8s.io/v1/ClusterRole/_cluster/system:x.json").expect("test value");
        assert_eq!(c.namespace, None);
        assert_eq!(c.name, "system:x");
        assert_eq!(EntryPath::parse("a/b/c"), None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_and_reads_back_a_long_name() {
        let (w, r) = tokio::io::duplex(1 << 16);
        let writer = ArchiveWriter::new(w);
        let long = "n".repeat(200);
        let reading = tokio::spawn(async move {
            let mut entries = read_entries(r);
            let mut got = Vec::new();
            while let Some(e) = entries.recv().await {
                got.push(e.expect("entry"));
            }
            got
        });
        for i in 0..1000 {
            let path = format!("core/v1/ConfigMap/ns/{long}-{i}.json");
            writer
                .add(Entry {
                    path,
                    bytes: format!("{{\"i\":{i}}}").into_bytes(),
                })
                .await
                .expect("add");
        }
        assert_eq!(writer.finish().await.expect("finish"), 1000);
        let got = reading.await.expect("read");
        assert_eq!(got.len(), 1000);
        assert_eq!(got[999].path, format!("core/v1/ConfigMap/ns/{long}-999.json"));
        assert_eq!(got[7].bytes, b"{\"i\":7}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_truncated_archive_is_an_error() {
        let (w, mut r) = tokio::io::duplex(1 << 20);
        let writer = ArchiveWriter::new(w);
        for i in 0..100 {
            let bytes = format!("{{\"i\":{i},\"pad\":\"{}\"}}", "x".repeat(i * 37)).into_bytes();
            writer
                .add(Entry {
                    path: format!("core/v1/ConfigMap/ns/c{i}.json"),
                    bytes,
                })
                .await
                .expect("add");
        }
        let mut all = Vec::new();
        let read = tokio::spawn(async move {
            tokio::io::AsyncReadExt::read_to_end(&mut r, &mut all)
                .await
                .expect("read");
            all
        });
        writer.finish().await.expect("finish");
        let all = read.await.expect("bytes");
        let cut = all[..all.len() / 2].to_vec();
        let mut entries = read_entries(std::io::Cursor::new(cut));
        let mut failed = false;
        while let Some(e) = entries.recv().await {
            failed |= e.is_err();
        }
        assert!(failed, "a cut archive must not read as complete");
    }
}
