//! SSH sessions over russh: password or key login, host keys trusted on first
//! use and checked after, commands streamed line by line, files streamed both
//! ways through exec channels with bounded memory.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use russh::client::{self, Handle};
use russh::keys::{HashAlg, PrivateKeyWithHashAlg};
use russh::{ChannelMsg, Disconnect};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::command::RemoteCommand;
use crate::egress::{EgressError, NetworkPolicy};
use crate::error::StepError;
use crate::upstream::tidy;

/// How to log in.
#[derive(Clone)]
pub enum SshAuth {
    Password(String),
    Key { pem: String, passphrase: Option<String> },
}

impl std::fmt::Debug for SshAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SshAuth::Password(_) => "Password(***)",
            SshAuth::Key { .. } => "Key(***)",
        })
    }
}

/// Where and as whom to connect.
#[derive(Debug, Clone)]
pub struct SshTarget {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub auth: SshAuth,
    /// The pinned host key fingerprint (`SHA256:…`); `None` trusts the first one seen.
    pub host_key: Option<String>,
    pub connect_timeout: Duration,
}

/// What went wrong, classified for the workflow engine.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error("cannot connect to {0}")]
    Connect(String),
    /// `what` names the host and the operation, so a run's error says which.
    #[error("{what} timed out after {} s", .after.as_secs())]
    Timeout { what: String, after: Duration },
    /// The connection ended before the command said how it exited.
    #[error("the connection to {peer} closed before {command} finished")]
    Dropped { peer: String, command: String },
    #[error("authentication failed for user {0}")]
    Auth(String),
    #[error(
        "host key changed: pinned {expected}, server presented {found}; reset the machine's host key if this is expected"
    )]
    HostKeyMismatch { expected: String, found: String },
    #[error("unusable private key: {0}")]
    BadKey(String),
    #[error("invalid command: {0}")]
    Command(String),
    #[error("ssh: {0}")]
    Protocol(String),
    #[error("local i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Egress(#[from] EgressError),
}

impl From<SshError> for StepError {
    fn from(err: SshError) -> Self {
        match err {
            SshError::Connect(_)
            | SshError::Timeout { .. }
            | SshError::Dropped { .. }
            | SshError::Protocol(_)
            | SshError::Io(_) => StepError::Transient(err.to_string()),
            SshError::Auth(_)
            | SshError::HostKeyMismatch { .. }
            | SshError::BadKey(_)
            | SshError::Command(_)
            | SshError::Egress(_) => StepError::Permanent(err.to_string()),
        }
    }
}

/// Which stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Receives a command's output line by line as it arrives.
#[async_trait]
pub trait LineSink: Send + Sync {
    async fn line(&self, stream: Stream, line: &str);
}

/// A sink that drops everything.
#[derive(Debug, Clone, Copy)]
pub struct Discard;

#[async_trait]
impl LineSink for Discard {
    async fn line(&self, _: Stream, _: &str) {}
}

/// How a command ended and what it printed (each capped at `OUTPUT_CAP`).
#[derive(Debug, Clone, Default)]
pub struct ExecOutput {
    pub exit_status: Option<u32>,
    pub stdout: String,
    pub stderr: String,
}

impl ExecOutput {
    pub fn success(&self) -> bool {
        self.exit_status == Some(0)
    }
}

/// How much a server may send before we acknowledge: large enough that a
/// snapshot streams at line speed, small enough to bound memory.
const WINDOW_BYTES: u32 = 8 << 20;
/// The largest SSH packet we accept (OpenSSH sends up to 64 KiB of data per packet).
const MAX_PACKET: u32 = 65535;

/// Ciphers in order: AES-GCM first, which CPUs accelerate (ChaCha20 costs
/// a large share of a snapshot transfer's time without AES instructions' help).
fn preferred() -> russh::Preferred {
    let mut cipher = vec![russh::cipher::AES_256_GCM];
    cipher.extend(
        russh::Preferred::default()
            .cipher
            .iter()
            .filter(|c| **c != russh::cipher::AES_256_GCM),
    );
    russh::Preferred {
        cipher: cipher.into(),
        ..Default::default()
    }
}

/// Output kept in memory per stream; the rest only streams to the sink.
const OUTPUT_CAP: usize = 1024 * 1024;

struct Handler {
    expected: Option<String>,
    seen: Arc<Mutex<Option<String>>>,
}

impl client::Handler for Handler {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &russh::keys::PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        let fingerprint = key.public_key().fingerprint(HashAlg::Sha256).to_string();
        let ok = self.expected.as_ref().is_none_or(|expected| *expected == fingerprint);
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(fingerprint);
        }
        Ok(ok)
    }
}

/// A logged-in session.
pub struct SshSession {
    handle: Handle<Handler>,
    fingerprint: String,
    /// `host:port` as the target named it, for errors.
    peer: String,
}

impl std::fmt::Debug for SshSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshSession")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

