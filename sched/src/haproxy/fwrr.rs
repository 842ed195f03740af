//! HAProxy's `src/lb_fwrr.c`: fast weighted round robin (`balance roundrobin`).
//!
//! Each group (active, backup) has three trees: `curr` holds the servers
//! placed in the current window, ordered by their next position; `init` and
//! `next` (two trees whose roles swap) hold servers waiting to be placed,
//! ordered by decreasing weight. Positions advance by one per pick; a server
//! picked at `lpos` is placed again `next_weight / eweight` further, with the
//! remainder carried in `rweight`.
//!
//! Arithmetic follows the C types: group counters are `int`, server
//! positions and weights `unsigned`, so mixed expressions are computed in
//! wrapping `u32` the way C converts them.

use super::server::ebtree::EbTree;
use super::server::{LbSummary, Srv, BE_WEIGHT_SCALE, SRV_EWGHT_MAX, SRV_UWGHT_RANGE};

/// Which tree a server's `lb_tree` points to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Place {
    /// `lb_tree == NULL`: the server is down.
    #[default]
    Nowhere,
    /// The group's `curr` tree.
    Curr,
    /// `t0` or `t1` (0 or 1), whichever of `init` / `next` it currently
    /// is. A byte keeps [`Pos`] at 16 bytes: the positions of a thousand
    /// servers then take a quarter of the first-level cache.
    Tree(u8),
}

/// The per-server fields `lb_fwrr.c` maintains.
#[derive(Clone, Copy, Debug, Default)]
struct Pos {
    /// `npos`: next position.
    npos: u32,
    /// `lpos`: last position.
    lpos: u32,
    /// `rweight`: remainder of the weight division.
    rweight: u32,
    /// `lb_tree`.
    place: Place,
}

/// `struct fwrr_group`.
#[derive(Clone, Debug, Default)]
struct Group {
    /// `curr`.
    curr: EbTree,
    /// `t0` and `t1`.
    trees: [EbTree; 2],
    /// Which of `trees` is `init` (the other is `next`).
    init: usize,
    /// `curr_pos`.
    curr_pos: i32,
    /// `curr_weight`.
    curr_weight: i32,
    /// `next_weight`.
    next_weight: i32,
}

impl Group {
    /// Index of the `next` tree.
    fn next(&self) -> usize {
        1 - self.init
    }

    /// Sizes every tree for `n` servers.
    fn reserve(&mut self, n: usize) {
        self.curr.reserve(n);
        self.trees[0].reserve(n);
        self.trees[1].reserve(n);
    }

    /// Starts over with this total weight and empty trees.
    fn reset(&mut self, weight: u32) {
        let weight = weight as i32;
        self.curr.clear();
        self.trees[0].clear();
        self.trees[1].clear();
        self.init = 0;
        self.curr_pos = weight;
        self.curr_weight = weight;
        self.next_weight = weight;
    }

    /// `fwrr_dequeue_srv()`: takes the server out of whichever tree holds it.
    fn dequeue(&mut self, idx: usize) {
        if !self.curr.remove(idx) && !self.trees[0].remove(idx) {
            self.trees[1].remove(idx);
        }
    }

    /// `fwrr_queue_by_weight()`: heaviest servers first. A server still in
    /// another tree is taken out of it first (`fwrr_dequeue_srv()`).
    fn queue_by_weight(&mut self, tree: usize, idx: usize, eweight: u32, pos: &mut Pos) {
        self.curr.remove(idx);
        self.trees[1 - tree].remove(idx);
        self.trees[tree].insert(idx, SRV_EWGHT_MAX.wrapping_sub(eweight));
        pos.place = Place::Tree(u8::from(tree == 1));
    }

