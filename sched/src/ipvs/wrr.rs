//! The `wrr` scheduler (`net/netfilter/ipvs/ip_vs_wrr.c`).

use super::algo::{Algo, Context};
use super::Dest;

/// State of the `wrr` scheduler.
#[derive(Debug, Default)]
pub(crate) struct Wrr {}

impl Wrr {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Wrr::default()
    }
}

impl Algo for Wrr {
    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let _ = (cx, dests);
        todo!("ip_vs_wrr")
    }
}
