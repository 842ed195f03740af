//! The `ovf` scheduler (`net/netfilter/ipvs/ip_vs_ovf.c`).
//!
//! Weighted overflow: like `fo`, the highest-weight destination takes the
//! connections, but a destination whose active connections exceed its
//! weight (`activeconns > weight`, so it still takes one while they are
//! equal) is passed over, and the next highest weight gets the overflow.
//! Overloaded and weight-0 destinations are skipped; ties go to the first
//! in list order. The comparison is between C `int`s: an active count of
//! 2^31 or more reads as negative there, as it does here.

use super::algo::{Algo, Context};
use super::Dest;

/// State of the `ovf` scheduler (it has none).
#[derive(Debug, Default)]
pub(crate) struct Ovf {}

impl Ovf {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Ovf::default()
    }
}

/// True when `ip_vs_ovf_schedule()` passes the destination over.
fn passed_over(dest: &Dest) -> bool {
    dest.overloaded || dest.activeconns as i32 > dest.weight || dest.weight == 0
}

impl Algo for Ovf {
    fn schedule(&mut self, _cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        let mut best: Option<(usize, i32)> = None;
        for (at, dest) in dests.iter().enumerate() {
            if passed_over(dest) {
                continue;
            }
            if best.is_none_or(|(_, highest)| dest.weight > highest) {
                best = Some((at, dest.weight));
            }
        }
        best.map(|(at, _)| at)
    }
}

#[cfg(test)]
mod tests {
    use crate::ipvs::Scheduler;
    use crate::{PickError, RequestKey, ServerConfig, ServerId};

    /// An `ovf` scheduler with these (id, weight) added in order.
    fn ovf(servers: &[(u32, u32)]) -> Scheduler {
        super::super::testutil::service("ovf", servers)
    }

    /// Picks `n` times, opening a connection on each pick.
    fn picks_opening(s: &mut Scheduler, n: usize) -> Vec<Result<u32, PickError>> {
        (0..n)
            .map(|_| {
                let id = s.pick(&RequestKey::new())?;
                s.connection_opened(id).unwrap();
                Ok(id.0)
            })
            .collect()
    }

    #[test]
    fn overflows_once_active_exceeds_weight() {
        // ip_vs_ovf_schedule(): 1 (w 2) is the highest weight. It is
        // skipped only when activeconns > 2, so it takes 3 connections
        // (at 0, 1 and 2 active), then 2 (w 1) takes 2, then nothing.
        let mut s = ovf(&[(1, 2), (2, 1)]);
        let got = picks_opening(&mut s, 6);
        assert_eq!(
            got,
            [
                Ok(1),
                Ok(1),
                Ok(1),
                Ok(2),
                Ok(2),
                Err(PickError::Unavailable)
            ]
        );
        // A connection closes on 1: 2 active, not > 2, 1 takes it back.
        s.connection_closed(ServerId(1)).unwrap();
        assert_eq!(s.pick(&RequestKey::new()), Ok(ServerId(1)));
    }

    #[test]
    fn ties_go_to_the_head_of_the_list() {
        // List [3, 2, 1], 2 and 1 both weigh 4: strict `w > hw` keeps 2.
        let mut s = ovf(&[(1, 4), (2, 4), (3, 1)]);
        assert_eq!(s.pick(&RequestKey::new()), Ok(ServerId(2)));
        s.set_connections(ServerId(2), 5, 0).unwrap();
        assert_eq!(s.pick(&RequestKey::new()), Ok(ServerId(1)));
    }

    #[test]
    fn quiesced_and_overloaded_are_skipped() {
        let mut s = Scheduler::from_name("ovf").unwrap();
        s.add(ServerId(1), ServerConfig::new(1)).unwrap();
        s.add(ServerId(2), ServerConfig::new(9).thresholds(1, 0))
            .unwrap();
        s.add(ServerId(3), ServerConfig::new(0)).unwrap();
        // 3: weight 0 (activeconns 0 is not > 0, but w == 0 skips it).
        assert_eq!(s.pick(&RequestKey::new()), Ok(ServerId(2)));
        s.set_connections(ServerId(2), 0, 1).unwrap();
        assert_eq!(s.is_overloaded(ServerId(2)), Some(true));
        assert_eq!(s.pick(&RequestKey::new()), Ok(ServerId(1)));
    }

    #[test]
    fn empty_set() {
        let mut s = ovf(&[]);
        assert_eq!(s.pick(&RequestKey::new()), Err(PickError::Empty));
    }
}
