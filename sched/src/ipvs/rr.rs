//! The `rr` scheduler (`net/netfilter/ipvs/ip_vs_rr.c`).
//!
//! The kernel remembers the list node it picked last (`svc->sched_data`,
//! the list head itself at first) and scans on from the node after it,
//! wrapping once through the head and ending with that node itself, for the
//! first destination that is neither overloaded nor of weight 0. When
//! nothing qualifies the remembered node stays put.
//!
//! Here the node is its index in the list. A destination inserted at the
//! head shifts it by one; a removed destination before it shifts it back;
//! removing the remembered destination itself moves the position to its
//! predecessor (the head if it was first), as `ip_vs_rr_del_dest()` does,
//! so that the scan resumes with the removed node's successor.

use super::algo::{Algo, Context};
use super::Dest;

/// State of the `rr` scheduler.
#[derive(Debug, Default)]
pub(crate) struct Rr {
    /// Index of the destination picked last; `None` is the list head.
    last: Option<usize>,
}

impl Rr {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Rr::default()
    }
}

/// `ip_vs_rr_schedule()`'s test for a destination it may pick.
fn usable(dest: &Dest) -> bool {
    !dest.overloaded && dest.weight > 0
}

impl Algo for Rr {
    fn init(&mut self, _dests: &[Dest]) {
        self.last = None;
    }

    fn add_dest(&mut self, _dests: &[Dest], added: usize) {
        if let Some(at) = self.last {
            if at >= added {
                self.last = Some(at + 1);
            }
        }
    }

    fn del_dest(&mut self, _dests: &[Dest], _removed: &Dest, removed_at: usize) {
        self.last = match self.last {
            Some(at) if at == removed_at => removed_at.checked_sub(1),
            Some(at) if at > removed_at => Some(at - 1),
            other => other,
        };
    }

