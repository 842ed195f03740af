//! The simulated LAN: routers running the real state machine, a virtual
//! clock, an event queue, and the property checks.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use lbkit_vrrp::machine::{
    Action, Destination, GroupAction, Instance, Received, State, SyncGroup, TrackStatus,
};

use super::rng::Rng;
use super::scenario::{Chaos, Nanos, Scenario};

/// A router's VRRP process: one instance or a sync group.
enum Node {
    Single(Box<Instance>),
    Group(SyncGroup),
}

impl Node {
    fn new(sc: &Scenario, r: usize, track: TrackStatus) -> Result<Node, String> {
        let mut instances = sc.routers[r]
            .configs
            .iter()
            .map(|c| {
                let mut c = c.clone();
                c.tracks[0].initial = track;
                Instance::new(c).map_err(|e| format!("r{r}: invalid configuration: {e}"))
            })
            .collect::<Result<Vec<Instance>, String>>()?;
        if sc.grouped {
            Ok(Node::Group(SyncGroup::new(instances)))
        } else {
            Ok(Node::Single(Box::new(instances.remove(0))))
        }
    }

    fn startup(&mut self, now: Instant) {
        match self {
            Node::Single(i) => i.startup(now),
            Node::Group(g) => g.startup(now),
        }
    }

    fn shutdown(&mut self, now: Instant) {
        match self {
            Node::Single(i) => i.shutdown(now),
            Node::Group(g) => g.shutdown(now),
        }
    }

    fn handle_advert(&mut self, now: Instant, member: usize, rx: &Received) {
        let _ = match self {
            Node::Single(i) => i.handle_advert(now, rx),
            Node::Group(g) => g.handle_advert(now, member, rx),
        };
    }

    fn handle_timeout(&mut self, now: Instant) {
        match self {
            Node::Single(i) => i.handle_timeout(now),
            Node::Group(g) => g.handle_timeout(now),
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match self {
            Node::Single(i) => i.poll_timeout(),
            Node::Group(g) => g.poll_timeout(),
        }
    }

    fn set_track(&mut self, now: Instant, status: TrackStatus) -> Result<(), String> {
        match self {
            Node::Single(i) => i.set_track(now, 0, status).map_err(|e| e.to_string()),
            Node::Group(g) => (0..g.members().len())
                .try_for_each(|m| g.set_track(now, m, 0, status))
                .map_err(|e| e.to_string()),
        }
    }

    fn actions(&mut self) -> Vec<(usize, Action)> {
        match self {
            Node::Single(i) => std::iter::from_fn(|| i.poll_action())
                .map(|a| (0, a))
                .collect(),
            Node::Group(g) => std::iter::from_fn(|| g.poll_action())
                .filter_map(|a| match a {
                    GroupAction::Member { index, action } => Some((index, action)),
                    GroupAction::GroupStateChanged { .. } => None,
                })
                .collect(),
        }
    }

    fn members(&self) -> Vec<&Instance> {
        match self {
            Node::Single(i) => vec![&**i],
            Node::Group(g) => g.members().iter().collect(),
        }
    }

    fn group_state(&self) -> Option<State> {
        match self {
            Node::Single(_) => None,
            Node::Group(g) => Some(g.state()),
        }
    }
}

enum Ev {
    Deliver {
        to: usize,
        member: usize,
        rx: Received,
    },
    Chaos(Chaos),
    Heal,
    Check,
    StopMaster,
}

struct Item {
    at: Nanos,
    seq: u64,
    ev: Ev,
}

impl PartialEq for Item {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for Item {}
impl PartialOrd for Item {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Item {
    // Reversed: BinaryHeap pops the earliest first.
    fn cmp(&self, o: &Self) -> Ordering {
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}

struct Router {
    node: Option<Node>,
    track: TrackStatus,
    partition: u8,
    vip_held: Vec<bool>,
}

/// What one scenario did, for the summary line.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Outcome {
    /// Steps taken.
    pub(crate) steps: u64,
    /// Adverts delivered.
    pub(crate) delivered: u64,
    /// State changes seen.
    pub(crate) transitions: u64,
    /// Simulated nanoseconds.
    pub(crate) simulated: Nanos,
}

/// One running scenario.
pub(crate) struct World<'a> {
    sc: &'a Scenario,
    epoch: Instant,
    now: Nanos,
    routers: Vec<Router>,
    queue: BinaryHeap<Item>,
    seq: u64,
    rng: Rng,
    loss: f64,
    trace: bool,
    dual_since: Vec<Option<Nanos>>,
    stopped_master: bool,
    last_delivery: Vec<Nanos>,
    outcome: Outcome,
}

const MAX_STEPS: u64 = 5_000_000;

impl<'a> World<'a> {
    /// A world for `sc`; `trace` prints every event to stderr.
    pub(crate) fn new(sc: &'a Scenario, trace: bool) -> Self {
        let members = sc.routers[0].configs.len();
        let routers = sc
            .routers
            .iter()
            .map(|r| Router {
                node: None,
                track: TrackStatus::Up,
                partition: 0,
                vip_held: vec![false; r.configs.len()],
            })
            .collect();
        let mut w = World {
            sc,
            epoch: Instant::now(),
            now: 0,
            routers,
            queue: BinaryHeap::new(),
            seq: 0,
            rng: super::rng::Rng::new(sc.seed ^ 0xdead_beef),
            loss: 0.0,
            trace,
            dual_since: vec![None; members],
            stopped_master: false,
            last_delivery: vec![0; sc.routers.len() * sc.routers.len()],
            outcome: Outcome::default(),
        };
        for r in 0..sc.routers.len() {
            let at = w.rng.range(0, super::scenario::SEC);
            w.push(at, Ev::Chaos(Chaos::Restart(r)));
        }
        for (at, c) in &sc.events {
            w.push(*at, Ev::Chaos(c.clone()));
        }
        w.push(sc.heal_at, Ev::Heal);
        w.push(sc.heal_at + sc.convergence_bound(), Ev::Check);
        w.push(sc.stop_master_at(), Ev::StopMaster);
        w.push(sc.stop_master_at() + sc.takeover_bound(), Ev::Check);
        w.push(sc.stop_master_at() + sc.convergence_bound(), Ev::Check);
        w
    }

