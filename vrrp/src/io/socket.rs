//! Raw `IPPROTO_VRRP` sockets, one per interface and address family,
//! shared by every instance on that interface.

use std::io::{IoSlice, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};

use nix::sys::socket::{
    recvmsg, sendmsg, setsockopt, sockopt, ControlMessage, ControlMessageOwned, MsgFlags,
    SockaddrIn, SockaddrIn6,
};
use socket2::{Domain, InterfaceIndexOrAddress, Protocol, Socket, Type};
use tokio::io::Interest;
use tokio::net::UdpSocket;

use super::error::{errno, sys, IoError};
use super::iface::Interface;
use crate::wire::{self, DecodeError, Family, Ipv4Fields, Received, AH_KEY_LEN};
use crate::Advertisement;

/// Receive buffer: larger than any VRRP packet (255 IPv6 addresses).
const RECV_BUF: usize = 4200;
/// TOS byte of adverts: DSCP class selector 6.
const TOS: u32 = (wire::DSCP_CS6 as u32) << 2;

/// A raw VRRP socket bound to one interface: it joins the VRRP group
/// (224.0.0.18 or ff02::12) there, sends with TTL / hop limit 255 and
/// TOS 0xc0 from the interface's primary (IPv4) or link-local (IPv6)
/// address, to the group or to unicast peers, and decodes what it
/// receives. Multicast loopback is off: a router does not hear itself.
///
/// The raw socket is driven through tokio's `UdpSocket` wrapper, which
/// only registers the descriptor for readiness; every read and write goes
/// through `recv` / `recvmsg` / `sendmsg` on the raw socket itself.
#[derive(Debug)]
pub struct VrrpSocket {
    fd: UdpSocket,
    family: Family,
    iface: Interface,
    src: IpAddr,
    ah: Option<AhState>,
}

/// keepalived's IPsec AH mode: the key, the IP identification of the
/// next packet, and keepalived's one sequence counter for both
/// directions: a received packet must carry a number above it and raises
/// it to that number; a sent packet carries it plus one.
#[derive(Debug)]
struct AhState {
    key: [u8; AH_KEY_LEN],
    identification: AtomicU16,
    sequence: AtomicU32,
}

impl AhState {
    /// The next IP identification, never 0 (the kernel would replace a
    /// 0 with its own, which the ICV does not cover).
    fn next_identification(&self) -> u16 {
        loop {
            let id = self.identification.fetch_add(1, Ordering::Relaxed);
            if id != 0 {
                return id;
            }
        }
    }

    /// Checks a received packet's ICV and SPI, then its sequence number
    /// against replays (keepalived counts a replay as an auth failure).
    fn accept(&self, packet: &[u8]) -> Result<Received, DecodeError> {
        wire::verify_ah(packet, &self.key, false)?;
        let received = wire::parse_ipv4(packet)?;
        let sequence = received.ah.map_or(0, |ah| ah.sequence);
        if self.sequence.fetch_max(sequence, Ordering::Relaxed) >= sequence {
            return Err(DecodeError::AuthFailure);
        }
        Ok(received)
    }
}

impl VrrpSocket {
    /// Opens the socket of `family` on `iface` (needs `CAP_NET_RAW`).
    pub fn open(iface: &Interface, family: Family) -> Result<Self, IoError> {
        let no_addr = |reason| IoError::Interface {
            name: iface.name.clone(),
            reason,
        };
        let (socket, src) = match family {
            Family::V4 => {
                let src = iface.ipv4.ok_or_else(|| no_addr("no IPv4 address"))?;
                (open_v4(iface, wire::IP_PROTOCOL)?, IpAddr::V4(src))
            }
            Family::V6 => {
                let src = iface
                    .link_local
                    .ok_or_else(|| no_addr("no link-local IPv6 address"))?;
                (open_v6(iface)?, IpAddr::V6(src))
            }
        };
        socket.set_nonblocking(true).map_err(sys("O_NONBLOCK"))?;
        let fd = UdpSocket::from_std(std::net::UdpSocket::from(socket))
            .map_err(sys("register with tokio"))?;
        Ok(VrrpSocket {
            fd,
            family,
            iface: iface.clone(),
            src,
            ah: None,
        })
    }

