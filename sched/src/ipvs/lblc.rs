//! The `lblc` scheduler (`net/netfilter/ipvs/ip_vs_lblc.c`):
//! locality-based least-connection.
//!
//! Each destination address of the packets (`key.dst`) is remembered with
//! the server it was sent to, in a table of 1024 buckets
//! (`IP_VS_LBLC_TAB_BITS` = 10, bucket `hash_32(ntohl(daddr), 10)`). The
//! remembered server is used again while it is in the service, has a
//! positive weight and is not "overloaded" in `lblc`'s sense: more active
//! connections than its weight while some server has fewer than half its
//! weight. Otherwise the weighted least-connection server
//! (`__ip_vs_lblc_schedule()`) is picked and remembered.
//!
//! ## Time
//!
//! The kernel ages entries with `jiffies` and a timer that fires every 60 s
//! from `init_service` (`ip_vs_lblc_check_expire()`): every 30th run drops
//! the entries unused for `lblc_expiration` (24 h by default), and the other
//! runs drop entries unused for 6 minutes only while the table holds more
//! than 16384 entries. Here the clock is the `now` of the keys:
//!
//! * it starts at the first `now` seen (standing in for `init_service`),
//!   and never goes back; a key without `now` does not move it;
//! * before each pick, every timer run due by `now` is played, at its own
//!   time (`start + 60 s * k`), in order;
//! * times are kept in nanoseconds rather than jiffies.
//!
//! A key without a destination address is looked up as `0.0.0.0`. New
//! addresses allocate a table entry, as the kernel's `kmalloc` does.

use super::algo::{Algo, Context};
use super::hashfn::{destination_ip, fold_addr, hash_32};
use super::wlc::{conn_overhead, least_weighted};
use super::Dest;
use crate::ServerId;
use std::net::IpAddr;
use std::time::Instant;

/// `IP_VS_LBLC_TAB_BITS` (and `IP_VS_LBLCR_TAB_BITS`).
const TAB_BITS: u32 = 10;

/// `IP_VS_LBLC_TAB_SIZE`.
const TAB_SIZE: usize = 1 << TAB_BITS;

/// `tbl->max_size`: the table size times 16.
const MAX_SIZE: usize = TAB_SIZE * 16;

/// One second in clock units (nanoseconds).
const SECOND: u64 = 1_000_000_000;

/// `CHECK_EXPIRE_INTERVAL`: 60 s between timer runs.
const CHECK_INTERVAL: u64 = 60 * SECOND;

/// `ENTRY_TIMEOUT`: age at which the partial check drops an entry.
const ENTRY_TIMEOUT: u64 = 6 * 60 * SECOND;

/// `DEFAULT_EXPIRATION`: the `lblc_expiration` / `lblcr_expiration` sysctl.
pub(super) const DEFAULT_EXPIRATION: u64 = 24 * 60 * 60 * SECOND;

/// `COUNT_FOR_FULL_EXPIRATION`: every how many runs the full check runs.
const FULL_EVERY: u32 = 30;

/// The clock never goes beyond this (about 146 years), so that timer
/// arithmetic cannot overflow.
const CLOCK_MAX: u64 = 1 << 62;

/// The scheduler's `jiffies`: nanoseconds since the first time it saw.
#[derive(Debug, Default)]
struct Clock {
    /// The first `now` seen.
    epoch: Option<Instant>,
    /// The current time since `epoch`.
    now: u64,
}

impl Clock {
    /// Moves the clock to `now` (never backwards; `None` stands still).
    fn advance(&mut self, now: Option<Instant>) {
        let Some(now) = now else { return };
        let Some(epoch) = self.epoch else {
            self.epoch = Some(now);
            return;
        };
        let elapsed = now.saturating_duration_since(epoch).as_nanos();
        let elapsed = u64::try_from(elapsed).unwrap_or(CLOCK_MAX).min(CLOCK_MAX);
        self.now = self.now.max(elapsed);
    }
}

/// What the expiring table needs to know of an entry.
pub(super) trait Entry {
    /// The destination address it is keyed by.
    fn addr(&self) -> IpAddr;
    /// When it was last used (`lastuse`), on the scheduler's clock.
    fn lastuse(&self) -> u64;
}

/// The `lblc` / `lblcr` hash table with its garbage-collecting timer.
#[derive(Debug)]
pub(super) struct Table<E> {
    /// `tbl->bucket`.
    buckets: Vec<Vec<E>>,
    /// `tbl->entries`.
    entries: usize,
    /// `tbl->rover`: the bucket the last partial check stopped at.
    rover: usize,
    /// `tbl->counter`: runs since the last full check.
    counter: u32,
    /// When the timer runs next.
    next_tick: u64,
    /// The scheduler's clock.
    clock: Clock,
    /// The expiration sysctl, in clock units.
    pub(super) expiration: u64,
}

