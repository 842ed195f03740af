//! Random scenarios: routers, their configuration, and what goes wrong.

use std::net::IpAddr;
use std::time::Duration;

use lbkit_vrrp::machine::{Config, InitialState, Track, TrackKind, TrackStatus};
use lbkit_vrrp::Version;

use super::rng::Rng;

/// Nanoseconds of simulated time.
pub(crate) type Nanos = u64;

/// One second of simulated time.
pub(crate) const SEC: Nanos = 1_000_000_000;

/// One router of a scenario.
#[derive(Debug, Clone)]
pub(crate) struct RouterSpec {
    /// Its address on the LAN.
    pub(crate) addr: IpAddr,
    /// One instance, or the members of its sync group.
    pub(crate) configs: Vec<Config>,
}

/// Something that happens to the LAN or a router.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Chaos {
    /// Routers only hear routers with the same label.
    Partition(Vec<u8>),
    /// All routers hear each other again.
    Join,
    /// Probability that one delivery is lost.
    Loss(f64),
    /// The router's process dies (no priority 0).
    Kill(usize),
    /// The router shuts down cleanly (priority 0 if master).
    Stop(usize),
    /// A dead router starts again.
    Restart(usize),
    /// The router's tracked script changes status.
    Track(usize, TrackStatus),
}

/// A whole scenario.
#[derive(Debug, Clone)]
pub(crate) struct Scenario {
    /// Its seed.
    pub(crate) seed: u64,
    /// Protocol version of every instance.
    pub(crate) version: Version,
    /// Routers, by index.
    pub(crate) routers: Vec<RouterSpec>,
    /// Every router runs a sync group of two instances.
    pub(crate) grouped: bool,
    /// Adverts are sent to unicast peers.
    pub(crate) unicast: bool,
    /// No router has nopreempt.
    pub(crate) all_preempt: bool,
    /// Chaos events before `heal_at`, by time.
    pub(crate) events: Vec<(Nanos, Chaos)>,
    /// When the network heals: no loss, no partition, every router alive.
    pub(crate) heal_at: Nanos,
    /// Tracked script status of each router from `heal_at` on.
    pub(crate) final_tracks: Vec<TrackStatus>,
    /// Longest one-way delay.
    pub(crate) max_delay: Nanos,
    /// Longest advert interval of any instance.
    pub(crate) max_advert: Nanos,
    /// Longest preempt delay of any instance.
    pub(crate) max_preempt_delay: Nanos,
    /// End of the simulation.
    pub(crate) end: Nanos,
}

impl Scenario {
    /// The scenario of `seed`.
    pub(crate) fn generate(seed: u64) -> Scenario {
        let mut rng = Rng::new(seed);
        let version = if rng.chance(0.5) {
            Version::V3
        } else {
            Version::V2
        };
        let ipv6 = version == Version::V3 && rng.chance(0.3);
        let n = rng.range(2, 5) as usize;
        let grouped = rng.chance(0.25);
        let unicast = rng.chance(0.2);
        let all_preempt = rng.chance(0.5);
        let with_delay = all_preempt && rng.chance(0.2);
        let owner = rng.chance(0.1);
        let mixed_intervals = version == Version::V3 && rng.chance(0.3);
        let base_interval_cs: u64 = match version {
            Version::V2 => rng.pick(&[100, 100, 200]),
            Version::V3 => rng.pick(&[50, 100, 100, 200]),
        };
        let addrs: Vec<IpAddr> = (0..n).map(|i| addr(ipv6, 10 + i as u8)).collect();
        // Priorities drawn from a small set so that ties happen.
        let prios: Vec<u8> = (0..n)
            .map(|i| {
                if owner && i == 0 {
                    255
                } else if rng.chance(0.4) {
                    rng.pick(&[100, 100, 150])
                } else {
                    rng.range(1, 254) as u8
                }
            })
            .collect();
        let mut max_advert = 0;
        let mut max_preempt_delay = 0;
        let mut routers = Vec::with_capacity(n);
        for (i, &prio) in prios.iter().enumerate() {
            let interval_cs = if mixed_intervals {
                rng.pick(&[50, 100, 150])
            } else {
                base_interval_cs
            };
            max_advert = max_advert.max(interval_cs * SEC / 100);
            let preempt = all_preempt || rng.chance(0.7);
            let preempt_delay = if with_delay { rng.range(0, 5) * SEC } else { 0 };
            max_preempt_delay = max_preempt_delay.max(preempt_delay);
            let weight = rng.pick(&[0, -50, 20, -10, 0]);
            let initial_master = rng.chance(0.3);
            let members = if grouped { 2 } else { 1 };
            let configs = (0..members)
                .map(|m| {
                    let vrid = 1 + m as u8;
                    let mut c =
                        Config::new(version, vrid, prio, addrs[i], vec![addr(ipv6, 100 + vrid)]);
                    c.advert_interval = Duration::from_millis(interval_cs * 10);
                    c.preempt = preempt;
                    c.preempt_delay = Duration::from_nanos(preempt_delay);
                    if initial_master {
                        c.initial_state = InitialState::Master;
                    }
                    if unicast {
                        c.unicast_peers =
                            addrs.iter().copied().filter(|a| *a != addrs[i]).collect();
                    }
                    c.tracks = vec![Track::new("chk", TrackKind::Script, weight)];
                    c
                })
                .collect();
            routers.push(RouterSpec {
                addr: addrs[i],
                configs,
            });
        }

        let heal_at = rng.range(10, 40) * SEC;
        let max_delay = rng.pick(&[0, 1_000_000, 5_000_000, 30_000_000, 80_000_000]);
        let count = rng.range(2, 14);
        let mut events: Vec<(Nanos, Chaos)> = (0..count)
            .map(|_| (rng.range(0, heal_at - 1), random_chaos(&mut rng, n)))
            .collect();
        events.sort_by_key(|e| e.0);
        let final_tracks = (0..n)
            .map(|_| {
                if rng.chance(0.75) {
                    TrackStatus::Up
                } else {
                    TrackStatus::Down
                }
            })
            .collect();
        // Settle, stop the master cleanly, watch the takeover, settle again.
        let end = heal_at + 3 * (9 * max_advert + max_preempt_delay + 4 * max_delay) + 5 * SEC;
        Scenario {
            seed,
            version,
            routers,
            grouped,
            unicast,
            all_preempt,
            events,
            heal_at,
            final_tracks,
            max_delay,
            max_advert,
            max_preempt_delay,
            end,
        }
    }

