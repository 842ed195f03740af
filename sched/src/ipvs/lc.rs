//! The `lc` scheduler (`net/netfilter/ipvs/ip_vs_lc.c`).

use super::algo::{Algo, Context};
use super::Dest;

/// State of the `lc` scheduler.
#[derive(Debug, Default)]
pub(crate) struct Lc {}

impl Lc {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Lc::default()
    }
}

impl Algo for Lc {
    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let _ = (cx, dests);
        todo!("ip_vs_lc")
    }
}
