//! The owned form: [`Advertisement`] parsed from and emitted into a
//! [`Packet`].

use std::net::IpAddr;

use super::error::{DecodeError, EncodeError};
use super::packet::{Family, Packet, AUTH_DATA_LEN, HEADER_LEN, TYPE_ADVERTISEMENT};
use crate::{Advertisement, Auth, Version};

/// Version 2 authentication type numbers.
pub mod auth_type {
    /// No authentication.
    pub const NONE: u8 = 0;
    /// Simple text password.
    pub const PASSWORD: u8 = 1;
    /// IPsec AH.
    pub const AH: u8 = 2;
}

/// The authentication type number of `auth`.
pub fn auth_type_of(auth: &Auth) -> u8 {
    match auth {
        Auth::None => auth_type::NONE,
        Auth::Password(_) => auth_type::PASSWORD,
        Auth::Ah => auth_type::AH,
    }
}

/// Decodes the VRRP message `bytes` (the IP payload) that arrived from
/// `src` to `dst`: lengths, version, type, checksum and authentication
/// type are checked; comparison with a local configuration is
/// [`super::validate`]'s job.
pub fn parse(bytes: &[u8], src: IpAddr, dst: IpAddr) -> Result<Advertisement, DecodeError> {
    let family = Family::of(src);
    if Family::of(dst) != family {
        return Err(DecodeError::BadAddress(dst));
    }
    let packet = Packet::new_checked(bytes, family)?;
    parse_packet(&packet, src, dst)
}

/// Decodes a checked [`Packet`] (see [`parse`]).
pub fn parse_packet<T: AsRef<[u8]>>(
    packet: &Packet<T>,
    src: IpAddr,
    dst: IpAddr,
) -> Result<Advertisement, DecodeError> {
    packet.check_len()?;
    if packet.kind() != TYPE_ADVERTISEMENT {
        return Err(DecodeError::BadType(packet.kind()));
    }
    let expected = packet.expected_checksum(src, dst);
    if packet.checksum() != expected {
        return Err(DecodeError::BadChecksum {
            found: packet.checksum(),
            expected,
        });
    }
    let (version, interval_cs, auth) = if packet.version() == 2 {
        let auth = match packet.auth_type() {
            auth_type::NONE => Auth::None,
            auth_type::PASSWORD => Auth::Password(packet.auth_data().unwrap_or_default()),
            auth_type::AH => Auth::Ah,
            other => return Err(DecodeError::BadAuthType(other)),
        };
        (Version::V2, u16::from(packet.adver_int()) * 100, auth)
    } else {
        (Version::V3, packet.max_adver_int(), Auth::None)
    };
    Ok(Advertisement {
        version,
        vrid: packet.vrid(),
        priority: packet.priority(),
        interval_cs,
        auth,
        addresses: packet.addresses().collect(),
    })
}

/// The family of an advertisement's packet: that of its first address,
/// IPv4 for an empty list.
pub fn family_of(advert: &Advertisement) -> Family {
    advert
        .addresses
        .first()
        .map_or(Family::V4, |a| Family::of(*a))
}

/// The length of the VRRP message [`emit`] writes for `advert` (IP
/// payload only).
pub fn message_len(advert: &Advertisement) -> usize {
    let auth = if advert.version == Version::V2 {
        AUTH_DATA_LEN
    } else {
        0
    };
    HEADER_LEN + advert.addresses.len() * family_of(advert).address_len() + auth
}

/// Checks that `advert` can be put on the wire from `src` to `dst`.
fn check_encodable(advert: &Advertisement, src: IpAddr, dst: IpAddr) -> Result<(), EncodeError> {
    let family = Family::of(src);
    if let Some(bad) = advert
        .addresses
        .iter()
        .chain([&dst])
        .find(|a| Family::of(**a) != family)
    {
        return Err(EncodeError::MixedFamilies(*bad));
    }
    if advert.addresses.len() > usize::from(u8::MAX) {
        return Err(EncodeError::TooManyAddresses(advert.addresses.len()));
    }
    match advert.version {
        Version::V2 => {
            if family == Family::V6 {
                return Err(EncodeError::Version2OverIpv6);
            }
            let cs = advert.interval_cs;
            if cs == 0 || cs % 100 != 0 || cs / 100 > u16::from(u8::MAX) {
                return Err(EncodeError::BadInterval(cs));
            }
        }
        Version::V3 => {
            if advert.auth != Auth::None {
                return Err(EncodeError::AuthOnVersion3);
            }
            if advert.interval_cs == 0 || advert.interval_cs > 0x0fff {
                return Err(EncodeError::BadInterval(advert.interval_cs));
            }
        }
    }
    Ok(())
}

