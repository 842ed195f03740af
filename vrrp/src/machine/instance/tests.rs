//! One test per rule, each citing the RFC section or keepalived function
//! whose behaviour it pins. Expected values are worked out by hand.

use super::*;
use crate::machine::{GarpConfig, Track, TrackKind};
use proptest::prelude::*;
use std::net::Ipv4Addr;

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
}

fn vip() -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100))
}

fn config(version: Version, priority: u8) -> Config {
    Config::new(version, 7, priority, ip(10), vec![vip()])
}

fn started(config: Config, t0: Instant) -> Instance {
    let mut vr = Instance::new(config).unwrap();
    vr.startup(t0);
    drain(&mut vr);
    vr
}

fn drain(vr: &mut Instance) -> Vec<Action> {
    std::iter::from_fn(|| vr.poll_action()).collect()
}

/// An advert from `src` as the instance `vr` would accept it.
fn rx_from(vr: &Instance, src: u8, priority: u8) -> Received {
    Received {
        src: ip(src),
        ttl: 255,
        advert: vr.advert(priority),
    }
}

fn master_at(config: Config, t0: Instant) -> (Instance, Instant) {
    let mut vr = started(config, t0);
    let t = vr.poll_timeout().unwrap();
    vr.handle_timeout(t);
    assert_eq!(vr.state(), State::Master);
    drain(&mut vr);
    (vr, t)
}

fn adverts(actions: &[Action]) -> Vec<(u8, Destination)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::SendAdvert { advert, to } => Some((advert.priority, *to)),
            _ => None,
        })
        .collect()
}

fn transitions(actions: &[Action]) -> Vec<Transition> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::StateChanged(t) => Some(*t),
            _ => None,
        })
        .collect()
}

// ---- timers ----------------------------------------------------------------

#[test]
fn v2_skew_and_master_down_interval() {
    // RFC 3768 §6.1: Skew_Time = (256 - 100) / 256 s = 0.609375 s;
    // Master_Down_Interval = 3 * 1 s + Skew_Time.
    let vr = Instance::new(config(Version::V2, 100)).unwrap();
    assert_eq!(vr.skew_time(), Duration::from_micros(609_375));
    assert_eq!(vr.master_down_interval(), Duration::from_micros(3_609_375));
}

#[test]
fn v3_skew_uses_master_adver_interval() {
    // RFC 5798 §6.1: Skew_Time = ((256 - 200) * 50 cs) / 256 = 10.9375 cs.
    let mut c = config(Version::V3, 200);
    c.advert_interval = Duration::from_millis(500);
    let vr = Instance::new(c).unwrap();
    assert_eq!(vr.skew_time(), Duration::from_micros(109_375));
    assert_eq!(vr.master_down_interval(), Duration::from_micros(1_609_375));
}

#[test]
fn startup_backup_waits_master_down_interval() {
    // RFC 5798 §6.4.1: Master_Down_Timer = Master_Down_Interval.
    let t0 = Instant::now();
    let mut vr = Instance::new(config(Version::V3, 100)).unwrap();
    vr.startup(t0);
    assert_eq!(vr.state(), State::Backup);
    let actions = drain(&mut vr);
    assert_eq!(transitions(&actions)[0].notify, Notify::Backup);
    assert_eq!(
        vr.poll_timeout(),
        Some(t0 + Duration::from_micros(3_609_375))
    );
}

#[test]
fn startup_state_master_waits_one_interval_in_backup() {
    // keepalived vrrp_init_state(): `state MASTER` below 255 starts BACKUP
    // with ms_down_timer = adver_int + VRRP_TIMER_SKEW_MIN (1/256 s for v2).
    let t0 = Instant::now();
    let mut c = config(Version::V2, 150);
    c.initial_state = InitialState::Master;
    let mut vr = started(c, t0);
    assert_eq!(vr.state(), State::Backup);
    let t = vr.poll_timeout().unwrap();
    assert_eq!(t - t0, Duration::from_micros(1_003_906));
    vr.handle_timeout(t);
    assert_eq!(vr.state(), State::Master);
}

