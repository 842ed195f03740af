//! A checked view over the bytes of one VRRP message (the IP payload).
//!
//! Layout (RFC 3768 §5.1, RFC 5798 §5.1):
//!
//! ```text
//!  0       1       2       3
//! +-------+-------+-------+-------+
//! |Ver|Typ| VRID  | Prio  | Count |
//! +-------+-------+-------+-------+
//! | v2: Auth type | Adver int     |   v3: 4 reserved bits + 12-bit
//! |               |               |       max advert interval
//! +-------+-------+-------+-------+
//! |   Checksum    | (bytes 6..8)
//! +-------+-------+
//! | Count addresses, 4 (IPv4) or 16 (IPv6) bytes each
//! | v2 only: 8 bytes of authentication data
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::checksum;
use super::error::DecodeError;

/// IP protocol number (and IPv6 next header) of VRRP.
pub const IP_PROTOCOL: u8 = 112;
/// Length of the fixed VRRP header.
pub const HEADER_LEN: usize = 8;
/// Length of the version 2 authentication data.
pub const AUTH_DATA_LEN: usize = 8;
/// The only VRRP message type: ADVERTISEMENT.
pub const TYPE_ADVERTISEMENT: u8 = 1;
/// TTL / hop limit every VRRP packet is sent with and must arrive with.
pub const TTL: u8 = 255;
/// IPv4 multicast group of VRRP.
pub const MULTICAST_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// IPv6 multicast group of VRRP.
pub const MULTICAST_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);

/// Field offsets.
mod field {
    pub(super) const VER_TYPE: usize = 0;
    pub(super) const VRID: usize = 1;
    pub(super) const PRIORITY: usize = 2;
    pub(super) const COUNT: usize = 3;
    pub(super) const AUTH_TYPE: usize = 4;
    pub(super) const ADVER_INT: usize = 5;
    pub(super) const MAX_ADVER_INT: usize = 4;
    pub(super) const CHECKSUM: usize = 6;
}

/// The address family of the IP packet carrying the message; it sets the
/// size of each address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4: 4-byte addresses.
    V4,
    /// IPv6: 16-byte addresses.
    V6,
}

impl Family {
    /// The family of an address.
    pub fn of(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    /// Bytes per address.
    pub fn address_len(self) -> usize {
        match self {
            Family::V4 => 4,
            Family::V6 => 16,
        }
    }
}

/// A view over a VRRP message whose lengths have been checked (with
/// [`Packet::new_checked`]): every accessor is then in bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
    family: Family,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it; accessors may then panic on
    /// short buffers. Use [`Packet::new_checked`] on received data.
    pub fn new_unchecked(buffer: T, family: Family) -> Self {
        Packet { buffer, family }
    }

    /// Wraps a buffer after checking that it holds the fixed header, a
    /// known version, and every address (plus the version 2
    /// authentication data) the header announces. Trailing bytes beyond
    /// that are allowed (RFC 5798 §7.1 asks for the complete packet, not
    /// an exact length) and are covered by the checksum.
    pub fn new_checked(buffer: T, family: Family) -> Result<Self, DecodeError> {
        let packet = Self::new_unchecked(buffer, family);
        packet.check_len()?;
        Ok(packet)
    }

