//! The network interface a VRRP instance runs on.

use std::net::{Ipv4Addr, Ipv6Addr};

use nix::ifaddrs::getifaddrs;
use nix::sys::socket::LinkAddr;

use super::error::{errno, IoError};

/// An interface as seen when it was looked up: index, MAC and the
/// addresses VRRP sends from.
#[derive(Debug, Clone)]
pub struct Interface {
    /// Name, e.g. `eth0`.
    pub name: String,
    /// Kernel interface index.
    pub index: u32,
    /// Hardware address.
    pub mac: [u8; 6],
    /// The first (primary) IPv4 address: the source of IPv4 adverts.
    pub ipv4: Option<Ipv4Addr>,
    /// The first link-local IPv6 address: the source of IPv6 adverts.
    pub link_local: Option<Ipv6Addr>,
    /// The link-layer address of the interface, used to send frames on it.
    pub(crate) link: LinkAddr,
}

/// Whether `addr` is in fe80::/10 (`Ipv6Addr::is_unicast_link_local` is
/// newer than the crate's minimum Rust).
pub(crate) fn is_link_local(addr: Ipv6Addr) -> bool {
    addr.segments()[0] & 0xffc0 == 0xfe80
}

impl Interface {
    /// Looks `name` up in the current network namespace.
    pub fn lookup(name: &str) -> Result<Self, IoError> {
        let mut link = None;
        let mut ipv4 = None;
        let mut link_local = None;
        for entry in getifaddrs().map_err(errno("getifaddrs"))? {
            if entry.interface_name != name {
                continue;
            }
            let Some(address) = entry.address else {
                continue;
            };
            if let Some(l) = address.as_link_addr() {
                link = Some(*l);
            } else if let Some(v4) = address.as_sockaddr_in() {
                ipv4 = ipv4.or(Some(v4.ip()));
            } else if let Some(v6) = address.as_sockaddr_in6() {
                if is_link_local(v6.ip()) {
                    link_local = link_local.or(Some(v6.ip()));
                }
            }
        }
        let missing = |reason| IoError::Interface {
            name: name.to_string(),
            reason,
        };
        let link = link.ok_or_else(|| missing("no such interface"))?;
        let mac = link.addr().ok_or_else(|| missing("no Ethernet address"))?;
        let index = u32::try_from(link.ifindex()).map_err(|_| missing("bad index"))?;
        Ok(Interface {
            name: name.to_string(),
            index,
            mac,
            ipv4,
            link_local,
            link,
        })
    }
}
