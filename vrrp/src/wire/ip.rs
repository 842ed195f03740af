//! VRRP inside its IP packet: decoding what a raw socket returns, and
//! building whole IPv4 / IPv6 packets the way keepalived sends them.
//!
//! IP headers are read and written with `etherparse`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{
    IpAuthHeader, IpNumber, Ipv4Dscp, Ipv4Header, Ipv4Slice, Ipv6FlowLabel, Ipv6Header, Ipv6Slice,
};

use super::error::{DecodeError, EncodeError};
use super::md5::hmac_md5;
use super::packet::{IP_PROTOCOL, TTL};
use super::repr;
use crate::Advertisement;

/// DSCP class selector 6 (TOS byte 0xc0), which keepalived sends adverts
/// with, over IPv4 and IPv6 alike.
pub const DSCP_CS6: u8 = 48;
/// IP protocol number of IPsec AH.
pub const IP_PROTOCOL_AH: u8 = 51;
/// Length of keepalived's HMAC-MD5-96 integrity check value.
pub const AH_ICV_LEN: usize = 12;

/// The IPsec AH header keepalived puts before version 2 VRRP with
/// `auth_type AH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AhHeader {
    /// Security parameters index: keepalived puts the sender's IPv4
    /// address there.
    pub spi: u32,
    /// Sequence number, counting up from 1.
    pub sequence: u32,
    /// The 12-byte integrity check value (HMAC-MD5-96).
    pub icv: [u8; AH_ICV_LEN],
}

/// A decoded advertisement with what its IP header said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Source address (the sender's primary address).
    pub src: IpAddr,
    /// Destination (the VRRP group or a unicast address).
    pub dst: IpAddr,
    /// IPv4 TTL or IPv6 hop limit as received.
    pub ttl: u8,
    /// The AH header, when the advertisement came inside one.
    pub ah: Option<AhHeader>,
    /// The advertisement.
    pub advert: Advertisement,
}

/// Decodes a whole IP packet (IPv4 or IPv6, chosen by its first nibble),
/// as an IPv4 raw socket or a packet socket returns it.
pub fn parse_ip(packet: &[u8]) -> Result<Received, DecodeError> {
    match packet.first().map(|b| b >> 4) {
        Some(4) => parse_ipv4(packet),
        Some(6) => parse_ipv6(packet),
        Some(other) => Err(DecodeError::BadIpHeader(format!("IP version {other}"))),
        None => Err(DecodeError::BadIpHeader("empty packet".into())),
    }
}

/// Decodes an IPv4 packet carrying VRRP, directly or behind AH.
pub fn parse_ipv4(packet: &[u8]) -> Result<Received, DecodeError> {
    let slice =
        Ipv4Slice::from_slice(packet).map_err(|e| DecodeError::BadIpHeader(e.to_string()))?;
    let header = slice.header();
    if header.header_checksum() != header.to_header().calc_header_checksum() {
        return Err(DecodeError::BadIpHeader("bad IPv4 header checksum".into()));
    }
    if slice.is_payload_fragmented() {
        return Err(DecodeError::BadIpHeader("fragmented".into()));
    }
    let ah = match slice.extensions().auth {
        Some(auth) => Some(ah_header(
            auth.spi(),
            auth.sequence_number(),
            auth.raw_icv(),
        )?),
        None => None,
    };
    let payload = slice.payload();
    if payload.ip_number.0 != IP_PROTOCOL {
        return Err(DecodeError::NotVrrp(payload.ip_number.0));
    }
    let src = IpAddr::V4(header.source_addr());
    let dst = IpAddr::V4(header.destination_addr());
    check_source(src)?;
    let advert = repr::parse(payload.payload, src, dst)?;
    Ok(Received {
        src,
        dst,
        ttl: header.ttl(),
        ah,
        advert,
    })
}

/// Decodes an IPv6 packet carrying VRRP.
pub fn parse_ipv6(packet: &[u8]) -> Result<Received, DecodeError> {
    let slice =
        Ipv6Slice::from_slice(packet).map_err(|e| DecodeError::BadIpHeader(e.to_string()))?;
    if slice.is_payload_fragmented() {
        return Err(DecodeError::BadIpHeader("fragmented".into()));
    }
    let payload = slice.payload();
    if payload.ip_number.0 != IP_PROTOCOL {
        return Err(DecodeError::NotVrrp(payload.ip_number.0));
    }
    let header = slice.header();
    parse_ipv6_payload(
        payload.payload,
        header.source_addr(),
        header.destination_addr(),
        header.hop_limit(),
    )
}

