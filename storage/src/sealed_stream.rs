//! Archives that may hold Secrets (an etcd snapshot does) are encrypted
//! before they leave the worker, as a stream: AES-256-GCM over 1 MiB chunks
//! under a random per-backup data key, so memory stays flat whatever the size.
//!
//! Layout: a header (magic, chunk size, 7-byte nonce prefix), then chunks.
//! Each chunk's nonce is the prefix, its counter and a last-chunk flag, and
//! the header is its associated data: chunks cannot be reordered, dropped,
//! truncated away or moved to another archive without failing to open. A
//! full-size chunk is never the last; the last is shorter (maybe empty).

use std::io;

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use futures::Stream;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio_util::io::StreamReader;

use crate::objects::StreamDigest;

/// Plaintext bytes per chunk.
pub const CHUNK: usize = 1 << 20;
const TAG: usize = 16;
const MAGIC: &[u8; 8] = b"TCHUENC1";
const PREFIX_LEN: usize = 7;
const HEADER_LEN: usize = MAGIC.len() + 4 + PREFIX_LEN;

/// A backup's data key: random, sealed with the master key where it is stored.
#[derive(Clone)]
pub struct DataKey([u8; 32]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(***)")
    }
}

impl DataKey {
    pub fn generate() -> Self {
        Self(rand::random())
    }

    pub fn from_bytes(bytes: &[u8]) -> io::Result<Self> {
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a data key is 32 bytes"))?;
        Ok(Self(key))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&self.0.into())
    }
}

fn nonce(prefix: &[u8; PREFIX_LEN], counter: u32, last: bool) -> Nonce<aes_gcm::aead::consts::U12> {
    let mut bytes = [0u8; 12];
    bytes[..PREFIX_LEN].copy_from_slice(prefix);
    bytes[PREFIX_LEN..PREFIX_LEN + 4].copy_from_slice(&counter.to_be_bytes());
    bytes[11] = u8::from(last);
    Nonce::from(bytes)
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
async fn fill(reader: &mut (impl AsyncRead + Unpin), buf: &mut Vec<u8>, want: usize) -> io::Result<usize> {
    buf.clear();
    let mut limited = reader.take(want as u64);
    while buf.len() < want {
        if limited.read_buf(buf).await? == 0 {
            break;
        }
    }
    Ok(buf.len())
}

struct Sealing<R> {
    reader: R,
    cipher: Aes256Gcm,
    header: [u8; HEADER_LEN],
    prefix: [u8; PREFIX_LEN],
    counter: u32,
    started: bool,
    done: bool,
    digest: StreamDigest,
}

/// `reader`'s bytes, encrypted as they are read; the digest is the plaintext's.
pub fn seal(
    reader: impl AsyncRead + Unpin + Send + 'static,
    key: &DataKey,
) -> (impl AsyncRead + Unpin + Send + 'static, StreamDigest) {
    let prefix: [u8; PREFIX_LEN] = rand::random();
    let mut header = [0u8; HEADER_LEN];
    header[..MAGIC.len()].copy_from_slice(MAGIC);
    header[MAGIC.len()..MAGIC.len() + 4].copy_from_slice(&(CHUNK as u32).to_be_bytes());
    header[MAGIC.len() + 4..].copy_from_slice(&prefix);
    let digest = StreamDigest::default();
    let state = Sealing {
        reader,
        cipher: key.cipher(),
        header,
        prefix,
        counter: 0,
        started: false,
        done: false,
        digest: digest.clone(),
    };
    (StreamReader::new(Box::pin(sealed_chunks(state))), digest)
}

fn sealed_chunks<R: AsyncRead + Unpin + Send + 'static>(
    state: Sealing<R>,
) -> impl Stream<Item = io::Result<bytes::Bytes>> + Send {
    futures::stream::try_unfold(state, |mut s| async move {
        if s.done {
            return Ok(None);
        }
        if !s.started {
            s.started = true;
            let header = bytes::Bytes::copy_from_slice(&s.header);
            return Ok(Some((header, s)));
        }
        let mut buf = Vec::with_capacity(CHUNK + TAG);
        let read = fill(&mut s.reader, &mut buf, CHUNK).await?;
        let last = read < CHUNK;
        s.digest.update(&buf);
        let nonce = nonce(&s.prefix, s.counter, last);
        s.cipher
            .encrypt_in_place(&nonce, &s.header, &mut buf)
            .map_err(|_| invalid("encryption failed"))?;
        s.counter = s
            .counter
            .checked_add(1)
            .ok_or_else(|| invalid("archive too large to seal"))?;
        s.done = last;
        Ok(Some((bytes::Bytes::from(buf), s)))
    })
}

struct Opening<R> {
    reader: R,
    cipher: Aes256Gcm,
    header: Option<[u8; HEADER_LEN]>,
    prefix: [u8; PREFIX_LEN],
    counter: u32,
    done: bool,
    digest: StreamDigest,
}