#[test]
fn owner_starts_master_at_once() {
    // RFC 5798 §6.4.1: priority 255 sends an advert, announces the
    // addresses and goes MASTER; keepalived installs no drop rule (accept).
    let t0 = Instant::now();
    let mut vr = Instance::new(config(Version::V3, 255)).unwrap();
    vr.startup(t0);
    let actions = drain(&mut vr);
    assert_eq!(vr.state(), State::Master);
    assert_eq!(adverts(&actions), vec![(255, Destination::Multicast)]);
    assert!(matches!(
        &actions[1],
        Action::AddAddresses { accept: true, .. }
    ));
    assert!(matches!(
        &actions[2],
        Action::SendGratuitous { repeat: 5, .. }
    ));
    let t = transitions(&actions);
    assert_eq!(
        (t[0].to, t[0].reason),
        (State::Master, Reason::AddressOwner)
    );
    assert_eq!(vr.poll_timeout(), Some(t0 + Duration::from_secs(1)));
}

#[test]
fn master_advertises_every_interval() {
    // RFC 5798 §6.4.3: on Adver_Timer expiry send an advert, restart timer.
    let t0 = Instant::now();
    let (mut vr, t) = master_at(config(Version::V3, 100), t0);
    let next = t + Duration::from_secs(1);
    assert_eq!(vr.poll_timeout(), Some(next));
    vr.handle_timeout(next);
    assert_eq!(
        adverts(&drain(&mut vr)),
        vec![(100, Destination::Multicast)]
    );
    assert_eq!(vr.poll_timeout(), Some(next + Duration::from_secs(1)));
}

// ---- backup ------------------------------------------------------------------

#[test]
fn backup_accepts_higher_priority_and_restarts_down_timer() {
    // RFC 5798 §6.4.2: priority >= local: reset Master_Down_Timer.
    let t0 = Instant::now();
    let mut vr = started(config(Version::V3, 100), t0);
    let t1 = t0 + Duration::from_secs(2);
    vr.handle_advert(t1, &rx_from(&vr, 20, 150)).unwrap();
    assert_eq!(vr.poll_timeout(), Some(t1 + vr.master_down_interval()));
    assert_eq!(vr.heard_master(), Some((ip(20), 150)));
    assert_eq!(vr.stats().advert_rcvd, 1);
}

#[test]
fn backup_with_preempt_ignores_lower_priority() {
    // RFC 5798 §6.4.2: lower priority with Preempt_Mode: discard; the
    // down timer runs out and we preempt (keepalived vrrp_state_backup()).
    let t0 = Instant::now();
    let mut vr = started(config(Version::V3, 200), t0);
    let deadline = vr.poll_timeout().unwrap();
    vr.handle_advert(t0 + Duration::from_secs(1), &rx_from(&vr, 20, 100))
        .unwrap();
    assert_eq!(vr.poll_timeout(), Some(deadline));
    vr.handle_timeout(deadline);
    let t = transitions(&drain(&mut vr));
    assert_eq!((t[0].to, t[0].reason), (State::Master, Reason::Preempted));
}

#[test]
fn nopreempt_backup_follows_lower_priority_master() {
    // RFC 5798 §6.4.2: Preempt_Mode False: reset the timer whatever the
    // priority.
    let t0 = Instant::now();
    let mut c = config(Version::V3, 200);
    c.preempt = false;
    let mut vr = started(c, t0);
    let t1 = t0 + Duration::from_secs(3);
    vr.handle_advert(t1, &rx_from(&vr, 20, 100)).unwrap();
    assert_eq!(vr.poll_timeout(), Some(t1 + vr.master_down_interval()));
}

#[test]
fn priority_zero_shortens_down_timer_to_skew() {
    // RFC 5798 §6.4.2: priority 0: Master_Down_Timer = Skew_Time.
    let t0 = Instant::now();
    let mut vr = started(config(Version::V2, 100), t0);
    let t1 = t0 + Duration::from_secs(1);
    vr.handle_advert(t1, &rx_from(&vr, 20, 0)).unwrap();
    assert_eq!(vr.poll_timeout(), Some(t1 + Duration::from_micros(609_375)));
    assert_eq!(vr.stats().pri_zero_rcvd, 1);
    vr.handle_timeout(t1 + Duration::from_micros(609_375));
    let t = transitions(&drain(&mut vr));
    assert_eq!(t[0].reason, Reason::MasterStepDown);
}

