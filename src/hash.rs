//! A multiply-rotate hash (as in rustc's FxHasher), for tables whose keys
//! are short: field names from the program, and the facts a rule group
//! reads. SipHash would cost more than the rest of a lookup; the tables
//! that take keys from case data are bounded, so a crafted input can slow
//! a lookup down, not memory up.

use std::hash::{BuildHasherDefault, Hasher};

#[derive(Default)]
pub struct Fx(u64);

/// Makes [`Fx`] hashers, for `HashMap::with_hasher`.
pub type FxBuild = BuildHasherDefault<Fx>;

/// A hash map with [`Fx`] hashing (`FxMap::default()` makes one).
pub type FxMap<K, V> = std::collections::HashMap<K, V, FxBuild>;

/// A hash set with [`Fx`] hashing.
pub type FxSet<T> = std::collections::HashSet<T, FxBuild>;

impl Fx {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.add(u64::from_le_bytes(word.try_into().unwrap_or_default()));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            // The bytes left, in the low end of a word: loaded with the
            // word before them and shifted down, or one by one when the
            // text is shorter than a word.
            let last = bytes.len().checked_sub(8).and_then(|at| bytes.get(at..)).and_then(|w| w.try_into().ok());
            let word = match last {
                Some(last) => u64::from_le_bytes(last) >> (8 * (8 - rest.len())),
                None => rest.iter().rev().fold(0, |word, &b| word << 8 | u64::from(b)),
            };
            self.add(word);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use std::hash::Hasher;

    use super::Fx;

    fn hash(bytes: &[u8]) -> u64 {
        let mut h = Fx::default();
        h.write(bytes);
        h.finish()
    }

    /// Every byte counts, in the last, partial word too.
    #[test]
    fn every_byte_is_hashed() {
        let bytes: Vec<u8> = (1..=20).collect();
        for len in 1..=bytes.len() {
            let text = &bytes[..len];
            // The same bytes elsewhere in memory hash the same.
            let moved = [&[0], text].concat();
            assert_eq!(hash(text), hash(&moved[1..]));
            for i in 0..len {
                let mut changed = text.to_vec();
                changed[i] ^= 0x40;
                assert_ne!(hash(text), hash(&changed), "byte {i} of {len}");
            }
        }
    }
}
