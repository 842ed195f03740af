//! HAProxy's consistent hashing (`src/lb_chash.c`, HAProxy 2.6): the
//! `hash-type consistent` lookup, its round-robin fallback, and
//! `balance random`.
//!
//! Each server owns `uweight * 16` possible points on a 32-bit ring, point
//! `n` at key `full_hash(puid * 4096 + n)`, and has its first `eweight` of
//! them in the tree (active servers in one tree, backup servers in
//! another). A hash goes to the point nearest to it, before or after, the
//! one before winning a tie.
//!
//! # Weights
//!
//! `Srv::eweight` must be on lb_chash.c's scale: `chash_init_server_tree()`
//! sets `wdiv = BE_WEIGHT_SCALE` (16) with `wmult = 1`, so a server of
//! weight `w` has `eweight = w * 16` and as many points in the tree.
//!
//! # Trees
//!
//! HAProxy's eb32 trees keep duplicate keys in insertion order (a point
//! removed and inserted again goes after its equals). They are modelled
//! as ordered maps keyed by `(key, insertion number)`: the same order, the
//! same `lookup_ge`, `next`, `prev`, `first` and `last`, in O(log n) and
//! without allocating when looking up.
//!
//! # Who keeps what
//!
//! The caller (the balancer) keeps the servers' state and counts
//! (`LbSummary`: `srv_act`, `srv_bck`, `tot_w*`, `fbck`) and tells this
//! module about each change; this module keeps the trees, the round-robin
//! position (`lbprm.chash.last`) and what HAProxy commits per server
//! (`cur_eweight`, whether it was usable, `cumulative_weight`).

use super::hash::full_hash;
use super::server::{LbSummary, Srv};
use crate::RandomSource;
use std::collections::BTreeMap;
use std::ops::Bound::{Excluded, Unbounded};

/// `BE_WEIGHT_SCALE`: points per unit of user weight.
const BE_WEIGHT_SCALE: u32 = 16;

/// `SRV_EWGHT_RANGE`: 256 user weights times `BE_WEIGHT_SCALE`, the stride
/// between two servers' point numbers.
const SRV_EWGHT_RANGE: u32 = 256 * BE_WEIGHT_SCALE;

/// Which of the two trees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tree {
    /// `lbprm.chash.act`: usable active servers.
    Act,
    /// `lbprm.chash.bck`: usable backup servers.
    Bck,
}

/// A point's place in its tree: its key, then its insertion number.
type Pos = (u32, u64);

/// One point of one tree (HAProxy's `struct tree_occ` node).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct NodeRef {
    /// The tree it is in.
    tree: Tree,
    /// Its place there.
    pos: Pos,
}

/// Where `chash_get_server_hash()` and `chash_get_next_server()` look.
#[derive(Clone, Copy, Debug)]
enum Root {
    /// In a tree.
    Tree(Tree),
    /// Directly at the first backup server (`lbprm.fbck`).
    Server(usize),
    /// Nowhere: no usable server.
    Empty,
}

/// A server's points and what HAProxy committed for it.
#[derive(Clone, Debug)]
struct SrvNodes {
    /// `puid`: the server's numeric id, which numbers its points.
    puid: u32,
    /// `lb_tree`: the tree its points go to.
    tree: Tree,
    /// `lb_nodes[].node.key`, `lb_nodes_tot` of them.
    keys: Vec<u32>,
    /// Insertion numbers of the points in the tree: `lb_nodes_now` of
    /// them, point `n` at index `n`.
    placed: Vec<u64>,
    /// `srv_currently_usable()` as of the last commit.
    cur_usable: bool,
    /// `cur_eweight`: the effective weight as of the last commit.
    cur_eweight: u32,
    /// `cumulative_weight`, set by `recount_servers()` at init only.
    cumulative: u32,
}

impl SrvNodes {
    /// A server's points as `chash_init_server_tree()` / `srv_alloc_lb()`
    /// prepare them: `uweight * 16` keys, none in the tree.
    fn new(srv: &Srv) -> Self {
        let tot = srv.uweight.saturating_mul(BE_WEIGHT_SCALE);
        SrvNodes {
            puid: srv.id.0,
            tree: if srv.backup { Tree::Bck } else { Tree::Act },
            keys: (0..tot).map(|n| node_key(srv.id.0, n)).collect(),
            placed: Vec::with_capacity(tot as usize),
            cur_usable: false,
            cur_eweight: 0,
            cumulative: 0,
        }
    }
}

/// The key of point `n` of a server: `full_hash(puid * 4096 + n)`, in
/// wrapping 32-bit arithmetic.
fn node_key(puid: u32, n: u32) -> u32 {
    full_hash(puid.wrapping_mul(SRV_EWGHT_RANGE).wrapping_add(n))
}

/// Whether a server can take one more connection: no `maxconn`, or fewer
/// served than it (HAProxy also requires an empty server queue, which is
/// not modelled, and `srv_dynamic_maxconn()` is `maxconn` without
/// `minconn`).
fn has_room(srv: &Srv) -> bool {
    srv.maxconn == 0 || srv.served < srv.maxconn
}

/// `lbprm.tot_weight` as `update_backend_weight()` derives it.
fn tot_weight(servers: &[Srv], summary: &LbSummary) -> u32 {
    if summary.srv_act > 0 {
        summary.tot_wact
    } else if let Some(fbck) = summary.fbck {
        servers.get(fbck).map_or(0, |s| s.eweight)
    } else {
        summary.tot_wbck
    }
}

/// The consistent-hash trees of one backend (`lbprm.chash`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Chash {
    /// Active servers' points: place → server index.
    act: BTreeMap<Pos, usize>,
    /// Backup servers' points.
    bck: BTreeMap<Pos, usize>,
    /// The last insertion number given.
    seq: u64,
    /// `lbprm.chash.last`: the round-robin position.
    last: Option<NodeRef>,
    /// Per server index, its points and committed state.
    nodes: Vec<SrvNodes>,
    /// `hash-balance-factor` (0 = off).
    balance_factor: u32,
}

impl Chash {
    /// Empty trees.
    pub(crate) fn new() -> Self {
        Chash::default()
    }

    /// Sets `hash-balance-factor` (0 = off, otherwise > 100 in HAProxy).
    pub(crate) fn set_hash_balance_factor(&mut self, factor: u32) {
        self.balance_factor = factor;
    }

