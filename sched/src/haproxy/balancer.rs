//! One backend's load balancing: servers, state, and the algorithm's structures.
//!
//! See [`Balancer`] for the life cycle and what each call models.

#[path = "pending.rs"]
mod pending;

use super::fas::Fas;
use super::fwlc::Fwlc;
use super::fwrr::Fwrr;
use super::map::{weight_gcd, Map};
use super::server::{scale_weight, BackendWeight, LbSummary, Srv, BE_WEIGHT_SCALE};
use super::{Balance, BalancerConfig, HashMethod, MAX_WEIGHT};
use crate::{Error, PickError, RandomSource, RequestKey, ServerConfig, ServerId, ServerState};
// Switch to `super::chash::Chash` and `super::key::request_hash` once the
// hashing branch is merged.
use pending::{request_hash, Chash};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::time::Duration;

/// The most servers a `roundrobin` group (active or backup) may hold: above
/// it `lb_fwrr.c`'s 32-bit tree keys overflow (`BE_WEIGHT_SCALE` comment in
/// `backend-t.h`, "limited by design to 4095 active servers" in the manual).
pub(crate) const ROUNDROBIN_MAX_SERVERS: usize = 4095;

/// The lookup structure of the configured algorithm (`lbprm.algo &
/// BE_LB_LKUP`). One per backend, so the size of its largest variant
/// does not matter, and no box stands in the way of a pick.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
enum Lb {
    /// `BE_LB_LKUP_RRTREE`: `roundrobin`.
    Fwrr(Fwrr),
    /// `BE_LB_LKUP_LCTREE`: `leastconn`.
    Fwlc(Fwlc),
    /// `BE_LB_LKUP_FSTREE`: `first`.
    Fas(Fas),
    /// `BE_LB_LKUP_MAP`: `static-rr` and map-based hashes.
    Map(Map),
    /// `BE_LB_LKUP_CHTREE`: consistent hashes and `random`.
    Chash(Chash),
}

impl Lb {
    /// The structure HAProxy uses for this configuration.
    fn for_config(config: &BalancerConfig) -> Lb {
        match config.balance {
            Balance::RoundRobin => Lb::Fwrr(Fwrr::new()),
            Balance::StaticRr => Lb::Map(Map::new()),
            Balance::LeastConn => Lb::Fwlc(Fwlc::new()),
            Balance::First => Lb::Fas(Fas::new()),
            Balance::Random { .. } => Lb::Chash(Chash::new()),
            _ => match config.hash_type.method {
                HashMethod::MapBased => Lb::Map(Map::new()),
                HashMethod::Consistent => Lb::Chash(Chash::new()),
            },
        }
    }
}

/// A slow start in progress (`SRV_ST_STARTING`), in whole seconds as
/// HAProxy counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SlowStart {
    /// `now - last_change`.
    elapsed: u32,
    /// `slowstart`, rounded up to seconds as the configuration parser does.
    period: u32,
}

/// What the balancer keeps about a server besides [`Srv`].
#[derive(Clone, Debug)]
struct Slot {
    /// Removed: a tombstone.
    removed: bool,
    /// `iweight`: the configured weight.
    iweight: u32,
    /// The configured `maxconn`.
    maxconn: u32,
    /// The slow start in progress, if any.
    slowstart: Option<SlowStart>,
}

/// A server's LB-relevant status before a change (`cur_*` against `next_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Before {
    /// `srv_currently_usable()`.
    usable: bool,
    /// `cur_eweight`.
    eweight: u32,
    /// `cur_state` / `cur_admin`, as far as they are modelled.
    state: ServerState,
    /// `cur_state == SRV_ST_STARTING`.
    starting: bool,
}

