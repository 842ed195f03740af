//! The kernel hash primitives the hashing IPVS schedulers use, bit for bit
//! as an x86_64 kernel computes them.
//!
//! * `dh`, `sh`: `hash_32(ntohl(addr), 8)` (Linux 6.1; older kernels used
//!   `(x * 2654435761UL) & 255`), checked against a real 6.1 kernel by
//!   lbkit-ipvs's VM tests.
//! * `lblc`, `lblcr`: `hash_32(ntohl(addr), 10)` from `<linux/hash.h>`, the
//!   top bits of `x * GOLDEN_RATIO_32`.
//! * `mh`: `hsiphash()` from `lib/siphash.c`, which on 64-bit kernels is
//!   SipHash-1-3 with a 128-bit key (two `unsigned long`s) and a 32-bit result.
//!
//! IPv6 addresses are folded to 32 bits by XOR-ing their four `__be32` words;
//! XOR commutes with byte swapping, so `ntohl` of the fold is the XOR of the
//! four big-endian words read as numbers.

use crate::{Protocol, RequestKey};
use std::net::{IpAddr, Ipv4Addr};

/// Knuth's multiplicative constant `2654435761UL`, which `ip_vs_mh.c` uses
/// as both words of its first hash key.
pub(crate) const KNUTH: u64 = 2_654_435_761;

/// `GOLDEN_RATIO_32` of `<linux/hash.h>`.
pub(crate) const GOLDEN_RATIO_32: u32 = 0x61C8_8647;

/// `ntohl(addr_fold)`: the IPv4 address as a host-order number, or the XOR of
/// an IPv6 address's four 32-bit words.
pub(crate) fn fold_addr(addr: IpAddr) -> u32 {
    match addr {
        IpAddr::V4(v4) => u32::from(v4),
        IpAddr::V6(v6) => v6.octets().chunks_exact(4).fold(0, |acc, w| {
            acc ^ u32::from_be_bytes([w[0], w[1], w[2], w[3]])
        }),
    }
}

/// `hash_32(val, bits)` (generic version, the one x86_64 uses): the top
/// `bits` bits of `val * GOLDEN_RATIO_32`. `bits` must be in `1..=32`.
pub(crate) fn hash_32(val: u32, bits: u32) -> u32 {
    let bits = bits.clamp(1, 32);
    val.wrapping_mul(GOLDEN_RATIO_32) >> (32 - bits)
}

/// The address a scheduler hashes when the key lacks it: the kernel always
/// has one; we use `0.0.0.0` so that a pick is still deterministic.
pub(crate) const MISSING_ADDR: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

/// The packet's source address (`iph->saddr`), or [`MISSING_ADDR`].
pub(crate) fn source_ip(key: &RequestKey<'_>) -> IpAddr {
    key.src.map_or(MISSING_ADDR, |s| s.ip())
}

/// The packet's destination address (`iph->daddr`), or [`MISSING_ADDR`].
pub(crate) fn destination_ip(key: &RequestKey<'_>) -> IpAddr {
    key.dst.map_or(MISSING_ADDR, |d| d.ip())
}

/// `ip_vs_sh_get_port()` / `ip_vs_mh_get_port()`: the source port (host
/// order) of a TCP, UDP or SCTP packet, 0 for any other protocol or when the
/// key has no source.
pub(crate) fn source_port(key: &RequestKey<'_>) -> u16 {
    match key.protocol {
        Protocol::Tcp | Protocol::Udp | Protocol::Sctp => key.src.map_or(0, |s| s.port()),
        _ => 0,
    }
}

/// A `hsiphash_key_t` on a 64-bit kernel: two `unsigned long` words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HsipKey(pub(crate) [u64; 2]);

/// The SipHash state `v0..v3`.
struct Sip([u64; 4]);

impl Sip {
    /// `PREAMBLE(len)` minus the length word: the constants XOR the key.
    fn new(key: &HsipKey) -> Self {
        let [k0, k1] = key.0;
        Sip([
            0x736f_6d65_7073_6575 ^ k0,
            0x646f_7261_6e64_6f6d ^ k1,
            0x6c79_6765_6e65_7261 ^ k0,
            0x7465_6462_7974_6573 ^ k1,
        ])
    }

    /// `SIPROUND`.
    fn round(&mut self) {
        let [mut v0, mut v1, mut v2, mut v3] = self.0;
        v0 = v0.wrapping_add(v1);
        v1 = v1.rotate_left(13) ^ v0;
        v0 = v0.rotate_left(32);
        v2 = v2.wrapping_add(v3);
        v3 = v3.rotate_left(16) ^ v2;
        v0 = v0.wrapping_add(v3);
        v3 = v3.rotate_left(21) ^ v0;
        v2 = v2.wrapping_add(v1);
        v1 = v1.rotate_left(17) ^ v2;
        v2 = v2.rotate_left(32);
        self.0 = [v0, v1, v2, v3];
    }

    /// One message word with `rounds` SipRounds (1 for hsiphash).
    fn absorb(&mut self, m: u64, rounds: usize) {
        self.0[3] ^= m;
        for _ in 0..rounds {
            self.round();
        }
        self.0[0] ^= m;
    }

    /// `HPOSTAMBLE` (64-bit): the last word `b`, then SipHash-1-3
    /// finalisation, truncated to 32 bits.
    fn finish_h(mut self, b: u64) -> u32 {
        self.absorb(b, 1);
        self.0[2] ^= 0xff;
        for _ in 0..3 {
            self.round();
        }
        let [v0, v1, v2, v3] = self.0;
        ((v0 ^ v1) ^ (v2 ^ v3)) as u32
    }
}