    /// `chash_init_server_tree()`: builds both trees from scratch, servers
    /// in list order, after committing every server's state.
    pub(crate) fn init(&mut self, servers: &[Srv], summary: &LbSummary) {
        let _ = summary;
        self.act.clear();
        self.bck.clear();
        self.seq = 0;
        self.last = None;
        self.nodes = servers.iter().map(SrvNodes::new).collect();
        self.commit_all(servers);
        self.recount_cumulative(servers);
        for (idx, srv) in servers.iter().enumerate() {
            if srv.usable() {
                self.queue_dequeue(idx, srv.eweight);
            }
        }
    }

    /// `srv_lb_commit_status()` for every server.
    fn commit_all(&mut self, servers: &[Srv]) {
        for (node, srv) in self.nodes.iter_mut().zip(servers) {
            node.cur_usable = srv.usable();
            node.cur_eweight = srv.eweight;
        }
    }

    /// `recount_servers()`'s `cumulative_weight`: the effective weights of
    /// the usable servers of the same kind before this one.
    fn recount_cumulative(&mut self, servers: &[Srv]) {
        let (mut act, mut bck) = (0u32, 0u32);
        for (node, srv) in self.nodes.iter_mut().zip(servers) {
            if !srv.usable() {
                continue;
            }
            let total = if srv.backup { &mut bck } else { &mut act };
            node.cumulative = *total;
            *total = total.wrapping_add(srv.eweight);
        }
    }

    /// Makes room for servers added since the last call, with their points
    /// prepared as `srv_alloc_lb()` does for a new server.
    fn ensure(&mut self, servers: &[Srv], idx: usize) {
        while self.nodes.len() <= idx {
            let Some(srv) = servers.get(self.nodes.len()) else {
                return;
            };
            self.nodes.push(SrvNodes::new(srv));
        }
    }

    /// Whether the server's state or weight differs from the committed one
    /// (`srv_lb_status_changed()`), making sure it is known first.
    fn changed(&mut self, servers: &[Srv], idx: usize) -> Option<(bool, bool)> {
        self.ensure(servers, idx);
        let srv = servers.get(idx)?;
        let node = self.nodes.get(idx)?;
        let changed = node.cur_usable != srv.usable() || node.cur_eweight != srv.eweight;
        changed.then_some((node.cur_usable, srv.usable()))
    }

    /// `srv_lb_commit_status()`.
    fn commit(&mut self, servers: &[Srv], idx: usize) {
        if let (Some(node), Some(srv)) = (self.nodes.get_mut(idx), servers.get(idx)) {
            node.cur_usable = srv.usable();
            node.cur_eweight = srv.eweight;
        }
    }

    /// `chash_set_server_status_up()`: puts a server that became usable in
    /// its tree with `eweight` points. A server that was already usable
    /// keeps its points (HAProxy does not change its weight here).
    pub(crate) fn set_server_up(&mut self, servers: &[Srv], summary: &LbSummary, idx: usize) {
        let _ = summary;
        let Some((was_usable, is_usable)) = self.changed(servers, idx) else {
            return;
        };
        if is_usable && !was_usable {
            let eweight = servers.get(idx).map_or(0, |s| s.eweight);
            self.queue_dequeue(idx, eweight);
        }
        self.commit(servers, idx);
    }

    /// `chash_set_server_status_down()`: takes all points of a server that
    /// stopped being usable out of its tree.
    pub(crate) fn set_server_down(&mut self, servers: &[Srv], summary: &LbSummary, idx: usize) {
        let _ = summary;
        let Some((was_usable, is_usable)) = self.changed(servers, idx) else {
            return;
        };
        if was_usable && !is_usable {
            self.dequeue_all(idx);
        }
        self.commit(servers, idx);
    }

    /// `chash_update_server_weight()`: a change of effective weight, which
    /// may also be a change of usability.
    pub(crate) fn update_server_weight(
        &mut self,
        servers: &[Srv],
        summary: &LbSummary,
        idx: usize,
    ) {
        let Some((was_usable, is_usable)) = self.changed(servers, idx) else {
            return;
        };
        match (was_usable, is_usable) {
            (false, true) => self.set_server_up(servers, summary, idx),
            (true, false) => self.set_server_down(servers, summary, idx),
            (false, false) => self.commit(servers, idx),
            (true, true) => {
                let eweight = servers.get(idx).map_or(0, |s| s.eweight);
                self.queue_dequeue(idx, eweight);
                self.commit(servers, idx);
            }
        }
    }

    /// `chash_queue_dequeue_srv()`: leaves exactly `eweight` points of the
    /// server in its tree, removing from the last one or adding after the
    /// present ones. Growing past the prepared points first takes them all
    /// out, then prepares more and puts them all back, in order.
    fn queue_dequeue(&mut self, idx: usize, eweight: u32) {
        let target = eweight as usize;
        while self.placed_count(idx) > target {
            self.remove_last_point(idx);
        }
        let prepared = self.nodes.get(idx).map_or(0, |n| n.keys.len());
        if prepared < target {
            self.dequeue_all(idx);
            self.prepare_points(idx, eweight);
        }
        while self.placed_count(idx) < target.min(self.prepared_count(idx)) {
            self.insert_next_point(idx);
        }
    }

    /// `chash_dequeue_srv()`: takes all the server's points out.
    fn dequeue_all(&mut self, idx: usize) {
        while self.placed_count(idx) > 0 {
            self.remove_last_point(idx);
        }
    }

    /// `lb_nodes_now`.
    fn placed_count(&self, idx: usize) -> usize {
        self.nodes.get(idx).map_or(0, |n| n.placed.len())
    }

    /// `lb_nodes_tot`.
    fn prepared_count(&self, idx: usize) -> usize {
        self.nodes.get(idx).map_or(0, |n| n.keys.len())
    }

    /// Prepares points up to number `eweight - 1` (the `realloc()` path).
    fn prepare_points(&mut self, idx: usize, eweight: u32) {
        let Some(node) = self.nodes.get_mut(idx) else {
            return;
        };
        let from = u32::try_from(node.keys.len()).unwrap_or(u32::MAX);
        let puid = node.puid;
        node.keys.extend((from..eweight).map(|n| node_key(puid, n)));
    }

    /// Removes the server's last point in its tree, moving the round-robin
    /// position past it first if it was there (`chash_skip_node()`).
    fn remove_last_point(&mut self, idx: usize) {
        let Some(node) = self.nodes.get_mut(idx) else {
            return;
        };
        let Some(seq) = node.placed.pop() else {
            return;
        };
        let Some(&key) = node.keys.get(node.placed.len()) else {
            return;
        };
        let point = NodeRef {
            tree: node.tree,
            pos: (key, seq),
        };
        if self.last == Some(point) {
            self.last = self.skip(point);
        }
        self.tree_mut(point.tree).remove(&point.pos);
    }

