//! Interop with the real keepalived 2.2.7 in a network-namespace lab.
//!
//! - `receive_from_keepalived_all`: keepalived is master in h1; the driver's raw socket in h2
//!   receives its adverts, which decode and pass the receive checks.
//! - `keepalived_yields_all`: the driver sends adverts from h2 with a higher
//!   priority than keepalived's (h1, BACKUP): keepalived stays backup
//!   while they come, takes over within its Master_Down_Interval when
//!   they stop, steps back at once when they resume (preemption), and
//!   takes over after its skew time on a priority-0 advert. tshark on
//!   h2's switch port checks every packet the driver sent.
//! - `vips_garp_na`: VIP add / remove through rtnetlink, gratuitous ARP
//!   and unsolicited NA, checked by tshark.
//! - `failover_all`, (a) and (c): lbkit's runner as a
//!   process (the `vrrpd` example) is master at priority 200 in h2,
//!   keepalived backup in h1: keepalived stays backup while it lives,
//!   takes over within its Master_Down_Interval after SIGKILL and within
//!   its skew time on the priority-0 advert vrrpd sends on SIGTERM.
//! - `failover_all`, (b) and (c): the
//!   reverse, keepalived master at 200, vrrpd backup at 100: vrrpd stays
//!   backup, then takes over (VIP added in h2, GARP / NA sent) when
//!   keepalived's VRRP process is killed by PID, or on its priority-0
//!   advert when keepalived is stopped with SIGTERM.
//!
//! - `sync_group_moves_together`: a sync group of two VRIDs run by the
//!   router in h2 holds back the member that is alone on the LAN while
//!   keepalived is master of the other, and both become master together
//!   when keepalived is killed.
//!
//! - `links::sync_group_spans_two_links`: §4.1's VG1 with RH_EXT on eth0
//!   and RH_INT on eth1, keepalived master in h1, one router with a
//!   socket on each interface in h2: backup while keepalived lives, both
//!   members master together when it is killed, each address (one with
//!   `dev eth1`) on its interface.
//!
//! tshark on h2's switch port checks that every VRRP packet lbkit sent
//! is dissected as VRRP with a good checksum.
//!
//! Each scenario runs v2 with PASS, v2 with IPsec AH, v3 over IPv4, v3
//! over IPv6 and v3 over IPv4 unicast at once, in labs of their own, and prints the measured times.
//!
//! They need root, iproute2, keepalived and tshark: under `CI=true` a
//! missing one fails the test, elsewhere the test is skipped with the
//! reason printed.

// Test set-up fails loudly; the measured takeover times are printed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod lab;
mod links;
mod peers;

use std::net::IpAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use lab::Lab;
use lbkit_vrrp::io::{Demux, Interface, VrrpSocket};
use lbkit_vrrp::wire::{self, Family, Received};
use lbkit_vrrp::{Advertisement, Auth, Version};
use peers::{start_keepalived, Capture, KeepalivedConf};

/// One protocol flavour the tests run in.
#[derive(Debug, Clone, Copy)]
struct Case {
    tag: &'static str,
    version: Version,
    family: Family,
    password: Option<&'static str>,
    /// keepalived's IPsec AH mode (with `password` as the key).
    ah: bool,
    /// Unicast between h1 and h2 instead of the multicast group.
    unicast: bool,
    vrid: u8,
    vip: &'static str,
    prefix: u8,
}

const V2_PASS: Case = Case {
    tag: "v2p",
    version: Version::V2,
    family: Family::V4,
    password: Some("secret12"),
    ah: false,
    unicast: false,
    vrid: 51,
    vip: "192.0.2.1",
    prefix: 24,
};
const V3_IPV4: Case = Case {
    tag: "v34",
    version: Version::V3,
    family: Family::V4,
    password: None,
    ah: false,
    unicast: false,
    vrid: 52,
    vip: "192.0.2.2",
    prefix: 24,
};
const V3_IPV6: Case = Case {
    tag: "v36",
    version: Version::V3,
    family: Family::V6,
    password: None,
    ah: false,
    unicast: false,
    vrid: 53,
    vip: "2001:db8::1",
    prefix: 64,
};

const V2_AH: Case = Case {
    tag: "v2a",
    version: Version::V2,
    family: Family::V4,
    password: Some("secret12"),
    ah: true,
    unicast: false,
    vrid: 54,
    vip: "192.0.2.4",
    prefix: 24,
};

/// Allowed lateness of keepalived's reactions (a loaded 2-core machine
/// running several labs at once): well below the gap between "at once"
/// or Skew_Time (0.6 s) and Master_Down_Interval (3.6 s), so the checks
/// still tell the mechanisms apart.
const SLACK: Duration = Duration::from_millis(1000);

