//! TLS that tells the server who the client is. As kube-apiserver does
//! (`tls.RequestClientCert`), the handshake takes any client certificate that
//! proves its key, and authentication judges the chain afterwards, so a
//! stranger's certificate gets a 401 rather than a broken connection.
//! poem's own rustls acceptor does not expose the client's certificate, so
//! this one completes each handshake in its own task (a slow client never
//! holds up the others) and reports the verdict through the remote address.

use std::io::{Error as IoError, Result as IoResult};
use std::sync::Arc;
use std::time::Duration;

use poem::Addr;
use poem::http::uri::Scheme;
use poem::listener::{Acceptor, TcpAcceptor};
use poem::web::{LocalAddr, RemoteAddr};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use super::pki::Identity;

/// The remote-address scheme that marks a connection with a verified client certificate.
pub const CLIENT_CERT: &str = "x509";

/// Asks for a client certificate and checks its signatures, but leaves
/// trusting the chain to [`ClientAwareTls`], which reports it.
#[derive(Debug)]
struct RequestClientCert(Arc<dyn ClientCertVerifier>);

impl ClientCertVerifier for RequestClientCert {
    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

type Accepted = (TlsStream<TcpStream>, LocalAddr, RemoteAddr);

/// Accepts TCP, then TLS with an optional client certificate.
pub struct ClientAwareTls {
    tcp: TcpAcceptor,
    tls: TlsAcceptor,
    /// Judges presented chains; `None` when client certificates are off.
    trust: Option<Arc<dyn ClientCertVerifier>>,
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
        let trust = match client_ca {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(ca.as_bytes()) {
                    roots.add(cert.map_err(IoError::other)?).map_err(IoError::other)?;
                }
                let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
                    .build()
                    .map_err(IoError::other)?;
                Some(verifier)
            }
            None => None,
        };
        let builder = rustls::ServerConfig::builder();
        let builder = match &trust {
            Some(verifier) => builder.with_client_cert_verifier(Arc::new(RequestClientCert(verifier.clone()))),
            None => builder.with_no_client_auth(),
        };
        let mut config = builder.with_single_cert(certs, key).map_err(IoError::other)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let (done_tx, done_rx) = mpsc::channel(64);
        Ok(Self {
            tcp,
            tls: TlsAcceptor::from(Arc::new(config)),
            trust,
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
                    let (tls, trust, done) = (self.tls.clone(), self.trust.clone(), self.done_tx.clone());
                    tokio::spawn(async move {
                        let handshake = tokio::time::timeout(Duration::from_secs(10), tls.accept(stream)).await;
                        if let Ok(Ok(stream)) = handshake {
                            let trusted = trust.zip(stream.get_ref().1.peer_certificates()).is_some_and(|(trust, chain)| {
                                chain.split_first().is_some_and(|(leaf, rest)| trust.verify_client_cert(leaf, rest, UnixTime::now()).is_ok())
                            });
                            let remote = if trusted { RemoteAddr(Addr::Custom(CLIENT_CERT, remote.to_string().into())) } else { remote };
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
