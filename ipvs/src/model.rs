//! The typed model: services, destinations, statistics, timeouts, the sync
//! daemon and the module's version information, as plain structs with
//! builder-style setters.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// An address family (`AF_INET` or `AF_INET6`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AddressFamily {
    /// IPv4 (`AF_INET`, 2).
    Inet,
    /// IPv6 (`AF_INET6`, 10).
    Inet6,
}

impl AddressFamily {
    /// The kernel's number for this family.
    pub fn to_raw(self) -> u16 {
        match self {
            AddressFamily::Inet => 2,
            AddressFamily::Inet6 => 10,
        }
    }

    /// The family for a kernel number, if it is one IPVS knows.
    pub fn from_raw(raw: u16) -> Option<Self> {
        match raw {
            2 => Some(AddressFamily::Inet),
            10 => Some(AddressFamily::Inet6),
            _ => None,
        }
    }

    /// The family of an address.
    pub fn of(addr: &IpAddr) -> Self {
        match addr {
            IpAddr::V4(_) => AddressFamily::Inet,
            IpAddr::V6(_) => AddressFamily::Inet6,
        }
    }
}

/// The transport protocol of an address-based service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// TCP (`IPPROTO_TCP`, 6).
    Tcp,
    /// UDP (`IPPROTO_UDP`, 17).
    Udp,
    /// SCTP (`IPPROTO_SCTP`, 132).
    Sctp,
}

impl Protocol {
    /// The IP protocol number.
    pub fn to_raw(self) -> u16 {
        match self {
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Sctp => 132,
        }
    }

    /// The protocol for an IP protocol number, if IPVS balances it.
    pub fn from_raw(raw: u16) -> Option<Self> {
        match raw {
            6 => Some(Protocol::Tcp),
            17 => Some(Protocol::Udp),
            132 => Some(Protocol::Sctp),
            _ => None,
        }
    }

    /// The name ipvsadm prints (`TCP`, `UDP`, `SCTP`).
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

/// What identifies a virtual service: protocol + address + port, or a
/// firewall mark (with the family of the packets it marks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKey {
    /// A service on an address and port.
    Addr {
        /// TCP, UDP or SCTP.
        protocol: Protocol,
        /// The virtual address and port.
        addr: SocketAddr,
    },
    /// A service matching packets carrying a firewall mark.
    Fwmark {
        /// The family of the marked packets.
        af: AddressFamily,
        /// The mark (non-zero).
        mark: u32,
    },
}

impl ServiceKey {
    /// A TCP service.
    pub fn tcp(addr: SocketAddr) -> Self {
        ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr,
        }
    }

    /// A UDP service.
    pub fn udp(addr: SocketAddr) -> Self {
        ServiceKey::Addr {
            protocol: Protocol::Udp,
            addr,
        }
    }

    /// An SCTP service.
    pub fn sctp(addr: SocketAddr) -> Self {
        ServiceKey::Addr {
            protocol: Protocol::Sctp,
            addr,
        }
    }

    /// An IPv4 firewall-mark service.
    pub fn fwmark(mark: u32) -> Self {
        ServiceKey::Fwmark {
            af: AddressFamily::Inet,
            mark,
        }
    }

    /// An IPv6 firewall-mark service.
    pub fn fwmark6(mark: u32) -> Self {
        ServiceKey::Fwmark {
            af: AddressFamily::Inet6,
            mark,
        }
    }

    /// The service's address family.
    pub fn af(&self) -> AddressFamily {
        match self {
            ServiceKey::Addr { addr, .. } => AddressFamily::of(&addr.ip()),
            ServiceKey::Fwmark { af, .. } => *af,
        }
    }
}

impl fmt::Display for ServiceKey {
    /// ipvsadm's numeric form: `TCP  192.0.2.10:80`, `FWM  42`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceKey::Addr { protocol, addr } => write!(f, "{:<4} {}", protocol.name(), addr),
            ServiceKey::Fwmark { mark, .. } => write!(f, "FWM  {mark}"),
        }
    }
}

/// Service flags (`IP_VS_SVC_F_*`), a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct ServiceFlags(pub u32);