const V3_UNICAST: Case = Case {
    tag: "v3u",
    version: Version::V3,
    family: Family::V4,
    password: None,
    ah: false,
    unicast: true,
    vrid: 55,
    vip: "192.0.2.5",
    prefix: 24,
};

/// Every case.
const CASES: [Case; 5] = [V2_PASS, V2_AH, V3_IPV4, V3_IPV6, V3_UNICAST];

/// tshark capture filter for what the cases send.
const VRRP_FILTER: &str = "ip proto 112 or ip proto 51 or ip6 proto 112";

impl Case {
    fn keepalived(&self, state: &'static str, priority: u8) -> KeepalivedConf {
        KeepalivedConf {
            version: match self.version {
                Version::V2 => 2,
                Version::V3 => 3,
            },
            vrid: self.vrid,
            priority,
            state,
            auth: self
                .password
                .map(|p| (if self.ah { "AH" } else { "PASS" }, p)),
            vip: Box::leak(format!("{}/{}", self.vip, self.prefix).into_boxed_str()),
            unicast: self.unicast.then_some(("192.0.2.11", "192.0.2.12")),
        }
    }

    /// The password, zero-padded to 8 bytes.
    fn key(&self) -> [u8; 8] {
        let mut key = [0u8; 8];
        let p = self.password.unwrap_or_default().as_bytes();
        key[..p.len()].copy_from_slice(p);
        key
    }

    /// The driver's socket for the case, on eth0 of the current namespace.
    fn socket(&self) -> VrrpSocket {
        let iface = Interface::lookup("eth0").unwrap();
        if self.ah {
            VrrpSocket::open_ah(&iface, self.key()).unwrap()
        } else {
            VrrpSocket::open(&iface, self.family).unwrap()
        }
    }

    fn advert(&self, priority: u8) -> Advertisement {
        let auth = match (self.password, self.ah) {
            (Some(_), true) => Auth::Ah,
            (Some(_), false) => Auth::Password(self.key()),
            (None, _) => Auth::None,
        };
        Advertisement {
            version: self.version,
            vrid: self.vrid,
            priority,
            interval_cs: 100,
            auth,
            addresses: vec![self.vip.parse().unwrap()],
        }
    }

    /// Where the driver (h2) sends: the group, or h1 for unicast.
    fn destination(&self) -> IpAddr {
        if self.unicast {
            return lab::host_v4(1).parse().unwrap();
        }
        self.group()
    }

    /// Where keepalived (h1) sends: the group, or h2 for unicast.
    fn keepalived_destination(&self) -> IpAddr {
        if self.unicast {
            return lab::host_v4(2).parse().unwrap();
        }
        self.group()
    }

    fn group(&self) -> IpAddr {
        match self.family {
            Family::V4 => IpAddr::V4(wire::MULTICAST_V4),
            Family::V6 => IpAddr::V6(wire::MULTICAST_V6),
        }
    }

    /// Master_Down_Interval of a backup of `priority` at 1 s (both
    /// versions: 3 intervals plus (256 - priority) / 256 of one).
    fn master_down(priority: u8) -> Duration {
        Duration::from_secs(3) + skew(priority)
    }
}

/// Runs `scenario` for every case at once, each in its own lab, on threads named after the case (a failing
/// case names itself in the panic message).
fn all_cases(scenario: fn(Case)) {
    let threads: Vec<_> = CASES
        .into_iter()
        .map(|case| {
            std::thread::Builder::new()
                .name(case.tag.to_string())
                .spawn(move || scenario(case))
                .unwrap()
        })
        .collect();
    let failed: Vec<String> = threads
        .into_iter()
        .filter_map(|t| {
            let name = t.thread().name().unwrap_or("?").to_string();
            t.join().err().map(|_| name)
        })
        .collect();
    assert!(failed.is_empty(), "failed cases: {failed:?}");
}

/// Skew_Time at a 1 s interval.
fn skew(priority: u8) -> Duration {
    Duration::from_micros(u64::from(256 - u16::from(priority)) * 1_000_000 / 256)
}

/// A current-thread runtime for the code run inside a namespace.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Keeps receiving on `socket` in the background (the AH case learns the
/// peer's sequence numbers that way, as keepalived does).
fn listen(socket: &std::sync::Arc<VrrpSocket>) {
    let socket = std::sync::Arc::clone(socket);
    tokio::spawn(async move { while socket.recv().await.is_ok() {} });
}