/// Decodes the payload of an IPv6 packet, as an IPv6 raw socket returns
/// it (without the header): the addresses and hop limit come from the
/// socket (`recvmsg` and `IPV6_RECVHOPLIMIT` / `IPV6_PKTINFO`).
pub fn parse_ipv6_payload(
    payload: &[u8],
    src: Ipv6Addr,
    dst: Ipv6Addr,
    hop_limit: u8,
) -> Result<Received, DecodeError> {
    let (src, dst) = (IpAddr::V6(src), IpAddr::V6(dst));
    check_source(src)?;
    let advert = repr::parse(payload, src, dst)?;
    Ok(Received {
        src,
        dst,
        ttl: hop_limit,
        ah: None,
        advert,
    })
}

/// A source must be a unicast address.
fn check_source(src: IpAddr) -> Result<(), DecodeError> {
    if src.is_multicast() || src.is_unspecified() || src == IpAddr::V4(Ipv4Addr::BROADCAST) {
        return Err(DecodeError::BadAddress(src));
    }
    Ok(())
}

/// Copies AH fields, insisting on keepalived's 12-byte ICV.
fn ah_header(spi: u32, sequence: u32, icv: &[u8]) -> Result<AhHeader, DecodeError> {
    let icv = <[u8; AH_ICV_LEN]>::try_from(icv)
        .map_err(|_| DecodeError::BadAh(format!("ICV of {} bytes, 12 expected", icv.len())))?;
    Ok(AhHeader { spi, sequence, icv })
}

/// The IPv4 header fields the kernel (or keepalived) chooses per packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ipv4Fields {
    /// The identification field.
    pub identification: u16,
}

/// Builds a whole IPv4 packet carrying `advert` from `src` to `dst`, as
/// keepalived sends it: TOS 0xc0, TTL 255, DF clear, and, when `ah` is
/// given, the AH header (with the ICV as given) between the IP header
/// and the VRRP message. Returns the packet.
pub fn encode_ipv4(
    advert: &Advertisement,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    fields: Ipv4Fields,
    ah: Option<&AhHeader>,
) -> Result<Vec<u8>, EncodeError> {
    let message = repr::encode(advert, IpAddr::V4(src), IpAddr::V4(dst))?;
    let ah = match ah {
        Some(ah) => Some(
            IpAuthHeader::new(IpNumber(IP_PROTOCOL), ah.spi, ah.sequence, &ah.icv)
                .map_err(|_| EncodeError::BadAh)?,
        ),
        None => None,
    };
    let ah_len = ah.as_ref().map_or(0, IpAuthHeader::header_len);
    let protocol = if ah.is_some() {
        IP_PROTOCOL_AH
    } else {
        IP_PROTOCOL
    };
    let payload_len = u16::try_from(ah_len + message.len())
        .map_err(|_| EncodeError::TooManyAddresses(advert.addresses.len()))?;
    let mut header = Ipv4Header::new(
        payload_len,
        TTL,
        IpNumber(protocol),
        src.octets(),
        dst.octets(),
    )
    .map_err(|_| EncodeError::TooManyAddresses(advert.addresses.len()))?;
    header.dscp = Ipv4Dscp::try_new(DSCP_CS6).unwrap_or_default();
    header.identification = fields.identification;
    header.dont_fragment = false;
    header.header_checksum = header.calc_header_checksum();
    let mut out = Vec::with_capacity(header.header_len() + ah_len + message.len());
    out.extend_from_slice(&header.to_bytes());
    if let Some(ah) = &ah {
        out.extend_from_slice(&ah.to_bytes());
    }
    out.extend_from_slice(&message);
    Ok(out)
}

/// Builds a whole IPv6 packet carrying `advert` from `src` to `dst`:
/// traffic class 0xc0, hop limit 255, the given flow label (the kernel
/// picks one per socket; 0 when unset).
pub fn encode_ipv6(
    advert: &Advertisement,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    flow_label: u32,
) -> Result<Vec<u8>, EncodeError> {
    let message = repr::encode(advert, IpAddr::V6(src), IpAddr::V6(dst))?;
    let header = Ipv6Header {
        traffic_class: DSCP_CS6 << 2,
        flow_label: Ipv6FlowLabel::try_new(flow_label & 0xf_ffff).unwrap_or_default(),
        payload_length: u16::try_from(message.len())
            .map_err(|_| EncodeError::TooManyAddresses(advert.addresses.len()))?,
        next_header: IpNumber(IP_PROTOCOL),
        hop_limit: TTL,
        source: src.octets(),
        destination: dst.octets(),
    };
    let mut out = Vec::with_capacity(Ipv6Header::LEN + message.len());
    out.extend_from_slice(&header.to_bytes());
    out.extend_from_slice(&message);
    Ok(out)
}

