//! HAProxy's `src/lb_map.c`: the server map of `static-rr` and of the
//! map-based hashes.
//!
//! The map has one slot per unit of total effective weight, filled by a
//! smooth weighted interleave in which earlier servers win ties. `static-rr`
//! walks it with a round-robin index; hashes pick `map[hash % tot_weight]`.
//! Weights are divided by their greatest common divisor to keep it small,
//! and the map is rebuilt (immediately, under the lock) whenever a server's
//! state or weight changes.

use super::server::{BackendWeight, LbSummary, Srv};

/// `struct lb_map` plus the `wscore` scratch of `recalc_server_map()`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Map {
    /// `map.srv`: server index per slot; only `..tot_weight` is meaningful.
    srv: Vec<Option<usize>>,
    /// `map.rr_idx`: next slot for round robin.
    rr_idx: i32,
    /// `wscore` by server index.
    wscore: Vec<u32>,
}

/// `init_server_map()`'s weight factor (`lbprm.wmult`): the greatest common
/// divisor of the user weights, from the first non-zero one on, in list
/// order (1 when all are zero).
pub(crate) fn weight_gcd<'a>(uweights: impl IntoIterator<Item = &'a u32>) -> u32 {
    let mut iter = uweights.into_iter().copied().skip_while(|&w| w == 0);
    let Some(mut gcd) = iter.next() else {
        return 1;
    };
    for mut w in iter {
        if gcd <= 1 {
            break;
        }
        while w != 0 {
            let t = gcd % w;
            gcd = w;
            w = t;
        }
    }
    gcd
}

impl Map {
    /// An empty map.
    pub(crate) fn new() -> Self {
        Map::default()
    }

    /// `init_server_map()` once weights are scaled: sizes the map for the
    /// heavier group (counting every server, usable or not), then fills it.
    pub(crate) fn init(&mut self, servers: &[Srv], summary: &LbSummary, bw: &BackendWeight) {
        let (mut act, mut bck) = (0u32, 0u32);
        for srv in servers {
            if srv.backup {
                bck = bck.wrapping_add(srv.eweight);
            } else {
                act = act.wrapping_add(srv.eweight);
            }
        }
        let size = act.max(bck).max(1) as usize;
        self.srv.clear();
        self.srv.resize(size, None);
        self.rr_idx = 0;
        self.recalc(servers, summary, bw);
    }

    /// `recalc_server_map()`: refills the first `tot_weight` slots with the
    /// servers of the group in use. Each round, every candidate adds its
    /// weight to its score and the first one with the highest
    /// `(score + tot) / tot` takes the slot and pays `tot`.
    pub(crate) fn recalc(&mut self, servers: &[Srv], summary: &LbSummary, bw: &BackendWeight) {
        if bw.tot_used == 0 {
            return;
        }
        let tot = bw.tot_weight;
        if tot == 0 {
            return;
        }
        let backup = summary.srv_act == 0;
        if self.srv.len() < tot as usize {
            self.srv.resize(tot as usize, None);
        }
        self.wscore.clear();
        self.wscore.resize(servers.len(), 0);
        for o in 0..tot as usize {
            let best = self.best_for_slot(servers, backup, tot);
            self.srv[o] = best;
            if let Some(b) = best {
                self.wscore[b] = self.wscore[b].wrapping_sub(tot);
            }
        }
    }

    /// One round of `recalc_server_map()`'s election (scores in `unsigned`
    /// arithmetic as in C).
    fn best_for_slot(&mut self, servers: &[Srv], backup: bool, tot: u32) -> Option<usize> {
        let mut best = None;
        let mut max = 0i32;
        for (idx, cur) in servers.iter().enumerate() {
            if cur.backup != backup || !cur.usable() {
                continue;
            }
            if tot == 1 {
                return Some(idx);
            }
            self.wscore[idx] = self.wscore[idx].wrapping_add(cur.eweight);
            let v = (self.wscore[idx].wrapping_add(tot) / tot) as i32;
            if best.is_none() || v > max {
                max = v;
                best = Some(idx);
            }
        }
        best
    }

    /// `map_get_server_rr()` with no server to avoid: the next slot whose
    /// server is not full, starting at `rr_idx`; `None` when every slot is
    /// full (the index then stays put).
    pub(crate) fn get_server_rr(&mut self, servers: &[Srv], bw: &BackendWeight) -> Option<usize> {
        let tot = bw.tot_weight as i32;
        if tot <= 0 {
            return None;
        }
        if self.rr_idx < 0 || self.rr_idx >= tot {
            self.rr_idx = 0;
        }
        let mut newidx = self.rr_idx;
        loop {
            let slot = self.srv.get(newidx as usize).copied().flatten();
            newidx += 1;
            if let Some(idx) = slot {
                if servers.get(idx).is_some_and(|s| !s.is_full()) {
                    self.rr_idx = newidx;
                    return Some(idx);
                }
            }
            if newidx == tot {
                newidx = 0;
            }
            if newidx == self.rr_idx {
                return None;
            }
        }
    }

