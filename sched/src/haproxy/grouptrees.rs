//! The layout `lb_fas.c` and `lb_fwlc.c` share: one tree of usable servers
//! per group (active, backup), each server remembering which tree holds it
//! (`lb_tree`). The two algorithms differ only in the key a server is
//! queued under, which the caller passes in.

use super::server::ebtree::EbTree;
use super::server::{LbSummary, Srv};

/// Which tree a server's `lb_tree` points to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Place {
    /// `lb_tree == NULL`.
    #[default]
    Nowhere,
    /// The active servers' tree.
    Act,
    /// The backup servers' tree.
    Bck,
}

/// The active and backup trees plus each server's `lb_tree`.
#[derive(Clone, Debug, Default)]
pub(crate) struct GroupTrees {
    /// Active servers.
    act: EbTree,
    /// Backup servers.
    bck: EbTree,
    /// `lb_tree` by server index.
    place: Vec<Place>,
}

impl GroupTrees {
    /// Sizes everything for `n` servers.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.act.reserve(n);
        self.bck.reserve(n);
        if self.place.len() < n {
            self.place.resize(n, Place::Nowhere);
        }
    }

    /// `*_init_server_tree()`: every usable server queued in list order
    /// under `key(server)`.
    pub(crate) fn init(&mut self, servers: &[Srv], key: impl Fn(&Srv) -> u32) {
        self.reserve(servers.len());
        self.act.clear();
        self.bck.clear();
        for (idx, srv) in servers.iter().enumerate() {
            self.place[idx] = Place::Nowhere;
            if srv.usable() {
                self.queue(srv, idx, key(srv));
            }
        }
    }

    /// `*_get_next_server()` with no server to avoid: the first server of
    /// the group in use, in key order, that is not full.
    pub(crate) fn get_next_server(&self, servers: &[Srv], summary: &LbSummary) -> Option<usize> {
        let tree = if summary.srv_act > 0 {
            &self.act
        } else if summary.fbck.is_some() {
            return summary.fbck;
        } else if summary.srv_bck > 0 {
            &self.bck
        } else {
            return None;
        };
        tree.first_where(|idx| servers.get(idx).is_some_and(|s| !s.is_full()))
    }

    /// `*_update_server_weight()` and the up / down callbacks it defers
    /// to: `servers[idx]` holds the new state and weight, `key` its key.
    pub(crate) fn update_server(
        &mut self,
        servers: &[Srv],
        idx: usize,
        was_usable: bool,
        key: impl Fn(&Srv) -> u32,
    ) {
        let Some(srv) = servers.get(idx) else {
            return;
        };
        self.reserve(servers.len());
        match (was_usable, srv.usable()) {
            (false, false) => {}
            (false, true) | (true, true) => {
                self.dequeue(idx);
                self.queue(srv, idx, key(srv));
            }
            (true, false) => {
                self.dequeue(idx);
                self.place[idx] = Place::Nowhere;
            }
        }
    }

    /// The tree holding server `idx`, if any.
    pub(crate) fn tree_of(&mut self, idx: usize) -> Option<&mut EbTree> {
        match self.place.get(idx) {
            Some(Place::Act) => Some(&mut self.act),
            Some(Place::Bck) => Some(&mut self.bck),
            _ => None,
        }
    }

    /// `*_queue_srv()` into the server's group tree.
    fn queue(&mut self, srv: &Srv, idx: usize, key: u32) {
        if srv.backup {
            self.place[idx] = Place::Bck;
            self.bck.insert(idx, key);
        } else {
            self.place[idx] = Place::Act;
            self.act.insert(idx, key);
        }
    }

    /// `*_dequeue_srv()`.
    fn dequeue(&mut self, idx: usize) {
        if !self.act.remove(idx) {
            self.bck.remove(idx);
        }
    }
}