/// A backend's balancer: HAProxy 2.6's `balance` state for one backend.
///
/// # Life cycle
///
/// Servers added before anything else happens form the configuration:
/// the algorithm's structures are built from them, as HAProxy builds them
/// at startup (`fwrr_init_server_groups()`, `init_server_map()`, ...), by
/// the first call that is not [`Balancer::add`] or [`Balancer::remove`].
/// Everything after that is a runtime event, applied the way HAProxy
/// applies it: `set weight`, a state change or a slow start goes through the
/// algorithm's `update_server_eweight` / `set_server_status_up|down`
/// callbacks, a connection through `server_take_conn` / `server_drop_conn`.
///
/// A server added at runtime is HAProxy 2.6's `add server` (appended to the
/// list) followed by `enable server`. HAProxy refuses `add server` for the
/// static algorithms (`static-rr`, map-based hashes); here the backend is
/// then rebuilt from scratch, as a reload with the new server list would
/// (new weight divisor, new map, round-robin index back to 0). A removed
/// server is first taken down (HAProxy's `del server` requires it to be in
/// maintenance), then forgotten; its id may be added again.
///
/// Queues are not modelled: [`Balancer::pick`] reports when HAProxy would
/// queue the request instead of connecting.
pub struct Balancer {
    /// The `balance` / `hash-type` configuration.
    config: BalancerConfig,
    /// The server list, in HAProxy's list order; indices never change.
    servers: Vec<Srv>,
    /// Side data of each server, by index.
    slots: Vec<Slot>,
    /// Live servers by id.
    index: HashMap<ServerId, usize, BuildHasherDefault<IdHasher>>,
    /// The algorithm's structure.
    lb: Lb,
    /// Whether the structure was built (the backend "started").
    built: bool,
    /// `srv_act`, `srv_bck`, `tot_wact`, `tot_wbck`, `fbck`.
    summary: LbSummary,
    /// `tot_weight`, `tot_used`.
    weight: BackendWeight,
    /// `lbprm.wdiv`.
    wdiv: u32,
    /// `lbprm.wmult`.
    wmult: u32,
    /// Randomness for `balance random`.
    rng: Box<dyn RandomSource>,
}

impl std::fmt::Debug for Balancer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Balancer")
            .field("config", &self.config)
            .field("servers", &self.servers)
            .field("summary", &self.summary)
            .field("weight", &self.weight)
            .field("lb", &self.lb)
            .finish_non_exhaustive()
    }
}

impl Balancer {
    /// A balancer with no servers.
    pub fn new(config: BalancerConfig) -> Result<Self, Error> {
        Ok(Balancer {
            lb: Lb::for_config(&config),
            config,
            servers: Vec::new(),
            slots: Vec::new(),
            index: HashMap::default(),
            built: false,
            summary: LbSummary::default(),
            weight: BackendWeight::default(),
            wdiv: 1,
            wmult: 1,
            rng: Box::new(crate::SplitMix64::from_entropy()),
        })
    }

