//! The token signing key: RSA 2048 for RS256, generated at start (from the seed in
//! deterministic mode, cached per seed in the process) and published in the JWKS.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rsa::pkcs8::EncodePrivateKey;
use rsa::traits::PublicKeyParts;

/// Mixed into the seed so the key stream differs from the id stream.
const KEY_STREAM: u64 = 0x6b65_7973_2d72_7361;

pub(crate) struct SigningKey {
    pub kid: String,
    pub n: String,
    pub e: String,
    /// The JWS header every token carries, base64url-encoded once.
    pub header: String,
    pair: aws_lc_rs::signature::RsaKeyPair,
    rng: aws_lc_rs::rand::SystemRandom,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The key for `seed` (the same one for every start with that seed), or a fresh one.
    pub(crate) fn for_seed(seed: Option<u64>) -> Result<Arc<Self>, String> {
        let Some(seed) = seed else {
            return Self::generate(ChaCha20Rng::from_entropy()).map(Arc::new);
        };
        static CACHE: OnceLock<Mutex<HashMap<u64, Arc<SigningKey>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Mutex::default);
        let mut cache = cache
            .lock()
            .map_err(|_| "signing key cache poisoned".to_owned())?;
        if let Some(key) = cache.get(&seed) {
            return Ok(key.clone());
        }
        let key = Arc::new(Self::generate(ChaCha20Rng::seed_from_u64(
            seed ^ KEY_STREAM,
        ))?);
        cache.insert(seed, key.clone());
        Ok(key)
    }

    fn generate(mut rng: ChaCha20Rng) -> Result<Self, String> {
        let private = rsa::RsaPrivateKey::new(&mut rng, 2048)
            .map_err(|err| format!("RSA key generation failed: {err}"))?;
        let der = private
            .to_pkcs8_der()
            .map_err(|err| format!("RSA key encoding failed: {err}"))?;
        let pair = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(der.as_bytes())
            .map_err(|err| format!("RSA key rejected: {err}"))?;
        let n = private.n().to_bytes_be();
        let e = private.e().to_bytes_be();
        let mut thumb = n.clone();
        thumb.extend_from_slice(&e);
        let digest = ring::digest::digest(&ring::digest::SHA256, &thumb);
        let kid = URL_SAFE_NO_PAD.encode(digest.as_ref().get(..20).unwrap_or_default());
        let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "kid": kid});
        Ok(Self {
            header: URL_SAFE_NO_PAD.encode(header.to_string()),
            kid,
            n: URL_SAFE_NO_PAD.encode(n),
            e: URL_SAFE_NO_PAD.encode(e),
            pair,
            rng: aws_lc_rs::rand::SystemRandom::new(),
        })
    }

    /// RS256 (PKCS#1 v1.5, SHA-256) signature of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        let mut signature = vec![0u8; self.pair.public_modulus_len()];
        // Signing with a valid key pair and a correctly sized buffer cannot fail.
        if self
            .pair
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &self.rng,
                message,
                &mut signature,
            )
            .is_err()
        {
            signature.clear();
        }
        signature
    }

    /// The JWKS document.
    pub(crate) fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "RSA",
                "use": "sig",
                "kid": self.kid,
                "x5t": self.kid,
                "n": self.n,
                "e": self.e,
                "alg": "RS256",
            }]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_key_and_it_verifies() {
        let a = SigningKey::for_seed(Some(42)).unwrap();
        let b = SigningKey::for_seed(Some(42)).unwrap();
        assert_eq!(a.n, b.n);
        let signature = a.sign(b"hello");
        let n = URL_SAFE_NO_PAD.decode(&a.n).unwrap();
        let e = URL_SAFE_NO_PAD.decode(&a.e).unwrap();
        let public = ring::signature::RsaPublicKeyComponents { n: &n, e: &e };
        public
            .verify(
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                b"hello",
                &signature,
            )
            .unwrap();
    }
}
