//! Fuzzes the VRRP decoder: whole IP packets (AH checks included), bare
//! VRRP messages of both families, and the GARP / NA recognisers must
//! never panic; whatever decodes must encode back to the same VRRP
//! message.

#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use lbkit_vrrp::wire;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(got) = wire::parse_ip(data) {
        let _ = wire::validate(&got, &got.advert, true);
    }
    // keepalived's AH mode: ICV and SPI checks on any bytes.
    let _ = wire::ah_icv(data, b"secret12", false);
    let _ = wire::verify_ah(data, b"secret12", true);
    let v4 = (
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 11)),
        IpAddr::V4(wire::MULTICAST_V4),
    );
    let v6 = (
        IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x11)),
        IpAddr::V6(wire::MULTICAST_V6),
    );
    for (src, dst) in [v4, v6] {
        if let Ok(advert) = wire::parse(data, src, dst) {
            // Accepted adverts with a representable interval and no
            // trailing bytes, reserved bits or stray auth data encode back
            // to the very bytes.
            if let Ok(bytes) = wire::encode(&advert, src, dst) {
                let again = wire::parse(&bytes, src, dst);
                assert_eq!(again.as_ref(), Ok(&advert));
            }
        }
    }
    let _ = wire::parse_gratuitous_arp(data);
    let _ = wire::parse_unsolicited_na(data);
});
