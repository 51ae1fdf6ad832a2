//! Generated ids (trace ids, correlation ids, refresh tokens, token ids): from a seeded
//! ChaCha20 stream in deterministic mode, from the OS otherwise.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

pub(crate) struct Ids(ChaCha20Rng);

impl Ids {
    pub(crate) fn new(seed: Option<u64>) -> Self {
        Self(match seed {
            Some(seed) => ChaCha20Rng::seed_from_u64(seed),
            None => ChaCha20Rng::from_entropy(),
        })
    }

    /// A lowercase hyphenated GUID.
    pub(crate) fn guid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        self.0.fill_bytes(&mut bytes);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .hyphenated()
            .to_string()
    }

    /// `len` random bytes, base64url without padding.
    pub(crate) fn opaque(&mut self, len: usize) -> String {
        let mut bytes = vec![0u8; len];
        self.0.fill_bytes(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A number in `low..=high`.
    pub(crate) fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.0.next_u64() % (high - low + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_ids() {
        let (mut a, mut b) = (Ids::new(Some(7)), Ids::new(Some(7)));
        assert_eq!(a.guid(), b.guid());
        assert_eq!(a.opaque(32), b.opaque(32));
        assert_ne!(Ids::new(None).guid(), Ids::new(None).guid());
    }
}