impl<E: Entry> Table<E> {
    /// An empty table (`init_service`).
    pub(super) fn new() -> Self {
        Table {
            buckets: (0..TAB_SIZE).map(|_| Vec::new()).collect(),
            entries: 0,
            rover: 0,
            counter: 1,
            next_tick: CHECK_INTERVAL,
            clock: Clock::default(),
            expiration: DEFAULT_EXPIRATION,
        }
    }

    /// The current time (`jiffies`).
    pub(super) fn now(&self) -> u64 {
        self.clock.now
    }

    /// Number of entries.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.entries
    }

    /// Moves the clock to `now` and plays the timer runs due by then.
    pub(super) fn advance(&mut self, now: Option<Instant>) {
        self.clock.advance(now);
        while self.next_tick <= self.clock.now {
            if self.entries > MAX_SIZE {
                self.check_expire(self.next_tick);
                self.next_tick += CHECK_INTERVAL;
            } else {
                self.fast_forward();
            }
        }
    }

    /// Plays every run due by now while the table is not over its size:
    /// then a run only counts, or does a full check; full checks in a row
    /// with nothing used in between amount to the last one.
    fn fast_forward(&mut self) {
        let runs = (self.clock.now - self.next_tick) / CHECK_INTERVAL + 1;
        let first_full = u64::from((FULL_EVERY - self.counter % FULL_EVERY) % FULL_EVERY);
        if first_full < runs {
            let every = u64::from(FULL_EVERY);
            let last_full = first_full + every * ((runs - 1 - first_full) / every);
            self.full_check(self.next_tick + last_full * CHECK_INTERVAL);
            self.counter = 1 + (runs - 1 - last_full) as u32;
        } else {
            self.counter += runs as u32;
        }
        self.next_tick += runs * CHECK_INTERVAL;
    }

    /// `ip_vs_lblc_check_expire()`: one timer run at time `at`.
    fn check_expire(&mut self, at: u64) {
        if self.counter % FULL_EVERY == 0 {
            self.full_check(at);
            self.counter = 1;
            return;
        }
        if self.entries <= MAX_SIZE {
            self.counter += 1;
            return;
        }
        let excess = (self.entries - MAX_SIZE) as i64;
        let mut goal = (excess * 4 / 3).min(MAX_SIZE as i64 / 2);
        let mut j = self.rover;
        for _ in 0..TAB_SIZE {
            j = (j + 1) & (TAB_SIZE - 1);
            goal -= self.drop_aged(j, at, ENTRY_TIMEOUT) as i64;
            if goal <= 0 {
                break;
            }
        }
        self.rover = j;
    }

    /// `ip_vs_lblc_full_check()`: drops every entry unused for the
    /// expiration time. (The rover goes full circle: it does not move.)
    fn full_check(&mut self, at: u64) {
        for j in 0..TAB_SIZE {
            self.drop_aged(j, at, self.expiration);
        }
    }

    /// Drops the entries of bucket `j` with `at >= lastuse + age`; returns
    /// how many.
    fn drop_aged(&mut self, j: usize, at: u64, age: u64) -> usize {
        let Some(bucket) = self.buckets.get_mut(j) else {
            return 0;
        };
        let before = bucket.len();
        bucket.retain(|e| at < e.lastuse().saturating_add(age));
        let dropped = before - bucket.len();
        self.entries -= dropped;
        dropped
    }

    /// Every entry, bucket by bucket.
    pub(super) fn iter(&self) -> impl Iterator<Item = &E> {
        self.buckets.iter().flatten()
    }

    /// `ip_vs_lblc_get()`: the entry for `addr`.
    pub(super) fn get_mut(&mut self, addr: IpAddr) -> Option<&mut E> {
        self.buckets
            .get_mut(hashkey(addr))?
            .iter_mut()
            .find(|e| e.addr() == addr)
    }

    /// `ip_vs_lblc_hash()`: adds an entry (its address is not in the table).
    pub(super) fn insert(&mut self, entry: E) {
        if let Some(bucket) = self.buckets.get_mut(hashkey(entry.addr())) {
            bucket.push(entry);
            self.entries += 1;
        }
    }
}

/// `ip_vs_lblc_hashkey()`: `hash_32(ntohl(addr), 10)`.
fn hashkey(addr: IpAddr) -> usize {
    hash_32(fold_addr(addr), TAB_BITS) as usize
}

