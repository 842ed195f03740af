//! Cost of the VRRP state machine.
//!
//! - `advert/backup_accept`: a backup handles its master's advert (checks,
//!   timer restart): the work every backup does once per advert interval.
//! - `advert/master_lower`: a master handles a lower-priority advert and
//!   answers with its own (queues the answer, which is then drained).
//! - `advert/master_send`: a master's advert timer fires and the advert
//!   action is drained (one advert built, with its address list).
//! - `lan/1000_instances_1s`: 1,000 VRIDs, each a master on one router and
//!   a backup on another, advert_int 1 s; one iteration is one simulated
//!   second (1,000 adverts sent and 1,000 handled, timers kept in a heap as
//!   a driver would). Its time is the CPU per simulated second.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]
// A benchmark: a failed setup should stop it loudly.
#![allow(clippy::expect_used)]

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use lbkit_vrrp::machine::{Action, Config, Instance, Received, State};
use lbkit_vrrp::Version;

fn ip(a: u8, b: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, a.wrapping_add(b)))
}

fn config(vrid: u8, priority: u8, me: u8) -> Config {
    Config::new(
        Version::V3,
        vrid,
        priority,
        ip(me, 0),
        vec![IpAddr::V4(Ipv4Addr::new(198, 51, 100, vrid))],
    )
}

fn started(config: Config, now: Instant) -> Instance {
    let mut vr = Instance::new(config).expect("valid config");
    vr.startup(now);
    while vr.poll_action().is_some() {}
    vr
}

fn adverts(c: &mut Criterion) {
    let t0 = Instant::now();
    let mut g = c.benchmark_group("advert");

    let mut backup = started(config(1, 100, 2), t0);
    let rx = Received {
        src: ip(1, 0),
        ttl: 255,
        advert: backup.advert(200),
    };
    let mut t = t0;
    g.bench_function("backup_accept", |b| {
        b.iter(|| {
            t += Duration::from_millis(1);
            let r = backup.handle_advert(t, black_box(&rx));
            black_box(r).expect("accepted");
        })
    });
    assert_eq!(backup.state(), State::Backup);

    let mut master = started(config(1, 255, 1), t0);
    while master.poll_action().is_some() {}
    let lower = Received {
        src: ip(2, 0),
        ttl: 255,
        advert: master.advert(100),
    };
    g.bench_function("master_lower", |b| {
        b.iter(|| {
            t += Duration::from_millis(1);
            let r = master.handle_advert(t, black_box(&lower));
            while let Some(a) = master.poll_action() {
                black_box(a);
            }
            black_box(r).expect("accepted");
        })
    });

    g.bench_function("master_send", |b| {
        b.iter(|| {
            let due = master.poll_timeout().expect("master has a timer");
            master.handle_timeout(due);
            while let Some(a) = master.poll_action() {
                black_box(a);
            }
        })
    });
    assert_eq!(master.state(), State::Master);
    g.finish();
}

/// 1,000 VRIDs between two routers, driven like a real driver would.
struct Lan {
    now: Instant,
    masters: Vec<Instance>,
    backups: Vec<Instance>,
    /// (deadline, side, index): side 0 = masters, 1 = backups.
    timers: BinaryHeap<Reverse<(Instant, u8, usize)>>,
    sent: u64,
}

impl Lan {
    fn new(n: usize) -> Lan {
        let now = Instant::now();
        let mut lan = Lan {
            now,
            masters: Vec::with_capacity(n),
            backups: Vec::with_capacity(n),
            timers: BinaryHeap::new(),
            sent: 0,
        };
        for i in 0..n {
            // VRIDs repeat past 255: each pair only ever talks to itself.
            let vrid = (i % 255) as u8 + 1;
            lan.masters.push(started(config(vrid, 255, 1), now));
            lan.backups.push(started(config(vrid, 100, 2), now));
        }
        for i in 0..n {
            lan.arm(0, i);
            lan.arm(1, i);
        }
        lan
    }

    fn arm(&mut self, side: u8, i: usize) {
        let vr = if side == 0 {
            &self.masters[i]
        } else {
            &self.backups[i]
        };
        if let Some(t) = vr.poll_timeout() {
            self.timers.push(Reverse((t, side, i)));
        }
    }

    /// Runs one simulated second.
    fn second(&mut self) {
        let end = self.now + Duration::from_secs(1);
        while let Some(&Reverse((t, side, i))) = self.timers.peek() {
            if t > end {
                break;
            }
            self.timers.pop();
            let vr = if side == 0 {
                &mut self.masters[i]
            } else {
                &mut self.backups[i]
            };
            if vr.poll_timeout() != Some(t) {
                continue; // stale heap entry
            }
            vr.handle_timeout(t);
            let mut out = Vec::new();
            while let Some(a) = vr.poll_action() {
                if let Action::SendAdvert { advert, .. } = a {
                    out.push(advert);
                }
            }
            self.arm(side, i);
            if side == 0 {
                for advert in out {
                    self.sent += 1;
                    let rx = Received {
                        src: ip(1, 0),
                        ttl: 255,
                        advert,
                    };
                    let _ = self.backups[i].handle_advert(t, &rx);
                    self.arm(1, i);
                }
            }
        }
        self.now = end;
    }
}

fn lan(c: &mut Criterion) {
    let mut g = c.benchmark_group("lan");
    let mut lan = Lan::new(1000);
    g.bench_function("1000_instances_1s", |b| b.iter(|| lan.second()));
    g.finish();
    // Every master stayed master and every backup a backup.
    assert!(lan.masters.iter().all(|m| m.state() == State::Master));
    assert!(lan.backups.iter().all(|m| m.state() == State::Backup));
    assert!(lan.sent > 0);
}

criterion_group!(benches, adverts, lan);
criterion_main!(benches);