    /// Opens an IPv4 socket for version 2 with `auth_type AH`, as
    /// keepalived runs it: IP protocol 51, whole packets written by us
    /// (`IP_HDRINCL`) so the ICV can cover the header. Received packets
    /// must carry a valid ICV under `key` (the `auth_pass`, zero-padded
    /// to 8 bytes) and an SPI equal to their source, or they are dropped
    /// as [`DecodeError::AuthFailure`] / [`DecodeError::BadAh`]. Sequence
    /// numbers follow keepalived's single counter: a packet whose number
    /// is not above the highest seen or sent is a replay (an auth
    /// failure), and adverts are sent with that highest number plus one,
    /// so a router that wants to preempt a keepalived master must have
    /// received its adverts on this socket first.
    pub fn open_ah(iface: &Interface, key: [u8; AH_KEY_LEN]) -> Result<Self, IoError> {
        let src = iface.ipv4.ok_or_else(|| IoError::Interface {
            name: iface.name.clone(),
            reason: "no IPv4 address",
        })?;
        let socket = open_v4(iface, wire::IP_PROTOCOL_AH)?;
        socket
            .set_header_included_v4(true)
            .map_err(sys("IP_HDRINCL"))?;
        socket.set_nonblocking(true).map_err(sys("O_NONBLOCK"))?;
        let fd = UdpSocket::from_std(std::net::UdpSocket::from(socket))
            .map_err(sys("register with tokio"))?;
        Ok(VrrpSocket {
            fd,
            family: Family::V4,
            iface: iface.clone(),
            src: IpAddr::V4(src),
            ah: Some(AhState {
                key,
                identification: AtomicU16::new(1),
                sequence: AtomicU32::new(0),
            }),
        })
    }

    /// The address adverts are sent from (and checksummed with).
    pub fn source(&self) -> IpAddr {
        self.src
    }

    /// The interface.
    pub fn interface(&self) -> &Interface {
        &self.iface
    }

    /// Receives the next packet: `Ok(Ok(_))` a decoded advert (not yet
    /// validated against any instance), `Ok(Err(reason))` a packet to
    /// drop and count, `Err(_)` a socket failure.
    pub async fn recv(&self) -> Result<Result<Received, DecodeError>, IoError> {
        let mut buf = vec![0u8; RECV_BUF];
        let fd = self.fd.as_raw_fd();
        let got = self
            .fd
            .async_io(Interest::READABLE, || match self.family {
                Family::V4 => {
                    let n = nix::sys::socket::recv(fd, &mut buf, MsgFlags::empty())?;
                    let packet = buf.get(..n).unwrap_or_default();
                    Ok(match &self.ah {
                        Some(ah) => ah.accept(packet),
                        None => wire::parse_ipv4(packet),
                    })
                }
                Family::V6 => recv_v6(fd, &mut buf),
            })
            .await;
        got.map_err(sys("recv"))
    }

    /// Sends `advert` to `dst`: the VRRP group of the socket's family or a
    /// unicast peer.
    pub async fn send(&self, advert: &Advertisement, dst: IpAddr) -> Result<(), IoError> {
        let message = match (&self.ah, self.src, dst) {
            (Some(ah), IpAddr::V4(src), IpAddr::V4(dst)) => {
                let fields = Ipv4Fields {
                    identification: ah.next_identification(),
                };
                let sequence = ah.sequence.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
                let unicast = !dst.is_multicast();
                wire::encode_ipv4_ah(advert, src, dst, fields, sequence, &ah.key, unicast)?
            }
            _ => wire::encode(advert, self.src, dst)?,
        };
        let fd = self.fd.as_raw_fd();
        self.fd
            .async_io(Interest::WRITABLE, || self.send_once(fd, &message, dst))
            .await
            .map_err(sys("sendmsg"))?;
        Ok(())
    }

