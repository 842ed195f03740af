//! The `sh` scheduler (`net/netfilter/ipvs/ip_vs_sh.c`): source hashing.
//!
//! A table of 256 buckets (`IP_VS_SH_TAB_BITS` = 8) is tiled with the
//! destinations in list order, each one filling `weight` consecutive buckets
//! (at least one, even with weight 0), wrapping around the list until the
//! table is full. A connection goes to the bucket
//! `(ntohl(saddr) + port) * 2654435761 & 255`, where `port` is the source port
//! with `sh-port` (TCP, UDP and SCTP only) and 0 otherwise.
//!
//! A bucket whose destination has weight 0 or is overloaded gives "no
//! destination", unless `sh-fallback` is set: then the kernel probes the
//! buckets `(2 * ihash + offset) & 255` for offset 0, 1, ... (its
//! `ip_vs_sh_get_fallback()` adds the rotated offset to the original hash
//! again), and takes the first usable one.
//!
//! A key without a source address hashes as `0.0.0.0`.

use super::algo::{Algo, Context};
use super::Dest;
use std::net::IpAddr;

/// Kernel hash primitives shared by the hashing schedulers.
use super::hashfn::{fold_addr, hash_32, source_ip, source_port};

/// `IP_VS_SH_TAB_BITS`.
const TAB_BITS: u32 = 8;

/// `IP_VS_SH_TAB_SIZE`.
const TAB_SIZE: usize = 1 << TAB_BITS;

/// `IP_VS_SH_TAB_MASK`.
const TAB_MASK: u64 = TAB_SIZE as u64 - 1;

/// State of the `sh` scheduler: the bucket table, holding positions in the
/// destination list (rebuilt whenever the list or a weight changes).
#[derive(Debug)]
pub(crate) struct Sh {
    /// `s->buckets`: the destination of each bucket, `None` for an empty list.
    buckets: [Option<u32>; TAB_SIZE],
}

impl Sh {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Sh {
            buckets: [None; TAB_SIZE],
        }
    }

    /// `ip_vs_sh_reassign()`: tile the table with the list, `weight`
    /// buckets per destination.
    fn reassign(&mut self, dests: &[Dest]) {
        if dests.is_empty() {
            self.buckets = [None; TAB_SIZE];
            return;
        }
        let mut at = 0;
        let mut filled = 0;
        for bucket in self.buckets.iter_mut() {
            *bucket = Some(at as u32);
            filled += 1;
            if filled >= dests[at].weight {
                at = (at + 1) % dests.len();
                filled = 0;
            }
        }
    }

    /// The destination index in bucket `hash`, if any.
    fn bucket(&self, hash: usize) -> Option<usize> {
        self.buckets
            .get(hash)
            .copied()
            .flatten()
            .map(|i| i as usize)
    }

    /// `ip_vs_sh_get()`: the hashed bucket's destination when usable.
    fn get(&self, dests: &[Dest], addr: IpAddr, port: u16) -> Option<usize> {
        let at = self.bucket(hashkey(addr, port, 0))?;
        usable(dests, at)
    }

    /// `ip_vs_sh_get_fallback()`: as [`Sh::get`], then probe the table from
    /// the original hash for a usable destination.
    fn get_fallback(&self, dests: &[Dest], addr: IpAddr, port: u16) -> Option<usize> {
        let ihash = hashkey(addr, port, 0);
        let first = self.bucket(ihash)?;
        if usable(dests, first).is_some() {
            return Some(first);
        }
        for offset in 0..TAB_SIZE {
            let roffset = (offset + ihash) % TAB_SIZE;
            let at = self.bucket(hashkey(addr, port, roffset as u32))?;
            if usable(dests, at).is_some() {
                return Some(at);
            }
        }
        None
    }
}

/// `ip_vs_sh_hashkey()`: `(offset + hash_32(port + ntohl(addr), 8)) & mask`,
/// the sum of port and address wrapping at 32 bits.
pub(super) fn hashkey(addr: IpAddr, port: u16, offset: u32) -> usize {
    let base = u32::from(port).wrapping_add(fold_addr(addr));
    (u64::from(offset).wrapping_add(u64::from(hash_32(base, TAB_BITS))) & TAB_MASK) as usize
}

