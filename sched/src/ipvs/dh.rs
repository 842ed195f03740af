//! The `dh` scheduler (`net/netfilter/ipvs/ip_vs_dh.c`): destination hashing.
//!
//! A table of 256 buckets (`IP_VS_DH_TAB_BITS` = 8) is filled with the
//! destinations in list order, one bucket each, round and round; weights do
//! not shape the table (and the kernel's `dh` has no `upd_dest` hook). A
//! connection goes to bucket `ntohl(daddr) * 2654435761 & 255`, IPv6
//! addresses folded by XOR of their four words. A destination with weight 0
//! or overloaded gives "no destination": `dh` has no fallback.
//!
//! A key without a destination address hashes as `0.0.0.0`.

use super::algo::{Algo, Context};
use super::hashfn::{destination_ip, fold_addr, hash_32};
use super::Dest;
use std::net::IpAddr;

/// `IP_VS_DH_TAB_BITS`.
const TAB_BITS: u32 = 8;

/// `IP_VS_DH_TAB_SIZE`.
const TAB_SIZE: usize = 1 << TAB_BITS;

/// State of the `dh` scheduler: the bucket table, holding positions in the
/// destination list (rebuilt whenever a destination joins or leaves).
#[derive(Debug)]
pub(crate) struct Dh {
    /// `s->buckets`: the destination of each bucket, `None` for an empty list.
    buckets: [Option<u32>; TAB_SIZE],
}

impl Dh {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Dh {
            buckets: [None; TAB_SIZE],
        }
    }

    /// `ip_vs_dh_reassign()`: bucket `i` gets `dests[i % len]`.
    fn reassign(&mut self, dests: &[Dest]) {
        for (i, bucket) in self.buckets.iter_mut().enumerate() {
            *bucket = i.checked_rem(dests.len()).map(|at| at as u32);
        }
    }
}

/// `ip_vs_dh_hashkey()`: `hash_32(ntohl(addr), 8)`.
fn hashkey(addr: IpAddr) -> usize {
    hash_32(fold_addr(addr), TAB_BITS) as usize
}

impl Algo for Dh {
    fn init(&mut self, dests: &[Dest]) {
        self.reassign(dests);
    }

    fn add_dest(&mut self, dests: &[Dest], _added: usize) {
        self.reassign(dests);
    }

    fn del_dest(&mut self, dests: &[Dest], _removed: &Dest, _removed_at: usize) {
        self.reassign(dests);
    }

    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let at = self
            .buckets
            .get(hashkey(destination_ip(cx.key)))?
            .map(|i| i as usize)?;
        let dest = dests.get(at)?;
        (dest.weight > 0 && !dest.overloaded).then_some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::{Algorithm, Scheduler};
    use crate::{PickError, RequestKey, ServerConfig, ServerId};

    /// Ids 1, 2, 3 added in order (list [3, 2, 1]), weights as given.
    fn dh(weights: [u32; 3]) -> Scheduler {
        let mut s = Scheduler::new(Algorithm::DestinationHashing);
        for (i, w) in weights.into_iter().enumerate() {
            let cfg = ServerConfig::new(w).thresholds(5, 0);
            s.add(ServerId(i as u32 + 1), cfg).unwrap();
        }
        s
    }

    fn pick(s: &mut Scheduler, dst: &str) -> Result<u32, PickError> {
        let key = RequestKey::new()
            .src("198.51.100.1:5000".parse().unwrap())
            .dst(dst.parse().unwrap());
        s.pick(&key).map(|id| id.0)
    }

    #[test]
    fn hashkey_is_hash_32_of_the_folded_address() {
        // ip_vs_dh_hashkey() of Linux 6.1: hash_32(ntohl(addr_fold), 8), the
        // top 8 bits of addr * 0x61C88647 (mod 2^32), worked out by hand.
        let h = |a: &str| hashkey(a.parse().unwrap());
        assert_eq!(h("192.168.1.10"), 248);
        assert_eq!(h("10.0.0.1"), 39);
        assert_eq!(h("172.16.5.4"), 138);
        assert_eq!(h("2001:db8::1"), 63);
        assert_eq!(h("fe80::1:2:3:4"), 236);
    }

    #[test]
    fn hashes_the_destination_ignoring_weights() {
        // ip_vs_dh_reassign(): bucket i -> list[i % 3] whatever the weights.
        let mut s = dh([1, 5, 9]);
        assert_eq!(pick(&mut s, "192.168.1.10:80"), Ok(1)); // 248 % 3 = 2
        assert_eq!(pick(&mut s, "192.0.2.2:80"), Ok(2)); // 148 % 3 = 1
        assert_eq!(pick(&mut s, "[2001:db8::1]:80"), Ok(3)); // 63 % 3 = 0
        assert_eq!(pick(&mut s, "[fe80::1:2:3:4]:80"), Ok(1)); // 236 % 3 = 2
                                                               // The source does not matter.
        let other = RequestKey::new()
            .src("203.0.113.9:1".parse().unwrap())
            .dst("192.0.2.2:80".parse().unwrap());
        assert_eq!(s.pick(&other), Ok(ServerId(2)));
    }

    #[test]
    fn weight_zero_or_overloaded_is_no_destination() {
        // ip_vs_dh_schedule(): weight <= 0 or IP_VS_DEST_F_OVERLOAD -> NULL.
        let mut s = dh([1, 1, 1]);
        s.set_weight(ServerId(2), 0).unwrap();
        assert_eq!(pick(&mut s, "192.0.2.2:80"), Err(PickError::Unavailable));
        s.set_weight(ServerId(2), 1).unwrap();
        assert_eq!(pick(&mut s, "192.0.2.2:80"), Ok(2));
        s.set_connections(ServerId(2), 5, 0).unwrap();
        assert_eq!(pick(&mut s, "192.0.2.2:80"), Err(PickError::Unavailable));
    }

    #[test]
    fn removal_reassigns() {
        // List [3, 1] after removing 2: 196 % 2 = 0 -> 3.
        let mut s = dh([1, 1, 1]);
        s.remove(ServerId(2)).unwrap();
        assert_eq!(pick(&mut s, "172.16.5.4:80"), Ok(3));
        assert_eq!(pick(&mut s, "10.0.0.1:80"), Ok(1)); // 177 % 2 = 1
    }
}
