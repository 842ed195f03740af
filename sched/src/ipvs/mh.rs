//! The `mh` scheduler (`net/netfilter/ipvs/ip_vs_mh.c`).

use super::algo::{Algo, Context};
use super::Dest;

/// State of the `mh` scheduler.
#[derive(Debug, Default)]
pub(crate) struct Mh {}

impl Mh {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Mh::default()
    }
}

impl Algo for Mh {
    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let _ = (cx, dests);
        todo!("ip_vs_mh")
    }
}
