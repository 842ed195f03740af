//! HAProxy's `src/lb_fwlc.c`: fast weighted least connections
//! (`balance leastconn`).
//!
//! Usable servers sit in one tree per group, keyed by their load relative to
//! their weight: 0 when idle, else `(inflight + 1) * SRV_EWGHT_MAX /
//! eweight`. A server is repositioned (deleted and inserted again, thus
//! behind the servers of equal key) whenever its key changes, which makes
//! equally loaded servers take turns.

use super::grouptrees::GroupTrees;
use super::server::{LbSummary, Srv, SRV_EWGHT_MAX};

/// `lb_node.key` for a server with `inflight` connections (served plus
/// queued; nothing is queued here) and effective weight `eweight`.
pub(crate) fn fwlc_key(inflight: u32, eweight: u32) -> u32 {
    if inflight == 0 {
        return 0;
    }
    inflight.wrapping_add(1).wrapping_mul(SRV_EWGHT_MAX) / eweight.max(1)
}

/// `struct lb_fwlc` plus each server's `lb_tree`: servers keyed by load.
#[derive(Clone, Debug, Default)]
pub(crate) struct Fwlc(GroupTrees);

/// A server's key in the trees (`fwlc_queue_srv()`).
fn load_key(srv: &Srv) -> u32 {
    fwlc_key(srv.served, srv.eweight)
}

impl Fwlc {
    /// Empty trees.
    pub(crate) fn new() -> Self {
        Fwlc::default()
    }

    /// Sizes everything for `n` servers.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.0.reserve(n);
    }

    /// `fwlc_init_server_tree()`: every usable server is queued in list order.
    pub(crate) fn init(&mut self, servers: &[Srv]) {
        self.0.init(servers, load_key);
    }

    /// `fwlc_get_next_server()` with no server to avoid: the least loaded
    /// server that is not full, the oldest among equals.
    pub(crate) fn get_next_server(&self, servers: &[Srv], summary: &LbSummary) -> Option<usize> {
        self.0.get_next_server(servers, summary)
    }

    /// `fwlc_srv_reposition()`, run when a connection is taken or dropped:
    /// moves the server if its key changed.
    pub(crate) fn reposition(&mut self, servers: &[Srv], idx: usize) {
        let Some(srv) = servers.get(idx) else {
            return;
        };
        let key = load_key(srv);
        let Some(tree) = self.0.tree_of(idx) else {
            return;
        };
        if tree.key(idx) != Some(key) {
            tree.insert(idx, key);
        }
    }

    /// `fwlc_update_server_weight()` (and the up / down callbacks it
    /// defers to): `servers[idx]` holds the new state and weight.
    pub(crate) fn update_server(&mut self, servers: &[Srv], idx: usize, was_usable: bool) {
        self.0.update_server(servers, idx, was_usable, load_key);
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
                eweight: w * 16,
                backup: false,
                state: ServerState::Up,
                served: 0,
                maxconn: 0,
            })
            .collect()
    }

    #[test]
    fn key_formula() {
        // fwlc_queue_srv(): (inflight + 1) * SRV_EWGHT_MAX / eweight, 0 when idle.
        assert_eq!(fwlc_key(0, 16), 0);
        assert_eq!(fwlc_key(1, 16), 512);
        assert_eq!(fwlc_key(1, 32), 256);
        assert_eq!(fwlc_key(3, 48), 341);
    }

    #[test]
    fn idle_servers_take_turns_in_insertion_order() {
        // Every connection is held: s1 gets one (key 512, behind), then s2,
        // s3 (still idle, key 0, in list order), then the least key wins:
        // all at 512 in the order they were requeued.
        let mut servers = servers(&[1, 1, 1]);
        let mut lc = Fwlc::new();
        lc.init(&servers);
        let mut seq = Vec::new();
        for _ in 0..6 {
            let sum = LbSummary::recount(&servers, false);
            let Some(idx) = lc.get_next_server(&servers, &sum) else {
                break;
            };
            seq.push(servers[idx].id.0);
            servers[idx].served += 1;
            lc.reposition(&servers, idx);
        }
        assert_eq!(seq, vec![1, 2, 3, 1, 2, 3]);
    }

    #[test]
    fn a_closed_connection_brings_the_server_back_first() {
        let mut servers = servers(&[1, 1]);
        let mut lc = Fwlc::new();
        lc.init(&servers);
        for idx in [0, 1] {
            servers[idx].served = 1;
            lc.reposition(&servers, idx);
        }
        servers[1].served = 0;
        lc.reposition(&servers, 1);
        let sum = LbSummary::recount(&servers, false);
        assert_eq!(lc.get_next_server(&servers, &sum), Some(1));
    }

    #[test]
    fn full_servers_are_skipped() {
        // fwlc_get_next_server(): walks the tree past servers at maxconn.
        let mut servers = servers(&[1, 1]);
        servers[0].maxconn = 1;
        servers[0].served = 1;
        let mut lc = Fwlc::new();
        lc.init(&servers);
        let sum = LbSummary::recount(&servers, false);
        assert_eq!(lc.get_next_server(&servers, &sum), Some(1));
        servers[1].maxconn = 1;
        servers[1].served = 1;
        assert_eq!(lc.get_next_server(&servers, &sum), None);
    }
}