/// Key length of keepalived's AH mode: the `auth_pass`, cut or
/// zero-padded to 8 bytes.
pub const AH_KEY_LEN: usize = 8;

/// Where the AH header starts and its ICV lies in an IPv4 packet (IHL
/// from the packet, keepalived's 24-byte AH).
fn ah_icv_range(packet: &[u8]) -> Option<std::ops::Range<usize>> {
    let ihl = usize::from(packet.first()? & 0x0f) * 4;
    let start = ihl + 12;
    (ihl >= 20 && packet.len() >= start + AH_ICV_LEN).then_some(start..start + AH_ICV_LEN)
}

/// keepalived's AH integrity check value of a whole IPv4 packet (IP
/// header, AH, VRRP): HMAC-MD5 keyed with the 8-byte password over the
/// packet with the mutable IP fields (TOS, flags and fragment offset,
/// header checksum; the TTL too when `zero_ttl`, which keepalived does
/// for unicast peers) and the ICV itself zeroed, cut to 96 bits. `None`
/// when the packet is too short to hold an AH header.
pub fn ah_icv(packet: &[u8], key: &[u8; AH_KEY_LEN], zero_ttl: bool) -> Option<[u8; AH_ICV_LEN]> {
    let icv = ah_icv_range(packet)?;
    let mut copy = packet.to_vec();
    copy[1] = 0;
    copy[6..8].fill(0);
    copy[10..12].fill(0);
    if zero_ttl {
        copy[8] = 0;
    }
    copy[icv].fill(0);
    let digest = hmac_md5(key, &copy)?;
    <[u8; AH_ICV_LEN]>::try_from(&digest[..AH_ICV_LEN]).ok()
}

/// Checks the AH of a received IPv4 packet the way keepalived does: the
/// ICV under `key` ([`DecodeError::AuthFailure`] if it differs) and the
/// SPI, which must be the source address ([`DecodeError::BadAh`]).
/// Replay protection (sequence numbers) is the receiver's state to keep.
pub fn verify_ah(packet: &[u8], key: &[u8; AH_KEY_LEN], zero_ttl: bool) -> Result<(), DecodeError> {
    let received = parse_ipv4(packet)?;
    let ah = received.ah.ok_or(DecodeError::AuthTypeMismatch {
        received: super::repr::auth_type_of(&received.advert.auth),
        configured: super::repr::auth_type::AH,
    })?;
    if IpAddr::V4(Ipv4Addr::from(ah.spi)) != received.src {
        return Err(DecodeError::BadAh(format!(
            "SPI {:#010x} is not the source address",
            ah.spi
        )));
    }
    match ah_icv(packet, key, zero_ttl) {
        Some(icv) if icv == ah.icv => Ok(()),
        _ => Err(DecodeError::AuthFailure),
    }
}

