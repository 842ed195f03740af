//! keepalived's checker and virtual-server logic, without I/O.
//!
//! Follows keepalived 2.2.7: the retry logic of the checkers' epilogues
//! (`tcp_epilog()` in `check/check_tcp.c`, `epilog()` in
//! `check/check_http.c`), the first-run delay of `register_checkers_thread()`
//! (`check/check_api.c`), and the pool and quorum logic of
//! `check/ipwrapper.c` (`update_svr_checker_state()`,
//! `perform_svr_state()`, `update_quorum_state()`, `clear_service_vs()`).

use std::time::{Duration, Instant};

use crate::later::later;
use crate::transition::{Transition, TransitionKind};

/// keepalived waits this long after start before the first check
/// (`BOOTSTRAP_DELAY`).
pub const BOOTSTRAP_DELAY: Duration = Duration::from_secs(1);

/// The timing and retry settings of one checker block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckerConfig {
    /// `delay_loop`: time between checks (default 60 s).
    pub delay_loop: Duration,
    /// `retry` (alias `nb_get_retry`, `nb_sock_retry`): failures tolerated
    /// before the checker is declared failed.
    pub retry: u32,
    /// `delay_before_retry`: time before a retry.
    pub delay_before_retry: Duration,
    /// `warmup`: the first check waits a random time up to this long.
    pub warmup: Option<Duration>,
    /// `alpha`: the checker starts failed, the server out of the pool.
    pub alpha: bool,
}

impl Default for CheckerConfig {
    fn default() -> Self {
        Self {
            delay_loop: Duration::from_secs(60),
            retry: 1,
            delay_before_retry: Duration::from_secs(1),
            warmup: None,
            alpha: false,
        }
    }
}

/// What a checker's result changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckerChange {
    /// Nothing changed.
    None,
    /// The checker went from failed to succeeding.
    Up,
    /// The checker went from succeeding to failed.
    Down,
}

/// One checker (one `TCP_CHECK`, `HTTP_GET`, ... block) of a real server.
#[derive(Debug, Clone)]
pub struct Checker {
    cfg: CheckerConfig,
    is_up: bool,
    has_run: bool,
    retry_it: u32,
    next_check: Instant,
}

impl Checker {
    /// A checker created at `now`; the first check comes after
    /// [`BOOTSTRAP_DELAY`] plus `warmup * random / u32::MAX`. Its first
    /// failure is not retried: the server leaves the pool at once, as in
    /// keepalived.
    pub fn new(cfg: CheckerConfig, now: Instant, random: u32) -> Self {
        let warmup = cfg
            .warmup
            .map(|w| {
                let nanos = w.as_nanos().saturating_mul(u128::from(random)) / u128::from(u32::MAX);
                Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
            })
            .unwrap_or_default();
        Self {
            is_up: !cfg.alpha,
            has_run: false,
            // keepalived starts the count at `retry`: one failure is enough
            // initially (and an alpha checker's first failure is logged).
            retry_it: cfg.retry,
            next_check: later(later(now, BOOTSTRAP_DELAY), warmup),
            cfg,
        }
    }

    /// True while the checker counts the server as healthy.
    pub fn is_up(&self) -> bool {
        self.is_up
    }

    /// When the next check is due.
    pub fn next_check(&self) -> Instant {
        self.next_check
    }

    /// Retries done since the last success.
    pub fn retries(&self) -> u32 {
        self.retry_it
    }

    /// Feeds one check result at `now` and schedules the next check: a
    /// failure of an up checker is retried `retry` times after
    /// `delay_before_retry` before the checker is declared failed. The next
    /// check is due `delay_loop` (or `delay_before_retry`) after `now`:
    /// keepalived counts from the end of network checks but from the start
    /// of a `MISC_CHECK` script, so pass the script's start time for those.
    pub fn on_result(&mut self, now: Instant, success: bool) -> CheckerChange {
        let mut delay = self.cfg.delay_loop;
        let mut change = CheckerChange::None;
        let settles = success || ((self.is_up || !self.has_run) && self.retry_it >= self.cfg.retry);
        if settles {
            self.retry_it = 0;
            if success && !self.is_up {
                self.is_up = true;
                change = CheckerChange::Up;
            } else if !success && self.is_up {
                self.is_up = false;
                change = CheckerChange::Down;
            }
        } else if self.is_up {
            delay = self.cfg.delay_before_retry;
            self.retry_it += 1;
        }
        self.has_run = true;
        self.next_check = later(now, delay);
        change
    }
}