    /// Replaces the randomness (`balance random`).
    pub fn with_random(mut self, rng: impl RandomSource + 'static) -> Self {
        self.rng = Box::new(rng);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &BalancerConfig {
        &self.config
    }

    /// Adds a server; its id is its HAProxy `id` (`puid`), and servers are
    /// listed in the order they are added.
    ///
    /// Fails on a weight above 256, an id already present, or (roundrobin)
    /// a group already holding [`ROUNDROBIN_MAX_SERVERS`] servers.
    pub fn add(&mut self, id: ServerId, cfg: ServerConfig) -> Result<(), Error> {
        check_weight(id, cfg.weight)?;
        if self.index.contains_key(&id) {
            return Err(Error::DuplicateServer(id));
        }
        self.check_capacity(cfg.backup)?;
        let idx = self.servers.len();
        self.servers.push(Srv {
            id,
            uweight: cfg.weight,
            eweight: 0,
            backup: cfg.backup,
            state: ServerState::Up,
            served: 0,
            maxconn: cfg.maxconn,
        });
        self.slots.push(Slot {
            removed: false,
            iweight: cfg.weight,
            maxconn: cfg.maxconn,
            slowstart: None,
        });
        self.index.insert(id, idx);
        self.reserve();
        if self.built {
            self.add_at_runtime(idx);
        }
        Ok(())
    }

    /// Removes a server: it is taken down, then forgotten.
    pub fn remove(&mut self, id: ServerId) -> Result<(), Error> {
        let idx = self.lookup(id)?;
        if self.built {
            let before = self.before(idx);
            self.servers[idx].state = ServerState::Down;
            self.slots[idx].slowstart = None;
            self.transition(idx, before, false);
        }
        self.servers[idx].state = ServerState::Down;
        self.servers[idx].eweight = 0;
        self.slots[idx].removed = true;
        self.index.remove(&id);
        Ok(())
    }

    /// Changes a server's weight (`set weight` on the runtime API), 0..=256.
    ///
    /// As in HAProxy, static algorithms (`static-rr`, map-based hashes) only
    /// accept 0 and the server's configured weight.
    pub fn set_weight(&mut self, id: ServerId, weight: u32) -> Result<(), Error> {
        check_weight(id, weight)?;
        let idx = self.lookup(id)?;
        if !self.is_dynamic() && weight != 0 && weight != self.slots[idx].iweight {
            return Err(Error::InvalidArgument {
                algorithm: self.algorithm_name(),
                reason: format!(
                    "a static algorithm only accepts weights 0 and {} (the configured one) for server {id}",
                    self.slots[idx].iweight
                ),
            });
        }
        self.build();
        let before = self.before(idx);
        self.servers[idx].uweight = weight;
        self.refresh(idx);
        self.transition(idx, before, false);
        Ok(())
    }

    /// Sets a server up, down or drained. A drained server keeps its
    /// weight and connections but is not usable (`SRV_ADMF_DRAIN`); going
    /// down ends a slow start.
    pub fn set_state(&mut self, id: ServerId, state: ServerState) -> Result<(), Error> {
        let idx = self.lookup(id)?;
        self.build();
        let before = self.before(idx);
        self.servers[idx].state = state;
        if state == ServerState::Down {
            self.slots[idx].slowstart = None;
        }
        self.refresh(idx);
        self.transition(idx, before, false);
        Ok(())
    }

    /// Puts a server in slow start: it came up `elapsed` ago and ramps up
    /// over `slowstart` (the `slowstart` server keyword). Dynamic algorithms
    /// scale its effective weight as `server_recalc_eweight()` does, and
    /// every algorithm lowers its `maxconn` as `srv_dynamic_maxconn()`
    /// does. Both count whole seconds, like HAProxy; once `elapsed` reaches
    /// `slowstart` the server runs at full weight. Call again as time
    /// passes. Has no effect on a down server.
    pub fn set_slowstart(
        &mut self,
        id: ServerId,
        elapsed: Duration,
        slowstart: Duration,
    ) -> Result<(), Error> {
        let idx = self.lookup(id)?;
        self.build();
        let before = self.before(idx);
        let period = u32::try_from(slowstart.as_millis().div_ceil(1000)).unwrap_or(u32::MAX);
        let elapsed = u32::try_from(elapsed.as_secs()).unwrap_or(u32::MAX);
        let starting =
            period > 0 && elapsed < period && self.servers[idx].state != ServerState::Down;
        self.slots[idx].slowstart = starting.then_some(SlowStart { elapsed, period });
        self.refresh(idx);
        self.transition(idx, before, false);
        Ok(())
    }

    /// A connection was assigned to the server (`served++`, then
    /// `server_take_conn`: leastconn and first reposition the server).
    pub fn connection_opened(&mut self, id: ServerId) -> Result<(), Error> {
        let idx = self.lookup(id)?;
        self.build();
        self.servers[idx].served = self.servers[idx].served.saturating_add(1);
        self.reposition(idx);
        Ok(())
    }

    /// A connection of the server ended (`served--`, then
    /// `server_drop_conn`). Does nothing to a server serving nothing.
    pub fn connection_closed(&mut self, id: ServerId) -> Result<(), Error> {
        let idx = self.lookup(id)?;
        self.build();
        self.servers[idx].served = self.servers[idx].served.saturating_sub(1);
        self.reposition(idx);
        Ok(())
    }

    /// The server HAProxy would pick for this request (`assign_server()`).
    ///
    /// Picking does not count a connection: call
    /// [`Balancer::connection_opened`] when the connection is made.
    ///
    /// [`PickError::Unavailable`] covers every case where HAProxy would not
    /// connect now: no usable server, every server full, and a chosen
    /// server that is full (the first backup, or a hashed server, is
    /// returned full; `assign_server_and_queue()` then queues the request
    /// on it). The algorithm's state moves as HAProxy's does in all cases.
    /// Queued requests themselves are not modelled.
    pub fn pick(&mut self, key: &RequestKey<'_>) -> Result<ServerId, PickError> {
        if self.index.is_empty() {
            return Err(PickError::Empty);
        }
        self.build();
        if self.weight.tot_weight == 0 {
            return Err(PickError::Unavailable);
        }
        self.lookup_server(key)
            .and_then(|idx| self.servers.get(idx))
            .filter(|srv| !srv.is_full())
            .map(|srv| srv.id)
            .ok_or(PickError::Unavailable)
    }

    /// Connections currently counted on the server.
    pub fn served(&self, id: ServerId) -> Option<u32> {
        self.index.get(&id).map(|&idx| self.servers[idx].served)
    }

    /// The server's effective weight (`cur_eweight`): its weight scaled as
    /// the algorithm scales it (times 16 for dynamic algorithms, divided by
    /// the weights' gcd for static ones), ramped during a slow start.
    pub fn effective_weight(&self, id: ServerId) -> Option<u32> {
        let &idx = self.index.get(&id)?;
        if self.built {
            return Some(self.servers[idx].eweight);
        }
        let (wdiv, wmult) = self.weight_factors();
        Some(self.eweight_with(idx, wdiv, wmult))
    }

    /// The server's state.
    pub fn state(&self, id: ServerId) -> Option<ServerState> {
        self.index.get(&id).map(|&idx| self.servers[idx].state)
    }

    /// Whether the server is in the backend.
    pub fn contains(&self, id: ServerId) -> bool {
        self.index.contains_key(&id)
    }

    /// Number of servers.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the backend has no server.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Whether some server can take a request now (`tot_weight != 0`).
    pub fn is_available(&mut self) -> bool {
        self.build();
        self.weight.tot_weight != 0
    }

    /// The live server with this id.
    fn lookup(&self, id: ServerId) -> Result<usize, Error> {
        self.index.get(&id).copied().ok_or(Error::UnknownServer(id))
    }

    /// `BE_LB_PROP_DYN`: whether weights may change on the fly.
    fn is_dynamic(&self) -> bool {
        !matches!(self.lb, Lb::Map(_))
    }

    /// The algorithm's name, for errors.
    fn algorithm_name(&self) -> &'static str {
        match self.config.balance {
            Balance::RoundRobin => "roundrobin",
            Balance::StaticRr => "static-rr",
            Balance::LeastConn => "leastconn",
            Balance::First => "first",
            Balance::Source => "source",
            Balance::Uri(_) => "uri",
            Balance::UrlParam { .. } => "url_param",
            Balance::Hdr { .. } => "hdr",
            Balance::RdpCookie { .. } => "rdp-cookie",
            Balance::Random { .. } => "random",
        }
    }

