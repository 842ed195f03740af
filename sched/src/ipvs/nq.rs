//! The `nq` scheduler (`net/netfilter/ipvs/ip_vs_nq.c`).

use super::algo::{Algo, Context};
use super::Dest;

/// State of the `nq` scheduler.
#[derive(Debug, Default)]
pub(crate) struct Nq {}

impl Nq {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Nq::default()
    }
}

impl Algo for Nq {
    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let _ = (cx, dests);
        todo!("ip_vs_nq")
    }
}
