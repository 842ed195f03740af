//! Golden packets: real keepalived 2.2.7 captures (see
//! `tests/data/golden/README.md`) decode to the configured values and
//! re-encode byte for byte, IP header included.

// Test helpers outside #[test] functions: a failure must stop the test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use lbkit_vrrp::wire::{self, Ipv4Fields};
use lbkit_vrrp::{Advertisement, Auth, Version};

/// The MAC of h1's eth0 during the capture.
const MAC: [u8; 6] = [0xe6, 0x1b, 0x82, 0x23, 0x0d, 0x30];
const SENDER_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 11);
const SENDER_V6: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0xe41b, 0x82ff, 0xfe23, 0x0d30);

/// The Ethernet frames of a capture, in order: classic pcap
/// (little-endian, microseconds) or pcapng (little-endian section,
/// enhanced packet blocks). A reader this small beats a dependency.
fn pcap_frames(name: &str) -> Vec<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/golden")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let mut frames = Vec::new();
    if u32_at(0) == 0xa1b2_c3d4 {
        let mut at = 24;
        while at + 16 <= bytes.len() {
            let captured = u32_at(at + 8);
            frames.push(bytes[at + 16..at + 16 + captured].to_vec());
            at += 16 + captured;
        }
        return frames;
    }
    assert_eq!(u32_at(0), 0x0a0d_0d0a, "{name}: neither pcap nor pcapng");
    assert_eq!(
        u32_at(8),
        0x1a2b_3c4d,
        "{name}: not a little-endian section"
    );
    let mut at = 0;
    while at + 12 <= bytes.len() {
        let (kind, len) = (u32_at(at), u32_at(at + 4));
        assert!(
            len >= 12 && at + len <= bytes.len(),
            "{name}: bad block at {at}"
        );
        if kind == 6 {
            let captured = u32_at(at + 20);
            frames.push(bytes[at + 28..at + 28 + captured].to_vec());
        }
        at += len;
    }
    frames
}

fn ethertype(frame: &[u8]) -> u16 {
    u16::from_be_bytes([frame[12], frame[13]])
}

/// Decodes every VRRP frame of a file, checks its byte-exact re-encoding
/// (IP header, AH and VRRP message) and returns what was received.
fn decode_all(name: &str) -> Vec<wire::Received> {
    let mut out = Vec::new();
    for (i, frame) in pcap_frames(name).iter().enumerate() {
        let ip = &frame[14..];
        let is_vrrp = match ethertype(frame) {
            0x0800 => ip[9] == 112 || ip[9] == 51,
            0x86dd => ip[6] == 112,
            _ => false,
        };
        if !is_vrrp {
            continue;
        }
        let got = wire::parse_ip(ip).unwrap_or_else(|e| panic!("{name} #{i}: {e}"));
        assert_eq!(got.ttl, 255, "{name} #{i}");
        let again = match (got.src, got.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let fields = Ipv4Fields {
                    identification: u16::from_be_bytes([ip[4], ip[5]]),
                };
                wire::encode_ipv4(&got.advert, s, d, fields, got.ah.as_ref()).unwrap()
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                let flow = u32::from_be_bytes([0, ip[1] & 0x0f, ip[2], ip[3]]);
                wire::encode_ipv6(&got.advert, s, d, flow).unwrap()
            }
            _ => unreachable!("mixed families"),
        };
        assert_eq!(again, ip, "{name} #{i}: re-encoding differs");
        out.push(got);
    }
    out
}

fn v4(last: u8) -> IpAddr {
    IpAddr::from([192, 0, 2, last])
}

fn expected(
    version: Version,
    vrid: u8,
    priority: u8,
    auth: Auth,
    addresses: Vec<IpAddr>,
) -> Advertisement {
    Advertisement {
        version,
        vrid,
        priority,
        interval_cs: 100,
        auth,
        addresses,
    }
}

