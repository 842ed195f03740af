//! The interface every IPVS scheduler module implements: the kernel's
//! `struct ip_vs_scheduler` callbacks, over the service's destination list.

use super::{Dest, SchedFlags};
use crate::{RandomSource, RequestKey};

/// What `schedule` may use besides the destination list.
pub(crate) struct Context<'a, 'k> {
    /// The packet's addresses, protocol, time.
    pub(crate) key: &'a RequestKey<'k>,
    /// The service's scheduler flags (`sh-fallback`, `sh-port`, ...).
    pub(crate) flags: SchedFlags,
    /// Randomness (`twos`).
    pub(crate) rng: &'a mut dyn RandomSource,
}

/// One IPVS scheduler. `dests` is always the service's list in the kernel's
/// order (`svc->destinations`: a new destination is inserted at the head).
pub(crate) trait Algo: Send {
    /// `init_service`: the scheduler is bound to a service with these destinations.
    fn init(&mut self, dests: &[Dest]) {
        let _ = dests;
    }

    /// `add_dest`: `dests[added]` was just linked into the list.
    fn add_dest(&mut self, dests: &[Dest], added: usize) {
        let _ = (dests, added);
    }

    /// `del_dest`: `removed` was just unlinked; it stood at `removed_at`.
    fn del_dest(&mut self, dests: &[Dest], removed: &Dest, removed_at: usize) {
        let _ = (dests, removed, removed_at);
    }

    /// `upd_dest`: `dests[updated]` changed its weight or thresholds.
    fn upd_dest(&mut self, dests: &[Dest], updated: usize) {
        let _ = (dests, updated);
    }

    /// Not a kernel callback: `dests[at]` changed its connection counters or
    /// overload flag (the kernel's schedulers read those live at each pick;
    /// a scheduler that caches rankings refreshes them here).
    fn conns_changed(&mut self, dests: &[Dest], at: usize) {
        let _ = (dests, at);
    }

    /// `schedule`: the index of the chosen destination, or `None` when the
    /// kernel would find none ("no destination available").
    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize>;
}