    fn push(&mut self, at: Nanos, ev: Ev) {
        self.seq += 1;
        self.queue.push(Item {
            at,
            seq: self.seq,
            ev,
        });
    }

    fn instant(&self) -> Instant {
        self.epoch + Duration::from_nanos(self.now)
    }

    fn nanos(&self, t: Instant) -> Nanos {
        t.saturating_duration_since(self.epoch).as_nanos() as Nanos
    }

    /// Runs to the end; `Err` describes the first property violated.
    pub(crate) fn run(mut self) -> Result<Outcome, String> {
        loop {
            self.outcome.steps += 1;
            if self.outcome.steps > MAX_STEPS {
                return Err(format!("no progress at {}", ms(self.now)));
            }
            let timer = self
                .routers
                .iter()
                .filter_map(|r| r.node.as_ref()?.poll_timeout())
                .min()
                .map(|t| self.nanos(t));
            let event = self.queue.peek().map(|i| i.at);
            let next = match (timer, event) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => a.or(b).unwrap_or(Nanos::MAX),
            };
            if next > self.sc.end {
                break;
            }
            self.now = self.now.max(next);
            if timer == Some(next) {
                self.fire_timers();
            } else if let Some(item) = self.queue.pop() {
                self.handle(item.ev)?;
            }
            self.observe()?;
        }
        self.now = self.sc.end;
        self.final_checks()?;
        self.outcome.simulated = self.sc.end;
        Ok(self.outcome)
    }

    fn fire_timers(&mut self) {
        let now = self.instant();
        for r in 0..self.routers.len() {
            let Some(node) = self.routers[r].node.as_mut() else {
                continue;
            };
            if node.poll_timeout().is_some_and(|t| t <= now) {
                node.handle_timeout(now);
                self.process(r);
            }
        }
    }

