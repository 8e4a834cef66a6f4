//! A throwaway certificate authority: the server's certificate and client
//! certificates for users, all signed by it.

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, SanType,
};

/// A PEM certificate with its PEM private key.
#[derive(Debug, Clone)]
pub struct Identity {
    pub cert_pem: String,
    pub key_pem: String,
}

/// The CA, and the server identity it signed.
#[derive(Debug)]
pub struct Pki {
    issuer: CertifiedIssuer<'static, KeyPair>,
    pub server: Identity,
}

impl Pki {
    /// A fresh CA named `name`, with a server certificate for 127.0.0.1 and localhost.
    pub fn new(name: &str) -> Self {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, name);
        let issuer = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("ca key")).expect("ca cert");
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        params
            .subject_alt_names
            .push(SanType::IpAddress("127.0.0.1".parse().expect("ip")));
        params.distinguished_name.push(DnType::CommonName, "kube-apiserver");
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &issuer).expect("server cert");
        let server = Identity {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        };
        Self { issuer, server }
    }

    pub fn ca_pem(&self) -> String {
        self.issuer.pem()
    }

    /// A client certificate for `user` (its common name), as kubeadm issues for admins.
    pub fn client(&self, user: &str) -> Identity {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.distinguished_name.push(DnType::CommonName, user);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "system:masters");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &self.issuer).expect("client cert");
        Identity {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}
