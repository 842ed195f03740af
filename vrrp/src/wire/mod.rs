//! The VRRP wire codec: decoding and encoding advertisements.
//!
//! Three layers, smoltcp style:
//!
//! - [`Packet`]: a checked view over the bytes of one VRRP message, with
//!   accessors and setters for every field;
//! - [`parse`] / [`emit`] (and [`encode`]): the owned
//!   [`Advertisement`](crate::Advertisement), checksums included (version
//!   2 over the message, version 3 with the IPv4 / IPv6 pseudo-header);
//! - [`parse_ip`] / [`encode_ipv4`] / [`encode_ipv6`]: the whole IP
//!   packet, IPsec AH included, as a raw socket returns it and as
//!   keepalived sends it.
//!
//! [`validate`] then applies the receive rules of RFC 5798 §7.1 / RFC 3768
//! §7.1 against the local configuration. Every failure is a
//! [`DecodeError`] variant naming the drop reason. Nothing here panics on
//! any input.
//!
//! ```
//! use std::net::{IpAddr, Ipv4Addr};
//! use lbkit_vrrp::{wire, Advertisement, Auth, Version};
//!
//! let advert = Advertisement {
//!     version: Version::V3,
//!     vrid: 51,
//!     priority: 150,
//!     interval_cs: 100,
//!     auth: Auth::None,
//!     addresses: vec![IpAddr::from([192, 0, 2, 1])],
//! };
//! let src = Ipv4Addr::new(192, 0, 2, 11);
//! let packet = wire::encode_ipv4(&advert, src, wire::MULTICAST_V4, Default::default(), None)?;
//! let received = wire::parse_ip(&packet)?;
//! assert_eq!((received.src, received.ttl), (IpAddr::V4(src), 255));
//! assert_eq!(received.advert, advert);
//! wire::validate(&received, &advert, true)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod checksum;
mod error;
mod ip;
mod md5;
mod neighbour;
mod packet;
mod repr;
mod validate;

pub use error::{DecodeError, EncodeError};
pub use ip::{
    ah_icv, encode_ipv4, encode_ipv4_ah, encode_ipv6, parse_ip, parse_ipv4, parse_ipv6,
    parse_ipv6_payload, verify_ah, AhHeader, Ipv4Fields, Received, AH_ICV_LEN, AH_KEY_LEN,
    DSCP_CS6, IP_PROTOCOL_AH,
};
pub use neighbour::{
    gratuitous_arp, parse_gratuitous_arp, parse_unsolicited_na, unsolicited_na,
    unsolicited_na_frame, ALL_NODES, BROADCAST_MAC, ETHERTYPE_ARP, ETHERTYPE_IPV6, GARP_FRAME_LEN,
    NA_LEN,
};
pub use packet::{
    Family, Packet, AUTH_DATA_LEN, HEADER_LEN, IP_PROTOCOL, MULTICAST_V4, MULTICAST_V6, TTL,
    TYPE_ADVERTISEMENT,
};
pub use repr::{
    auth_type, auth_type_of, emit, encode, family_of, message_len, parse, parse_packet,
};
pub use validate::{addresses_match, validate};