    fn handle(&mut self, ev: Ev) -> Result<(), String> {
        let now = self.instant();
        match ev {
            Ev::Deliver { to, member, rx } => {
                if let Some(node) = self.routers[to].node.as_mut() {
                    self.outcome.delivered += 1;
                    node.handle_advert(now, member, &rx);
                    self.process(to);
                }
            }
            Ev::Chaos(c) => {
                if self.trace {
                    eprintln!("{:>10} chaos {:?}", ms(self.now), c);
                }
                self.chaos(c)?;
            }
            Ev::Heal => {
                if self.trace {
                    eprintln!("{:>10} heal", ms(self.now));
                }
                self.loss = 0.0;
                for r in 0..self.routers.len() {
                    self.routers[r].partition = 0;
                    if self.routers[r].node.is_none() {
                        self.chaos(Chaos::Restart(r))?;
                    }
                    self.chaos(Chaos::Track(r, self.sc.final_tracks[r]))?;
                }
            }
            Ev::Check => {}
            Ev::StopMaster => {
                // The network has settled: check before disturbing it.
                self.final_checks()?;
                let eligible = self.count(0, |s| matches!(s, State::Backup | State::Master));
                let master = self.routers.iter().position(|r| {
                    r.node
                        .as_ref()
                        .is_some_and(|n| n.members()[0].state() == State::Master)
                });
                if let (Some(r), true) = (master, eligible >= 2) {
                    if self.trace {
                        eprintln!("{:>10} stop master r{r}", ms(self.now));
                    }
                    self.stopped_master = true;
                    self.chaos(Chaos::Stop(r))?;
                }
            }
        }
        Ok(())
    }

    fn chaos(&mut self, c: Chaos) -> Result<(), String> {
        let now = self.instant();
        match c {
            Chaos::Partition(labels) => {
                for (r, l) in self.routers.iter_mut().zip(labels) {
                    r.partition = l;
                }
            }
            Chaos::Join => self.routers.iter_mut().for_each(|r| r.partition = 0),
            Chaos::Loss(p) => self.loss = p,
            Chaos::Kill(r) => {
                self.routers[r].node = None;
                self.routers[r].vip_held.iter_mut().for_each(|v| *v = false);
            }
            Chaos::Stop(r) => {
                if let Some(node) = self.routers[r].node.as_mut() {
                    node.shutdown(now);
                    self.process(r);
                    self.routers[r].node = None;
                }
            }
            Chaos::Restart(r) => {
                if self.routers[r].node.is_none() {
                    let mut node = Node::new(self.sc, r, self.routers[r].track)?;
                    node.startup(now);
                    self.routers[r].node = Some(node);
                    self.process(r);
                }
            }
            Chaos::Track(r, status) => {
                if self.routers[r].track != status {
                    self.routers[r].track = status;
                    if let Some(node) = self.routers[r].node.as_mut() {
                        node.set_track(now, status)?;
                        self.process(r);
                    }
                }
            }
        }
        Ok(())
    }

    /// Carries out router `r`'s actions: adverts onto the wire, VIPs held.
    fn process(&mut self, r: usize) {
        let Some(node) = self.routers[r].node.as_mut() else {
            return;
        };
        for (member, action) in node.actions() {
            match action {
                Action::SendAdvert { advert, to } => self.send(r, member, advert, to),
                Action::AddAddresses { .. } => self.routers[r].vip_held[member] = true,
                Action::RemoveAddresses { .. } => self.routers[r].vip_held[member] = false,
                Action::StateChanged(t) => {
                    self.outcome.transitions += 1;
                    if self.trace {
                        eprintln!(
                            "{:>10} r{r}.{member} {:?} -> {:?} ({:?})",
                            ms(self.now),
                            t.from,
                            t.to,
                            t.reason
                        );
                    }
                }
                _ => {}
            }
        }
    }

    fn send(
        &mut self,
        from: usize,
        member: usize,
        advert: lbkit_vrrp::Advertisement,
        to: Destination,
    ) {
        let src = self.sc.routers[from].addr;
        for j in 0..self.routers.len() {
            let addressed = match to {
                Destination::Multicast => true,
                Destination::Unicast(a) => a == self.sc.routers[j].addr,
            };
            if j == from
                || !addressed
                || self.routers[j].partition != self.routers[from].partition
                || self.rng.chance(self.loss)
            {
                continue;
            }
            let mut at = self.now + self.rng.range(0, self.sc.max_delay);
            if self.now >= self.sc.heal_at {
                // A sound LAN keeps each sender's packets in order.
                let last = &mut self.last_delivery[from * self.routers.len() + j];
                at = at.max(*last);
                *last = at;
            }
            let rx = Received {
                src,
                ttl: 255,
                advert: advert.clone(),
            };
            self.push(at, Ev::Deliver { to: j, member, rx });
        }
    }

