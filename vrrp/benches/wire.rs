//! Codec cost per packet: decode and encode of the adverts keepalived
//! sends (one VIP and three VIPs, v2 and v3, IPv4 and IPv6).

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lbkit_vrrp::wire::{self, Ipv4Fields};
use lbkit_vrrp::{Advertisement, Auth, Version};

const SRC4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 11);
const SRC6: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x11);

fn advert(version: Version, auth: Auth, addresses: Vec<IpAddr>) -> Advertisement {
    Advertisement {
        version,
        vrid: 51,
        priority: 150,
        interval_cs: 100,
        auth,
        addresses,
    }
}

fn cases() -> Vec<(&'static str, Advertisement)> {
    let v4 = |n: u8| IpAddr::from([192, 0, 2, n]);
    let v6 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
    vec![
        (
            "v2-ipv4-pass",
            advert(Version::V2, Auth::Password(*b"secret12"), vec![v4(1)]),
        ),
        ("v3-ipv4", advert(Version::V3, Auth::None, vec![v4(1)])),
        (
            "v3-ipv4-3vips",
            advert(Version::V3, Auth::None, vec![v4(1), v4(2), v4(3)]),
        ),
        ("v3-ipv6", advert(Version::V3, Auth::None, vec![v6])),
    ]
}

fn ip_packet(a: &Advertisement) -> Vec<u8> {
    match a.addresses[0] {
        IpAddr::V4(_) => {
            wire::encode_ipv4(a, SRC4, wire::MULTICAST_V4, Ipv4Fields::default(), None)
        }
        IpAddr::V6(_) => wire::encode_ipv6(a, SRC6, wire::MULTICAST_V6, 0),
    }
    .unwrap_or_default()
}

fn endpoints(a: &Advertisement) -> (IpAddr, IpAddr) {
    match a.addresses[0] {
        IpAddr::V4(_) => (IpAddr::V4(SRC4), IpAddr::V4(wire::MULTICAST_V4)),
        IpAddr::V6(_) => (IpAddr::V6(SRC6), IpAddr::V6(wire::MULTICAST_V6)),
    }
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(1));
    for (name, a) in cases() {
        let packet = ip_packet(&a);
        group.bench_function(format!("ip+validate/{name}"), |b| {
            b.iter(|| {
                let got = wire::parse_ip(black_box(&packet));
                got.map(|r| wire::validate(&r, &a, true).is_ok())
                    .unwrap_or(false)
            })
        });
        let (src, dst) = endpoints(&a);
        let message = wire::encode(&a, src, dst).unwrap_or_default();
        group.bench_function(format!("message/{name}"), |b| {
            b.iter(|| wire::parse(black_box(&message), src, dst))
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Elements(1));
    for (name, a) in cases() {
        let (src, dst) = endpoints(&a);
        let mut buf = [0u8; 128];
        group.bench_function(format!("message/{name}"), |b| {
            b.iter(|| wire::emit(black_box(&a), src, dst, &mut buf))
        });
        group.bench_function(format!("ip/{name}"), |b| {
            b.iter(|| ip_packet(black_box(&a)))
        });
    }
    group.finish();
}

/// keepalived's AH mode: signing (HMAC-MD5 over the whole packet) and
/// checking a version 2 advert.
fn ah(c: &mut Criterion) {
    let mut group = c.benchmark_group("ah");
    group.throughput(Throughput::Elements(1));
    let a = advert(Version::V2, Auth::Ah, vec![IpAddr::from([192, 0, 2, 1])]);
    let key = *b"secret12";
    let fields = Ipv4Fields { identification: 1 };
    let dst = wire::MULTICAST_V4;
    group.bench_function("encode_ipv4_ah", |b| {
        b.iter(|| wire::encode_ipv4_ah(black_box(&a), SRC4, dst, fields, 1, &key, false))
    });
    let packet = wire::encode_ipv4_ah(&a, SRC4, dst, fields, 1, &key, false).unwrap_or_default();
    group.bench_function("verify_ah", |b| {
        b.iter(|| wire::verify_ah(black_box(&packet), &key, false))
    });
    group.finish();
}

criterion_group!(benches, decode, encode, ah);
criterion_main!(benches);
