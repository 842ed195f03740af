//! A destination (real server) as the kernel's `struct ip_vs_dest` holds it.

use crate::ServerId;
use std::net::SocketAddr;

/// One destination of a service, with the fields the kernel's schedulers read.
#[derive(Clone, Debug)]
pub(crate) struct Dest {
    /// The caller's id for it.
    pub(crate) id: ServerId,
    /// `dest->addr` / `dest->port`.
    pub(crate) addr: Option<SocketAddr>,
    /// `dest->weight` (the kernel keeps an `atomic_t`, never negative here).
    pub(crate) weight: i32,
    /// `IP_VS_DEST_F_OVERLOAD`.
    pub(crate) overloaded: bool,
    /// `dest->activeconns`.
    pub(crate) activeconns: u32,
    /// `dest->inactconns`.
    pub(crate) inactconns: u32,
    /// `dest->u_threshold` (0 = none).
    pub(crate) u_threshold: u32,
    /// `dest->l_threshold` (0 = none).
    pub(crate) l_threshold: u32,
    /// The weight to restore when a drained destination comes back.
    pub(crate) drained_weight: Option<i32>,
}

impl Dest {
    /// `ip_vs_dest_totalconns()`: active plus inactive connections.
    pub(crate) fn totalconns(&self) -> u32 {
        self.activeconns.saturating_add(self.inactconns)
    }

    /// After a connection was bound (`ip_vs_bind_dest`): overload when the
    /// upper threshold is reached.
    pub(crate) fn after_bind(&mut self) {
        if self.u_threshold != 0 && self.totalconns() >= self.u_threshold {
            self.overloaded = true;
        }
    }

    /// After a connection was unbound (`ip_vs_unbind_dest`): clear the
    /// overload below the lower threshold, or below 3/4 of the upper one
    /// when no lower threshold is set.
    pub(crate) fn after_unbind(&mut self) {
        let total = u64::from(self.totalconns());
        if self.l_threshold != 0 {
            if total < u64::from(self.l_threshold) {
                self.overloaded = false;
            }
        } else if self.u_threshold != 0 {
            if total * 4 < u64::from(self.u_threshold) * 3 {
                self.overloaded = false;
            }
        } else {
            self.overloaded = false;
        }
    }
}