    /// One `sendmsg`, with the source address set by `IP_PKTINFO` /
    /// `IPV6_PKTINFO` so the checksum's pseudo-header is right.
    fn send_once(&self, fd: i32, message: &[u8], dst: IpAddr) -> std::io::Result<usize> {
        let iov = [IoSlice::new(message)];
        let ifindex = self.iface.index;
        if let (Some(_), IpAddr::V4(dst)) = (&self.ah, dst) {
            // The whole packet, header included, is ours.
            let to = SockaddrIn::from(SocketAddrV4::new(dst, 0));
            return nix::sys::socket::sendto(fd, message, &to, MsgFlags::empty())
                .map_err(std::io::Error::from);
        }
        let result = match (self.src, dst) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => {
                let info = libc::in_pktinfo {
                    ipi_ifindex: ifindex as i32,
                    ipi_spec_dst: libc::in_addr {
                        s_addr: u32::from(src).to_be(),
                    },
                    ipi_addr: libc::in_addr { s_addr: 0 },
                };
                let to = SockaddrIn::from(SocketAddrV4::new(dst, 0));
                let cmsg = [ControlMessage::Ipv4PacketInfo(&info)];
                sendmsg(fd, &iov, &cmsg, MsgFlags::empty(), Some(&to))
            }
            (IpAddr::V6(src), IpAddr::V6(dst)) => {
                let info = libc::in6_pktinfo {
                    ipi6_addr: libc::in6_addr {
                        s6_addr: src.octets(),
                    },
                    ipi6_ifindex: ifindex,
                };
                let to = SockaddrIn6::from(SocketAddrV6::new(dst, 0, 0, ifindex));
                let cmsg = [ControlMessage::Ipv6PacketInfo(&info)];
                sendmsg(fd, &iov, &cmsg, MsgFlags::empty(), Some(&to))
            }
            _ => return Err(std::io::Error::from(std::io::ErrorKind::InvalidInput)),
        };
        result.map_err(std::io::Error::from)
    }
}

/// The IPv4 socket of `protocol` (VRRP, or AH around it): group joined
/// on the interface, bound to it, TTL 255.
fn open_v4(iface: &Interface, protocol: u8) -> Result<Socket, IoError> {
    let socket = Socket::new(
        Domain::IPV4,
        Type::RAW,
        Some(Protocol::from(i32::from(protocol))),
    )
    .map_err(sys("socket(AF_INET, SOCK_RAW)"))?;
    socket
        .bind_device(Some(iface.name.as_bytes()))
        .map_err(sys("SO_BINDTODEVICE"))?;
    socket
        .join_multicast_v4_n(
            &wire::MULTICAST_V4,
            &InterfaceIndexOrAddress::Index(iface.index),
        )
        .map_err(sys("IP_ADD_MEMBERSHIP"))?;
    socket
        .set_multicast_if_v4(&iface.ipv4.unwrap_or(Ipv4Addr::UNSPECIFIED))
        .map_err(sys("IP_MULTICAST_IF"))?;
    socket
        .set_multicast_ttl_v4(u32::from(wire::TTL))
        .map_err(sys("IP_MULTICAST_TTL"))?;
    socket
        .set_ttl(u32::from(wire::TTL))
        .map_err(sys("IP_TTL"))?;
    socket.set_tos(TOS).map_err(sys("IP_TOS"))?;
    socket
        .set_multicast_loop_v4(false)
        .map_err(sys("IP_MULTICAST_LOOP"))?;
    Ok(socket)
}

/// The IPv6 socket: group joined on the interface, bound to it, hop
/// limit 255, hop limit and destination reported on receipt.
fn open_v6(iface: &Interface) -> Result<Socket, IoError> {
    let socket = Socket::new(
        Domain::IPV6,
        Type::RAW,
        Some(Protocol::from(i32::from(wire::IP_PROTOCOL))),
    )
    .map_err(sys("socket(AF_INET6, SOCK_RAW, 112)"))?;
    socket
        .bind_device(Some(iface.name.as_bytes()))
        .map_err(sys("SO_BINDTODEVICE"))?;
    socket
        .join_multicast_v6(&wire::MULTICAST_V6, iface.index)
        .map_err(sys("IPV6_ADD_MEMBERSHIP"))?;
    socket
        .set_multicast_if_v6(iface.index)
        .map_err(sys("IPV6_MULTICAST_IF"))?;
    socket
        .set_multicast_hops_v6(u32::from(wire::TTL))
        .map_err(sys("IPV6_MULTICAST_HOPS"))?;
    socket
        .set_unicast_hops_v6(u32::from(wire::TTL))
        .map_err(sys("IPV6_UNICAST_HOPS"))?;
    socket.set_tclass_v6(TOS).map_err(sys("IPV6_TCLASS"))?;
    socket
        .set_multicast_loop_v6(false)
        .map_err(sys("IPV6_MULTICAST_LOOP"))?;
    setsockopt(&socket, sockopt::Ipv6RecvHopLimit, &true).map_err(errno("IPV6_RECVHOPLIMIT"))?;
    setsockopt(&socket, sockopt::Ipv6RecvPacketInfo, &true).map_err(errno("IPV6_RECVPKTINFO"))?;
    Ok(socket)
}