    /// `fwrr_queue_srv()`: places a server in `curr` by its next position,
    /// or in `next` when that position lies beyond the window. A server
    /// still in a tree is moved (as `fwrr_dequeue_srv()` then this would),
    /// which costs a single replay of its path when it stays in the same tree.
    fn queue_srv(&mut self, srv: &Srv, idx: usize, pos: &mut Pos) {
        let curr_weight = self.curr_weight as u32;
        if !srv.usable() {
            self.dequeue(idx);
            pos.place = Place::Nowhere;
        } else if srv.eweight == 0
            || pos.npos >= self.curr_weight.wrapping_mul(2) as u32
            || pos.npos >= self.curr_weight.wrapping_add(self.next_weight) as u32
        {
            pos.npos = pos.npos.wrapping_sub(curr_weight);
            self.queue_by_weight(self.next(), idx, srv.eweight, pos);
        } else {
            let frac = SRV_EWGHT_MAX
                .wrapping_add(pos.rweight)
                .wrapping_sub(srv.eweight)
                / BE_WEIGHT_SCALE;
            let key = SRV_UWGHT_RANGE.wrapping_mul(pos.npos).wrapping_add(frac);
            if pos.place != Place::Curr {
                // a server in `t0` or `t1` has its place there, so one
                // placed in `curr` is in neither
                self.trees[0].remove(idx);
                self.trees[1].remove(idx);
            }
            self.curr.insert(idx, key);
            pos.place = Place::Curr;
        }
    }

    /// `fwrr_get_srv()`: prepares a server taken from its tree.
    fn get_srv(&self, pos: &mut Pos) {
        match pos.place {
            Place::Tree(t) if usize::from(t) == self.init => get_srv_init(pos),
            Place::Tree(_) => pos.npos = pos.npos.wrapping_add(self.curr_weight as u32),
            Place::Nowhere => pos.npos = self.curr_pos as u32,
            Place::Curr => {}
        }
    }

    /// `fwrr_switch_trees()`: `next` becomes `init` and a new window opens.
    fn switch_trees(&mut self) {
        self.init = self.next();
        self.curr_weight = self.next_weight;
        self.curr_pos = self.curr_weight;
    }

    /// `fwrr_update_position()`: the next position of a server just picked.
    fn update_position(&self, eweight: u32, pos: &mut Pos) {
        if eweight == 0 {
            return;
        }
        if pos.npos == 0 {
            pos.npos = self.curr_pos as u32;
        }
        let next_weight = self.next_weight as u32;
        pos.lpos = pos.npos;
        pos.npos = pos.npos.wrapping_add(next_weight / eweight);
        pos.rweight = pos.rweight.wrapping_add(next_weight % eweight);
        // the carry is taken about every other pick: computed without a
        // branch, it costs no misprediction
        let carry = u32::from(pos.rweight >= eweight);
        pos.rweight -= carry * eweight;
        pos.npos = pos.npos.wrapping_add(carry);
    }

    /// The position a server coming up (or changing weight while out of
    /// the trees) is given: a share of what remains of both windows.
    fn place_arriving(&self, eweight: u32, pos: &mut Pos) {
        let remaining = self
            .next_weight
            .wrapping_add(self.curr_weight)
            .wrapping_sub(self.curr_pos) as u32;
        pos.npos = (self.curr_pos as u32).wrapping_add(remaining / eweight.max(1));
    }
}

/// `fwrr_get_srv_init()`: a server leaving `init` starts from scratch.
fn get_srv_init(pos: &mut Pos) {
    pos.npos = 0;
    pos.rweight = 0;
}

/// `struct lb_fwrr` plus the servers' positions.
#[derive(Clone, Debug, Default)]
pub(crate) struct Fwrr {
    /// The active servers' group.
    act: Group,
    /// The backup servers' group.
    bck: Group,
    /// Per-server positions, by server index.
    pos: Vec<Pos>,
    /// `next_full` chain of the current pick (saturated servers), kept
    /// allocated between picks.
    full: Vec<usize>,
}

impl Fwrr {
    /// Empty groups.
    pub(crate) fn new() -> Self {
        Fwrr::default()
    }

