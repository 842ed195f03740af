//! The `wlc` scheduler (`net/netfilter/ipvs/ip_vs_wlc.c`).

use super::algo::{Algo, Context};
use super::Dest;

/// State of the `wlc` scheduler.
#[derive(Debug, Default)]
pub(crate) struct Wlc {}

impl Wlc {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Wlc::default()
    }
}

impl Algo for Wlc {
    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let _ = (cx, dests);
        todo!("ip_vs_wlc")
    }
}
