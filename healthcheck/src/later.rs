//! Adding configured durations to instants without overflow.

use std::time::{Duration, Instant};

/// About 30 years: what "never" means for a timer.
const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 3600);

/// `at + d`, or as far ahead as the clock allows when a configured
/// duration is absurdly large (`Instant + Duration` would panic).
pub(crate) fn later(at: Instant, d: Duration) -> Instant {
    at.checked_add(d)
        .or_else(|| at.checked_add(FAR))
        .unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturates() {
        let t = Instant::now();
        assert_eq!(later(t, Duration::from_secs(1)), t + Duration::from_secs(1));
        assert!(later(t, Duration::MAX) > t + Duration::from_secs(3600));
    }
}
