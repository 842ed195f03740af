//! The `lc` scheduler (`net/netfilter/ipvs/ip_vs_lc.c`).
//!
//! The kernel walks the list: skip overloaded and weight-0 destinations, keep
//! the one with the smallest connection overhead, the first one on ties
//! (strict `<`). Weights play no other part. The kernel stores the `int`
//! overhead in an `unsigned int`, so an overflowed (negative) overhead
//! compares as a huge one.

use super::algo::{Algo, Context};
use super::tournament::{Rank, Tournament};
use super::wlc::conn_overhead;
use super::Dest;

/// The `lc` scheduler: the kernel's walk answered from a [`Tournament`] of
/// the eligible destinations' overheads, updated when one changes.
#[derive(Debug, Default)]
pub(crate) struct Lc {
    /// Winners by list position.
    tree: Tournament<Overhead>,
}

/// A destination's overhead as the kernel compares it (`unsigned int`).
#[derive(Debug, Clone, Copy)]
struct Overhead(u32);

impl Rank for Overhead {
    /// `ip_vs_lc_schedule()` replaces its choice only on a strictly smaller overhead.
    fn beats(&self, other: &Self) -> bool {
        self.0 < other.0
    }
}

impl Lc {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Lc::default()
    }

    /// A destination's standing: none when overloaded or quiesced.
    fn rank(dest: &Dest) -> Option<Overhead> {
        (!dest.overloaded && dest.weight != 0).then(|| Overhead(conn_overhead(dest) as u32))
    }

    /// Ranks every destination again.
    fn rebuild(&mut self, dests: &[Dest]) {
        self.tree.rebuild(dests.iter().map(Lc::rank));
    }
}

impl Algo for Lc {
    fn init(&mut self, dests: &[Dest]) {
        self.rebuild(dests);
    }

    fn add_dest(&mut self, dests: &[Dest], _added: usize) {
        self.rebuild(dests);
    }

    fn del_dest(&mut self, dests: &[Dest], _removed: &Dest, _removed_at: usize) {
        self.rebuild(dests);
    }

    fn upd_dest(&mut self, dests: &[Dest], updated: usize) {
        if let Some(dest) = dests.get(updated) {
            self.tree.set(updated, Lc::rank(dest));
        }
    }

    fn conns_changed(&mut self, dests: &[Dest], at: usize) {
        self.upd_dest(dests, at);
    }

    fn schedule(&mut self, _cx: &mut Context<'_, '_>, _dests: &[Dest]) -> Option<usize> {
        self.tree.best()
    }
}

/// `ip_vs_lc_schedule()`'s walk, literally: the reference the tree must equal.
#[cfg(test)]
fn scan(dests: &[Dest]) -> Option<usize> {
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

#[cfg(test)]
mod tests {
    use crate::ipvs::Scheduler;
    use crate::{PickError, RequestKey, ServerConfig, ServerId, ServerState};

    /// An `lc` scheduler with these (id, weight) added in order.
    fn lc(servers: &[(u32, u32)]) -> Scheduler {
        super::super::testutil::service("lc", servers)
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

    proptest::proptest! {
        /// The tree answers what `ip_vs_lc_schedule()`'s walk answers.
        #[test]
        fn tree_equals_the_kernel_walk(
            ops in proptest::collection::vec((0u8..5, 1u32..8, 0u32..5, 0u32..(1 << 24), 0u32..40), 1..60)
        ) {
            let mut s = Scheduler::from_name("lc").unwrap();
            for (kind, id, w, active, inactive) in ops {
                let id = ServerId(id);
                let _ = match kind {
                    0 => s.add(id, ServerConfig::new(w).thresholds(w * 3, w)),
                    1 => s.remove(id),
                    2 => s.set_weight(id, w),
                    3 => s.set_connections(id, active % 50 + (active & (1 << 23)), inactive),
                    _ => s.set_state(id, if w % 2 == 0 { ServerState::Drain } else { ServerState::Up }),
                };
                let expected = super::scan(&s.dests).map(|at| s.dests[at].id);
                proptest::prop_assert_eq!(s.pick(&RequestKey::new()).ok(), expected);
            }
        }
    }
}
