//! The `fo` scheduler (`net/netfilter/ipvs/ip_vs_fo.c`).
//!
//! Weighted failover: the non-overloaded destination with the highest
//! weight takes everything. The walk keeps a candidate only when its weight
//! is strictly above the best so far (starting from 0), so weight 0 never
//! qualifies and ties go to the first in list order.

use super::algo::{Algo, Context};
use super::Dest;

/// State of the `fo` scheduler (it has none).
#[derive(Debug, Default)]
pub(crate) struct Fo {}

impl Fo {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Fo::default()
    }
}

impl Algo for Fo {
    fn schedule(&mut self, _cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let mut best = None;
        let mut highest = 0;
        for (at, dest) in dests.iter().enumerate() {
            if !dest.overloaded && dest.weight > highest {
                best = Some(at);
                highest = dest.weight;
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use crate::ipvs::Scheduler;
    use crate::{PickError, RequestKey, ServerConfig, ServerId, ServerState};

    /// An `fo` scheduler with these (id, weight) added in order.
    fn fo(servers: &[(u32, u32)]) -> Scheduler {
        super::super::testutil::service("fo", servers)
    }

    /// One pick.
    fn pick(s: &mut Scheduler) -> Result<u32, PickError> {
        s.pick(&RequestKey::new()).map(|id| id.0)
    }

    #[test]
    fn highest_weight_takes_everything() {
        // ip_vs_fo_schedule(): 2 (w 5) over 1 (w 3) and 3 (w 1), whatever
        // the connections.
        let mut s = fo(&[(1, 3), (2, 5), (3, 1)]);
        s.set_connections(ServerId(2), 1000, 1000).unwrap();
        for _ in 0..3 {
            assert_eq!(pick(&mut s), Ok(2));
        }
    }

    #[test]
    fn ties_go_to_the_head_of_the_list() {
        // 1 and 2 both weigh 5; the list is [3, 2, 1] and `weight > hw` is
        // strict, so 2 (nearer the head) wins.
        let mut s = fo(&[(1, 5), (2, 5), (3, 1)]);
        assert_eq!(pick(&mut s), Ok(2));
        // Re-adding 1 puts it at the head: now it wins the tie.
        s.set_state(ServerId(1), ServerState::Down).unwrap();
        s.set_state(ServerId(1), ServerState::Up).unwrap();
        assert_eq!(pick(&mut s), Ok(1));
    }

    #[test]
    fn fails_over_on_overload_and_quiesce() {
        let mut s = Scheduler::from_name("fo").unwrap();
        s.add(ServerId(1), ServerConfig::new(10).thresholds(2, 1))
            .unwrap();
        s.add(ServerId(2), ServerConfig::new(5)).unwrap();
        s.add(ServerId(3), ServerConfig::new(0)).unwrap();
        assert_eq!(pick(&mut s), Ok(1));
        s.set_connections(ServerId(1), 2, 0).unwrap();
        assert_eq!(pick(&mut s), Ok(2));
        s.set_weight(ServerId(2), 0).unwrap();
        // 3 weighs 0 too: nothing qualifies for weight > 0.
        assert_eq!(pick(&mut s), Err(PickError::Unavailable));
        // Back under the lower threshold: 1 again.
        s.set_connections(ServerId(1), 0, 0).unwrap();
        assert_eq!(pick(&mut s), Ok(1));
    }

    #[test]
    fn empty_set() {
        let mut s = fo(&[]);
        assert_eq!(pick(&mut s), Err(PickError::Empty));
    }
}