    /// `map_get_server_hash()`: `map[hash % tot_weight]`, full or not.
    pub(crate) fn get_server_hash(&self, bw: &BackendWeight, hash: u32) -> Option<usize> {
        if bw.tot_weight == 0 {
            return None;
        }
        self.srv
            .get((hash % bw.tot_weight) as usize)
            .copied()
            .flatten()
    }

    /// The map's meaningful slots, as server indices (tests).
    #[cfg(test)]
    pub(crate) fn slots(&self, bw: &BackendWeight) -> Vec<Option<usize>> {
        self.srv
            .iter()
            .take(bw.tot_weight as usize)
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ServerId, ServerState};

    /// Servers with these (already scaled) effective weights and groups.
    fn servers(spec: &[(u32, bool)]) -> Vec<Srv> {
        spec.iter()
            .enumerate()
            .map(|(i, &(w, backup))| Srv {
                id: ServerId(i as u32 + 1),
                uweight: w,
                eweight: w,
                backup,
                state: ServerState::Up,
                served: 0,
                maxconn: 0,
            })
            .collect()
    }

    /// A map built for these servers, with its backend weight.
    fn built(servers: &[Srv]) -> (Map, BackendWeight) {
        let sum = LbSummary::recount(servers, false);
        let bw = sum.backend_weight(servers);
        let mut map = Map::new();
        map.init(servers, &sum, &bw);
        (map, bw)
    }

    #[test]
    fn weights_1_2_3_map_order() {
        // recalc_server_map() by hand, tot = 6, v = (wscore + 6) / 6:
        // o0: s1 1->1, s2 2->1, s3 3->1 : s1 (first of equals), s1 -5
        // o1: s1 -4->0, s2 4->1, s3 6->2: s3, s3 0
        // o2: s1 -3->0, s2 6->2, s3 3->1: s2, s2 0
        // o3: s1 -2->0, s2 2->1, s3 6->2: s3, s3 0
        // o4: s1 -1->0, s2 4->1, s3 3->1: s2, s2 -2
        // o5: s1 0->1, s2 0->1, s3 6->2 : s3
        let servers = servers(&[(1, false), (2, false), (3, false)]);
        let (map, bw) = built(&servers);
        assert_eq!(
            map.slots(&bw),
            vec![Some(0), Some(2), Some(1), Some(2), Some(1), Some(2)]
        );
    }

    #[test]
    fn round_robin_walks_the_map_and_skips_full_servers() {
        // map_get_server_rr(): rr_idx moves past the chosen slot.
        let mut servers = servers(&[(1, false), (2, false), (3, false)]);
        let (mut map, bw) = built(&servers);
        let mut seq = Vec::new();
        for _ in 0..8 {
            seq.extend(map.get_server_rr(&servers, &bw));
        }
        assert_eq!(seq, vec![0, 2, 1, 2, 1, 2, 0, 2]);
        servers[2].maxconn = 1;
        servers[2].served = 1;
        // rr_idx is 2: slot 2 is s2, then slots 3 (s3, full) -> 4 (s2)
        assert_eq!(map.get_server_rr(&servers, &bw), Some(1));
        assert_eq!(map.get_server_rr(&servers, &bw), Some(1));
        assert_eq!(map.get_server_rr(&servers, &bw), Some(0));
    }

    #[test]
    fn hash_takes_the_slot_modulo_total_weight() {
        let servers = servers(&[(1, false), (2, false), (3, false)]);
        let (map, bw) = built(&servers);
        assert_eq!(map.get_server_hash(&bw, 7), Some(2)); // slot 1
        assert_eq!(map.get_server_hash(&bw, 4), Some(1)); // slot 4
    }

    #[test]
    fn first_backup_map_may_hold_other_backups() {
        // Without allbackups tot_weight is fbck's weight, but the election
        // runs among all usable backups: backups of weight 2 and 2 give
        // [b1, b2] (o1: b1 2->2, b2 4->3).
        let mut servers = servers(&[(1, false), (2, true), (2, true)]);
        servers[0].state = ServerState::Down;
        let (map, bw) = built(&servers);
        assert_eq!(bw.tot_weight, 2);
        assert_eq!(map.slots(&bw), vec![Some(1), Some(2)]);
    }

    #[test]
    fn gcd_of_user_weights() {
        // init_server_map(): Euclid from the first non-zero weight.
        assert_eq!(weight_gcd(&[0, 4, 6, 0, 10]), 2);
        assert_eq!(weight_gcd(&[3, 5]), 1);
        assert_eq!(weight_gcd(&[0, 0]), 1);
        assert_eq!(weight_gcd(&[256]), 256);
    }
}
