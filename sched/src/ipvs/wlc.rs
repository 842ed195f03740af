//! The `wlc` scheduler (`net/netfilter/ipvs/ip_vs_wlc.c`).
//!
//! The kernel takes the first destination (in list order) that is neither
//! overloaded nor of weight 0 as the current least loaded one, then walks
//! the rest of the list and moves to a destination only when it is strictly
//! less loaded: `loh * w(dest) > doh * w(least)`, with both products taken
//! in 64 bits. The second walk skips overloaded destinations but not weight
//! 0 ones: their product `loh * 0` can only win against a negative overhead,
//! which the 32-bit overhead reaches when it overflows (see
//! [`conn_overhead`]).

use super::algo::{Algo, Context};
use super::tournament::{Rank, Tournament};
use super::Dest;

/// `ip_vs_dest_conn_overhead()` (`include/net/ip_vs.h`): an active
/// connection costs 256 inactive ones. The kernel computes it in a C `int`
/// from the `atomic_t` counters; the arithmetic wraps the same way here
/// (an active count of 2^23 or more makes it overflow).
pub(super) fn conn_overhead(dest: &Dest) -> i32 {
    ((dest.activeconns as i32) << 8).wrapping_add(dest.inactconns as i32)
}

/// True when `a_overhead / a_weight > b_overhead / b_weight`, compared the
/// way the kernel does it, by cross-multiplying in 64 bits:
/// `(__s64)a_oh * b_w > (__s64)b_oh * a_w`.
pub(super) fn more_loaded(a_overhead: i32, a_weight: i32, b_overhead: i32, b_weight: i32) -> bool {
    i64::from(a_overhead) * i64::from(b_weight) > i64::from(b_overhead) * i64::from(a_weight)
}

/// The two-stage walk shared by `wlc` and `sed` (`ip_vs_wlc_schedule()`,
/// `ip_vs_sed_schedule()`), with the overhead function as a parameter.
pub(super) fn least_weighted(dests: &[Dest], overhead: impl Fn(&Dest) -> i32) -> Option<usize> {
    let first = dests.iter().position(|d| !d.overloaded && d.weight > 0)?;
    let (mut least, mut loh, mut lw) = (first, overhead(&dests[first]), dests[first].weight);
    for (at, dest) in dests.iter().enumerate().skip(first + 1) {
        let doh = overhead(dest);
        // Written as selects rather than branches: which destination wins
        // is data-dependent and mispredicts badly on long lists.
        let better = !dest.overloaded & more_loaded(loh, lw, doh, dest.weight);
        least = if better { at } else { least };
        loh = if better { doh } else { loh };
        lw = if better { dest.weight } else { lw };
    }
    Some(least)
}

/// [`least_weighted`] answered in O(1): a [`Tournament`] of the eligible
/// destinations' loads, updated in O(log n) when one changes.
///
/// The tournament equals the kernel's scan while every overhead is
/// non-negative: then a weight-0 destination can never win the scan's
/// comparison and the ratio order is transitive. An overhead wraps negative
/// only past 2^23 active connections on one destination; while any does,
/// the exact scan answers instead.
#[derive(Debug)]
pub(crate) struct LeastLoaded {
    /// The overhead the scheduler compares (wlc's or sed's).
    overhead: fn(&Dest) -> i32,
    /// The winners, by list position.
    tree: Tournament<Load>,
    /// Per position: the overhead wrapped negative.
    wrapped: Vec<bool>,
    /// How many positions have a wrapped overhead.
    wrapped_count: usize,
}

/// A destination's load: overhead over weight, compared by cross-products.
#[derive(Debug, Clone, Copy)]
struct Load {
    /// The scheduler's overhead.
    overhead: i64,
    /// The destination's weight (positive).
    weight: i64,
}

impl Rank for Load {
    /// `more_loaded(other, self)`: the scan's replacement test.
    fn beats(&self, other: &Self) -> bool {
        other.overhead * self.weight > self.overhead * other.weight
    }
}