/// `__ip_vs_lblc_schedule()` (and `__ip_vs_lblcr_schedule()`): the same
/// weighted least-connection choice as `wlc`.
pub(super) fn weighted_least(dests: &[Dest]) -> Option<usize> {
    least_weighted(dests, conn_overhead)
}

/// `is_overloaded()` of `lblc` / `lblcr`: more active connections than its
/// weight while some destination has fewer than half its weight.
pub(super) fn is_overloaded(dest: &Dest, dests: &[Dest]) -> bool {
    let active = |d: &Dest| i64::from(d.activeconns as i32);
    active(dest) > i64::from(dest.weight)
        && dests.iter().any(|d| active(d) * 2 < i64::from(d.weight))
}

/// The list position of a destination, if it is still in the service
/// (`IP_VS_DEST_F_AVAILABLE`).
pub(super) fn position(dests: &[Dest], id: ServerId) -> Option<usize> {
    dests.iter().position(|d| d.id == id)
}

/// `struct ip_vs_lblc_entry`.
#[derive(Debug)]
struct LblcEntry {
    /// The destination IP address.
    addr: IpAddr,
    /// The server it is cached on.
    dest: ServerId,
    /// Last use, on the scheduler's clock.
    lastuse: u64,
}

impl Entry for LblcEntry {
    fn addr(&self) -> IpAddr {
        self.addr
    }

    fn lastuse(&self) -> u64 {
        self.lastuse
    }
}

/// State of the `lblc` scheduler.
#[derive(Debug)]
pub(crate) struct Lblc {
    /// The address-to-server cache.
    table: Table<LblcEntry>,
}

impl Lblc {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Lblc {
            table: Table::new(),
        }
    }

    /// The cached server when still usable, refreshing the entry's use.
    fn cached(&mut self, addr: IpAddr, dests: &[Dest]) -> Option<usize> {
        let now = self.table.now();
        let entry = self.table.get_mut(addr)?;
        entry.lastuse = now;
        let at = position(dests, entry.dest)?;
        let dest = &dests[at];
        (dest.weight > 0 && !is_overloaded(dest, dests)).then_some(at)
    }

    /// `ip_vs_lblc_new()`: remembers `dest` for `addr` (an entry for
    /// another server is replaced by a fresh one).
    fn remember(&mut self, addr: IpAddr, dest: ServerId) {
        let now = self.table.now();
        if let Some(entry) = self.table.get_mut(addr) {
            if entry.dest != dest {
                entry.dest = dest;
                entry.lastuse = now;
            }
            return;
        }
        self.table.insert(LblcEntry {
            addr,
            dest,
            lastuse: now,
        });
    }
}

impl Algo for Lblc {
    fn init(&mut self, _dests: &[Dest]) {
        self.table = Table::new();
    }

    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        self.table.advance(cx.key.now);
        let addr = destination_ip(cx.key);
        if let Some(at) = self.cached(addr, dests) {
            return Some(at);
        }
        let at = weighted_least(dests)?;
        self.remember(addr, dests[at].id);
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::{Algorithm, Scheduler};
    use crate::{PickError, RequestKey, ServerConfig, ServerId};
    use std::time::Duration;

    /// Ids 1, 2, 3 with weight 1 added in order: list [3, 2, 1].
    fn lblc() -> Scheduler {
        let mut s = Scheduler::new(Algorithm::LocalityBasedLeastConnection);
        for id in 1..=3 {
            s.add(ServerId(id), ServerConfig::new(1)).unwrap();
        }
        s
    }

