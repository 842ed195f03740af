//! The `sed` scheduler (`net/netfilter/ipvs/ip_vs_sed.c`).

use super::algo::{Algo, Context};
use super::Dest;

/// State of the `sed` scheduler.
#[derive(Debug, Default)]
pub(crate) struct Sed {}

impl Sed {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Sed::default()
    }
}

impl Algo for Sed {
    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let _ = (cx, dests);
        todo!("ip_vs_sed")
    }
}
