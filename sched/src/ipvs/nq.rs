//! The `nq` scheduler (`net/netfilter/ipvs/ip_vs_nq.c`).
//!
//! Never queue: one walk over the list skipping overloaded and weight-0
//! destinations. The first one met with no active connection is taken at
//! once, whatever its weight; otherwise the one with the shortest expected
//! delay `(activeconns + 1) / weight` wins, the first one on ties (64-bit
//! cross products, strict `>`).

use super::algo::{Algo, Context};
use super::wlc::more_loaded;
use super::Dest;

/// `ip_vs_nq_dest_overhead()`: active connections plus the new one, in a
/// C `int` (wrapping).
fn nq_overhead(dest: &Dest) -> i32 {
    (dest.activeconns as i32).wrapping_add(1)
}

/// State of the `nq` scheduler (it has none).
#[derive(Debug, Default)]
pub(crate) struct Nq {}

impl Nq {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Nq::default()
    }
}

impl Algo for Nq {
    fn schedule(&mut self, _cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let mut least: Option<(usize, i32)> = None;
        for (at, dest) in dests.iter().enumerate() {
            if dest.overloaded || dest.weight == 0 {
                continue;
            }
            if dest.activeconns == 0 {
                return Some(at);
            }
            let doh = nq_overhead(dest);
            let replace = match least {
                None => true,
                Some((l, loh)) => more_loaded(loh, dests[l].weight, doh, dest.weight),
            };
            if replace {
                least = Some((at, doh));
            }
        }
        least.map(|(at, _)| at)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::picks_opening;
    use crate::ipvs::Scheduler;
    use crate::{PickError, RequestKey, ServerConfig, ServerId, ServerState};

    /// An `nq` scheduler with these (id, weight) added in order.
    fn nq(servers: &[(u32, u32)]) -> Scheduler {
        super::super::testutil::service("nq", servers)
    }

    #[test]
    fn idle_server_first_whatever_its_weight() {
        // ip_vs_nq_schedule(): list [3 (w 1), 2 (w 1), 1 (w 100)]. 1 is far
        // faster, but the idle 3 and 2 are returned at once first.
        let mut s = nq(&[(1, 100), (2, 1), (3, 1)]);
        s.set_connections(ServerId(1), 5, 0).unwrap();
        assert_eq!(picks_opening(&mut s, 2), [3, 2]);
        // No idle server left: sed's rule. 3: 2/1, 2: 2/1, 1: 6/100:
        // 2 * 1 > 2 * 1 no, 2 * 100 > 6 * 1 yes -> 1.
        assert_eq!(picks_opening(&mut s, 1), [1]);
    }

    #[test]
    fn idle_check_uses_active_connections_only() {
        // Inactive connections do not make a server busy.
        let mut s = nq(&[(1, 1), (2, 1)]);
        s.set_connections(ServerId(2), 1, 0).unwrap();
        s.set_connections(ServerId(1), 0, 500).unwrap();
        assert_eq!(s.pick(&RequestKey::new()), Ok(ServerId(1)));
    }

    #[test]
    fn expected_delay_with_ties_to_list_order() {
        // List [2 (w 2), 1 (w 1)], 2 has 3 active, 1 has 1 active:
        // loh(2) = 4, doh(1) = 2: 4 * 1 > 2 * 2 no -> 2 (tie, first wins).
        let mut s = nq(&[(1, 1), (2, 2)]);
        s.set_connections(ServerId(2), 3, 0).unwrap();
        s.set_connections(ServerId(1), 1, 0).unwrap();
        assert_eq!(picks_opening(&mut s, 1), [2]);
        // Now loh(2) = 5: 5 * 1 > 2 * 2 -> 1.
        assert_eq!(picks_opening(&mut s, 1), [1]);
    }

    #[test]
    fn quiesced_and_overloaded_are_never_picked_even_idle() {
        let mut s = Scheduler::from_name("nq").unwrap();
        s.add(ServerId(1), ServerConfig::new(1)).unwrap();
        s.add(ServerId(2), ServerConfig::new(1).thresholds(1, 0))
            .unwrap();
        s.add(ServerId(3), ServerConfig::new(0)).unwrap();
        s.set_connections(ServerId(1), 7, 0).unwrap();
        // 3 is idle but weight 0; 2 is idle and usable.
        assert_eq!(picks_opening(&mut s, 1), [2]);
        // 2's connection goes inactive: 2 is idle again but stays
        // overloaded (1 connection, upper threshold 1), so it is skipped.
        s.set_connections(ServerId(2), 0, 1).unwrap();
        assert_eq!(s.is_overloaded(ServerId(2)), Some(true));
        assert_eq!(picks_opening(&mut s, 1), [1]);
        s.set_state(ServerId(1), ServerState::Down).unwrap();
        assert_eq!(s.pick(&RequestKey::new()), Err(PickError::Unavailable));
    }

    #[test]
    fn empty_set() {
        let mut s = nq(&[]);
        assert_eq!(s.pick(&RequestKey::new()), Err(PickError::Empty));
    }
}
