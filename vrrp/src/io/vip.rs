//! Adding and removing virtual addresses through rtnetlink (`neli`).

use std::net::IpAddr;

use neli::consts::nl::{NlmF, NlmFFlags};
use neli::consts::rtnl::{Ifa, IfaF, IfaFFlags, RtAddrFamily, RtScope, Rtm};
use neli::consts::socket::NlFamily;
use neli::nl::{NlPayload, Nlmsghdr};
use neli::rtnl::{Ifaddrmsg, Rtattr};
use neli::socket::NlSocketHandle;
use neli::types::{Buffer, RtBuffer};

use super::error::IoError;

/// `EEXIST`: adding an address that is there.
const EEXIST: i32 = 17;
/// `EADDRNOTAVAIL`: removing an address that is not there.
const EADDRNOTAVAIL: i32 = 99;

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
    socket: NlSocketHandle,
}

impl std::fmt::Debug for VipTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VipTable").finish_non_exhaustive()
    }
}

impl VipTable {
    /// Opens the rtnetlink socket (in the current network namespace).
    pub fn open() -> Result<Self, IoError> {
        let socket = NlSocketHandle::connect(NlFamily::Route, None, &[])
            .map_err(|e| IoError::Netlink(format!("connect: {e}")))?;
        Ok(VipTable { socket })
    }

    /// Adds `vip` to the interface `ifindex` (IPv6 ones without duplicate
    /// address detection, as keepalived does). Present already is fine.
    pub fn add(&mut self, ifindex: u32, vip: Vip) -> Result<(), IoError> {
        let flags = [NlmF::Request, NlmF::Ack, NlmF::Create, NlmF::Excl];
        self.request(Rtm::Newaddr, &flags, ifindex, vip, EEXIST)
    }

    /// Removes `vip` from the interface `ifindex`. Absent already is fine.
    pub fn remove(&mut self, ifindex: u32, vip: Vip) -> Result<(), IoError> {
        self.request(
            Rtm::Deladdr,
            &[NlmF::Request, NlmF::Ack],
            ifindex,
            vip,
            EADDRNOTAVAIL,
        )
    }

    /// Sends one address request and waits for its acknowledgement; the
    /// errno `benign` counts as success.
    fn request(
        &mut self,
        kind: Rtm,
        flags: &[NlmF],
        ifindex: u32,
        vip: Vip,
        benign: i32,
    ) -> Result<(), IoError> {
        let message = address_message(ifindex, vip)?;
        let header = Nlmsghdr::new(
            None,
            kind,
            NlmFFlags::new(flags),
            None,
            None,
            NlPayload::Payload(message),
        );
        self.socket
            .send(header)
            .map_err(|e| IoError::Netlink(format!("send: {e}")))?;
        match self.socket.recv::<u16, Buffer>() {
            Ok(_) => Ok(()),
            Err(neli::err::NlError::Nlmsgerr(e)) if e.error == 0 => Ok(()),
            Err(neli::err::NlError::Nlmsgerr(e)) if e.error.abs() == benign => Ok(()),
            Err(e) => Err(IoError::Netlink(format!(
                "{} {}: {e}",
                kind_name(kind),
                vip.addr
            ))),
        }
    }
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
/// `IFA_ADDRESS` both the address.
fn address_message(ifindex: u32, vip: Vip) -> Result<Ifaddrmsg, IoError> {
    let (family, octets, flags, scope): (_, Vec<u8>, _, _) = match vip.addr {
        IpAddr::V4(a) => (
            RtAddrFamily::Inet,
            a.octets().to_vec(),
            IfaFFlags::empty(),
            RtScope::Universe,
        ),
        IpAddr::V6(a) => {
            let scope = if super::iface::is_link_local(a) {
                RtScope::Link
            } else {
                RtScope::Universe
            };
            (
                RtAddrFamily::Inet6,
                a.octets().to_vec(),
                IfaFFlags::new(&[IfaF::Nodad]),
                scope,
            )
        }
    };
    let bad = |e: neli::err::SerError| IoError::Netlink(format!("attribute: {e}"));
    let mut attrs = RtBuffer::new();
    attrs.push(Rtattr::new(None, Ifa::Local, Buffer::from(octets.clone())).map_err(bad)?);
    attrs.push(Rtattr::new(None, Ifa::Address, Buffer::from(octets)).map_err(bad)?);
    Ok(Ifaddrmsg {
        ifa_family: family,
        ifa_prefixlen: vip.prefix_len,
        ifa_flags: flags,
        ifa_scope: scope.into(),
        ifa_index: i32::try_from(ifindex)
            .map_err(|_| IoError::Netlink("interface index".into()))?,
        rtattrs: attrs,
    })
}