#[test]
fn v3_backup_learns_master_interval() {
    // RFC 5798 §6.4.2: Master_Adver_Interval = Adver Interval of the advert;
    // Skew_Time = (156 * 200 cs) / 256 = 121.875 cs.
    let t0 = Instant::now();
    let mut vr = started(config(Version::V3, 100), t0);
    let mut rx = rx_from(&vr, 20, 150);
    rx.advert.interval_cs = 200;
    vr.handle_advert(t0, &rx).unwrap();
    assert_eq!(vr.master_advert_interval(), Duration::from_secs(2));
    assert_eq!(vr.master_down_interval(), Duration::from_micros(7_218_750));
    // Becoming master goes back to our own interval.
    vr.handle_timeout(vr.poll_timeout().unwrap());
    assert_eq!(vr.master_advert_interval(), Duration::from_secs(1));
}

#[test]
fn preempt_delay_holds_off_preemption() {
    // keepalived vrrp_state_backup(): the first lower-priority advert
    // starts preempt_time; until it passes such adverts are accepted.
    let t0 = Instant::now();
    let mut c = config(Version::V3, 200);
    c.preempt_delay = Duration::from_secs(10);
    let mut vr = started(c, t0);
    let mdi = vr.master_down_interval();
    for s in [1u64, 3, 5, 7, 9] {
        let t = t0 + Duration::from_secs(s);
        vr.handle_advert(t, &rx_from(&vr, 20, 100)).unwrap();
        assert_eq!(vr.poll_timeout(), Some(t + mdi), "accepted at {s}s");
    }
    let t11 = t0 + Duration::from_secs(11);
    vr.handle_advert(t11, &rx_from(&vr, 20, 100)).unwrap();
    // Discarded: the timer still points at 9 s + MDI.
    assert_eq!(vr.poll_timeout(), Some(t0 + Duration::from_secs(9) + mdi));
    // A higher-priority master clears the delay.
    vr.handle_advert(t11, &rx_from(&vr, 30, 250)).unwrap();
    assert_eq!(vr.poll_timeout(), Some(t11 + mdi));
}

// ---- master --------------------------------------------------------------------

#[test]
fn master_steps_down_for_higher_priority() {
    // RFC 5798 §6.4.3: higher priority: cancel Adver_Timer, set the down
    // timer, go BACKUP; keepalived removes the addresses.
    let t0 = Instant::now();
    let (mut vr, t) = master_at(config(Version::V3, 100), t0);
    vr.handle_advert(t, &rx_from(&vr, 5, 101)).unwrap();
    let actions = drain(&mut vr);
    assert_eq!(vr.state(), State::Backup);
    assert!(adverts(&actions).is_empty());
    assert!(matches!(&actions[0], Action::RemoveAddresses { .. }));
    let tr = transitions(&actions);
    assert_eq!(
        (tr[0].to, tr[0].reason),
        (State::Backup, Reason::HigherPriority)
    );
    assert_eq!(vr.poll_timeout(), Some(t + vr.master_down_interval()));
    assert_eq!(vr.stats().release_master, 1);
}

#[test]
fn equal_priority_higher_address_wins() {
    // RFC 5798 §6.4.3: equal priority and sender's primary address greater
    // than ours: go BACKUP; smaller: stay MASTER.
    let t0 = Instant::now();
    let (mut vr, t) = master_at(config(Version::V3, 100), t0);
    vr.handle_advert(t, &rx_from(&vr, 9, 100)).unwrap();
    assert_eq!(vr.state(), State::Master);
    vr.handle_advert(t, &rx_from(&vr, 11, 100)).unwrap();
    assert_eq!(vr.state(), State::Backup);
}

