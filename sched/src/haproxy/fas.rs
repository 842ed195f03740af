//! HAProxy's `src/lb_fas.c`: first available server (`balance first`).
//!
//! Usable servers sit in one tree per group keyed by their numeric id
//! (`puid`); a pick walks it from the lowest id and takes the first server
//! below its connection limit. Weights only decide whether a server is
//! usable. `fas_srv_reposition()`, run on every connection, requeues a
//! server under its own key; ids being unique in a tree, that changes
//! nothing and is skipped.

use super::grouptrees::GroupTrees;
use super::server::{LbSummary, Srv};

/// `struct lb_fas` plus each server's `lb_tree`: servers keyed by id.
#[derive(Clone, Debug, Default)]
pub(crate) struct Fas(GroupTrees);

/// A server's key in the trees: its numeric id (`puid`).
fn id_key(srv: &Srv) -> u32 {
    srv.id.0
}

impl Fas {
    /// Empty trees.
    pub(crate) fn new() -> Self {
        Fas::default()
    }

    /// Sizes everything for `n` servers.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.0.reserve(n);
    }

    /// `fas_init_server_tree()`.
    pub(crate) fn init(&mut self, servers: &[Srv]) {
        self.0.init(servers, id_key);
    }

    /// `fas_get_next_server()` with no server to avoid: the lowest id whose
    /// server is not full.
    pub(crate) fn get_next_server(&self, servers: &[Srv], summary: &LbSummary) -> Option<usize> {
        self.0.get_next_server(servers, summary)
    }

    /// `fas_update_server_weight()` and the up / down callbacks it defers
    /// to: `servers[idx]` holds the new state and weight.
    pub(crate) fn update_server(&mut self, servers: &[Srv], idx: usize, was_usable: bool) {
        self.0.update_server(servers, idx, was_usable, id_key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ServerId, ServerState};

    /// Usable active servers with these ids, in this list order, maxconn 2.
    fn servers(ids: &[u32]) -> Vec<Srv> {
        ids.iter()
            .map(|&id| Srv {
                id: ServerId(id),
                uweight: 1,
                eweight: 16,
                backup: false,
                state: ServerState::Up,
                served: 0,
                maxconn: 2,
            })
            .collect()
    }

    #[test]
    fn fills_servers_by_id_up_to_maxconn() {
        // fas_get_next_server(): lowest puid first, full servers skipped,
        // whatever the declaration order.
        let mut servers = servers(&[7, 3, 5]);
        let mut fas = Fas::new();
        fas.init(&servers);
        let mut seq = Vec::new();
        for _ in 0..7 {
            let sum = LbSummary::recount(&servers, false);
            let Some(idx) = fas.get_next_server(&servers, &sum) else {
                break;
            };
            seq.push(servers[idx].id.0);
            // fas_srv_reposition() requeues under the same unique key:
            // the walk cannot change, so the balancer skips it
            servers[idx].served += 1;
        }
        assert_eq!(seq, vec![3, 3, 5, 5, 7, 7]);
    }

    #[test]
    fn a_down_server_leaves_the_tree() {
        let mut servers = servers(&[1, 2]);
        let mut fas = Fas::new();
        fas.init(&servers);
        servers[0].state = ServerState::Down;
        fas.update_server(&servers, 0, true);
        let sum = LbSummary::recount(&servers, false);
        assert_eq!(fas.get_next_server(&servers, &sum), Some(1));
    }
}
