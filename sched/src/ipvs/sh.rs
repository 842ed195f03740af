//! The `sh` scheduler (`net/netfilter/ipvs/ip_vs_sh.c`).

use super::algo::{Algo, Context};
use super::Dest;

/// State of the `sh` scheduler.
#[derive(Debug, Default)]
pub(crate) struct Sh {}

impl Sh {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Sh::default()
    }
}

impl Algo for Sh {
    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let _ = (cx, dests);
        todo!("ip_vs_sh")
    }
}