    /// Sizes everything for `n` servers so that picks never allocate.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.act.reserve(n);
        self.bck.reserve(n);
        if self.pos.len() < n {
            self.pos.resize(n, Pos::default());
        }
        let len = self.full.len();
        if self.full.capacity() < n {
            self.full.reserve(n - len);
        }
    }

    /// `fwrr_init_server_groups()`: both windows span the group's weight and
    /// every usable server waits in `init`, heaviest first, then in list
    /// order.
    pub(crate) fn init(&mut self, servers: &[Srv], summary: &LbSummary) {
        self.reserve(servers.len());
        self.act.reset(summary.tot_wact);
        self.bck.reset(summary.tot_wbck);
        for (idx, srv) in servers.iter().enumerate() {
            self.pos[idx] = Pos::default();
            if srv.usable() {
                let grp = if srv.backup {
                    &mut self.bck
                } else {
                    &mut self.act
                };
                grp.queue_by_weight(grp.init, idx, srv.eweight, &mut self.pos[idx]);
            }
        }
    }

    /// `fwrr_get_next_server()` with no server to avoid: the next server of
    /// the group in use, skipping saturated ones (which are requeued).
    pub(crate) fn get_next_server(
        &mut self,
        servers: &[Srv],
        summary: &LbSummary,
    ) -> Option<usize> {
        let grp = if summary.srv_act > 0 {
            &mut self.act
        } else if summary.fbck.is_some() {
            return summary.fbck;
        } else if summary.srv_bck > 0 {
            &mut self.bck
        } else {
            return None;
        };
        let pos = &mut self.pos;
        let full = &mut self.full;
        full.clear();
        let mut switched = false;
        let chosen = loop {
            if grp.curr_weight == 0 {
                grp.curr_pos = grp.next_weight;
                grp.curr_weight = grp.next_weight;
            }
            let Some(idx) = next_candidate(grp, servers, pos, &mut switched) else {
                break None;
            };
            let (Some(srv), Some(p)) = (servers.get(idx), pos.get_mut(idx)) else {
                break None;
            };
            grp.update_position(srv.eweight, p);
            grp.curr_pos = grp.curr_pos.wrapping_add(1);
            if !srv.is_full() {
                // dequeued and queued again below, in one move
                break Some(idx);
            }
            grp.dequeue(idx);
            full.push(idx);
        };
        if let Some(idx) = chosen {
            if let (Some(srv), Some(p)) = (servers.get(idx), pos.get_mut(idx)) {
                grp.queue_srv(srv, idx, p);
            }
        }
        // the chain is walked from the last saturated server to the first
        for &idx in full.iter().rev() {
            let (Some(srv), Some(p)) = (servers.get(idx), pos.get_mut(idx)) else {
                continue;
            };
            if switched {
                grp.queue_by_weight(grp.init, idx, srv.eweight, p);
            } else {
                grp.queue_srv(srv, idx, p);
            }
        }
        chosen
    }

    /// `fwrr_update_server_weight()`: `servers[idx]` already holds its new
    /// state and effective weight; `was_usable` and `old_eweight` are the
    /// previous ones. Handles up, down and weight changes alike.
    pub(crate) fn update_server(
        &mut self,
        servers: &[Srv],
        idx: usize,
        was_usable: bool,
        old_eweight: u32,
    ) {
        let Some(srv) = servers.get(idx) else {
            return;
        };
        self.reserve(servers.len());
        match (was_usable, srv.usable()) {
            (false, false) => {}
            (false, true) => self.set_server_status_up(srv, idx),
            (true, false) => self.set_server_status_down(srv, idx, old_eweight),
            (true, true) => self.update_weight(srv, idx, old_eweight),
        }
    }

    /// `fwrr_set_server_status_up()`.
    fn set_server_status_up(&mut self, srv: &Srv, idx: usize) {
        let grp = if srv.backup {
            &mut self.bck
        } else {
            &mut self.act
        };
        let p = &mut self.pos[idx];
        grp.next_weight = grp.next_weight.wrapping_add(srv.eweight as i32);
        grp.get_srv(p);
        grp.place_arriving(srv.eweight, p);
        grp.queue_srv(srv, idx, p);
    }

    /// `fwrr_set_server_status_down()`.
    fn set_server_status_down(&mut self, srv: &Srv, idx: usize, old_eweight: u32) {
        let grp = if srv.backup {
            &mut self.bck
        } else {
            &mut self.act
        };
        grp.next_weight = grp.next_weight.wrapping_sub(old_eweight as i32);
        grp.dequeue(idx);
        self.pos[idx].place = Place::Nowhere;
    }

    /// The weight-change part of `fwrr_update_server_weight()`, for a
    /// server usable before and after.
    fn update_weight(&mut self, srv: &Srv, idx: usize, old_eweight: u32) {
        let grp = if srv.backup {
            &mut self.bck
        } else {
            &mut self.act
        };
        let p = &mut self.pos[idx];
        grp.next_weight = grp
            .next_weight
            .wrapping_sub(old_eweight as i32)
            .wrapping_add(srv.eweight as i32);
        match p.place {
            Place::Tree(t) if usize::from(t) == grp.init => {
                grp.dequeue(idx);
                grp.queue_by_weight(grp.init, idx, srv.eweight, p);
            }
            Place::Nowhere => {
                grp.dequeue(idx);
                grp.get_srv(p);
                grp.place_arriving(srv.eweight, p);
                grp.queue_srv(srv, idx, p);
            }
            _ => {
                grp.get_srv(p);
                reposition_after_weight_change(grp, srv.eweight, p);
                grp.dequeue(idx);
                grp.queue_srv(srv, idx, p);
            }
        }
    }

    /// The server's `npos` (for tests).
    #[cfg(test)]
    fn npos(&self, idx: usize) -> u32 {
        self.pos[idx].npos
    }
}

