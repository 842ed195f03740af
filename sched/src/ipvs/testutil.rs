//! Helpers shared by the schedulers' unit tests.

use super::Scheduler;
use crate::{RequestKey, ServerConfig, ServerId};

/// A service with scheduler `name` and these (id, weight) destinations,
/// added in order (so the last one heads the kernel's list).
pub(super) fn service(name: &str, servers: &[(u32, u32)]) -> Scheduler {
    let mut s = Scheduler::from_name(name).unwrap();
    for &(id, w) in servers {
        s.add(ServerId(id), ServerConfig::new(w)).unwrap();
    }
    s
}

/// Picks `n` times, opening a connection on each pick.
pub(super) fn picks_opening(s: &mut Scheduler, n: usize) -> Vec<u32> {
    (0..n)
        .map(|_| {
            let id = s.pick(&RequestKey::new()).unwrap();
            s.connection_opened(id).unwrap();
            id.0
        })
        .collect()
}
