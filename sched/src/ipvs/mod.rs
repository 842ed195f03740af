//! The Linux kernel's IPVS schedulers (`net/netfilter/ipvs/ip_vs_*.c`, v6.1).
//!
//! [`Scheduler`] holds a service's destination list exactly as the kernel
//! does (a new destination goes to the head of `svc->destinations`) and
//! calls the scheduler's `add_dest` / `del_dest` / `upd_dest` hooks at the
//! same moments, so that every pick is the one the kernel would make.
//!
//! ```
//! use lbkit_sched::ipvs::Scheduler;
//! use lbkit_sched::{RequestKey, ServerConfig, ServerId};
//!
//! let mut wlc = Scheduler::from_name("wlc")?;
//! wlc.add(ServerId(1), ServerConfig::new(1))?;
//! wlc.add(ServerId(2), ServerConfig::new(2))?;
//! let first = wlc.pick(&RequestKey::new())?;
//! wlc.connection_opened(first)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod algo;
mod dest;
mod dh;
mod fo;
mod hashfn;
mod lblc;
mod lblcr;
mod lc;
mod mh;
mod nq;
mod ovf;
mod rr;
mod sed;
mod sh;
#[cfg(test)]
mod testutil;
mod tournament;
mod twos;
mod wlc;
mod wrr;

use crate::error::Family;
use crate::{Error, PickError, RandomSource, RequestKey, ServerConfig, ServerId, ServerState};
use algo::{Algo, Context};
pub(crate) use dest::Dest;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// The largest weight `ipvsadm` accepts (`-w 0..65535`); the kernel keeps any
/// non-negative `int`.
pub const MAX_WEIGHT: u32 = 65535;

/// An IPVS scheduler, by its kernel name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// `rr`: round-robin.
    RoundRobin,
    /// `wrr`: weighted round-robin.
    WeightedRoundRobin,
    /// `lc`: least-connection.
    LeastConnection,
    /// `wlc`: weighted least-connection (the kernel's default).
    WeightedLeastConnection,
    /// `lblc`: locality-based least-connection.
    LocalityBasedLeastConnection,
    /// `lblcr`: locality-based least-connection with replication.
    LocalityBasedLeastConnectionReplication,
    /// `dh`: destination hashing.
    DestinationHashing,
    /// `sh`: source hashing.
    SourceHashing,
    /// `sed`: shortest expected delay.
    ShortestExpectedDelay,
    /// `nq`: never queue.
    NeverQueue,
    /// `fo`: weighted failover.
    WeightedFailover,
    /// `ovf`: weighted overflow.
    WeightedOverflow,
    /// `mh`: Maglev hashing.
    MaglevHashing,
    /// `twos`: weighted random twos choice.
    TwosChoice,
}

impl Algorithm {
    /// Every scheduler, in the kernel's Kconfig order.
    pub const ALL: [Algorithm; 14] = [
        Algorithm::RoundRobin,
        Algorithm::WeightedRoundRobin,
        Algorithm::LeastConnection,
        Algorithm::WeightedLeastConnection,
        Algorithm::LocalityBasedLeastConnection,
        Algorithm::LocalityBasedLeastConnectionReplication,
        Algorithm::DestinationHashing,
        Algorithm::SourceHashing,
        Algorithm::ShortestExpectedDelay,
        Algorithm::NeverQueue,
        Algorithm::WeightedFailover,
        Algorithm::WeightedOverflow,
        Algorithm::MaglevHashing,
        Algorithm::TwosChoice,
    ];