impl ServiceFlags {
    /// Persistent service (`-p`).
    pub const PERSISTENT: ServiceFlags = ServiceFlags(0x0001);
    /// Set by the kernel on a service in its hash table (read only).
    pub const HASHED: ServiceFlags = ServiceFlags(0x0002);
    /// One-packet scheduling (`-o`, UDP).
    pub const ONE_PACKET: ServiceFlags = ServiceFlags(0x0004);
    /// Scheduler flag 1: `sh-fallback` / `mh-fallback`.
    pub const SCHED1: ServiceFlags = ServiceFlags(0x0008);
    /// Scheduler flag 2: `sh-port` / `mh-port`.
    pub const SCHED2: ServiceFlags = ServiceFlags(0x0010);
    /// Scheduler flag 3 (unused by the stock schedulers).
    pub const SCHED3: ServiceFlags = ServiceFlags(0x0020);
    /// `sh-fallback`: the sh scheduler skips overloaded servers.
    pub const SH_FALLBACK: ServiceFlags = Self::SCHED1;
    /// `sh-port`: the sh scheduler hashes the source port too.
    pub const SH_PORT: ServiceFlags = Self::SCHED2;

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: ServiceFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union of both sets.
    pub fn union(self, other: ServiceFlags) -> ServiceFlags {
        ServiceFlags(self.0 | other.0)
    }

    /// This set without the bits of `other`.
    pub fn without(self, other: ServiceFlags) -> ServiceFlags {
        ServiceFlags(self.0 & !other.0)
    }
}

/// A virtual service's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Service {
    /// What the service matches.
    pub key: ServiceKey,
    /// Scheduler name (`rr`, `wlc`, `sh`, ...).
    pub scheduler: String,
    /// Flags (persistence, one-packet, scheduler flags).
    pub flags: ServiceFlags,
    /// Persistence timeout in seconds (0 without persistence).
    pub timeout: u32,
    /// Persistence granularity: for IPv4 the netmask as a number
    /// (`0xffff_ff00` for 255.255.255.0), for IPv6 the prefix length.
    pub netmask: u32,
    /// Persistence engine name (`sip`), if any.
    pub pe_name: Option<String>,
}

impl Service {
    /// A service with the `wlc` scheduler (ipvsadm's default), no
    /// persistence and the widest persistence netmask.
    pub fn new(key: ServiceKey) -> Self {
        let netmask = match key.af() {
            AddressFamily::Inet => u32::MAX,
            AddressFamily::Inet6 => 128,
        };
        Service {
            key,
            scheduler: "wlc".to_string(),
            flags: ServiceFlags::default(),
            timeout: 0,
            netmask,
            pe_name: None,
        }
    }

    /// Sets the scheduler.
    pub fn scheduler(mut self, name: &str) -> Self {
        self.scheduler = name.to_string();
        self
    }

    /// Makes the service persistent for `timeout` seconds.
    pub fn persistent(mut self, timeout: u32) -> Self {
        self.flags = self.flags.union(ServiceFlags::PERSISTENT);
        self.timeout = timeout;
        self
    }

    /// Sets the persistence netmask of an IPv4 service.
    pub fn netmask_v4(mut self, mask: Ipv4Addr) -> Self {
        self.netmask = u32::from(mask);
        self
    }

    /// Sets the persistence prefix length of an IPv6 service.
    pub fn prefix_v6(mut self, len: u8) -> Self {
        self.netmask = u32::from(len);
        self
    }

    /// Adds flags.
    pub fn flags(mut self, flags: ServiceFlags) -> Self {
        self.flags = self.flags.union(flags);
        self
    }

    /// Sets the persistence engine.
    pub fn pe(mut self, name: &str) -> Self {
        self.pe_name = Some(name.to_string());
        self
    }
}

/// A tunnel encapsulation (`IP_VS_CONN_F_TUNNEL_TYPE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TunnelType {
    /// IP in IP (the default).
    #[default]
    Ipip,
    /// Generic UDP encapsulation.
    Gue,
    /// Generic routing encapsulation.
    Gre,
}

impl TunnelType {
    /// The kernel's number.
    pub fn to_raw(self) -> u8 {
        match self {
            TunnelType::Ipip => 0,
            TunnelType::Gue => 1,
            TunnelType::Gre => 2,
        }
    }

    /// The type for a kernel number.
    pub fn from_raw(raw: u8) -> Option<Self> {
        match raw {
            0 => Some(TunnelType::Ipip),
            1 => Some(TunnelType::Gue),
            2 => Some(TunnelType::Gre),
            _ => None,
        }
    }
}

/// Tunnel encapsulation flags (`IP_VS_TUNNEL_ENCAP_FLAG_*`): 0 is
/// "no checksum".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TunnelFlags(pub u16);

impl TunnelFlags {
    /// No checksum (`--tun-nocsum`).
    pub const NOCSUM: TunnelFlags = TunnelFlags(0);
    /// Checksum (`--tun-csum`).
    pub const CSUM: TunnelFlags = TunnelFlags(1);
    /// Remote checksum offload (`--tun-remcsum`).
    pub const REMCSUM: TunnelFlags = TunnelFlags(2);
}

/// Tunnel parameters of a tunnelling destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Tunnel {
    /// Encapsulation.
    pub kind: TunnelType,
    /// UDP destination port (GUE), 0 otherwise.
    pub port: u16,
    /// Encapsulation flags.
    pub flags: TunnelFlags,
}