/// Settings of one `real_server`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealServerConfig {
    /// `weight` (default 1).
    pub weight: u32,
    /// `inhibit_on_failure`: keep the server with weight 0 instead of
    /// removing it.
    pub inhibit_on_failure: bool,
    /// Its checkers.
    pub checkers: Vec<CheckerConfig>,
}

/// Settings of one `virtual_server`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualServerConfig {
    /// `quorum` (default 1): the live weight needed.
    pub quorum: u32,
    /// `hysteresis` (default 0).
    pub hysteresis: u32,
    /// `ha_suspend`: no checks while the virtual address is absent.
    pub ha_suspend: bool,
    /// `omega`: on shutdown, run the down notifiers as servers leave.
    pub omega: bool,
    /// A `sorry_server` is configured.
    pub sorry_server: bool,
}

impl Default for VirtualServerConfig {
    fn default() -> Self {
        Self {
            quorum: 1,
            hysteresis: 0,
            ha_suspend: false,
            omega: false,
            sorry_server: false,
        }
    }
}

/// Who a virtual-server event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The real server at this index.
    RealServer(usize),
    /// The virtual server itself (quorum).
    VirtualServer,
}

/// One event of a virtual server, for logs and notify scripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// About whom.
    pub subject: Subject,
    /// What changed and why.
    pub transition: Transition,
}

/// What a quorum change means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuorumChange {
    /// `quorum_up`: enough live weight again.
    Gained,
    /// `quorum_down`: too little live weight.
    Lost,
}

#[derive(Debug, Clone)]
struct RealServer {
    cfg: RealServerConfig,
    checkers: Vec<Checker>,
    failed: usize,
    alive: bool,
    weight: u32,
}

/// A virtual server, its real servers and their checkers.
#[derive(Debug, Clone)]
pub struct VirtualServer {
    cfg: VirtualServerConfig,
    servers: Vec<RealServer>,
    quorum_up: bool,
    vip_present: bool,
    shut_down: bool,
}

/// The IPVS pool the virtual server wants now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pool {
    /// These real servers, with their weights (0 when inhibited).
    Servers(Vec<(usize, u32)>),
    /// Only the sorry server (quorum lost).
    Sorry,
}

impl VirtualServer {
    /// Builds the virtual server at `now`. `random` gives one uniform `u32`
    /// per checker for the warmup delays. Servers with an `alpha` checker
    /// start out of the pool.
    pub fn new(
        cfg: VirtualServerConfig,
        servers: Vec<RealServerConfig>,
        now: Instant,
        mut random: impl FnMut() -> u32,
    ) -> Self {
        let servers: Vec<RealServer> = servers
            .into_iter()
            .map(|rs| {
                let checkers: Vec<Checker> = rs
                    .checkers
                    .iter()
                    .map(|c| Checker::new(c.clone(), now, random()))
                    .collect();
                let failed = checkers.iter().filter(|c| !c.is_up()).count();
                RealServer {
                    weight: rs.weight,
                    cfg: rs,
                    checkers,
                    failed,
                    alive: failed == 0,
                }
            })
            .collect();
        let mut vs = Self {
            cfg,
            servers,
            quorum_up: false,
            vip_present: true,
            shut_down: false,
        };
        vs.quorum_up = vs.live_weight() >= u64::from(vs.cfg.quorum) + u64::from(vs.cfg.hysteresis);
        vs
    }

    /// Sum of the weights of live servers (`weigh_live_realservers()`).
    pub fn live_weight(&self) -> u64 {
        self.servers
            .iter()
            .filter(|s| s.alive)
            .map(|s| u64::from(s.weight))
            .sum()
    }

    /// True while the quorum is met.
    pub fn quorum_up(&self) -> bool {
        self.quorum_up
    }