#[test]
fn master_answers_lower_priority_with_an_advert() {
    // keepalived vrrp_state_master_rx(): lower priority: send an advert at
    // once ("forcing new election") and notify master_rx_lower_pri.
    let t0 = Instant::now();
    let (mut vr, t) = master_at(config(Version::V3, 100), t0);
    let t1 = t + Duration::from_millis(300);
    vr.handle_advert(t1, &rx_from(&vr, 20, 50)).unwrap();
    let actions = drain(&mut vr);
    assert_eq!(adverts(&actions), vec![(100, Destination::Multicast)]);
    assert!(actions.contains(&Action::MasterHeardLowerPriority {
        from: ip(20),
        priority: 50
    }));
    assert_eq!(vr.poll_timeout(), Some(t1 + Duration::from_secs(1)));
    assert_eq!(vr.state(), State::Master);
}

#[test]
fn lower_prio_no_advert_keeps_rfc_behaviour() {
    // RFC 5798 §6.4.3: lower priority: discard.
    let t0 = Instant::now();
    let mut c = config(Version::V3, 100);
    c.lower_prio_no_advert = true;
    let (mut vr, t) = master_at(c, t0);
    vr.handle_advert(t, &rx_from(&vr, 20, 50)).unwrap();
    assert!(adverts(&drain(&mut vr)).is_empty());
}

#[test]
fn master_reasserts_on_priority_zero() {
    // keepalived vrrp_state_master_rx(): priority 0 received: send advert.
    let t0 = Instant::now();
    let (mut vr, t) = master_at(config(Version::V3, 100), t0);
    vr.handle_advert(t, &rx_from(&vr, 20, 0)).unwrap();
    assert_eq!(
        adverts(&drain(&mut vr)),
        vec![(100, Destination::Multicast)]
    );
    assert_eq!(vr.state(), State::Master);
}

#[test]
fn two_owners_lower_own_priority() {
    // keepalived vrrp_state_master_rx(): both address owners: reduce the
    // local priority to 254, which then yields to the other.
    let t0 = Instant::now();
    let (mut vr, t) = master_at(config(Version::V3, 255), t0);
    vr.handle_advert(t, &rx_from(&vr, 5, 255)).unwrap();
    assert_eq!(vr.priority(), 254);
    assert_eq!(vr.state(), State::Backup);
}

#[test]
fn shutdown_sends_priority_zero_and_stop() {
    // RFC 5798 §6.4.3: Shutdown: advert with priority 0, go Initialize;
    // keepalived notify STOP.
    let t0 = Instant::now();
    let (mut vr, t) = master_at(config(Version::V3, 100), t0);
    vr.shutdown(t);
    let actions = drain(&mut vr);
    assert_eq!(adverts(&actions), vec![(0, Destination::Multicast)]);
    assert!(matches!(&actions[1], Action::RemoveAddresses { .. }));
    let tr = transitions(&actions);
    assert_eq!((tr[0].to, tr[0].notify), (State::Initialize, Notify::Stop));
    assert_eq!(tr[0].notify.as_str(), "STOP");
    assert_eq!(vr.poll_timeout(), None);
    assert_eq!(vr.stats().pri_zero_sent, 1);
}

#[test]
fn backup_shutdown_sends_nothing() {
    let t0 = Instant::now();
    let mut vr = started(config(Version::V3, 100), t0);
    vr.shutdown(t0);
    let actions = drain(&mut vr);
    assert!(adverts(&actions).is_empty());
    assert_eq!(transitions(&actions)[0].notify, Notify::Stop);
}

#[test]
fn unicast_peers_get_one_advert_each() {
    // keepalived vrrp_send_adv(): one packet per unicast peer.
    let t0 = Instant::now();
    let mut c = config(Version::V3, 255);
    c.unicast_peers = vec![ip(20), ip(30)];
    let mut vr = Instance::new(c).unwrap();
    vr.startup(t0);
    assert_eq!(
        adverts(&drain(&mut vr)),
        vec![
            (255, Destination::Unicast(ip(20))),
            (255, Destination::Unicast(ip(30)))
        ]
    );
    assert_eq!(vr.stats().advert_sent, 1);
}

