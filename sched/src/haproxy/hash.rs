//! HAProxy's hash functions (`src/hash.c`) and `full_hash` avalanche
//! (`include/haproxy/intops.h`), as HAProxy 2.6 computes them.
//!
//! HAProxy 2.6 knows four `hash-type` functions: `sdbm` (the default),
//! `djb2`, `wt6` and `crc32`. It has no `none` function (that came with
//! later versions): its parser rejects the word, and its `gen_hash()` falls
//! back to `sdbm` for any function it does not know. [`hash_bytes`] does the
//! same with [`HashFunction::None`], which this crate's parser never
//! produces.

use super::HashFunction;

/// Hashes `data` with one of HAProxy's `hash-type` functions, as
/// `gen_hash()` in `src/backend.c` does (without the avalanche, which the
/// callers apply separately).
///
/// ```
/// use lbkit_sched::haproxy::{hash_bytes, HashFunction};
/// // The CRC-32 check value.
/// assert_eq!(hash_bytes(HashFunction::Crc32, b"123456789"), 0xCBF4_3926);
/// ```
pub fn hash_bytes(function: HashFunction, data: &[u8]) -> u32 {
    match function {
        HashFunction::Djb2 => djb2(data),
        HashFunction::Wt6 => wt6(data),
        HashFunction::Crc32 => crc32(data),
        HashFunction::Sdbm | HashFunction::None => sdbm(data),
    }
}

/// `hash_sdbm()`: `h = c + (h << 6) + (h << 16) - h` from 0.
fn sdbm(data: &[u8]) -> u32 {
    data.iter().fold(0u32, |h, &c| {
        u32::from(c)
            .wrapping_add(h << 6)
            .wrapping_add(h << 16)
            .wrapping_sub(h)
    })
}

/// `hash_djb2()`: `h = h * 33 + c` from 5381.
fn djb2(data: &[u8]) -> u32 {
    data.iter().fold(5381u32, |h, &c| {
        h.wrapping_mul(33).wrapping_add(u32::from(c))
    })
}

/// `hash_wt6()`: Willy Tarreau's two-register hash whose rotation counts
/// depend on the data seen so far.
fn wt6(data: &[u8]) -> u32 {
    let (mut h0, mut h1) = (0xa53c_965a_u32, 0x5ca6_953a_u32);
    let (mut step0, mut step1) = (6u32, 18u32);
    for &c in data {
        let c = u32::from(c);
        let x0 = !(h0 ^ c);
        let x1 = !(h1.wrapping_add(c));
        h0 = x1.rotate_left(step0);
        h1 = x0.rotate_left(step1);
        let t = ((h0 >> 16) ^ h1) & 0xffff;
        step0 = t & 0x1f;
        step1 = t >> 11;
    }
    h0 ^ h1
}

/// `hash_crc32()`: the reflected CRC-32 of IEEE 802.3 (polynomial
/// 0xEDB88320, initial value and final XOR all ones), bit by bit.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &c in data {
        crc ^= u32::from(c);
        for _ in 0..8 {
            let carry = crc & 1;
            crc >>= 1;
            if carry != 0 {
                crc ^= 0xedb8_8320;
            }
        }
    }
    !crc
}

/// `full_hash()`: one of Bob Jenkins' 32-bit integer avalanche functions,
/// followed by a multiplication by the prime 3221225473, as HAProxy uses it
/// for `avalanche` and for the keys of the consistent-hash tree nodes.
pub(crate) fn full_hash(a: u32) -> u32 {
    let mut a = a;
    a = a.wrapping_add(0x7ed5_5d16).wrapping_add(a << 12);
    a = (a ^ 0xc761_c23c) ^ (a >> 19);
    a = a.wrapping_add(0x1656_67b1).wrapping_add(a << 5);
    a = a.wrapping_add(0xd3a2_646c) ^ (a << 9);
    a = a.wrapping_add(0xfd70_46c5).wrapping_add(a << 3);
    a = (a ^ 0xb55a_4f09) ^ (a >> 16);
    a.wrapping_mul(3_221_225_473)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Inputs shared by the vector tests below.
    const INPUTS: [&[u8]; 6] = [
        b"",
        b"a",
        b"/index.html",
        b"123456789",
        b"The quick brown fox jumps over the lazy dog",
        b"\x00\xff\x80\x7f",
    ];

    /// Runs one function over [`INPUTS`] and compares with the expected
    /// values.
    fn check(function: HashFunction, expected: [u32; 6]) {
        for (input, want) in INPUTS.iter().zip(expected) {
            assert_eq!(
                hash_bytes(function, input),
                want,
                "{function:?}({:?})",
                String::from_utf8_lossy(input)
            );
        }
    }

    // Expected values below were computed by a small C program written
    // independently from the algorithm descriptions (and cross-checked
    // against HAProxy 2.6.12's own src/hash.c compiled with gcc).

    #[test]
    fn hash_sdbm_vectors() {
        check(
            HashFunction::Sdbm,
            [
                0x0000_0000,
                0x0000_0061,
                0x3324_2976,
                0x68a0_7035,
                0x8ca7_7173,
                0x7e11_917e,
            ],
        );
    }

    #[test]
    fn hash_djb2_vectors() {
        check(
            HashFunction::Djb2,
            [
                0x0000_1505,
                0x0002_b606,
                0xe114_b9cf,
                0x35cd_bb82,
                0x34cc_38de,
                0x7c61_5d43,
            ],
        );
    }

    #[test]
    fn hash_wt6_vectors() {
        check(
            HashFunction::Wt6,
            [
                0xf99a_0360,
                0x714b_f225,
                0x3101_077e,
                0x84a1_6c1d,
                0xe4e7_b045,
                0x5167_fef0,
            ],
        );
    }

    #[test]
    fn hash_crc32_vectors() {
        // "123456789" is the standard CRC-32 check value 0xCBF43926; the
        // fox sentence's CRC-32 is the well-known 0x414FA339.
        check(
            HashFunction::Crc32,
            [
                0x0000_0000,
                0xe8b7_be43,
                0xea22_4b42,
                0xcbf4_3926,
                0x414f_a339,
                0x64e5_1f17,
            ],
        );
    }

    #[test]
    fn gen_hash_none_falls_back_to_sdbm() {
        // gen_hash(): an unknown function is hashed with sdbm.
        for input in INPUTS {
            assert_eq!(
                hash_bytes(HashFunction::None, input),
                hash_bytes(HashFunction::Sdbm, input)
            );
        }
    }

    #[test]
    fn full_hash_vectors() {
        // Computed by the independent C program; node keys of lb_chash.c
        // are full_hash(puid * 4096 + n).
        let cases = [
            (0u32, 0xab4e_d927_u32),
            (1, 0x3486_81b6),
            (4096, 0x49c2_008b),
            (4097, 0xa497_2c87),
            (0xffff_ffff, 0x7e64_c182),
            (0x1234_5678, 0xc27c_5489),
        ];
        for (input, want) in cases {
            assert_eq!(full_hash(input), want, "full_hash({input:#x})");
        }
    }

    proptest! {
        #[test]
        fn djb2_matches_its_definition(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            // hash_djb2() unrolls its loop eight times: the plain loop must agree.
            let mut h = 5381u32;
            for c in &data {
                h = (h << 5).wrapping_add(h).wrapping_add(u32::from(*c));
            }
            prop_assert_eq!(djb2(&data), h);
        }
    }
}
