//! The `wrr` scheduler (`net/netfilter/ipvs/ip_vs_wrr.c`).
//!
//! The kernel's mark holds `cl` (the list node picked last, or the list
//! head), `cw` (the weight a destination needs now), `mw` (the largest
//! weight minus `di - 1`) and `di` (the gcd of the positive weights, 1 when
//! there are none). A pick scans on from the node after `cl` for a
//! destination not overloaded with `weight >= cw`; each time the scan runs
//! past the end of the list, `cw` drops by `di`, and when it reaches 0 or
//! less it starts again from `mw`. The `last_pass` / `restarted` / `stop`
//! bookkeeping bounds the search when nothing qualifies ("no destination
//! available: all destinations are overloaded").
//!
//! Any added, removed or edited destination (`ip_vs_wrr_dest_changed()`)
//! puts `cl` back on the list head, recomputes `di` and `mw`, and resets
//! `cw` to `mw` when it is above `mw` or 0; otherwise, when `di > 1`, it
//! rounds `cw` down to a multiple of `di` plus one.
//!
//! The kernel's loop may run up to `mw / di` empty passes over the list
//! when the heaviest destinations are overloaded (up to 65535 passes).
//! Here a pass that starts at the list head, with no `stop` node, and a
//! `cw` above every usable weight is known to find nothing: such passes
//! are skipped arithmetically, with the same effect on the state.

use super::algo::{Algo, Context};
use super::Dest;

/// State of the `wrr` scheduler: `struct ip_vs_wrr_mark`.
#[derive(Debug, Default)]
pub(crate) struct Wrr {
    /// `cl`: index of the destination picked last; `None` is the list head.
    cl: Option<usize>,
    /// `cw`: the current weight.
    cw: i32,
    /// `mw`: the largest weight, minus `di - 1`.
    mw: i32,
    /// `di`: the gcd of the positive weights (1 when there are none).
    di: i32,
}

/// How one pass over (the rest of) the list ended.
enum Pass {
    /// A destination qualified.
    Found(usize),
    /// The pass reached the `stop` node without finding one.
    Stopped(usize),
    /// The pass ran past the end of the list.
    Exhausted,
}

/// The bookkeeping of one `ip_vs_wrr_schedule()` call.
struct Search {
    /// `last`: where the pick started (`None`: the list head).
    last: Option<usize>,
    /// `stop`: the node where a failing pass gives up.
    stop: Option<usize>,
    /// `last_pass`: `cw` has come down to `di` or less.
    last_pass: bool,
    /// `restarted`: `cw` already went back to `mw` once.
    restarted: bool,
    /// The largest weight of a non-overloaded destination, once computed.
    top_weight: Option<i32>,
}

impl Wrr {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Wrr::default()
    }

    /// `di` and `mw` for the list as it is now.
    fn recompute(&mut self, dests: &[Dest]) {
        self.cl = None;
        self.di = gcd_weight(dests);
        self.mw = max_weight(dests) - (self.di - 1);
    }

    /// One pass from the node after `from` to the end of the list.
    fn pass(&self, dests: &[Dest], from: Option<usize>, stop: Option<usize>) -> Pass {
        let start = from.map_or(0, |at| at + 1);
        for (at, dest) in dests.iter().enumerate().skip(start) {
            if !dest.overloaded && dest.weight >= self.cw {
                return Pass::Found(at);
            }
            if stop == Some(at) {
                return Pass::Stopped(at);
            }
        }
        Pass::Exhausted
    }

    /// What the kernel does after a pass that ran off the end: lower `cw`,
    /// wrap it to `mw`, and decide whether to give up. `true` means stop
    /// with "no destination available".
    fn after_pass(&mut self, search: &mut Search) -> bool {
        self.cw -= self.di;
        if self.cw <= 0 {
            self.cw = self.mw;
            if search.last_pass || search.last.is_none() {
                return true;
            }
            search.restarted = true;
        }
        self.note_last_pass(search);
        false
    }

    /// Sets `last_pass` from `cw`, and `stop` once the last pass follows a
    /// restart from a node other than the head.
    fn note_last_pass(&self, search: &mut Search) {
        search.last_pass = self.cw <= self.di;
        if search.last_pass && search.restarted && search.last.is_some() {
            search.stop = search.last;
        }
    }

    /// Skips the passes from the list head that cannot find anything: while
    /// `cw` is above both `di` and every usable weight, each of them would
    /// only lower `cw` by `di` (it stays positive, so no restart) and leave
    /// `last_pass` false until the last one.
    fn skip_empty_passes(&mut self, dests: &[Dest], search: &mut Search) {
        let top = *search
            .top_weight
            .get_or_insert_with(|| max_usable_weight(dests));
        let floor = top.max(self.di);
        if self.cw <= floor {
            return;
        }
        let passes = (self.cw - floor + self.di - 1) / self.di;
        self.cw -= passes * self.di;
        self.note_last_pass(search);
    }
}