/// How packets reach a destination (`IP_VS_CONN_F_FWD_MASK`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ForwardMethod {
    /// NAT (`-m`, "Masq").
    Masquerade,
    /// Local node ("Local").
    Local,
    /// IP tunnelling (`-i`, "Tunnel").
    Tunnel(Tunnel),
    /// Direct routing (`-g`, "Route").
    Route,
    /// Bypass ("Bypass"; not settable by ipvsadm).
    Bypass,
}

impl ForwardMethod {
    /// The kernel's forwarding number.
    pub fn to_raw(self) -> u32 {
        match self {
            ForwardMethod::Masquerade => 0,
            ForwardMethod::Local => 1,
            ForwardMethod::Tunnel(_) => 2,
            ForwardMethod::Route => 3,
            ForwardMethod::Bypass => 4,
        }
    }

    /// The name ipvsadm prints.
    pub fn name(self) -> &'static str {
        match self {
            ForwardMethod::Masquerade => "Masq",
            ForwardMethod::Local => "Local",
            ForwardMethod::Tunnel(_) => "Tunnel",
            ForwardMethod::Route => "Route",
            ForwardMethod::Bypass => "Bypass",
        }
    }
}

/// A real server of a service.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Destination {
    /// Its address and port (its family is the destination's family).
    pub addr: SocketAddr,
    /// How packets reach it.
    pub forward: ForwardMethod,
    /// Weight (0 quiesces it).
    pub weight: u32,
    /// Upper connection threshold (0: none).
    pub upper_threshold: u32,
    /// Lower connection threshold (0: none).
    pub lower_threshold: u32,
}

impl Destination {
    /// A destination reached by NAT with weight 1.
    pub fn new(addr: SocketAddr) -> Self {
        Destination {
            addr,
            forward: ForwardMethod::Masquerade,
            weight: 1,
            upper_threshold: 0,
            lower_threshold: 0,
        }
    }

    /// Sets the forwarding method.
    pub fn forward(mut self, forward: ForwardMethod) -> Self {
        self.forward = forward;
        self
    }

    /// Sets the weight.
    pub fn weight(mut self, weight: u32) -> Self {
        self.weight = weight;
        self
    }

    /// Sets the upper and lower connection thresholds.
    pub fn thresholds(mut self, upper: u32, lower: u32) -> Self {
        self.upper_threshold = upper;
        self.lower_threshold = lower;
        self
    }

    /// The destination's address family.
    pub fn af(&self) -> AddressFamily {
        AddressFamily::of(&self.addr.ip())
    }
}

/// Counters and rates as the 32-bit `IPVS_*_ATTR_STATS` carries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Stats {
    /// Connections scheduled.
    pub conns: u32,
    /// Incoming packets.
    pub in_pkts: u32,
    /// Outgoing packets.
    pub out_pkts: u32,
    /// Incoming bytes.
    pub in_bytes: u64,
    /// Outgoing bytes.
    pub out_bytes: u64,
    /// Connections per second.
    pub cps: u32,
    /// Incoming packets per second.
    pub in_pps: u32,
    /// Outgoing packets per second.
    pub out_pps: u32,
    /// Incoming bytes per second.
    pub in_bps: u32,
    /// Outgoing bytes per second.
    pub out_bps: u32,
}

/// Counters and rates as `IPVS_*_ATTR_STATS64` carries them (all 64-bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Stats64 {
    /// Connections scheduled.
    pub conns: u64,
    /// Incoming packets.
    pub in_pkts: u64,
    /// Outgoing packets.
    pub out_pkts: u64,
    /// Incoming bytes.
    pub in_bytes: u64,
    /// Outgoing bytes.
    pub out_bytes: u64,
    /// Connections per second.
    pub cps: u64,
    /// Incoming packets per second.
    pub in_pps: u64,
    /// Outgoing packets per second.
    pub out_pps: u64,
    /// Incoming bytes per second.
    pub in_bps: u64,
    /// Outgoing bytes per second.
    pub out_bps: u64,
}

/// A service as the kernel reports it: configuration and counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEntry {
    /// The configuration.
    pub service: Service,
    /// 32-bit counters, when reported.
    pub stats: Option<Stats>,
    /// 64-bit counters, when reported.
    pub stats64: Option<Stats64>,
}

/// A destination as the kernel reports it: configuration, connection
/// counters and statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationEntry {
    /// The configuration.
    pub destination: Destination,
    /// Active (established) connections.
    pub active_conns: u32,
    /// Inactive connections.
    pub inactive_conns: u32,
    /// Persistence templates.
    pub persistent_conns: u32,
    /// 32-bit counters, when reported.
    pub stats: Option<Stats>,
    /// 64-bit counters, when reported.
    pub stats64: Option<Stats64>,
}

