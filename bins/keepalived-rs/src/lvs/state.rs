//! The pool logic of one virtual server, without I/O: which real servers
//! are alive (every checker up), the quorum with its hysteresis, and the
//! IPVS destinations that follow (keepalived 2.2.7's `ipwrapper.c`:
//! removal or weight 0 with `inhibit_on_failure`, the sorry server alone
//! once the quorum is lost).
//!
//! Each checker's retry logic is lbkit-healthcheck's
//! `lbkit_healthcheck::keepalived::Checker`; this module keeps
//! one per checker so that a reload can carry unchanged real servers'
//! checkers over.

use super::compile::{LvsPlan, RsPlan, VsPlan};
use lbkit_healthcheck::keepalived::{Checker, CheckerChange};
use lbkit_ipvs::DesiredService;
use std::time::Instant;

/// One checker's machine and whether its check is running.
#[derive(Debug, Clone)]
pub(crate) struct CheckState {
    /// Retry logic and next due time.
    pub(crate) machine: Checker,
    /// A check is running now.
    pub(crate) in_flight: bool,
}

/// One real server.
#[derive(Debug, Clone)]
pub(crate) struct RsState {
    /// Unique across reloads: results are matched by it.
    pub(crate) id: u64,
    /// Its settings.
    pub(crate) plan: RsPlan,
    /// One per checker of the plan.
    pub(crate) checks: Vec<CheckState>,
    /// Every checker up.
    pub(crate) alive: bool,
    /// Current weight (`misc_dynamic` may change it).
    pub(crate) weight: u32,
}

impl RsState {
    /// A real server created at `now`: alive unless a checker is `alpha`.
    pub(crate) fn new(
        id: u64,
        plan: RsPlan,
        now: Instant,
        random: &mut impl FnMut() -> u32,
    ) -> Self {
        let checks: Vec<CheckState> = plan
            .checkers
            .iter()
            .map(|c| CheckState {
                machine: Checker::new(c.timing.clone(), now, random()),
                in_flight: false,
            })
            .collect();
        let alive = checks.iter().all(|c| c.machine.is_up());
        RsState {
            id,
            weight: plan.dest.weight,
            plan,
            checks,
            alive,
        }
    }
}

/// A change to report (log line, notify script).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// Real server (index) became alive.
    Up(usize),
    /// Real server (index) failed.
    Down(usize),
    /// The quorum is met again.
    QuorumGained(u64),
    /// The quorum is lost.
    QuorumLost(u64),
}

/// One virtual server.
#[derive(Debug, Clone)]
pub(crate) struct VsState {
    /// Its settings.
    pub(crate) plan: VsPlan,
    /// Its real servers, in plan order.
    pub(crate) servers: Vec<RsState>,
    /// The quorum is met.
    pub(crate) quorum_up: bool,
}

impl VsState {
    /// A virtual server whose quorum state is computed from its servers.
    pub(crate) fn new(plan: VsPlan, servers: Vec<RsState>) -> Self {
        let mut vs = VsState {
            plan,
            servers,
            quorum_up: false,
        };
        let need = u64::from(vs.plan.quorum) + u64::from(vs.plan.hysteresis);
        vs.quorum_up = vs.live_weight() >= need;
        vs
    }

    /// Sum of the weights of live servers.
    pub(crate) fn live_weight(&self) -> u64 {
        self.servers
            .iter()
            .filter(|s| s.alive)
            .map(|s| u64::from(s.weight))
            .sum()
    }

    /// True while the sorry server replaces the pool.
    pub(crate) fn sorry_in_use(&self) -> bool {
        !self.quorum_up && self.plan.sorry.is_some()
    }

    /// Feeds a check result of checker `chk` of server `rs`; returns
    /// what changed.
    pub(crate) fn on_result(
        &mut self,
        rs: usize,
        chk: usize,
        now: Instant,
        success: bool,
    ) -> Vec<Change> {
        let mut out = Vec::new();
        let Some(server) = self.servers.get_mut(rs) else {
            return out;
        };
        let Some(check) = server.checks.get_mut(chk) else {
            return out;
        };
        check.in_flight = false;
        if check.machine.on_result(now, success) == CheckerChange::None {
            return out;
        }
        let alive = server.checks.iter().all(|c| c.machine.is_up());
        if alive != server.alive {
            server.alive = alive;
            out.push(if alive {
                Change::Up(rs)
            } else {
                Change::Down(rs)
            });
            self.update_quorum(&mut out);
        }
        out
    }