    fn to(dst: &str) -> RequestKey<'static> {
        RequestKey::new()
            .src("198.51.100.1:5000".parse().unwrap())
            .dst(dst.parse().unwrap())
    }

    fn pick(s: &mut Scheduler, dst: &str) -> Result<u32, PickError> {
        s.pick(&to(dst)).map(|id| id.0)
    }

    fn pick_at(s: &mut Scheduler, dst: &str, at: Instant) -> Result<u32, PickError> {
        s.pick(&to(dst).now(at)).map(|id| id.0)
    }

    #[test]
    fn hashkey_matches_gcc_vectors() {
        // hash_32(ntohl(addr), 10), gcc on x86_64.
        let h = |a: &str| hashkey(a.parse().unwrap());
        assert_eq!(h("192.168.1.10"), 995);
        assert_eq!(h("10.0.0.1"), 159);
        assert_eq!(h("10.0.0.2"), 550);
        assert_eq!(h("2001:db8::1"), 252);
        assert_eq!(h("fe80::1:2:3:4"), 947);
    }

    #[test]
    fn weighted_least_keeps_first_on_ties() {
        // __ip_vs_lblc_schedule(): all idle -> the list head, server 3.
        let mut s = lblc();
        assert_eq!(pick(&mut s, "192.0.2.1:80"), Ok(3));
    }

    #[test]
    fn cache_sticks_while_not_overloaded() {
        // ip_vs_lblc_schedule(): the entry is used while activeconns <= weight,
        // even though other servers are idle.
        let mut s = lblc();
        assert_eq!(pick(&mut s, "192.0.2.1:80"), Ok(3));
        s.set_connections(ServerId(3), 1, 50).unwrap();
        assert_eq!(pick(&mut s, "192.0.2.1:80"), Ok(3));
        // Another address is scheduled fresh: 3 costs 256 + 50, 2 is idle.
        assert_eq!(pick(&mut s, "192.0.2.2:80"), Ok(2));
    }

    #[test]
    fn overloaded_cache_entry_is_replaced() {
        // is_overloaded(): 2 active > weight 1 and server 2 has 0 * 2 < 1.
        let mut s = lblc();
        assert_eq!(pick(&mut s, "192.0.2.1:80"), Ok(3));
        s.set_connections(ServerId(3), 2, 0).unwrap();
        assert_eq!(pick(&mut s, "192.0.2.1:80"), Ok(2));
        // The entry now says 2, even once 3 is idle again.
        s.set_connections(ServerId(3), 0, 0).unwrap();
        assert_eq!(pick(&mut s, "192.0.2.1:80"), Ok(2));
    }

    #[test]
    fn not_overloaded_when_nobody_is_below_half() {
        // is_overloaded() needs some server with activeconns * 2 < weight.
        let mut s = lblc();
        assert_eq!(pick(&mut s, "192.0.2.1:80"), Ok(3));
        for id in 1..=3 {
            s.set_connections(ServerId(id), 5, 0).unwrap();
        }
        assert_eq!(pick(&mut s, "192.0.2.1:80"), Ok(3));
    }

    #[test]
    fn weight_zero_or_removed_cache_entry_is_rescheduled() {
        let mut s = lblc();
        assert_eq!(pick(&mut s, "192.0.2.1:80"), Ok(3));
        s.set_weight(ServerId(3), 0).unwrap();
        assert_eq!(pick(&mut s, "192.0.2.1:80"), Ok(2));
        s.remove(ServerId(2)).unwrap();
        // List [3 (w0), 1]: 1 is the only candidate.
        assert_eq!(pick(&mut s, "192.0.2.1:80"), Ok(1));
    }

    #[test]
    fn overloaded_flag_excludes_from_least_connection() {
        // __ip_vs_lblc_schedule() skips IP_VS_DEST_F_OVERLOAD.
        let mut s = Scheduler::new(Algorithm::LocalityBasedLeastConnection);
        s.add(ServerId(1), ServerConfig::new(1)).unwrap();
        s.add(ServerId(2), ServerConfig::new(1).thresholds(1, 0))
            .unwrap();
        s.set_connections(ServerId(2), 1, 0).unwrap();
        assert_eq!(pick(&mut s, "192.0.2.1:80"), Ok(1));
        s.set_weight(ServerId(1), 0).unwrap();
        assert_eq!(pick(&mut s, "192.0.2.9:80"), Err(PickError::Unavailable));
    }

    #[test]
    fn ipv6_addresses_are_cached_separately() {
        let mut s = lblc();
        assert_eq!(pick(&mut s, "[2001:db8::1]:80"), Ok(3));
        s.set_connections(ServerId(3), 1, 0).unwrap();
        assert_eq!(pick(&mut s, "[2001:db8::2]:80"), Ok(2));
        assert_eq!(pick(&mut s, "[2001:db8::1]:80"), Ok(3));
    }

    /// A scheduler with an entry 192.0.2.1 -> 3 made at `t0`, then server 3
    /// given one connection so that a fresh pick would choose 2.
    fn aged(t0: Instant) -> Scheduler {
        let mut s = lblc();
        assert_eq!(pick_at(&mut s, "192.0.2.1:80", t0), Ok(3));
        s.set_connections(ServerId(3), 1, 0).unwrap();
        s
    }

    #[test]
    fn full_check_expires_after_a_day() {
        // ip_vs_lblc_full_check() runs every 30th minute; the one at exactly
        // 24 h drops an entry last used at 0 (now >= lastuse + expiration).
        let t0 = Instant::now();
        let day = Duration::from_secs(24 * 3600);
        let mut fresh = aged(t0);
        assert_eq!(
            pick_at(
                &mut fresh,
                "192.0.2.1:80",
                t0 + day - Duration::from_secs(1)
            ),
            Ok(3)
        );
        let mut stale = aged(t0);
        assert_eq!(pick_at(&mut stale, "192.0.2.1:80", t0 + day), Ok(2));
    }

    #[test]
    fn use_refreshes_the_entry() {
        // lastuse = jiffies on every hit: used at 23 h, alive at 24 h + 30 min.
        let t0 = Instant::now();
        let hour = Duration::from_secs(3600);
        let mut s = aged(t0);
        assert_eq!(pick_at(&mut s, "192.0.2.1:80", t0 + hour * 23), Ok(3));
        assert_eq!(
            pick_at(&mut s, "192.0.2.1:80", t0 + hour * 24 + hour / 2),
            Ok(3)
        );
        // ... which used it again: dropped by the full check at 48.5 h
        // (>= 24.5 h + 24 h). Last used at 23 h, it goes at 47 h, not before.
        let mut probe = aged(t0);
        assert_eq!(pick_at(&mut probe, "192.0.2.1:80", t0 + hour * 23), Ok(3));
        let second = Duration::from_secs(1);
        assert_eq!(
            pick_at(&mut probe, "192.0.2.1:80", t0 + hour * 47 - second),
            Ok(3)
        );
        let mut probe = aged(t0);
        assert_eq!(pick_at(&mut probe, "192.0.2.1:80", t0 + hour * 23), Ok(3));
        assert_eq!(pick_at(&mut probe, "192.0.2.1:80", t0 + hour * 47), Ok(2));
        assert_eq!(
            pick_at(&mut s, "192.0.2.1:80", t0 + hour * 48 + hour / 2),
            Ok(2)
        );
    }

    #[test]
    fn without_time_nothing_expires() {
        let mut s = aged(Instant::now());
        for _ in 0..100 {
            assert_eq!(pick(&mut s, "192.0.2.1:80"), Ok(3));
        }
    }

    #[test]
    fn counter_schedules_full_checks_every_thirty_runs() {
        // Runs at 1..=29 min only count; the run at 30 min is a full check.
        let mut t: Table<LblcEntry> = Table::new();
        t.expiration = 10 * 60 * SECOND;
        let t0 = Instant::now();
        t.advance(Some(t0));
        t.insert(LblcEntry {
            addr: "192.0.2.1".parse().unwrap(),
            dest: ServerId(1),
            lastuse: 0,
        });
        t.advance(Some(t0 + Duration::from_secs(29 * 60 + 59)));
        assert_eq!((t.len(), t.counter), (1, 30));
        t.advance(Some(t0 + Duration::from_secs(30 * 60)));
        assert_eq!((t.len(), t.counter), (0, 1));
        // Played one by one or fast-forwarded, the counter agrees.
        t.advance(Some(t0 + Duration::from_secs(95 * 60)));
        assert_eq!(t.counter, 6);
    }

    #[test]
    fn partial_check_drops_old_buckets_towards_the_goal() {
        // ip_vs_lblc_check_expire() with 16400 > 16384 entries: goal =
        // 16 * 4 / 3 = 21; from bucket rover + 1 = 1 on, whole buckets of
        // entries older than 6 minutes go until the goal is reached.
        let mut t: Table<LblcEntry> = Table::new();
        let t0 = Instant::now();
        t.advance(Some(t0));
        let addrs: Vec<IpAddr> = (0..16400u32)
            .map(|i| IpAddr::from((0x0a00_0000 + i).to_be_bytes()))
            .collect();
        for &addr in &addrs {
            t.insert(LblcEntry {
                addr,
                dest: ServerId(1),
                lastuse: 0,
            });
        }
        // Runs at 1..5 min find nothing old enough (and do not count).
        t.advance(Some(t0 + Duration::from_secs(5 * 60)));
        assert_eq!((t.len(), t.counter, t.rover), (16400, 1, 0));
        // Expected: bucket sizes from 1 on, until 21 are dropped.
        let mut sizes = [0usize; TAB_SIZE];
        for &a in &addrs {
            sizes[hash_32(fold_addr(a), 10) as usize] += 1;
        }
        let (mut dropped, mut last) = (0, 0);
        for (j, size) in sizes.iter().enumerate().skip(1) {
            dropped += size;
            last = j;
            if dropped >= 21 {
                break;
            }
        }
        t.advance(Some(t0 + Duration::from_secs(6 * 60)));
        assert_eq!((t.len(), t.rover), (16400 - dropped, last));
        assert!(dropped >= 21 && t.len() <= MAX_SIZE);
    }
}