/// Whether namespace `ns` holds `addr` on eth0.
fn ns_holds(ns: &str, addr: &str) -> bool {
    let out = Command::new("ip")
        .args(["-n", ns, "addr", "show", "dev", "eth0"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).contains(&format!(" {addr}/"))
}

/// Polls until `ns` holds (or no longer holds) `addr`; the time it took,
/// or `None` after `limit`.
fn wait_holds(ns: &str, addr: &str, want: bool, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ns_holds(ns, addr) == want {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

// ---------------------------------------------------------------- (a)

/// keepalived MASTER (priority 150) in h1; the driver in h2 receives.
fn receive_from_keepalived(case: Case) {
    if !lab::usable(&["keepalived"]) {
        return;
    }
    let mut lab = Lab::up(&format!("r{}", case.tag), 2);
    start_keepalived(&mut lab, 1, "keepalived", &case.keepalived("MASTER", 150));
    let sender_v6 = lab.in_ns(&lab.host(1), || {
        Interface::lookup("eth0").unwrap().link_local
    });
    let local = case.advert(100);
    let got: Vec<Received> = lab.in_ns(&lab.host(2), move || {
        runtime().block_on(async move {
            let socket = case.socket();
            let mut demux = Demux::new();
            demux.insert(local, true);
            let mut accepted = Vec::new();
            // keepalived goes master after 3.6 s, then sends every second.
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while accepted.len() < 3 {
                let packet = tokio::time::timeout_at(deadline, socket.recv()).await;
                let packet = packet
                    .expect("3 adverts from keepalived within 10 s")
                    .unwrap();
                if let Some((_, r)) = demux.accept(packet) {
                    accepted.push(r);
                }
            }
            assert_eq!(demux.drops(case.vrid).unwrap().total(), 0);
            accepted
        })
    });
    let expected_src = match case.family {
        Family::V4 => IpAddr::from([192, 0, 2, 11]),
        Family::V6 => IpAddr::V6(sender_v6.unwrap()),
    };
    for r in &got {
        assert_eq!(r.src, expected_src);
        assert_eq!(r.dst, case.keepalived_destination());
        assert_eq!(r.ttl, 255);
        assert_eq!(r.advert, case.advert(150));
    }
    println!(
        "{}: received {} keepalived adverts, all valid",
        case.tag,
        got.len()
    );
}

/// (a) The driver decodes keepalived's adverts, for every case.
#[test]
fn receive_from_keepalived_all() {
    all_cases(receive_from_keepalived);
}

// ---------------------------------------------------------------- (b)

/// What the sending side measured.
#[derive(Debug)]
struct SendReport {
    source: IpAddr,
    sent: usize,
    master_while_we_sent: usize,
    takeover: Option<Duration>,
    step_back: Option<Duration>,
    zero_takeover: Option<Duration>,
}

/// keepalived BACKUP (priority 100) in h1, the driver sending priority
/// 200 from h2.
fn keepalived_yields(case: Case) {
    if !lab::usable(&["keepalived", "tshark", "dumpcap"]) {
        return;
    }
    let mut lab = Lab::up(&format!("s{}", case.tag), 2);
    let filter = VRRP_FILTER;
    let capture = Capture::start(&mut lab, 2, "tshark", filter);
    let h1 = lab.host(1);
    let (h2, ka_priority) = (lab.host(2), 100u8);
    start_keepalived(
        &mut lab,
        1,
        "keepalived",
        &case.keepalived("BACKUP", ka_priority),
    );
    let report = lab.in_ns(&h2, move || {
        runtime().block_on(async move {
            let socket = std::sync::Arc::new(case.socket());
            listen(&socket);
            let (ours, zero, group) = (case.advert(200), case.advert(0), case.destination());
            let mut report = SendReport {
                source: socket.source(),
                sent: 0,
                master_while_we_sent: 0,
                takeover: None,
                step_back: None,
                zero_takeover: None,
            };
            // 1. Six adverts, a second apart: keepalived must stay backup
            //    past its Master_Down_Interval (3.6 s).
            for _ in 0..6 {
                socket.send(&ours, group).await.unwrap();
                report.sent += 1;
                tokio::time::sleep(Duration::from_secs(1)).await;
                if ns_holds(&h1, case.vip) {
                    report.master_while_we_sent += 1;
                }
            }
            // 2. Silence: keepalived takes over after Master_Down_Interval,
            //    counted from the last advert (sent 1 s ago).
            let limit = Case::master_down(ka_priority) + Duration::from_secs(2);
            report.takeover =
                wait_holds(&h1, case.vip, true, limit).map(|d| d + Duration::from_secs(1));
            // 3. A higher priority advert: keepalived steps back at once.
            //    (Let the listener hear keepalived's first advert first: with
            //    AH, keepalived drops numbers not above the last it saw.)
            tokio::time::sleep(Duration::from_millis(200)).await;
            socket.send(&ours, group).await.unwrap();
            report.sent += 1;
            report.step_back = wait_holds(&h1, case.vip, false, Duration::from_secs(2));
            for _ in 0..2 {
                tokio::time::sleep(Duration::from_millis(500)).await;
                socket.send(&ours, group).await.unwrap();
                report.sent += 1;
            }
            // 4. Priority 0 (a master shutting down): keepalived takes
            //    over after its skew time, not its Master_Down_Interval.
            socket.send(&zero, group).await.unwrap();
            report.sent += 1;
            report.zero_takeover = wait_holds(&h1, case.vip, true, Duration::from_secs(3));
            report
        })
    });
    let packets = capture.finish(
        &mut lab,
        &[
            "frame.protocols",
            "ip.src",
            "ipv6.src",
            "vrrp.checksum.status",
            "vrrp.prio",
            "ip.ttl",
            "ipv6.hlim",
            "ip.checksum.status",
        ],
    );
    let ka_log = lab.log("keepalived");
    println!("{}: {report:?}", case.tag);

    // Every packet the driver sent was captured and is valid VRRP with a
    // good checksum and TTL / hop limit 255.
    let source = report.source.to_string();
    let ours: Vec<&Vec<String>> = packets
        .iter()
        .filter(|p| p[1] == source || p[2] == source)
        .collect();
    assert_eq!(ours.len(), report.sent, "captured {packets:?}");
    for p in &ours {
        assert!(p[0].ends_with(":vrrp"), "not VRRP: {p:?}");
        assert_eq!(p[3], "1", "VRRP checksum not good: {p:?}");
        let ttl = if case.family == Family::V4 {
            &p[5]
        } else {
            &p[6]
        };
        assert_eq!(ttl, "255", "{p:?}");
        if case.family == Family::V4 {
            assert_eq!(p[7], "1", "IPv4 header checksum: {p:?}");
        }
    }
    assert!(
        ours.iter().any(|p| p[4] == "0"),
        "the priority-0 advert was captured"
    );

    assert_eq!(
        report.master_while_we_sent, 0,
        "keepalived became master while we sent\n{ka_log}"
    );
    let takeover = report
        .takeover
        .unwrap_or_else(|| panic!("keepalived never took over\n{ka_log}"));
    let mdi = Case::master_down(ka_priority);
    assert!(
        takeover >= mdi - Duration::from_millis(300) && takeover <= mdi + SLACK,
        "takeover after {takeover:?}, Master_Down_Interval is {mdi:?}"
    );
    let step_back = report
        .step_back
        .unwrap_or_else(|| panic!("keepalived kept the VIP\n{ka_log}"));
    assert!(step_back < SLACK, "stepped back after {step_back:?}");
    let zero = report
        .zero_takeover
        .unwrap_or_else(|| panic!("no takeover on priority 0\n{ka_log}"));
    assert!(
        zero <= skew(ka_priority) + SLACK,
        "priority 0 takeover after {zero:?}"
    );
    println!(
        "{}: keepalived takeover {:.0} ms after our last advert (MDI {:.0} ms), step back {:.0} ms, \
         takeover on priority 0 {:.0} ms (skew {:.0} ms); {} packets, all dissected as good VRRP",
        case.tag,
        takeover.as_secs_f64() * 1e3,
        mdi.as_secs_f64() * 1e3,
        step_back.as_secs_f64() * 1e3,
        zero.as_secs_f64() * 1e3,
        skew(ka_priority).as_secs_f64() * 1e3,
        ours.len()
    );
}

/// (b) keepalived yields to the driver's adverts, for every case.
#[test]
fn keepalived_yields_all() {
    all_cases(keepalived_yields);
}

// ------------------------------------------------------- VIPs, GARP, NA

/// VIP add / remove through rtnetlink, then gratuitous ARP and
/// unsolicited NA for them, dissected by tshark on the switch port.
#[test]
fn vips_garp_na() {
    use lbkit_vrrp::io::{Announcer, Vip, VipTable};
    if !lab::usable(&["tshark", "dumpcap"]) {
        return;
    }
    let mut lab = Lab::up("vip", 1);
    let capture = Capture::start(&mut lab, 1, "tshark", "arp or icmp6");
    let h1 = lab.host(1);
    let v4 = Vip {
        addr: "192.0.2.50".parse().unwrap(),
        prefix_len: 24,
    };
    let v6 = Vip {
        addr: "2001:db8::50".parse().unwrap(),
        prefix_len: 64,
    };
    let ns = h1.clone();
    let mac = lab.in_ns(&h1, move || {
        let iface = Interface::lookup("eth0").unwrap();
        let mut table = VipTable::open().unwrap();
        for vip in [v4, v6] {
            table.add(iface.index, vip).unwrap();
            // Adding twice is not an error.
            table.add(iface.index, vip).unwrap();
        }
        assert!(ns_holds(&ns, "192.0.2.50") && ns_holds(&ns, "2001:db8::50"));
        let announcer = Announcer::open(&iface).unwrap();
        for _ in 0..3 {
            announcer
                .gratuitous_arp("192.0.2.50".parse().unwrap())
                .unwrap();
            announcer
                .unsolicited_na("2001:db8::50".parse().unwrap())
                .unwrap();
        }
        for vip in [v4, v6] {
            table.remove(iface.index, vip).unwrap();
            table.remove(iface.index, vip).unwrap();
        }
        assert!(!ns_holds(&ns, "192.0.2.50") && !ns_holds(&ns, "2001:db8::50"));
        iface.mac
    });
    let mac = mac.map(|b| format!("{b:02x}")).join(":");
    let packets = capture.finish(
        &mut lab,
        &[
            "arp.isgratuitous",
            "arp.src.hw_mac",
            "arp.src.proto_ipv4",
            "icmpv6.type",
            "icmpv6.checksum.status",
            "icmpv6.nd.na.target_address",
            "icmpv6.nd.na.flag.o",
            "icmpv6.nd.na.flag.s",
            "icmpv6.opt.linkaddr",
            "ipv6.src",
            "ipv6.hlim",
        ],
    );
    let garps: Vec<_> = packets.iter().filter(|p| p[0] == "1").collect();
    assert_eq!(garps.len(), 3, "{packets:?}");
    for p in garps {
        assert_eq!((p[1].as_str(), p[2].as_str()), (mac.as_str(), "192.0.2.50"));
    }
    let nas: Vec<_> = packets
        .iter()
        .filter(|p| p[3] == "136" && p[9] == "2001:db8::50")
        .collect();
    assert_eq!(nas.len(), 3, "{packets:?}");
    for p in nas {
        assert_eq!(p[4], "1", "NA checksum: {p:?}");
        assert_eq!(p[5], "2001:db8::50");
        assert_eq!((p[6].as_str(), p[7].as_str()), ("1", "0"), "flags: {p:?}");
        assert_eq!(p[8], mac);
        assert_eq!(p[10], "255");
    }
}

// ------------------------------- lbkit's runner as a process: (a), (b), (c)

/// The `vrrpd` example (lbkit's [`Router`](lbkit_vrrp::io::Router) as a
/// process), next to this test binary: `cargo test` builds examples.
fn vrrpd_path() -> String {
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("examples").join("vrrpd"))
        .unwrap();
    assert!(
        path.is_file(),
        "{} is missing: build it with `cargo test -p lbkit-vrrp --features io` \
         (or `cargo build -p lbkit-vrrp --features io --example vrrpd`)",
        path.display()
    );
    path.display().to_string()
}

impl Case {
    /// The `vrrpd` command line of the case in h2 at `priority`.
    fn vrrpd(&self, priority: u8) -> Vec<String> {
        let mut cmd = vec![
            vrrpd_path(),
            "--iface".into(),
            "eth0".into(),
            "--vrid".into(),
            self.vrid.to_string(),
            "--priority".into(),
            priority.to_string(),
            "--version".into(),
            match self.version {
                Version::V2 => "2".into(),
                Version::V3 => "3".into(),
            },
            "--vip".into(),
            format!("{}/{}", self.vip, self.prefix),
        ];
        if let Some(p) = self.password {
            cmd.extend(["--auth-pass".into(), p.into()]);
            if self.ah {
                cmd.push("--ah".into());
            }
        }
        if self.unicast {
            cmd.extend(["--peer".into(), lab::host_v4(1)]);
        }
        cmd
    }
}

/// How the master goes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    /// SIGKILL: silence; the backup waits its Master_Down_Interval.
    Kill,
    /// SIGTERM: a priority-0 advert; the backup takes over after its skew time.
    Term,
}

/// Which side is master first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Master {
    /// lbkit (priority 200) master in h2, keepalived (100) backup in h1.
    Lbkit,
    /// keepalived (200) master in h1, lbkit (100) backup in h2.
    Keepalived,
}