/// `reader`'s sealed bytes, decrypted and authenticated chunk by chunk; a
/// tampered, truncated or foreign archive fails with `InvalidData`.
pub fn open(
    reader: impl AsyncRead + Unpin + Send + 'static,
    key: &DataKey,
) -> (impl AsyncRead + Unpin + Send + 'static, StreamDigest) {
    let digest = StreamDigest::default();
    let state = Opening {
        reader,
        cipher: key.cipher(),
        header: None,
        prefix: [0; PREFIX_LEN],
        counter: 0,
        done: false,
        digest: digest.clone(),
    };
    (StreamReader::new(Box::pin(opened_chunks(state))), digest)
}

fn opened_chunks<R: AsyncRead + Unpin + Send + 'static>(
    state: Opening<R>,
) -> impl Stream<Item = io::Result<bytes::Bytes>> + Send {
    futures::stream::try_unfold(state, |mut s| async move {
        let mut buf = Vec::with_capacity(CHUNK + TAG);
        if s.done {
            // Anything after the last chunk was appended by someone else.
            return match fill(&mut s.reader, &mut buf, 1).await? {
                0 => Ok(None),
                _ => Err(invalid("sealed archive: data after the last chunk")),
            };
        }
        let header = match s.header {
            Some(header) => header,
            None => {
                if fill(&mut s.reader, &mut buf, HEADER_LEN).await? < HEADER_LEN || !buf.starts_with(MAGIC) {
                    return Err(invalid("not a sealed archive (bad header)"));
                }
                let chunk = u32::from_be_bytes(buf[MAGIC.len()..MAGIC.len() + 4].try_into().unwrap_or_default());
                if chunk as usize != CHUNK {
                    return Err(invalid("sealed archive: unsupported chunk size"));
                }
                let mut header = [0u8; HEADER_LEN];
                header.copy_from_slice(&buf);
                s.prefix.copy_from_slice(&header[MAGIC.len() + 4..]);
                s.header = Some(header);
                header
            }
        };
        let read = fill(&mut s.reader, &mut buf, CHUNK + TAG).await?;
        if read < TAG {
            return Err(invalid("sealed archive is truncated"));
        }
        let last = read < CHUNK + TAG;
        let nonce = nonce(&s.prefix, s.counter, last);
        s.cipher
            .decrypt_in_place(&nonce, &header, &mut buf)
            .map_err(|_| invalid("sealed archive failed authentication (tampered, truncated or another key)"))?;
        s.counter = s
            .counter
            .checked_add(1)
            .ok_or_else(|| invalid("sealed archive too large"))?;
        s.done = last;
        s.digest.update(&buf);
        Ok(Some((bytes::Bytes::from(buf), s)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn round(data: Vec<u8>, key: &DataKey) -> (Vec<u8>, String) {
        let (mut sealed, digest) = seal(std::io::Cursor::new(data), key);
        let mut out = Vec::new();
        sealed.read_to_end(&mut out).await.expect("seal");
        (out, digest.finish().0)
    }

    async fn unseal(data: Vec<u8>, key: &DataKey) -> io::Result<(Vec<u8>, String)> {
        let (mut opened, digest) = open(std::io::Cursor::new(data), key);
        let mut out = Vec::new();
        opened.read_to_end(&mut out).await?;
        Ok((out, digest.finish().0))
    }

    #[tokio::test]
    async fn round_trips_at_every_boundary_and_hashes_the_plaintext() {
        let key = DataKey::generate();
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 7] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let (sealed, sealed_digest) = round(data.clone(), &key).await;
            if len >= 64 {
                assert!(!sealed.windows(64).any(|w| w == &data[..64]), "plaintext visible");
            }
            let (plain, opened_digest) = unseal(sealed, &key).await.expect("opens");
            assert_eq!(plain, data, "len {len}");
            assert_eq!(sealed_digest, opened_digest);
            assert_eq!(
                opened_digest,
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&data))
            );
        }
    }

    #[tokio::test]
    async fn tampering_truncation_and_another_key_fail() {
        let key = DataKey::generate();
        let data = vec![7u8; CHUNK + 100];
        let (sealed, _) = round(data, &key).await;

        let mut flipped = sealed.clone();
        flipped[HEADER_LEN + 10] ^= 1;
        assert!(unseal(flipped, &key).await.is_err(), "flipped byte");

        // Dropping the last chunk leaves a full chunk that claims not to be last.
        let cut = sealed[..HEADER_LEN + CHUNK + TAG].to_vec();
        assert!(unseal(cut, &key).await.is_err(), "truncated at a chunk boundary");

        let mut appended = sealed.clone();
        appended.extend_from_slice(b"extra");
        assert!(unseal(appended, &key).await.is_err(), "appended bytes");

        assert!(unseal(sealed, &DataKey::generate()).await.is_err(), "another key");
    }
}
