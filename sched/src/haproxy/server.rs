//! A server as HAProxy's load-balancing code sees it.

use crate::{ServerId, ServerState};

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
    /// `maxconn` (0 = unlimited).
    pub(crate) maxconn: u32,
}

impl Srv {
    /// `srv_currently_usable()`: running (or starting) with a non-zero weight.
    pub(crate) fn usable(&self) -> bool {
        self.state == ServerState::Up && self.eweight > 0
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
