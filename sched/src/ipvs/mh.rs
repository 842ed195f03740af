//! The `mh` scheduler (`net/netfilter/ipvs/ip_vs_mh.c`): Maglev hashing.
//!
//! The lookup table has 4093 slots: `CONFIG_IP_VS_MH_TAB_INDEX` defaults to
//! 12, which selects `primes[12 - 8]`. Each destination gets a preference
//! list of slots from two hashes of its address and port (`offset` and
//! `skip`), and the destinations take turns claiming their next free slot
//! until the table is full; a destination claims `turns` slots per turn,
//! its `last_weight` divided by the weights' gcd and shifted right so that
//! the largest quotient fits in 6 bits (`IP_VS_MH_TAB_BITS`). A destination
//! whose `last_weight` is 0 claims none.
//!
//! `last_weight` is the kernel's "latest non-zero weight": set when a
//! destination is added (whatever its weight) and when its weight is edited
//! to a non-zero value. Quiescing a destination (weight 0) therefore keeps
//! the table as it is, and only `mh-fallback` steers its keys elsewhere.
//!
//! The hash is `hsiphash()` (SipHash-1-3 on 64-bit kernels) with the fixed
//! keys of `generate_hash_secret()`, so the kernel's table is reproducible:
//! nothing here is random. A connection hashes its source address (plus the
//! source port with `mh-port`, for TCP, UDP and SCTP); with `mh-fallback`
//! an unusable slot leads to probing
//! `hsiphash(offset + port + addr) % 4093` for rotated offsets.
//!
//! Deviations, all in corner cases: a destination's address is hashed in
//! its own family (the kernel uses the service's, which differs only for
//! mixed-family services); a destination without an address hashes as
//! `0.0.0.0:0` (the [`Scheduler`](super::Scheduler) refuses them anyway);
//! with more than 4093 destinations the kernel keeps its stale table of
//! pointers, while this table of list positions is cleared (no destination).
//! When the scheduler is switched to `mh` on a service with a drained
//! destination, its `last_weight` is taken as the weight it was drained
//! from.

use super::algo::{Algo, Context};
use super::hashfn::{
    fold_addr, hsiphash_u32, source_ip, source_port, HsipKey, KNUTH, MISSING_ADDR,
};
use super::Dest;
use std::net::IpAddr;

/// The primes the table size is chosen from (`primes[]`).
const PRIMES: [u32; 10] = [
    251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071,
];

/// `CONFIG_IP_VS_MH_TAB_INDEX` (Kconfig default).
const TAB_INDEX_CONFIG: usize = 12;

/// `IP_VS_MH_TAB_BITS`: the bits a weight quotient may occupy.
const TAB_BITS: i32 = (TAB_INDEX_CONFIG / 2) as i32;

/// `IP_VS_MH_TAB_SIZE`: 4093.
const TAB_SIZE: u32 = PRIMES[TAB_INDEX_CONFIG - 8];

/// `s->hash1` from `generate_hash_secret()`: offsets and lookups.
const HASH1: HsipKey = HsipKey([KNUTH, KNUTH]);

/// `s->hash2` from `generate_hash_secret()`: skips.
const HASH2: HsipKey = HsipKey([2_654_446_892, 2_654_446_892]);

/// `struct ip_vs_mh_dest_setup`: a destination's walk through the table.
#[derive(Clone, Copy, Debug, Default)]
struct Setup {
    /// The next slot it prefers (`perm`).
    perm: u32,
    /// Its step through the table.
    skip: u32,
    /// Slots it claims per turn.
    turns: i32,
}

/// State of the `mh` scheduler.
#[derive(Debug)]
pub(crate) struct Mh {
    /// `s->lookup`: list position of each slot's destination.
    lookup: Vec<Option<u32>>,
    /// `dest->last_weight`, in list order.
    last_weight: Vec<i32>,
    /// Scratch: the claimed-slot bitmap of `ip_vs_mh_populate()`.
    claimed: Vec<u64>,
    /// Scratch: `s->dest_setup`.
    setup: Vec<Setup>,
}