/// `!is_unavailable(dest)`: the position back when the destination has a
/// positive weight and is not overloaded.
fn usable(dests: &[Dest], at: usize) -> Option<usize> {
    let dest = dests.get(at)?;
    (dest.weight > 0 && !dest.overloaded).then_some(at)
}

impl Algo for Sh {
    fn init(&mut self, dests: &[Dest]) {
        self.reassign(dests);
    }

    fn add_dest(&mut self, dests: &[Dest], _added: usize) {
        self.reassign(dests);
    }

    fn del_dest(&mut self, dests: &[Dest], _removed: &Dest, _removed_at: usize) {
        self.reassign(dests);
    }

    fn upd_dest(&mut self, dests: &[Dest], _updated: usize) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::{Algorithm, SchedFlags, Scheduler};
    use crate::{PickError, Protocol, RequestKey, ServerConfig, ServerId};

    /// Adds ids 1, 2, 3 with these weights: the list is then [3, 2, 1].
    fn sh(weights: [u32; 3], flags: SchedFlags) -> Scheduler {
        let mut s = Scheduler::new(Algorithm::SourceHashing).with_flags(flags);
        for (i, w) in weights.into_iter().enumerate() {
            let cfg = ServerConfig::new(w).thresholds(10, 0);
            s.add(ServerId(i as u32 + 1), cfg).unwrap();
        }
        s
    }

