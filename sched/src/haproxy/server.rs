//! A server as HAProxy's load-balancing code sees it.
//!
//! # Server indices
//!
//! The balancer keeps its servers in a `Vec<Srv>` in HAProxy's list order
//! (`p->srv`: declaration order, runtime additions at the tail). The lookup
//! structures (trees, map, consistent-hash ring) hold **indices** into that
//! vector, and those indices never change: a server is never moved, and a
//! removed server stays in place as a tombstone whose state is
//! [`ServerState::Down`], so [`Srv::usable`] is false and no structure holds
//! it any more. Its id may be added again; it then gets a new index.

#[path = "ebtree.rs"]
pub(crate) mod ebtree;

use crate::{ServerId, ServerState};

/// `BE_WEIGHT_SCALE`: effective weights of the dynamic algorithms are user
/// weights times this scale (`lbprm.wdiv`), so that slow starts can ramp
/// them in small steps.
pub(crate) const BE_WEIGHT_SCALE: u32 = 16;

/// `SRV_UWGHT_RANGE`: the number of user weight values.
pub(crate) const SRV_UWGHT_RANGE: u32 = 256;

/// `SRV_EWGHT_MAX`: the largest effective weight.
pub(crate) const SRV_EWGHT_MAX: u32 = SRV_UWGHT_RANGE * BE_WEIGHT_SCALE;

/// One server of the backend: the fields of HAProxy's `struct server` that
/// the `lb_*.c` files read.
#[derive(Clone, Debug)]
pub(crate) struct Srv {
    /// `puid`: the numeric server id.
    pub(crate) id: ServerId,
    /// `uweight`: the configured (user) weight.
    pub(crate) uweight: u32,
    /// `cur_eweight`: the effective weight, scaled by the algorithm.
    pub(crate) eweight: u32,
    /// `SRV_F_BACKUP`.
    pub(crate) backup: bool,
    /// Up, down or drained.
    pub(crate) state: ServerState,
    /// `served`: connections currently assigned.
    pub(crate) served: u32,
    /// `srv_dynamic_maxconn()`: the connection limit in force (0 =
    /// unlimited). It is the configured `maxconn`, lowered during a slow
    /// start; it is 0 exactly when no `maxconn` is configured.
    pub(crate) maxconn: u32,
}

impl Srv {
    /// `srv_currently_usable()`: running (or starting) with a non-zero weight.
    pub(crate) fn usable(&self) -> bool {
        self.state == ServerState::Up && self.eweight > 0
    }

    /// Whether the server has reached its connection limit: the negation of
    /// `!srv->maxconn || srv->served < srv_dynamic_maxconn(srv)`, which the
    /// lookups test (there is no per-server queue here).
    pub(crate) fn is_full(&self) -> bool {
        self.maxconn != 0 && self.served >= self.maxconn
    }
}

/// What HAProxy's `recount_servers()` derives from the server list, which
/// every lookup consults to choose between active and backup servers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct LbSummary {
    /// `srv_act`: usable active servers.
    pub(crate) srv_act: u32,
    /// `srv_bck`: usable backup servers.
    pub(crate) srv_bck: u32,
    /// `tot_wact`: sum of the usable active servers' effective weights.
    pub(crate) tot_wact: u32,
    /// `tot_wbck`: sum of the usable backup servers' effective weights.
    pub(crate) tot_wbck: u32,
    /// `lbprm.fbck`: index of the first usable backup server, set only when
    /// `option allbackups` is off.
    pub(crate) fbck: Option<usize>,
}

impl LbSummary {
    /// `recount_servers()`: counts the usable servers of each group in list
    /// order; the first usable backup is `fbck` unless `allbackups`.
    ///
    /// The `lb_*.c` callbacks maintain these numbers incrementally; the
    /// result is the same as this full recount (the first usable backup in
    /// list order is what their `fbck` updates preserve).
    pub(crate) fn recount(servers: &[Srv], allbackups: bool) -> LbSummary {
        let mut sum = LbSummary::default();
        for (idx, srv) in servers.iter().enumerate() {
            if !srv.usable() {
                continue;
            }
            if srv.backup {
                if sum.srv_bck == 0 && !allbackups {
                    sum.fbck = Some(idx);
                }
                sum.srv_bck += 1;
                sum.tot_wbck = sum.tot_wbck.wrapping_add(srv.eweight);
            } else {
                sum.srv_act += 1;
                sum.tot_wact = sum.tot_wact.wrapping_add(srv.eweight);
            }
        }
        sum
    }