    /// Refuses a roundrobin server beyond the design limit of its group.
    fn check_capacity(&self, backup: bool) -> Result<(), Error> {
        if !matches!(self.lb, Lb::Fwrr(_)) {
            return Ok(());
        }
        let in_group = self
            .index
            .values()
            .filter(|&&idx| self.servers[idx].backup == backup)
            .count();
        if in_group >= ROUNDROBIN_MAX_SERVERS {
            return Err(Error::TooManyServers {
                algorithm: "roundrobin",
                limit: ROUNDROBIN_MAX_SERVERS,
            });
        }
        Ok(())
    }

    /// `(wdiv, wmult)` the algorithm's init function would set now:
    /// `BE_WEIGHT_SCALE` and 1 for dynamic algorithms, 1 and the gcd of the
    /// user weights for the map.
    fn weight_factors(&self) -> (u32, u32) {
        if self.is_dynamic() {
            return (BE_WEIGHT_SCALE, 1);
        }
        let live = self
            .servers
            .iter()
            .zip(&self.slots)
            .filter(|(_, slot)| !slot.removed)
            .map(|(srv, _)| &srv.uweight);
        (1, weight_gcd(live))
    }

    /// `server_recalc_eweight()` with the given factors.
    fn eweight_with(&self, idx: usize, wdiv: u32, wmult: u32) -> u32 {
        let w = match self.slots[idx].slowstart {
            Some(ss) if self.is_dynamic() => {
                wdiv.wrapping_mul(ss.elapsed).wrapping_add(ss.period) / ss.period.max(1)
            }
            _ => wdiv,
        };
        scale_weight(self.servers[idx].uweight, w, wmult)
    }

    /// `srv_dynamic_maxconn()` without `minconn` / `fullconn`: the
    /// configured limit, lowered in proportion during a slow start.
    fn dynamic_maxconn(&self, idx: usize) -> u32 {
        let slot = &self.slots[idx];
        match slot.slowstart {
            Some(ss) if slot.maxconn != 0 => {
                let ratio = 100u32.wrapping_mul(ss.elapsed) / ss.period.max(1);
                (slot.maxconn.wrapping_mul(ratio) / 100).max(1)
            }
            _ => slot.maxconn,
        }
    }