/// `fwrr_get_server_from_group()` plus the single tree switch that
/// `fwrr_get_next_server()` allows when both trees are exhausted.
fn next_candidate(
    grp: &mut Group,
    servers: &[Srv],
    pos: &mut [Pos],
    switched: &mut bool,
) -> Option<usize> {
    loop {
        if let Some(idx) = server_from_group(grp, servers, pos) {
            return Some(idx);
        }
        if *switched {
            return None;
        }
        *switched = true;
        grp.switch_trees();
    }
}

/// `fwrr_get_server_from_group()`: the first server of `curr` if its turn
/// has come, else the heaviest server waiting in `init`, else whatever
/// `curr` starts with.
fn server_from_group(grp: &Group, servers: &[Srv], pos: &mut [Pos]) -> Option<usize> {
    let first = grp.curr.first();
    if let Some(idx) = first {
        let ready = servers.get(idx).is_some_and(|s| s.eweight != 0)
            && pos.get(idx).is_some_and(|p| p.npos <= grp.curr_pos as u32);
        if ready {
            return Some(idx);
        }
    }
    if let Some(idx) = grp.trees[grp.init].first() {
        if servers.get(idx).is_some_and(|s| s.eweight != 0) {
            if let Some(p) = pos.get_mut(idx) {
                get_srv_init(p);
            }
            return Some(idx);
        }
    }
    first
}