impl Mh {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Mh {
            lookup: vec![None; TAB_SIZE as usize],
            last_weight: Vec::new(),
            claimed: vec![0; (TAB_SIZE as usize).div_ceil(64)],
            setup: Vec::new(),
        }
    }

    /// `ip_vs_mh_dest_changed()` / `ip_vs_mh_reassign()`: recompute gcd and
    /// shift, then the preference lists, then the table.
    fn reassign(&mut self, dests: &[Dest]) {
        if dests.len() > TAB_SIZE as usize {
            self.lookup.fill(None);
            return;
        }
        let gcd = gcd_weight(&self.last_weight);
        let rshift = shift_weight(&self.last_weight, gcd);
        if gcd < 1 {
            self.lookup.fill(None);
            return;
        }
        self.permutate(dests, gcd, rshift);
        self.populate();
    }

    /// `ip_vs_mh_permutate()`: each destination's offset, skip and turns.
    fn permutate(&mut self, dests: &[Dest], gcd: i32, rshift: i32) {
        self.setup.clear();
        for (dest, &lw) in dests.iter().zip(&self.last_weight) {
            let (addr, port) = dest.addr.map_or((MISSING_ADDR, 0), |a| (a.ip(), a.port()));
            let offset = hashkey(addr, port, &HASH1, 0) % TAB_SIZE;
            let skip = hashkey(addr, port, &HASH2, 0) % (TAB_SIZE - 1) + 1;
            let quotient = (lw / gcd) >> rshift;
            let turns = if quotient != 0 {
                quotient
            } else {
                i32::from(lw != 0)
            };
            self.setup.push(Setup {
                perm: offset,
                skip,
                turns,
            });
        }
    }

    /// `ip_vs_mh_populate()`: destinations take turns claiming their next
    /// free preferred slot, `turns` slots each, until the table is full.
    fn populate(&mut self) {
        self.claimed.fill(0);
        let mut n = 0;
        while n < TAB_SIZE {
            let before = n;
            for (at, ds) in self.setup.iter_mut().enumerate() {
                for _ in 0..ds.turns.max(0) {
                    let slot = claim(&mut self.claimed, ds);
                    if let Some(entry) = self.lookup.get_mut(slot as usize) {
                        *entry = Some(at as u32);
                    }
                    n += 1;
                    if n == TAB_SIZE {
                        return;
                    }
                }
            }
            if n == before {
                return;
            }
        }
    }

    /// The list position in slot `hash`, if any.
    fn slot(&self, hash: u32) -> Option<usize> {
        self.lookup
            .get(hash as usize)
            .copied()
            .flatten()
            .map(|i| i as usize)
    }

    /// `ip_vs_mh_get()`: the hashed slot's destination when usable.
    fn get(&self, dests: &[Dest], addr: IpAddr, port: u16) -> Option<usize> {
        let at = self.slot(hashkey(addr, port, &HASH1, 0) % TAB_SIZE)?;
        usable(dests, at)
    }

    /// `ip_vs_mh_get_fallback()`: as [`Mh::get`], then rehash with rotated
    /// offsets until a usable destination turns up.
    fn get_fallback(&self, dests: &[Dest], addr: IpAddr, port: u16) -> Option<usize> {
        let ihash = hashkey(addr, port, &HASH1, 0) % TAB_SIZE;
        let first = self.slot(ihash)?;
        if usable(dests, first).is_some() {
            return Some(first);
        }
        for offset in 0..TAB_SIZE {
            let roffset = (offset + ihash) % TAB_SIZE;
            let at = self.slot(hashkey(addr, port, &HASH1, roffset) % TAB_SIZE)?;
            if usable(dests, at).is_some() {
                return Some(at);
            }
        }
        None
    }

    /// Rebuilds `last_weight` from the list (at `init_service`).
    fn reset_last_weights(&mut self, dests: &[Dest]) {
        self.last_weight.clear();
        self.last_weight
            .extend(dests.iter().map(|d| match d.drained_weight {
                Some(w) if d.weight == 0 => w,
                _ => d.weight,
            }));
    }
}

/// Claims the destination's next free preferred slot (the `test_bit` walk
/// of `ip_vs_mh_populate()`): `perm` stays on the claimed slot.
fn claim(claimed: &mut [u64], ds: &mut Setup) -> u32 {
    while is_claimed(claimed, ds.perm) {
        ds.perm += ds.skip;
        if ds.perm >= TAB_SIZE {
            ds.perm -= TAB_SIZE;
        }
    }
    if let Some(word) = claimed.get_mut((ds.perm / 64) as usize) {
        *word |= 1 << (ds.perm % 64);
    }
    ds.perm
}

