//! The mock ADFS's token-signing key and certificate.

use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer};

use crate::fixture::AppCertificate;

/// The token-signing key pair (RSA) and its certificate.
pub(crate) struct AdfsKey {
    pair: aws_lc_rs::signature::RsaKeyPair,
    /// The certificate's PKCS#1 public key, to verify with.
    public_key: Vec<u8>,
    /// The certificate DER, base64 (the `X509Certificate` of `KeyInfo`).
    pub certificate_base64: String,
}

impl std::fmt::Debug for AdfsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdfsKey").finish_non_exhaustive()
    }
}

impl AdfsKey {
    /// Loads a PEM certificate and its PKCS#8 PEM RSA key.
    pub(crate) fn from_pem(certificate: &str, key: &str) -> Result<Self, String> {
        let der = CertificateDer::from_pem_slice(certificate.as_bytes())
            .map_err(|err| format!("ADFS signing certificate: not PEM: {err}"))?;
        let parsed = AppCertificate::from_pem(certificate)
            .map_err(|err| format!("ADFS signing certificate: {err}"))?;
        let key = PrivatePkcs8KeyDer::from_pem_slice(key.as_bytes())
            .map_err(|err| format!("ADFS signing key: not PKCS#8 PEM: {err}"))?;
        let pair = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(key.secret_pkcs8_der())
            .map_err(|err| format!("ADFS signing key rejected: {err}"))?;
        if pair.public_key().as_ref() != parsed.rsa_public_key.as_slice() {
            return Err("the ADFS signing key does not match its certificate".into());
        }
        Ok(Self {
            pair,
            public_key: parsed.rsa_public_key,
            certificate_base64: STANDARD.encode(der.as_ref()),
        })
    }

    /// The default fixture's mock ADFS key.
    pub(crate) fn builtin() -> Result<Self, String> {
        use crate::default_fixture as d;
        Self::from_pem(d::ADFS_SIGNING_CERT_PEM, d::ADFS_SIGNING_KEY_PEM)
    }

    /// RSA-SHA256 (PKCS#1 v1.5) signature of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        // Signing with a valid key pair and a correctly sized buffer cannot fail.
        if self
            .pair
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &rng,
                message,
                &mut signature,
            )
            .is_err()
        {
            signature.clear();
        }
        signature
    }

    /// Whether `signature` is this key's RSA-SHA256 signature of `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            &self.public_key,
        )
        .verify(message, signature)
        .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_key_signs_and_verifies() {
        let key = AdfsKey::builtin().unwrap();
        let signature = key.sign(b"hello");
        assert!(key.verify(b"hello", &signature));
        assert!(!key.verify(b"hellO", &signature));
    }

    #[test]
    fn a_key_that_does_not_match_the_certificate_is_refused() {
        use crate::default_fixture as d;
        let err = AdfsKey::from_pem(d::ADFS_SIGNING_CERT_PEM, d::DAEMON_KEY_PEM).unwrap_err();
        assert!(err.contains("does not match"), "{err}");
    }
}