    /// Recomputes a server's effective weight and connection limit.
    fn refresh(&mut self, idx: usize) {
        self.servers[idx].eweight = self.eweight_with(idx, self.wdiv, self.wmult);
        self.servers[idx].maxconn = self.dynamic_maxconn(idx);
    }

    /// Sizes the structures for the server list.
    fn reserve(&mut self) {
        let n = self.servers.len();
        match &mut self.lb {
            Lb::Fwrr(f) => f.reserve(n),
            Lb::Fwlc(f) => f.reserve(n),
            Lb::Fas(f) => f.reserve(n),
            Lb::Map(_) | Lb::Chash(_) => {}
        }
    }

    /// Builds the structures from the servers (the backend starts), once.
    fn build(&mut self) {
        if !self.built {
            self.rebuild();
        }
    }

    /// The algorithm's init function: scale weights, count servers, fill
    /// the structure.
    fn rebuild(&mut self) {
        (self.wdiv, self.wmult) = self.weight_factors();
        for idx in 0..self.servers.len() {
            if !self.slots[idx].removed {
                self.refresh(idx);
            }
        }
        self.recount();
        let (servers, summary, weight) = (&self.servers, &self.summary, &self.weight);
        match &mut self.lb {
            Lb::Fwrr(f) => f.init(servers, summary),
            Lb::Fwlc(f) => f.init(servers),
            Lb::Fas(f) => f.init(servers),
            Lb::Map(m) => m.init(servers, summary, weight),
            Lb::Chash(c) => c.init(servers, summary),
        }
        self.built = true;
    }

    /// `recount_servers()` and `update_backend_weight()`.
    fn recount(&mut self) {
        self.summary = LbSummary::recount(&self.servers, self.config.allbackups);
        self.weight = self.summary.backend_weight(&self.servers);
    }

    /// A server added after startup: `add server` then `enable server` for
    /// dynamic algorithms, a rebuild for static ones.
    fn add_at_runtime(&mut self, idx: usize) {
        if !self.is_dynamic() {
            self.rebuild();
            return;
        }
        let before = Before {
            usable: false,
            eweight: 0,
            state: ServerState::Down,
            starting: false,
        };
        self.refresh(idx);
        self.transition(idx, before, true);
    }

    /// The server's status before a change.
    fn before(&self, idx: usize) -> Before {
        let srv = &self.servers[idx];
        Before {
            usable: srv.usable(),
            eweight: srv.eweight,
            state: srv.state,
            starting: self.slots[idx].slowstart.is_some(),
        }
    }

    /// Propagates a change of `servers[idx]` to the algorithm, as
    /// `srv_update_status()` does, when `srv_lb_status_changed()`.
    fn transition(&mut self, idx: usize, before: Before, force: bool) {
        let after = self.before(idx);
        let changed = after.state != before.state
            || after.eweight != before.eweight
            || after.starting != before.starting;
        if !force && !changed {
            return;
        }
        if !self.built {
            return;
        }
        self.recount();
        let (servers, summary) = (&self.servers, &self.summary);
        match &mut self.lb {
            Lb::Fwrr(f) => f.update_server(servers, idx, before.usable, before.eweight),
            Lb::Fwlc(f) => f.update_server(servers, idx, before.usable),
            Lb::Fas(f) => f.update_server(servers, idx, before.usable),
            Lb::Map(m) => m.recalc(servers, summary, &self.weight),
            Lb::Chash(c) => match (before.usable, after.usable) {
                (false, true) => c.set_server_up(servers, summary, idx),
                (true, false) => c.set_server_down(servers, summary, idx),
                (true, true) => c.update_server_weight(servers, summary, idx),
                (false, false) => {}
            },
        }
    }

    /// `server_take_conn` / `server_drop_conn`: only leastconn's order
    /// depends on connections (`first` requeues under an unchanged unique
    /// key, see `fas.rs`).
    fn reposition(&mut self, idx: usize) {
        if let Lb::Fwlc(f) = &mut self.lb {
            f.reposition(&self.servers, idx);
        }
    }

