//! Client assertions: an RS256 JWT signed with the application's certificate key,
//! identified by the certificate's SHA-256 thumbprint (`x5t#S256`).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::ProtocolError;

/// How long an assertion is valid by default (MSAL uses 10 minutes).
pub const DEFAULT_ASSERTION_LIFETIME: Duration = Duration::from_secs(600);

/// A certificate and its RSA private key, ready to sign client assertions. `Debug`
/// shows only the thumbprint.
#[derive(Clone)]
pub struct ClientCertificate {
    key: jsonwebtoken::EncodingKey,
    thumbprint_sha256: String,
    cert_der_b64: String,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("thumbprint_sha256", &self.thumbprint_sha256)
            .field("key", &"[REDACTED]")
            .finish()
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: u64,
    iat: u64,
    exp: u64,
}

impl ClientCertificate {
    /// Reads the first certificate of a PEM file and an RSA private key in PEM (PKCS#1
    /// `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`).
    pub fn from_pem(cert_pem: &[u8], key_pem: &SecretString) -> Result<Self, ProtocolError> {
        let bad = |reason: String| ProtocolError::Certificate { reason };
        let cert = CertificateDer::from_pem_slice(cert_pem)
            .map_err(|e| bad(format!("no PEM certificate found: {e}")))?;
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(key_pem.expose_secret().as_bytes())
            .map_err(|e| bad(format!("the private key is not an RSA key in PEM: {e}")))?;
        let thumbprint_sha256 = URL_SAFE_NO_PAD.encode(Sha256::digest(cert.as_ref()));
        Ok(Self {
            key,
            thumbprint_sha256,
            cert_der_b64: STANDARD.encode(cert.as_ref()),
        })
    }

    /// Signs a client assertion: header `alg=RS256`, `typ=JWT`, `x5t#S256`, and `x5c`
    /// when `send_x5c` (subject name/issuer authentication); claims `aud` =
    /// `token_endpoint`, `iss` = `sub` = `client_id`, `jti`, `nbf` = `iat` = `now`,
    /// `exp` = `now + lifetime`.
    pub fn assertion(
        &self,
        client_id: &str,
        token_endpoint: &str,
        now: SystemTime,
        lifetime: Duration,
        jti: Uuid,
        send_x5c: bool,
    ) -> Result<SecretString, ProtocolError> {
        let now_secs = now
            .duration_since(UNIX_EPOCH)
            .map_err(|_| ProtocolError::Certificate {
                reason: "`now` is before 1970".to_owned(),
            })?
            .as_secs();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        header.x5t_s256 = Some(self.thumbprint_sha256.clone());
        if send_x5c {
            header.x5c = Some(vec![self.cert_der_b64.clone()]);
        }
        let claims = Claims {
            aud: token_endpoint,
            iss: client_id,
            sub: client_id,
            jti: jti.to_string(),
            nbf: now_secs,
            iat: now_secs,
            exp: now_secs.saturating_add(lifetime.as_secs()),
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(SecretString::from)
            .map_err(|e| ProtocolError::Certificate {
                reason: format!("signing failed: {e}"),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const CERT: &str = include_str!("../tests/data/client-cert.pem");
    pub(crate) const KEY: &str = include_str!("../tests/data/client-key.pem");

    fn cert() -> ClientCertificate {
        ClientCertificate::from_pem(CERT.as_bytes(), &SecretString::from(KEY)).unwrap()
    }

    fn part(jwt: &str, i: usize) -> serde_json::Value {
        let p = jwt.split('.').nth(i).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
    }

    #[test]
    fn assertion_header_and_claims() {
        let c = cert();
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let jwt = c
            .assertion(
                "11112222-bbbb-3333-cccc-4444dddd5555",
                "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token",
                now,
                DEFAULT_ASSERTION_LIFETIME,
                Uuid::from_u128(42),
                false,
            )
            .unwrap();
        let jwt = jwt.expose_secret();
        insta::assert_json_snapshot!("assertion_header", part(jwt, 0));
        insta::assert_json_snapshot!("assertion_claims", part(jwt, 1));
        // The thumbprint is the SHA-256 of the DER certificate.
        let der = CertificateDer::from_pem_slice(CERT.as_bytes()).unwrap();
        assert_eq!(
            part(jwt, 0)["x5t#S256"],
            URL_SAFE_NO_PAD.encode(Sha256::digest(der.as_ref()))
        );
        assert!(!format!("{c:?}").contains("PRIVATE"));
    }

    #[test]
    fn assertion_verifies_with_the_certificate_public_key() {
        let c = cert();
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let jwt = c
            .assertion(
                "cid",
                "https://h/t/oauth2/v2.0/token",
                now,
                DEFAULT_ASSERTION_LIFETIME,
                Uuid::nil(),
                true,
            )
            .unwrap();
        let key =
            jsonwebtoken::DecodingKey::from_rsa_pem(include_bytes!("../tests/data/client-pub.pem"))
                .unwrap();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        v.validate_exp = false;
        v.set_audience(&["https://h/t/oauth2/v2.0/token"]);
        let data =
            jsonwebtoken::decode::<serde_json::Value>(jwt.expose_secret(), &key, &v).unwrap();
        assert_eq!(data.claims["iss"], "cid");
        assert_eq!(data.header.x5c.map(|x| x.len()), Some(1));
    }

    #[test]
    fn bad_pem_is_a_typed_error() {
        let e = ClientCertificate::from_pem(b"nope", &SecretString::from(KEY)).unwrap_err();
        assert!(matches!(e, ProtocolError::Certificate { .. }));
        let e = ClientCertificate::from_pem(
            CERT.as_bytes(),
            &SecretString::from("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
        )
        .unwrap_err();
        assert!(matches!(e, ProtocolError::Certificate { .. }));
    }
}