    /// Inserts the server's next prepared point after its equals.
    fn insert_next_point(&mut self, idx: usize) {
        self.seq += 1;
        let seq = self.seq;
        let Some(node) = self.nodes.get_mut(idx) else {
            return;
        };
        let Some(&key) = node.keys.get(node.placed.len()) else {
            return;
        };
        node.placed.push(seq);
        let tree = node.tree;
        self.tree_mut(tree).insert((key, seq), idx);
    }

    /// One of the trees.
    fn tree(&self, tree: Tree) -> &BTreeMap<Pos, usize> {
        match tree {
            Tree::Act => &self.act,
            Tree::Bck => &self.bck,
        }
    }

    /// One of the trees, to change it.
    fn tree_mut(&mut self, tree: Tree) -> &mut BTreeMap<Pos, usize> {
        match tree {
            Tree::Act => &mut self.act,
            Tree::Bck => &mut self.bck,
        }
    }

    /// `eb32_next()`: the point after `point` in its tree.
    fn next(&self, point: NodeRef) -> Option<(NodeRef, usize)> {
        let (&pos, &idx) = self
            .tree(point.tree)
            .range((Excluded(point.pos), Unbounded))
            .next()?;
        Some((
            NodeRef {
                tree: point.tree,
                pos,
            },
            idx,
        ))
    }

    /// `eb32_first()`.
    fn first(&self, tree: Tree) -> Option<(NodeRef, usize)> {
        let (&pos, &idx) = self.tree(tree).first_key_value()?;
        Some((NodeRef { tree, pos }, idx))
    }

    /// `chash_skip_node()`: the point after `point`, wrapping around, or
    /// `None` if that is `point` itself.
    fn skip(&self, point: NodeRef) -> Option<NodeRef> {
        let (next, _) = self.next(point).or_else(|| self.first(point.tree))?;
        (next != point).then_some(next)
    }

    /// Where lookups go, as the first lines of `chash_get_server_hash()`
    /// and `chash_get_next_server()` decide.
    fn root(summary: &LbSummary) -> Root {
        if summary.srv_act > 0 {
            Root::Tree(Tree::Act)
        } else if let Some(fbck) = summary.fbck {
            Root::Server(fbck)
        } else if summary.srv_bck > 0 {
            Root::Tree(Tree::Bck)
        } else {
            Root::Empty
        }
    }

    /// `chash_get_server_hash()` without a server to avoid.
    pub(crate) fn get_server_hash(
        &mut self,
        servers: &[Srv],
        summary: &LbSummary,
        hash: u32,
    ) -> Option<usize> {
        self.get_server_hash_avoiding(servers, summary, hash, None)
    }

    /// `chash_get_server_hash()`: the server of the point nearest to
    /// `hash` (the one before on a tie), then the next points' servers in
    /// turn while the server is `avoid` or, with `hash-balance-factor`,
    /// already has its share of connections (at most one full turn).
    pub(crate) fn get_server_hash_avoiding(
        &self,
        servers: &[Srv],
        summary: &LbSummary,
        hash: u32,
        avoid: Option<usize>,
    ) -> Option<usize> {
        let tree = match Self::root(summary) {
            Root::Tree(tree) => tree,
            Root::Server(idx) => return Some(idx),
            Root::Empty => return None,
        };
        let (mut point, mut idx) = self.nearest(tree, hash)?;
        let mut wraps = 0;
        while Some(idx) == avoid || !self.eligible(servers, summary, idx) {
            let next = match self.next(point) {
                Some(next) => next,
                None => {
                    wraps += 1;
                    if wraps > 1 {
                        break;
                    }
                    self.first(tree)?
                }
            };
            (point, idx) = next;
        }
        Some(idx)
    }

    /// The point nearest to `hash` in `tree`: the first at or after it
    /// (wrapping to the first) against the one before that (wrapping to
    /// the last); the one before wins when equally far.
    fn nearest(&self, tree: Tree, hash: u32) -> Option<(NodeRef, usize)> {
        let map = self.tree(tree);
        let (&next_pos, &next_idx) = map
            .range((hash, 0)..)
            .next()
            .or_else(|| map.first_key_value())?;
        let (&prev_pos, &prev_idx) = map
            .range(..next_pos)
            .next_back()
            .or_else(|| map.last_key_value())?;
        let dp = hash.wrapping_sub(prev_pos.0);
        let dn = next_pos.0.wrapping_sub(hash);
        let (pos, idx) = if dp <= dn {
            (prev_pos, prev_idx)
        } else {
            (next_pos, next_idx)
        };
        Some((NodeRef { tree, pos }, idx))
    }

    /// `chash_server_is_eligible()` when `hash-balance-factor` is set
    /// (always eligible otherwise): "consistent hashing with bounded
    /// loads", the server may hold its weight's share of `factor`% of the
    /// backend's connections plus this one, at least one. 32-bit unsigned
    /// arithmetic as in HAProxy; the backend's `served` is the sum of its
    /// servers'.
    fn eligible(&self, servers: &[Srv], summary: &LbSummary, idx: usize) -> bool {
        if self.balance_factor == 0 {
            return true;
        }
        let tot_weight = tot_weight(servers, summary);
        let (Some(srv), Some(node)) = (servers.get(idx), self.nodes.get(idx)) else {
            return true;
        };
        if tot_weight == 0 {
            return true;
        }
        let served = servers
            .iter()
            .fold(0u32, |sum, s| sum.wrapping_add(s.served));
        let tot_slots = served
            .wrapping_add(1)
            .wrapping_mul(self.balance_factor)
            .wrapping_add(99)
            / 100;
        let per_weight = tot_slots / tot_weight;
        let remainder = tot_slots % tot_weight;
        let (weight, before) = (node.cur_eweight, node.cumulative);
        let share = before.wrapping_add(weight).wrapping_mul(remainder) / tot_weight
            - before.wrapping_mul(remainder) / tot_weight;
        let slots = weight.wrapping_mul(per_weight).wrapping_add(share).max(1);
        srv.served < slots
    }

    /// `chash_get_next_server()` without a server to avoid.
    pub(crate) fn get_next_server(
        &mut self,
        servers: &[Srv],
        summary: &LbSummary,
    ) -> Option<usize> {
        self.get_next_server_avoiding(servers, summary, None)
    }