/// In `fwrr_update_server_weight()`, a server in `curr` or `next` whose
/// weight changed gets a new next position: one new step after its last
/// one, but neither later than planned nor within the next two positions.
fn reposition_after_weight_change(grp: &Group, eweight: u32, p: &mut Pos) {
    if eweight == 0 {
        p.npos = grp.curr_pos.wrapping_add(grp.curr_weight) as u32;
        return;
    }
    let prev_next = p.npos;
    let step = (grp.next_weight as u32) / eweight;
    p.npos = p.lpos.wrapping_add(step);
    p.rweight = 0;
    if p.npos > prev_next {
        p.npos = prev_next;
    }
    if p.npos < grp.curr_pos.wrapping_add(2) as u32 {
        p.npos = (grp.curr_pos as u32).wrapping_add(step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ServerId, ServerState};

    /// Usable active servers with these user weights (eweight = 16 * w).
    fn servers(weights: &[u32]) -> Vec<Srv> {
        weights
            .iter()
            .enumerate()
            .map(|(i, &w)| Srv {
                id: ServerId(i as u32 + 1),
                uweight: w,
                eweight: w * BE_WEIGHT_SCALE,
                backup: false,
                state: ServerState::Up,
                served: 0,
                maxconn: 0,
            })
            .collect()
    }

    /// `n` picks, as server ids.
    fn picks(fwrr: &mut Fwrr, servers: &[Srv], n: usize) -> Vec<u32> {
        let sum = LbSummary::recount(servers, false);
        (0..n)
            .filter_map(|_| fwrr.get_next_server(servers, &sum))
            .map(|i| servers[i].id.0)
            .collect()
    }

    #[test]
    fn weights_1_2_3_hand_walk() {
        // Walked by hand through fwrr_init_server_groups(), then
        // fwrr_get_next_server() / fwrr_update_position() / fwrr_queue_srv():
        // eweights 16, 32, 48, tot 96, all start in init ordered by
        // SRV_EWGHT_MAX - eweight (s3, s2, s1).
        // pick 1: curr empty -> init s3, npos 96 -> 96+2 = 98, curr_pos 97,
        //   98 < 2*96 and < 192 -> curr key 256*98 + (4096-48)/16 = 25341.
        // pick 2: curr first s3 (98 > 97: hole) -> init s2, npos 97 + 3 = 100,
        //   curr_pos 98, key 256*100 + 254.
        // pick 3: s3 (98 <= 98) -> npos 100, curr_pos 99, key 25853
        //   (< s2's 25854: equal npos, heavier first).
        // pick 4: s3 at 100 > 99 -> init s1, npos 99 + 6 = 105, curr_pos 100.
        // pick 5: s3 (100) -> 102; pick 6: s2 (100) -> 103; pick 7: s3 (102)
        //   -> 104, curr_pos 103; pick 8: s2 (103) -> 106; pick 9: s3 (104)
        //   -> 106; pick 10: s1 (105) -> 111; pick 11: s3 (106, key below
        //   s2's) -> 108; pick 12: s2 (106) -> 109.
        let servers = servers(&[1, 2, 3]);
        let mut fwrr = Fwrr::new();
        fwrr.init(&servers, &LbSummary::recount(&servers, false));
        assert_eq!(
            picks(&mut fwrr, &servers, 12),
            vec![3, 2, 3, 1, 3, 2, 3, 2, 3, 1, 3, 2]
        );
        assert_eq!(fwrr.npos(0), 111);
    }

    #[test]
    fn weights_1_2_3_keep_their_shares_over_600_picks() {
        let servers = servers(&[1, 2, 3]);
        let mut fwrr = Fwrr::new();
        fwrr.init(&servers, &LbSummary::recount(&servers, false));
        let seq = picks(&mut fwrr, &servers, 600);
        for (id, share) in [(1, 100), (2, 200), (3, 300)] {
            assert_eq!(seq.iter().filter(|&&s| s == id).count(), share);
        }
    }

    #[test]
    fn a_saturated_server_is_skipped_and_requeued() {
        // fwrr_get_next_server(): a full server is chained on next_full and
        // requeued; the next one is returned.
        let mut servers = servers(&[1, 1]);
        servers[0].maxconn = 1;
        servers[0].served = 1;
        let mut fwrr = Fwrr::new();
        fwrr.init(&servers, &LbSummary::recount(&servers, false));
        assert_eq!(picks(&mut fwrr, &servers, 3), vec![2, 2, 2]);
        servers[1].maxconn = 1;
        servers[1].served = 1;
        assert_eq!(picks(&mut fwrr, &servers, 1), Vec::<u32>::new());
    }
}
