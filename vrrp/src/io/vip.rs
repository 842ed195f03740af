//! Adding and removing virtual addresses through rtnetlink (`neli`).

use std::net::IpAddr;

use neli::consts::nl::NlmF;
use neli::consts::rtnl::{Ifa, IfaF, RtAddrFamily, RtScope, Rtm};
use neli::consts::socket::{Msg, NlFamily};
use neli::nl::{NlPayload, NlmsghdrBuilder};
use neli::rtnl::{Ifaddrmsg, IfaddrmsgBuilder, RtattrBuilder};
use neli::socket::NlSocket;
use neli::types::{Buffer, RtBuffer};
use neli::utils::Groups;
use neli::{Size, ToBytes};

use super::error::IoError;

/// `EEXIST`: adding an address that is there.
const EEXIST: i32 = 17;
/// `EADDRNOTAVAIL`: removing an address that is not there.
const EADDRNOTAVAIL: i32 = 99;
/// `NLMSG_ERROR`: the type of an acknowledgement or error reply.
const NLMSG_ERROR: u16 = 2;
/// Bytes of a netlink message header.
const NLMSG_HDRLEN: usize = 16;
/// Receive buffer for acknowledgements (an error reply echoes the
/// request: well under this).
const ACK_BUF: usize = 8192;

/// A virtual address with its prefix length, as configured
/// (`192.0.2.1/24`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vip {
    /// The address.
    pub addr: IpAddr,
    /// Prefix length.
    pub prefix_len: u8,
}

/// An rtnetlink socket that adds and removes virtual addresses. The
/// calls block for one netlink round trip (microseconds).
pub struct VipTable {
    socket: NlSocket,
    seq: u32,
    buf: Vec<u8>,
}

impl std::fmt::Debug for VipTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VipTable").finish_non_exhaustive()
    }
}

impl VipTable {
    /// Opens the rtnetlink socket (in the current network namespace).
    pub fn open() -> Result<Self, IoError> {
        let socket = NlSocket::connect(NlFamily::Route, None, Groups::empty())
            .map_err(|e| IoError::Netlink(format!("connect: {e}")))?;
        socket
            .block()
            .map_err(|e| IoError::Netlink(format!("blocking mode: {e}")))?;
        Ok(VipTable {
            socket,
            seq: 0,
            buf: vec![0; ACK_BUF],
        })
    }

    /// Adds `vip` to the interface `ifindex` (IPv6 ones without duplicate
    /// address detection, as keepalived does). Present already is fine.
    pub fn add(&mut self, ifindex: u32, vip: Vip) -> Result<(), IoError> {
        self.add_labeled(ifindex, vip, None)
    }

    /// [`add`](Self::add) with an address label (`IFA_LABEL`, what
    /// `ip addr add ... label eth0:1` sets; IPv4 only, the kernel ignores
    /// it for IPv6). The kernel wants the label to start with the
    /// interface's name and be at most 15 bytes.
    pub fn add_labeled(
        &mut self,
        ifindex: u32,
        vip: Vip,
        label: Option<&str>,
    ) -> Result<(), IoError> {
        let flags = NlmF::REQUEST | NlmF::ACK | NlmF::CREATE | NlmF::EXCL;
        let label = label.filter(|_| vip.addr.is_ipv4());
        self.request(Rtm::Newaddr, flags, ifindex, vip, label, EEXIST)
    }

    /// Removes `vip` from the interface `ifindex`. Absent already is fine.
    pub fn remove(&mut self, ifindex: u32, vip: Vip) -> Result<(), IoError> {
        let flags = NlmF::REQUEST | NlmF::ACK;
        self.request(Rtm::Deladdr, flags, ifindex, vip, None, EADDRNOTAVAIL)
    }

    /// Sends one address request and waits for its acknowledgement; the
    /// errno `benign` counts as success.
    fn request(
        &mut self,
        kind: Rtm,
        flags: NlmF,
        ifindex: u32,
        vip: Vip,
        label: Option<&str>,
        benign: i32,
    ) -> Result<(), IoError> {
        let failed =
            |what: String| IoError::Netlink(format!("{} {}: {what}", kind_name(kind), vip.addr));
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let message = NlmsghdrBuilder::default()
            .nl_type(kind)
            .nl_flags(flags)
            .nl_seq(seq)
            .nl_payload(NlPayload::Payload(address_message(ifindex, vip, label)?))
            .build()
            .map_err(|e| failed(e.to_string()))?;
        let mut bytes = std::io::Cursor::new(Vec::with_capacity(message.padded_size()));
        message
            .to_bytes(&mut bytes)
            .map_err(|e| failed(e.to_string()))?;
        self.socket
            .send(bytes.get_ref(), Msg::empty())
            .map_err(|e| failed(format!("send: {e}")))?;
        loop {
            let (n, _) = self
                .socket
                .recv(&mut self.buf[..], Msg::empty())
                .map_err(|e| failed(format!("recv: {e}")))?;
            let got = self.buf.get(..n).unwrap_or_default();
            match ack_errno(got, seq) {
                Some(0) => return Ok(()),
                Some(e) if e == benign => return Ok(()),
                Some(e) => return Err(failed(std::io::Error::from_raw_os_error(e).to_string())),
                // Not the answer to this request: read on.
                None => {}
            }
        }
    }
}