    /// True when real server `rs` is alive.
    pub fn is_alive(&self, rs: usize) -> bool {
        self.servers.get(rs).is_some_and(|s| s.alive)
    }

    /// The checker `checker` of real server `rs`.
    pub fn checker(&self, rs: usize, checker: usize) -> Option<&Checker> {
        self.servers.get(rs).and_then(|s| s.checkers.get(checker))
    }

    /// What IPVS should hold now: alive servers at their weight, failed
    /// `inhibit_on_failure` servers at 0, or the sorry server alone when the
    /// quorum is lost and one is configured.
    pub fn pool(&self) -> Pool {
        if !self.quorum_up && self.cfg.sorry_server {
            return Pool::Sorry;
        }
        Pool::Servers(
            self.servers
                .iter()
                .enumerate()
                .filter_map(|(i, s)| match (s.alive, s.cfg.inhibit_on_failure) {
                    (true, _) => Some((i, s.weight)),
                    (false, true) => Some((i, 0)),
                    (false, false) => None,
                })
                .collect(),
        )
    }

    /// `ha_suspend`: tells whether the virtual address is configured on
    /// this host; with `ha_suspend` set, checks stop while it is absent.
    pub fn set_vip_present(&mut self, present: bool) {
        self.vip_present = present;
    }

    /// True when checks are suspended (`ha_suspend` and no address, or
    /// shut down).
    pub fn suspended(&self) -> bool {
        self.shut_down || (self.cfg.ha_suspend && !self.vip_present)
    }

    /// The next check due: (real server, checker, when). `None` when
    /// suspended or there are no checkers.
    pub fn next_due(&self) -> Option<(usize, usize, Instant)> {
        if self.suspended() {
            return None;
        }
        self.servers
            .iter()
            .enumerate()
            .flat_map(|(r, s)| {
                s.checkers
                    .iter()
                    .enumerate()
                    .map(move |(c, k)| (r, c, k.next_check()))
            })
            .min_by_key(|&(_, _, t)| t)
    }

    /// Feeds the result of checker `checker` of real server `rs`.
    pub fn on_result(
        &mut self,
        rs: usize,
        checker: usize,
        now: Instant,
        success: bool,
        reason: &str,
    ) -> Vec<Event> {
        let mut out = Vec::new();
        let Some(server) = self.servers.get_mut(rs) else {
            return out;
        };
        let Some(chk) = server.checkers.get_mut(checker) else {
            return out;
        };
        match chk.on_result(now, success) {
            CheckerChange::None => {}
            CheckerChange::Down => {
                server.failed += 1;
                if server.failed == 1 {
                    self.set_alive(rs, false, reason, &mut out);
                }
            }
            CheckerChange::Up => {
                server.failed = server.failed.saturating_sub(1);
                if server.failed == 0 {
                    self.set_alive(rs, true, reason, &mut out);
                }
            }
        }
        out
    }

    /// Sets a server's weight (`misc_dynamic` exit code, `FILE_CHECK`).
    pub fn set_weight(&mut self, rs: usize, weight: u32, reason: &str) -> Vec<Event> {
        let mut out = Vec::new();
        let Some(server) = self.servers.get_mut(rs) else {
            return out;
        };
        if server.weight == weight {
            return out;
        }
        out.push(Event {
            subject: Subject::RealServer(rs),
            transition: Transition::new(
                TransitionKind::Weight {
                    from: server.weight,
                    to: weight,
                },
                reason,
            ),
        });
        server.weight = weight;
        self.update_quorum(&mut out);
        out
    }

    /// Stops the virtual server. With `omega`, every live server reports
    /// down and a met quorum reports lost, as keepalived runs those
    /// notifiers on the way out; without it, nothing is reported.
    pub fn shutdown(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        self.shut_down = true;
        for (i, s) in self.servers.iter_mut().enumerate() {
            if s.alive {
                s.alive = false;
                if self.cfg.omega {
                    out.push(Event {
                        subject: Subject::RealServer(i),
                        transition: Transition::new(TransitionKind::Down, "shutdown"),
                    });
                }
            }
        }
        if self.quorum_up {
            self.quorum_up = false;
            if self.cfg.omega {
                out.push(self.quorum_event(QuorumChange::Lost));
            }
        }
        out
    }

