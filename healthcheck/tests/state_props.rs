//! Property tests of the state machines: no flapping faster than
//! rise/fall/retry allow, and quorum hysteresis.

use std::time::{Duration, Instant};

use lbkit_healthcheck::haproxy::{Config, Server};
use lbkit_healthcheck::keepalived::{
    Checker, CheckerChange, CheckerConfig, RealServerConfig, VirtualServer, VirtualServerConfig,
};
use lbkit_healthcheck::{CheckResult, Status, TransitionKind};
use proptest::prelude::*;

fn result(ok: bool) -> CheckResult {
    let status = if ok { Status::L4Ok } else { Status::L4Con };
    CheckResult::new(status, Duration::ZERO)
}

proptest! {
    /// An UP needs `rise` consecutive successes; a DOWN needs `fall`
    /// consecutive failures once the server has been fully up (before the
    /// first success, HAProxy's boot health makes one failure enough).
    #[test]
    fn haproxy_no_flapping(rise in 1u32..6, fall in 1u32..6, results in prop::collection::vec(any::<bool>(), 0..200)) {
        let t = Instant::now();
        let cfg = Config { rise, fall, ..Config::default() };
        let mut s = Server::new(cfg, t, t);
        let (mut run_ok, mut run_fail) = (0u32, 0u32);
        let mut was_fully_up = false;
        let mut up = true;
        for ok in results {
            if ok { run_ok += 1; run_fail = 0; } else { run_fail += 1; run_ok = 0; }
            for tr in s.on_check(t, &result(ok), 0) {
                match tr.kind {
                    TransitionKind::Up => {
                        prop_assert!(!up);
                        prop_assert!(run_ok >= rise, "up after {run_ok} < {rise}");
                        up = true;
                    }
                    TransitionKind::Down => {
                        prop_assert!(up);
                        if was_fully_up {
                            prop_assert!(run_fail >= fall, "down after {run_fail} < {fall}");
                        } else {
                            prop_assert!(run_fail >= 1);
                        }
                        up = false;
                    }
                    TransitionKind::Weight { .. } => {}
                    other => prop_assert!(false, "unexpected {other:?}"),
                }
            }
            if ok && up { was_fully_up = true; }
            prop_assert_eq!(s.is_up(), up);
        }
    }

    /// keepalived: a checker goes down at its very first result when that
    /// fails, else only after `retry + 1` consecutive failures; up at the
    /// first success.
    #[test]
    fn keepalived_retry_bound(retry in 0u32..5, alpha: bool, results in prop::collection::vec(any::<bool>(), 0..200)) {
        let t = Instant::now();
        let cfg = CheckerConfig { retry, alpha, ..CheckerConfig::default() };
        let mut c = Checker::new(cfg, t, 0);
        let mut run_fail = 0u32;
        for (n, ok) in results.into_iter().enumerate() {
            let before = c.is_up();
            if ok { run_fail = 0 } else { run_fail += 1 }
            match c.on_result(t, ok) {
                CheckerChange::Down => prop_assert!((n == 0 || run_fail > retry) && before),
                CheckerChange::Up => prop_assert!(ok && !before),
                CheckerChange::None => {}
            }
        }
    }

    /// Quorum state only changes across the hysteresis band: lost only
    /// below `quorum - hysteresis`, gained only at `quorum + hysteresis`.
    #[test]
    fn quorum_hysteresis(
        weights in prop::collection::vec(1u32..10, 1..8),
        quorum in 1u32..40,
        hysteresis in 0u32..10,
        steps in prop::collection::vec((any::<prop::sample::Index>(), any::<bool>()), 0..100),
    ) {
        let t = Instant::now();
        let checker = CheckerConfig { retry: 0, ..CheckerConfig::default() };
        let servers = weights.iter().map(|&w| RealServerConfig {
            weight: w, inhibit_on_failure: false, checkers: vec![checker.clone()],
        }).collect::<Vec<_>>();
        let n = servers.len();
        let cfg = VirtualServerConfig { quorum, hysteresis, ..VirtualServerConfig::default() };
        let mut vs = VirtualServer::new(cfg, servers, t, || 0);
        let (q, h) = (i64::from(quorum), i64::from(hysteresis));
        for (idx, ok) in steps {
            let was_up = vs.quorum_up();
            let events = vs.on_result(idx.index(n), 0, t, ok, "x");
            let live = i64::try_from(vs.live_weight()).unwrap_or(i64::MAX);
            for e in &events {
                match e.transition.kind {
                    TransitionKind::QuorumDown => prop_assert!(was_up && live < q - h),
                    TransitionKind::QuorumUp => prop_assert!(!was_up && live >= q + h),
                    _ => {}
                }
            }
            if vs.quorum_up() { prop_assert!(live >= q - h) } else { prop_assert!(live < q + h) }
        }
    }
}