    /// The lookup part of `assign_server()`.
    fn lookup_server(&mut self, key: &RequestKey<'_>) -> Option<usize> {
        let hashing = !matches!(
            self.config.balance,
            Balance::RoundRobin
                | Balance::StaticRr
                | Balance::LeastConn
                | Balance::First
                | Balance::Random { .. }
        );
        let hash = if hashing {
            self.hash_for_request(key)
        } else {
            None
        };
        self.lookup_with(hashing, hash)
    }

    /// `assign_server()`'s lookup once the request is hashed (`hash` is
    /// `None` when it could not be): the hashing algorithms fall back to
    /// round robin on their map or ring.
    fn lookup_with(&mut self, hashing: bool, hash: Option<u32>) -> Option<usize> {
        let draws = match self.config.balance {
            Balance::Random { draws } => Some(draws),
            _ => None,
        };
        let (servers, summary, weight) = (&self.servers, &self.summary, &self.weight);
        match &mut self.lb {
            Lb::Fwrr(f) => f.get_next_server(servers, summary),
            Lb::Fwlc(f) => f.get_next_server(servers, summary),
            Lb::Fas(f) => f.get_next_server(servers, summary),
            Lb::Map(m) if hashing => hash
                .and_then(|h| m.get_server_hash(weight, h))
                .or_else(|| m.get_server_rr(servers, weight)),
            Lb::Map(m) => m.get_server_rr(servers, weight),
            Lb::Chash(c) => match draws {
                // get_server_rnd(): a full winner means "no server" (queue)
                Some(draws) => c
                    .random(servers, summary, draws, self.rng.as_mut())
                    .filter(|&idx| servers.get(idx).is_some_and(|s| !s.is_full())),
                None => hash
                    .and_then(|h| c.get_server_hash(servers, summary, h))
                    .or_else(|| c.get_next_server(servers, summary)),
            },
        }
    }

    /// The hash `get_server_sh/uh/ph/hh/rch()` would look up, `None` to fall
    /// back to round robin. With a single server in use they skip hashing
    /// (hash 0) once they know the request has what they hash: `hdr` does
    /// not even look, `url_param` always parses.
    fn hash_for_request(&self, key: &RequestKey<'_>) -> Option<u32> {
        if self.weight.tot_used != 1 {
            return request_hash(&self.config, key);
        }
        match self.config.balance {
            Balance::Hdr { .. } => Some(0),
            Balance::UrlParam { .. } => request_hash(&self.config, key),
            Balance::Source => key.src.map(|_| 0),
            Balance::Uri(_) => key.uri.map(|_| 0),
            _ => request_hash(&self.config, key).map(|_| 0),
        }
    }
}

