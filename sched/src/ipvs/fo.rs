//! The `fo` scheduler (`net/netfilter/ipvs/ip_vs_fo.c`).

use super::algo::{Algo, Context};
use super::Dest;

/// State of the `fo` scheduler.
#[derive(Debug, Default)]
pub(crate) struct Fo {}

impl Fo {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Fo::default()
    }
}

impl Algo for Fo {
    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let _ = (cx, dests);
        todo!("ip_vs_fo")
    }
}