/// `test_bit(slot, table)`.
fn is_claimed(claimed: &[u64], slot: u32) -> bool {
    claimed
        .get((slot / 64) as usize)
        .is_some_and(|w| w & (1 << (slot % 64)) != 0)
}

/// `ip_vs_mh_hashkey()`: `hsiphash` of the native `unsigned int`
/// `offset + port + ntohl(addr)`.
fn hashkey(addr: IpAddr, port: u16, key: &HsipKey, offset: u32) -> u32 {
    let v = offset
        .wrapping_add(u32::from(port))
        .wrapping_add(fold_addr(addr));
    hsiphash_u32(v, key)
}

/// `ip_vs_mh_gcd_weight()`: gcd of the positive last weights, 0 if none.
fn gcd_weight(last_weight: &[i32]) -> i32 {
    last_weight
        .iter()
        .filter(|&&w| w > 0)
        .fold(0, |g, &w| if g > 0 { gcd(w, g) } else { w })
}

/// `gcd()` of `lib/math/gcd.c` (the result does not depend on the variant).
fn gcd(mut a: i32, mut b: i32) -> i32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `ip_vs_mh_shift_weight()`: how far to shift `weight / gcd` so that the
/// largest one occupies at most `IP_VS_MH_TAB_BITS` bits.
fn shift_weight(last_weight: &[i32], gcd: i32) -> i32 {
    if gcd < 1 {
        return 0;
    }
    let max = last_weight.iter().copied().fold(0, i32::max);
    let mw = max / gcd;
    (fls(mw) - TAB_BITS).max(0)
}

/// `fls()`: 1-based index of the highest set bit, 0 for 0.
fn fls(x: i32) -> i32 {
    32 - x.leading_zeros() as i32
}

/// `!is_unavailable(dest)`: weight above 0 and not overloaded.
fn usable(dests: &[Dest], at: usize) -> Option<usize> {
    let dest = dests.get(at)?;
    (dest.weight > 0 && !dest.overloaded).then_some(at)
}

impl Algo for Mh {
    fn init(&mut self, dests: &[Dest]) {
        self.reset_last_weights(dests);
        self.reassign(dests);
    }

    fn add_dest(&mut self, dests: &[Dest], added: usize) {
        let weight = dests.get(added).map_or(0, |d| d.weight);
        let at = added.min(self.last_weight.len());
        self.last_weight.insert(at, weight);
        self.sync(dests);
        self.reassign(dests);
    }

    fn del_dest(&mut self, dests: &[Dest], _removed: &Dest, removed_at: usize) {
        if removed_at < self.last_weight.len() {
            self.last_weight.remove(removed_at);
        }
        self.sync(dests);
        self.reassign(dests);
    }

    fn upd_dest(&mut self, dests: &[Dest], updated: usize) {
        let weight = dests.get(updated).map_or(0, |d| d.weight);
        if weight != 0 {
            if let Some(lw) = self.last_weight.get_mut(updated) {
                *lw = weight;
            }
        }
        self.reassign(dests);
    }

    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let addr = source_ip(cx.key);
        let port = if cx.flags.port {
            source_port(cx.key)
        } else {
            0
        };
        if cx.flags.fallback {
            self.get_fallback(dests, addr, port)
        } else {
            self.get(dests, addr, port)
        }
    }
}