    fn set_alive(&mut self, rs: usize, alive: bool, reason: &str, out: &mut Vec<Event>) {
        let Some(server) = self.servers.get_mut(rs) else {
            return;
        };
        if server.alive == alive {
            return;
        }
        server.alive = alive;
        let kind = if alive {
            TransitionKind::Up
        } else {
            TransitionKind::Down
        };
        let verb = match (alive, server.cfg.inhibit_on_failure) {
            (true, true) => "Enabling",
            (true, false) => "Adding",
            (false, true) => "Disabling",
            (false, false) => "Removing",
        };
        out.push(Event {
            subject: Subject::RealServer(rs),
            transition: Transition::new(kind, format!("{verb} service: {reason}")),
        });
        self.update_quorum(out);
    }

    /// `update_quorum_state()`: the threshold is `quorum - hysteresis` while
    /// up and `quorum + hysteresis` while down.
    fn update_quorum(&mut self, out: &mut Vec<Event>) {
        let sum = self.live_weight();
        let q = i64::from(self.cfg.quorum);
        let h = i64::from(self.cfg.hysteresis);
        let threshold = if self.quorum_up { q - h } else { q + h };
        let sum = i64::try_from(sum).unwrap_or(i64::MAX);
        if !self.quorum_up && sum >= threshold {
            self.quorum_up = true;
            out.push(self.quorum_event(QuorumChange::Gained));
        } else if self.quorum_up && sum < threshold {
            self.quorum_up = false;
            out.push(self.quorum_event(QuorumChange::Lost));
        }
    }

