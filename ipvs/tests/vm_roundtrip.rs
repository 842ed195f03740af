//! Round trips against the real kernel (inside the VM): what lbkit writes,
//! ipvsadm reads back exactly as ipvsadm itself would have written it,
//! and what ipvsadm writes, lbkit reads back; kernel errors arrive as
//! matchable variants.

#![allow(clippy::unwrap_used, clippy::panic)]

mod vm;

use lbkit_ipvs::*;
use vm::{fresh_client, golden_output, in_vm, ipvsadm, sh};

fn sa(s: &str) -> std::net::SocketAddr {
    s.parse().unwrap()
}

fn vip() -> ServiceKey {
    ServiceKey::tcp(sa("192.0.2.10:80"))
}

fn tunnel(kind: TunnelType, port: u16) -> ForwardMethod {
    ForwardMethod::Tunnel(Tunnel {
        kind,
        port,
        flags: TunnelFlags::NOCSUM,
    })
}

/// The golden capture's first twelve commands, done with lbkit.
fn golden_setup_with_lbkit(c: &mut Client) {
    c.add_service(
        &Service::new(vip())
            .scheduler("wlc")
            .persistent(300)
            .netmask_v4("255.255.255.0".parse().unwrap()),
    )
    .unwrap();
    c.add_service(&Service::new(ServiceKey::fwmark(42)).scheduler("rr"))
        .unwrap();
    c.add_service(
        &Service::new(ServiceKey::udp(sa("192.0.2.11:53")))
            .scheduler("sh")
            .flags(ServiceFlags::SH_FALLBACK.union(ServiceFlags::SH_PORT)),
    )
    .unwrap();
    let v6 = ServiceKey::tcp(sa("[2001:db8::10]:443"));
    c.add_service(&Service::new(v6).scheduler("wrr")).unwrap();
    let dests = [
        Destination::new(sa("198.51.100.1:8080")).weight(3),
        Destination::new(sa("198.51.100.2:80")).forward(ForwardMethod::Route),
        Destination::new(sa("198.51.100.3:80"))
            .forward(tunnel(TunnelType::Ipip, 0))
            .weight(2),
        Destination::new(sa("198.51.100.5:80"))
            .forward(tunnel(TunnelType::Gue, 6080))
            .weight(2),
    ];
    for d in &dests {
        c.add_dest(&vip(), d).unwrap();
    }
    c.add_dest(
        &ServiceKey::fwmark(42),
        &Destination::new(sa("198.51.100.4:0"))
            .forward(ForwardMethod::Route)
            .weight(5)
            .thresholds(1000, 100),
    )
    .unwrap();
    c.add_dest(&v6, &Destination::new(sa("[2001:db8::20]:443")))
        .unwrap();
    c.edit_dest(
        &vip(),
        &Destination::new(sa("198.51.100.1:8080")).weight(10),
    )
    .unwrap();
    c.edit_service(&Service::new(vip()).scheduler("lc").persistent(600))
        .unwrap();
}

#[test]
#[ignore = "needs a real IPVS kernel: cargo xtask vm test"]
fn lbkit_writes_ipvsadm_lists_what_ipvsadm_listed() {
    if !in_vm("lbkit_writes_ipvsadm_lists_what_ipvsadm_listed") {
        return;
    }
    let mut c = fresh_client();
    golden_setup_with_lbkit(&mut c);
    for (name, args) in [
        ("list_services", &["-Ln"][..]),
        ("list_stats", &["-Ln", "--stats"][..]),
        ("list_rate", &["-Ln", "--rate"][..]),
        ("list_one_service", &["-Ln", "-t", "192.0.2.10:80"][..]),
    ] {
        assert_eq!(ipvsadm(args), golden_output(name), "ipvsadm {args:?}");
    }
    c.zero(None).unwrap();
    c.del_dest(&vip(), sa("198.51.100.2:80")).unwrap();
    c.del_service(&vip()).unwrap();
    let listed = ipvsadm(&["-Ln"]);
    assert!(!listed.contains("192.0.2.10:80"), "{listed}");
    assert!(listed.contains("FWM  42 rr"), "{listed}");
    c.flush().unwrap();
    assert_eq!(ipvsadm(&["-Ln"]).lines().count(), 3, "only the header");
}