/// `ip_vs_wrr_gcd_weight()`: gcd of the positive weights, 1 if none.
fn gcd_weight(dests: &[Dest]) -> i32 {
    let g = dests
        .iter()
        .map(|d| d.weight)
        .filter(|&w| w > 0)
        .fold(0, |g, w| if g > 0 { gcd(w, g) } else { w });
    if g > 0 {
        g
    } else {
        1
    }
}

/// Euclid's gcd of two positive numbers.
fn gcd(mut a: i32, mut b: i32) -> i32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `ip_vs_wrr_max_weight()`: the largest weight, 0 if none is positive.
fn max_weight(dests: &[Dest]) -> i32 {
    dests.iter().map(|d| d.weight).fold(0, i32::max)
}

/// The largest weight among destinations that are not overloaded (0 if
/// none): a pass with `cw` above it finds nothing.
fn max_usable_weight(dests: &[Dest]) -> i32 {
    dests
        .iter()
        .filter(|d| !d.overloaded)
        .map(|d| d.weight)
        .fold(0, i32::max)
}

impl Algo for Wrr {
    fn init(&mut self, dests: &[Dest]) {
        self.recompute(dests);
        self.cw = self.mw;
    }

    fn add_dest(&mut self, dests: &[Dest], _added: usize) {
        self.dest_changed(dests);
    }

    fn del_dest(&mut self, dests: &[Dest], _removed: &Dest, _removed_at: usize) {
        self.dest_changed(dests);
    }

    fn upd_dest(&mut self, dests: &[Dest], _updated: usize) {
        self.dest_changed(dests);
    }

    fn schedule(&mut self, _cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        if self.mw == 0 {
            return None;
        }
        let last = self.cl.filter(|&at| at < dests.len());
        let mut search = Search {
            last,
            stop: None,
            last_pass: false,
            restarted: false,
            top_weight: None,
        };
        let mut from = last;
        loop {
            if from.is_none() && search.stop.is_none() {
                self.skip_empty_passes(dests, &mut search);
            }
            match self.pass(dests, from, search.stop) {
                Pass::Found(at) => {
                    self.cl = Some(at);
                    return Some(at);
                }
                Pass::Stopped(at) => {
                    self.cl = Some(at);
                    return None;
                }
                Pass::Exhausted => {}
            }
            from = None;
            if self.after_pass(&mut search) {
                self.cl = None;
                return None;
            }
        }
    }
}

