//! Gratuitous ARP and unsolicited Neighbor Advertisement, the frames a
//! new master sends so the LAN learns the virtual addresses' new MAC.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::checksum;

/// Ethernet broadcast address.
pub const BROADCAST_MAC: [u8; 6] = [0xff; 6];
/// Ethernet type of ARP.
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// Ethernet type of IPv6.
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
/// Length of a gratuitous ARP frame (without Ethernet padding).
pub const GARP_FRAME_LEN: usize = 42;
/// Length of the unsolicited NA ICMPv6 message (with the target
/// link-layer address option).
pub const NA_LEN: usize = 32;
/// All-nodes multicast group, where unsolicited NAs go.
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
/// ICMPv6 type of a Neighbor Advertisement.
const ICMPV6_NA: u8 = 136;
/// ICMPv6 next header number.
const IP_PROTOCOL_ICMPV6: u8 = 58;
/// The Override flag, the only one keepalived sets.
const NA_OVERRIDE: u8 = 0x20;

/// The gratuitous ARP frame keepalived sends: an ARP request from `mac`
/// with sender and target address both `vip`, target MAC broadcast,
/// Ethernet broadcast.
pub fn gratuitous_arp(mac: [u8; 6], vip: Ipv4Addr) -> [u8; GARP_FRAME_LEN] {
    let mut f = [0u8; GARP_FRAME_LEN];
    f[0..6].copy_from_slice(&BROADCAST_MAC);
    f[6..12].copy_from_slice(&mac);
    f[12..14].copy_from_slice(&ETHERTYPE_ARP.to_be_bytes());
    // Ethernet / IPv4, 6 and 4 byte addresses, operation 1 (request).
    f[14..22].copy_from_slice(&[0, 1, 0x08, 0x00, 6, 4, 0, 1]);
    f[22..28].copy_from_slice(&mac);
    f[28..32].copy_from_slice(&vip.octets());
    f[32..38].copy_from_slice(&BROADCAST_MAC);
    f[38..42].copy_from_slice(&vip.octets());
    f
}

/// Recognises a gratuitous ARP (request or reply whose sender and target
/// addresses are equal); returns the sender MAC and the address.
pub fn parse_gratuitous_arp(frame: &[u8]) -> Option<([u8; 6], Ipv4Addr)> {
    let f = frame.get(..GARP_FRAME_LEN)?;
    if f[12..14] != ETHERTYPE_ARP.to_be_bytes() || f[14..20] != [0, 1, 0x08, 0x00, 6, 4] {
        return None;
    }
    let op = u16::from_be_bytes([f[20], f[21]]);
    let sender = Ipv4Addr::new(f[28], f[29], f[30], f[31]);
    let target = Ipv4Addr::new(f[38], f[39], f[40], f[41]);
    if !(op == 1 || op == 2) || sender != target {
        return None;
    }
    let mac = <[u8; 6]>::try_from(&f[22..28]).ok()?;
    Some((mac, sender))
}

/// The unsolicited Neighbor Advertisement ICMPv6 message for `vip` at
/// `mac` (RFC 4861 §7.2.6): Override flag only, target link-layer address
/// option. The checksum assumes `vip` → ff02::1, as keepalived sends it
/// (a raw ICMPv6 socket recomputes it anyway).
pub fn unsolicited_na(mac: [u8; 6], vip: Ipv6Addr) -> [u8; NA_LEN] {
    let mut m = [0u8; NA_LEN];
    m[0] = ICMPV6_NA;
    m[4] = NA_OVERRIDE;
    m[8..24].copy_from_slice(&vip.octets());
    // Option 2 (target link-layer address), length 1 (8 bytes).
    m[24] = 2;
    m[25] = 1;
    m[26..32].copy_from_slice(&mac);
    let sum = checksum::pseudo_header_sum_proto(
        IpAddr::V6(vip),
        IpAddr::V6(ALL_NODES),
        NA_LEN,
        IP_PROTOCOL_ICMPV6,
    );
    let sum = checksum::finish(checksum::sum_bytes(sum, &m));
    m[2..4].copy_from_slice(&sum.to_be_bytes());
    m
}

/// The whole Ethernet frame of [`unsolicited_na`]: to 33:33:00:00:00:01,
/// IPv6 from `vip` to ff02::1, hop limit 255, traffic class and flow
/// label 0.
pub fn unsolicited_na_frame(mac: [u8; 6], vip: Ipv6Addr) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + 40 + NA_LEN);
    f.extend_from_slice(&[0x33, 0x33, 0, 0, 0, 1]);
    f.extend_from_slice(&mac);
    f.extend_from_slice(&ETHERTYPE_IPV6.to_be_bytes());
    f.extend_from_slice(&[0x60, 0, 0, 0, 0, NA_LEN as u8, IP_PROTOCOL_ICMPV6, 255]);
    f.extend_from_slice(&vip.octets());
    f.extend_from_slice(&ALL_NODES.octets());
    f.extend_from_slice(&unsolicited_na(mac, vip));
    f
}

/// Recognises an unsolicited NA frame (Ethernet, IPv6, ICMPv6 type 136,
/// Solicited flag clear, hop limit 255); returns the link-layer address
/// from its option (or the Ethernet source) and the target address.
pub fn parse_unsolicited_na(frame: &[u8]) -> Option<([u8; 6], Ipv6Addr)> {
    if frame.get(12..14)? != ETHERTYPE_IPV6.to_be_bytes() {
        return None;
    }
    let ip = frame.get(14..54)?;
    if ip[0] >> 4 != 6 || ip[6] != IP_PROTOCOL_ICMPV6 || ip[7] != 255 {
        return None;
    }
    let icmp = frame.get(54..78)?;
    if icmp[0] != ICMPV6_NA || icmp[1] != 0 || icmp[4] & 0x40 != 0 {
        return None;
    }
    let target = Ipv6Addr::from(<[u8; 16]>::try_from(&icmp[8..24]).ok()?);
    let mac = match frame.get(78..86) {
        Some([2, 1, rest @ ..]) => <[u8; 6]>::try_from(rest).ok()?,
        _ => <[u8; 6]>::try_from(frame.get(6..12)?).ok()?,
    };
    Some((mac, target))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [0xe6, 0x1b, 0x82, 0x23, 0x0d, 0x30];

    #[test]
    fn garp_round_trip() {
        let vip = Ipv4Addr::new(192, 0, 2, 1);
        let f = gratuitous_arp(MAC, vip);
        assert_eq!(&f[20..22], &[0, 1]);
        assert_eq!(parse_gratuitous_arp(&f), Some((MAC, vip)));
        let mut not_gratuitous = f;
        not_gratuitous[41] = 2;
        assert_eq!(parse_gratuitous_arp(&not_gratuitous), None);
    }

    #[test]
    fn na_round_trip() {
        let vip = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
        let f = unsolicited_na_frame(MAC, vip);
        assert_eq!(f.len(), 86);
        assert_eq!(parse_unsolicited_na(&f), Some((MAC, vip)));
        // The checksum keepalived sent for this VIP and MAC (v3-ipv6-na-burst.pcap).
        assert_eq!(&f[56..58], &[0x85, 0xbc]);
    }
}
