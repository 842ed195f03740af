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
