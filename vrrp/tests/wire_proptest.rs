//! Property tests of the codec: encode -> decode gives the advert back,
//! decode -> encode gives the bytes back, and no input makes it panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use lbkit_vrrp::wire::{self, Family, Ipv4Fields, Packet};
use lbkit_vrrp::{Advertisement, Auth, Version};
use proptest::prelude::*;

fn auth_v2() -> impl Strategy<Value = Auth> {
    prop_oneof![
        Just(Auth::None),
        any::<[u8; 8]>().prop_map(Auth::Password),
        Just(Auth::Ah),
    ]
}

/// Any advert the wire can carry, with a matching source and destination.
fn carried() -> impl Strategy<Value = (Advertisement, IpAddr, IpAddr)> {
    let v2 = (1u16..=255, auth_v2(), addressed::<[u8; 4]>(20)).prop_map(
        |(secs, auth, (vrid, priority, addresses, s, d))| {
            let advert = Advertisement {
                version: Version::V2,
                vrid,
                priority,
                interval_cs: secs * 100,
                auth,
                addresses,
            };
            (advert, s, d)
        },
    );
    prop_oneof![v2, v3::<[u8; 4]>(20), v3::<[u8; 16]>(10)]
}

/// A version 3 advert over the address family of `A` (`[u8; 4]` or
/// `[u8; 16]`), with fewer than `max` addresses.
fn v3<A>(max: usize) -> impl Strategy<Value = (Advertisement, IpAddr, IpAddr)>
where
    A: Arbitrary + Into<IpAddr> + 'static,
{
    (1u16..=4095, addressed::<A>(max)).prop_map(|(cs, (vrid, priority, addresses, s, d))| {
        let advert = Advertisement {
            version: Version::V3,
            vrid,
            priority,
            interval_cs: cs,
            auth: Auth::None,
            addresses,
        };
        (advert, s, d)
    })
}

/// What every advert has: VRID, priority, fewer than `max` addresses of
/// the family of `A`, and a source and destination of that family.
fn addressed<A>(max: usize) -> impl Strategy<Value = (u8, u8, Vec<IpAddr>, IpAddr, IpAddr)>
where
    A: Arbitrary + Into<IpAddr> + 'static,
{
    (
        any::<u8>(),
        any::<u8>(),
        prop::collection::vec(any::<A>(), 0..max),
        any::<A>(),
        any::<A>(),
    )
        .prop_map(|(vrid, priority, addrs, s, d)| {
            let addresses = addrs.into_iter().map(Into::into).collect();
            (vrid, priority, addresses, s.into(), d.into())
        })
}

proptest! {
    #[test]
    fn encode_then_decode_gives_the_advert((advert, src, dst) in carried()) {
        let bytes = wire::encode(&advert, src, dst).unwrap();
        prop_assert_eq!(bytes.len(), wire::message_len(&advert));
        let back = wire::parse(&bytes, src, dst).unwrap();
        prop_assert_eq!(&back, &advert);
        prop_assert_eq!(wire::encode(&back, src, dst).unwrap(), bytes);
    }

    #[test]
    fn whole_ip_packets_round_trip(
        (advert, _, _) in carried(),
        ident in any::<u16>(),
        flow in 0u32..0x10_0000,
    ) {
        // Unicast sources, as real senders have.
        let (packet, src) = match advert.addresses.first() {
            Some(IpAddr::V6(_)) => {
                let src = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x11);
                (wire::encode_ipv6(&advert, src, wire::MULTICAST_V6, flow).unwrap(), IpAddr::V6(src))
            }
            _ if advert.version == Version::V3 || advert.auth != Auth::Ah => {
                let src = Ipv4Addr::new(192, 0, 2, 11);
                let fields = Ipv4Fields { identification: ident };
                (wire::encode_ipv4(&advert, src, wire::MULTICAST_V4, fields, None).unwrap(), IpAddr::V4(src))
            }
            _ => return Ok(()),
        };
        let got = wire::parse_ip(&packet).unwrap();
        prop_assert_eq!(got.src, src);
        prop_assert_eq!(got.ttl, 255);
        prop_assert_eq!(got.advert, advert);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = wire::parse_ip(&bytes);
        let v4 = IpAddr::from([192, 0, 2, 11]);
        let v6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
        let _ = wire::parse(&bytes, v4, IpAddr::V4(wire::MULTICAST_V4));
        let _ = wire::parse(&bytes, v6, IpAddr::V6(wire::MULTICAST_V6));
        let _ = wire::parse(&bytes, v4, v6);
        for family in [Family::V4, Family::V6] {
            if let Ok(p) = Packet::new_checked(&bytes[..], family) {
                let _ = (p.addresses().count(), p.auth_data(), p.max_adver_int(), p.verify_checksum(v4, v4));
            }
        }
        let _ = wire::parse_gratuitous_arp(&bytes);
        let _ = wire::parse_unsolicited_na(&bytes);
    }

    #[test]
    fn mutated_packets_never_panic(
        (advert, src, dst) in carried(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = wire::encode(&advert, src, dst).unwrap();
        for (at, value) in edits {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        let len = cut.index(bytes.len() + 1);
        if let Ok(back) = wire::parse(&bytes[..len], src, dst) {
            // Whatever is accepted is a well-formed advert that encodes again.
            prop_assert!(wire::encode(&back, src, dst).is_ok() || back.interval_cs == 0);
        }
    }
}