impl Mh {
    /// Keeps `last_weight` as long as the list if the hooks were ever
    /// called out of step (never in [`Scheduler`](super::Scheduler)).
    fn sync(&mut self, dests: &[Dest]) {
        if self.last_weight.len() != dests.len() {
            self.reset_last_weights(dests);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::{Algorithm, SchedFlags, Scheduler};
    use crate::{PickError, RequestKey, ServerConfig, ServerId, ServerState};

    /// Ids 1, 2, 3 at 10.1.0.{1,2,3}:80 added in order: list [3, 2, 1].
    fn mh(weights: [u32; 3], flags: SchedFlags) -> Scheduler {
        let mut s = Scheduler::new(Algorithm::MaglevHashing).with_flags(flags);
        for (i, w) in weights.into_iter().enumerate() {
            let addr = format!("10.1.0.{}:80", i + 1).parse().unwrap();
            let cfg = ServerConfig::new(w).addr(addr).thresholds(10, 0);
            s.add(ServerId(i as u32 + 1), cfg).unwrap();
        }
        s
    }

    fn pick(s: &mut Scheduler, src: &str) -> Result<u32, PickError> {
        s.pick(&RequestKey::new().src(src.parse().unwrap()))
            .map(|id| id.0)
    }

    /// The lookup table of a scheduler built the same way, for counting.
    fn table(weights: &[i32], addrs: &[&str]) -> Mh {
        let mut m = Mh::new();
        let mut dests: Vec<Dest> = Vec::new();
        for (i, (&w, a)) in weights.iter().zip(addrs).enumerate() {
            dests.insert(0, dest(i as u32 + 1, w, a));
            m.add_dest(&dests, 0);
        }
        m
    }

    fn dest(id: u32, weight: i32, addr: &str) -> Dest {
        Dest {
            id: ServerId(id),
            addr: Some(addr.parse().unwrap()),
            weight,
            overloaded: false,
            activeconns: 0,
            inactconns: 0,
            u_threshold: 0,
            l_threshold: 0,
            drained_weight: None,
        }
    }

    /// Slots held by each list position.
    fn counts(m: &Mh, n: usize) -> Vec<usize> {
        let mut c = vec![0; n];
        for at in m.lookup.iter().flatten() {
            c[*at as usize] += 1;
        }
        c
    }

    const THREE: [&str; 3] = ["10.1.0.1:80", "10.1.0.2:80", "10.1.0.3:80"];

    #[test]
    fn table_size_is_the_prime_4093() {
        assert_eq!(TAB_SIZE, 4093);
        assert_eq!(TAB_BITS, 6);
    }

    #[test]
    fn permutation_matches_gcc_vectors() {
        // ip_vs_mh_permutate() for 10.1.0.1:80, gcc build of the kernel code.
        let a: IpAddr = "10.1.0.1".parse().unwrap();
        assert_eq!(hashkey(a, 80, &HASH1, 0) % TAB_SIZE, 310);
        assert_eq!(hashkey(a, 80, &HASH2, 0) % (TAB_SIZE - 1) + 1, 1461);
        let src: IpAddr = "192.168.1.10".parse().unwrap();
        assert_eq!(hashkey(src, 0, &HASH1, 0) % TAB_SIZE, 3323);
        assert_eq!(hashkey(src, 4242, &HASH1, 0) % TAB_SIZE, 2060);
    }

    #[test]
    fn equal_weights_share_the_table_round_robin() {
        // ip_vs_mh_populate(): one slot per destination per round; 4093 =
        // 3 * 1364 + 1, so the list head claims the extra slot.
        let m = table(&[1, 1, 1], &THREE);
        assert_eq!(counts(&m, 3), [1365, 1364, 1364]);
        // First slots, as the gcc build fills them (list positions).
        let first: Vec<u32> = m.lookup[..12].iter().map(|s| s.unwrap()).collect();
        assert_eq!(first, [0, 0, 0, 2, 0, 1, 0, 1, 0, 2, 1, 2]);
    }

    #[test]
    fn weights_give_turns() {
        // turns = last_weight / gcd: list [w1, w2, w3] claims in rounds of 6;
        // 4093 = 6 * 682 + 1.
        let m = table(&[3, 2, 1], &THREE);
        assert_eq!(counts(&m, 3), [683, 1364, 2046]);
    }

    #[test]
    fn large_weights_are_shifted() {
        // ip_vs_mh_shift_weight(): max 128 / gcd 1 occupies 8 bits, shift 2;
        // turns 128 >> 2 = 32 and 1 >> 2 = 0 -> 1. Rounds of 33: 4093 =
        // 33 * 124 + 1, list [w1, w128].
        let m = table(&[128, 1], &THREE[..2]);
        assert_eq!(counts(&m, 2), [125, 3968]);
        assert_eq!(shift_weight(&[128, 1], 1), 2);
        assert_eq!(shift_weight(&[63, 1], 1), 0);
        assert_eq!(gcd_weight(&[0, 6, 4]), 2);
    }

    #[test]
    fn ipv6_destinations() {
        // gcc: [2001:db8::a]:443 then [2001:db8::b]:443 -> 2047 / 2046.
        let m = table(&[1, 1], &["[2001:db8::a]:443", "[2001:db8::b]:443"]);
        assert_eq!(counts(&m, 2), [2047, 2046]);
    }

    #[test]
    fn lookups_match_gcc_vectors() {
        // List [3, 2, 1]: list position p is server 3 - p.
        let mut s = mh([1, 1, 1], SchedFlags::new());
        assert_eq!(pick(&mut s, "192.168.1.10:1"), Ok(2)); // position 1
        assert_eq!(pick(&mut s, "10.0.0.1:1"), Ok(1)); // position 2
        assert_eq!(pick(&mut s, "172.16.5.4:1"), Ok(1));
        assert_eq!(pick(&mut s, "10.0.0.3:1"), Ok(3)); // position 0
        assert_eq!(pick(&mut s, "[2001:db8::1]:1"), Ok(1));
    }

    #[test]
    fn port_flag_hashes_the_source_port() {
        // gcc with port 4242: 192.168.1.10 -> position 2, 172.16.5.4 -> 0,
        // 2001:db8::1 -> 1.
        let mut s = mh([1, 1, 1], SchedFlags::new().port(true));
        assert_eq!(pick(&mut s, "192.168.1.10:4242"), Ok(1));
        assert_eq!(pick(&mut s, "172.16.5.4:4242"), Ok(3));
        assert_eq!(pick(&mut s, "[2001:db8::1]:4242"), Ok(2));
    }

    #[test]
    fn quiesced_destination_keeps_its_slots() {
        // last_weight keeps the latest non-zero weight: weight 0 leaves the
        // table alone; without fallback its keys get no destination.
        let mut s = mh([1, 1, 1], SchedFlags::new());
        s.set_state(ServerId(3), ServerState::Drain).unwrap();
        assert_eq!(pick(&mut s, "10.0.0.3:1"), Err(PickError::Unavailable));
        assert_eq!(pick(&mut s, "10.0.0.9:1"), Ok(1)); // unchanged
        assert_eq!(pick(&mut s, "192.168.1.10:1"), Ok(2)); // unchanged
    }

    #[test]
    fn fallback_rehashes_with_rotated_offsets() {
        // ip_vs_mh_get_fallback(), gcc: with server 3 at weight 0,
        // 10.0.0.3, .6, .7 -> position 1 (server 2), 10.0.0.10 -> position 2.
        let mut s = mh([1, 1, 1], SchedFlags::new().fallback(true));
        s.set_weight(ServerId(3), 0).unwrap();
        assert_eq!(pick(&mut s, "10.0.0.3:1"), Ok(2));
        assert_eq!(pick(&mut s, "10.0.0.6:1"), Ok(2));
        assert_eq!(pick(&mut s, "10.0.0.10:1"), Ok(1));
        assert_eq!(pick(&mut s, "10.0.0.9:1"), Ok(1));
        // Servers 3 and 2 at 0: everything goes to 1.
        s.set_weight(ServerId(2), 0).unwrap();
        for src in ["10.0.0.3:1", "10.0.0.4:1", "192.168.1.10:1"] {
            assert_eq!(pick(&mut s, src), Ok(1));
        }
        s.set_weight(ServerId(1), 0).unwrap();
        assert_eq!(pick(&mut s, "10.0.0.3:1"), Err(PickError::Unavailable));
    }

    #[test]
    fn fallback_skips_overloaded() {
        // gcc: server 2 (position 1) overloaded: 192.168.1.10 -> position 0.
        let mut s = mh([1, 1, 1], SchedFlags::new().fallback(true));
        s.set_connections(ServerId(2), 10, 0).unwrap();
        assert_eq!(pick(&mut s, "192.168.1.10:1"), Ok(3));
    }

    #[test]
    fn weight_zero_at_add_claims_nothing() {
        // turns = (lw != 0) = 0 for a destination added with weight 0.
        let m = table(&[1, 0, 1], &THREE);
        assert_eq!(counts(&m, 3), [2047, 0, 2046]);
        let none = table(&[0, 0], &THREE[..2]);
        assert!(none.lookup.iter().all(Option::is_none));
    }

    #[test]
    fn removal_matches_gcc() {
        // gcc: remove server 2 -> list [3, 1]; 10.0.0.9 and 10.0.0.11 -> 1.
        let mut s = mh([1, 1, 1], SchedFlags::new());
        s.remove(ServerId(2)).unwrap();
        assert_eq!(pick(&mut s, "10.0.0.9:1"), Ok(1));
        assert_eq!(pick(&mut s, "10.0.0.11:1"), Ok(1));
        assert_eq!(pick(&mut s, "10.0.0.4:1"), Ok(3));
    }
}
