//! The SSH adapter against real sshd hosts: logins, host keys, streaming,
//! quoting of hostile arguments, and a 200 MB transfer in bounded memory.

use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use taichu_tests::peak_rss;
use taichu_tests::sshd::{SshHost, TEST_PASSWORD, TEST_USER};
use taichu_workflows::ssh::{Discard, LineSink, RemoteCommand, SshAuth, SshError, SshSession, SshTarget, Stream};
use taichu_workflows::{NetworkPolicy, StepError};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

fn target(host: &SshHost, auth: SshAuth) -> SshTarget {
    SshTarget {
        host: host.ip.clone(),
        port: host.port,
        username: TEST_USER.into(),
        auth,
        host_key: None,
        connect_timeout: Duration::from_secs(10),
    }
}

/// The default network policy: loopback and test namespaces are allowed.
fn open() -> NetworkPolicy {
    NetworkPolicy::default()
}

fn password() -> SshAuth {
    SshAuth::Password(TEST_PASSWORD.into())
}

#[derive(Default)]
struct Collect(Mutex<Vec<(Stream, String)>>);

#[async_trait]
impl LineSink for Collect {
    async fn line(&self, stream: Stream, line: &str) {
        self.0.lock().expect("lock").push((stream, line.to_owned()));
    }
}

const T: Duration = Duration::from_secs(60);

#[tokio::test]
async fn password_and_key_logins_stream_output_and_exit_status() {
    let Some(host) = SshHost::start() else { return };
    for auth in [
        password(),
        SshAuth::Key {
            pem: host.client_key.clone(),
            passphrase: None,
        },
    ] {
        let session = SshSession::connect(&target(&host, auth), &open()).await.expect("login");
        assert!(
            session.fingerprint().starts_with("SHA256:"),
            "{}",
            session.fingerprint()
        );
        let sink = Collect::default();
        let script = RemoteCommand::script("echo one; echo two >&2; echo three; whoami; exit 3");
        let out = session.exec(&script, T, &sink).await.expect("exec");
        assert_eq!(out.exit_status, Some(3));
        assert_eq!(out.stdout, format!("one\nthree\n{TEST_USER}\n"));
        assert_eq!(out.stderr, "two\n");
        let lines = sink.0.lock().expect("lock").clone();
        assert!(lines.contains(&(Stream::Stderr, "two".into())), "{lines:?}");
        assert!(lines.contains(&(Stream::Stdout, "three".into())), "{lines:?}");
        session.close().await;
    }
}

#[tokio::test]
async fn a_passphrase_protected_key_needs_its_passphrase() {
    let Some(host) = SshHost::start() else { return };
    let pem = host.add_client_key("open sesame");
    let with = SshAuth::Key {
        pem: pem.clone(),
        passphrase: Some("open sesame".into()),
    };
    SshSession::connect(&target(&host, with), &open())
        .await
        .expect("login with passphrase")
        .close()
        .await;
    let without = SshAuth::Key { pem, passphrase: None };
    let err = SshSession::connect(&target(&host, without), &open())
        .await
        .expect_err("no passphrase");
    assert!(matches!(err, SshError::BadKey(_)), "{err:?}");
    assert!(matches!(StepError::from(err), StepError::Permanent(_)));
}

#[tokio::test]
async fn wrong_password_is_a_permanent_auth_failure() {
    let Some(host) = SshHost::start() else { return };
    let err = SshSession::connect(&target(&host, SshAuth::Password("wrong".into())), &open())
        .await
        .expect_err("refused");
    assert!(matches!(err, SshError::Auth(_)), "{err:?}");
    assert!(matches!(StepError::from(err), StepError::Permanent(m) if m.contains("authentication failed")));
}

#[tokio::test]
async fn refused_connection_is_transient() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let t = SshTarget {
        host: "127.0.0.1".into(),
        port,
        username: "nobody".into(),
        auth: password(),
        host_key: None,
        connect_timeout: Duration::from_secs(5),
    };
    let err = SshSession::connect(&t, &open()).await.expect_err("nothing listens");
    assert!(matches!(StepError::from(err), StepError::Transient(_)));
}

#[tokio::test]
async fn a_changed_host_key_is_refused() {
    let Some(mut host) = SshHost::start() else { return };
    let first = SshSession::connect(&target(&host, password()), &open())
        .await
        .expect("login");
    let pinned = first.fingerprint().to_owned();
    first.close().await;
    let mut pinned_target = target(&host, password());
    pinned_target.host_key = Some(pinned.clone());
    SshSession::connect(&pinned_target, &open())
        .await
        .expect("same key accepted")
        .close()
        .await;

    host.replace_host_key();
    let err = SshSession::connect(&pinned_target, &open())
        .await
        .expect_err("changed key refused");
    match &err {
        SshError::HostKeyMismatch { expected, found } => {
            assert_eq!(expected, &pinned);
            assert_ne!(found, &pinned);
        }
        other => panic!("expected a host key mismatch, got {other:?}"),
    }
    assert!(matches!(StepError::from(err), StepError::Permanent(_)));
}

