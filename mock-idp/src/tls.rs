//! TLS: a CA and a server certificate for localhost, 127.0.0.1 and any `--hostname`
//! made with rcgen at start (or given as PEM), served by rustls with the ring provider.
//!
//! The certificates satisfy strict X.509 checks (urllib3 2 on Python 3.13): the CA has a
//! critical key usage with keyCertSign and cRLSign; the server certificate is CA:FALSE,
//! serverAuth, with SANs, subject and authority key identifiers.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate chain and key given as PEM, instead of generated ones.
#[derive(Clone)]
pub struct TlsPem {
    /// The server certificate first, then its issuers; the last one is reported as the CA.
    pub cert_chain_pem: String,
    /// The server certificate's private key (PKCS#8, PKCS#1 or SEC1).
    pub key_pem: String,
}

impl std::fmt::Debug for TlsPem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsPem")
            .field("key_pem", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

pub(crate) struct TlsMaterial {
    pub ca_pem: String,
    pub config: Arc<rustls::ServerConfig>,
}

/// The extra host names, lowercase, each checked to be a DNS name (letters, digits,
/// `-`, `.`; no empty label); an error names the first bad one.
pub(crate) fn check_hostnames(names: &[String]) -> Result<Vec<String>, String> {
    names
        .iter()
        .map(|name| {
            let lower = name.trim_end_matches('.').to_ascii_lowercase();
            let good = !lower.is_empty()
                && lower.len() <= 253
                && lower.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && !label.starts_with('-')
                        && !label.ends_with('-')
                        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if good {
                Ok(lower)
            } else {
                Err(format!(
                    "'{name}' is not a host name (letters, digits, '-' and '.')"
                ))
            }
        })
        .collect()
}

impl TlsPem {
    /// A fresh CA and a server certificate for localhost, 127.0.0.1 and `hostnames`
    /// (ECDSA P-256), the kind mock-idp makes for itself when given none: for another
    /// server that should offer clients the same TLS as mock-idp.
    ///
    /// ```
    /// let pem = mock_idp::TlsPem::generate(&[]).unwrap();
    /// assert!(pem.cert_chain_pem.ends_with(&pem.ca_pem().unwrap()));
    /// ```
    pub fn generate(hostnames: &[String]) -> Result<Self, String> {
        generate(hostnames).map_err(|err| format!("certificate generation failed: {err}"))
    }

    /// The chain's last certificate, which a client trusts, as PEM.
    pub fn ca_pem(&self) -> Result<String, String> {
        let last = CertificateDer::pem_slice_iter(self.cert_chain_pem.as_bytes())
            .last()
            .ok_or("certificate chain PEM holds no certificate")?
            .map_err(|err| format!("certificate chain PEM is invalid: {err}"))?;
        Ok(der_to_pem(&last))
    }
}

/// A fresh CA and a server certificate for localhost, 127.0.0.1 and `hostnames`.
fn generate(hostnames: &[String]) -> Result<TlsPem, rcgen::Error> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name
        .push(DnType::CommonName, "mock-idp test CA");
    ca.distinguished_name
        .push(DnType::OrganizationName, "mock-idp");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key)?;
    let server_key = KeyPair::generate()?;
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    names.extend(hostnames.iter().cloned());
    let mut server = CertificateParams::new(names)?;
    server
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    server.is_ca = IsCa::ExplicitNoCa;
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server.use_authority_key_identifier_extension = true;
    let issuer = Issuer::from_params(&ca, &ca_key);
    let server_cert = server.signed_by(&server_key, &issuer)?;
    Ok(TlsPem {
        cert_chain_pem: format!("{}{}", server_cert.pem(), ca_cert.pem()),
        key_pem: server_key.serialize_pem(),
    })
}

/// The TLS setup: `given`, or a generated certificate also naming `hostnames`.
pub(crate) fn material(
    given: Option<&TlsPem>,
    hostnames: &[String],
) -> Result<TlsMaterial, String> {
    let pem = match given {
        Some(pem) => pem.clone(),
        None => TlsPem::generate(hostnames)?,
    };
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(pem.cert_chain_pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|err| format!("certificate chain PEM is invalid: {err}"))?;
    let last = chain
        .last()
        .ok_or("certificate chain PEM holds no certificate")?;
    let ca_pem = der_to_pem(last);
    let key = PrivateKeyDer::from_pem_slice(pem.key_pem.as_bytes())
        .map_err(|err| format!("private key PEM is invalid: {err}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| format!("TLS setup failed: {err}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|err| format!("TLS certificate rejected: {err}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsMaterial {
        ca_pem,
        config: Arc::new(config),
    })
}

fn der_to_pem(der: &CertificateDer<'_>) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}
