//! The `lblcr` scheduler (`net/netfilter/ipvs/ip_vs_lblcr.c`):
//! locality-based least-connection with replication.
//!
//! Each destination address (`key.dst`) maps to a *set* of servers, in a
//! table of 1024 buckets (`hash_32(ntohl(daddr), 10)`). A packet goes to the
//! set's weighted least-connection member (`ip_vs_dest_set_min()`: in the
//! service, weight above 0, not overloaded). When that one is missing or
//! "overloaded" in `lblc`'s sense (more active connections than its weight
//! while some server is under half its weight), the service-wide weighted
//! least-connection server is picked and added at the head of the set:
//! the address is replicated. When a set of two or more has not changed for
//! `lblcr_expiration` (24 h by default), its weighted most-loaded member
//! (`ip_vs_dest_set_max()`) is dropped.
//!
//! Time works as in [`lblc`](super::lblc): the clock follows the keys'
//! `now` (standing still without it), the 60 s garbage-collecting timer is
//! replayed on it, and `lastuse` / `lastmod` are read on it.
//!
//! A server removed from the service stays in the sets that name it, as the
//! kernel's `ip_vs_dest` stays referenced in its trash: `set_min` skips it
//! (no `IP_VS_DEST_F_AVAILABLE`), while `set_max` still weighs it, with the
//! weight and counters it had when it was removed (the kernel would still
//! see its connections close; this model cannot).
//!
//! A key without a destination address is looked up as `0.0.0.0`. New
//! addresses and replicas allocate, as the kernel's `kmalloc` does.

use super::algo::{Algo, Context};
use super::hashfn::destination_ip;
use super::lblc::{is_overloaded, position, weighted_least, Entry, Table};
use super::wlc::conn_overhead;
use super::Dest;
use crate::ServerId;
use std::net::IpAddr;

/// Trash size above which unreferenced removed servers are forgotten.
const TRASH_PRUNE: usize = 64;

/// `struct ip_vs_dest_set`: servers, most recently added first.
#[derive(Debug)]
struct DestSet {
    /// The members (`set->list`).
    members: Vec<ServerId>,
    /// `set->lastmod`, on the scheduler's clock.
    lastmod: u64,
}

impl DestSet {
    /// `ip_vs_dest_set_insert()`: adds at the head unless `check` finds it
    /// already there; a change stamps `lastmod`.
    fn insert(&mut self, dest: ServerId, check: bool, now: u64) {
        if check && self.members.contains(&dest) {
            return;
        }
        self.members.insert(0, dest);
        self.lastmod = now;
    }

    /// `ip_vs_dest_set_erase()`: removes the first occurrence.
    fn erase(&mut self, dest: ServerId, now: u64) {
        if let Some(at) = self.members.iter().position(|&m| m == dest) {
            self.members.remove(at);
            self.lastmod = now;
        }
    }
}

/// `struct ip_vs_lblcr_entry`.
#[derive(Debug)]
struct LblcrEntry {
    /// The destination IP address.
    addr: IpAddr,
    /// Its server set.
    set: DestSet,
    /// Last use, on the scheduler's clock.
    lastuse: u64,
}

impl Entry for LblcrEntry {
    fn addr(&self) -> IpAddr {
        self.addr
    }

    fn lastuse(&self) -> u64 {
        self.lastuse
    }
}

/// Where a set member is: in the service at a list position, or removed.
enum Member<'a> {
    /// In the service (`IP_VS_DEST_F_AVAILABLE`), at this list position.
    Live(usize, &'a Dest),
    /// Removed; as it was at removal.
    Trashed(&'a Dest),
}

impl<'a> Member<'a> {
    /// The destination's fields.
    fn dest(&self) -> &'a Dest {
        match self {
            Member::Live(_, d) | Member::Trashed(d) => d,
        }
    }

    /// Its list position when available.
    fn live(&self) -> Option<usize> {
        match self {
            Member::Live(at, _) => Some(*at),
            Member::Trashed(_) => None,
        }
    }
}

/// The servers the sets may name.
struct Lookup<'a> {
    /// The service's list.
    dests: &'a [Dest],
    /// Removed servers.
    trash: &'a [Dest],
}

