//! A sync group across two interfaces against keepalived 2.2.7: the
//! seed's §4.1 `VG1` (RH_EXT on `eth0`, RH_INT on `eth1`), keepalived
//! master of both in h1, one lbkit [`Router`] with two links (a socket on
//! each interface) in h2.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use lbkit_vrrp::io::{Event, Interface, Router, Vip, VrrpSocket};
use lbkit_vrrp::machine::{Config, Instance, State, SyncGroup};
use lbkit_vrrp::wire::Family;
use lbkit_vrrp::{Auth, Version};

use super::lab::{self, Lab};
use super::peers::{keepalived_vrrp_pid, start_keepalived_with};
use super::{runtime, Case, SLACK};

/// keepalived's side: §4.1's lb1.conf with documentation addresses.
const KEEPALIVED: &str = "global_defs {
    router_id lbk-links
}
vrrp_sync_group VG1 {
    group {
        RH_EXT
        RH_INT
    }
}
vrrp_instance RH_EXT {
    state MASTER
    interface eth0
    virtual_router_id 50
    priority 200
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass passw123
    }
    virtual_ipaddress {
        192.0.2.50/24
        203.0.113.50/24 dev eth1
    }
}
vrrp_instance RH_INT {
    state MASTER
    interface eth1
    virtual_router_id 2
    priority 200
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass passw123
    }
    virtual_ipaddress {
        198.51.100.2/24
    }
}
";

/// What h2 holds: RH_EXT's address on eth0, its `dev eth1` address on
/// eth1, RH_INT's address on eth1.
fn held(lab: &Lab) -> (bool, bool, bool) {
    let (eth0, eth1) = (lab.addr_show_dev(2, "eth0"), lab.addr_show_dev(2, "eth1"));
    (
        eth0.contains(" 192.0.2.50/24"),
        eth1.contains(" 203.0.113.50/24"),
        eth1.contains(" 198.51.100.2/24"),
    )
}

/// What the router in h2 reports when it stops.
struct Outcome {
    events: Vec<Event>,
    instances: Vec<Instance>,
    unattributed: u64,
}

/// keepalived master of VG1 in h1; the router in h2 runs the same group
/// at priority 100 with RH_EXT on link 0 (eth0) and RH_INT on link 1
/// (eth1), RH_EXT holding one more address with `dev eth1`. While
/// keepalived lives h2 holds nothing, and every advert keepalived sends
/// reaches the member of its interface (none is unattributed: a member
/// bound to the wrong socket would count the other's adverts there).
/// Killing keepalived's VRRP process makes both members master together,
/// each address on its interface; on shutdown all go.
#[test]
fn sync_group_spans_two_links() {
    use std::os::fd::AsFd;

    if !lab::usable(&["keepalived"]) {
        return;
    }
    let mut lab = Lab::up("lk", 2);
    lab.second_network();
    let h1 = lab.host(1);
    start_keepalived_with(&mut lab, 1, "keepalived", KEEPALIVED);
    let up = super::wait_holds(&h1, "192.0.2.50", true, Duration::from_secs(8));
    assert!(
        up.is_some(),
        "keepalived never master\n{}",
        lab.log("keepalived")
    );

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let netns = std::fs::File::open(format!("/run/netns/{}", lab.host(2))).unwrap();
    let router = std::thread::spawn(move || {
        nix::sched::setns(netns.as_fd(), nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        runtime().block_on(async move {
            let eth0 = Interface::lookup("eth0").unwrap();
            let eth1 = Interface::lookup("eth1").unwrap();
            let s0 = VrrpSocket::open(&eth0, Family::V4).unwrap();
            let s1 = VrrpSocket::open(&eth1, Family::V4).unwrap();
            let member = |vrid: u8, src: IpAddr, vips: &[Vip]| {
                let mut c = Config::new(
                    Version::V2,
                    vrid,
                    100,
                    src,
                    vips.iter().map(|v| v.addr).collect(),
                );
                c.auth = Auth::Password(*b"passw123");
                Instance::new(c).unwrap()
            };
            let vip = |a: [u8; 4]| Vip {
                addr: IpAddr::from(a),
                prefix_len: 24,
            };
            let ext = [vip([192, 0, 2, 50]), vip([203, 0, 113, 50])];
            let int = [vip([198, 51, 100, 2])];
            let group = SyncGroup::new(vec![
                member(50, s0.source(), &ext),
                member(2, s1.source(), &int),
            ]);
            let mut router = Router::new(s0).unwrap();
            let link = router.add_link(s1).unwrap();
            assert_eq!((link, router.links()), (1, 2));
            router.bind(50, 0);
            router.bind(2, link);
            router.set_devices(HashMap::from([(ext[1].addr, eth1.clone())]));
            router.add_group(group, vec![ext.to_vec(), int.to_vec()]);
            let mut events = router.subscribe();
            router
                .run(async move {
                    let _ = stop_rx.await;
                })
                .await
                .unwrap();
            let mut seen = Vec::new();
            while let Ok(e) = events.try_recv() {
                seen.push(e);
            }
            Outcome {
                events: seen,
                instances: router.instances().cloned().collect(),
                unattributed: router.unattributed().total(),
            }
        })
    });

    // Backup while keepalived lives (Master_Down_Interval 3.6 s: watch 5 s).
    let watch = Instant::now();
    while watch.elapsed() < Duration::from_secs(5) {
        assert_eq!(held(&lab), (false, false, false), "a member went master");
        std::thread::sleep(Duration::from_millis(50));
    }

    let pid = keepalived_vrrp_pid(&lab, "keepalived");
    let killed = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let (mut ext, mut int) = (None, None);
    while killed.elapsed() < Duration::from_secs(6) && (ext.is_none() || int.is_none()) {
        let (e, d, i) = held(&lab);
        if e && d && ext.is_none() {
            ext = Some(killed.elapsed());
        }
        if i && int.is_none() {
            int = Some(killed.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let (ext, int) = (ext.expect("RH_EXT master"), int.expect("RH_INT master"));
    let mdi = Case::master_down(100);
    assert!(ext <= mdi + SLACK && int <= mdi + SLACK, "{ext:?} {int:?}");
    assert!(
        ext.abs_diff(int) <= Duration::from_millis(200),
        "{ext:?} {int:?}"
    );
    println!(
        "sync group on eth0 + eth1: RH_EXT master {:.0} ms, RH_INT {:.0} ms after keepalived was killed (MDI {:.0} ms)",
        ext.as_secs_f64() * 1e3,
        int.as_secs_f64() * 1e3,
        mdi.as_secs_f64() * 1e3
    );

    stop_tx.send(()).unwrap();
    let out = router.join().unwrap();
    assert_eq!(held(&lab), (false, false, false), "addresses left behind");
    assert_eq!(out.unattributed, 0, "an advert reached no member");
    for i in &out.instances {
        // About 5 s of keepalived's adverts, once a second, on each link,
        // all accepted.
        let (vrid, stats) = (i.config().vrid, i.stats());
        assert!(stats.advert_rcvd >= 4, "VRID {vrid}: {stats:?}");
        assert_eq!(stats.discarded(), 0, "VRID {vrid}: {stats:?}");
    }
    let group_moves: Vec<(State, State)> = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::GroupStateChanged { from, to, .. } => Some((*from, *to)),
            _ => None,
        })
        .collect();
    assert_eq!(
        group_moves,
        [
            (State::Initialize, State::Backup),
            (State::Backup, State::Master),
            (State::Master, State::Initialize)
        ],
        "{:?}",
        out.events
    );
}
