//! The `rr` scheduler (`net/netfilter/ipvs/ip_vs_rr.c`).

use super::algo::{Algo, Context};
use super::Dest;

/// State of the `rr` scheduler.
#[derive(Debug, Default)]
pub(crate) struct Rr {}

impl Rr {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Rr::default()
    }
}

impl Algo for Rr {
    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let _ = (cx, dests);
        todo!("ip_vs_rr")
    }
}