    /// Sets a server's weight (`misc_dynamic`); returns quorum changes.
    pub(crate) fn set_weight(&mut self, rs: usize, weight: u32) -> Vec<Change> {
        let mut out = Vec::new();
        if let Some(s) = self.servers.get_mut(rs) {
            if s.weight != weight {
                s.weight = weight;
                self.update_quorum(&mut out);
            }
        }
        out
    }

    /// keepalived's `update_quorum_state()`: the threshold is
    /// `quorum - hysteresis` while met and `quorum + hysteresis` while
    /// lost; no live weight at all always loses it.
    pub(crate) fn update_quorum(&mut self, out: &mut Vec<Change>) {
        let sum = self.live_weight();
        let q = i64::from(self.plan.quorum);
        let h = i64::from(self.plan.hysteresis);
        let threshold = if self.quorum_up { q - h } else { q + h };
        let s = i64::try_from(sum).unwrap_or(i64::MAX);
        if !self.quorum_up && s >= threshold && sum > 0 {
            self.quorum_up = true;
            out.push(Change::QuorumGained(sum));
        } else if self.quorum_up && (sum == 0 || s < threshold) {
            self.quorum_up = false;
            out.push(Change::QuorumLost(sum));
        }
    }

    /// What IPVS should hold for this virtual server now.
    pub(crate) fn desired(&self) -> Vec<DesiredService> {
        let sorry = self.sorry_in_use();
        self.plan
            .services
            .iter()
            .map(|service| {
                let key = service.key;
                let mut d = DesiredService::new(service.clone());
                if let (true, Some(s)) = (sorry, &self.plan.sorry) {
                    return d.destination(s.destination(&key, 1));
                }
                for rs in &self.servers {
                    let weight = match (rs.alive, rs.plan.inhibit) {
                        (true, _) => rs.weight,
                        (false, true) => 0,
                        (false, false) => continue,
                    };
                    d.destinations
                        .push(rs.plan.destination(&key).weight(weight));
                }
                if let Some(s) = self.plan.sorry.as_ref().filter(|s| s.inhibit) {
                    let dest = s.destination(&key, 0);
                    if !d.destinations.iter().any(|x| x.addr == dest.addr) {
                        d.destinations.push(dest);
                    }
                }
                d
            })
            .collect()
    }
}

/// Ids and warmup randomness for new real servers.
#[derive(Debug, Clone)]
pub(crate) struct Ids {
    /// The next id.
    next: u64,
    /// xorshift state.
    rng: u64,
}

impl Ids {
    /// Ids from 0, randomness from `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Ids {
            next: 0,
            rng: seed | 1,
        }
    }

    /// A new id.
    fn id(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// A uniform `u32`.
    fn random(&mut self) -> u32 {
        let s = &mut self.rng;
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        (*s >> 32) as u32
    }
}