    /// Master_Down_Interval at its longest: down_timer_adverts (3) times the
    /// longest interval plus a skew below one interval.
    pub(crate) fn max_master_down(&self) -> Nanos {
        4 * self.max_advert
    }

    /// After healing, exactly one master by this long (RFC: one
    /// Master_Down_Interval plus one advert interval; plus preempt_delay and
    /// the delays of the packets that carry the news).
    ///
    /// With `preempt_delay`, the delay only starts when the lower master is
    /// first heard, which may itself take a Master_Down_Interval, and the
    /// preemption then waits a full Master_Down_Interval after the last
    /// accepted advert: twice Master_Down_Interval plus the delay.
    pub(crate) fn convergence_bound(&self) -> Nanos {
        let waits = if self.max_preempt_delay > 0 { 2 } else { 1 };
        waits * self.max_master_down()
            + self.max_advert
            + self.max_preempt_delay
            + 3 * self.max_delay
            + 1_000_000
    }

    /// Two masters of one VRID never last longer than this once the
    /// network is sound: the higher one's next advert (or its immediate
    /// answer to the lower one's) and its delivery.
    pub(crate) fn dual_master_bound(&self) -> Nanos {
        self.max_advert + 2 * self.max_delay + 1_000_000
    }

    /// When the settled master is shut down cleanly.
    pub(crate) fn stop_master_at(&self) -> Nanos {
        self.heal_at + self.convergence_bound() + self.max_advert
    }

    /// A backup takes over from a master that sent priority 0 within
    /// Skew_Time (below one advert interval, RFC 5798 §6.4.2) plus the
    /// delays, not Master_Down_Interval.
    pub(crate) fn takeover_bound(&self) -> Nanos {
        self.max_advert + 2 * self.max_delay + 1_000_000
    }
}

fn random_chaos(rng: &mut Rng, n: usize) -> Chaos {
    let r = rng.range(0, n as u64 - 1) as usize;
    match rng.range(0, 9) {
        0 | 1 => Chaos::Partition((0..n).map(|_| rng.range(0, 1) as u8).collect()),
        2 => Chaos::Join,
        3 => Chaos::Loss(rng.pick(&[0.0, 0.1, 0.3, 0.6])),
        4 => Chaos::Kill(r),
        5 => Chaos::Stop(r),
        6 | 7 => Chaos::Restart(r),
        _ => Chaos::Track(
            r,
            if rng.chance(0.5) {
                TrackStatus::Up
            } else {
                TrackStatus::Down
            },
        ),
    }
}

fn addr(ipv6: bool, last: u8) -> IpAddr {
    if ipv6 {
        IpAddr::V6(std::net::Ipv6Addr::new(
            0x2001,
            0xdb8,
            0,
            0,
            0,
            0,
            0,
            u16::from(last),
        ))
    } else {
        IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, last))
    }
}