/// Writes `advert` as a VRRP message sent from `src` to `dst` at the
/// start of `buf`, checksum included; returns the length written
/// ([`message_len`]). Version 2 authentication data is the password for
/// type 1 and zeros otherwise, as keepalived sends it.
pub fn emit(
    advert: &Advertisement,
    src: IpAddr,
    dst: IpAddr,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    check_encodable(advert, src, dst)?;
    let len = message_len(advert);
    let available = buf.len();
    let out = buf.get_mut(..len).ok_or(EncodeError::BufferTooSmall {
        needed: len,
        len: available,
    })?;
    out.fill(0);
    let mut packet = Packet::new_unchecked(out, Family::of(src));
    let count = u8::try_from(advert.addresses.len()).unwrap_or(u8::MAX);
    match advert.version {
        Version::V2 => packet.set_version_kind(2, TYPE_ADVERTISEMENT),
        Version::V3 => packet.set_version_kind(3, TYPE_ADVERTISEMENT),
    }
    packet.set_vrid(advert.vrid);
    packet.set_priority(advert.priority);
    packet.set_address_count(count);
    for (i, addr) in advert.addresses.iter().enumerate() {
        packet.set_address(i, *addr);
    }
    match advert.version {
        Version::V2 => {
            packet.set_auth_type(auth_type_of(&advert.auth));
            packet.set_adver_int(u8::try_from(advert.interval_cs / 100).unwrap_or(u8::MAX));
            if let Auth::Password(password) = advert.auth {
                packet.set_auth_data(password);
            }
        }
        Version::V3 => packet.set_max_adver_int(advert.interval_cs),
    }
    packet.fill_checksum(src, dst);
    Ok(len)
}

/// [`emit`] into a new vector.
pub fn encode(advert: &Advertisement, src: IpAddr, dst: IpAddr) -> Result<Vec<u8>, EncodeError> {
    let mut buf = vec![0; message_len(advert)];
    emit(advert, src, dst, &mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    fn v4(a: [u8; 4]) -> IpAddr {
        IpAddr::from(a)
    }

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

    #[test]
    fn v2_password_layout_by_hand() {
        let a = advert(
            Version::V2,
            Auth::Password(*b"secret12"),
            vec![v4([192, 0, 2, 1])],
        );
        let bytes = encode(&a, v4([192, 0, 2, 11]), v4([224, 0, 0, 18])).unwrap();
        assert_eq!(&bytes[..6], &[0x21, 51, 150, 1, 1, 1]);
        assert_eq!(&bytes[8..12], &[192, 0, 2, 1]);
        assert_eq!(&bytes[12..], b"secret12");
        let back = parse(&bytes, v4([192, 0, 2, 11]), v4([224, 0, 0, 18])).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn v3_checksum_depends_on_the_pseudo_header() {
        let a = advert(Version::V3, Auth::None, vec![v4([192, 0, 2, 1])]);
        let bytes = encode(&a, v4([192, 0, 2, 11]), v4([224, 0, 0, 18])).unwrap();
        assert_eq!(bytes.len(), 12);
        assert_eq!(&bytes[..6], &[0x31, 51, 150, 1, 0, 100]);
        assert!(parse(&bytes, v4([192, 0, 2, 11]), v4([224, 0, 0, 18])).is_ok());
        assert!(matches!(
            parse(&bytes, v4([192, 0, 2, 12]), v4([224, 0, 0, 18])),
            Err(DecodeError::BadChecksum { .. })
        ));
    }

    #[test]
    fn v3_ipv6_round_trip() {
        let vip = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
        let src = IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x11));
        let dst = IpAddr::V6(super::super::packet::MULTICAST_V6);
        let mut a = advert(Version::V3, Auth::None, vec![vip]);
        a.interval_cs = 5;
        let bytes = encode(&a, src, dst).unwrap();
        assert_eq!(bytes.len(), 24);
        assert_eq!(parse(&bytes, src, dst).unwrap(), a);
    }

    #[test]
    fn bad_type_and_auth_type_are_reported() {
        let a = advert(Version::V2, Auth::None, vec![v4([192, 0, 2, 1])]);
        let (s, d) = (v4([192, 0, 2, 11]), v4([224, 0, 0, 18]));
        let mut bytes = encode(&a, s, d).unwrap();
        bytes[4] = 7;
        Packet::new_unchecked(&mut bytes[..], Family::V4).fill_checksum(s, d);
        assert_eq!(parse(&bytes, s, d), Err(DecodeError::BadAuthType(7)));
        bytes[0] = 0x22;
        Packet::new_unchecked(&mut bytes[..], Family::V4).fill_checksum(s, d);
        assert_eq!(parse(&bytes, s, d), Err(DecodeError::BadType(2)));
    }

    #[test]
    fn unencodable_adverts_are_refused() {
        let (s, d) = (v4([192, 0, 2, 11]), v4([224, 0, 0, 18]));
        let mut a = advert(Version::V2, Auth::None, vec![v4([192, 0, 2, 1])]);
        a.interval_cs = 150;
        assert_eq!(encode(&a, s, d), Err(EncodeError::BadInterval(150)));
        let a = advert(Version::V3, Auth::Ah, vec![]);
        assert_eq!(encode(&a, s, d), Err(EncodeError::AuthOnVersion3));
        let six = IpAddr::V6(Ipv6Addr::LOCALHOST);
        let a = advert(Version::V3, Auth::None, vec![six]);
        assert_eq!(encode(&a, s, d), Err(EncodeError::MixedFamilies(six)));
        let a = advert(Version::V3, Auth::None, vec![v4([192, 0, 2, 1])]);
        assert_eq!(
            emit(&a, s, d, &mut [0; 11]),
            Err(EncodeError::BufferTooSmall {
                needed: 12,
                len: 11
            })
        );
    }
}