/// The virtual servers of `plan`, built from `old` where they match: a
/// virtual server with the same IPVS services keeps its quorum state, a
/// real server with the same address, port and settings keeps its id and
/// checkers (retries, next run, state). Returns the quorum changes the
/// new settings cause, by virtual-server index.
pub(crate) fn rebuild(
    mut old: Vec<VsState>,
    plan: LvsPlan,
    ids: &mut Ids,
    now: Instant,
) -> (Vec<VsState>, Vec<(usize, Vec<Change>)>) {
    let mut out = Vec::new();
    let mut changes = Vec::new();
    for vp in plan.virtual_servers {
        let previous = old
            .iter()
            .position(|v| same_services(&v.plan, &vp))
            .map(|i| old.swap_remove(i));
        let mut old_servers = previous
            .as_ref()
            .map(|p| p.servers.clone())
            .unwrap_or_default();
        let mut servers = Vec::new();
        for rp in &vp.real_servers {
            let kept = old_servers
                .iter()
                .position(|o| {
                    o.plan.addr == rp.addr
                        && o.plan.port == rp.port
                        && o.plan.fingerprint == rp.fingerprint
                })
                .map(|i| old_servers.swap_remove(i));
            servers.push(match kept {
                Some(mut o) => {
                    o.plan = rp.clone();
                    o
                }
                None => {
                    let id = ids.id();
                    RsState::new(id, rp.clone(), now, &mut || ids.random())
                }
            });
        }
        let vs = match previous {
            Some(p) => {
                let mut vs = VsState {
                    plan: vp,
                    servers,
                    quorum_up: p.quorum_up,
                };
                let mut c = Vec::new();
                vs.update_quorum(&mut c);
                if !c.is_empty() {
                    changes.push((out.len(), c));
                }
                vs
            }
            None => VsState::new(vp, servers),
        };
        out.push(vs);
    }
    (out, changes)
}

/// Whether two plans stand for the same IPVS services.
fn same_services(a: &VsPlan, b: &VsPlan) -> bool {
    a.services.len() == b.services.len()
        && a.services
            .iter()
            .zip(&b.services)
            .all(|(x, y)| x.key == y.key)
}

#[cfg(test)]
mod tests {
    use super::super::compile::{CheckPlan, SorryPlan};
    use super::*;
    use lbkit_healthcheck::checkers::tcp::TcpCheck;
    use lbkit_healthcheck::checkers::Check;
    use lbkit_healthcheck::keepalived::CheckerConfig;
    use lbkit_ipvs::{Destination, ForwardMethod, Service, ServiceKey};
    use std::time::Duration;

    fn rs(port: u16, weight: u32, inhibit: bool, retry: u32) -> RsPlan {
        let addr = format!("198.51.100.1:{port}").parse().unwrap();
        RsPlan {
            addr: "198.51.100.1".parse().unwrap(),
            port: Some(port),
            dest: Destination::new(addr).weight(weight),
            inhibit,
            notify_up: None,
            notify_down: None,
            checkers: vec![CheckPlan {
                keyword: "TCP_CHECK",
                check: Check::Tcp(TcpCheck::new(addr, Duration::from_secs(1))),
                timing: CheckerConfig {
                    delay_loop: Duration::from_secs(6),
                    retry,
                    delay_before_retry: Duration::from_secs(1),
                    warmup: None,
                    alpha: false,
                },
            }],
            fingerprint: String::new(),
        }
    }

    fn vs(servers: Vec<RsPlan>, quorum: u32, hysteresis: u32, sorry: bool) -> VsState {
        let plan = VsPlan {
            name: "192.0.2.10:80".into(),
            services: vec![Service::new(ServiceKey::tcp(
                "192.0.2.10:80".parse().unwrap(),
            ))],
            quorum,
            hysteresis,
            quorum_up: None,
            quorum_down: None,
            sorry: sorry.then(|| SorryPlan {
                addr: "203.0.113.9:0".parse().unwrap(),
                forward: ForwardMethod::Masquerade,
                inhibit: false,
            }),
            omega: false,
            real_servers: servers.clone(),
        };
        let t = Instant::now();
        let states = servers
            .into_iter()
            .enumerate()
            .map(|(i, p)| RsState::new(100 + i as u64, p, t, &mut || 0))
            .collect();
        VsState::new(plan, states)
    }

    fn weights(v: &VsState) -> Vec<(u16, u32)> {
        v.desired()[0]
            .destinations
            .iter()
            .map(|d| (d.addr.port(), d.weight))
            .collect()
    }

    /// keepalived: a fresh checker fails on its first failure whatever
    /// its `retry`; later failures are retried.
    #[test]
    fn first_failure_is_enough_then_retries() {
        let t = Instant::now();
        let mut v = vs(vec![rs(1, 1, false, 3), rs(2, 1, false, 3)], 1, 0, false);
        assert_eq!(v.on_result(0, 0, t, false), vec![Change::Down(0)]);
        assert_eq!(weights(&v), [(2, 1)]);
        assert_eq!(v.on_result(0, 0, t, true), vec![Change::Up(0)]);
        // Now up after a success: three retries before down.
        for _ in 0..3 {
            assert!(v.on_result(0, 0, t, false).is_empty());
        }
        assert_eq!(v.on_result(0, 0, t, false), vec![Change::Down(0)]);
    }