/// Reads one IPv6 packet: the payload, with source from the socket
/// address and hop limit / destination from the control messages. A
/// packet without them is refused as a bad header (the socket asks for
/// both, so this means a kernel that does not honour the options).
fn recv_v6(fd: i32, buf: &mut [u8]) -> std::io::Result<Result<Received, DecodeError>> {
    let mut cmsg = nix::cmsg_space!(libc::c_int, libc::in6_pktinfo);
    let mut iov = [IoSliceMut::new(buf)];
    let msg = recvmsg::<SockaddrIn6>(fd, &mut iov, Some(&mut cmsg), MsgFlags::empty())
        .map_err(std::io::Error::from)?;
    let (mut hop_limit, mut dst) = (None, None);
    for c in msg.cmsgs().map_err(std::io::Error::from)? {
        match c {
            ControlMessageOwned::Ipv6HopLimit(h) => hop_limit = u8::try_from(h).ok(),
            ControlMessageOwned::Ipv6PacketInfo(info) => {
                dst = Some(Ipv6Addr::from(info.ipi6_addr.s6_addr));
            }
            _ => {}
        }
    }
    let len = msg.bytes;
    let src = msg.address.map(|a| a.ip());
    let payload = iov[0].get(..len).unwrap_or_default();
    Ok(match (src, dst, hop_limit) {
        (Some(src), Some(dst), Some(hop)) => wire::parse_ipv6_payload(payload, src, dst, hop),
        _ => Err(DecodeError::BadIpHeader(
            "no source, destination or hop limit".into(),
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Auth, Version};

    fn packet(sequence: u32, key: &[u8; 8]) -> Vec<u8> {
        let advert = Advertisement {
            version: Version::V2,
            vrid: 51,
            priority: 100,
            interval_cs: 100,
            auth: Auth::Ah,
            addresses: vec![IpAddr::from([192, 0, 2, 1])],
        };
        let src = Ipv4Addr::new(192, 0, 2, 11);
        let fields = Ipv4Fields { identification: 1 };
        wire::encode_ipv4_ah(
            &advert,
            src,
            wire::MULTICAST_V4,
            fields,
            sequence,
            key,
            false,
        )
        .unwrap()
    }

    #[test]
    fn ah_sequence_numbers_follow_keepalived() {
        let ah = AhState {
            key: *b"secret12",
            identification: AtomicU16::new(u16::MAX),
            sequence: AtomicU32::new(0),
        };
        assert!(ah.accept(&packet(5, b"secret12")).is_ok());
        // A replay, or an older number, is an auth failure.
        assert_eq!(
            ah.accept(&packet(5, b"secret12")),
            Err(DecodeError::AuthFailure)
        );
        assert_eq!(
            ah.accept(&packet(3, b"secret12")),
            Err(DecodeError::AuthFailure)
        );
        assert!(ah.accept(&packet(9, b"secret12")).is_ok());
        assert_eq!(
            ah.accept(&packet(10, b"other12!")),
            Err(DecodeError::AuthFailure)
        );
        // The next advert sent carries the highest number seen plus one.
        assert_eq!(
            ah.sequence.fetch_add(1, Ordering::Relaxed).wrapping_add(1),
            10
        );
        // Identification skips 0.
        assert_eq!(ah.next_identification(), u16::MAX);
        assert_eq!(ah.next_identification(), 1);
    }
}
