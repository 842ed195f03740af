//! The `lblc` scheduler (`net/netfilter/ipvs/ip_vs_lblc.c`).

use super::algo::{Algo, Context};
use super::Dest;

/// State of the `lblc` scheduler.
#[derive(Debug, Default)]
pub(crate) struct Lblc {}

impl Lblc {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Lblc::default()
    }
}

impl Algo for Lblc {
    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let _ = (cx, dests);
        todo!("ip_vs_lblc")
    }
}