/// `hsiphash(data, len, key)` on a 64-bit little-endian kernel, for any
/// length (the schedulers only need [`hsiphash_u32`]; this general form is
/// what the kernel's own test vectors check).
#[cfg(test)]
pub(crate) fn hsiphash(data: &[u8], key: &HsipKey) -> u32 {
    let mut sip = Sip::new(key);
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let mut m = [0u8; 8];
        m.copy_from_slice(w);
        sip.absorb(u64::from_le_bytes(m), 1);
    }
    let mut b = (data.len() as u64) << 56;
    for (i, byte) in words.remainder().iter().enumerate() {
        b |= u64::from(*byte) << (8 * i);
    }
    sip.finish_h(b)
}

/// `hsiphash(&v, sizeof(v), key)` for a native `unsigned int` `v` on
/// x86_64 (the bytes in memory are little-endian), as `ip_vs_mh_hashkey()`
/// calls it. Same as [`hsiphash`] over `v.to_le_bytes()`, without a buffer.
pub(crate) fn hsiphash_u32(v: u32, key: &HsipKey) -> u32 {
    Sip::new(key).finish_h((4u64 << 56) | u64::from(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    /// Plain SipHash-2-4, built from the same rounds, to check them against
    /// the reference vector of the SipHash paper.
    fn siphash24(data: &[u8], key: &HsipKey) -> u64 {
        let mut sip = Sip::new(key);
        let mut words = data.chunks_exact(8);
        for w in &mut words {
            let mut m = [0u8; 8];
            m.copy_from_slice(w);
            sip.absorb(u64::from_le_bytes(m), 2);
        }
        let mut b = (data.len() as u64) << 56;
        for (i, byte) in words.remainder().iter().enumerate() {
            b |= u64::from(*byte) << (8 * i);
        }
        sip.absorb(b, 2);
        sip.0[2] ^= 0xff;
        for _ in 0..4 {
            sip.round();
        }
        let [v0, v1, v2, v3] = sip.0;
        v0 ^ v1 ^ v2 ^ v3
    }

    /// The key 00 01 02 .. 0f of the SipHash paper.
    fn paper_key() -> HsipKey {
        HsipKey([0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908])
    }

    #[test]
    fn sipround_matches_the_siphash_paper() {
        // SipHash-2-4 reference outputs (paper appendix / vectors.h):
        // empty message and the 15-byte message 00..0e.
        assert_eq!(siphash24(&[], &paper_key()), 0x726f_db47_dd0e_0e31);
        let msg: Vec<u8> = (0..15).collect();
        assert_eq!(siphash24(&msg, &paper_key()), 0xa129_ca61_49be_45e5);
    }

    #[test]
    fn fold_matches_ntohl_of_xored_words() {
        // ip_vs_sh_hashkey(): ntohl(addr->ip) for IPv4.
        assert_eq!(fold_addr("192.168.1.10".parse().unwrap()), 0xC0A8_010A);
        // IPv6: 2001:0db8:0000:0000:0000:0000:0000:0001 folds to
        // 0x20010db8 ^ 0 ^ 0 ^ 1.
        let v6: Ipv6Addr = "2001:db8::1".parse().unwrap();
        assert_eq!(fold_addr(IpAddr::V6(v6)), 0x2001_0db9);
    }

    #[test]
    fn hash_32_takes_top_bits() {
        // hash_32(1, 10) = 0x61C88647 >> 22 = 391.
        assert_eq!(hash_32(1, 10), 391);
        assert_eq!(hash_32(0, 10), 0);
        // 0xC0A8010A * 0x61C88647 mod 2^32 = 0xF8F385C6 (gcc), >> 22 = 995.
        assert_eq!(hash_32(0xC0A8_010A, 10), 995);
    }

    #[test]
    fn hsiphash_matches_kernel_test_vectors() {
        // lib/test_siphash.c, BITS_PER_LONG == 64: test_vectors_hsiphash[len]
        // for the message 00 01 02 .. and the key 00..0f.
        let msg: Vec<u8> = (0..16).collect();
        let expected = [
            (0, 0x050f_c4dc),
            (1, 0x7d57_ca93),
            (4, 0x88d3_8328),
            (8, 0x8d29_9a8e),
            (15, 0x2a51_9956),
        ];
        for (len, want) in expected {
            assert_eq!(hsiphash(&msg[..len], &paper_key()), want, "len {len}");
        }
    }

    #[test]
    fn mh_keys_hash_like_gcc() {
        // generate_hash_secret() keys, v = 0 and 0xdeadbeef, computed by a C
        // transcription of lib/siphash.c compiled with gcc on x86_64.
        let h1 = HsipKey([KNUTH, KNUTH]);
        let h2 = HsipKey([2_654_446_892, 2_654_446_892]);
        assert_eq!(hsiphash_u32(0, &h1), 0x1d5a_77c2);
        assert_eq!(hsiphash_u32(0, &h2), 0xf882_433f);
        assert_eq!(hsiphash_u32(0xdead_beef, &h1), 0xf605_cd1f);
    }

    #[test]
    fn hsiphash_u32_equals_byte_form() {
        let key = HsipKey([KNUTH, KNUTH]);
        for v in [0u32, 1, 0xdead_beef, u32::MAX] {
            assert_eq!(hsiphash_u32(v, &key), hsiphash(&v.to_le_bytes(), &key));
        }
    }

    #[test]
    fn source_port_only_for_tcp_udp_sctp() {
        let src = "10.0.0.1:4242".parse().unwrap();
        let key = RequestKey::new().src(src);
        assert_eq!(source_port(&key), 4242);
        assert_eq!(source_port(&key.protocol(Protocol::Sctp)), 4242);
        assert_eq!(source_port(&key.protocol(Protocol::Other(1))), 0);
        assert_eq!(source_port(&RequestKey::new()), 0);
    }
}