#[test]
fn garp_schedule_follows_keepalived() {
    // keepalived vrrp_state_become_master(): garp_master_repeat at once,
    // again after garp_master_delay, then garp_master_refresh_repeat every
    // garp_master_refresh.
    let t0 = Instant::now();
    let mut c = config(Version::V3, 255);
    c.garp = GarpConfig {
        master_delay: Duration::from_secs(5),
        master_repeat: 3,
        master_refresh: Duration::from_secs(60),
        master_refresh_repeat: 2,
        lower_prio_repeat: 0,
    };
    let mut vr = Instance::new(c).unwrap();
    vr.startup(t0);
    let garps = |actions: &[Action]| -> Vec<u32> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::SendGratuitous { repeat, .. } => Some(*repeat),
                _ => None,
            })
            .collect()
    };
    assert_eq!(garps(&drain(&mut vr)), vec![3]);
    let mut seen = Vec::new();
    let end = t0 + Duration::from_secs(125);
    while let Some(t) = vr.poll_timeout().filter(|t| *t <= end) {
        vr.handle_timeout(t);
        for g in garps(&drain(&mut vr)) {
            seen.push(((t - t0).as_secs(), g));
        }
    }
    assert_eq!(seen, vec![(5, 3), (60, 2), (120, 2)]);
}

// ---- validation ----------------------------------------------------------------

#[test]
fn discards_are_counted_and_change_nothing() {
    // RFC 5798 §7.1 / RFC 3768 §7.1 and keepalived vrrp_check_packet().
    let t0 = Instant::now();
    let mut c = config(Version::V2, 100);
    c.auth = Auth::Password(*b"secret\0\0");
    let mut vr = started(c, t0);
    let deadline = vr.poll_timeout();
    let good = rx_from(&vr, 20, 200);
    let t1 = t0 + Duration::from_secs(1);
    let mut cases: Vec<(Received, Discard)> = Vec::new();
    let mut r = good.clone();
    r.ttl = 254;
    cases.push((r, Discard::Ttl));
    let mut r = good.clone();
    r.advert.version = Version::V3;
    cases.push((r, Discard::Version));
    let mut r = good.clone();
    r.advert.vrid = 8;
    cases.push((r, Discard::Vrid));
    let mut r = good.clone();
    r.advert.auth = Auth::None;
    cases.push((r, Discard::AuthType));
    let mut r = good.clone();
    r.advert.auth = Auth::Password(*b"wrong\0\0\0");
    cases.push((r, Discard::AuthFailure));
    let mut r = good.clone();
    r.advert.interval_cs = 200;
    cases.push((r, Discard::Interval));
    let mut r = good.clone();
    r.advert.addresses.push(ip(101));
    cases.push((r, Discard::AddressList));
    let mut r = good.clone();
    r.advert.addresses = vec![ip(101)];
    cases.push((r, Discard::AddressList));
    for (rx, reason) in &cases {
        assert_eq!(vr.handle_advert(t1, rx), Err(*reason));
        assert_eq!(vr.poll_timeout(), deadline);
        assert_eq!(vr.state(), State::Backup);
    }
    let s = vr.stats();
    assert_eq!(
        (s.ip_ttl_err, s.vers_err, s.vrid_err, s.authtype_mismatch),
        (1, 1, 1, 1)
    );
    assert_eq!((s.auth_failure, s.interval_err, s.addr_list_err), (1, 1, 2));
    assert_eq!(s.advert_rcvd, 0);
    assert_eq!(s.discarded(), 8);
    assert!(vr.handle_advert(t1, &good).is_ok());
}

#[test]
fn v3_accepts_other_intervals() {
    // RFC 5798 §7.1: version 3 does not discard on an interval mismatch.
    let t0 = Instant::now();
    let mut vr = started(config(Version::V3, 100), t0);
    let mut rx = rx_from(&vr, 20, 200);
    rx.advert.interval_cs = 300;
    assert_eq!(vr.handle_advert(t0, &rx), Ok(()));
}

#[test]
fn unicast_skips_ttl_check_and_may_check_source() {
    // keepalived vrrp_check_packet(): no TTL check with unicast peers;
    // check_unicast_src drops unknown sources.
    let t0 = Instant::now();
    let mut c = config(Version::V3, 100);
    c.unicast_peers = vec![ip(20)];
    c.check_unicast_src = true;
    let mut vr = started(c, t0);
    let mut rx = rx_from(&vr, 20, 200);
    rx.ttl = 62;
    assert_eq!(vr.handle_advert(t0, &rx), Ok(()));
    rx.src = ip(21);
    assert_eq!(vr.handle_advert(t0, &rx), Err(Discard::UnicastSource));
}