    fn from(src: &str) -> RequestKey<'static> {
        RequestKey::new().src(src.parse().unwrap())
    }

    fn pick(s: &mut Scheduler, src: &str) -> Result<u32, PickError> {
        s.pick(&from(src)).map(|id| id.0)
    }

    #[test]
    fn hashkey_is_offset_plus_hash_32() {
        // ip_vs_sh_hashkey() of Linux 6.1:
        // (offset + hash_32(ntohs(port) + ntohl(addr_fold), 8)) & 255,
        // worked out by hand (see hashfn.rs for hash_32).
        let h = |a: &str, port, off| hashkey(a.parse().unwrap(), port, off);
        assert_eq!(h("192.168.1.10", 0, 0), 248);
        assert_eq!(h("192.168.1.10", 4242, 0), 69);
        assert_eq!(h("192.168.1.10", 0, 7), 255);
        assert_eq!(h("10.0.0.1", 0, 0), 39);
        assert_eq!(h("10.0.0.2", 0, 0), 137);
        assert_eq!(h("2001:db8::1", 0, 0), 63);
        assert_eq!(h("2001:db8::1", 80, 0), 205);
        assert_eq!(h("fe80::1:2:3:4", 0, 0), 236);
    }

    #[test]
    fn reassign_tiles_list_order_one_bucket_each() {
        // ip_vs_sh_reassign(), weights 1: bucket i -> list[i % 3], list [3,2,1].
        let mut s = sh([1, 1, 1], SchedFlags::new());
        assert_eq!(pick(&mut s, "192.168.1.10:1000"), Ok(1)); // 248 % 3 = 2
        assert_eq!(pick(&mut s, "10.0.0.1:1"), Ok(3)); // 39 % 3 = 0
        assert_eq!(pick(&mut s, "192.0.2.2:1"), Ok(2)); // 148 % 3 = 1
        assert_eq!(pick(&mut s, "[2001:db8::1]:1"), Ok(3)); // 63 % 3 = 0
    }

    #[test]
    fn reassign_fills_weight_consecutive_buckets() {
        // ip_vs_sh_reassign(): list [3 (w1), 2 (w2), 1 (w3)] tiles
        // 3 2 2 1 1 1 3 2 2 1 1 1 ...
        let mut s = sh([3, 2, 1], SchedFlags::new());
        assert_eq!(pick(&mut s, "192.168.1.10:1"), Ok(2)); // 248 % 6 = 2
        assert_eq!(pick(&mut s, "10.0.0.1:1"), Ok(1)); // 39 % 6 = 3
        assert_eq!(pick(&mut s, "10.0.0.2:1"), Ok(1)); // 137 % 6 = 5
        assert_eq!(pick(&mut s, "192.0.2.3:1"), Ok(3)); // 246 % 6 = 0
        assert_eq!(pick(&mut s, "[fe80::1:2:3:4]:1"), Ok(2)); // 236 % 6 = 2
    }

    #[test]
    fn port_flag_hashes_source_port_for_tcp_udp_sctp_only() {
        // ip_vs_sh_get_port(): 192.168.1.10 port 4242 -> bucket 69 -> 69 % 3 = 0.
        let mut s = sh([1, 1, 1], SchedFlags::new().port(true));
        assert_eq!(pick(&mut s, "192.168.1.10:4242"), Ok(3));
        let udp = from("192.168.1.10:4242").protocol(Protocol::Udp);
        assert_eq!(s.pick(&udp), Ok(ServerId(3)));
        let icmp = from("192.168.1.10:4242").protocol(Protocol::Other(1));
        assert_eq!(s.pick(&icmp), Ok(ServerId(1))); // port 0 -> bucket 248
                                                    // IPv6 with port 80 -> 205 % 3 = 1.
        assert_eq!(pick(&mut s, "[2001:db8::1]:80"), Ok(2));
    }

    #[test]
    fn unavailable_without_fallback_is_no_destination() {
        // ip_vs_sh_get(): weight 0 or overloaded -> NULL.
        let mut s = sh([1, 1, 1], SchedFlags::new());
        s.set_weight(ServerId(3), 0).unwrap();
        // weight 0 still takes one bucket per turn: list [3 (w0), 2, 1] keeps
        // the same tiling, so 10.0.0.1 (bucket 39) still lands on 3.
        assert_eq!(pick(&mut s, "10.0.0.1:1"), Err(PickError::Unavailable));
        assert_eq!(pick(&mut s, "10.0.0.2:1"), Ok(1));
        s.set_weight(ServerId(3), 1).unwrap();
        s.set_connections(ServerId(3), 10, 0).unwrap(); // u_threshold 10
        assert_eq!(s.is_overloaded(ServerId(3)), Some(true));
        assert_eq!(pick(&mut s, "10.0.0.1:1"), Err(PickError::Unavailable));
    }

    #[test]
    fn fallback_probes_from_twice_the_hash() {
        // ip_vs_sh_get_fallback(): ihash 39 is server 3 (overloaded); the
        // probes are (39 + offset + 39) & 255 = 78, 79, 80, ...; bucket 78
        // holds list[78 % 3 = 0] = server 3 again, bucket 79 server 2.
        let mut s = sh([1, 1, 1], SchedFlags::new().fallback(true));
        s.set_connections(ServerId(3), 10, 0).unwrap();
        assert_eq!(pick(&mut s, "10.0.0.1:1"), Ok(2));
        // Server 2 down too: 78 -> 3 (no), 79 -> 2 (no), 80 -> 1.
        s.set_weight(ServerId(2), 0).unwrap();
        assert_eq!(pick(&mut s, "10.0.0.1:1"), Ok(1));
        // All unusable: no destination.
        s.set_weight(ServerId(1), 0).unwrap();
        assert_eq!(pick(&mut s, "10.0.0.1:1"), Err(PickError::Unavailable));
    }

    #[test]
    fn missing_source_hashes_as_zero() {
        // 0.0.0.0 -> bucket 0 -> list head.
        let mut s = sh([1, 1, 1], SchedFlags::new());
        assert_eq!(s.pick(&RequestKey::new()), Ok(ServerId(3)));
    }

    #[test]
    fn removal_retiles_the_table() {
        // After removing 3 the list is [2, 1]: 248 % 2 = 0 -> 2, 39 % 2 = 1 -> 1.
        let mut s = sh([1, 1, 1], SchedFlags::new());
        s.remove(ServerId(3)).unwrap();
        assert_eq!(pick(&mut s, "192.168.1.10:1"), Ok(2));
        assert_eq!(pick(&mut s, "10.0.0.1:1"), Ok(1));
    }
}
