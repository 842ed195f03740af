//! The decoded form of one VRRP advertisement, shared by the codec and the
//! state machine.

use std::net::IpAddr;

/// The VRRP protocol version of a packet or an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// VRRP version 2, RFC 3768 (IPv4 only; intervals in whole seconds).
    V2,
    /// VRRP version 3, RFC 5798 (IPv4 and IPv6; intervals in centiseconds).
    V3,
}

/// Version 2 authentication (RFC 2338 §5.3.6, kept by keepalived).
///
/// Version 3 has no authentication: its packets always carry [`Auth::None`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Auth {
    /// Type 0: no authentication.
    None,
    /// Type 1: a simple password, zero-padded to 8 bytes.
    Password([u8; 8]),
    /// Type 2: IPsec AH protects the packet; the VRRP auth data is unused.
    Ah,
}

/// One VRRP advertisement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Advertisement {
    /// Protocol version.
    pub version: Version,
    /// Virtual router identifier, 1–255.
    pub vrid: u8,
    /// Sender's priority: 0 (stepping down), 1–254, or 255 (address owner).
    pub priority: u8,
    /// Advertisement interval in centiseconds. Version 2 carries whole
    /// seconds on the wire; they are held here multiplied by 100.
    pub interval_cs: u16,
    /// Authentication (version 2 only).
    pub auth: Auth,
    /// The virtual addresses, all of the packet's address family.
    pub addresses: Vec<IpAddr>,
}