fn protocol(err: russh::Error) -> SshError {
    SshError::Protocol(err.to_string())
}

/// A command as errors name it: quoted, on one line, cut short.
fn named(command: &RemoteCommand) -> String {
    const MAX: usize = 80;
    let text = tidy(&command.to_string());
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("`{}…`", &text[..at]),
        None => format!("`{text}`"),
    }
}

impl SshSession {
    /// Connects (to an address the network policy allows), checks or pins
    /// the host key, and logs in.
    pub async fn connect(target: &SshTarget, policy: &NetworkPolicy) -> Result<Self, SshError> {
        let addr = policy.resolve(&target.host, target.port).await?;
        // Decoded before connecting: a key's derivation takes its own time.
        let key = match &target.auth {
            SshAuth::Key { pem, passphrase } => Some(
                super::keys::decode(pem, passphrase.as_deref())
                    .await
                    .map_err(SshError::BadKey)?,
            ),
            SshAuth::Password(_) => None,
        };
        let password = match &target.auth {
            SshAuth::Password(password) => password.as_str(),
            SshAuth::Key { .. } => "",
        };
        let config = Arc::new(client::Config {
            inactivity_timeout: Some(Duration::from_secs(300)),
            keepalive_interval: Some(Duration::from_secs(15)),
            nodelay: true,
            preferred: preferred(),
            window_size: WINDOW_BYTES,
            maximum_packet_size: MAX_PACKET,
            ..Default::default()
        });
        let seen = Arc::new(Mutex::new(None));
        let handler = Handler {
            expected: target.host_key.clone(),
            seen: seen.clone(),
        };
        let address = addr.to_string();
        let peer = format!("{}:{}", target.host, target.port);
        let connecting = client::connect(config, addr, handler);
        let result = tokio::time::timeout(target.connect_timeout, connecting)
            .await
            .map_err(|_| SshError::Timeout {
                what: format!("connecting to {peer}"),
                after: target.connect_timeout,
            })?;
        let found = seen.lock().ok().and_then(|s| s.clone());
        let mut handle = match (result, &target.host_key, found) {
            (Ok(handle), _, _) => handle,
            (Err(_), Some(expected), Some(found)) if *expected != found => {
                return Err(SshError::HostKeyMismatch {
                    expected: expected.clone(),
                    found,
                });
            }
            (Err(russh::Error::IO(err)), _, _) => return Err(SshError::Connect(format!("{address}: {err}"))),
            (Err(err), _, _) => return Err(SshError::Connect(format!("{address}: {err}"))),
        };
        let fingerprint = seen.lock().ok().and_then(|s| s.clone()).unwrap_or_default();
        let login = async {
            let ok = match key {
                Some(key) => {
                    let hash = handle.best_supported_rsa_hash().await.map_err(protocol)?.flatten();
                    let key = PrivateKeyWithHashAlg::new(Arc::new(key), hash);
                    handle
                        .authenticate_publickey(&target.username, key)
                        .await
                        .map_err(protocol)?
                        .success()
                }
                None => handle
                    .authenticate_password(&target.username, password)
                    .await
                    .map_err(protocol)?
                    .success(),
            };
            if ok {
                Ok(())
            } else {
                Err(SshError::Auth(target.username.clone()))
            }
        };
        tokio::time::timeout(target.connect_timeout, login)
            .await
            .map_err(|_| SshError::Timeout {
                what: format!("logging in to {peer} as {}", target.username),
                after: target.connect_timeout,
            })??;
        Ok(Self {
            handle,
            fingerprint,
            peer,
        })
    }

    /// The server's host key fingerprint (`SHA256:…`).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Runs `command`, streaming complete lines to `sink`, within `timeout`.
    pub async fn exec(
        &self,
        command: &RemoteCommand,
        timeout: Duration,
        sink: &dyn LineSink,
    ) -> Result<ExecOutput, SshError> {
        let line = command.to_shell().map_err(|e| SshError::Command(e.to_string()))?;
        let run = async {
            let mut channel = self.handle.channel_open_session().await.map_err(|e| self.protocol(e))?;
            channel.exec(true, line).await.map_err(|e| self.protocol(e))?;
            let mut out = ExecOutput::default();
            let (mut pending_out, mut pending_err) = (Vec::new(), Vec::new());
            let mut signalled = false;
            while let Some(msg) = channel.wait().await {
                match msg {
                    ChannelMsg::Data { data } => {
                        feed(&mut pending_out, &data, Stream::Stdout, &mut out.stdout, sink).await
                    }
                    ChannelMsg::ExtendedData { data, ext: 1 } => {
                        feed(&mut pending_err, &data, Stream::Stderr, &mut out.stderr, sink).await
                    }
                    ChannelMsg::ExitStatus { exit_status } => out.exit_status = Some(exit_status),
                    ChannelMsg::ExitSignal { .. } => signalled = true,
                    _ => {}
                }
            }
            flush(&mut pending_out, Stream::Stdout, &mut out.stdout, sink).await;
            flush(&mut pending_err, Stream::Stderr, &mut out.stderr, sink).await;
            // Neither an exit status nor a signal: the connection went, not
            // the command; what it printed so far is only part of its answer.
            if out.exit_status.is_none() && !signalled {
                return Err(self.dropped(command));
            }
            Ok(out)
        };
        tokio::time::timeout(timeout, run)
            .await
            .map_err(|_| SshError::Timeout {
                what: format!("{} on {}", named(command), self.peer),
                after: timeout,
            })?
    }

