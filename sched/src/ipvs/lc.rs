//! The `lc` scheduler (`net/netfilter/ipvs/ip_vs_lc.c`).
//!
//! One walk over the list: skip overloaded and weight-0 destinations, keep
//! the one with the smallest connection overhead, the first one on ties
//! (strict `<`). Weights play no other part. The kernel stores the `int`
//! overhead in an `unsigned int`, so an overflowed (negative) overhead
//! compares as a huge one.

use super::algo::{Algo, Context};
use super::wlc::conn_overhead;
use super::Dest;

/// State of the `lc` scheduler (it has none).
#[derive(Debug, Default)]
pub(crate) struct Lc {}

impl Lc {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Lc::default()
    }
}

impl Algo for Lc {
    fn schedule(&mut self, _cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let mut least: Option<(usize, u32)> = None;
        for (at, dest) in dests.iter().enumerate() {
            if dest.overloaded || dest.weight == 0 {
                continue;
            }
            let doh = conn_overhead(dest) as u32;
            if least.is_none_or(|(_, loh)| doh < loh) {
                least = Some((at, doh));
            }
        }
        least.map(|(at, _)| at)
    }
}

#[cfg(test)]
mod tests {
    use crate::ipvs::Scheduler;
    use crate::{PickError, RequestKey, ServerConfig, ServerId, ServerState};

    /// An `lc` scheduler with these (id, weight) added in order.
    fn lc(servers: &[(u32, u32)]) -> Scheduler {
        let mut s = Scheduler::from_name("lc").unwrap();
        for &(id, w) in servers {
            s.add(ServerId(id), ServerConfig::new(w)).unwrap();
        }
        s
    }

    /// One pick.
    fn pick(s: &mut Scheduler) -> Result<u32, PickError> {
        s.pick(&RequestKey::new()).map(|id| id.0)
    }

    #[test]
    fn least_overhead_wins_and_weights_do_not_matter() {
        // ip_vs_lc_schedule(): 1 (w 100) has 2 active = 512, 2 (w 1) has 1
        // active and 255 inactive = 511 -> 2.
        let mut s = lc(&[(1, 100), (2, 1)]);
        s.set_connections(ServerId(1), 2, 0).unwrap();
        s.set_connections(ServerId(2), 1, 255).unwrap();
        assert_eq!(pick(&mut s), Ok(2));
        s.set_connections(ServerId(2), 1, 256).unwrap();
        // 512 vs 512: the first in the list (2, added last) keeps it.
        assert_eq!(pick(&mut s), Ok(2));
        s.set_connections(ServerId(2), 1, 257).unwrap();
        assert_eq!(pick(&mut s), Ok(1));
    }

    #[test]
    fn ties_go_to_the_head_of_the_list() {
        // List [3, 2, 1], all idle: `doh < loh` is strict, 3 wins; opening
        // a connection on each pick walks down the list.
        let mut s = lc(&[(1, 1), (2, 1), (3, 1)]);
        let mut got = Vec::new();
        for _ in 0..6 {
            let id = s.pick(&RequestKey::new()).unwrap();
            s.connection_opened(id).unwrap();
            got.push(id.0);
        }
        assert_eq!(got, [3, 2, 1, 3, 2, 1]);
    }

    #[test]
    fn quiesced_and_overloaded_are_skipped() {
        let mut s = Scheduler::from_name("lc").unwrap();
        s.add(ServerId(1), ServerConfig::new(1)).unwrap();
        s.add(ServerId(2), ServerConfig::new(1).thresholds(1, 0))
            .unwrap();
        s.add(ServerId(3), ServerConfig::new(1)).unwrap();
        s.set_connections(ServerId(1), 9, 0).unwrap();
        s.set_connections(ServerId(3), 5, 0).unwrap();
        // 2 is idle and picked until its threshold of 1 connection.
        assert_eq!(pick(&mut s), Ok(2));
        s.connection_opened(ServerId(2)).unwrap();
        assert_eq!(s.is_overloaded(ServerId(2)), Some(true));
        assert_eq!(pick(&mut s), Ok(3));
        // Drained (weight 0): skipped although least loaded.
        s.set_state(ServerId(3), ServerState::Drain).unwrap();
        assert_eq!(pick(&mut s), Ok(1));
        s.set_weight(ServerId(1), 0).unwrap();
        assert_eq!(pick(&mut s), Err(PickError::Unavailable));
    }

    #[test]
    fn overflowed_overhead_compares_as_unsigned() {
        // 2^23 active connections: the int overhead is INT_MIN, which the
        // kernel's unsigned `doh` reads as 2^31, larger than 1's 256.
        let mut s = lc(&[(1, 1), (2, 1)]);
        s.set_connections(ServerId(2), 1 << 23, 0).unwrap();
        s.set_connections(ServerId(1), 1, 0).unwrap();
        assert_eq!(pick(&mut s), Ok(1));
    }

    #[test]
    fn empty_set() {
        let mut s = lc(&[]);
        assert_eq!(pick(&mut s), Err(PickError::Empty));
    }
}
