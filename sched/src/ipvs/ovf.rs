//! The `ovf` scheduler (`net/netfilter/ipvs/ip_vs_ovf.c`).

use super::algo::{Algo, Context};
use super::Dest;

/// State of the `ovf` scheduler.
#[derive(Debug, Default)]
pub(crate) struct Ovf {}

impl Ovf {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Ovf::default()
    }
}

impl Algo for Ovf {
    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let _ = (cx, dests);
        todo!("ip_vs_ovf")
    }
}