/// The role of a connection sync daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DaemonState {
    /// Sends connection state (`IP_VS_STATE_MASTER`, 1).
    Master,
    /// Receives connection state (`IP_VS_STATE_BACKUP`, 2).
    Backup,
}

impl DaemonState {
    /// The kernel's number.
    pub fn to_raw(self) -> u32 {
        match self {
            DaemonState::Master => 1,
            DaemonState::Backup => 2,
        }
    }

    /// The state for a kernel number.
    pub fn from_raw(raw: u32) -> Option<Self> {
        match raw {
            1 => Some(DaemonState::Master),
            2 => Some(DaemonState::Backup),
            _ => None,
        }
    }

    /// `master` or `backup`.
    pub fn name(self) -> &'static str {
        match self {
            DaemonState::Master => "master",
            DaemonState::Backup => "backup",
        }
    }
}

/// A connection sync daemon's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Daemon {
    /// Master or backup.
    pub state: DaemonState,
    /// Multicast interface name.
    pub interface: String,
    /// Sync id (0-255).
    pub sync_id: u32,
    /// Maximum sync message length (kernel default from the MTU).
    pub max_len: Option<u16>,
    /// Multicast group (default 224.0.0.81).
    pub mcast_group: Option<IpAddr>,
    /// Multicast UDP port (default 8848).
    pub mcast_port: Option<u16>,
    /// Multicast TTL (default 1).
    pub mcast_ttl: Option<u8>,
}

impl Daemon {
    /// A daemon with kernel defaults for everything but its role,
    /// interface and sync id.
    pub fn new(state: DaemonState, interface: &str, sync_id: u32) -> Self {
        Daemon {
            state,
            interface: interface.to_string(),
            sync_id,
            max_len: None,
            mcast_group: None,
            mcast_port: None,
            mcast_ttl: None,
        }
    }

    /// Sets the maximum sync message length.
    pub fn max_len(mut self, len: u16) -> Self {
        self.max_len = Some(len);
        self
    }

    /// Sets the multicast group.
    pub fn group(mut self, group: IpAddr) -> Self {
        self.mcast_group = Some(group);
        self
    }

    /// Sets the multicast port.
    pub fn port(mut self, port: u16) -> Self {
        self.mcast_port = Some(port);
        self
    }

    /// Sets the multicast TTL.
    pub fn ttl(mut self, ttl: u8) -> Self {
        self.mcast_ttl = Some(ttl);
        self
    }
}

/// Connection timeouts in seconds (0 in a set request: leave unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Timeouts {
    /// Established TCP.
    pub tcp: u32,
    /// TCP after a FIN.
    pub tcp_fin: u32,
    /// UDP.
    pub udp: u32,
}

/// The IPVS module's version and connection table size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Info {
    /// Version as `major << 16 | minor << 8 | patch`.
    pub version: u32,
    /// Connection hash table size.
    pub conn_table_size: u32,
}

impl Info {
    /// The version as `(major, minor, patch)`.
    pub fn version_triplet(&self) -> (u32, u32, u32) {
        (
            (self.version >> 16) & 0xff,
            (self.version >> 8) & 0xff,
            self.version & 0xff,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_defaults_follow_ipvsadm() {
        let v4 = Service::new(ServiceKey::tcp("192.0.2.10:80".parse().unwrap()));
        assert_eq!(v4.scheduler, "wlc");
        assert_eq!(v4.netmask, 0xffff_ffff);
        let v6 = Service::new(ServiceKey::tcp("[2001:db8::10]:443".parse().unwrap()));
        assert_eq!(v6.netmask, 128);
        assert_eq!(ServiceKey::fwmark6(1).af(), AddressFamily::Inet6);
    }

    #[test]
    fn builders_set_flags() {
        let s = Service::new(ServiceKey::fwmark(42))
            .persistent(300)
            .flags(ServiceFlags::SH_PORT)
            .netmask_v4(Ipv4Addr::new(255, 255, 255, 0));
        assert_eq!(s.flags, ServiceFlags(0x11));
        assert_eq!(s.timeout, 300);
        assert_eq!(s.netmask, 0xffff_ff00);
    }

    #[test]
    fn version_triplet_splits_bytes() {
        let info = Info {
            version: 0x0001_0201,
            conn_table_size: 4096,
        };
        assert_eq!(info.version_triplet(), (1, 2, 1));
    }

    #[test]
    fn display_matches_ipvsadm_numeric() {
        let k = ServiceKey::udp("192.0.2.11:53".parse().unwrap());
        assert_eq!(k.to_string(), "UDP  192.0.2.11:53");
        assert_eq!(ServiceKey::fwmark(42).to_string(), "FWM  42");
    }
}