impl<'a> Lookup<'a> {
    /// Finds a member.
    fn find(&self, id: ServerId) -> Option<Member<'a>> {
        if let Some(at) = position(self.dests, id) {
            return Some(Member::Live(at, &self.dests[at]));
        }
        self.trash.iter().find(|d| d.id == id).map(Member::Trashed)
    }

    /// `ip_vs_dest_set_min()`: the first available, non-overloaded member
    /// with a positive weight, replaced by a later available, non-overloaded
    /// one with a strictly smaller overhead / weight. A list position.
    fn set_min(&self, set: &DestSet) -> Option<usize> {
        let mut members = set.members.iter().filter_map(|&id| self.find(id));
        let first = members.by_ref().find(|m| {
            let d = m.dest();
            !d.overloaded && d.weight > 0 && m.live().is_some()
        })?;
        let (mut least, mut loh, mut lw) = (
            first.live()?,
            conn_overhead(first.dest()),
            first.dest().weight,
        );
        for m in members {
            let d = m.dest();
            if d.overloaded {
                continue;
            }
            let doh = conn_overhead(d);
            let lighter = i64::from(loh) * i64::from(d.weight) > i64::from(doh) * i64::from(lw);
            if let (true, Some(at)) = (lighter, m.live()) {
                (least, loh, lw) = (at, doh, d.weight);
            }
        }
        Some(least)
    }

    /// `ip_vs_dest_set_max()`: the first member with a positive weight,
    /// replaced by a later one with positive weight and a strictly larger
    /// overhead / weight. Availability and overload are not looked at.
    fn set_max(&self, set: &DestSet) -> Option<ServerId> {
        let mut members = set.members.iter().filter_map(|&id| self.find(id));
        let first = members.by_ref().find(|m| m.dest().weight > 0)?.dest();
        let (mut most, mut moh, mut mw) = (first.id, conn_overhead(first), first.weight);
        for m in members {
            let d = m.dest();
            let doh = conn_overhead(d);
            if i64::from(moh) * i64::from(d.weight) < i64::from(doh) * i64::from(mw) && d.weight > 0
            {
                (most, moh, mw) = (d.id, doh, d.weight);
            }
        }
        Some(most)
    }
}

/// State of the `lblcr` scheduler.
#[derive(Debug)]
pub(crate) struct Lblcr {
    /// The address-to-server-set table.
    table: Table<LblcrEntry>,
    /// Servers removed from the service that sets may still name.
    trash: Vec<Dest>,
}

impl Lblcr {
    /// A fresh scheduler, before `init_service`.
    pub(crate) fn new() -> Self {
        Lblcr {
            table: Table::new(),
            trash: Vec::new(),
        }
    }

    /// The cached part of `ip_vs_lblcr_schedule()` for an address with an
    /// entry: `Ok` with the answer, or `Err` when the address is unknown.
    fn schedule_known(&mut self, addr: IpAddr, dests: &[Dest]) -> Result<Option<usize>, ()> {
        let now = self.table.now();
        let expiration = self.table.expiration;
        let lookup = Lookup {
            dests,
            trash: &self.trash,
        };
        let entry = self.table.get_mut(addr).ok_or(())?;
        entry.lastuse = now;
        let min = lookup.set_min(&entry.set);
        let stale = now > entry.set.lastmod.saturating_add(expiration);
        if entry.set.members.len() > 1 && stale {
            if let Some(most) = lookup.set_max(&entry.set) {
                entry.set.erase(most, now);
            }
        }
        if let Some(at) = min.filter(|&at| !is_overloaded(&dests[at], dests)) {
            return Ok(Some(at));
        }
        let Some(at) = weighted_least(dests) else {
            return Ok(None);
        };
        entry.set.insert(dests[at].id, true, now);
        Ok(Some(at))
    }

    /// Forgets removed servers no set names any more, once there are many.
    fn prune_trash(&mut self) {
        if self.trash.len() <= TRASH_PRUNE {
            return;
        }
        let table = &self.table;
        self.trash.retain(|d| table.names(d.id));
    }
}