/// A fast hasher for server ids (small integers chosen by the operator,
/// so no protection against crafted keys is needed): Fibonacci hashing.
#[derive(Clone, Copy, Debug, Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Refuses weights HAProxy refuses.
fn check_weight(id: ServerId, weight: u32) -> Result<(), Error> {
    if weight > MAX_WEIGHT {
        return Err(Error::WeightOutOfRange {
            id,
            weight,
            max: MAX_WEIGHT,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A balancer with servers `1..` of these weights.
    fn backend(balance: Balance, weights: &[u32]) -> Balancer {
        let mut b = Balancer::new(BalancerConfig::new(balance)).unwrap();
        for (i, &w) in weights.iter().enumerate() {
            b.add(ServerId(i as u32 + 1), ServerConfig::new(w)).unwrap();
        }
        b
    }

    /// `n` picks as a string of server ids (`E` when none).
    fn picks(b: &mut Balancer, n: usize) -> String {
        (0..n)
            .map(|_| match b.pick(&RequestKey::new()) {
                Ok(id) => id.0.to_string(),
                Err(_) => "E".to_string(),
            })
            .collect()
    }

    /// The id of a looked-up server index.
    fn id_of(b: &Balancer, idx: Option<usize>) -> Option<u32> {
        idx.map(|i| b.servers[i].id.0)
    }

    #[test]
    fn map_based_hash_takes_the_slot_of_the_hash() {
        // map_get_server_hash(): map [s1, s3, s2, s3, s2, s3], 7 % 6 = 1.
        let mut b = backend(Balance::Source, &[1, 2, 3]);
        b.build();
        let found = b.lookup_with(true, Some(7));
        assert_eq!(id_of(&b, found), Some(3));
        let found = b.lookup_with(true, Some(4));
        assert_eq!(id_of(&b, found), Some(2));
    }

    #[test]
    fn a_missing_hash_falls_back_to_the_map_round_robin() {
        // assign_server(): no hash -> map_get_server_rr(), the static-rr walk
        let mut b = backend(Balance::Source, &[1, 2, 3]);
        b.build();
        let seq: Vec<Option<u32>> = (0..6)
            .map(|_| {
                let found = b.lookup_with(true, None);
                id_of(&b, found)
            })
            .collect();
        assert_eq!(seq, [1, 3, 2, 3, 2, 3].map(Some).to_vec());
    }

    #[test]
    fn a_single_server_in_use_is_not_hashed() {
        // get_server_hh() jumps to hash_done (hash 0) before looking for the
        // header; get_server_sh() only once it has an IPv4/IPv6 source.
        let src = "192.0.2.1:80".parse().unwrap();
        let mut hdr = backend(
            Balance::Hdr {
                name: "host".into(),
                use_domain_only: false,
            },
            &[1],
        );
        hdr.build();
        assert_eq!(hdr.hash_for_request(&RequestKey::new()), Some(0));
        let mut source = backend(Balance::Source, &[1, 0]);
        source.build();
        assert_eq!(source.weight.tot_used, 1);
        assert_eq!(source.hash_for_request(&RequestKey::new()), None);
        assert_eq!(
            source.hash_for_request(&RequestKey::new().src(src)),
            Some(0)
        );
    }

    #[test]
    fn unchanged_status_leaves_roundrobin_alone() {
        // srv_lb_status_changed() is false: fwrr_update_server_weight()
        // returns at once, the sequence goes on as if nothing happened.
        let mut b = backend(Balance::RoundRobin, &[1, 2, 3]);
        let mut seq = picks(&mut b, 5);
        b.set_weight(ServerId(2), 2).unwrap();
        b.set_state(ServerId(3), ServerState::Up).unwrap();
        seq += &picks(&mut b, 7);
        assert_eq!(seq, "323132323132");
    }

    #[test]
    fn a_static_backend_is_rebuilt_when_a_server_is_added() {
        // init_server_map() again: gcd 1, map of weights 1, 2, 3, 3 by hand
        // (tot 9): [1, 2, 3, 4, 2, 3, 4, 3, 4], rr_idx back to 0.
        let mut b = backend(Balance::StaticRr, &[1, 2, 3]);
        assert_eq!(picks(&mut b, 2), "13");
        b.add(ServerId(4), ServerConfig::new(3)).unwrap();
        assert_eq!(picks(&mut b, 9), "123423434");
    }

    #[test]
    fn a_drained_server_keeps_weight_and_connections() {
        let mut b = backend(Balance::LeastConn, &[1, 2]);
        b.connection_opened(ServerId(2)).unwrap();
        b.set_state(ServerId(2), ServerState::Drain).unwrap();
        assert_eq!(b.effective_weight(ServerId(2)), Some(32));
        assert_eq!(b.served(ServerId(2)), Some(1));
        assert_eq!(b.summary.srv_act, 1);
        assert_eq!(picks(&mut b, 3), "111");
        b.set_state(ServerId(2), ServerState::Up).unwrap();
        // s2: one connection, key 2 * 4096 / 32 = 256 > 0 (s1 idle)
        assert_eq!(picks(&mut b, 1), "1");
    }

    #[test]
    fn removing_a_server_takes_it_down_first() {
        // as fwrr_set_server_status_down(): next_weight drops, the others go on
        let mut b = backend(Balance::RoundRobin, &[1, 1]);
        assert_eq!(picks(&mut b, 1), "1");
        b.remove(ServerId(1)).unwrap();
        assert_eq!(picks(&mut b, 3), "222");
        assert_eq!(b.summary.tot_wact, 16);
        assert!(!b.contains(ServerId(1)));
        assert_eq!(b.servers[0].state, ServerState::Down);
    }

    #[test]
    fn effective_weights_before_the_start() {
        // map: wmult = gcd; dynamic: times BE_WEIGHT_SCALE
        let b = backend(Balance::StaticRr, &[4, 6]);
        assert_eq!(b.effective_weight(ServerId(2)), Some(3));
        let b = backend(Balance::First, &[4, 6]);
        assert_eq!(b.effective_weight(ServerId(2)), Some(96));
    }
}
