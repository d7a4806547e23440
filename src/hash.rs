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
            let mut word = [0u8; 8];
            word.iter_mut().zip(rest).for_each(|(w, b)| *w = *b);
            self.add(u64::from_le_bytes(word));
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}