impl Table<LblcrEntry> {
    /// True when some entry's set names the server.
    fn names(&self, id: ServerId) -> bool {
        self.iter().any(|e| e.set.members.contains(&id))
    }
}

impl Algo for Lblcr {
    fn init(&mut self, _dests: &[Dest]) {
        self.table = Table::new();
        self.trash.clear();
    }

    fn add_dest(&mut self, dests: &[Dest], added: usize) {
        if let Some(dest) = dests.get(added) {
            self.trash.retain(|d| d.id != dest.id);
        }
    }

    fn del_dest(&mut self, _dests: &[Dest], removed: &Dest, _removed_at: usize) {
        self.trash.retain(|d| d.id != removed.id);
        self.trash.push(removed.clone());
        self.prune_trash();
    }

    fn schedule(&mut self, cx: &mut Context<'_, '_>, dests: &[Dest]) -> Option<usize> {
        self.table.advance(cx.key.now);
        let addr = destination_ip(cx.key);
        if let Ok(answer) = self.schedule_known(addr, dests) {
            return answer;
        }
        let at = weighted_least(dests)?;
        let now = self.table.now();
        self.table.insert(LblcrEntry {
            addr,
            set: DestSet {
                members: vec![dests[at].id],
                lastmod: now,
            },
            lastuse: now,
        });
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use crate::ipvs::{Algorithm, Scheduler};
    use crate::{PickError, RequestKey, ServerConfig, ServerId};
    use std::time::{Duration, Instant};

    /// Ids 1, 2, 3 with weight 1 added in order: list [3, 2, 1].
    fn lblcr() -> Scheduler {
        let mut s = Scheduler::new(Algorithm::LocalityBasedLeastConnectionReplication);
        for id in 1..=3 {
            s.add(ServerId(id), ServerConfig::new(1)).unwrap();
        }
        s
    }

    fn key(at: Option<Instant>) -> RequestKey<'static> {
        let k = RequestKey::new()
            .src("198.51.100.1:5000".parse().unwrap())
            .dst("192.0.2.1:80".parse().unwrap());
        match at {
            Some(t) => k.now(t),
            None => k,
        }
    }

    fn pick(s: &mut Scheduler) -> Result<u32, PickError> {
        s.pick(&key(None)).map(|id| id.0)
    }

    fn pick_at(s: &mut Scheduler, at: Instant) -> Result<u32, PickError> {
        s.pick(&key(Some(at))).map(|id| id.0)
    }

    fn conns(s: &mut Scheduler, id: u32, active: u32) {
        s.set_connections(ServerId(id), active, 0).unwrap();
    }

    #[test]
    fn overloaded_set_replicates_to_least_connection() {
        // ip_vs_lblcr_schedule(): set {3}; 3 has 2 active > weight 1 while 2
        // is idle -> __ip_vs_lblcr_schedule() picks 2 and adds it: {2, 3}.
        let mut s = lblcr();
        assert_eq!(pick(&mut s), Ok(3));
        conns(&mut s, 3, 2);
        assert_eq!(pick(&mut s), Ok(2));
        // The set now balances between its members (ip_vs_dest_set_min()):
        // 2 with one connection (256) against an idle 3 -> 3.
        conns(&mut s, 3, 0);
        conns(&mut s, 2, 1);
        assert_eq!(pick(&mut s), Ok(3));
        // Server 1, not in the set, is never considered while a member is fine.
        conns(&mut s, 3, 1);
        assert_eq!(pick(&mut s), Ok(2)); // tie 256 / 256: the head, 2
    }

    #[test]
    fn set_min_skips_weight_zero_overloaded_and_removed() {
        let mut s = lblcr();
        assert_eq!(pick(&mut s), Ok(3));
        conns(&mut s, 3, 2);
        assert_eq!(pick(&mut s), Ok(2)); // set {2, 3}
        conns(&mut s, 3, 0);
        s.set_weight(ServerId(2), 0).unwrap();
        assert_eq!(pick(&mut s), Ok(3));
        s.set_weight(ServerId(2), 1).unwrap();
        s.remove(ServerId(3)).unwrap();
        assert_eq!(pick(&mut s), Ok(2));
        // No usable member at all: service-wide least connection, added.
        s.set_weight(ServerId(2), 0).unwrap();
        assert_eq!(pick(&mut s), Ok(1));
    }