#[tokio::test]
async fn hostile_arguments_reach_the_remote_side_literally() {
    let Some(host) = SshHost::start() else { return };
    let session = SshSession::connect(&target(&host, password()), &open())
        .await
        .expect("login");
    let marker = format!("{}/pwned", host.scratch());
    let hostile = vec![
        "it's".to_owned(),
        format!("; touch {marker}"),
        format!("$(touch {marker})"),
        format!("`touch {marker}`"),
        "line1\nline2".to_owned(),
        "$HOME * ? [a]".to_owned(),
        "\"quoted\" \\ back".to_owned(),
        String::new(),
    ];
    let command = RemoteCommand::new("printf").arg("<%s>\\n").args(&hostile);
    let out = session.exec(&command, T, &Discard).await.expect("exec");
    assert_eq!(out.exit_status, Some(0));
    let expected: String = hostile.iter().map(|a| format!("<{a}>\n")).collect();
    assert_eq!(out.stdout, expected);
    let check = session
        .exec(&RemoteCommand::new("test").arg("-e").arg(&marker), T, &Discard)
        .await
        .expect("exec");
    assert_eq!(check.exit_status, Some(1), "no argument was executed");
}

/// Deterministic pseudo-random bytes, produced on the fly and hashed as read.
struct Generated {
    left: u64,
    state: u64,
    hash: Sha256,
}

impl AsyncRead for Generated {
    fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let n = (buf.remaining() as u64).min(self.left).min(64 * 1024) as usize;
        let mut chunk = vec![0u8; n];
        for b in chunk.iter_mut() {
            self.state = self
                .state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *b = (self.state >> 56) as u8;
        }
        self.hash.update(&chunk);
        self.left -= n as u64;
        buf.put_slice(&chunk);
        Poll::Ready(Ok(()))
    }
}

/// Hashes what is written and keeps nothing.
#[derive(Default)]
struct HashSink(Sha256);

impl AsyncWrite for HashSink {
    fn poll_write(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.0.update(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_200_mb_file_round_trips_with_equal_sha256_in_bounded_memory() {
    let Some(host) = SshHost::start() else { return };
    const SIZE: u64 = 200 * 1024 * 1024;
    let session = SshSession::connect(&target(&host, password()), &open())
        .await
        .expect("login");
    let remote = format!("{}/big.bin", host.scratch());
    let before = peak_rss(std::process::id());

    let mut source = Generated {
        left: SIZE,
        state: 42,
        hash: Sha256::new(),
    };
    session
        .upload(&mut source, &remote, Duration::from_secs(300))
        .await
        .expect("upload");
    let sent = hex(&source.hash.finalize()[..]);

    let remote_sum = session
        .exec(&RemoteCommand::new("sha256sum").arg(&remote), T, &Discard)
        .await
        .expect("sha256sum");
    assert_eq!(
        remote_sum.stdout.split_whitespace().next(),
        Some(sent.as_str()),
        "remote copy is intact"
    );

    let mut sink = HashSink::default();
    let got = session
        .download(&remote, &mut sink, Duration::from_secs(300))
        .await
        .expect("download");
    assert_eq!(got, SIZE);
    assert_eq!(
        hex(&sink.0.finalize()[..]),
        sent,
        "downloaded bytes equal uploaded bytes"
    );

    let growth = peak_rss(std::process::id()).saturating_sub(before);
    println!("200 MB up and down: peak RSS grew by {} MiB", growth / (1024 * 1024));
    assert!(
        growth < 64 * 1024 * 1024,
        "memory grew by {growth} bytes for a {SIZE}-byte transfer"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn distinct_hosts_in_network_namespaces() {
    let (Some(a), Some(b)) = (SshHost::start_in_netns(), SshHost::start_in_netns()) else {
        return;
    };
    assert_ne!(a.ip, b.ip);
    let mut fingerprints = Vec::new();
    for host in [&a, &b] {
        let session = SshSession::connect(&target(host, password()), &open())
            .await
            .expect("login");
        let out = session
            .exec(&RemoteCommand::script("echo $SSH_CONNECTION"), T, &Discard)
            .await
            .expect("exec");
        let server_ip = out.stdout.split_whitespace().nth(2).expect("server address").to_owned();
        assert_eq!(server_ip, host.ip, "the session landed on the host at its own address");
        fingerprints.push(session.fingerprint().to_owned());
        session.close().await;
    }
    assert_ne!(fingerprints[0], fingerprints[1]);
}