/// Checks a file of adverts: count, sender and the decoded advert.
fn check_file(name: &str, count: usize, advert: &Advertisement) {
    let got = decode_all(name);
    assert_eq!(got.len(), count, "{name}: number of adverts");
    for r in &got {
        assert_eq!(&r.advert, advert, "{name}");
        let sender = match r.src {
            IpAddr::V4(_) => IpAddr::V4(SENDER_V4),
            IpAddr::V6(_) => IpAddr::V6(SENDER_V6),
        };
        assert_eq!(r.src, sender, "{name}");
        wire::validate(r, advert, true).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn v2_noauth() {
    let a = expected(Version::V2, 51, 150, Auth::None, vec![v4(1)]);
    check_file("v2-ipv4-noauth.pcap", 3, &a);
    let mut zero = a;
    zero.priority = 0;
    check_file("v2-ipv4-prio0.pcap", 1, &zero);
}

#[test]
fn v2_password() {
    let a = expected(
        Version::V2,
        51,
        150,
        Auth::Password(*b"secret12"),
        vec![v4(1)],
    );
    check_file("v2-ipv4-pass.pcap", 3, &a);
}

#[test]
fn v2_ah() {
    let a = expected(Version::V2, 51, 150, Auth::Ah, vec![v4(1)]);
    let got = decode_all("v2-ipv4-ah.pcap");
    assert_eq!(got.len(), 3);
    for (i, r) in got.iter().enumerate() {
        assert_eq!(r.advert, a);
        let ah = r.ah.expect("AH header");
        // SPI = the sender's address; sequence counts from 1.
        assert_eq!(ah.spi, 0xc000_020b);
        assert_eq!(ah.sequence, i as u32 + 1);
        wire::validate(r, &a, true).unwrap();
    }
    // The ICV keepalived computed (HMAC-MD5-96 keyed with auth_pass) is
    // the one ours computes, and the whole packet re-encodes with it.
    let key = *b"secret12";
    for (i, frame) in pcap_frames("v2-ipv4-ah.pcap").iter().enumerate() {
        let ip = &frame[14..];
        assert_eq!(wire::verify_ah(ip, &key, false), Ok(()), "#{i}");
        assert_eq!(
            wire::verify_ah(ip, b"secret13", false),
            Err(wire::DecodeError::AuthFailure)
        );
        let fields = Ipv4Fields {
            identification: u16::from_be_bytes([ip[4], ip[5]]),
        };
        let again = wire::encode_ipv4_ah(
            &a,
            SENDER_V4,
            wire::MULTICAST_V4,
            fields,
            i as u32 + 1,
            &key,
            false,
        );
        assert_eq!(again.unwrap(), ip, "#{i}");
    }
    for name in ["v2-ipv4-ah-prio0.pcap", "full/v2-ipv4-ah.pcap"] {
        for frame in pcap_frames(name)
            .iter()
            .filter(|f| f[12..14] == [8, 0] && f[14 + 9] == 51)
        {
            assert_eq!(wire::verify_ah(&frame[14..], &key, false), Ok(()), "{name}");
        }
    }
    let zero = decode_all("v2-ipv4-ah-prio0.pcap");
    assert_eq!(zero.len(), 1);
    assert_eq!(zero[0].advert.priority, 0);
    assert!(zero[0].ah.is_some());
}

#[test]
fn v3_ipv4() {
    let a = expected(Version::V3, 51, 150, Auth::None, vec![v4(1)]);
    check_file("v3-ipv4.pcap", 3, &a);
    let mut zero = a;
    zero.priority = 0;
    check_file("v3-ipv4-prio0.pcap", 1, &zero);
}

#[test]
fn v3_ipv6() {
    let vip = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
    let a = expected(Version::V3, 52, 150, Auth::None, vec![vip]);
    check_file("v3-ipv6.pcap", 3, &a);
    let mut zero = a;
    zero.priority = 0;
    check_file("v3-ipv6-prio0.pcap", 1, &zero);
}

#[test]
fn three_vips() {
    let vips = vec![v4(1), v4(2), v4(3)];
    check_file(
        "v2-ipv4-3vips.pcap",
        3,
        &expected(Version::V2, 53, 150, Auth::None, vips.clone()),
    );
    check_file(
        "v3-ipv4-3vips.pcap",
        3,
        &expected(Version::V3, 53, 150, Auth::None, vips),
    );
}

/// The whole runs: every VRRP packet decodes and re-encodes (8 per run:
/// adverts from becoming master to the priority-0 one on SIGTERM).
#[test]
fn full_runs() {
    for name in [
        "v2-ipv4-3vips",
        "v2-ipv4-ah",
        "v2-ipv4-noauth",
        "v2-ipv4-pass",
        "v3-ipv4-3vips",
        "v3-ipv4",
        "v3-ipv6",
    ] {
        let got = decode_all(&format!("full/{name}.pcap"));
        assert_eq!(got.len(), 8, "{name}");
        assert_eq!(got.last().map(|r| r.advert.priority), Some(0), "{name}");
        assert!(got[..7].iter().all(|r| r.advert.priority == 150), "{name}");
    }
}

#[test]
fn garp_bursts() {
    for (name, vips) in [
        ("v2-ipv4-garp-burst.pcap", vec![1]),
        ("v2-ipv4-3vips-garp-burst.pcap", vec![1, 2, 3]),
    ] {
        let frames = pcap_frames(name);
        assert_eq!(frames.len(), 10 * vips.len(), "{name}");
        for (i, frame) in frames.iter().enumerate() {
            let vip = Ipv4Addr::new(192, 0, 2, vips[i % vips.len()]);
            assert_eq!(
                wire::parse_gratuitous_arp(frame),
                Some((MAC, vip)),
                "{name} #{i}"
            );
            assert_eq!(frame[..], wire::gratuitous_arp(MAC, vip)[..], "{name} #{i}");
        }
    }
}

#[test]
fn na_burst() {
    let vip = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
    let frames = pcap_frames("v3-ipv6-na-burst.pcap");
    assert_eq!(frames.len(), 10);
    for frame in &frames {
        assert_eq!(wire::parse_unsolicited_na(frame), Some((MAC, vip)));
        assert_eq!(*frame, wire::unsolicited_na_frame(MAC, vip));
    }
}

/// A flipped bit anywhere in a golden VRRP message is caught (by the
/// checksum, or an earlier check), never accepted as another advert.
#[test]
fn every_single_bit_flip_is_refused() {
    let frame = &pcap_frames("v3-ipv6.pcap")[0];
    let ip = &frame[14..];
    let (src, dst) = (IpAddr::V6(SENDER_V6), IpAddr::V6(wire::MULTICAST_V6));
    let message = &ip[40..];
    assert!(wire::parse(message, src, dst).is_ok());
    for bit in 0..message.len() * 8 {
        let mut bad = message.to_vec();
        bad[bit / 8] ^= 1 << (bit % 8);
        assert!(wire::parse(&bad, src, dst).is_err(), "bit {bit} accepted");
    }
}