/// What the capture on h2's switch port says about lbkit's packets.
#[derive(Debug, Default)]
struct Sent {
    vrrp: usize,
    priority_zero: usize,
    gratuitous: usize,
}

/// tshark fields read from the capture (indexes used by [`check_sent`]).
const FIELDS: [&str; 10] = [
    "frame.protocols",
    "ip.src",
    "ipv6.src",
    "vrrp.checksum.status",
    "vrrp.prio",
    "arp.isgratuitous",
    "arp.src.proto_ipv4",
    "icmpv6.type",
    "icmpv6.nd.na.target_address",
    "eth.src",
];

/// Checks every packet lbkit (h2: MAC `mac`, advert source `src`) sent:
/// each one that is not ARP / ICMPv6 is dissected as VRRP with a good
/// checksum. Counts them, the priority-0 ones, and the GARP / NA for the
/// VIP. (The capture sees both directions of h2's switch port.)
fn check_sent(case: Case, (mac, src): (&str, &str), packets: &[Vec<String>]) -> Sent {
    let mut sent = Sent::default();
    for p in packets {
        if p[9] != mac {
            continue;
        }
        let protocols = &p[0];
        if p[5] == "1" && p[6] == case.vip {
            sent.gratuitous += 1;
            continue;
        }
        if p[7] == "136" && p[8] == case.vip {
            sent.gratuitous += 1;
            continue;
        }
        if protocols.contains(":arp") || protocols.contains(":icmpv6") {
            continue;
        }
        assert!(
            p[1] == src || p[2] == src,
            "{}: lbkit sent from another source than {src}: {p:?}",
            case.tag
        );
        assert!(
            protocols.ends_with(":vrrp") && p[3] == "1",
            "{}: lbkit sent a packet that is not good VRRP: {p:?}",
            case.tag
        );
        sent.vrrp += 1;
        sent.priority_zero += usize::from(p[4] == "0");
    }
    sent
}