    /// `chash_get_next_server()`: walks the tree from the last position to
    /// the next server with room for a connection, other than `avoid` if
    /// possible. Starting with no position, it gives up after the first
    /// point if that server is full, as HAProxy does.
    ///
    /// HAProxy stops when it comes back to its starting point, which it
    /// never does when that point is in the other tree (after backups were
    /// used and an active server came back, if all active servers are
    /// full): it would loop forever. This stops after two full turns.
    pub(crate) fn get_next_server_avoiding(
        &mut self,
        servers: &[Srv],
        summary: &LbSummary,
        avoid: Option<usize>,
    ) -> Option<usize> {
        let tree = match Self::root(summary) {
            Root::Tree(tree) => tree,
            Root::Server(idx) => return Some(idx),
            Root::Empty => return None,
        };
        let mut stop = self.last;
        let mut current = self.last;
        let mut avoided = None;
        let mut wraps = 0;
        loop {
            let step = match current.and_then(|point| self.next(point)) {
                Some(step) => Some(step),
                None => {
                    wraps += 1;
                    self.first(tree)
                }
            };
            self.last = step.map(|(point, _)| point);
            let (point, idx) = step?;
            current = Some(point);
            stop = stop.or(current);
            if servers.get(idx).is_some_and(has_room) {
                if Some(idx) != avoid {
                    return Some(idx);
                }
                avoided = Some((point, idx));
            }
            if current == stop || wraps > 2 {
                break;
            }
        }
        self.last = avoided.map(|(point, _)| point);
        avoided.map(|(_, idx)| idx)
    }

    /// `get_server_rnd()` (`balance random`): `draws` lookups of random
    /// hashes (at least one), keeping the server with the fewest
    /// connections per unit of weight (the earlier one unless the new one
    /// is strictly less loaded); `None` if that server is full (HAProxy
    /// then queues the request in the backend) or no server is usable.
    pub(crate) fn random(
        &mut self,
        servers: &[Srv],
        summary: &LbSummary,
        draws: u32,
        rng: &mut dyn RandomSource,
    ) -> Option<usize> {
        if tot_weight(servers, summary) == 0 {
            return None;
        }
        let mut best: Option<usize> = None;
        for _ in 0..draws.max(1) {
            let prev = best;
            let hash = rng.next_u32();
            let curr = self.get_server_hash_avoiding(servers, summary, hash, None)?;
            best = Some(match prev {
                Some(prev) if prev != curr && self.more_loaded(servers, curr, prev) => prev,
                _ => curr,
            });
        }
        best.filter(|&idx| servers.get(idx).is_some_and(has_room))
    }

    /// Whether `a` serves more per unit of weight than `b`:
    /// `a.served * b.cur_eweight > b.served * a.cur_eweight`, in 32 bits.
    fn more_loaded(&self, servers: &[Srv], a: usize, b: usize) -> bool {
        let served = |i: usize| servers.get(i).map_or(0, |s| s.served);
        let weight = |i: usize| {
            self.nodes
                .get(i)
                .map(|n| n.cur_eweight)
                .or_else(|| servers.get(i).map(|s| s.eweight))
                .unwrap_or(0)
        };
        served(a).wrapping_mul(weight(b)) > served(b).wrapping_mul(weight(a))
    }
}