#[test]
#[ignore = "needs a real IPVS kernel: cargo xtask vm test"]
fn lbkit_timeouts_and_daemons_read_by_ipvsadm() {
    if !in_vm("lbkit_timeouts_and_daemons_read_by_ipvsadm") {
        return;
    }
    let mut c = fresh_client();
    let before = c.timeouts().unwrap();
    c.set_timeouts(&Timeouts {
        tcp: 900,
        tcp_fin: 120,
        udp: 300,
    })
    .unwrap();
    assert_eq!(ipvsadm(&["-L", "--timeout"]), golden_output("get_timeouts"));
    // 0 leaves a timeout as it is.
    c.set_timeouts(&Timeouts {
        tcp: 0,
        tcp_fin: 60,
        udp: 0,
    })
    .unwrap();
    assert_eq!(
        ipvsadm(&["-L", "--timeout"]),
        "Timeout (tcp tcpfin udp): 900 60 300\n"
    );
    c.set_timeouts(&before).unwrap();

    sh("ip link show sync0 >/dev/null 2>&1 || { ip link add sync0 type dummy && ip addr add 192.0.2.1/24 dev sync0 && ip link set sync0 up; }");
    c.start_daemon(&Daemon::new(DaemonState::Master, "sync0", 7))
        .unwrap();
    c.start_daemon(&Daemon::new(DaemonState::Backup, "sync0", 7))
        .unwrap();
    assert_eq!(ipvsadm(&["-L", "--daemon"]), golden_output("list_daemon"));
    c.stop_daemon(DaemonState::Master).unwrap();
    c.stop_daemon(DaemonState::Backup).unwrap();
    assert_eq!(ipvsadm(&["-L", "--daemon"]), "");
    // A daemon with every option, read back by both.
    c.start_daemon(
        &Daemon::new(DaemonState::Backup, "sync0", 9)
            .max_len(1400)
            .group("239.1.2.3".parse().unwrap())
            .port(9000)
            .ttl(3),
    )
    .unwrap();
    assert_eq!(
        ipvsadm(&["-L", "--daemon"]),
        "backup sync daemon (mcast=sync0, syncid=9, maxlen=1400, group=239.1.2.3, port=9000, ttl=3)\n"
    );
    let daemons = c.daemons().unwrap();
    assert_eq!(daemons.len(), 1);
    assert_eq!(daemons[0].mcast_port, Some(9000));
    c.stop_daemon(DaemonState::Backup).unwrap();
}

#[test]
#[ignore = "needs a real IPVS kernel: cargo xtask vm test"]
fn ipvsadm_writes_lbkit_reads() {
    if !in_vm("ipvsadm_writes_lbkit_reads") {
        return;
    }
    let mut c = fresh_client();
    let commands = include_str!("data/golden/commands.tsv");
    for line in commands.lines().take(12) {
        let cmd = line.split('\t').nth(2).unwrap();
        let args: Vec<&str> = cmd.split_whitespace().skip(1).collect();
        ipvsadm(&args);
    }
    let mut services = c.services().unwrap();
    services.sort_by_key(|s| s.service.key);
    let got: Vec<Service> = services.iter().map(|s| s.service.clone()).collect();
    let hashed = ServiceFlags::HASHED;
    let want = vec![
        Service::new(vip())
            .scheduler("lc")
            .persistent(600)
            .flags(hashed),
        Service::new(ServiceKey::tcp(sa("[2001:db8::10]:443")))
            .scheduler("wrr")
            .flags(hashed),
        Service::new(ServiceKey::udp(sa("192.0.2.11:53")))
            .scheduler("sh")
            .flags(
                hashed
                    .union(ServiceFlags::SH_FALLBACK)
                    .union(ServiceFlags::SH_PORT),
            ),
        Service::new(ServiceKey::fwmark(42))
            .scheduler("rr")
            .flags(hashed),
    ];
    assert_eq!(got, want);
    let mut dests: Vec<Destination> = c
        .destinations(&vip())
        .unwrap()
        .into_iter()
        .map(|d| d.destination)
        .collect();
    dests.sort_by_key(|d| d.addr);
    assert_eq!(
        dests,
        [
            Destination::new(sa("198.51.100.1:8080")).weight(10),
            Destination::new(sa("198.51.100.2:80")).forward(ForwardMethod::Route),
            Destination::new(sa("198.51.100.3:80"))
                .forward(tunnel(TunnelType::Ipip, 0))
                .weight(2),
            Destination::new(sa("198.51.100.5:80"))
                .forward(tunnel(TunnelType::Gue, 6080))
                .weight(2),
        ]
    );
    let fw = c.destinations(&ServiceKey::fwmark(42)).unwrap();
    assert_eq!(
        fw[0].destination,
        Destination::new(sa("198.51.100.4:0"))
            .forward(ForwardMethod::Route)
            .weight(5)
            .thresholds(1000, 100)
    );
    let one = c.service(&vip()).unwrap();
    assert_eq!(one.service.timeout, 600);
    ipvsadm(&["--set", "901", "121", "301"]);
    assert_eq!(
        c.timeouts().unwrap(),
        Timeouts {
            tcp: 901,
            tcp_fin: 121,
            udp: 301
        }
    );
    sh("ip link show sync0 >/dev/null 2>&1 || { ip link add sync0 type dummy && ip addr add 192.0.2.1/24 dev sync0 && ip link set sync0 up; }");
    ipvsadm(&[
        "--start-daemon",
        "backup",
        "--mcast-interface",
        "sync0",
        "--syncid",
        "11",
        "--mcast-port",
        "8850",
    ]);
    assert_eq!(
        c.daemons().unwrap(),
        [Daemon::new(DaemonState::Backup, "sync0", 11)
            .max_len(1472)
            .group("224.0.0.81".parse().unwrap())
            .port(8850)
            .ttl(1)]
    );
    ipvsadm(&["--stop-daemon", "backup"]);
    assert!(c.daemons().unwrap().is_empty());
    ipvsadm(&["-C"]);
    assert!(c.services().unwrap().is_empty());
}

