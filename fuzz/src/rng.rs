//! The engine's only source of randomness: SplitMix64, seeded per input so any input
//! can be regenerated from its seed and iteration alone.

/// A small deterministic generator (SplitMix64). Not for cryptography.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The generator of input `iteration` of `target` in the pass seeded `seed`: each
    /// input depends on these three values only, never on the inputs before it.
    pub fn for_input(seed: u64, target: &str, iteration: u64) -> Self {
        let mut rng = Rng::new(seed ^ fnv1a(target.as_bytes()));
        let mixed = rng.next_u64() ^ iteration.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Rng::new(mixed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// True `numerator` times in `denominator`.
    pub fn chance(&mut self, numerator: u64, denominator: u64) -> bool {
        self.next_u64() % denominator.max(1) < numerator
    }

    /// One item of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// FNV-1a, 64 bits: names crasher files and spreads target names over seeds.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_depends_on_seed_target_and_iteration_only() {
        let a: Vec<u64> = (0..4)
            .map(|_| Rng::for_input(7, "mex", 12).next_u64())
            .collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::for_input(7, "mex", 12).next_u64(),
            Rng::for_input(7, "mex", 13).next_u64()
        );
        assert_ne!(
            Rng::for_input(7, "mex", 12).next_u64(),
            Rng::for_input(7, "saml", 12).next_u64()
        );
        assert_ne!(
            Rng::for_input(7, "mex", 12).next_u64(),
            Rng::for_input(8, "mex", 12).next_u64()
        );
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = Rng::new(1);
        assert!((0..1000).all(|_| rng.below(7) < 7));
        assert_eq!(rng.below(0), 0);
    }
}
