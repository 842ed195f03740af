//! The Internet checksum (RFC 1071) and the pseudo-headers VRRP v3 adds.

use std::net::IpAddr;

use super::packet::IP_PROTOCOL;

/// Adds `data` to a running one's-complement sum, as big-endian 16-bit
/// words; an odd last byte is padded with zero.
pub(crate) fn sum_bytes(mut sum: u32, data: &[u8]) -> u32 {
    let mut words = data.chunks_exact(2);
    for word in &mut words {
        sum += u32::from(u16::from_be_bytes([word[0], word[1]]));
    }
    if let [last] = words.remainder() {
        sum += u32::from(u16::from_be_bytes([*last, 0]));
    }
    fold(sum)
}

/// Folds the carries back in until the sum fits 16 bits (kept in a u32 so
/// more words can be added without overflow).
fn fold(mut sum: u32) -> u32 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum
}

/// The final checksum: the complement of the folded sum.
pub(crate) fn finish(sum: u32) -> u16 {
    !(fold(sum) as u16)
}

/// The sum of the pseudo-header of RFC 5798 §5.2.8: for IPv4 that of
/// RFC 768 (source, destination, zero, protocol, length), for IPv6 that of
/// RFC 8200 §8.1 (source, destination, 32-bit length, zeros, next header).
/// Mixed families contribute nothing (the caller rejects them).
pub(crate) fn pseudo_header_sum(src: IpAddr, dst: IpAddr, len: usize) -> u32 {
    pseudo_header_sum_proto(src, dst, len, IP_PROTOCOL)
}

/// [`pseudo_header_sum`] for another upper-layer protocol.
pub(crate) fn pseudo_header_sum_proto(src: IpAddr, dst: IpAddr, len: usize, proto: u8) -> u32 {
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let sum = sum_bytes(0, &s.octets());
            let sum = sum_bytes(sum, &d.octets());
            // Zero byte, protocol byte, then a 16-bit length.
            fold(sum + u32::from(proto) + (len & 0xffff))
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let sum = sum_bytes(0, &s.octets());
            let sum = sum_bytes(sum, &d.octets());
            fold(sum + (len >> 16) + (len & 0xffff) + u32::from(proto))
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        let sum = sum_bytes(0, &[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
        assert_eq!(sum, 0xddf2);
        assert_eq!(finish(sum), 0x220d);
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(sum_bytes(0, &[0x12]), 0x1200);
        assert_eq!(sum_bytes(0, &[0xff, 0xff, 0x00, 0x02]), 0x0002);
    }

    #[test]
    fn ipv4_pseudo_header() {
        // 192.0.2.11 -> 224.0.0.18, 16 bytes:
        // c000 + 020b + e000 + 0012 + 0070 + 0010 = 1_a29d -> a29e.
        let src = IpAddr::from([192, 0, 2, 11]);
        let dst = IpAddr::from([224, 0, 0, 18]);
        assert_eq!(pseudo_header_sum(src, dst, 16), 0xa29e);
    }
}