/// h2's MAC and advert source for the case.
fn lbkit_source(lab: &Lab, case: Case) -> (String, String) {
    let iface = lab.in_ns(&lab.host(2), || Interface::lookup("eth0").unwrap());
    let mac = iface.mac.map(|b| format!("{b:02x}")).join(":");
    let src = match case.family {
        Family::V4 => iface.ipv4.unwrap().to_string(),
        Family::V6 => iface.link_local.unwrap().to_string(),
    };
    (mac, src)
}

/// Watches `ns` for `period`: how many 100 ms samples found `addr` there.
fn samples_holding(ns: &str, addr: &str, period: Duration) -> usize {
    let watch = Instant::now();
    let mut held = 0;
    while watch.elapsed() < period {
        held += usize::from(ns_holds(ns, addr));
        std::thread::sleep(Duration::from_millis(100));
    }
    held
}

/// One interop scenario: `master` starts as master, the other side is
/// backup and must stay backup while the master lives (watched past the
/// backup's Master_Down_Interval), then the master goes away by `exit`
/// and the backup must take over within Master_Down_Interval (SIGKILL)
/// or Skew_Time (SIGTERM: the master's priority-0 advert), plus slack.
/// Returns the takeover time, measured from the signal.
fn failover(case: Case, master: Master, exit: Exit) -> Option<Duration> {
    if !lab::usable(&["keepalived", "tshark", "dumpcap"]) {
        return None;
    }
    let tag = format!(
        "{}{}{}",
        if master == Master::Lbkit { "l" } else { "k" },
        if exit == Exit::Kill { "k" } else { "t" },
        case.tag
    );
    let mut lab = Lab::up(&tag, 2);
    let filter = format!("{VRRP_FILTER} or arp or icmp6");
    let capture = Capture::start(&mut lab, 2, "tshark", &filter);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let (master_ns, backup_ns) = match master {
        Master::Lbkit => (&h2, &h1),
        Master::Keepalived => (&h1, &h2),
    };
    // The master first, alone until it holds the VIP; then the backup.
    let lbkit_priority = if master == Master::Lbkit { 200 } else { 100 };
    let start_lbkit = |lab: &mut Lab| {
        let cmd = case.vrrpd(lbkit_priority);
        let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
        lab.spawn(&h2, "lbkit", &cmd);
    };
    let start_ka = |lab: &mut Lab| {
        let (state, priority) = match master {
            Master::Lbkit => ("BACKUP", 100),
            Master::Keepalived => ("MASTER", 200),
        };
        start_keepalived(lab, 1, "keepalived", &case.keepalived(state, priority));
    };
    match master {
        Master::Lbkit => start_lbkit(&mut lab),
        Master::Keepalived => start_ka(&mut lab),
    }
    let became = wait_holds(master_ns, case.vip, true, Duration::from_secs(8));
    assert!(
        became.is_some(),
        "{}: the first master never took the VIP\nlbkit:\n{}\nkeepalived:\n{}",
        case.tag,
        lab.log("lbkit"),
        lab.log("keepalived")
    );
    match master {
        Master::Lbkit => start_ka(&mut lab),
        Master::Keepalived => start_lbkit(&mut lab),
    }
    // The backup's Master_Down_Interval is 3.6 s: watch 5 s.
    let held = samples_holding(backup_ns, case.vip, Duration::from_secs(5));
    assert_eq!(
        held,
        0,
        "{}: the backup took the VIP while the master lived\nlbkit:\n{}\nkeepalived:\n{}",
        case.tag,
        lab.log("lbkit"),
        lab.log("keepalived")
    );
    assert!(
        ns_holds(master_ns, case.vip),
        "{}: master lost the VIP",
        case.tag
    );

    let signal = match exit {
        Exit::Kill => nix::sys::signal::Signal::SIGKILL,
        Exit::Term => nix::sys::signal::Signal::SIGTERM,
    };
    let stopped = Instant::now();
    match (master, exit) {
        (Master::Lbkit, _) => lab.signal("lbkit", signal),
        // keepalived's VRRP child does the work; it is started with
        // --dont-respawn so its parent does not start another.
        (Master::Keepalived, Exit::Kill) => {
            let pid = peers::keepalived_vrrp_pid(&lab, "keepalived");
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal).unwrap();
        }
        (Master::Keepalived, Exit::Term) => lab.signal("keepalived", signal),
    }
    let took =
        wait_holds(backup_ns, case.vip, true, Duration::from_secs(6)).map(|_| stopped.elapsed());
    let logs = format!(
        "lbkit:\n{}\nkeepalived:\n{}",
        lab.log("lbkit"),
        lab.log("keepalived")
    );
    let took = took.unwrap_or_else(|| panic!("{}: the backup did not take over\n{logs}", case.tag));
    let (mdi, skew) = (Case::master_down(100), skew(100));
    match exit {
        // The kill lands at a random phase of the 1 s advert timer.
        Exit::Kill => assert!(
            took + Duration::from_millis(1100) >= mdi && took <= mdi + SLACK,
            "{}: takeover {took:?} after SIGKILL, Master_Down_Interval {mdi:?}\n{logs}",
            case.tag
        ),
        Exit::Term => assert!(
            took <= skew + SLACK,
            "{}: takeover {took:?} after SIGTERM, Skew_Time {skew:?}\n{logs}",
            case.tag
        ),
    }
    if master == Master::Lbkit && exit == Exit::Term {
        // A clean stop removes the VIP.
        assert!(
            wait_holds(&h2, case.vip, false, Duration::from_secs(2)).is_some(),
            "{}: lbkit kept the VIP after SIGTERM\n{logs}",
            case.tag
        );
    }
    if master == Master::Keepalived {
        // lbkit stays master once keepalived is gone.
        std::thread::sleep(Duration::from_millis(1500));
    }
    let (mac, src) = lbkit_source(&lab, case);
    let packets = capture.finish(&mut lab, &FIELDS);
    let sent = check_sent(case, (&mac, &src), &packets);
    match master {
        Master::Lbkit => {
            // Master for ~5 s before the signal.
            assert!(sent.vrrp >= 5, "{}: {sent:?} {packets:?}", case.tag);
            assert_eq!(
                sent.priority_zero,
                usize::from(exit == Exit::Term),
                "{}: priority-0 adverts",
                case.tag
            );
        }
        Master::Keepalived => {
            assert!(sent.vrrp >= 1, "{}: {sent:?}", case.tag);
            assert_eq!(sent.priority_zero, 0, "{}: {sent:?}", case.tag);
            assert!(
                ns_holds(&h2, case.vip),
                "{}: lbkit lost the VIP\n{logs}",
                case.tag
            );
        }
    }
    // The first master's burst (lbkit) or the takeover's (lbkit's).
    assert!(
        sent.gratuitous >= 1,
        "{}: no GARP / NA for {} from lbkit: {packets:?}",
        case.tag,
        case.vip
    );
    println!(
        "{} {:?} master, {:?}: backup took over after {:.0} ms (MDI {:.0} ms, skew {:.0} ms); \
         lbkit sent {} VRRP packets, all good, {} GARP/NA",
        case.tag,
        master,
        exit,
        took.as_secs_f64() * 1e3,
        mdi.as_secs_f64() * 1e3,
        skew.as_secs_f64() * 1e3,
        sent.vrrp,
        sent.gratuitous
    );
    Some(took)
}

