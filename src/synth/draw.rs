//! Random draws for one synthetic patient, reproducible from (seed, patient, purpose) on every machine and every run.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// Bumped when the key layout changes, so that change is deliberate (and the golden test says so).
const KEY_VERSION: &[u8; 8] = b"handoff1";

/// A ChaCha8 stream keyed by (seed, patient, purpose).
///
/// ChaCha8 is a published algorithm that rand_chacha documents as deterministic and portable, and distinct keys give
/// independent streams, so patient 7 does not depend on patients 0–6, and adding a draw to one purpose (the
/// address, say) leaves every other purpose's values as they were. The integer reductions below are written
/// here rather than taken from `rand`'s distributions, whose values may change between releases.
pub(crate) struct Draw(ChaCha8Rng);

impl Draw {
    pub(crate) fn new(seed: u64, patient: u64, purpose: &[u8; 8]) -> Draw {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(KEY_VERSION);
        key[8..16].copy_from_slice(&seed.to_le_bytes());
        key[16..24].copy_from_slice(&patient.to_le_bytes());
        key[24..].copy_from_slice(purpose);
        Draw(ChaCha8Rng::from_seed(key))
    }

    /// Uniform in `0..n`, without modulo bias (Lemire's multiply-and-reject); 0 when `n` is 0.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let threshold = n.wrapping_neg() % n;
        loop {
            let wide = u128::from(self.0.next_u64()) * u128::from(n);
            if (wide as u64) >= threshold {
                return (wide >> 64) as u64;
            }
        }
    }

    /// Uniform in `low..=high`.
    pub(crate) fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high.saturating_sub(low) + 1)
    }

    /// True `percent` times in a hundred.
    pub(crate) fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One item, uniformly. The tables are static and non-empty (their tests say so).
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// One item, in proportion to its weight.
    pub(crate) fn weighted<'a, T>(&mut self, items: &'a [(u64, T)]) -> &'a T {
        let total: u64 = items.iter().map(|(weight, _)| weight).sum();
        let mut ticket = self.below(total);
        for (weight, item) in items {
            if ticket < *weight {
                return item;
            }
            ticket -= weight;
        }
        &items[items.len() - 1].1
    }

    /// The items in a random order (Fisher–Yates).
    pub(crate) fn shuffled<T: Copy>(&mut self, items: &[T]) -> Vec<T> {
        let mut items = items.to_vec();
        for last in (1..items.len()).rev() {
            let other = self.below(last as u64 + 1) as usize;
            items.swap(last, other);
        }
        items
    }

    /// A string of `len` characters drawn from `alphabet`.
    pub(crate) fn chars(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len).map(|_| char::from(*self.pick(alphabet))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_key_gives_the_same_stream_and_any_other_key_another() {
        let run = |seed, patient, purpose| {
            let mut draw = Draw::new(seed, patient, purpose);
            (0..16).map(|_| draw.below(1_000_000)).collect::<Vec<_>>()
        };
        assert_eq!(run(42, 7, b"names   "), run(42, 7, b"names   "));
        assert_ne!(run(42, 7, b"names   "), run(43, 7, b"names   "));
        assert_ne!(run(42, 7, b"names   "), run(42, 8, b"names   "));
        assert_ne!(run(42, 7, b"names   "), run(42, 7, b"address "));
    }

    #[test]
    fn below_stays_in_range_and_reaches_both_ends() {
        let mut draw = Draw::new(1, 2, b"test    ");
        let values: Vec<u64> = (0..2_000).map(|_| draw.below(10)).collect();
        assert!(values.iter().all(|v| *v < 10));
        assert!(values.contains(&0) && values.contains(&9));
        assert_eq!(draw.below(0), 0);
        assert_eq!(draw.between(5, 5), 5);
    }

    #[test]
    fn weighted_never_picks_a_zero_weight() {
        let mut draw = Draw::new(1, 2, b"test    ");
        let items = [(0, "never"), (3, "often"), (1, "sometimes")];
        let picks: Vec<&str> = (0..500).map(|_| *draw.weighted(&items)).collect();
        assert!(!picks.contains(&"never"));
        assert!(picks.contains(&"often") && picks.contains(&"sometimes"));
    }
}