    fn quorum_event(&self, change: QuorumChange) -> Event {
        let (kind, word) = match change {
            QuorumChange::Gained => (TransitionKind::QuorumUp, "Gained"),
            QuorumChange::Lost => (TransitionKind::QuorumDown, "Lost"),
        };
        let sign = if change == QuorumChange::Gained {
            '+'
        } else {
            '-'
        };
        Event {
            subject: Subject::VirtualServer,
            transition: Transition::new(
                kind,
                format!(
                    "{word} quorum {}{sign}{}, live weight {}",
                    self.cfg.quorum,
                    self.cfg.hysteresis,
                    self.live_weight()
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cc(retry: u32, alpha: bool) -> CheckerConfig {
        CheckerConfig {
            delay_loop: Duration::from_secs(6),
            retry,
            delay_before_retry: Duration::from_secs(2),
            warmup: None,
            alpha,
        }
    }

    /// `tcp_epilog()`: with retry 2, the third consecutive failure fails the
    /// checker; retries use delay_before_retry.
    #[test]
    fn retry_then_down() {
        let t = Instant::now();
        let mut c = Checker::new(cc(2, false), t, 0);
        assert_eq!(c.next_check(), t + BOOTSTRAP_DELAY);
        // keepalived: one failure is enough initially.
        assert_eq!(c.on_result(t, false), CheckerChange::Down);
        assert_eq!(c.next_check(), t + Duration::from_secs(6));
        assert_eq!(c.on_result(t, true), CheckerChange::Up);
        // Once it has succeeded, a failure is retried `retry` times.
        assert_eq!(c.on_result(t, false), CheckerChange::None);
        assert_eq!(c.next_check(), t + Duration::from_secs(2));
        assert_eq!(c.on_result(t, false), CheckerChange::None);
        assert_eq!(c.on_result(t, false), CheckerChange::Down);
        assert_eq!(c.next_check(), t + Duration::from_secs(6));
        // Once down, failures are not retried.
        assert_eq!(c.on_result(t, false), CheckerChange::None);
        assert_eq!(c.next_check(), t + Duration::from_secs(6));
        assert_eq!(c.on_result(t, true), CheckerChange::Up);
    }

    /// A success between failures resets the retry count.
    #[test]
    fn success_resets_retries() {
        let t = Instant::now();
        let mut c = Checker::new(cc(1, false), t, 0);
        assert_eq!(c.on_result(t, true), CheckerChange::None);
        assert_eq!(c.retries(), 0);
        c.on_result(t, false);
        assert_eq!(c.retries(), 1);
        c.on_result(t, true);
        assert_eq!(c.retries(), 0);
        assert_eq!(c.on_result(t, false), CheckerChange::None);
        assert_eq!(c.on_result(t, false), CheckerChange::Down);
    }

    /// alpha: starts down, one success brings it up, first failures change
    /// nothing.
    #[test]
    fn alpha_starts_down() {
        let t = Instant::now();
        let mut c = Checker::new(cc(3, true), t, 0);
        assert!(!c.is_up());
        assert_eq!(c.on_result(t, false), CheckerChange::None);
        assert_eq!(c.next_check(), t + Duration::from_secs(6));
        assert_eq!(c.on_result(t, true), CheckerChange::Up);
    }

    #[test]
    fn extreme_settings_do_not_panic() {
        let t = Instant::now();
        let cfg = CheckerConfig {
            delay_loop: Duration::MAX,
            retry: u32::MAX,
            delay_before_retry: Duration::MAX,
            warmup: Some(Duration::MAX),
            alpha: false,
        };
        let mut c = Checker::new(cfg, t, u32::MAX);
        for ok in [false, false, true, false] {
            c.on_result(t, ok);
        }
        assert!(c.next_check() > t);
        let servers = vec![rs(u32::MAX, false, vec![cc(0, false)]); 3];
        let vcfg = VirtualServerConfig {
            quorum: u32::MAX,
            hysteresis: u32::MAX,
            ..VirtualServerConfig::default()
        };
        let mut vs = VirtualServer::new(vcfg, servers, t, || 0);
        vs.on_result(0, 0, t, false, "x");
        vs.on_result(0, 0, t, true, "x");
        vs.set_weight(1, 0, "x");
        vs.on_result(9, 9, t, true, "out of range");
    }

    /// `register_checkers_thread()`: first run after 1 s plus a random part
    /// of warmup.
    #[test]
    fn warmup_delay() {
        let t = Instant::now();
        let mut cfg = cc(0, false);
        cfg.warmup = Some(Duration::from_secs(10));
        let c = Checker::new(cfg.clone(), t, u32::MAX);
        assert_eq!(c.next_check(), t + Duration::from_secs(11));
        let c = Checker::new(cfg, t, u32::MAX / 2);
        let d = c.next_check() - t;
        assert!(
            d > Duration::from_millis(5900) && d < Duration::from_millis(6100),
            "{d:?}"
        );
    }

    fn rs(weight: u32, inhibit: bool, checkers: Vec<CheckerConfig>) -> RealServerConfig {
        RealServerConfig {
            weight,
            inhibit_on_failure: inhibit,
            checkers,
        }
    }

    /// Two checkers: the server leaves at the first failing checker and
    /// returns only when both pass (`num_failed_checkers`).
    #[test]
    fn server_needs_all_checkers() {
        let t = Instant::now();
        let mut vs = VirtualServer::new(
            VirtualServerConfig::default(),
            vec![rs(1, false, vec![cc(0, false), cc(0, false)])],
            t,
            || 0,
        );
        assert!(vs.is_alive(0));
        let e = vs.on_result(0, 0, t, false, "TCP_CHECK failed");
        assert_eq!(e[0].transition.kind, TransitionKind::Down);
        assert_eq!(e[0].transition.reason, "Removing service: TCP_CHECK failed");
        assert_eq!(e[1].transition.kind, TransitionKind::QuorumDown);
        assert!(vs.on_result(0, 1, t, false, "x").is_empty());
        assert!(vs.on_result(0, 0, t, true, "x").is_empty());
        let e = vs.on_result(0, 1, t, true, "ok");
        assert_eq!(e[0].transition.kind, TransitionKind::Up);
        assert_eq!(e[1].transition.kind, TransitionKind::QuorumUp);
    }

    /// inhibit_on_failure keeps the server at weight 0.
    #[test]
    fn inhibit_keeps_weight_zero() {
        let t = Instant::now();
        let mut vs = VirtualServer::new(
            VirtualServerConfig::default(),
            vec![
                rs(5, true, vec![cc(0, false)]),
                rs(3, false, vec![cc(0, false)]),
            ],
            t,
            || 0,
        );
        vs.on_result(0, 0, t, false, "x");
        vs.on_result(1, 0, t, false, "x");
        assert_eq!(vs.pool(), Pool::Servers(vec![(0, 0)]));
    }

    /// Quorum 6, hysteresis 2: lost below 4, regained at 8.
    #[test]
    fn quorum_hysteresis() {
        let t = Instant::now();
        let servers = (0..4).map(|_| rs(2, false, vec![cc(0, false)])).collect();
        let cfg = VirtualServerConfig {
            quorum: 6,
            hysteresis: 2,
            sorry_server: true,
            ..VirtualServerConfig::default()
        };
        let mut vs = VirtualServer::new(cfg, servers, t, || 0);
        assert!(vs.quorum_up()); // 8 >= 6+2
        vs.on_result(0, 0, t, false, "x"); // 6
        vs.on_result(1, 0, t, false, "x"); // 4, still >= 6-2
        assert!(vs.quorum_up());
        let e = vs.on_result(2, 0, t, false, "x"); // 2 < 4
        assert_eq!(e[1].transition.kind, TransitionKind::QuorumDown);
        assert_eq!(vs.pool(), Pool::Sorry);
        vs.on_result(0, 0, t, true, "x"); // 4
        vs.on_result(1, 0, t, true, "x"); // 6 < 8
        assert!(!vs.quorum_up());
        let e = vs.on_result(2, 0, t, true, "x"); // 8
        assert_eq!(e[1].transition.kind, TransitionKind::QuorumUp);
        assert_eq!(e[1].transition.reason, "Gained quorum 6+2, live weight 8");
    }

    /// alpha servers start out of the pool and the quorum starts lost.
    #[test]
    fn alpha_server_starts_out() {
        let t = Instant::now();
        let vs = VirtualServer::new(
            VirtualServerConfig::default(),
            vec![rs(1, false, vec![cc(0, true)])],
            t,
            || 0,
        );
        assert!(!vs.is_alive(0));
        assert!(!vs.quorum_up());
        assert_eq!(vs.pool(), Pool::Servers(vec![]));
    }

    #[test]
    fn ha_suspend_stops_checks() {
        let t = Instant::now();
        let cfg = VirtualServerConfig {
            ha_suspend: true,
            ..VirtualServerConfig::default()
        };
        let mut vs = VirtualServer::new(cfg, vec![rs(1, false, vec![cc(0, false)])], t, || 0);
        assert!(vs.next_due().is_some());
        vs.set_vip_present(false);
        assert_eq!(vs.next_due(), None);
        vs.set_vip_present(true);
        assert_eq!(vs.next_due(), Some((0, 0, t + BOOTSTRAP_DELAY)));
    }

    #[test]
    fn omega_reports_on_shutdown() {
        let t = Instant::now();
        let servers = vec![
            rs(1, false, vec![cc(0, false)]),
            rs(1, false, vec![cc(0, false)]),
        ];
        let mut plain =
            VirtualServer::new(VirtualServerConfig::default(), servers.clone(), t, || 0);
        assert!(plain.shutdown().is_empty());
        let cfg = VirtualServerConfig {
            omega: true,
            ..VirtualServerConfig::default()
        };
        let mut omega = VirtualServer::new(cfg, servers, t, || 0);
        let kinds: Vec<_> = omega.shutdown().iter().map(|e| e.transition.kind).collect();
        assert_eq!(
            kinds,
            vec![
                TransitionKind::Down,
                TransitionKind::Down,
                TransitionKind::QuorumDown
            ]
        );
        assert_eq!(omega.next_due(), None);
    }

    #[test]
    fn dynamic_weight_moves_quorum() {
        let t = Instant::now();
        let cfg = VirtualServerConfig {
            quorum: 5,
            ..VirtualServerConfig::default()
        };
        let mut vs = VirtualServer::new(cfg, vec![rs(5, false, vec![cc(0, false)])], t, || 0);
        let e = vs.set_weight(0, 3, "misc_dynamic exit 5");
        assert_eq!(
            e[0].transition.kind,
            TransitionKind::Weight { from: 5, to: 3 }
        );
        assert_eq!(e[1].transition.kind, TransitionKind::QuorumDown);
    }
}
