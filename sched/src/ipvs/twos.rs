//! The `twos` scheduler (`net/netfilter/ipvs/ip_vs_twos.c`).

use super::algo::{Algo, Context};
use super::Dest;

/// State of the `twos` scheduler.
#[derive(Debug, Default)]
pub(crate) struct Twos {}

impl Twos {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Twos::default()
    }
}

impl Algo for Twos {
    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let _ = (cx, dests);
        todo!("ip_vs_twos")
    }
}