    #[test]
    fn inhibit_keeps_weight_zero() {
        let t = Instant::now();
        let mut v = vs(vec![rs(1, 5, true, 1), rs(2, 1, false, 1)], 1, 0, false);
        v.on_result(0, 0, t, false);
        assert_eq!(weights(&v), [(1, 0), (2, 1)]);
    }

    #[test]
    fn sorry_server_replaces_the_pool_when_quorum_is_lost() {
        let t = Instant::now();
        let mut v = vs(vec![rs(1, 1, false, 0), rs(2, 1, false, 0)], 1, 0, true);
        v.on_result(0, 0, t, false);
        assert_eq!(
            v.on_result(1, 0, t, false),
            vec![Change::Down(1), Change::QuorumLost(0)]
        );
        let d = &v.desired()[0].destinations;
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].addr, "203.0.113.9:80".parse().unwrap());
        assert_eq!(
            v.on_result(1, 0, t, true),
            vec![Change::Up(1), Change::QuorumGained(1)]
        );
        assert_eq!(weights(&v), [(2, 1)]);
    }

    /// quorum 3, hysteresis 1: lost below 2, regained at 4.
    #[test]
    fn hysteresis_widens_the_quorum() {
        let t = Instant::now();
        let servers = (1..=4).map(|p| rs(p, 1, false, 0)).collect();
        let mut v = vs(servers, 3, 1, false);
        assert!(v.quorum_up);
        assert_eq!(v.on_result(0, 0, t, false), vec![Change::Down(0)]);
        assert_eq!(v.on_result(1, 0, t, false), vec![Change::Down(1)]);
        assert_eq!(
            v.on_result(2, 0, t, false),
            vec![Change::Down(2), Change::QuorumLost(1)]
        );
        assert_eq!(v.on_result(2, 0, t, true), vec![Change::Up(2)]);
        assert_eq!(v.on_result(1, 0, t, true), vec![Change::Up(1)]);
        assert_eq!(
            v.on_result(0, 0, t, true),
            vec![Change::Up(0), Change::QuorumGained(4)]
        );
    }

    #[test]
    fn alpha_servers_start_out_of_the_pool() {
        let mut p = rs(1, 1, false, 1);
        p.checkers[0].timing.alpha = true;
        let v = vs(vec![p, rs(2, 1, false, 1)], 1, 0, false);
        assert_eq!(weights(&v), [(2, 1)]);
    }

    /// A reload keeps an unchanged real server's id and failed state,
    /// restarts a changed one (alive, new weight) and adds a new one.
    #[test]
    fn reload_keeps_unchanged_servers_state() {
        let t = Instant::now();
        let mut v = vs(vec![rs(1, 1, false, 1), rs(2, 1, false, 1)], 1, 0, false);
        v.on_result(0, 0, t, false);
        v.on_result(1, 0, t, false);
        assert_eq!(weights(&v), []);
        let mut plan = v.plan.clone();
        let mut changed = rs(2, 5, false, 1);
        changed.fingerprint = "weight 5".into();
        plan.real_servers = vec![rs(1, 1, false, 1), changed, rs(3, 1, false, 1)];
        let mut ids = Ids::new(7);
        let (new, changes) = rebuild(
            vec![v],
            LvsPlan {
                virtual_servers: vec![plan],
            },
            &mut ids,
            t,
        );
        let n = &new[0];
        assert_eq!((n.servers[0].id, n.servers[0].alive), (100, false));
        assert_eq!((n.servers[1].id, n.servers[1].alive), (1, true));
        assert_eq!(n.servers[2].id, 2);
        assert_eq!(weights(n), [(2, 5), (3, 1)]);
        // The quorum, lost before, is met again by the new servers.
        assert_eq!(changes, [(0, vec![Change::QuorumGained(6)])]);
    }
}