    fn schedule(&mut self, _cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let n = dests.len();
        let start = match self.last {
            Some(at) if at < n => at + 1,
            _ => 0,
        };
        // From the head: one pass over 0..n. From node i: i+1..n, then
        // 0..=i. Both are n positions starting at `start`, wrapping.
        let (before, after) = dests.split_at(start);
        let found = after
            .iter()
            .position(usable)
            .map(|k| start + k)
            .or_else(|| before.iter().position(usable));
        if found.is_some() {
            self.last = found;
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use crate::ipvs::Scheduler;
    use crate::{PickError, RequestKey, ServerConfig, ServerId, ServerState};

    /// An `rr` scheduler with these (id, weight) added in order.
    fn rr(servers: &[(u32, u32)]) -> Scheduler {
        super::super::testutil::service("rr", servers)
    }

    /// `n` picks, as ids (0 for "no destination").
    fn picks(s: &mut Scheduler, n: usize) -> Vec<u32> {
        (0..n)
            .map(|_| s.pick(&RequestKey::new()).map_or(0, |id| id.0))
            .collect()
    }

    #[test]
    fn walks_the_list_from_the_head() {
        // Added 1, 2, 3: list_add_rcu() puts each at the head, the list is
        // [3, 2, 1], and the scan starts from the head.
        let mut s = rr(&[(1, 1), (2, 1), (3, 1)]);
        assert_eq!(picks(&mut s, 7), [3, 2, 1, 3, 2, 1, 3]);
    }

    #[test]
    fn weights_do_not_matter_beyond_zero() {
        let mut s = rr(&[(1, 100), (2, 1)]);
        assert_eq!(picks(&mut s, 4), [2, 1, 2, 1]);
    }

    #[test]
    fn quiesced_and_overloaded_are_skipped() {
        let mut s = Scheduler::from_name("rr").unwrap();
        s.add(ServerId(1), ServerConfig::new(1)).unwrap();
        s.add(ServerId(2), ServerConfig::new(1).thresholds(3, 0))
            .unwrap();
        s.add(ServerId(3), ServerConfig::new(1)).unwrap();
        // List [3, 2, 1]; 2 overloaded, 3 drained.
        s.set_connections(ServerId(2), 3, 0).unwrap();
        s.set_state(ServerId(3), ServerState::Drain).unwrap();
        assert_eq!(picks(&mut s, 3), [1, 1, 1]);
        s.set_state(ServerId(3), ServerState::Up).unwrap();
        // Last picked is 1 (the tail): wrap to 3.
        assert_eq!(picks(&mut s, 3), [3, 1, 3]);
        s.set_weight(ServerId(1), 0).unwrap();
        s.set_weight(ServerId(3), 0).unwrap();
        assert_eq!(picks(&mut s, 1), [0]);
        // 2 is below 3/4 of its upper threshold (no lower one): back.
        s.set_connections(ServerId(2), 2, 0).unwrap();
        assert_eq!(picks(&mut s, 2), [2, 2]);
    }

    #[test]
    fn deleting_the_current_position_resumes_after_it() {
        // List [4, 3, 2, 1]. Pick 4 then 3: sched_data points at 3.
        let mut s = rr(&[(1, 1), (2, 1), (3, 1), (4, 1)]);
        assert_eq!(picks(&mut s, 2), [4, 3]);
        // ip_vs_rr_del_dest(): the pointer moves to 3's predecessor (4),
        // so the next pick is 3's former successor, 2.
        s.remove(ServerId(3)).unwrap();
        assert_eq!(picks(&mut s, 4), [2, 1, 4, 2]);
    }

    #[test]
    fn deleting_the_current_head_position_goes_back_to_the_list_head() {
        // List [3, 2, 1]; pick 3 (index 0). Deleting it makes the pointer
        // the list head: the scan restarts at the new first node, 2.
        let mut s = rr(&[(1, 1), (2, 1), (3, 1)]);
        assert_eq!(picks(&mut s, 1), [3]);
        s.set_state(ServerId(3), ServerState::Down).unwrap();
        assert_eq!(picks(&mut s, 3), [2, 1, 2]);
    }

    #[test]
    fn deleting_other_positions_keeps_the_pointer_on_its_node() {
        // List [4, 3, 2, 1]; pick 4, 3, 2: pointer on 2.
        let mut s = rr(&[(1, 1), (2, 1), (3, 1), (4, 1)]);
        assert_eq!(picks(&mut s, 3), [4, 3, 2]);
        // Removing 4 (before it) and 1 (after it): still on 2, next wraps
        // to the head, 3.
        s.remove(ServerId(4)).unwrap();
        s.remove(ServerId(1)).unwrap();
        assert_eq!(picks(&mut s, 3), [3, 2, 3]);
    }

    #[test]
    fn a_new_destination_at_the_head_waits_for_the_wrap() {
        // List [2, 1]; pick 2: pointer on 2. Adding 3 puts it before 2,
        // [3, 2, 1], so it comes after 1, when the scan wraps.
        let mut s = rr(&[(1, 1), (2, 1)]);
        assert_eq!(picks(&mut s, 1), [2]);
        s.add(ServerId(3), ServerConfig::new(1)).unwrap();
        assert_eq!(picks(&mut s, 4), [1, 3, 2, 1]);
    }

    #[test]
    fn a_new_destination_is_next_when_the_pointer_is_the_head() {
        // Fresh service: pointer on the head. Adding goes right after the
        // head, so the newest destination is the first picked.
        let mut s = rr(&[(1, 1)]);
        s.add(ServerId(2), ServerConfig::new(1)).unwrap();
        assert_eq!(picks(&mut s, 3), [2, 1, 2]);
    }

    #[test]
    fn failed_pick_keeps_the_position() {
        // List [3, 2, 1]; pick 3, 2: pointer on 2. Quiesce all, fail, then
        // bring all back: the scan resumes after 2, with 1.
        let mut s = rr(&[(1, 1), (2, 1), (3, 1)]);
        assert_eq!(picks(&mut s, 2), [3, 2]);
        for id in 1..=3 {
            s.set_state(ServerId(id), ServerState::Drain).unwrap();
        }
        assert_eq!(s.pick(&RequestKey::new()), Err(PickError::Unavailable));
        for id in 1..=3 {
            s.set_state(ServerId(id), ServerState::Up).unwrap();
        }
        assert_eq!(picks(&mut s, 2), [1, 3]);
    }

    #[test]
    fn only_the_last_picked_is_left() {
        // The second pass ends with the remembered node itself: it can be
        // picked again.
        let mut s = rr(&[(1, 1), (2, 1), (3, 1)]);
        assert_eq!(picks(&mut s, 2), [3, 2]);
        s.set_weight(ServerId(1), 0).unwrap();
        s.set_weight(ServerId(3), 0).unwrap();
        assert_eq!(picks(&mut s, 2), [2, 2]);
    }

    #[test]
    fn empty_set() {
        let mut s = rr(&[]);
        assert_eq!(s.pick(&RequestKey::new()), Err(PickError::Empty));
        s.add(ServerId(1), ServerConfig::new(1)).unwrap();
        s.remove(ServerId(1)).unwrap();
        assert_eq!(s.pick(&RequestKey::new()), Err(PickError::Empty));
    }
}