/// The errno (positive; 0 for success) of the `NLMSG_ERROR` reply to
/// request `seq` in one received datagram, if it holds one.
fn ack_errno(mut datagram: &[u8], seq: u32) -> Option<i32> {
    while datagram.len() >= NLMSG_HDRLEN {
        let word = |at: usize| -> Option<[u8; 4]> { datagram.get(at..at + 4)?.try_into().ok() };
        let len = usize::try_from(u32::from_ne_bytes(word(0)?)).ok()?;
        let kind = u16::from_ne_bytes(datagram.get(4..6)?.try_into().ok()?);
        let got_seq = u32::from_ne_bytes(word(8)?);
        if len < NLMSG_HDRLEN || len > datagram.len() {
            return None;
        }
        if kind == NLMSG_ERROR && got_seq == seq {
            let code = i32::from_ne_bytes(word(NLMSG_HDRLEN)?);
            return Some(code.checked_neg().unwrap_or(i32::MAX));
        }
        // Messages are aligned to 4 bytes.
        let next = len.checked_add(3).map(|l| l & !3)?;
        datagram = datagram.get(next..).unwrap_or_default();
    }
    None
}

/// A readable name of the request.
fn kind_name(kind: Rtm) -> &'static str {
    if kind == Rtm::Newaddr {
        "add"
    } else {
        "delete"
    }
}

/// The `ifaddrmsg` for `vip` on `ifindex`, with `IFA_LOCAL` and
/// `IFA_ADDRESS` both the address, and `IFA_LABEL` when labelled.
fn address_message(ifindex: u32, vip: Vip, label: Option<&str>) -> Result<Ifaddrmsg, IoError> {
    let (family, octets, flags, scope): (_, Vec<u8>, _, _) = match vip.addr {
        IpAddr::V4(a) => (
            RtAddrFamily::Inet,
            a.octets().to_vec(),
            IfaF::empty(),
            RtScope::Universe,
        ),
        IpAddr::V6(a) => {
            let scope = if super::iface::is_link_local(a) {
                RtScope::Link
            } else {
                RtScope::Universe
            };
            (RtAddrFamily::Inet6, a.octets().to_vec(), IfaF::NODAD, scope)
        }
    };
    let bad = |e: String| IoError::Netlink(format!("attribute: {e}"));
    let mut attrs = RtBuffer::new();
    for kind in [Ifa::Local, Ifa::Address] {
        let attr = RtattrBuilder::default()
            .rta_type(kind)
            .rta_payload(Buffer::from(octets.clone()))
            .build()
            .map_err(|e| bad(e.to_string()))?;
        attrs.push(attr);
    }
    if let Some(label) = label {
        // A NUL-terminated string.
        let mut text = label.as_bytes().to_vec();
        text.push(0);
        let attr = RtattrBuilder::default()
            .rta_type(Ifa::Label)
            .rta_payload(Buffer::from(text))
            .build()
            .map_err(|e| bad(e.to_string()))?;
        attrs.push(attr);
    }
    IfaddrmsgBuilder::default()
        .ifa_family(family)
        .ifa_prefixlen(vip.prefix_len)
        .ifa_flags(flags)
        .ifa_scope(scope)
        .ifa_index(ifindex)
        .rtattrs(attrs)
        .build()
        .map_err(|e| bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A netlink header of `len` bytes, type `kind`, sequence `seq`.
    fn header(len: u32, kind: u16, seq: u32) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(&len.to_ne_bytes());
        h.extend_from_slice(&kind.to_ne_bytes());
        h.extend_from_slice(&0u16.to_ne_bytes());
        h.extend_from_slice(&seq.to_ne_bytes());
        h.extend_from_slice(&0u32.to_ne_bytes());
        h
    }

    #[test]
    fn a_label_becomes_ifa_label() {
        let vip = Vip {
            addr: IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1)),
            prefix_len: 24,
        };
        let bytes = |label| {
            let msg = address_message(3, vip, label).unwrap();
            let mut out = std::io::Cursor::new(Vec::new());
            msg.to_bytes(&mut out).unwrap();
            out.into_inner()
        };
        // rtattr: length 4 + 7 ("eth0:1" and its NUL) = 11, type
        // IFA_LABEL (3), then the text.
        let mut attr = 11u16.to_ne_bytes().to_vec();
        attr.extend_from_slice(&3u16.to_ne_bytes());
        attr.extend_from_slice(b"eth0:1\0");
        let labelled = bytes(Some("eth0:1"));
        assert!(labelled.windows(attr.len()).any(|w| w == attr));
        assert!(!bytes(None).windows(6).any(|w| w == b"eth0:1"));
    }

    #[test]
    fn finds_the_reply_to_its_request() {
        // An unrelated 20-byte message first, then the error reply (-EEXIST)
        // to sequence 7.
        let mut d = header(20, 16, 3);
        d.extend_from_slice(&[0; 4]);
        d.extend(header(20, NLMSG_ERROR, 7));
        d.extend_from_slice(&(-17i32).to_ne_bytes());
        assert_eq!(ack_errno(&d, 7), Some(EEXIST));
        assert_eq!(ack_errno(&d, 8), None);
        // Truncated or lying lengths end the walk.
        assert_eq!(ack_errno(&d[..30], 7), None);
        let mut lying = header(200, NLMSG_ERROR, 7);
        lying.extend_from_slice(&0i32.to_ne_bytes());
        assert_eq!(ack_errno(&lying, 7), None);
    }
}
