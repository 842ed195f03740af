//! Raw `IPPROTO_VRRP` sockets, one per interface and address family,
//! shared by every instance on that interface.

use std::io::{IoSlice, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::os::fd::AsRawFd;

use nix::sys::socket::{
    recvmsg, sendmsg, setsockopt, sockopt, ControlMessage, ControlMessageOwned, MsgFlags,
    SockaddrIn, SockaddrIn6,
};
use socket2::{Domain, InterfaceIndexOrAddress, Protocol, Socket, Type};
use tokio::io::Interest;
use tokio::net::UdpSocket;

use super::error::{errno, sys, IoError};
use super::iface::Interface;
use crate::wire::{self, DecodeError, Family, Received};
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
                (open_v4(iface)?, IpAddr::V4(src))
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
                    Ok(wire::parse_ipv4(buf.get(..n).unwrap_or_default()))
                }
                Family::V6 => recv_v6(fd, &mut buf),
            })
            .await;
        got.map_err(sys("recv"))
    }

    /// Sends `advert` to `dst`: the VRRP group of the socket's family or a
    /// unicast peer.
    pub async fn send(&self, advert: &Advertisement, dst: IpAddr) -> Result<(), IoError> {
        let message = wire::encode(advert, self.src, dst)?;
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

/// The IPv4 socket: group joined on the interface, bound to it, TTL 255.
fn open_v4(iface: &Interface) -> Result<Socket, IoError> {
    let socket = Socket::new(
        Domain::IPV4,
        Type::RAW,
        Some(Protocol::from(i32::from(wire::IP_PROTOCOL))),
    )
    .map_err(sys("socket(AF_INET, SOCK_RAW, 112)"))?;
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
