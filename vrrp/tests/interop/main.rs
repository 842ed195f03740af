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
//! - `lbkit_master_killed` / `lbkit_master_shutdown`: a separate process
//!   (this test binary, re-run as `static_master_process`) is master at
//!   priority 200 through the driver, keepalived backup: keepalived
//!   stays backup while it lives, takes over within its
//!   Master_Down_Interval after SIGKILL and after its skew time on the
//!   priority-0 advert the process sends on SIGTERM.
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

// ------------------------------------- a VRRP process to kill: (a), (c)

/// Environment variable that turns [`static_master_process`] into the
/// child process of the kill / shutdown tests: `<case tag>,<priority>`.
const CHILD_ROLE: &str = "LBKIT_VRRP_INTEROP_STATIC_MASTER";

/// The child process: announces itself master of the case's VRID every
/// second (a fixed master, as the full state machine is in Master state)
/// until SIGTERM, then sends one priority-0 advert (graceful shutdown)
/// and exits. Not a test of its own: it returns at once unless started
/// by the tests below with [`CHILD_ROLE`] set.
#[test]
fn static_master_process() {
    let Ok(role) = std::env::var(CHILD_ROLE) else {
        return;
    };
    let (tag, priority) = role.split_once(',').unwrap();
    let case = CASES.into_iter().find(|c| c.tag == tag).unwrap();
    let priority: u8 = priority.parse().unwrap();
    runtime().block_on(async move {
        let socket = std::sync::Arc::new(case.socket());
        listen(&socket);
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap();
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = tick.tick() => socket.send(&case.advert(priority), case.destination()).await.unwrap(),
                _ = term.recv() => break,
            }
        }
        socket.send(&case.advert(0), case.destination()).await.unwrap();
    });
}

/// How the lbkit master goes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    /// SIGKILL: silence; the backup waits its Master_Down_Interval.
    Kill,
    /// SIGTERM: a priority-0 advert; the backup takes over after its skew time.
    Term,
}

/// The lbkit process is master (priority 200) in h2, keepalived backup
/// (priority 100) in h1: keepalived stays backup while the process lives
/// and takes over when it is killed or shut down.
fn lbkit_master_goes_away(case: Case, exit: Exit) {
    if !lab::usable(&["keepalived", "tshark", "dumpcap"]) {
        return;
    }
    let tag = format!("{}{}", if exit == Exit::Kill { "k" } else { "t" }, case.tag);
    let mut lab = Lab::up(&tag, 2);
    let capture = Capture::start(&mut lab, 2, "tshark", VRRP_FILTER);
    let (h1, h2) = (lab.host(1), lab.host(2));
    let exe = std::env::current_exe().unwrap().display().to_string();
    let role = format!("{CHILD_ROLE}={},200", case.tag);
    lab.spawn(
        &h2,
        "lbkit",
        &[
            "env",
            &role,
            &exe,
            "--exact",
            "static_master_process",
            "--nocapture",
        ],
    );
    start_keepalived(&mut lab, 1, "keepalived", &case.keepalived("BACKUP", 100));
    // keepalived would take over after 3.6 s of silence: watch 5 s.
    let watch = Instant::now();
    let mut held = 0;
    while watch.elapsed() < Duration::from_secs(5) {
        held += usize::from(ns_holds(&h1, case.vip));
        std::thread::sleep(Duration::from_millis(100));
    }
    let ka_log = lab.log("keepalived");
    assert_eq!(
        held, 0,
        "keepalived took the VIP while lbkit was master\n{ka_log}"
    );
    let stopped = Instant::now();
    lab.stop(
        "lbkit",
        match exit {
            Exit::Kill => nix::sys::signal::Signal::SIGKILL,
            Exit::Term => nix::sys::signal::Signal::SIGTERM,
        },
    );
    let took = wait_holds(&h1, case.vip, true, Duration::from_secs(6)).map(|_| stopped.elapsed());
    let ka_log = lab.log("keepalived");
    let took = took.unwrap_or_else(|| panic!("keepalived did not take over\n{ka_log}"));
    let (mdi, skew) = (Case::master_down(100), skew(100));
    match exit {
        // The kill lands at a random phase of the 1 s advert timer.
        Exit::Kill => assert!(
            took + Duration::from_millis(1100) >= mdi && took <= mdi + SLACK,
            "takeover {took:?} after SIGKILL, Master_Down_Interval {mdi:?}"
        ),
        Exit::Term => assert!(
            took <= skew + SLACK,
            "takeover {took:?} after SIGTERM, skew {skew:?}"
        ),
    }
    let src = lab.in_ns(&h2, || Interface::lookup("eth0").unwrap());
    let src = match case.family {
        Family::V4 => src.ipv4.unwrap().to_string(),
        Family::V6 => src.link_local.unwrap().to_string(),
    };
    let packets = capture.finish(
        &mut lab,
        &[
            "frame.protocols",
            "ip.src",
            "ipv6.src",
            "vrrp.checksum.status",
            "vrrp.prio",
        ],
    );
    let ours: Vec<_> = packets
        .iter()
        .filter(|p| p[1] == src || p[2] == src)
        .collect();
    assert!(ours.len() >= 5, "{packets:?}");
    for p in &ours {
        assert!(
            p[0].ends_with(":vrrp") && p[3] == "1",
            "bad packet from lbkit: {p:?}"
        );
    }
    let zeros = ours.iter().filter(|p| p[4] == "0").count();
    assert_eq!(zeros, usize::from(exit == Exit::Term), "priority-0 adverts");
    println!(
        "{}: keepalived took over {:.0} ms after {:?} (MDI {:.0} ms, skew {:.0} ms); {} lbkit packets, all good VRRP",
        case.tag,
        took.as_secs_f64() * 1e3,
        exit,
        mdi.as_secs_f64() * 1e3,
        skew.as_secs_f64() * 1e3,
        ours.len()
    );
}

/// The lbkit process killed: keepalived takes over within its
/// Master_Down_Interval, for every case.
#[test]
fn lbkit_master_killed() {
    all_cases(|case| lbkit_master_goes_away(case, Exit::Kill));
}

/// The lbkit process shut down: its priority-0 advert makes keepalived
/// take over after its skew time, for every case.
#[test]
fn lbkit_master_shutdown() {
    all_cases(|case| lbkit_master_goes_away(case, Exit::Term));
}