impl LeastLoaded {
    /// A ranking by `overhead`, empty until rebuilt.
    pub(crate) fn new(overhead: fn(&Dest) -> i32) -> Self {
        LeastLoaded {
            overhead,
            tree: Tournament::default(),
            wrapped: Vec::new(),
            wrapped_count: 0,
        }
    }

    /// Ranks every destination again (the list changed shape).
    pub(super) fn rebuild(&mut self, dests: &[Dest]) {
        let overhead = self.overhead;
        self.tree
            .rebuild(dests.iter().map(|d| Self::load(d, overhead(d))));
        self.wrapped.clear();
        self.wrapped.extend(dests.iter().map(|d| overhead(d) < 0));
        self.wrapped_count = self.wrapped.iter().filter(|w| **w).count();
    }

    /// Ranks `dests[at]` again (its counters, flags or weight changed).
    pub(super) fn refresh(&mut self, dests: &[Dest], at: usize) {
        let (Some(dest), Some(wrapped)) = (dests.get(at), self.wrapped.get_mut(at)) else {
            return self.rebuild(dests);
        };
        let overhead = (self.overhead)(dest);
        let now_wrapped = overhead < 0;
        if *wrapped != now_wrapped {
            *wrapped = now_wrapped;
            if now_wrapped {
                self.wrapped_count += 1;
            } else {
                self.wrapped_count -= 1;
            }
        }
        self.tree.set(at, Self::load(dest, overhead));
    }

    /// The destination the kernel's scan would choose.
    pub(super) fn pick(&self, dests: &[Dest]) -> Option<usize> {
        if self.wrapped_count > 0 {
            return least_weighted(dests, self.overhead);
        }
        self.tree.best()
    }

    /// A destination's standing: none when overloaded or quiesced.
    fn load(dest: &Dest, overhead: i32) -> Option<Load> {
        (!dest.overloaded && dest.weight > 0).then_some(Load {
            overhead: i64::from(overhead),
            weight: i64::from(dest.weight),
        })
    }
}