    /// Invariants checked after every step.
    fn observe(&mut self) -> Result<(), String> {
        for (r, router) in self.routers.iter().enumerate() {
            let Some(node) = &router.node else { continue };
            for (m, inst) in node.members().iter().enumerate() {
                if router.vip_held[m] != (inst.state() == State::Master) {
                    return Err(format!(
                        "at {}: r{r}.{m} is {:?} but holds VIPs: {}",
                        ms(self.now),
                        inst.state(),
                        router.vip_held[m]
                    ));
                }
            }
        }
        if self.now < self.sc.heal_at {
            return Ok(());
        }
        for m in 0..self.dual_since.len() {
            let masters = self.count(m, |s| s == State::Master);
            if masters >= 2 {
                let since = *self.dual_since[m].get_or_insert(self.now);
                if self.now - since > self.sc.dual_master_bound() {
                    return Err(format!(
                        "VRID {}: {masters} masters from {} to {} (bound {})",
                        m + 1,
                        ms(since),
                        ms(self.now),
                        ms(self.sc.dual_master_bound())
                    ));
                }
            } else {
                self.dual_since[m] = None;
            }
            let eligible = self.count(m, |s| matches!(s, State::Backup | State::Master));
            let expected = usize::from(eligible > 0);
            let stop = self.sc.stop_master_at();
            let conv = self.sc.convergence_bound();
            if self.stopped_master && (stop..stop + conv).contains(&self.now) {
                // After the clean stop: a backup must have taken over by
                // Skew_Time; a higher one may still preempt it later.
                if self.now >= stop + self.sc.takeover_bound() && masters < expected {
                    return Err(format!(
                        "VRID {}: no master at {}, {} after the master stopped (bound {})",
                        m + 1,
                        ms(self.now),
                        ms(self.now - stop),
                        ms(self.sc.takeover_bound())
                    ));
                }
            } else if self.now >= self.sc.heal_at + conv && masters != expected {
                return Err(format!(
                    "VRID {}: {masters} masters at {} (healed at {}, bound {}), expected {expected}",
                    m + 1,
                    ms(self.now),
                    ms(self.sc.heal_at),
                    ms(conv)
                ));
            }
        }
        Ok(())
    }

    fn count(&self, member: usize, pred: impl Fn(State) -> bool) -> usize {
        self.routers
            .iter()
            .filter_map(|r| r.node.as_ref())
            .filter(|n| pred(n.members()[member].state()))
            .count()
    }

    /// Properties of the settled network.
    fn final_checks(&self) -> Result<(), String> {
        for m in 0..self.dual_since.len() {
            let live: Vec<(usize, &Instance)> = self
                .routers
                .iter()
                .enumerate()
                .filter_map(|(r, x)| Some((r, x.node.as_ref()?.members()[m])))
                .filter(|(_, i)| matches!(i.state(), State::Backup | State::Master))
                .collect();
            let best = live.iter().map(|(_, i)| i.priority()).max();
            let master = live.iter().find(|(_, i)| i.state() == State::Master);
            if self.sc.all_preempt {
                if let (Some(best), Some((r, i))) = (best, master) {
                    if i.priority() != best {
                        return Err(format!(
                            "VRID {}: master r{r} has priority {} but {best} is available",
                            m + 1,
                            i.priority()
                        ));
                    }
                }
            }
        }
        for (r, router) in self.routers.iter().enumerate() {
            let Some(node) = &router.node else { continue };
            if let Some(gs) = node.group_state() {
                let states: Vec<State> = node.members().iter().map(|i| i.state()).collect();
                if states.iter().any(|s| *s != gs) {
                    return Err(format!("r{r}: sync group {gs:?} but members {states:?}"));
                }
            }
        }
        Ok(())
    }
}

fn ms(n: Nanos) -> String {
    format!("{}.{:03}s", n / 1_000_000_000, (n / 1_000_000) % 1000)
}
