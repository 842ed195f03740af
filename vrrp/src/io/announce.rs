//! Gratuitous ARP and unsolicited Neighbor Advertisements for the
//! virtual addresses of a new master.

use std::io::IoSlice;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV6};
use std::os::fd::AsRawFd;

use nix::sys::socket::{sendmsg, sendto, ControlMessage, MsgFlags, SockaddrIn6};
use socket2::{Domain, Protocol, Socket, Type};

use super::error::{errno, sys, IoError};
use super::iface::Interface;
use crate::wire;

/// Sends the frames that tell the LAN where the virtual addresses now
/// live: gratuitous ARP through a packet socket, unsolicited NA through
/// an ICMPv6 socket (hop limit 255, from the virtual address itself).
#[derive(Debug)]
pub struct Announcer {
    iface: Interface,
    packet: Socket,
    icmp6: Socket,
}

impl Announcer {
    /// Opens the sockets for `iface` (needs `CAP_NET_RAW`). The packet
    /// socket has protocol 0, so it receives nothing.
    pub fn open(iface: &Interface) -> Result<Self, IoError> {
        let packet =
            Socket::new(Domain::PACKET, Type::RAW, None).map_err(sys("socket(AF_PACKET)"))?;
        let icmp6 = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::ICMPV6))
            .map_err(sys("socket(ICMPv6)"))?;
        icmp6
            .bind_device(Some(iface.name.as_bytes()))
            .map_err(sys("SO_BINDTODEVICE"))?;
        icmp6
            .set_multicast_hops_v6(255)
            .map_err(sys("IPV6_MULTICAST_HOPS"))?;
        icmp6
            .set_multicast_if_v6(iface.index)
            .map_err(sys("IPV6_MULTICAST_IF"))?;
        icmp6
            .set_multicast_loop_v6(false)
            .map_err(sys("IPV6_MULTICAST_LOOP"))?;
        Ok(Announcer {
            iface: iface.clone(),
            packet,
            icmp6,
        })
    }

    /// Sends one gratuitous ARP request for `vip` from the interface MAC.
    pub fn gratuitous_arp(&self, vip: Ipv4Addr) -> Result<(), IoError> {
        let frame = wire::gratuitous_arp(self.iface.mac, vip);
        sendto(
            self.packet.as_raw_fd(),
            &frame,
            &self.iface.link,
            MsgFlags::empty(),
        )
        .map_err(errno("send gratuitous ARP"))?;
        Ok(())
    }

    /// Sends one unsolicited NA for `vip` to ff02::1, sourced from `vip`
    /// (which must be configured on the interface by then).
    pub fn unsolicited_na(&self, vip: Ipv6Addr) -> Result<(), IoError> {
        let message = wire::unsolicited_na(self.iface.mac, vip);
        let info = libc::in6_pktinfo {
            ipi6_addr: libc::in6_addr {
                s6_addr: vip.octets(),
            },
            ipi6_ifindex: self.iface.index,
        };
        let to = SockaddrIn6::from(SocketAddrV6::new(wire::ALL_NODES, 0, 0, self.iface.index));
        let iov = [IoSlice::new(&message)];
        let cmsg = [ControlMessage::Ipv6PacketInfo(&info)];
        sendmsg(
            self.icmp6.as_raw_fd(),
            &iov,
            &cmsg,
            MsgFlags::empty(),
            Some(&to),
        )
        .map_err(errno("send unsolicited NA"))?;
        Ok(())
    }
}