/// Builds a whole IPv4 packet as keepalived sends version 2 with
/// `auth_type AH`: [`encode_ipv4`] with an AH header whose SPI is the
/// source address, the given sequence number, and the ICV computed under
/// `key` (see [`ah_icv`]; `zero_ttl` for unicast peers).
pub fn encode_ipv4_ah(
    advert: &Advertisement,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    fields: Ipv4Fields,
    sequence: u32,
    key: &[u8; AH_KEY_LEN],
    zero_ttl: bool,
) -> Result<Vec<u8>, EncodeError> {
    let ah = AhHeader {
        spi: u32::from(src),
        sequence,
        icv: [0; AH_ICV_LEN],
    };
    let mut packet = encode_ipv4(advert, src, dst, fields, Some(&ah))?;
    if let (Some(range), Some(icv)) = (ah_icv_range(&packet), ah_icv(&packet, key, zero_ttl)) {
        packet[range].copy_from_slice(&icv);
    }
    Ok(packet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Auth, Version};

    fn advert() -> Advertisement {
        Advertisement {
            version: Version::V2,
            vrid: 51,
            priority: 150,
            interval_cs: 100,
            auth: Auth::None,
            addresses: vec![IpAddr::from([192, 0, 2, 1])],
        }
    }

    const SRC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 11);
    const DST: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);

    #[test]
    fn ipv4_header_as_keepalived_sends_it() {
        let fields = Ipv4Fields { identification: 1 };
        let bytes = encode_ipv4(&advert(), SRC, DST, fields, None).unwrap();
        // Hand-copied from the first packet of v2-ipv4-noauth.pcap.
        let expected: [u8; 40] = [
            0x45, 0xc0, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0x18, 0x87, 192, 0, 2, 11,
            224, 0, 0, 18, 0x21, 0x33, 0x96, 0x01, 0x00, 0x01, 0x86, 0xc8, 192, 0, 2, 1, 0, 0, 0,
            0, 0, 0, 0, 0,
        ];
        assert_eq!(bytes, expected);
        let got = parse_ip(&bytes).unwrap();
        assert_eq!((got.src, got.ttl, got.ah), (IpAddr::V4(SRC), 255, None));
        assert_eq!(got.advert, advert());
    }

    #[test]
    fn corrupt_ip_headers_are_reported() {
        let mut bytes = encode_ipv4(&advert(), SRC, DST, Ipv4Fields::default(), None).unwrap();
        bytes[10] ^= 1;
        assert!(matches!(parse_ip(&bytes), Err(DecodeError::BadIpHeader(_))));
        assert!(matches!(parse_ip(&[]), Err(DecodeError::BadIpHeader(_))));
        assert!(matches!(
            parse_ip(&[0x45, 0, 0]),
            Err(DecodeError::BadIpHeader(_))
        ));
    }

    #[test]
    fn other_protocols_are_not_vrrp() {
        let mut bytes = encode_ipv4(&advert(), SRC, DST, Ipv4Fields::default(), None).unwrap();
        bytes[9] = 17;
        bytes[10] = 0;
        bytes[11] = 0;
        let sum = etherparse::Ipv4HeaderSlice::from_slice(&bytes)
            .unwrap()
            .to_header()
            .calc_header_checksum();
        bytes[10..12].copy_from_slice(&sum.to_be_bytes());
        assert_eq!(parse_ip(&bytes), Err(DecodeError::NotVrrp(17)));
    }

    #[test]
    fn ah_round_trip() {
        let mut a = advert();
        a.auth = Auth::Ah;
        let ah = AhHeader {
            spi: 0xc000_020b,
            sequence: 1,
            icv: [7; 12],
        };
        let bytes = encode_ipv4(&a, SRC, DST, Ipv4Fields::default(), Some(&ah)).unwrap();
        assert_eq!(bytes.len(), 20 + 24 + 20);
        assert_eq!((bytes[9], bytes[20], bytes[21]), (51, 112, 4));
        let got = parse_ip(&bytes).unwrap();
        assert_eq!(got.ah, Some(ah));
        assert_eq!(got.advert, a);
    }

    #[test]
    fn ah_icv_signs_and_verifies() {
        let mut a = advert();
        a.auth = Auth::Ah;
        let key = *b"secret12";
        let fields = Ipv4Fields { identification: 7 };
        let bytes = encode_ipv4_ah(&a, SRC, DST, fields, 3, &key, false).unwrap();
        assert_eq!(verify_ah(&bytes, &key, false), Ok(()));
        assert_eq!(
            verify_ah(&bytes, b"secret13", false),
            Err(DecodeError::AuthFailure)
        );
        // The mutable fields do not count; the TTL does unless told not to.
        let mut changed = bytes.clone();
        changed[1] = 0;
        changed[10] ^= 0xff;
        changed[11] ^= 0xff;
        let header = etherparse::Ipv4HeaderSlice::from_slice(&changed)
            .unwrap()
            .to_header();
        changed[10..12].copy_from_slice(&header.calc_header_checksum().to_be_bytes());
        assert_eq!(verify_ah(&changed, &key, false), Ok(()));
        let mut ttl = bytes.clone();
        ttl[8] = 254;
        let header = etherparse::Ipv4HeaderSlice::from_slice(&ttl)
            .unwrap()
            .to_header();
        ttl[10..12].copy_from_slice(&header.calc_header_checksum().to_be_bytes());
        assert_eq!(verify_ah(&ttl, &key, false), Err(DecodeError::AuthFailure));
        assert_eq!(ah_icv(&ttl, &key, true), ah_icv(&bytes, &key, true));
        // A flipped VRRP byte (checksum fixed up or not) fails.
        let mut body = bytes;
        let last = body.len() - 1;
        body[last] ^= 1;
        assert!(verify_ah(&body, &key, false).is_err());
    }
}