    /// The kernel's name for it (`ipvsadm -s NAME`, keepalived `lb_algo NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::RoundRobin => "rr",
            Algorithm::WeightedRoundRobin => "wrr",
            Algorithm::LeastConnection => "lc",
            Algorithm::WeightedLeastConnection => "wlc",
            Algorithm::LocalityBasedLeastConnection => "lblc",
            Algorithm::LocalityBasedLeastConnectionReplication => "lblcr",
            Algorithm::DestinationHashing => "dh",
            Algorithm::SourceHashing => "sh",
            Algorithm::ShortestExpectedDelay => "sed",
            Algorithm::NeverQueue => "nq",
            Algorithm::WeightedFailover => "fo",
            Algorithm::WeightedOverflow => "ovf",
            Algorithm::MaglevHashing => "mh",
            Algorithm::TwosChoice => "twos",
        }
    }

    fn instantiate(self) -> Box<dyn Algo> {
        match self {
            Algorithm::RoundRobin => Box::new(rr::Rr::new()),
            Algorithm::WeightedRoundRobin => Box::new(wrr::Wrr::new()),
            Algorithm::LeastConnection => Box::new(lc::Lc::new()),
            Algorithm::WeightedLeastConnection => {
                Box::new(wlc::LeastLoaded::new(wlc::conn_overhead))
            }
            Algorithm::LocalityBasedLeastConnection => Box::new(lblc::Lblc::new()),
            Algorithm::LocalityBasedLeastConnectionReplication => Box::new(lblcr::Lblcr::new()),
            Algorithm::DestinationHashing => Box::new(dh::Dh::new()),
            Algorithm::SourceHashing => Box::new(sh::Sh::new()),
            Algorithm::ShortestExpectedDelay => Box::new(sed::new()),
            Algorithm::NeverQueue => Box::new(nq::Nq::new()),
            Algorithm::WeightedFailover => Box::new(fo::Fo::new()),
            Algorithm::WeightedOverflow => Box::new(ovf::Ovf::new()),
            Algorithm::MaglevHashing => Box::new(mh::Mh::new()),
            Algorithm::TwosChoice => Box::new(twos::Twos::new()),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let name = s.trim();
        Algorithm::ALL
            .into_iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| Error::UnknownAlgorithm {
                family: Family::Ipvs,
                name: name.to_string(),
                suggestion: crate::suggest::closest(name, &Algorithm::ALL.map(Algorithm::name)),
            })
    }
}

/// The service's scheduler flags (`ipvsadm -b`, keepalived `sh-port` ...):
/// `IP_VS_SVC_F_SCHED1` and `IP_VS_SVC_F_SCHED2`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SchedFlags {
    /// `sh-fallback` / `mh-fallback`: skip an unavailable destination.
    pub fallback: bool,
    /// `sh-port` / `mh-port`: hash the source port too.
    pub port: bool,
}

impl SchedFlags {
    /// No flags.
    pub fn new() -> Self {
        SchedFlags::default()
    }

    /// Sets the fallback flag.
    pub fn fallback(mut self, on: bool) -> Self {
        self.fallback = on;
        self
    }

    /// Sets the port flag.
    pub fn port(mut self, on: bool) -> Self {
        self.port = on;
        self
    }
}

/// An IPVS virtual service's scheduler with its destinations.
pub struct Scheduler {
    algorithm: Algorithm,
    flags: SchedFlags,
    /// `svc->destinations`, head first.
    dests: Vec<Dest>,
    /// Position of each destination in `dests`.
    index: HashMap<ServerId, usize>,
    /// Destinations set [`ServerState::Down`]: out of the list, remembered.
    parked: Vec<Dest>,
    algo: Box<dyn Algo>,
    rng: Box<dyn RandomSource>,
}

impl fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scheduler")
            .field("algorithm", &self.algorithm)
            .field("flags", &self.flags)
            .field("dests", &self.dests)
            .field("parked", &self.parked)
            .finish_non_exhaustive()
    }
}

impl Scheduler {
    /// A scheduler for a service with no destinations yet.
    pub fn new(algorithm: Algorithm) -> Self {
        let mut algo = algorithm.instantiate();
        algo.init(&[]);
        Scheduler {
            algorithm,
            flags: SchedFlags::default(),
            dests: Vec::new(),
            index: HashMap::new(),
            parked: Vec::new(),
            algo,
            rng: Box::new(crate::SplitMix64::from_entropy()),
        }
    }

    /// A scheduler from its kernel name (`"wlc"`).
    pub fn from_name(name: &str) -> Result<Self, Error> {
        Ok(Scheduler::new(name.parse()?))
    }

    /// Sets the service's scheduler flags.
    pub fn with_flags(mut self, flags: SchedFlags) -> Self {
        self.flags = flags;
        self
    }

    /// Replaces the randomness (`twos`).
    pub fn with_random(mut self, rng: impl RandomSource + 'static) -> Self {
        self.rng = Box::new(rng);
        self
    }

    /// The scheduler in use.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The flags in use.
    pub fn flags(&self) -> SchedFlags {
        self.flags
    }

    /// Switches the service to another scheduler (`ipvsadm -E -s`): the new
    /// one starts fresh with the current destinations.
    pub fn set_algorithm(&mut self, algorithm: Algorithm) {
        self.algorithm = algorithm;
        self.algo = algorithm.instantiate();
        self.algo.init(&self.dests);
    }

