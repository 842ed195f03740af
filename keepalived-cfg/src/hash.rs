//! Hash maps keyed by names and addresses of one configuration, with a
//! fast hasher: the keys come from the file being read, so the
//! flooding-resistant (and slower) default hasher buys nothing here.

use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` with [`FastHasher`].
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// A `HashSet` with [`FastHasher`].
pub(crate) type HashSet<K> = std::collections::HashSet<K, BuildHasherDefault<FastHasher>>;

/// A multiply-rotate hasher (the one rustc uses for its own tables): a few
/// instructions per word.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FastHasher {
    /// The hash so far.
    hash: u64,
}

/// An odd constant with well-spread bits.
const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    /// Mixes one word in.
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u16(&mut self, n: u16) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_hash_equal_and_close_keys_differ() {
        let mut a: HashMap<&str, u32> = HashMap::default();
        a.insert("VI_1", 1);
        a.insert("VI_10", 10);
        a.insert("VI_100", 100);
        assert_eq!(a.get("VI_10"), Some(&10));
        assert_eq!(a.get("VI_1000"), None);
        let hash = |s: &str| {
            let mut h = FastHasher::default();
            h.write(s.as_bytes());
            h.finish()
        };
        assert_eq!(hash("eth0"), hash("eth0"));
        assert_ne!(hash("eth0"), hash("eth1"));
        assert_ne!(hash("abcdefgh1"), hash("abcdefgh2"));
    }
}