    /// The checks of [`Packet::new_checked`].
    pub fn check_len(&self) -> Result<(), DecodeError> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(DecodeError::Truncated { len });
        }
        let version = self.version();
        if version != 2 && version != 3 {
            return Err(DecodeError::BadVersion(version));
        }
        if version == 2 && self.family == Family::V6 {
            return Err(DecodeError::BadVersion(version));
        }
        let needed = self.message_len();
        if len < needed {
            return Err(DecodeError::BadLength { needed, len });
        }
        Ok(())
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The address family the view was made for.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The bytes under the view.
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    fn byte(&self, at: usize) -> u8 {
        self.buffer.as_ref()[at]
    }

    /// Protocol version (high nibble of the first byte).
    pub fn version(&self) -> u8 {
        self.byte(field::VER_TYPE) >> 4
    }

    /// Message type (low nibble of the first byte); 1 is ADVERTISEMENT.
    pub fn kind(&self) -> u8 {
        self.byte(field::VER_TYPE) & 0x0f
    }

    /// Virtual router identifier.
    pub fn vrid(&self) -> u8 {
        self.byte(field::VRID)
    }

    /// Sender's priority.
    pub fn priority(&self) -> u8 {
        self.byte(field::PRIORITY)
    }

    /// Number of addresses (`Count IP Addrs` / `Count IPvX Addr`).
    pub fn address_count(&self) -> u8 {
        self.byte(field::COUNT)
    }

    /// Version 2: the authentication type byte.
    pub fn auth_type(&self) -> u8 {
        self.byte(field::AUTH_TYPE)
    }

    /// Version 2: the advertisement interval in seconds.
    pub fn adver_int(&self) -> u8 {
        self.byte(field::ADVER_INT)
    }

    /// Version 3: the 4 reserved bits before the interval.
    pub fn reserved(&self) -> u8 {
        self.byte(field::MAX_ADVER_INT) >> 4
    }

    /// Version 3: the 12-bit maximum advertisement interval, centiseconds.
    pub fn max_adver_int(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[field::MAX_ADVER_INT] & 0x0f, b[field::MAX_ADVER_INT + 1]])
    }

    /// The checksum field.
    pub fn checksum(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[field::CHECKSUM], b[field::CHECKSUM + 1]])
    }

    /// The length the header announces: header, addresses and (version 2)
    /// authentication data.
    pub fn message_len(&self) -> usize {
        let auth = if self.version() == 2 {
            AUTH_DATA_LEN
        } else {
            0
        };
        HEADER_LEN + usize::from(self.address_count()) * self.family.address_len() + auth
    }

    /// The `index`th address, or `None` past the count.
    pub fn address(&self, index: usize) -> Option<IpAddr> {
        if index >= usize::from(self.address_count()) {
            return None;
        }
        let len = self.family.address_len();
        let start = HEADER_LEN + index * len;
        let raw = self.buffer.as_ref().get(start..start + len)?;
        match self.family {
            Family::V4 => <[u8; 4]>::try_from(raw).ok().map(IpAddr::from),
            Family::V6 => <[u8; 16]>::try_from(raw).ok().map(IpAddr::from),
        }
    }

    /// Every address, in packet order.
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        (0..usize::from(self.address_count())).filter_map(move |i| self.address(i))
    }

    /// Version 2: the 8 bytes of authentication data after the addresses.
    pub fn auth_data(&self) -> Option<[u8; AUTH_DATA_LEN]> {
        if self.version() != 2 {
            return None;
        }
        let start = self.message_len() - AUTH_DATA_LEN;
        let raw = self.buffer.as_ref().get(start..start + AUTH_DATA_LEN)?;
        <[u8; AUTH_DATA_LEN]>::try_from(raw).ok()
    }

    /// The checksum a correct sender puts in this message: version 2 over
    /// the message alone, version 3 with the pseudo-header of `src` and
    /// `dst` in front.
    pub fn expected_checksum(&self, src: IpAddr, dst: IpAddr) -> u16 {
        let bytes = self.buffer.as_ref();
        let start = if self.version() == 3 {
            checksum::pseudo_header_sum(src, dst, bytes.len())
        } else {
            0
        };
        let sum = checksum::sum_bytes(start, bytes.get(..field::CHECKSUM).unwrap_or_default());
        let sum = checksum::sum_bytes(sum, bytes.get(field::CHECKSUM + 2..).unwrap_or_default());
        checksum::finish(sum)
    }

    /// Whether the checksum field is the one [`Packet::expected_checksum`]
    /// computes.
    pub fn verify_checksum(&self, src: IpAddr, dst: IpAddr) -> bool {
        self.checksum() == self.expected_checksum(src, dst)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn set_byte(&mut self, at: usize, value: u8) {
        self.buffer.as_mut()[at] = value;
    }

    /// Sets version and type.
    pub fn set_version_kind(&mut self, version: u8, kind: u8) {
        self.set_byte(field::VER_TYPE, (version << 4) | (kind & 0x0f));
    }

    /// Sets the VRID.
    pub fn set_vrid(&mut self, vrid: u8) {
        self.set_byte(field::VRID, vrid);
    }

    /// Sets the priority.
    pub fn set_priority(&mut self, priority: u8) {
        self.set_byte(field::PRIORITY, priority);
    }

    /// Sets the address count.
    pub fn set_address_count(&mut self, count: u8) {
        self.set_byte(field::COUNT, count);
    }

    /// Version 2: sets the authentication type.
    pub fn set_auth_type(&mut self, auth_type: u8) {
        self.set_byte(field::AUTH_TYPE, auth_type);
    }

    /// Version 2: sets the interval in seconds.
    pub fn set_adver_int(&mut self, seconds: u8) {
        self.set_byte(field::ADVER_INT, seconds);
    }

    /// Version 3: sets the interval in centiseconds (12 bits kept) with
    /// the reserved bits zero.
    pub fn set_max_adver_int(&mut self, centiseconds: u16) {
        let [hi, lo] = (centiseconds & 0x0fff).to_be_bytes();
        self.set_byte(field::MAX_ADVER_INT, hi);
        self.set_byte(field::MAX_ADVER_INT + 1, lo);
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, value: u16) {
        let [hi, lo] = value.to_be_bytes();
        self.set_byte(field::CHECKSUM, hi);
        self.set_byte(field::CHECKSUM + 1, lo);
    }

    /// Writes the `index`th address (its family must be the view's).
    pub fn set_address(&mut self, index: usize, addr: IpAddr) {
        let len = self.family.address_len();
        let start = HEADER_LEN + index * len;
        let out = &mut self.buffer.as_mut()[start..start + len];
        match addr {
            IpAddr::V4(a) => out.copy_from_slice(&a.octets()),
            IpAddr::V6(a) => out.copy_from_slice(&a.octets()),
        }
    }

    /// Version 2: writes the authentication data after the addresses.
    pub fn set_auth_data(&mut self, data: [u8; AUTH_DATA_LEN]) {
        let start = self.message_len() - AUTH_DATA_LEN;
        self.buffer.as_mut()[start..start + AUTH_DATA_LEN].copy_from_slice(&data);
    }

    /// Computes and stores the checksum (see
    /// [`Packet::expected_checksum`]).
    pub fn fill_checksum(&mut self, src: IpAddr, dst: IpAddr) {
        let value = self.expected_checksum(src, dst);
        self.set_checksum(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// v2, VRID 51, priority 150, one address 192.0.2.1, no auth,
    /// 1 s: the message keepalived sends for `v2-ipv4-noauth`.
    const V2: [u8; 20] = [
        0x21, 51, 150, 1, 0, 1, 0xba, 0x52, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    #[test]
    fn accessors_read_the_fields() {
        let p = Packet::new_checked(&V2[..], Family::V4).unwrap();
        assert_eq!(
            (p.version(), p.kind(), p.vrid(), p.priority()),
            (2, 1, 51, 150)
        );
        assert_eq!((p.address_count(), p.auth_type(), p.adver_int()), (1, 0, 1));
        assert_eq!(p.address(0), Some(IpAddr::from([192, 0, 2, 1])));
        assert_eq!(p.address(1), None);
        assert_eq!(p.auth_data(), Some([0; 8]));
        assert_eq!(p.message_len(), 20);
    }

    #[test]
    fn v2_checksum_by_hand() {
        // 2133 + 9601 + 0001 + c000 + 0201 = 1_7936 -> 7937; !7937 = 86c8.
        let p = Packet::new_checked(&V2[..], Family::V4).unwrap();
        let any = IpAddr::from([0, 0, 0, 0]);
        assert_eq!(p.expected_checksum(any, any), 0x86c8);
    }

    #[test]
    fn short_buffers_are_rejected() {
        assert_eq!(
            Packet::new_checked(&V2[..7], Family::V4),
            Err(DecodeError::Truncated { len: 7 })
        );
        assert_eq!(
            Packet::new_checked(&V2[..19], Family::V4),
            Err(DecodeError::BadLength {
                needed: 20,
                len: 19
            })
        );
        let mut v3_6 = [0u8; 8 + 15];
        v3_6[0] = 0x31;
        v3_6[3] = 1;
        assert_eq!(
            Packet::new_checked(&v3_6[..], Family::V6),
            Err(DecodeError::BadLength {
                needed: 24,
                len: 23
            })
        );
    }

    #[test]
    fn unknown_versions_and_v2_over_ipv6_are_rejected() {
        let mut b = V2;
        b[0] = 0x41;
        assert_eq!(
            Packet::new_checked(&b[..], Family::V4),
            Err(DecodeError::BadVersion(4))
        );
        assert_eq!(
            Packet::new_checked(&V2[..], Family::V6),
            Err(DecodeError::BadVersion(2))
        );
    }

    #[test]
    fn v3_interval_field_keeps_12_bits() {
        let mut b = [0u8; 12];
        let mut p = Packet::new_unchecked(&mut b[..], Family::V4);
        p.set_version_kind(3, 1);
        p.set_max_adver_int(0xf123);
        assert_eq!(p.max_adver_int(), 0x0123);
        assert_eq!(p.reserved(), 0);
    }
}