// ---- tracking ------------------------------------------------------------------

// ---- reload ----------------------------------------------------------------

#[test]
fn new_virtual_addresses_on_a_master_are_applied_in_place() {
    // keepalived's clear_diff_vrrp_vip() / restore_vrrp_state(): the
    // address that went is removed, the new one added and announced; the
    // state stays MASTER and the next advert lists the new set.
    let t0 = Instant::now();
    let (mut vr, _) = master_at(config(Version::V3, 100), t0);
    let new = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 101));
    vr.set_virtual_addresses(vec![new]).unwrap();
    let actions = drain(&mut vr);
    assert_eq!(
        actions,
        [
            Action::RemoveAddresses {
                addresses: vec![vip()]
            },
            Action::AddAddresses {
                addresses: vec![new],
                accept: false
            },
            Action::SendGratuitous {
                addresses: vec![new],
                repeat: 5
            },
        ]
    );
    assert_eq!(vr.state(), State::Master);
    assert_eq!(vr.advert(100).addresses, [new]);
    // Adverts listing the old set are now refused.
    let mut old = vr.advert(100);
    old.addresses = vec![vip()];
    let rx = Received {
        src: ip(20),
        ttl: 255,
        advert: old,
    };
    assert_eq!(vr.handle_advert(t0, &rx), Err(Discard::AddressList));
}

#[test]
fn reconfigured_master_keeps_its_state_and_advertises_the_new_priority() {
    // keepalived's restore_vrrp_state() / reload_master: the state
    // stays, an advert with the new priority goes out at once.
    let t0 = Instant::now();
    let (mut vr, t) = master_at(config(Version::V2, 150), t0);
    let mut c = config(Version::V2, 120);
    c.advert_interval = Duration::from_secs(2);
    assert!(vr.reconfigure(t, c).unwrap());
    let actions = drain(&mut vr);
    assert_eq!(vr.state(), State::Master);
    assert!(transitions(&actions).is_empty(), "{actions:?}");
    assert!(actions.contains(&Action::PriorityChanged { from: 150, to: 120 }));
    assert_eq!(adverts(&actions), [(120, Destination::Multicast)]);
    // The next advert follows the new interval.
    assert_eq!(vr.poll_timeout(), Some(t + Duration::from_secs(2)));
    // Another VRID is another instance: nothing changes.
    let mut other = config(Version::V2, 120);
    other.vrid = 8;
    assert!(!vr.reconfigure(t, other).unwrap());
    assert_eq!(vr.config().vrid, 7);
}

#[test]
fn reconfigured_backup_stays_backup_quietly() {
    let t0 = Instant::now();
    let mut vr = started(config(Version::V2, 100), t0);
    let deadline = vr.poll_timeout();
    assert!(vr.reconfigure(t0, config(Version::V2, 100)).unwrap());
    assert!(drain(&mut vr).is_empty());
    assert_eq!(vr.state(), State::Backup);
    assert_eq!(vr.poll_timeout(), deadline);
}

#[test]
fn new_virtual_addresses_on_a_backup_change_nothing_on_the_link() {
    let t0 = Instant::now();
    let mut vr = started(config(Version::V3, 100), t0);
    let new = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 101));
    vr.set_virtual_addresses(vec![vip(), new]).unwrap();
    assert!(drain(&mut vr).is_empty());
    assert_eq!(vr.state(), State::Backup);
    assert_eq!(vr.config().virtual_addresses, [vip(), new]);
    let v6: IpAddr = "2001:db8::1".parse().unwrap();
    assert_eq!(
        vr.set_virtual_addresses(vec![v6]),
        Err(ConfigError::MixedFamilies)
    );
}

fn tracked(weight: i32) -> Config {
    let mut c = config(Version::V3, 100);
    c.tracks = vec![Track::new("chk", TrackKind::Script, weight)];
    c
}