/// (a), (b), (c) for every case, the four scenarios at once (they
/// mostly wait on protocol timers, so 20 labs side by side keep the test
/// short): lbkit master killed (keepalived takes over within its
/// Master_Down_Interval) or stopped (its priority-0 advert: within
/// Skew_Time, and lbkit removes the VIP); keepalived master killed by PID
/// or stopped (lbkit takes over, adds the VIP, sends GARP / NA). Prints
/// the takeover times as a table.
#[test]
fn failover_all() {
    const SCENARIOS: [(Master, Exit); 4] = [
        (Master::Lbkit, Exit::Kill),
        (Master::Lbkit, Exit::Term),
        (Master::Keepalived, Exit::Kill),
        (Master::Keepalived, Exit::Term),
    ];
    let threads: Vec<_> = SCENARIOS
        .into_iter()
        .flat_map(|(master, exit)| CASES.into_iter().map(move |case| (master, exit, case)))
        .map(|(master, exit, case)| {
            let name = format!("{master:?} master {exit:?} {}", case.tag);
            let thread = std::thread::Builder::new()
                .name(name.clone())
                .spawn(move || failover(case, master, exit))
                .unwrap();
            (name, thread)
        })
        .collect();
    let mut failed = Vec::new();
    let mut table = String::new();
    for (name, thread) in threads {
        match thread.join() {
            Ok(Some(took)) => {
                table.push_str(&format!(
                    "  {name:<28} {:>6.0} ms\n",
                    took.as_secs_f64() * 1e3
                ));
            }
            Ok(None) => {}
            Err(_) => failed.push(name),
        }
    }
    println!("takeover times (from the signal to the VIP on the backup):\n{table}");
    assert!(failed.is_empty(), "failed: {failed:?}");
}

