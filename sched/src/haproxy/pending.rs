//! TEMPORARY stand-ins for the hashing side (`key.rs`, `chash.rs`), which is
//! written on another branch.
//!
//! These are NOT implementations: `request_hash` finds nothing and the
//! consistent-hash structure holds nothing, so a backend using a hash or
//! `random` falls back or finds no server. They only fix the interface the
//! balancer calls. When the hashing branch is merged, `balancer.rs` switches
//! its two `use pending::...` lines to `super::key::request_hash` and
//! `super::chash::Chash`, and this file is deleted.

use crate::haproxy::server::{LbSummary, Srv};
use crate::haproxy::BalancerConfig;
use crate::{RandomSource, RequestKey};

/// Stand-in for `super::key::request_hash`: the request's final hash for the
/// configured algorithm, `None` when the request lacks what is hashed.
pub(crate) fn request_hash(cfg: &BalancerConfig, key: &RequestKey<'_>) -> Option<u32> {
    let _ = (cfg, key);
    None
}

/// Stand-in for `super::chash::Chash` (`lb_chash.c`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Chash;

impl Chash {
    /// Empty trees.
    pub(crate) fn new() -> Self {
        Chash
    }

    /// `chash_init_server_tree()`.
    pub(crate) fn init(&mut self, servers: &[Srv], summary: &LbSummary) {
        let _ = (servers, summary);
    }

    /// `chash_set_server_status_up()`.
    pub(crate) fn set_server_up(&mut self, servers: &[Srv], summary: &LbSummary, idx: usize) {
        let _ = (servers, summary, idx);
    }

    /// `chash_set_server_status_down()`.
    pub(crate) fn set_server_down(&mut self, servers: &[Srv], summary: &LbSummary, idx: usize) {
        let _ = (servers, summary, idx);
    }

    /// `chash_update_server_weight()`.
    pub(crate) fn update_server_weight(
        &mut self,
        servers: &[Srv],
        summary: &LbSummary,
        idx: usize,
    ) {
        let _ = (servers, summary, idx);
    }

    /// `chash_get_server_hash()`.
    pub(crate) fn get_server_hash(
        &mut self,
        servers: &[Srv],
        summary: &LbSummary,
        hash: u32,
    ) -> Option<usize> {
        let _ = (servers, summary, hash);
        None
    }

    /// `chash_get_next_server()`.
    pub(crate) fn get_next_server(
        &mut self,
        servers: &[Srv],
        summary: &LbSummary,
    ) -> Option<usize> {
        let _ = (servers, summary);
        None
    }

    /// `get_server_rnd()`'s draws.
    pub(crate) fn random(
        &mut self,
        servers: &[Srv],
        summary: &LbSummary,
        draws: u32,
        rng: &mut dyn RandomSource,
    ) -> Option<usize> {
        let _ = (servers, summary, draws, rng);
        None
    }
}