#[test]
#[ignore = "needs a real IPVS kernel: cargo xtask vm test"]
fn kernel_errors_are_matchable() {
    if !in_vm("kernel_errors_are_matchable") {
        return;
    }
    let mut c = fresh_client();
    let info = c.info().unwrap();
    assert_eq!(info.version_triplet(), (1, 2, 1));
    assert_eq!(info.conn_table_size, 4096);
    let svc = Service::new(vip()).scheduler("rr");
    c.add_service(&svc).unwrap();
    assert!(matches!(
        c.add_service(&svc),
        Err(Error::ServiceExists { key }) if key == vip()
    ));
    let missing = ServiceKey::tcp(sa("203.0.113.99:80"));
    assert!(matches!(
        c.del_service(&missing),
        Err(Error::NoSuchService { key, op: Command::DelService }) if key == missing
    ));
    assert!(matches!(
        c.add_dest(&missing, &Destination::new(sa("198.51.100.1:80"))),
        Err(Error::NoSuchService { .. })
    ));
    let bad = Service::new(ServiceKey::tcp(sa("192.0.2.20:80"))).scheduler("nope");
    let e = c.add_service(&bad).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidScheduler { scheduler, .. } if scheduler == "nope"),
        "{e}"
    );
    let d = Destination::new(sa("198.51.100.1:80"));
    c.add_dest(&vip(), &d).unwrap();
    assert!(matches!(
        c.add_dest(&vip(), &d),
        Err(Error::DestinationExists { .. })
    ));
    assert!(matches!(
        c.del_dest(&vip(), sa("198.51.100.9:80")),
        Err(Error::NoSuchDestination { .. })
    ));
    assert!(matches!(
        c.edit_dest(&vip(), &Destination::new(sa("198.51.100.9:80"))),
        Err(Error::NoSuchDestination { .. })
    ));
    assert!(matches!(
        c.service(&missing),
        Err(Error::NoSuchService { .. })
    ));
    c.flush().unwrap();
}

#[test]
#[ignore = "needs a real IPVS kernel: cargo xtask vm test"]
fn sctp_pe_and_one_packet_round_trip() {
    if !in_vm("sctp_pe_and_one_packet_round_trip") {
        return;
    }
    let mut c = fresh_client();
    let sctp = Service::new(ServiceKey::sctp(sa("192.0.2.30:3868"))).scheduler("mh");
    c.add_service(&sctp).unwrap();
    let udp = Service::new(ServiceKey::udp(sa("192.0.2.31:5060")))
        .scheduler("rr")
        .persistent(30)
        .flags(ServiceFlags::ONE_PACKET)
        .pe("sip");
    c.add_service(&udp).unwrap();
    let v6mark = Service::new(ServiceKey::fwmark6(7))
        .scheduler("sed")
        .persistent(120)
        .prefix_v6(64);
    c.add_service(&v6mark).unwrap();
    let listed = ipvsadm(&["-Ln"]);
    assert!(listed.contains("SCTP 192.0.2.30:3868 mh"), "{listed}");
    assert!(
        listed.contains("UDP  192.0.2.31:5060 rr persistent 30 pe sip ops"),
        "{listed}"
    );
    assert!(
        listed.contains("FWM  7 IPv6 sed persistent 120 mask 64"),
        "{listed}"
    );
    let mut back: Vec<Service> = c
        .services()
        .unwrap()
        .into_iter()
        .map(|s| {
            let mut s = s.service;
            s.flags = s.flags.without(ServiceFlags::HASHED);
            s
        })
        .collect();
    back.sort_by_key(|s| s.key);
    let mut want = vec![sctp, udp, v6mark];
    want.sort_by_key(|s| s.key);
    assert_eq!(back, want);
    c.flush().unwrap();
}
