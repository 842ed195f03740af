//! Why a received packet was dropped, and why one could not be built.

use std::net::IpAddr;

/// Why a received VRRP packet is dropped.
///
/// Each variant is one drop reason, matching the counters keepalived keeps
/// per instance (`ip_ttl_err`, `packet_len_err`, `invalid_type_rcvd`,
/// `invalid_authtype`, `authtype_mismatch`, `auth_failure`,
/// `addr_list_err`, `advert_interval_err`, ...), so a driver can count
/// them with a `match`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The IP header itself is malformed (too short, bad length fields).
    #[error("malformed IP header: {0}")]
    BadIpHeader(String),
    /// The IP packet does not carry VRRP (IP protocol / next header other
    /// than 112, directly or behind AH).
    #[error("IP protocol {0} is not VRRP (112)")]
    NotVrrp(u8),
    /// The IPsec AH header in front of a version 2 packet is malformed.
    #[error("malformed IPsec AH header: {0}")]
    BadAh(String),
    /// Shorter than the fixed 8-byte VRRP header.
    #[error("VRRP message of {len} bytes is shorter than its 8-byte header")]
    Truncated {
        /// Bytes present.
        len: usize,
    },
    /// The addresses (and v2 authentication data) announced by the header
    /// do not fit in the message.
    #[error("VRRP message needs {needed} bytes for its addresses, has {len}")]
    BadLength {
        /// Bytes the header announces.
        needed: usize,
        /// Bytes present.
        len: usize,
    },
    /// Version other than 2 or 3, a version 2 packet over IPv6, or a
    /// version other than the one configured.
    #[error("VRRP version {0} not accepted here")]
    BadVersion(u8),
    /// Type other than 1 (ADVERTISEMENT).
    #[error("VRRP type {0} is not ADVERTISEMENT (1)")]
    BadType(u8),
    /// The checksum does not verify.
    #[error("bad VRRP checksum {found:#06x} (expected {expected:#06x})")]
    BadChecksum {
        /// The checksum field as received.
        found: u16,
        /// The value a correct sender puts there.
        expected: u16,
    },
    /// IPv4 TTL / IPv6 hop limit other than 255: the packet was routed.
    #[error("TTL / hop limit {0} is not 255")]
    BadTtl(u8),
    /// Version 2 authentication type other than 0, 1 or 2.
    #[error("unknown VRRP authentication type {0}")]
    BadAuthType(u8),
    /// Authentication type differs from the configured one.
    #[error("authentication type {received} differs from the configured {configured}")]
    AuthTypeMismatch {
        /// Type in the packet.
        received: u8,
        /// Type configured.
        configured: u8,
    },
    /// The password (type 1) differs from the configured one.
    #[error("authentication failure")]
    AuthFailure,
    /// The packet is for another virtual router.
    #[error("VRID {0} is not this instance's")]
    VridMismatch(u8),
    /// Version 2: the address count differs from the configured one.
    #[error("{received} addresses received, {configured} configured")]
    AddressCountMismatch {
        /// Count in the packet.
        received: usize,
        /// Count configured.
        configured: usize,
    },
    /// Version 2: the address list differs from the configured one.
    #[error("address list differs from the configured one")]
    AddressListMismatch,
    /// Version 2: the advertisement interval differs from the configured one.
    #[error("advert interval {received_cs} cs differs from the configured {configured_cs} cs")]
    IntervalMismatch {
        /// Interval in the packet, centiseconds.
        received_cs: u16,
        /// Interval configured, centiseconds.
        configured_cs: u16,
    },
    /// Source or destination address of the wrong family, or not allowed
    /// (a multicast or unspecified source).
    #[error("unacceptable address {0}")]
    BadAddress(IpAddr),
}

/// Why an advertisement could not be serialised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The output buffer is too small.
    #[error("buffer of {len} bytes, {needed} needed")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        len: usize,
    },
    /// More than 255 addresses.
    #[error("{0} addresses: at most 255 fit")]
    TooManyAddresses(usize),
    /// An address (virtual, source or destination) not of the packet's family.
    #[error("address {0} is not of the packet's family")]
    MixedFamilies(IpAddr),
    /// Version 2 over IPv6, which neither RFC 3768 nor keepalived allows.
    #[error("VRRP version 2 is IPv4 only")]
    Version2OverIpv6,
    /// The interval cannot be carried: version 2 needs whole seconds
    /// 1–255, version 3 centiseconds 1–4095.
    #[error("advert interval {0} cs cannot be carried by this version")]
    BadInterval(u16),
    /// Authentication on a version 3 packet (which has none).
    #[error("version 3 carries no authentication")]
    AuthOnVersion3,
    /// The AH header could not be built.
    #[error("cannot build the AH header")]
    BadAh,
}
