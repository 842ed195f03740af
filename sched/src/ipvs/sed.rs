//! The `sed` scheduler (`net/netfilter/ipvs/ip_vs_sed.c`).
//!
//! Shortest expected delay: the same two-stage walk as `wlc` (first usable
//! destination, then strictly less loaded ones, 64-bit cross products,
//! weight 0 not skipped in the second stage), with the load
//! `(activeconns + 1) / weight`: inactive connections do not count, and
//! the `+ 1` is the connection being scheduled.

use super::wlc::LeastLoaded;
use super::Dest;

/// `ip_vs_sed_dest_overhead()`: active connections plus the new one, in a
/// C `int` (wrapping).
fn sed_overhead(dest: &Dest) -> i32 {
    (dest.activeconns as i32).wrapping_add(1)
}

/// The `sed` scheduler: [`LeastLoaded`] over `activeconns + 1`.
pub(crate) fn new() -> LeastLoaded {
    LeastLoaded::new(sed_overhead)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::picks_opening;
    use crate::ipvs::Scheduler;
    use crate::{PickError, RequestKey, ServerConfig, ServerId, ServerState};

    /// A `sed` scheduler with these (id, weight) added in order.
    fn sed(servers: &[(u32, u32)]) -> Scheduler {
        super::super::testutil::service("sed", servers)
    }

    #[test]
    fn differs_from_wlc_on_idle_servers() {
        // List [2 (w 1), 1 (w 3)], both idle. wlc would keep 2 (0 vs 0);
        // ip_vs_sed_schedule() moves to 1 when (a2+1) * 3 > (a1+1) * 1:
        // (a2, a1) = (0, 0): 3 > 1 -> 1; (0, 1): 3 > 2 -> 1;
        // (0, 2): 3 > 3 no -> 2; (1, 2): 6 > 3 -> 1; (1, 3): 6 > 4 -> 1;
        // (1, 4): 6 > 5 -> 1; (1, 5): 6 > 6 no -> 2.
        let mut s = sed(&[(1, 3), (2, 1)]);
        assert_eq!(picks_opening(&mut s, 7), [1, 1, 2, 1, 1, 1, 2]);
    }

    #[test]
    fn inactive_connections_are_ignored() {
        let mut s = sed(&[(1, 1), (2, 1)]);
        s.set_connections(ServerId(2), 0, 1000).unwrap();
        s.set_connections(ServerId(1), 0, 0).unwrap();
        // Both overheads are 1: the head (2) keeps it.
        assert_eq!(s.pick(&RequestKey::new()), Ok(ServerId(2)));
    }

    #[test]
    fn quiesced_and_overloaded_are_never_picked() {
        let mut s = Scheduler::from_name("sed").unwrap();
        s.add(ServerId(1), ServerConfig::new(1)).unwrap();
        s.add(ServerId(2), ServerConfig::new(50).thresholds(3, 1))
            .unwrap();
        s.add(ServerId(3), ServerConfig::new(50)).unwrap();
        s.set_state(ServerId(3), ServerState::Drain).unwrap();
        // List [3 (w 0), 2 (w 50, upper 3), 1 (w 1)].
        // 2 is picked 3 times ((a+1)*1 > 2*50 never for a <= 2), then is
        // overloaded; 1 remains.
        assert_eq!(picks_opening(&mut s, 5), [2, 2, 2, 1, 1]);
        s.set_weight(ServerId(1), 0).unwrap();
        assert_eq!(s.pick(&RequestKey::new()), Err(PickError::Unavailable));
        // Below the lower threshold (1) the overload clears.
        s.set_connections(ServerId(2), 0, 0).unwrap();
        assert_eq!(s.pick(&RequestKey::new()), Ok(ServerId(2)));
    }

    #[test]
    fn empty_set() {
        let mut s = sed(&[]);
        assert_eq!(s.pick(&RequestKey::new()), Err(PickError::Empty));
    }
}
