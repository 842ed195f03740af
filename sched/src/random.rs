//! Injected randomness for the schedulers that draw random numbers
//! (IPVS `twos`, HAProxy `random`).

/// A source of uniformly distributed 32-bit numbers.
///
/// Inject a deterministic one in tests and simulations, or a seeded one
/// from the operating system in production.
pub trait RandomSource: Send {
    /// The next uniformly distributed number.
    fn next_u32(&mut self) -> u32;
}

/// A small, fast, seedable generator (SplitMix64). Not cryptographic.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// A generator seeded from the process's hash randomness.
    pub fn from_entropy() -> Self {
        use std::collections::hash_map::RandomState;
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(0x006c_626b_6974);
        SplitMix64::new(hasher.finish())
    }
}

impl RandomSource for SplitMix64 {
    fn next_u32(&mut self) -> u32 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 32) as u32
    }
}

impl<F: FnMut() -> u32 + Send> RandomSource for F {
    fn next_u32(&mut self) -> u32 {
        self()
    }
}