    /// `update_backend_weight()`: the weight and server count the lookups
    /// work with: the active servers if any, else the first backup alone,
    /// else all backups.
    pub(crate) fn backend_weight(&self, servers: &[Srv]) -> BackendWeight {
        if self.srv_act > 0 {
            BackendWeight {
                tot_weight: self.tot_wact,
                tot_used: self.srv_act,
            }
        } else if let Some(fbck) = self.fbck {
            BackendWeight {
                tot_weight: servers.get(fbck).map_or(0, |s| s.eweight),
                tot_used: 1,
            }
        } else {
            BackendWeight {
                tot_weight: self.tot_wbck,
                tot_used: self.srv_bck,
            }
        }
    }
}

/// `lbprm.tot_weight` and `lbprm.tot_used`, as `update_backend_weight()`
/// sets them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct BackendWeight {
    /// `tot_weight`: total effective weight of the servers in use; 0 means
    /// no server can be picked.
    pub(crate) tot_weight: u32,
    /// `tot_used`: number of servers in use.
    pub(crate) tot_used: u32,
}

/// The effective weight HAProxy derives from a user weight:
/// `(uweight * w + wmult - 1) / wmult`, where `w` is `lbprm.wdiv` (or less
/// during a slow start).
pub(crate) fn scale_weight(uweight: u32, w: u32, wmult: u32) -> u32 {
    let wmult = wmult.max(1);
    uweight.wrapping_mul(w).wrapping_add(wmult - 1) / wmult
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A usable server with this id, group and effective weight.
    fn srv(id: u32, backup: bool, eweight: u32) -> Srv {
        Srv {
            id: ServerId(id),
            uweight: eweight,
            eweight,
            backup,
            state: ServerState::Up,
            served: 0,
            maxconn: 0,
        }
    }

    #[test]
    fn recount_takes_the_first_usable_backup_in_list_order() {
        // recount_servers(): fbck is the first usable backup met in the list.
        let mut servers = vec![
            srv(1, false, 16),
            srv(5, true, 32),
            srv(2, true, 16),
            srv(3, false, 48),
        ];
        servers[1].state = ServerState::Drain;
        let sum = LbSummary::recount(&servers, false);
        assert_eq!(
            sum,
            LbSummary {
                srv_act: 2,
                srv_bck: 1,
                tot_wact: 64,
                tot_wbck: 16,
                fbck: Some(2),
            }
        );
        assert_eq!(LbSummary::recount(&servers, true).fbck, None);
    }

    #[test]
    fn backend_weight_uses_only_the_first_backup() {
        // update_backend_weight(): no active server -> fbck's weight alone.
        let mut servers = vec![srv(1, false, 16), srv(2, true, 32), srv(3, true, 16)];
        servers[0].state = ServerState::Down;
        let sum = LbSummary::recount(&servers, false);
        assert_eq!(
            sum.backend_weight(&servers),
            BackendWeight {
                tot_weight: 32,
                tot_used: 1
            }
        );
        let all = LbSummary::recount(&servers, true);
        assert_eq!(
            all.backend_weight(&servers),
            BackendWeight {
                tot_weight: 48,
                tot_used: 2
            }
        );
    }

    #[test]
    fn scale_weight_rounds_up() {
        // init_server_map(): weight 3 with gcd 2 -> (3 + 1) / 2 = 2.
        assert_eq!(scale_weight(3, 1, 2), 2);
        assert_eq!(scale_weight(1, BE_WEIGHT_SCALE, 1), 16);
        assert_eq!(scale_weight(0, BE_WEIGHT_SCALE, 1), 0);
    }

    #[test]
    fn a_full_server_has_reached_its_limit() {
        let mut s = srv(1, false, 16);
        assert!(!s.is_full());
        s.maxconn = 2;
        s.served = 2;
        assert!(s.is_full());
        s.served = 1;
        assert!(!s.is_full());
    }
}