#[test]
fn weight_zero_failure_takes_master_to_fault() {
    // keepalived down_instance() / vrrp_state_leave_master(): FAULT sends
    // priority 0 and removes the addresses; recovery goes BACKUP.
    let t0 = Instant::now();
    let (mut vr, t) = master_at(tracked(0), t0);
    vr.set_track(t, 0, TrackStatus::Down).unwrap();
    let actions = drain(&mut vr);
    assert_eq!(vr.state(), State::Fault);
    assert_eq!(adverts(&actions), vec![(0, Destination::Multicast)]);
    assert_eq!(transitions(&actions)[0].notify.as_str(), "FAULT");
    assert_eq!(vr.poll_timeout(), None);
    // Adverts are ignored in FAULT.
    assert_eq!(
        vr.handle_advert(t, &rx_from(&vr, 20, 50)),
        Err(Discard::Inactive)
    );
    vr.set_track(t, 0, TrackStatus::Up).unwrap();
    assert_eq!(vr.state(), State::Backup);
    assert_eq!(vr.poll_timeout(), Some(t + vr.master_down_interval()));
    assert_eq!(vr.set_track(t, 3, TrackStatus::Up), Err(UnknownTrack(3)));
}

#[test]
fn fault_at_startup() {
    let t0 = Instant::now();
    let mut c = tracked(0);
    c.tracks[0].initial = TrackStatus::Down;
    let vr = started(c, t0);
    assert_eq!(vr.state(), State::Fault);
}

#[test]
fn weight_moves_backup_down_timer_by_skew_change() {
    // keepalived vrrp_set_effective_priority(): in BACKUP the expiry moves by
    // the change of ms_down_timer. 100 -> 80: skew grows by 20/256 s.
    let t0 = Instant::now();
    let mut vr = started(tracked(-20), t0);
    let before = vr.poll_timeout().unwrap();
    vr.set_track(t0, 0, TrackStatus::Down).unwrap();
    assert_eq!(vr.priority(), 80);
    assert_eq!(
        vr.poll_timeout(),
        Some(before + Duration::from_micros(78_125))
    );
    assert!(drain(&mut vr).contains(&Action::PriorityChanged { from: 100, to: 80 }));
}

#[test]
fn master_advertises_new_priority() {
    let t0 = Instant::now();
    let (mut vr, t) = master_at(tracked(-30), t0);
    vr.set_track(t, 0, TrackStatus::Down).unwrap();
    let next = vr.poll_timeout().unwrap();
    vr.handle_timeout(next);
    assert_eq!(adverts(&drain(&mut vr)), vec![(70, Destination::Multicast)]);
}

// ---- properties ----------------------------------------------------------------

fn any_received() -> impl Strategy<Value = Received> {
    (
        any::<bool>(),
        1u8..=10,
        any::<u8>(),
        any::<u8>(),
        0u16..400,
        0u8..3,
        proptest::collection::vec(95u8..=102, 0..3),
        any::<u8>(),
        any::<u8>(),
    )
        .prop_map(
            |(v3, vrid, priority, src, interval, auth, addrs, ttl, pw)| Received {
                src: ip(src),
                ttl: if ttl % 2 == 0 { 255 } else { ttl },
                advert: Advertisement {
                    version: if v3 { Version::V3 } else { Version::V2 },
                    vrid: vrid + 2,
                    priority,
                    interval_cs: if interval % 2 == 0 { 100 } else { interval },
                    auth: match auth {
                        0 => Auth::None,
                        1 => Auth::Password([pw; 8]),
                        _ => Auth::Ah,
                    },
                    addresses: addrs.into_iter().map(ip).collect(),
                },
            },
        )
}

