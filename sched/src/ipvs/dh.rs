//! The `dh` scheduler (`net/netfilter/ipvs/ip_vs_dh.c`).

use super::algo::{Algo, Context};
use super::Dest;

/// State of the `dh` scheduler.
#[derive(Debug, Default)]
pub(crate) struct Dh {}

impl Dh {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Dh::default()
    }
}

impl Algo for Dh {
    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let _ = (cx, dests);
        todo!("ip_vs_dh")
    }
}
