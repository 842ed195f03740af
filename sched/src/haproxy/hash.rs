//! HAProxy's hash functions (`src/hash.c`) and `full_hash` avalanche.

use super::HashFunction;

/// Hashes `data` with one of HAProxy's `hash-type` functions.
pub fn hash_bytes(function: HashFunction, data: &[u8]) -> u32 {
    let _ = (function, data);
    todo!()
}