/// `wlc` and `sed` are both this scheduler, each with its own overhead.
impl Algo for LeastLoaded {
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
        self.refresh(dests, updated);
    }

    fn conns_changed(&mut self, dests: &[Dest], at: usize) {
        self.refresh(dests, at);
    }

    fn schedule(&mut self, _cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        self.pick(dests)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::picks_opening;
    use crate::ipvs::Scheduler;
    use crate::{PickError, RequestKey, ServerConfig, ServerId, ServerState};

    /// A `wlc` scheduler with these weights, added in this order (so the
    /// kernel's list holds them in reverse order).
    fn wlc(weights: &[(u32, u32)]) -> Scheduler {
        super::super::testutil::service("wlc", weights)
    }

    #[test]
    fn overhead_counts_active_256_times() {
        // ip_vs_dest_conn_overhead(): (activeconns << 8) + inactconns.
        let mut s = wlc(&[(1, 1)]);
        s.set_connections(ServerId(1), 3, 5).unwrap();
        let d = &s.dests[0];
        assert_eq!(super::conn_overhead(d), 3 * 256 + 5);
    }

    #[test]
    fn overhead_wraps_like_a_c_int() {
        // (1 << 23) << 8 == 1 << 31 is INT_MIN in the kernel's int.
        let mut s = wlc(&[(1, 1)]);
        s.set_connections(ServerId(1), 1 << 23, 0).unwrap();
        assert_eq!(super::conn_overhead(&s.dests[0]), i32::MIN);
    }

    #[test]
    fn seed_guide_example_c_comes_back_empty() {
        // A=1 and B=2 weigh 1, C=3 weighs 2. C goes down, A and B carry 10
        // active connections each, C comes back with none: it is linked at
        // the head, list [C, B, A].
        let mut s = wlc(&[(1, 1), (2, 1), (3, 2)]);
        s.set_state(ServerId(3), ServerState::Down).unwrap();
        s.set_connections(ServerId(1), 10, 0).unwrap();
        s.set_connections(ServerId(2), 10, 0).unwrap();
        s.set_connections(ServerId(3), 0, 0).unwrap();
        s.set_state(ServerId(3), ServerState::Up).unwrap();
        assert_eq!(s.servers().map(|id| id.0).collect::<Vec<_>>(), [3, 2, 1]);
        // ip_vs_wlc_schedule(): C (256c, w 2) stays least while
        // 256c * 1 > 2560 * 2 is false, i.e. for c = 0..=20 (at c = 20 the
        // loads tie and C, first in the list, keeps them): 21 picks.
        let got = picks_opening(&mut s, 21);
        assert_eq!(got, vec![3; 21]);
        // c = 21: 5376 * 1 > 2560 * 2, B takes over; A ties B (2560 vs
        // 2560) and does not replace it.
        assert_eq!(picks_opening(&mut s, 1), [2]);
        // C 5376/2, B 2816/1, A 2560/1: C vs B 5376 > 5632 no; C vs A
        // 5376 > 5120 yes -> A.
        assert_eq!(picks_opening(&mut s, 1), [1]);
        // C 5376/2, B 2816, A 2816: 5376 > 5632 no for both -> C.
        assert_eq!(picks_opening(&mut s, 1), [3]);
    }

    #[test]
    fn ties_go_to_the_first_in_list_order() {
        // Equal loads never replace `least` (strict >): the head wins.
        let mut s = wlc(&[(1, 1), (2, 1), (3, 1)]);
        assert_eq!(s.pick(&RequestKey::new()), Ok(ServerId(3)));
        // Opening connections in turn: 3, then 2 (3 is loaded), then 1.
        let got = picks_opening(&mut s, 6);
        assert_eq!(got, [3, 2, 1, 3, 2, 1]);
    }

    #[test]
    fn weights_scale_the_load() {
        // List [2 (w 3), 1 (w 1)], no connections: 2 first. After one
        // connection on 2: 256 * 1 > 0 * 3 -> 1. Then 1 has 256/1, 2 has
        // 256/3: 256 * 1 > 256 * 3 no -> 2 stays least, and so on.
        let mut s = wlc(&[(1, 1), (2, 3)]);
        let got = picks_opening(&mut s, 8);
        // Loads (a2, a1): (0,0)->2, (1,0)->1, (1,1)->2 (256*1 > 256*3 no),
        // (2,1)->2 (512 > 768 no), (3,1)->2 (768 > 768 no), (4,1)->1
        // (1024 > 768), (4,2)->2 (1024 > 1536 no), (5,2)->2.
        assert_eq!(got, [2, 1, 2, 2, 2, 1, 2, 2]);
    }

    #[test]
    fn inactive_connections_break_active_ties() {
        let mut s = wlc(&[(1, 1), (2, 1)]);
        s.set_connections(ServerId(2), 1, 1).unwrap();
        s.set_connections(ServerId(1), 1, 0).unwrap();
        // 2: 257, 1: 256 -> 1.
        assert_eq!(s.pick(&RequestKey::new()), Ok(ServerId(1)));
    }

    #[test]
    fn weight_zero_is_never_picked() {
        // The first stage skips weight 0; in the second, 0-weight products
        // only win against a negative overhead.
        let mut s = wlc(&[(1, 0), (2, 1), (3, 0)]);
        s.set_connections(ServerId(2), 100, 100).unwrap();
        assert_eq!(picks_opening(&mut s, 5), [2; 5]);
        s.set_weight(ServerId(2), 0).unwrap();
        assert_eq!(s.pick(&RequestKey::new()), Err(PickError::Unavailable));
    }

    #[test]
    fn overloaded_is_never_picked() {
        // __ip_vs_update_dest(): upper threshold 2; ip_vs_bind_dest() flags
        // the dest overloaded once it holds 2 connections.
        let mut s = Scheduler::from_name("wlc").unwrap();
        s.add(ServerId(1), ServerConfig::new(1)).unwrap();
        s.add(ServerId(2), ServerConfig::new(100).thresholds(2, 0))
            .unwrap();
        s.set_connections(ServerId(1), 50, 0).unwrap();
        assert_eq!(picks_opening(&mut s, 4), [2, 2, 1, 1]);
        assert_eq!(s.is_overloaded(ServerId(2)), Some(true));
    }

    #[test]
    fn overflowed_overhead_makes_a_quiesced_dest_win() {
        // Kernel quirk reproduced: 2 (weight 0) holds 2^23 active
        // connections, so its int overhead is INT_MIN.
        // List [2, 1]: stage one skips 2 and stops at 1; nothing follows.
        let mut s = wlc(&[(1, 1), (2, 0)]);
        s.set_connections(ServerId(2), 1 << 23, 0).unwrap();
        assert_eq!(s.pick(&RequestKey::new()), Ok(ServerId(1)));
        // List [1, 2]: stage two reaches 2, and 0 * 0 > INT_MIN * 1 holds.
        let mut s2 = wlc(&[(2, 0), (1, 1)]);
        s2.set_connections(ServerId(2), 1 << 23, 0).unwrap();
        assert_eq!(s2.pick(&RequestKey::new()), Ok(ServerId(2)));
    }

    #[test]
    fn empty_set() {
        let mut s = wlc(&[]);
        assert_eq!(s.pick(&RequestKey::new()), Err(PickError::Empty));
    }

    /// One change to a service, for the equivalence property.
    #[derive(Debug, Clone)]
    enum Op {
        Add(u32, u32, u32),
        Remove(u32),
        Weight(u32, u32),
        Conns(u32, u32, u32),
        Drain(u32),
        Up(u32),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        let id = 1u32..8;
        let conns = prop_oneof![0u32..40, (1u32 << 23)..(1u32 << 24)];
        prop_oneof![
            (id.clone(), 0u32..5, 0u32..30).prop_map(|(i, w, t)| Op::Add(i, w, t)),
            id.clone().prop_map(Op::Remove),
            (id.clone(), 0u32..5).prop_map(|(i, w)| Op::Weight(i, w)),
            (id.clone(), conns, 0u32..40).prop_map(|(i, a, n)| Op::Conns(i, a, n)),
            id.clone().prop_map(Op::Drain),
            id.prop_map(Op::Up),
        ]
    }

    /// How a scheduler measures a destination's load.
    type Overhead = fn(&super::Dest) -> i32;

    /// sed's overhead, as `ip_vs_sed_dest_overhead()` computes it.
    fn sed_overhead(d: &super::Dest) -> i32 {
        (d.activeconns as i32).wrapping_add(1)
    }

    proptest::proptest! {
        /// The tournament answers what the kernel's scan
        /// (`ip_vs_wlc_schedule()` / `ip_vs_sed_schedule()`) answers, also
        /// when an overhead wraps negative.
        #[test]
        fn ranking_equals_the_kernel_scan(ops in proptest::collection::vec(op(), 1..60)) {
            let overheads: [(&str, Overhead); 2] =
                [("wlc", super::conn_overhead), ("sed", sed_overhead)];
            for (name, overhead) in overheads {
                let mut s = Scheduler::from_name(name).unwrap();
                for op in &ops {
                    let _ = match *op {
                        Op::Add(i, w, t) => s.add(ServerId(i), ServerConfig::new(w).thresholds(t, t / 2)),
                        Op::Remove(i) => s.remove(ServerId(i)),
                        Op::Weight(i, w) => s.set_weight(ServerId(i), w),
                        Op::Conns(i, a, n) => s.set_connections(ServerId(i), a, n),
                        Op::Drain(i) => s.set_state(ServerId(i), ServerState::Drain),
                        Op::Up(i) => s.set_state(ServerId(i), ServerState::Up),
                    };
                    let expected = super::least_weighted(&s.dests, overhead).map(|at| s.dests[at].id);
                    let got = s.pick(&RequestKey::new()).ok();
                    proptest::prop_assert_eq!(got, expected, "{} after {:?}", name, op);
                }
            }
        }
    }
}