    fn protocol(&self, err: russh::Error) -> SshError {
        SshError::Protocol(format!("{}: {err}", self.peer))
    }

    fn dropped(&self, command: &RemoteCommand) -> SshError {
        SshError::Dropped {
            peer: self.peer.clone(),
            command: named(command),
        }
    }

    /// Streams `source` into the remote file `path` (created or truncated).
    pub async fn upload(&self, source: impl AsyncRead + Unpin, path: &str, timeout: Duration) -> Result<(), SshError> {
        let command = RemoteCommand::script("cat > \"$1\"").arg(path);
        self.transfer(command, Some(source), None::<tokio::io::Sink>, timeout)
            .await
            .map(|_| ())
    }

    /// Streams the remote file `path` into `sink`; returns the bytes written.
    pub async fn download(
        &self,
        path: &str,
        sink: impl AsyncWrite + Unpin,
        timeout: Duration,
    ) -> Result<u64, SshError> {
        let command = RemoteCommand::new("cat").arg("--").arg(path);
        self.transfer(command, None::<tokio::io::Empty>, Some(sink), timeout)
            .await
    }

    async fn transfer(
        &self,
        command: RemoteCommand,
        source: Option<impl AsyncRead + Unpin>,
        mut sink: Option<impl AsyncWrite + Unpin>,
        timeout: Duration,
    ) -> Result<u64, SshError> {
        let line = command.to_shell().map_err(|e| SshError::Command(e.to_string()))?;
        let run = async {
            let mut channel = self.handle.channel_open_session().await.map_err(|e| self.protocol(e))?;
            channel.exec(true, line).await.map_err(|e| self.protocol(e))?;
            if let Some(source) = source {
                // russh reads and sends in window-sized chunks: memory stays bounded.
                channel.data(source).await.map_err(|e| self.protocol(e))?;
                channel.eof().await.map_err(|e| self.protocol(e))?;
            }
            let (mut written, mut status, mut stderr, mut signalled) = (0u64, None, Vec::new(), false);
            while let Some(msg) = channel.wait().await {
                match msg {
                    ChannelMsg::Data { data } => {
                        if let Some(sink) = sink.as_mut() {
                            sink.write_all(&data).await?;
                            written += data.len() as u64;
                        }
                    }
                    ChannelMsg::ExtendedData { data, .. } if stderr.len() < 4096 => stderr.extend_from_slice(&data),
                    ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                    ChannelMsg::ExitSignal { .. } => signalled = true,
                    _ => {}
                }
            }
            if let Some(sink) = sink.as_mut() {
                sink.flush().await?;
            }
            match status {
                Some(0) => Ok(written),
                None if !signalled => Err(self.dropped(&command)),
                other => Err(SshError::Protocol(format!(
                    "remote transfer on {} failed (exit {other:?}): {}",
                    self.peer,
                    tidy(&String::from_utf8_lossy(&stderr))
                ))),
            }
        };
        tokio::time::timeout(timeout, run)
            .await
            .map_err(|_| SshError::Timeout {
                what: format!("{} on {}", named(&command), self.peer),
                after: timeout,
            })?
    }

    pub async fn close(self) {
        let _ = self.handle.disconnect(Disconnect::ByApplication, "", "en").await;
    }
}

async fn feed(pending: &mut Vec<u8>, data: &[u8], stream: Stream, kept: &mut String, sink: &dyn LineSink) {
    pending.extend_from_slice(data);
    while let Some(pos) = pending.iter().position(|b| *b == b'\n') {
        let line: Vec<u8> = pending.drain(..=pos).collect();
        emit(&line[..line.len() - 1], stream, kept, sink).await;
    }
    // A line longer than the cap is emitted in pieces rather than growing without bound.
    if pending.len() > OUTPUT_CAP {
        let chunk: Vec<u8> = std::mem::take(pending);
        emit(&chunk, stream, kept, sink).await;
    }
}

async fn flush(pending: &mut Vec<u8>, stream: Stream, kept: &mut String, sink: &dyn LineSink) {
    if !pending.is_empty() {
        let rest = std::mem::take(pending);
        emit(&rest, stream, kept, sink).await;
    }
}

async fn emit(bytes: &[u8], stream: Stream, kept: &mut String, sink: &dyn LineSink) {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_end_matches('\r');
    sink.line(stream, text).await;
    if kept.len() < OUTPUT_CAP {
        kept.push_str(text);
        kept.push('\n');
    }
}
