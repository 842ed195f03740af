//! The engine's live counters: one [`Counters`] per frontend, backend and
//! server, bumped with relaxed atomics where the engine already accounts
//! for a session, a request or a response, and read by the reports.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one frontend, backend or server (each uses those that
/// apply to it).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Cumulated sessions (`stot`).
    pub(crate) stot: AtomicU64,
    /// Highest concurrent sessions seen (`smax`).
    pub(crate) smax: AtomicU64,
    /// Bytes from clients (`bin`).
    pub(crate) bytes_in: AtomicU64,
    /// Bytes to clients (`bout`).
    pub(crate) bytes_out: AtomicU64,
    /// HTTP requests (`req_tot`).
    pub(crate) req_tot: AtomicU64,
    /// HTTP responses by class: 1xx..5xx, other (`hrsp_*`).
    pub(crate) hrsp: [AtomicU64; 6],
    /// Requests denied by rules (`dreq`).
    pub(crate) denied_req: AtomicU64,
    /// Connections denied by `tcp-request connection` (`dcon`).
    pub(crate) denied_conn: AtomicU64,
    /// Request errors (`ereq`).
    pub(crate) errors_req: AtomicU64,
    /// Failed connections to servers (`econ`).
    pub(crate) errors_conn: AtomicU64,
    /// Response errors (`eresp`).
    pub(crate) errors_resp: AtomicU64,
    /// Connection retries (`wretr`).
    pub(crate) retries: AtomicU64,
    /// Redispatches (`wredis`).
    pub(crate) redispatches: AtomicU64,
    /// Times picked by the balancing algorithm (`lbtot`).
    pub(crate) lbtot: AtomicU64,
}

/// Adds one, relaxed.
pub(crate) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// Reads, relaxed.
pub(crate) fn get(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

/// The `hrsp_*` slot of a status code: 1xx..5xx at 0..4, anything else 5.
pub(crate) fn status_class(status: u16) -> usize {
    match status {
        100..=599 => usize::from(status / 100 - 1),
        _ => 5,
    }
}

impl Counters {
    /// A new session; `current` is the number open now, itself included.
    pub(crate) fn session(&self, current: u64) {
        bump(&self.stot);
        self.smax.fetch_max(current, Ordering::Relaxed);
    }

    /// A response with this status sent for an HTTP request.
    pub(crate) fn response(&self, status: u16) {
        bump(&self.hrsp[status_class(status)]);
    }

    /// Bytes moved for a finished exchange.
    pub(crate) fn bytes(&self, from_client: u64, to_client: u64) {
        if from_client > 0 {
            self.bytes_in.fetch_add(from_client, Ordering::Relaxed);
        }
        if to_client > 0 {
            self.bytes_out.fetch_add(to_client, Ordering::Relaxed);
        }
    }

    /// The `hrsp_*` figures.
    pub(crate) fn hrsp(&self) -> [u64; 6] {
        std::array::from_fn(|i| get(&self.hrsp[i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_fall_in_haproxy_classes() {
        assert_eq!(status_class(101), 0);
        assert_eq!(status_class(200), 1);
        assert_eq!(status_class(302), 2);
        assert_eq!(status_class(404), 3);
        assert_eq!(status_class(503), 4);
        assert_eq!(status_class(99), 5);
        assert_eq!(status_class(600), 5);
    }

    #[test]
    fn sessions_keep_the_highest_concurrency() {
        let c = Counters::default();
        c.session(1);
        c.session(3);
        c.session(2);
        assert_eq!((get(&c.stot), get(&c.smax)), (3, 3));
        c.response(200);
        c.response(204);
        c.response(503);
        assert_eq!(c.hrsp(), [0, 2, 0, 0, 1, 0]);
    }
}
