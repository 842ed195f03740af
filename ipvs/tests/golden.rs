//! Golden generic-netlink captures of ipvsadm 1.31 against Linux 6.1
//! (`tests/data/golden/`, see its README): every IPVS message decodes,
//! the replies decode to what ipvsadm printed, and lbkit's request for the
//! same operation equals ipvsadm's (byte for byte where lbkit lays the
//! message out the same way, else as decoded values).

#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use lbkit_ipvs::wire;
use lbkit_ipvs::*;

/// One netlink message from a capture.
#[derive(Debug, Clone)]
struct NlMsg {
    ty: u16,
    flags: u16,
    bytes: Vec<u8>,
}

const NLM_F_REQUEST: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const GENL_ID_CTRL: u16 = 0x10;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/golden")
        .join(name)
}

/// Every netlink message in a LINKTYPE_NETLINK pcap.
fn read_pcap(name: &str) -> Vec<NlMsg> {
    let d = std::fs::read(data(&format!("{name}.pcap"))).unwrap();
    assert_eq!(&d[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "little-endian pcap");
    let linktype = u32::from_le_bytes(d[20..24].try_into().unwrap());
    assert_eq!(linktype, 253, "LINKTYPE_NETLINK");
    let mut out = Vec::new();
    let mut off = 24;
    while off + 16 <= d.len() {
        let caplen = u32::from_le_bytes(d[off + 8..off + 12].try_into().unwrap()) as usize;
        let pkt = &d[off + 16..off + 16 + caplen];
        off += 16 + caplen;
        let mut nl = &pkt[16..];
        while nl.len() >= 16 {
            let len = u32::from_le_bytes(nl[..4].try_into().unwrap()) as usize;
            let ty = u16::from_le_bytes([nl[4], nl[5]]);
            let flags = u16::from_le_bytes([nl[6], nl[7]]);
            out.push(NlMsg {
                ty,
                flags,
                bytes: nl[..len].to_vec(),
            });
            nl = &nl[((len + 3) & !3).min(nl.len())..];
        }
    }
    out
}

/// The IPVS messages (not nlctrl, ACK/error or done).
fn ipvs_msgs(name: &str) -> Vec<NlMsg> {
    read_pcap(name)
        .into_iter()
        .filter(|m| ![GENL_ID_CTRL, NLMSG_ERROR, NLMSG_DONE].contains(&m.ty))
        .collect()
}

/// The request that is the command itself (the last IPVS request that
/// is not the GET_INFO of ipvsadm's prologue), or a chosen one.
fn command_requests(name: &str) -> Vec<NlMsg> {
    ipvs_msgs(name)
        .into_iter()
        .filter(|m| m.flags & NLM_F_REQUEST != 0 && m.bytes[16] != 15)
        .collect()
}

/// The replies (IPVS messages without NLM_F_REQUEST).
fn replies(name: &str) -> Vec<Message> {
    ipvs_msgs(name)
        .into_iter()
        .filter(|m| m.flags & NLM_F_REQUEST == 0)
        .map(|m| wire::parse(&m.bytes).unwrap().unwrap())
        .collect()
}

/// Sequence number and port id zeroed.
fn masked(bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[8..16].fill(0);
    b
}

/// The capture's command names (commands.tsv).
fn capture_names() -> Vec<String> {
    std::fs::read_to_string(data("commands.tsv"))
        .unwrap()
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
}

fn sa(s: &str) -> std::net::SocketAddr {
    s.parse().unwrap()
}

fn vip() -> ServiceKey {
    ServiceKey::tcp(sa("192.0.2.10:80"))
}

#[test]
fn every_captured_message_decodes() {
    let names = capture_names();
    assert_eq!(names.len(), 28);
    let mut count = 0;
    for name in &names {
        for m in ipvs_msgs(name) {
            let decoded = wire::parse(&m.bytes)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .unwrap_or_else(|| panic!("{name}: not an IPVS payload"));
            // Whatever was decoded, the command is a known one.
            assert!(
                Command::from_raw(m.bytes[16]).is_some(),
                "{name}: {decoded:?}"
            );
            count += 1;
        }
    }
    // 28 x (GET_INFO request + reply) + the commands and their replies.
    assert!(count > 28 * 2 + 28, "only {count} IPVS messages");
}

/// The golden command whose request lbkit reproduces byte for byte.
fn exact_cases() -> Vec<(&'static str, Request)> {
    let svc = Service::new(vip())
        .scheduler("wlc")
        .persistent(300)
        .netmask_v4("255.255.255.0".parse().unwrap());
    vec![
        ("add_service_tcp_wlc_persist", Request::new_service(&svc)),
        (
            "add_service_fwmark",
            Request::new_service(&Service::new(ServiceKey::fwmark(42)).scheduler("rr")),
        ),
        (
            "add_service_udp_sh_flags",
            Request::new_service(
                &Service::new(ServiceKey::udp(sa("192.0.2.11:53")))
                    .scheduler("sh")
                    .flags(ServiceFlags::SH_FALLBACK.union(ServiceFlags::SH_PORT)),
            ),
        ),
        (
            "add_service_ipv6_tcp",
            Request::new_service(
                &Service::new(ServiceKey::tcp(sa("[2001:db8::10]:443"))).scheduler("wrr"),
            ),
        ),
        (
            "edit_service_sched",
            Request::set_service(&Service::new(vip()).scheduler("lc").persistent(600)),
        ),
        (
            "set_timeouts",
            Request::set_config(&Timeouts {
                tcp: 900,
                tcp_fin: 120,
                udp: 300,
            }),
        ),
        ("get_timeouts", Request::get_config()),
        (
            "start_daemon_master",
            Request::new_daemon(&Daemon::new(DaemonState::Master, "sync0", 7)),
        ),
        (
            "start_daemon_backup",
            Request::new_daemon(&Daemon::new(DaemonState::Backup, "sync0", 7)),
        ),
        ("list_daemon", Request::dump_daemons()),
        ("list_services", Request::dump_services()),
        ("list_stats", Request::dump_services()),
        ("list_rate", Request::dump_services()),
        ("zero_counters", Request::zero(None)),
        ("flush_all", Request::flush()),
    ]
}

#[test]
fn lbkit_requests_equal_ipvsadm_byte_for_byte() {
    for (name, req) in exact_cases() {
        let golden = command_requests(name);
        let first = golden
            .first()
            .unwrap_or_else(|| panic!("{name}: no request"));
        let ours = wire::to_bytes(&req, first.ty, 0).unwrap();
        assert_eq!(
            masked(&ours),
            masked(&first.bytes),
            "{name}: lbkit's request differs from ipvsadm's"
        );
    }
}

#[test]
fn get_info_request_matches_the_prologue() {
    let prologue = ipvs_msgs("flush_all");
    let info_req = prologue.iter().find(|m| m.bytes[16] == 15).unwrap();
    let ours = wire::to_bytes(&Request::get_info(), info_req.ty, 0).unwrap();
    assert_eq!(masked(&ours), masked(&info_req.bytes));
}

/// The top-level attribute `kind` of a request's bytes.
fn top_attr(bytes: &[u8], kind: u16) -> Option<Vec<u8>> {
    let mut rest = &bytes[20..];
    while rest.len() >= 4 {
        let len = u16::from_le_bytes([rest[0], rest[1]]) as usize;
        let ty = u16::from_le_bytes([rest[2], rest[3]]) & 0x3fff;
        if ty == kind {
            return Some(rest[..len].to_vec());
        }
        rest = &rest[((len + 3) & !3).min(rest.len())..];
    }
    None
}

/// Golden commands lbkit names a service by its identity only, where
/// ipvsadm sends a whole (empty) service: equal as decoded values, and
/// destination attributes equal byte for byte.
fn semantic_cases() -> Vec<(&'static str, Request)> {
    let tun = |kind, port, flags| {
        ForwardMethod::Tunnel(Tunnel {
            kind,
            port,
            flags: TunnelFlags(flags),
        })
    };
    vec![
        (
            "add_dest_masq",
            Request::new_dest(
                &vip(),
                &Destination::new(sa("198.51.100.1:8080"))
                    .forward(ForwardMethod::Masquerade)
                    .weight(3),
            ),
        ),
        (
            "add_dest_route",
            Request::new_dest(
                &vip(),
                &Destination::new(sa("198.51.100.2:80"))
                    .forward(ForwardMethod::Route)
                    .weight(1),
            ),
        ),
        (
            "add_dest_tunnel",
            Request::new_dest(
                &vip(),
                &Destination::new(sa("198.51.100.3:80"))
                    .forward(tun(TunnelType::Ipip, 0, 0))
                    .weight(2),
            ),
        ),
        (
            "add_dest_tunnel_gue",
            Request::new_dest(
                &vip(),
                &Destination::new(sa("198.51.100.5:80"))
                    .forward(tun(TunnelType::Gue, 6080, 0))
                    .weight(2),
            ),
        ),
        (
            "add_dest_fwmark_thresholds",
            Request::new_dest(
                &ServiceKey::fwmark(42),
                &Destination::new(sa("198.51.100.4:0"))
                    .forward(ForwardMethod::Route)
                    .weight(5)
                    .thresholds(1000, 100),
            ),
        ),
        (
            "add_dest_ipv6",
            Request::new_dest(
                &ServiceKey::tcp(sa("[2001:db8::10]:443")),
                &Destination::new(sa("[2001:db8::20]:443")),
            ),
        ),
        (
            "edit_dest_weight",
            Request::set_dest(
                &vip(),
                &Destination::new(sa("198.51.100.1:8080")).weight(10),
            ),
        ),
        (
            "delete_dest",
            Request::del_dest(&vip(), sa("198.51.100.2:80")),
        ),
        ("delete_service", Request::del_service(&vip())),
        (
            "error_delete_missing_service",
            Request::del_service(&ServiceKey::tcp(sa("203.0.113.99:80"))),
        ),
        (
            "stop_daemon_master",
            Request::del_daemon(DaemonState::Master),
        ),
        (
            "stop_daemon_backup",
            Request::del_daemon(DaemonState::Backup),
        ),
        ("list_one_service", Request::get_service(&vip())),
    ]
}

#[test]
fn lbkit_requests_equal_ipvsadm_as_values() {
    for (name, req) in semantic_cases() {
        let golden = &command_requests(name)[0];
        let ours = wire::to_bytes(&req, golden.ty, 0).unwrap();
        let theirs = wire::parse(&golden.bytes).unwrap().unwrap();
        let mine = wire::parse(&ours).unwrap().unwrap();
        assert_eq!(mine.cmd, theirs.cmd, "{name}");
        assert_eq!(
            masked(&ours)[4..8],
            masked(&golden.bytes)[4..8],
            "{name}: type/flags"
        );
        assert_eq!(
            mine.service.map(|s| s.service.key),
            theirs.service.map(|s| s.service.key),
            "{name}: service"
        );
        assert_eq!(
            mine.daemon.map(|d| d.state),
            theirs.daemon.map(|d| d.state),
            "{name}: daemon"
        );
        let full_dest = matches!(req.cmd, Command::NewDest | Command::SetDest);
        if full_dest {
            assert_eq!(mine.destination, theirs.destination, "{name}: destination");
            assert_eq!(
                top_attr(&ours, 2),
                top_attr(&golden.bytes, 2),
                "{name}: DEST bytes"
            );
        } else {
            assert_eq!(
                mine.destination.map(|d| d.destination.addr),
                theirs.destination.map(|d| d.destination.addr),
                "{name}: destination"
            );
        }
    }
}

#[test]
fn list_one_service_dumps_destinations_like_ipvsadm() {
    let reqs = command_requests("list_one_service");
    let dump = reqs.iter().find(|m| m.bytes[16] == 8).unwrap();
    let ours = wire::to_bytes(&Request::dump_dests(&vip()), dump.ty, 0).unwrap();
    assert_eq!(masked(&ours), masked(&dump.bytes));
}

#[test]
fn service_dump_decodes_to_what_ipvsadm_listed() {
    let services: Vec<ServiceEntry> = replies("list_services")
        .into_iter()
        .filter_map(|m| m.service)
        .collect();
    let by_key: BTreeMap<String, &ServiceEntry> = services
        .iter()
        .map(|s| (s.service.key.to_string(), s))
        .collect();
    // ipvsadm -Ln printed these four services.
    assert_eq!(
        by_key.keys().cloned().collect::<Vec<_>>(),
        [
            "FWM  42",
            "TCP  192.0.2.10:80",
            "TCP  [2001:db8::10]:443",
            "UDP  192.0.2.11:53"
        ]
    );
    let tcp = &by_key["TCP  192.0.2.10:80"].service;
    assert_eq!(tcp.scheduler, "lc");
    assert_eq!(tcp.timeout, 600);
    assert_eq!(
        tcp.flags,
        ServiceFlags::PERSISTENT.union(ServiceFlags::HASHED)
    );
    let udp = &by_key["UDP  192.0.2.11:53"].service;
    assert_eq!(udp.scheduler, "sh");
    assert!(udp
        .flags
        .contains(ServiceFlags::SH_FALLBACK.union(ServiceFlags::SH_PORT)));
    let v6 = &by_key["TCP  [2001:db8::10]:443"].service;
    assert_eq!(v6.netmask, 128);
    assert_eq!(by_key["FWM  42"].service.scheduler, "rr");
    // Nothing went through: counters are zero but present in both forms.
    for s in &services {
        assert_eq!(s.stats, Some(Stats::default()));
        assert_eq!(s.stats64, Some(Stats64::default()));
    }
}

#[test]
fn destination_dump_decodes_to_what_ipvsadm_listed() {
    let dests: Vec<DestinationEntry> = replies("list_one_service")
        .into_iter()
        .filter_map(|m| m.destination)
        .collect();
    let got: Vec<(String, &str, u32)> = dests
        .iter()
        .map(|d| {
            (
                d.destination.addr.to_string(),
                d.destination.forward.name(),
                d.destination.weight,
            )
        })
        .collect();
    // ipvsadm -Ln -t 192.0.2.10:80, in the kernel's (reverse) order.
    let mut want = vec![
        ("198.51.100.1:8080".to_string(), "Masq", 10),
        ("198.51.100.2:80".to_string(), "Route", 1),
        ("198.51.100.3:80".to_string(), "Tunnel", 2),
        ("198.51.100.5:80".to_string(), "Tunnel", 2),
    ];
    want.reverse();
    assert_eq!(got, want);
    let gue = &dests[0].destination;
    assert_eq!(
        gue.forward,
        ForwardMethod::Tunnel(Tunnel {
            kind: TunnelType::Gue,
            port: 6080,
            flags: TunnelFlags::NOCSUM
        })
    );
    assert!(dests
        .iter()
        .all(|d| d.active_conns == 0 && d.inactive_conns == 0));
}

#[test]
fn config_daemon_and_info_replies_decode() {
    let t = replies("get_timeouts")
        .into_iter()
        .find_map(|m| m.timeouts)
        .unwrap();
    assert_eq!(
        t,
        Timeouts {
            tcp: 900,
            tcp_fin: 120,
            udp: 300
        }
    );
    let daemons: Vec<Daemon> = replies("list_daemon")
        .into_iter()
        .filter_map(|m| m.daemon)
        .collect();
    let expect = |state| Daemon {
        state,
        interface: "sync0".into(),
        sync_id: 7,
        max_len: Some(1472),
        mcast_group: Some("224.0.0.81".parse().unwrap()),
        mcast_port: Some(8848),
        mcast_ttl: Some(1),
    };
    assert_eq!(
        daemons,
        [expect(DaemonState::Master), expect(DaemonState::Backup)]
    );
    let info = replies("flush_all")
        .into_iter()
        .find_map(|m| m.info)
        .unwrap();
    assert_eq!(info.version_triplet(), (1, 2, 1));
    assert_eq!(info.conn_table_size, 4096);
}

#[test]
fn missing_service_error_maps_to_no_such_service() {
    let msgs = read_pcap("error_delete_missing_service");
    let err = msgs.iter().rev().find(|m| m.ty == NLMSG_ERROR).unwrap();
    let errno = -i32::from_le_bytes(err.bytes[16..20].try_into().unwrap());
    assert_eq!(errno, libc_esrch());
    let key = ServiceKey::tcp(sa("203.0.113.99:80"));
    let e = map_errno(&Request::del_service(&key), errno);
    assert!(
        matches!(e, Error::NoSuchService { key: k, .. } if k == key),
        "{e}"
    );
}

/// ESRCH on Linux.
fn libc_esrch() -> i32 {
    3
}