impl Wrr {
    /// `ip_vs_wrr_dest_changed()`.
    fn dest_changed(&mut self, dests: &[Dest]) {
        self.recompute(dests);
        if self.cw > self.mw || self.cw == 0 {
            self.cw = self.mw;
        } else if self.di > 1 {
            self.cw = (self.cw / self.di) * self.di + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Algo, Wrr};
    use crate::ipvs::algo::Context;
    use crate::ipvs::{Dest, SchedFlags, Scheduler};
    use crate::{PickError, RequestKey, ServerConfig, ServerId, ServerState};
    use proptest::prelude::*;

    /// A `wrr` scheduler with these (id, weight) added in order.
    fn wrr(servers: &[(u32, u32)]) -> Scheduler {
        super::super::testutil::service("wrr", servers)
    }

    /// `n` picks, as ids (0 for "no destination").
    fn picks(s: &mut Scheduler, n: usize) -> Vec<u32> {
        (0..n)
            .map(|_| s.pick(&RequestKey::new()).map_or(0, |id| id.0))
            .collect()
    }

    #[test]
    fn the_classic_cycle_after_adding_one_by_one() {
        // Added 1 (w 4), 2 (w 3), 3 (w 2) to an empty service: list
        // [3, 2, 1]. ip_vs_wrr_init_svc() on no dests: di 1, mw 0, cw 0.
        // ip_vs_wrr_dest_changed(): adding 1 gives di 4, mw 1 and cw 0 ->
        // mw = 1; adding 2 and 3 gives di 1, mw 4, and cw = 1 is kept.
        let mut s = wrr(&[(1, 4), (2, 3), (3, 2)]);
        // So the first pass is at cw 1: 3, 2, 1. Then cw wraps to mw 4:
        // cw 4: 1; cw 3: 2, 1; cw 2: 3, 2, 1; cw 1: 3, 2, 1.
        let cycle = [1, 2, 1, 3, 2, 1, 3, 2, 1];
        let got = picks(&mut s, 21);
        assert_eq!(got[..3], [3, 2, 1]);
        assert_eq!(got[3..12], cycle);
        assert_eq!(got[12..], cycle);
    }

    #[test]
    fn switching_to_wrr_starts_at_the_max_weight() {
        // ip_vs_wrr_init_svc() with the dests already there: cw = mw = 4.
        let mut s = wrr(&[(1, 4), (2, 3), (3, 2)]);
        s.set_algorithm(crate::ipvs::Algorithm::RoundRobin);
        s.set_algorithm(crate::ipvs::Algorithm::WeightedRoundRobin);
        assert_eq!(picks(&mut s, 9), [1, 2, 1, 3, 2, 1, 3, 2, 1]);
    }

    #[test]
    fn gcd_steps_cw() {
        // Weights 4 and 2: di = 2, mw = 4 - (2 - 1) = 3. List [2, 1].
        // Adding 1 left cw = 1; adding 2 rounds it: (1 / 2) * 2 + 1 = 1.
        // cw 1: 2, 1; cw -1 -> 3: 1; cw 1: 2, 1; ...
        let mut s = wrr(&[(1, 4), (2, 2)]);
        assert_eq!(picks(&mut s, 6), [2, 1, 1, 2, 1, 1]);
    }

    #[test]
    fn weight_edit_mid_cycle_keeps_cw() {
        // The classic cycle, stopped on 3 at cw 2: cl = 3, cw = 2.
        let mut s = wrr(&[(1, 4), (2, 3), (3, 2)]);
        assert_eq!(picks(&mut s, 7), [3, 2, 1, 1, 2, 1, 3]);
        // ip_vs_wrr_dest_changed(): cl back to the head, di = gcd(6, 3, 4)
        // = 1, mw = 6; cw = 2 is neither above mw nor 0 and di = 1: kept.
        s.set_weight(ServerId(3), 6).unwrap();
        // cw 2 from the head: 3, 2, 1; cw 1: 3, 2, 1; then cw = 6: 3;
        // cw 5: 3; cw 4: 3, 1; cw 3: 3, 2, 1; cw 2 and 1: 3, 2, 1 each.
        assert_eq!(
            picks(&mut s, 19),
            [3, 2, 1, 3, 2, 1, 3, 3, 3, 1, 3, 2, 1, 3, 2, 1, 3, 2, 1]
        );
    }

    #[test]
    fn weight_edit_rounds_cw_to_the_new_gcd() {
        // Added 1 (w 6), 2 (w 4): list [2, 1], di = 2, mw = 5, cw left at
        // 1 by the additions. cw 1: 2, 1; cw 5: 1; cw 3: 2, 1; cw 1: 2, 1.
        let mut s = wrr(&[(1, 6), (2, 4)]);
        assert_eq!(picks(&mut s, 4), [2, 1, 1, 2]);
        // Now cw = 3. Weight 1 -> 8: di = gcd(4, 8) = 4, mw = 8 - 3 = 5,
        // and with di > 1 cw becomes (3 / 4) * 4 + 1 = 1.
        s.set_weight(ServerId(1), 8).unwrap();
        // cw 1 from the head: 2, 1; cw -3 -> 5: 1; cw 1: 2, 1; ...
        assert_eq!(picks(&mut s, 8), [2, 1, 1, 2, 1, 1, 2, 1]);
    }

    #[test]
    fn adding_resets_the_position_to_the_head() {
        // List [2, 1] (w 1 each): picks 2, then 1 would follow. Adding 3
        // (w 1) resets cl to the head, cw stays 1: 3, 2, 1.
        let mut s = wrr(&[(1, 1), (2, 1)]);
        assert_eq!(picks(&mut s, 1), [2]);
        s.add(ServerId(3), ServerConfig::new(1)).unwrap();
        assert_eq!(picks(&mut s, 4), [3, 2, 1, 3]);
    }

    #[test]
    fn removing_resets_the_position_to_the_head() {
        // List [3, 2, 1]; after 3, 2, removing 1 resets cl: 3, 2, 3.
        let mut s = wrr(&[(1, 1), (2, 1), (3, 1)]);
        assert_eq!(picks(&mut s, 2), [3, 2]);
        s.remove(ServerId(1)).unwrap();
        assert_eq!(picks(&mut s, 3), [3, 2, 3]);
    }

    #[test]
    fn quiesced_and_overloaded_are_never_picked() {
        let mut s = Scheduler::from_name("wrr").unwrap();
        s.add(ServerId(1), ServerConfig::new(1)).unwrap();
        s.add(ServerId(2), ServerConfig::new(5).thresholds(1, 0))
            .unwrap();
        s.add(ServerId(3), ServerConfig::new(3)).unwrap();
        s.set_state(ServerId(3), ServerState::Drain).unwrap();
        // List [3 (w 0), 2 (w 5, upper 1), 1 (w 1)]: mw = 5.
        // cw 5..2: 2 each time; it is overloaded after its first
        // connection, so from then on only 1 at cw 1.
        assert_eq!(picks(&mut s, 1), [2]);
        s.connection_opened(ServerId(2)).unwrap();
        assert_eq!(picks(&mut s, 3), [1, 1, 1]);
        s.set_weight(ServerId(1), 0).unwrap();
        assert_eq!(s.pick(&RequestKey::new()), Err(PickError::Unavailable));
    }

    #[test]
    fn all_weights_zero_is_no_destination() {
        // mw == 0: "no destination available".
        let mut s = wrr(&[(1, 0), (2, 0)]);
        assert_eq!(s.pick(&RequestKey::new()), Err(PickError::Unavailable));
        s.set_weight(ServerId(1), 2).unwrap();
        assert_eq!(picks(&mut s, 2), [1, 1]);
    }

    #[test]
    fn empty_set() {
        let mut s = wrr(&[]);
        assert_eq!(s.pick(&RequestKey::new()), Err(PickError::Empty));
    }

    /// A destination for driving [`Wrr`] directly.
    fn dest(id: u32, weight: i32, overloaded: bool) -> Dest {
        Dest {
            id: ServerId(id),
            addr: None,
            weight,
            overloaded,
            activeconns: 0,
            inactconns: 0,
            u_threshold: 0,
            l_threshold: 0,
            drained_weight: None,
        }
    }

    /// Runs `schedule` on `wrr` over `dests`.
    fn schedule(wrr: &mut Wrr, dests: &[Dest]) -> Option<usize> {
        let key = RequestKey::new();
        let mut rng = || 0u32;
        let mut cx = Context {
            key: &key,
            flags: SchedFlags::default(),
            rng: &mut rng,
        };
        wrr.schedule(&mut cx, dests)
    }

    /// The kernel's `ip_vs_wrr_schedule()` transcribed literally, with no
    /// skipping of empty passes, as a reference for [`Wrr::schedule`].
    /// The state is (cl, cw, mw, di); `None` is the list head.
    fn literal(state: &mut (Option<usize>, i32, i32, i32), dests: &[Dest]) -> Option<usize> {
        let (cl, cw, mw, di) = state;
        let mut dest = *cl;
        if *mw == 0 {
            return None;
        }
        let last = dest;
        let mut stop = None;
        let (mut last_pass, mut restarted) = (false, false);
        loop {
            let mut at = dest.map_or(0, |i| i + 1);
            while at < dests.len() {
                let d = &dests[at];
                if !d.overloaded && d.weight >= *cw {
                    *cl = Some(at);
                    return Some(at);
                }
                if stop == Some(at) {
                    *cl = Some(at);
                    return None;
                }
                at += 1;
            }
            dest = None;
            *cw -= *di;
            if *cw <= 0 {
                *cw = *mw;
                if last_pass || last.is_none() {
                    *cl = None;
                    return None;
                }
                restarted = true;
            }
            last_pass = *cw <= *di;
            if last_pass && restarted && last.is_some() {
                stop = last;
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// The skipping of empty passes changes neither the picks nor the
        /// mark: compared with the literal loop over random weights,
        /// overload flags and starting marks.
        #[test]
        fn skipping_matches_the_literal_loop(
            weights in prop::collection::vec((0i32..40, any::<bool>()), 1..6),
            start in 0usize..8,
            cw_seed in 0i32..64,
            flips in prop::collection::vec((0usize..6, any::<bool>()), 0..12),
        ) {
            let mut dests: Vec<Dest> = weights
                .iter()
                .enumerate()
                .map(|(i, &(w, o))| dest(i as u32, w, o))
                .collect();
            let mut wrr = Wrr::new();
            wrr.init(&dests);
            // A reachable mark: cw within (0, mw], di-aligned as the
            // kernel keeps it, cl anywhere in the list or the head.
            if wrr.mw > 0 {
                let steps = cw_seed % ((wrr.mw + wrr.di - 1) / wrr.di);
                wrr.cw = wrr.mw - steps * wrr.di;
            }
            wrr.cl = (start < dests.len()).then_some(start);
            let mut state = (wrr.cl, wrr.cw, wrr.mw, wrr.di);
            for (at, over) in flips {
                let got = schedule(&mut wrr, &dests);
                let want = literal(&mut state, &dests);
                prop_assert_eq!(got, want);
                prop_assert_eq!((wrr.cl, wrr.cw, wrr.mw, wrr.di), state);
                if let Some(d) = dests.get_mut(at) {
                    d.overloaded = over;
                }
            }
        }
    }

    #[test]
    fn dest_changed_resets_cl_and_normalises_cw() {
        // ip_vs_wrr_dest_changed() on the mark directly (the rounding is
        // invisible in picks: weights are multiples of di, and rounding
        // keeps ceil(cw / di)).
        let mut dests = vec![dest(1, 6, false), dest(2, 4, false)];
        let mut wrr = Wrr::new();
        wrr.init(&dests);
        assert_eq!((wrr.cl, wrr.cw, wrr.mw, wrr.di), (None, 5, 5, 2));
        // cw 3, cl on 2; weight 6 -> 8: di 4, mw 5, cw (3 / 4) * 4 + 1 = 1.
        wrr.cw = 3;
        wrr.cl = Some(1);
        dests[0].weight = 8;
        wrr.upd_dest(&dests, 0);
        assert_eq!((wrr.cl, wrr.cw, wrr.mw, wrr.di), (None, 1, 5, 4));
        // cw 7 > mw after 8 -> 4: di 4, mw 4 - 3 = 1, cw = mw.
        wrr.cw = 7;
        dests[0].weight = 4;
        wrr.upd_dest(&dests, 0);
        assert_eq!((wrr.cl, wrr.cw, wrr.mw, wrr.di), (None, 1, 1, 4));
        // di 1: cw kept as it is.
        dests[0].weight = 5;
        dests[1].weight = 7;
        wrr.cw = 1;
        wrr.upd_dest(&dests, 1);
        assert_eq!((wrr.cl, wrr.cw, wrr.mw, wrr.di), (None, 1, 7, 1));
        // All weights 0: di 1, mw 0, cw 1 > 0 -> 0.
        dests[0].weight = 0;
        dests[1].weight = 0;
        wrr.upd_dest(&dests, 1);
        assert_eq!((wrr.cl, wrr.cw, wrr.mw, wrr.di), (None, 0, 0, 1));
        // Back from cw 0: di 9, mw 9 - 8 = 1, cw = mw.
        dests[1].weight = 9;
        wrr.upd_dest(&dests, 1);
        assert_eq!((wrr.cl, wrr.cw, wrr.mw, wrr.di), (None, 1, 1, 9));
    }

    #[test]
    fn heavy_overloaded_dest_costs_no_empty_passes() {
        // [65535 overloaded, 1]: the kernel would run ~65534 empty passes
        // per pick; the result is the same as the literal loop's.
        let dests = vec![dest(1, 65535, true), dest(2, 1, false)];
        let mut wrr = Wrr::new();
        wrr.init(&dests);
        let mut state = (wrr.cl, wrr.cw, wrr.mw, wrr.di);
        for _ in 0..5 {
            let got = schedule(&mut wrr, &dests);
            assert_eq!(got, literal(&mut state, &dests));
            assert_eq!(got, Some(1));
            assert_eq!((wrr.cl, wrr.cw, wrr.mw, wrr.di), state);
        }
    }

    #[test]
    fn all_overloaded_ends_on_the_head_or_the_stop_node() {
        // From the head: one descent of cw, then err_over with cl = head
        // and cw back to mw.
        let dests = vec![dest(1, 3, true), dest(2, 2, true)];
        let mut wrr = Wrr::new();
        wrr.init(&dests);
        assert_eq!(schedule(&mut wrr, &dests), None);
        assert_eq!((wrr.cl, wrr.cw), (None, 3));
        // From a node: the search stops on that node (dest == stop), which
        // becomes cl.
        wrr.cl = Some(1);
        wrr.cw = 1;
        let mut state = (wrr.cl, wrr.cw, wrr.mw, wrr.di);
        assert_eq!(schedule(&mut wrr, &dests), None);
        assert_eq!(literal(&mut state, &dests), None);
        assert_eq!((wrr.cl, wrr.cw, wrr.mw, wrr.di), state);
        assert_eq!(wrr.cl, Some(1));
    }
}