    /// The destinations in the kernel's list order (head first), excluding
    /// ones set down.
    pub fn servers(&self) -> impl Iterator<Item = ServerId> + '_ {
        self.dests.iter().map(|d| d.id)
    }

    /// Number of destinations in the service (excluding ones set down).
    pub fn len(&self) -> usize {
        self.dests.len()
    }

    /// True when the service has no destination.
    pub fn is_empty(&self) -> bool {
        self.dests.is_empty()
    }

    /// Adds a destination (`ipvsadm -a`): it goes to the head of the list.
    pub fn add(&mut self, id: ServerId, cfg: ServerConfig) -> Result<(), Error> {
        if self.position(id).is_some() || self.parked.iter().any(|d| d.id == id) {
            return Err(Error::DuplicateServer(id));
        }
        if let Some(addr) = cfg.addr {
            if let Some(other) = self.all().find(|d| d.addr == Some(addr)) {
                return Err(Error::DuplicateServer(other.id));
            }
        }
        let weight = check_weight(id, cfg.weight)?;
        if cfg.l_threshold > cfg.u_threshold {
            return Err(Error::ThresholdOrder {
                id,
                upper: cfg.u_threshold,
                lower: cfg.l_threshold,
            });
        }
        if self.algorithm == Algorithm::MaglevHashing && cfg.addr.is_none() {
            return Err(Error::AddressRequired {
                id,
                algorithm: "mh",
            });
        }
        let dest = Dest {
            id,
            addr: cfg.addr,
            weight,
            overloaded: false,
            activeconns: 0,
            inactconns: 0,
            u_threshold: cfg.u_threshold,
            l_threshold: cfg.l_threshold,
            drained_weight: None,
        };
        self.link(dest);
        Ok(())
    }

    /// Removes a destination (`ipvsadm -d`).
    pub fn remove(&mut self, id: ServerId) -> Result<(), Error> {
        if let Some(at) = self.parked.iter().position(|d| d.id == id) {
            self.parked.remove(at);
            return Ok(());
        }
        self.unlink(id).map(drop)
    }

    /// Edits a destination's weight (`ipvsadm -e -w`). On a drained
    /// destination it sets the weight it comes back with.
    pub fn set_weight(&mut self, id: ServerId, weight: u32) -> Result<(), Error> {
        let weight = check_weight(id, weight)?;
        if let Some(dest) = self.parked.iter_mut().find(|d| d.id == id) {
            set_or_defer(dest, weight);
            return Ok(());
        }
        let at = self.position(id).ok_or(Error::UnknownServer(id))?;
        let dest = &mut self.dests[at];
        if dest.drained_weight.is_some() {
            dest.drained_weight = Some(weight);
            return Ok(());
        }
        self.update(at, weight);
        Ok(())
    }

    /// Sets a destination up, down (unlinked from the service, as keepalived
    /// removes a failed real server) or drained (weight 0, as keepalived's
    /// `inhibit_on_failure`).
    pub fn set_state(&mut self, id: ServerId, state: ServerState) -> Result<(), Error> {
        if let Some(at) = self.parked.iter().position(|d| d.id == id) {
            if state == ServerState::Down {
                return Ok(());
            }
            let mut dest = self.parked.remove(at);
            if state == ServerState::Drain {
                if dest.drained_weight.is_none() {
                    dest.drained_weight = Some(dest.weight);
                    dest.weight = 0;
                }
            } else if let Some(weight) = dest.drained_weight.take() {
                dest.weight = weight;
            }
            self.link(dest);
            return Ok(());
        }
        let at = self.position(id).ok_or(Error::UnknownServer(id))?;
        match state {
            ServerState::Down => {
                let dest = self.unlink(id)?;
                self.parked.push(dest);
            }
            ServerState::Drain => {
                if self.dests[at].drained_weight.is_none() {
                    self.dests[at].drained_weight = Some(self.dests[at].weight);
                    self.update(at, 0);
                }
            }
            _ => {
                if let Some(weight) = self.dests[at].drained_weight.take() {
                    self.update(at, weight);
                }
            }
        }
        Ok(())
    }

    /// A new active connection was bound to the destination.
    pub fn connection_opened(&mut self, id: ServerId) -> Result<(), Error> {
        self.change_conns(id, |dest| {
            dest.activeconns = dest.activeconns.saturating_add(1);
            dest.after_bind();
        })
    }

    /// An active connection of the destination ended.
    pub fn connection_closed(&mut self, id: ServerId) -> Result<(), Error> {
        self.change_conns(id, |dest| {
            dest.activeconns = dest.activeconns.saturating_sub(1);
            dest.after_unbind();
        })
    }

    /// Sets the destination's active and inactive connection counters, as
    /// `ipvsadm -L` shows them, applying the overload thresholds.
    pub fn set_connections(
        &mut self,
        id: ServerId,
        active: u32,
        inactive: u32,
    ) -> Result<(), Error> {
        self.change_conns(id, |dest| {
            let before = dest.totalconns();
            dest.activeconns = active;
            dest.inactconns = inactive;
            if dest.totalconns() > before {
                dest.after_bind();
            } else if dest.totalconns() < before {
                dest.after_unbind();
            }
        })
    }

    /// The destination's active and inactive connection counters.
    pub fn connections(&self, id: ServerId) -> Option<(u32, u32)> {
        self.all()
            .find(|d| d.id == id)
            .map(|d| (d.activeconns, d.inactconns))
    }

    /// True when the destination is flagged overloaded (upper threshold reached).
    pub fn is_overloaded(&self, id: ServerId) -> Option<bool> {
        self.all().find(|d| d.id == id).map(|d| d.overloaded)
    }

    /// The destination the kernel would send this new connection to.
    pub fn pick(&mut self, key: &RequestKey<'_>) -> Result<ServerId, PickError> {
        if self.dests.is_empty() {
            return Err(PickError::Empty);
        }
        let mut cx = Context {
            key,
            flags: self.flags,
            rng: &mut *self.rng,
        };
        match self.algo.schedule(&mut cx, &self.dests) {
            Some(at) => self
                .dests
                .get(at)
                .map(|d| d.id)
                .ok_or(PickError::Unavailable),
            None => Err(PickError::Unavailable),
        }
    }

    fn all(&self) -> impl Iterator<Item = &Dest> {
        self.dests.iter().chain(self.parked.iter())
    }

    fn position(&self, id: ServerId) -> Option<usize> {
        self.index.get(&id).copied()
    }

    /// Recomputes every position after the list changed shape.
    fn reindex(&mut self) {
        self.index.clear();
        self.index
            .extend(self.dests.iter().enumerate().map(|(at, d)| (d.id, at)));
    }

    /// Applies a change of connection counters to a destination and tells
    /// the scheduler (counters and the overload flag it may set).
    fn change_conns(&mut self, id: ServerId, change: impl FnOnce(&mut Dest)) -> Result<(), Error> {
        if let Some(at) = self.position(id) {
            change(&mut self.dests[at]);
            self.algo.conns_changed(&self.dests, at);
            return Ok(());
        }
        let dest = self
            .parked
            .iter_mut()
            .find(|d| d.id == id)
            .ok_or(Error::UnknownServer(id))?;
        change(dest);
        Ok(())
    }

    /// `list_add_rcu(&dest->n_list, &svc->destinations)` then `add_dest`.
    fn link(&mut self, dest: Dest) {
        self.dests.insert(0, dest);
        self.reindex();
        self.algo.add_dest(&self.dests, 0);
    }

    /// `list_del_rcu(&dest->n_list)` then `del_dest`.
    fn unlink(&mut self, id: ServerId) -> Result<Dest, Error> {
        let at = self.position(id).ok_or(Error::UnknownServer(id))?;
        let dest = self.dests.remove(at);
        self.reindex();
        self.algo.del_dest(&self.dests, &dest, at);
        Ok(dest)
    }

    /// `__ip_vs_update_dest(add = 0)`: a new weight with the same thresholds
    /// (a zero upper threshold clears the overload flag), then `upd_dest`.
    fn update(&mut self, at: usize, weight: i32) {
        let dest = &mut self.dests[at];
        dest.weight = weight;
        if dest.u_threshold == 0 {
            dest.overloaded = false;
        }
        self.algo.upd_dest(&self.dests, at);
    }
}

fn set_or_defer(dest: &mut Dest, weight: i32) {
    match dest.drained_weight {
        Some(_) => dest.drained_weight = Some(weight),
        None => dest.weight = weight,
    }
}

fn check_weight(id: ServerId, weight: u32) -> Result<i32, Error> {
    if weight > MAX_WEIGHT {
        return Err(Error::WeightOutOfRange {
            id,
            weight,
            max: MAX_WEIGHT,
        });
    }
    Ok(weight as i32)
}
