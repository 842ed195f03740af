//! The `lblcr` scheduler (`net/netfilter/ipvs/ip_vs_lblcr.c`).

use super::algo::{Algo, Context};
use super::Dest;

/// State of the `lblcr` scheduler.
#[derive(Debug, Default)]
pub(crate) struct Lblcr {}

impl Lblcr {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Lblcr::default()
    }
}

impl Algo for Lblcr {
    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let _ = (cx, dests);
        todo!("ip_vs_lblcr")
    }
}