proptest! {
    #[test]
    fn discarded_adverts_never_change_state(
        rxs in proptest::collection::vec(any_received(), 1..30),
        v3 in any::<bool>(),
        master in any::<bool>(),
    ) {
        let t0 = Instant::now();
        let version = if v3 { Version::V3 } else { Version::V2 };
        let c = config(version, 100);
        let mut vr = if master { master_at(c, t0).0 } else { started(c, t0) };
        let mut t = t0;
        for rx in &rxs {
            t += Duration::from_millis(10);
            let before = (vr.state(), vr.poll_timeout(), vr.priority(), vr.master_advert_interval());
            let sent_before = vr.stats().advert_sent;
            if vr.handle_advert(t, rx).is_err() {
                prop_assert_eq!(before, (vr.state(), vr.poll_timeout(), vr.priority(), vr.master_advert_interval()));
                prop_assert_eq!(sent_before, vr.stats().advert_sent);
                prop_assert!(vr.poll_action().is_none());
            }
            drain(&mut vr);
        }
    }

    #[test]
    fn timeouts_never_go_backwards(
        rxs in proptest::collection::vec((any_received(), 0u64..3000), 1..40),
    ) {
        // After any sequence of adverts and timeouts the next timeout is
        // never in the past and the state is BACKUP or MASTER.
        let t0 = Instant::now();
        let mut vr = started(config(Version::V3, 100), t0);
        let mut t = t0;
        for (mut rx, gap) in rxs {
            rx.advert.vrid = 7;
            rx.advert.version = Version::V3;
            rx.advert.auth = Auth::None;
            rx.advert.addresses = vec![vip()];
            t += Duration::from_millis(gap);
            while let Some(due) = vr.poll_timeout().filter(|d| *d <= t) {
                vr.handle_timeout(due);
            }
            let _ = vr.handle_advert(t, &rx);
            drain(&mut vr);
            prop_assert!(vr.poll_timeout().is_some_and(|d| d >= t));
            prop_assert!(matches!(vr.state(), State::Backup | State::Master));
        }
    }
}

#[test]
fn accept_mode_reaches_the_driver() {
    // RFC 5798 §6.1 Accept_Mode; keepalived vrrp_handle_accept_mode(): a
    // non-owner without `accept` gets a drop rule for its VIPs.
    let t0 = Instant::now();
    for (accept, expected) in [(false, false), (true, true)] {
        let mut c = config(Version::V3, 100);
        c.accept = accept;
        let mut vr = started(c, t0);
        vr.handle_timeout(vr.poll_timeout().unwrap());
        let actions = drain(&mut vr);
        assert!(actions.iter().any(|a| matches!(
            a,
            Action::AddAddresses { accept, .. } if *accept == expected
        )));
    }
}

#[test]
fn higher_prio_send_advert_sends_before_stepping_down() {
    // keepalived vrrp_state_master_rx(): higher_prio_send_advert.
    let t0 = Instant::now();
    let mut c = config(Version::V3, 100);
    c.higher_prio_send_advert = true;
    let (mut vr, t) = master_at(c, t0);
    vr.handle_advert(t, &rx_from(&vr, 20, 200)).unwrap();
    let actions = drain(&mut vr);
    assert_eq!(adverts(&actions), vec![(100, Destination::Multicast)]);
    assert_eq!(vr.state(), State::Backup);
}

#[test]
fn garp_lower_prio_repeat() {
    // keepalived vrrp_state_master_rx(): garp_lower_prio_repeat GARPs when
    // a lower priority is heard.
    let t0 = Instant::now();
    let mut c = config(Version::V3, 100);
    c.garp.lower_prio_repeat = 2;
    let (mut vr, t) = master_at(c, t0);
    vr.handle_advert(t, &rx_from(&vr, 20, 50)).unwrap();
    assert!(drain(&mut vr).contains(&Action::SendGratuitous {
        addresses: vec![vip()],
        repeat: 2
    }));
}

#[test]
fn ipv6_instance_takes_ipv6_adverts_only() {
    // RFC 5798 §5.1.2: version 3 over IPv6; an IPv4 source is of the wrong
    // family for an IPv6 instance.
    let t0 = Instant::now();
    let me: IpAddr = "2001:db8::10".parse().unwrap();
    let v: IpAddr = "2001:db8::100".parse().unwrap();
    let mut vr = started(Config::new(Version::V3, 7, 100, me, vec![v]), t0);
    let mut rx = Received {
        src: "2001:db8::20".parse().unwrap(),
        ttl: 255,
        advert: vr.advert(200),
    };
    assert_eq!(vr.handle_advert(t0, &rx), Ok(()));
    rx.src = ip(20);
    assert_eq!(vr.handle_advert(t0, &rx), Err(Discard::AddressList));
}
