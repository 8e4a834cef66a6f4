//! TLS that tells the server who the client is. poem's own rustls acceptor
//! does not expose the client's certificate, so this one completes each
//! handshake in its own task (a slow client never holds up the others) and
//! reports a verified client certificate through the remote address.

use std::io::{Error as IoError, Result as IoResult};
use std::sync::Arc;
use std::time::Duration;

use poem::Addr;
use poem::http::uri::Scheme;
use poem::listener::{Acceptor, TcpAcceptor};
use poem::web::{LocalAddr, RemoteAddr};
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::pki::Identity;

/// The remote-address scheme that marks a connection with a verified client certificate.
pub const CLIENT_CERT: &str = "x509";

type Accepted = (TlsStream<TcpStream>, LocalAddr, RemoteAddr);

/// Accepts TCP, then TLS with an optional client certificate.
pub struct ClientAwareTls {
    tcp: TcpAcceptor,
    tls: TlsAcceptor,
    done_tx: mpsc::Sender<Accepted>,
    done_rx: mpsc::Receiver<Accepted>,
}

impl ClientAwareTls {
    /// `client_ca`: the CA whose client certificates authenticate; `None` turns them off.
    pub fn new(tcp: TcpAcceptor, server: &Identity, client_ca: Option<&str>) -> IoResult<Self> {
        let certs = CertificateDer::pem_slice_iter(server.cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(IoError::other)?;
        let key = PrivateKeyDer::from_pem_slice(server.key_pem.as_bytes()).map_err(IoError::other)?;
        let builder = rustls::ServerConfig::builder();
        let builder = match client_ca {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(ca.as_bytes()) {
                    roots.add(cert.map_err(IoError::other)?).map_err(IoError::other)?;
                }
                let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
                    .allow_unauthenticated()
                    .build()
                    .map_err(IoError::other)?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder.with_single_cert(certs, key).map_err(IoError::other)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let (done_tx, done_rx) = mpsc::channel(64);
        Ok(Self {
            tcp,
            tls: TlsAcceptor::from(Arc::new(config)),
            done_tx,
            done_rx,
        })
    }
}

impl Acceptor for ClientAwareTls {
    type Io = TlsStream<TcpStream>;

    fn local_addr(&self) -> Vec<LocalAddr> {
        self.tcp.local_addr()
    }

    async fn accept(&mut self) -> IoResult<(Self::Io, LocalAddr, RemoteAddr, Scheme)> {
        loop {
            tokio::select! {
                accepted = self.tcp.accept() => {
                    let (stream, local, remote, _) = accepted?;
                    let (tls, done) = (self.tls.clone(), self.done_tx.clone());
                    tokio::spawn(async move {
                        let handshake = tokio::time::timeout(Duration::from_secs(10), tls.accept(stream)).await;
                        if let Ok(Ok(stream)) = handshake {
                            let verified = stream.get_ref().1.peer_certificates().is_some_and(|c| !c.is_empty());
                            let remote = if verified { RemoteAddr(Addr::Custom(CLIENT_CERT, remote.to_string().into())) } else { remote };
                            let _ = done.send((stream, local, remote)).await;
                        }
                    });
                }
                Some((stream, local, remote)) = self.done_rx.recv() => {
                    return Ok((stream, local, remote, Scheme::HTTPS));
                }
            }
        }
    }
}