// ------------------------------------------------------------ sync group

/// A sync group run by lbkit's [`Router`](lbkit_vrrp::io::Router) in h2:
/// VRID 61 (priority 200, alone on the LAN) and VRID 62 (priority 100),
/// v3 over IPv4, while keepalived in h1 is master of VRID 62 at priority
/// 250. On its own VRID 61 would become master after its
/// Master_Down_Interval; in the group it must wait for VRID 62, so h2
/// holds neither VIP while keepalived lives. When keepalived's VRRP
/// process is killed, both members become master together; on shutdown
/// both VIPs go.
#[test]
fn sync_group_moves_together() {
    use lbkit_vrrp::io::{Event, Router, Vip};
    use lbkit_vrrp::machine::{Config, Instance, State, SyncGroup};
    use std::os::fd::AsFd;

    if !lab::usable(&["keepalived"]) {
        return;
    }
    let mut lab = Lab::up("sg", 2);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let conf = KeepalivedConf {
        version: 3,
        vrid: 62,
        priority: 250,
        state: "MASTER",
        auth: None,
        vip: "192.0.2.62/24",
        unicast: None,
    };
    start_keepalived(&mut lab, 1, "keepalived", &conf);
    assert!(
        wait_holds(&h1, "192.0.2.62", true, Duration::from_secs(8)).is_some(),
        "keepalived never became master\n{}",
        lab.log("keepalived")
    );

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let netns = std::fs::File::open(format!("/run/netns/{h2}")).unwrap();
    let router = std::thread::spawn(move || {
        nix::sched::setns(netns.as_fd(), nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        runtime().block_on(async move {
            let iface = Interface::lookup("eth0").unwrap();
            let socket = VrrpSocket::open(&iface, Family::V4).unwrap();
            let vip = |last: u8| Vip {
                addr: IpAddr::from([192, 0, 2, last]),
                prefix_len: 24,
            };
            let member = |vrid: u8, priority: u8| {
                let config = Config::new(
                    Version::V3,
                    vrid,
                    priority,
                    socket.source(),
                    vec![vip(vrid).addr],
                );
                Instance::new(config).unwrap()
            };
            let group = SyncGroup::new(vec![member(61, 200), member(62, 100)]);
            let mut router = Router::new(socket).unwrap();
            router.add_group(group, vec![vec![vip(61)], vec![vip(62)]]);
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
            seen
        })
    });

    // VRID 61 alone would be master after 3.2 s: watch 5 s.
    let held = samples_holding(&h2, "192.0.2.61", Duration::from_secs(5))
        + samples_holding(&h2, "192.0.2.62", Duration::from_millis(100));
    assert_eq!(held, 0, "a member went master alone");

    let pid = peers::keepalived_vrrp_pid(&lab, "keepalived");
    let killed = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let limit = Duration::from_secs(6);
    let t62 = wait_holds(&h2, "192.0.2.62", true, limit).map(|_| killed.elapsed());
    let t61 = wait_holds(&h2, "192.0.2.61", true, limit).map(|_| killed.elapsed());
    let (t61, t62) = (t61.expect("VRID 61 master"), t62.expect("VRID 62 master"));
    let mdi = Case::master_down(100);
    assert!(
        t62 <= mdi + SLACK && t61 <= t62 + Duration::from_millis(200),
        "VRID 62 master after {t62:?}, VRID 61 after {t61:?}"
    );

    stop_tx.send(()).unwrap();
    let events = router.join().unwrap();
    assert!(!ns_holds(&h2, "192.0.2.61") && !ns_holds(&h2, "192.0.2.62"));
    let group_moves: Vec<(State, State)> = events
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
        "{events:?}"
    );
    println!(
        "sync group: both members master {:.0} / {:.0} ms after keepalived was killed (MDI {:.0} ms)",
        t62.as_secs_f64() * 1e3,
        t61.as_secs_f64() * 1e3,
        mdi.as_secs_f64() * 1e3
    );
}