#[cfg(test)]
impl Chash {
    /// How many points of server `idx` are in its tree (`lb_nodes_now`).
    fn points(&self, idx: usize) -> usize {
        self.placed_count(idx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ServerId, ServerState};
    use proptest::prelude::*;

    /// An active server of this id and user weight, with lb_chash.c's
    /// effective weight (`uweight * 16`).
    fn srv(id: u32, uweight: u32) -> Srv {
        Srv {
            id: ServerId(id),
            uweight,
            eweight: uweight * BE_WEIGHT_SCALE,
            backup: false,
            state: ServerState::Up,
            served: 0,
            maxconn: 0,
        }
    }

    /// `recount_servers()` + `update_backend_weight()`, written here for the
    /// tests (the balancer keeps the real one).
    fn summary(servers: &[Srv], allbackups: bool) -> LbSummary {
        let mut sum = LbSummary::default();
        for (idx, s) in servers.iter().enumerate().filter(|(_, s)| s.usable()) {
            if s.backup {
                if sum.srv_bck == 0 && !allbackups {
                    sum.fbck = Some(idx);
                }
                sum.srv_bck += 1;
                sum.tot_wbck += s.eweight;
            } else {
                sum.srv_act += 1;
                sum.tot_wact += s.eweight;
            }
        }
        sum
    }

    /// A ring built by `init()` over these servers.
    fn ring(servers: &[Srv]) -> Chash {
        let mut c = Chash::new();
        c.init(servers, &summary(servers, false));
        c
    }

    /// The ids of the servers found for these hashes.
    fn lookups(c: &mut Chash, servers: &[Srv], hashes: impl Iterator<Item = u32>) -> Vec<u32> {
        let sum = summary(servers, false);
        hashes
            .map(|h| {
                c.get_server_hash(servers, &sum, h)
                    .map_or(0, |i| servers[i].id.0)
            })
            .collect()
    }

    /// Three servers with one point each: keys full_hash(4096 * id), that
    /// is 0x49c2008b (#1), 0x405afe73 (#2), 0x4e477b4e (#3) (values from an
    /// independent C program).
    fn tiny() -> Vec<Srv> {
        (1..=3)
            .map(|id| {
                let mut s = srv(id, 1);
                s.eweight = 1;
                s
            })
            .collect()
    }

    #[test]
    fn node_keys_are_full_hash_of_puid_times_4096_plus_n() {
        assert_eq!(node_key(1, 0), 0x49c2_008b);
        assert_eq!(node_key(2, 0), 0x405a_fe73);
        assert_eq!(node_key(3, 0), 0x4e47_7b4e);
        assert_eq!(node_key(1, 1), full_hash(4097));
    }

    #[test]
    fn chash_get_server_hash_tiny_ring_by_hand() {
        let servers = tiny();
        let mut c = ring(&servers);
        let got = lookups(
            &mut c,
            &servers,
            [
                0x49c2_008b, // on #1's point
                0x4500_0000, // #2 + 0x04a5018d vs #1 - 0x04c2008b: #2
                0x4800_0000, // nearer #1
                0x1000_0000, // wraps: next #2 (0x305afe73 away), prev #3 (0xc1b884b2)
                0x9000_0000, // past the last: #3 0x41b884b2 away, #2 0xb05afe73
                0xf000_0000, // #2 0x505afe73 ahead after wrapping, #3 0xa1b884b2 behind
                0x450e_7f7f, // exactly half-way between #2 and #1: prev (#2) wins
                0x450e_7f80, // one past half-way: #1
                0x4c04_bdec, // #1 + 0x0242bd61 vs #3 - 0x0242bd62: #1
                0x4c04_bded, // #1 + 0x0242bd62 vs #3 - 0x0242bd61: #3
            ]
            .into_iter(),
        );
        assert_eq!(got, [1, 2, 1, 2, 3, 2, 2, 1, 1, 3]);
    }

    #[test]
    fn chash_get_server_hash_matches_c_reference() {
        // Weights 1, 2, 1 (16, 32, 16 points). Expected ids from a C
        // program over HAProxy's own eb32 trees with the same lookup rule.
        let servers = vec![srv(1, 1), srv(2, 2), srv(3, 1)];
        let mut c = ring(&servers);
        let hashes = || (0..12u32).map(|i| i.wrapping_mul(0x0F0F_0F0F).wrapping_add(12345));
        assert_eq!(
            lookups(&mut c, &servers, hashes()),
            [3, 3, 1, 1, 1, 1, 1, 2, 2, 2, 2, 1]
        );
        assert_eq!((c.points(0), c.points(1), c.points(2)), (16, 32, 16));
        // Server #2 goes down: only its hashes move.
        let mut servers = servers;
        servers[1].state = ServerState::Down;
        c.set_server_down(&servers, &summary(&servers, false), 1);
        assert_eq!(c.points(1), 0);
        assert_eq!(
            lookups(&mut c, &servers, hashes()),
            [3, 3, 1, 1, 1, 1, 1, 3, 1, 3, 3, 1]
        );
    }

    #[test]
    fn chash_get_next_server_walks_the_ring() {
        // Same ring: the walk from no position, as the C program printed it.
        let servers = vec![srv(1, 1), srv(2, 2), srv(3, 1)];
        let mut c = ring(&servers);
        let sum = summary(&servers, false);
        let walk: Vec<u32> = (0..12)
            .map(|_| {
                c.get_next_server(&servers, &sum)
                    .map_or(0, |i| servers[i].id.0)
            })
            .collect();
        assert_eq!(walk, [3, 3, 2, 1, 3, 1, 1, 2, 3, 1, 1, 1]);
        // A full turn (64 points) visits each server once per point.
        let mut counts = [0; 3];
        for _ in 0..64 {
            counts[c.get_next_server(&servers, &sum).unwrap()] += 1;
        }
        assert_eq!(counts, [16, 32, 16]);
    }

    #[test]
    fn chash_get_next_server_skips_full_servers() {
        let mut servers = vec![srv(1, 1), srv(2, 2), srv(3, 1)];
        let mut c = ring(&servers);
        let sum = summary(&servers, false);
        // From no position with the first point's server (#3) full, HAProxy
        // stops at that first point: no server, position cleared.
        servers[2].maxconn = 1;
        servers[2].served = 1;
        assert_eq!(c.get_next_server(&servers, &sum), None);
        assert_eq!(c.last, None);
        // From a position, full servers are skipped.
        servers[2].served = 0;
        assert_eq!(c.get_next_server(&servers, &sum), Some(2));
        servers[2].served = 1;
        let walk: Vec<usize> = (0..6)
            .filter_map(|_| c.get_next_server(&servers, &sum))
            .collect();
        assert_eq!(walk, [1, 0, 0, 0, 1, 0]);
        // All full: nothing, and the position is cleared.
        for s in &mut servers {
            s.maxconn = 1;
            s.served = 1;
        }
        assert_eq!(c.get_next_server(&servers, &sum), None);
        assert_eq!(c.last, None);
    }

    #[test]
    fn chash_get_next_server_avoids_unless_alone() {
        let servers = tiny();
        let mut c = ring(&servers);
        let sum = summary(&servers, false);
        // Ring order: #2, #1, #3. Avoiding #2 from no position gives the
        // first point (#2) as the stop, so only #2 is seen: it is returned.
        assert_eq!(c.get_next_server_avoiding(&servers, &sum, Some(1)), Some(1));
        assert_eq!(c.get_next_server_avoiding(&servers, &sum, Some(0)), Some(2));
        assert_eq!(c.get_next_server_avoiding(&servers, &sum, Some(1)), Some(0));
    }

    #[test]
    fn round_robin_position_survives_its_server_going_down() {
        let mut servers = vec![srv(1, 1), srv(2, 2), srv(3, 1)];
        let mut c = ring(&servers);
        let sum = summary(&servers, false);
        for _ in 0..3 {
            c.get_next_server(&servers, &sum);
        }
        // The position is on a point of #2 (third step of the walk).
        servers[1].state = ServerState::Down;
        c.set_server_down(&servers, &summary(&servers, false), 1);
        let sum = summary(&servers, false);
        for _ in 0..40 {
            assert_ne!(c.get_next_server(&servers, &sum), Some(1));
        }
    }

    #[test]
    fn backup_servers_and_first_backup() {
        let mut servers = vec![srv(1, 1), srv(2, 1), srv(3, 1)];
        servers[1].backup = true;
        servers[2].backup = true;
        servers[0].state = ServerState::Down;
        let mut c = Chash::new();
        // Without allbackups: every lookup goes to the first backup (#2).
        let sum = summary(&servers, false);
        c.init(&servers, &sum);
        assert_eq!(sum.fbck, Some(1));
        for h in [0, 0x4e47_7b4e, u32::MAX] {
            assert_eq!(c.get_server_hash(&servers, &sum, h), Some(1));
        }
        assert_eq!(c.get_next_server(&servers, &sum), Some(1));
        // With allbackups: the backup tree is used.
        let sum = summary(&servers, true);
        c.init(&servers, &sum);
        let mut seen = [false; 3];
        for i in 0..64u32 {
            seen[c.get_server_hash(&servers, &sum, i << 26).unwrap()] = true;
        }
        assert_eq!(seen, [false, true, true]);
        // Nothing usable: nothing.
        let sum = LbSummary::default();
        assert_eq!(c.get_server_hash(&servers, &sum, 7), None);
        assert_eq!(c.get_next_server(&servers, &sum), None);
    }

    #[test]
    fn get_server_rnd_keeps_the_least_loaded_draw() {
        let mut servers = tiny();
        let mut c = ring(&servers);
        let sum = summary(&servers, false);
        let draws = |seq: Vec<u32>| {
            let mut it = seq.into_iter().cycle();
            move || it.next().unwrap_or(0)
        };
        let (k1, k2) = (0x49c2_008b, 0x405a_fe73);
        servers[0].served = 5;
        servers[1].served = 1;
        assert_eq!(
            c.random(&servers, &sum, 2, &mut draws(vec![k1, k2])),
            Some(1)
        );
        assert_eq!(
            c.random(&servers, &sum, 2, &mut draws(vec![k2, k1])),
            Some(1)
        );
        assert_eq!(
            c.random(&servers, &sum, 1, &mut draws(vec![k1, k2])),
            Some(0)
        );
        // 0 draws is one draw (HAProxy's do-while).
        assert_eq!(
            c.random(&servers, &sum, 0, &mut draws(vec![k1, k2])),
            Some(0)
        );
        // Equal loads: the later draw wins (only strictly less loaded stays).
        servers[0].served = 1;
        assert_eq!(
            c.random(&servers, &sum, 2, &mut draws(vec![k1, k2])),
            Some(1)
        );
        // Loads compare per unit of weight: 4 on weight 2 is less than 3 on 1.
        servers[0].served = 4;
        servers[1].served = 3;
        c.nodes[0].cur_eweight = 2;
        assert_eq!(
            c.random(&servers, &sum, 2, &mut draws(vec![k1, k2])),
            Some(0)
        );
        // A full winner means no server (HAProxy queues).
        servers[0].maxconn = 4;
        assert_eq!(c.random(&servers, &sum, 2, &mut draws(vec![k1, k2])), None);
        assert_eq!(
            c.random(&servers, &LbSummary::default(), 2, &mut draws(vec![k1])),
            None
        );
    }

    #[test]
    fn hash_balance_factor_skips_loaded_servers() {
        // chash_server_is_eligible(): 3 servers of eweight 1, #2 serves 2.
        // tot_slots = ((2 + 1) * 101 + 99) / 100 = 4; per weight 1, rest 1;
        // #2 (cumulative 1) gets 1 + (2*1)/3 - (1*1)/3 = 1 slot: full.
        let mut servers = tiny();
        servers[1].served = 2;
        let mut c = ring(&servers);
        let sum = summary(&servers, false);
        assert_eq!(c.get_server_hash(&servers, &sum, 0x4500_0000), Some(1));
        c.set_hash_balance_factor(101);
        // Next point after #2's is #1's, which has 1 slot and serves 0.
        assert_eq!(c.get_server_hash(&servers, &sum, 0x4500_0000), Some(0));
        // With 9 each, 29 slots: 9 per weight and 2 left, of which #2
        // (cumulative 1) gets (2*2)/3 - (1*2)/3 = 1: it has room again.
        for s in &mut servers {
            s.served = 9;
        }
        assert_eq!(c.get_server_hash(&servers, &sum, 0x4500_0000), Some(1));
    }

    #[test]
    fn chash_get_server_hash_gives_up_after_one_turn() {
        // Nothing but the server to avoid: one full turn, then that server.
        let servers = vec![srv(1, 1)];
        let c = ring(&servers);
        let sum = summary(&servers, false);
        for h in [0, 0x8000_0000, u32::MAX] {
            assert_eq!(
                c.get_server_hash_avoiding(&servers, &sum, h, Some(0)),
                Some(0)
            );
        }
    }

    #[test]
    fn chash_get_server_hash_avoid() {
        let servers = tiny();
        let c = ring(&servers);
        let sum = summary(&servers, false);
        assert_eq!(
            c.get_server_hash_avoiding(&servers, &sum, 0x4500_0000, Some(1)),
            Some(0)
        );
        assert_eq!(
            c.get_server_hash_avoiding(&servers, &sum, 0x9000_0000, Some(2)),
            Some(1)
        );
    }

    #[test]
    fn weight_changes_adjust_points() {
        let mut servers = vec![srv(1, 1), srv(2, 1)];
        let mut c = ring(&servers);
        let sum = summary(&servers, false);
        servers[0].eweight = 8;
        c.update_server_weight(&servers, &sum, 0);
        assert_eq!(c.points(0), 8);
        // Past the 16 points prepared at init (weight 1 -> 3): all re-made.
        servers[0].eweight = 48;
        c.update_server_weight(&servers, &sum, 0);
        assert_eq!(c.points(0), 48);
        assert_eq!(c.nodes[0].keys.len(), 48);
        assert_eq!(c.nodes[0].keys[47], node_key(1, 47));
        // Weight 0: out of the tree, never found.
        servers[0].eweight = 0;
        c.update_server_weight(&servers, &summary(&servers, false), 0);
        assert_eq!(c.points(0), 0);
        let sum = summary(&servers, false);
        assert!((0..64u32).all(|i| c.get_server_hash(&servers, &sum, i << 26) == Some(1)));
        // set_server_up() on a server already up does not change its points.
        servers[1].eweight = 32;
        c.set_server_up(&servers, &sum, 1);
        assert_eq!(c.points(1), 16);
    }

    #[test]
    fn servers_added_later_get_points() {
        let mut servers = vec![srv(1, 1)];
        let mut c = ring(&servers);
        let mut added = srv(7, 2);
        added.state = ServerState::Down;
        servers.push(added);
        servers[1].state = ServerState::Up;
        c.set_server_up(&servers, &summary(&servers, false), 1);
        assert_eq!(c.points(1), 32);
        assert_eq!(c.nodes[1].keys[0], node_key(7, 0));
    }

    /// Hashes spread over the ring.
    fn spread(n: u32) -> impl Iterator<Item = u32> {
        (0..n).map(|i| full_hash(i ^ 0x5bd1_e995))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        #[test]
        fn same_hash_same_server(weights in proptest::collection::vec(1..4u32, 1..8), hashes in proptest::collection::vec(any::<u32>(), 1..50)) {
            let servers: Vec<Srv> = weights.iter().enumerate().map(|(i, &w)| srv(i as u32 + 1, w)).collect();
            let mut a = ring(&servers);
            let mut b = ring(&servers);
            let first = lookups(&mut a, &servers, hashes.iter().copied());
            prop_assert_eq!(&first, &lookups(&mut a, &servers, hashes.iter().copied()));
            prop_assert_eq!(&first, &lookups(&mut b, &servers, hashes.iter().copied()));
        }

        #[test]
        fn removing_one_of_ten_moves_only_its_hashes(gone in 0..10usize) {
            let mut servers: Vec<Srv> = (1..=10).map(|id| srv(id, 1)).collect();
            let mut c = ring(&servers);
            let before = lookups(&mut c, &servers, spread(2000));
            servers[gone].state = ServerState::Down;
            c.set_server_down(&servers, &summary(&servers, false), gone);
            let after = lookups(&mut c, &servers, spread(2000));
            let gone_id = servers[gone].id.0;
            let kept = before.iter().filter(|&&b| b != gone_id).count();
            let moved_kept = before.iter().zip(&after).filter(|(b, a)| **b != gone_id && b != a).count();
            prop_assert!(moved_kept * 20 < kept, "{moved_kept} of {kept} moved");
            prop_assert!(before.iter().zip(&after).all(|(b, a)| *b != gone_id || *a != gone_id));
            prop_assert!(before.contains(&gone_id));
            // Back up: every hash returns where it was.
            servers[gone].state = ServerState::Up;
            c.set_server_up(&servers, &summary(&servers, false), gone);
            prop_assert_eq!(before, lookups(&mut c, &servers, spread(2000)));
        }

        #[test]
        fn unusable_servers_are_never_returned(
            setup in proptest::collection::vec((0..4u32, any::<bool>()), 1..8),
            hashes in proptest::collection::vec(any::<u32>(), 1..64),
            seed in any::<u64>(),
        ) {
            let mut servers: Vec<Srv> = setup.iter().enumerate().map(|(i, _)| srv(i as u32 + 1, 1)).collect();
            let mut c = ring(&servers);
            for (i, &(w, down)) in setup.iter().enumerate() {
                servers[i].eweight = w * BE_WEIGHT_SCALE;
                if down {
                    servers[i].state = ServerState::Down;
                }
                c.update_server_weight(&servers, &summary(&servers, false), i);
            }
            let sum = summary(&servers, false);
            let mut rng = crate::SplitMix64::new(seed);
            for &h in &hashes {
                let picks = [
                    c.get_server_hash(&servers, &sum, h),
                    c.get_next_server(&servers, &sum),
                    c.random(&servers, &sum, 2, &mut rng),
                ];
                for pick in picks {
                    match pick {
                        Some(i) => prop_assert!(servers[i].usable(), "picked unusable {i}"),
                        None => prop_assert_eq!(sum.srv_act, 0),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod observed {
    //! Picks observed on the real HAProxy 2.6.12 (Debian 12 package) on
    //! loopback: a backend of three servers answering with their id, each
    //! request sent with curl (or a raw TCP client for RDP), runtime changes
    //! made on the stats socket. The model must pick the same servers.

    use super::*;
    use crate::haproxy::key::request_hash;
    use crate::haproxy::{rdp_cookie, BalancerConfig, HashType};
    use crate::{RequestKey, ServerId, ServerState};

    /// The request targets sent to HAProxy for the observed `uri` cases,
    /// one per line (shared with `tests/haproxy_hashing.rs`).
    const URIS: &str = include_str!("../../tests/data/observed-uris.txt");

    /// Servers `(id, weight)`, up, with lb_chash.c's effective weights.
    fn servers(spec: &[(u32, u32)]) -> Vec<Srv> {
        spec.iter()
            .map(|&(id, w)| Srv {
                id: ServerId(id),
                uweight: w,
                eweight: w * BE_WEIGHT_SCALE,
                backup: false,
                state: ServerState::Up,
                served: 0,
                maxconn: 0,
            })
            .collect()
    }

    /// The counts of the usable active servers.
    fn summary(servers: &[Srv]) -> LbSummary {
        let mut sum = LbSummary::default();
        for s in servers.iter().filter(|s| s.usable()) {
            sum.srv_act += 1;
            sum.tot_wact += s.eweight;
        }
        sum
    }

    /// A configuration from its `balance` and `hash-type` arguments.
    fn config(balance: &str, hash_type: &str) -> BalancerConfig {
        BalancerConfig::from_balance(balance)
            .unwrap()
            .hash_type(hash_type.parse::<HashType>().unwrap())
    }

    /// The ids picked for these requests by a consistent-hash backend.
    fn picks(
        cfg: &BalancerConfig,
        servers: &[Srv],
        c: &mut Chash,
        keys: &[RequestKey<'_>],
    ) -> Vec<u32> {
        let sum = summary(servers);
        keys.iter()
            .map(|k| match request_hash(cfg, k) {
                Some(h) => c.get_server_hash(servers, &sum, h),
                None => c.get_next_server(servers, &sum),
            })
            .map(|i| i.map_or(0, |i| servers[i].id.0))
            .collect()
    }

    /// Picks on a fresh backend.
    fn fresh(
        balance: &str,
        hash_type: &str,
        spec: &[(u32, u32)],
        keys: &[RequestKey<'_>],
    ) -> Vec<u32> {
        let servers = servers(spec);
        let mut c = Chash::new();
        c.init(&servers, &summary(&servers));
        picks(&config(balance, hash_type), &servers, &mut c, keys)
    }

    /// Keys with only a request target.
    fn uri_keys<S: AsRef<str>>(uris: &[S]) -> Vec<RequestKey<'_>> {
        uris.iter()
            .map(|u| RequestKey::new().uri(u.as_ref().as_bytes()))
            .collect()
    }

    #[test]
    fn uri_consistent_default_ids_5_9_12() {
        let got = fresh(
            "uri",
            "consistent",
            &[(5, 1), (9, 2), (12, 1)],
            &uri_keys(&URIS.lines().collect::<Vec<_>>()),
        );
        let want = [
            5, 5, 9, 5, 12, 5, 9, 9, 9, 9, 12, 5, 5, 9, 12, 9, 12, 12, 12, 5, 12, 9, 5, 9, 9, 12,
            5, 5, 9, 5, 12, 9, 12, 5, 5, 5, 12, 9, 5, 5,
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn uri_whole_consistent_djb2() {
        let got = fresh(
            "uri whole",
            "consistent djb2",
            &[(5, 3), (9, 1), (12, 2)],
            &uri_keys(&URIS.lines().collect::<Vec<_>>()),
        );
        let want = [
            9, 5, 12, 12, 9, 5, 5, 12, 9, 12, 9, 12, 5, 9, 5, 5, 9, 5, 5, 5, 5, 5, 12, 12, 5, 5,
            12, 5, 12, 12, 12, 5, 5, 5, 9, 12, 5, 5, 12, 12,
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn uri_depth_len_consistent() {
        let got = fresh(
            "uri depth 2 len 10",
            "consistent",
            &[(1, 1), (2, 1), (3, 1)],
            &uri_keys(&URIS.lines().collect::<Vec<_>>()),
        );
        let want = [
            1, 2, 3, 2, 1, 2, 1, 1, 1, 3, 2, 2, 3, 1, 3, 1, 1, 2, 3, 2, 2, 3, 2, 2, 1, 1, 2, 1, 2,
            2, 3, 1, 1, 3, 3, 2, 2, 1, 2, 2,
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn url_param_consistent_wt6_avalanche() {
        let uris: Vec<String> = (1..=30)
            .map(|n| format!("/p?x=1&id=user{}", n * 37))
            .collect();
        let got = fresh(
            "url_param id",
            "consistent wt6 avalanche",
            &[(1, 1), (2, 1), (3, 1)],
            &uri_keys(&uris),
        );
        let want = [
            3, 2, 2, 2, 1, 3, 2, 1, 3, 1, 3, 1, 3, 1, 2, 1, 2, 1, 2, 1, 3, 2, 2, 3, 2, 1, 1, 3, 2,
            2,
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn url_param_in_post_body() {
        // curl -d 'a=b&id=vN' http://.../post
        let bodies: Vec<String> = (1..=20).map(|n| format!("a=b&id=v{n}")).collect();
        let keys: Vec<RequestKey<'_>> = bodies
            .iter()
            .map(|b| RequestKey::new().uri(b"/post").body(b.as_bytes()))
            .collect();
        let got = fresh(
            "url_param id check_post",
            "consistent",
            &[(1, 1), (2, 1), (3, 1)],
            &keys,
        );
        let want = [2, 2, 3, 1, 2, 2, 2, 1, 3, 3, 3, 1, 1, 3, 1, 3, 1, 1, 2, 1];
        assert_eq!(got, want);
    }

    #[test]
    fn hdr_host_use_domain_only_consistent_crc32() {
        let hosts: Vec<String> = (1..=30)
            .map(|n| format!("www.d{}x.example", n * 13))
            .collect();
        let keys: Vec<RequestKey<'_>> = hosts
            .iter()
            .map(|h| RequestKey::new().uri(b"/").header(h.as_bytes()))
            .collect();
        let got = fresh(
            "hdr(Host) use_domain_only",
            "consistent crc32",
            &[(1, 2), (2, 2), (3, 1)],
            &keys,
        );
        let want = [
            1, 2, 2, 3, 1, 1, 1, 3, 1, 3, 2, 3, 3, 2, 3, 2, 3, 3, 1, 1, 2, 1, 2, 1, 3, 1, 2, 2, 1,
            2,
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn source_consistent_loopback() {
        let keys = [RequestKey::new().src("127.0.0.1:40000".parse().unwrap())];
        let spec = [(1, 1), (2, 1), (3, 1), (4, 1), (5, 1)];
        assert_eq!(fresh("source", "consistent", &spec, &keys), [4]);
    }

    #[test]
    fn rdp_cookie_consistent() {
        let packets: Vec<Vec<u8>> = (1..=20)
            .map(|n| {
                let cookie = format!("Cookie: mstshash=user{}\r\n", n * 7);
                let neg = [1u8, 0, 8, 0, 3, 0, 0, 0];
                let total = 11 + cookie.len() + neg.len();
                let mut p = vec![
                    3,
                    0,
                    (total >> 8) as u8,
                    total as u8,
                    (total - 5) as u8,
                    0xe0,
                    0,
                    0,
                    0,
                    0,
                    0,
                ];
                p.extend_from_slice(cookie.as_bytes());
                p.extend_from_slice(&neg);
                p
            })
            .collect();
        let keys: Vec<RequestKey<'_>> = packets
            .iter()
            .map(|p| RequestKey::new().cookie(rdp_cookie(p, "mstshash").unwrap()))
            .collect();
        let got = fresh("rdp-cookie", "consistent", &[(1, 1), (2, 1), (3, 1)], &keys);
        let want = [1, 3, 3, 3, 1, 3, 3, 1, 2, 2, 1, 1, 1, 2, 2, 2, 1, 3, 1, 3];
        assert_eq!(got, want);
    }

    #[test]
    fn round_robin_fallback_and_runtime_changes() {
        // url_param id, hash-type consistent, s1 id 1 weight 1, s2 id 2
        // weight 2, s3 id 3 weight 1; "/none" has no parameter.
        let cfg = config("url_param id", "consistent");
        let mut servers = servers(&[(1, 1), (2, 2), (3, 1)]);
        let mut c = Chash::new();
        c.init(&servers, &summary(&servers));
        let none = uri_keys(&["/none"; 12]);
        let ks: Vec<String> = (1..=30).map(|n| format!("/p?id=k{n}")).collect();
        let ks = uri_keys(&ks);
        let step =
            |c: &mut Chash, servers: &[Srv], keys: &[RequestKey<'_>]| picks(&cfg, servers, c, keys);

        assert_eq!(
            step(&mut c, &servers, &none),
            [3, 3, 2, 1, 3, 1, 1, 2, 3, 1, 1, 1]
        );

        // disable server be/s2
        servers[1].state = ServerState::Down;
        c.set_server_down(&servers, &summary(&servers), 1);
        assert_eq!(
            step(&mut c, &servers, &ks[..12]),
            [3, 3, 3, 1, 3, 1, 3, 1, 3, 3, 1, 1]
        );
        assert_eq!(step(&mut c, &servers, &none[..6]), [3, 1, 3, 3, 3, 1]);

        // enable server be/s2; set weight be/s1 3 (past its 16 points)
        servers[1].state = ServerState::Up;
        c.set_server_up(&servers, &summary(&servers), 1);
        servers[0].uweight = 3;
        servers[0].eweight = 3 * BE_WEIGHT_SCALE;
        c.update_server_weight(&servers, &summary(&servers), 0);
        let want = [
            2, 1, 3, 1, 2, 1, 2, 1, 1, 3, 1, 1, 2, 1, 2, 1, 2, 1, 3, 1, 1, 1, 1, 1, 3, 1, 1, 2, 1,
            3,
        ];
        assert_eq!(step(&mut c, &servers, &ks), want);
        assert_eq!(step(&mut c, &servers, &none[..6]), [1, 2, 3, 1, 3, 1]);

        // set weight be/s3 0
        servers[2].uweight = 0;
        servers[2].eweight = 0;
        c.update_server_weight(&servers, &summary(&servers), 2);
        let want = [
            2, 1, 1, 1, 2, 1, 2, 1, 1, 2, 1, 1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2, 1,
            1,
        ];
        assert_eq!(step(&mut c, &servers, &ks), want);
    }
}