    /// Set {2, 3} for 192.0.2.1 stamped at t0 + 1 s, used at t0 + 12 h,
    /// then 3 idle and 2 with one connection.
    fn replicated(t0: Instant) -> Scheduler {
        let mut s = lblcr();
        assert_eq!(pick_at(&mut s, t0), Ok(3));
        conns(&mut s, 3, 2);
        assert_eq!(pick_at(&mut s, t0 + Duration::from_secs(1)), Ok(2));
        assert_eq!(pick_at(&mut s, t0 + Duration::from_secs(12 * 3600)), Ok(2));
        conns(&mut s, 3, 0);
        conns(&mut s, 2, 1);
        s
    }

    #[test]
    fn stale_set_drops_its_most_loaded_member() {
        // time_after(jiffies, lastmod + 24 h) with 2 members:
        // ip_vs_dest_set_max() is 2 (256 against 0), erased; the pick itself
        // is the set_min taken before, 3.
        let t0 = Instant::now();
        let day = Duration::from_secs(24 * 3600);
        let one = Duration::from_secs(1);
        let mut s = replicated(t0);
        assert_eq!(pick_at(&mut s, t0 + one + day + one), Ok(3));
        // Now {3}: with 3 at one connection and 2 idle, still 3.
        conns(&mut s, 3, 1);
        conns(&mut s, 2, 0);
        assert_eq!(pick(&mut s), Ok(3));
        // Control: at exactly lastmod + 24 h nothing is dropped, so the
        // idle 2 wins within {2, 3}.
        let mut c = replicated(t0);
        assert_eq!(pick_at(&mut c, t0 + one + day), Ok(3));
        conns(&mut c, 3, 1);
        conns(&mut c, 2, 0);
        assert_eq!(pick(&mut c), Ok(2));
    }

    #[test]
    fn set_max_still_weighs_removed_members() {
        // ip_vs_dest_set_max() has no availability test: in {2, 3} with 2
        // removed (idle when removed) and 3 busy, the stale set drops 3,
        // leaving only the removed 2; the next pick re-adds a live server.
        let t0 = Instant::now();
        let day = Duration::from_secs(24 * 3600);
        let mut s = lblcr();
        assert_eq!(pick_at(&mut s, t0), Ok(3));
        conns(&mut s, 3, 2);
        assert_eq!(pick_at(&mut s, t0), Ok(2)); // {2, 3}
        assert_eq!(pick_at(&mut s, t0 + day / 2), Ok(2)); // keeps it in use
        s.remove(ServerId(2)).unwrap();
        // List [3, 1]. set_min is 3, the only live member; the stale check
        // erases 3 (512 against the removed 2's 0); 3 is overloaded (2 active
        // > 1 while 1 is idle), so least connection over the service: 1,
        // added: the set is {1, 2}.
        assert_eq!(pick_at(&mut s, t0 + day + Duration::from_secs(1)), Ok(1));
        // With 3 idle and 1 at one connection, 3 would win if still a member.
        conns(&mut s, 3, 0);
        conns(&mut s, 1, 1);
        assert_eq!(pick(&mut s), Ok(1));
    }

    #[test]
    fn unused_entries_expire_with_the_full_check() {
        // ip_vs_lblcr_full_check() at 24 h drops the entry last used at 0:
        // the address starts over with a one-member set.
        let t0 = Instant::now();
        let day = Duration::from_secs(24 * 3600);
        let mut s = lblcr();
        assert_eq!(pick_at(&mut s, t0), Ok(3));
        conns(&mut s, 3, 1);
        assert_eq!(pick_at(&mut s, t0 + day), Ok(2));
    }

    #[test]
    fn no_server_is_no_destination() {
        let mut s = lblcr();
        for id in 1..=3 {
            s.set_weight(ServerId(id), 0).unwrap();
        }
        assert_eq!(pick(&mut s), Err(PickError::Unavailable));
    }
}
