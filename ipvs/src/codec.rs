//! The IPVS generic-netlink vocabulary (`include/uapi/linux/ip_vs.h`):
//! commands, attribute numbers, and the encoding of the typed model into
//! attributes and back.
//!
//! Requests are laid out in the order ipvsadm (libipvs) uses, so a
//! service or destination being created or edited is byte-for-byte what
//! ipvsadm sends. Objects that only name something (the service of a
//! destination operation, a deleted service) carry only their identity.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::attr::{self, AttrIter, AttrWriter};
use crate::error::DecodeError;
use crate::model::*;

/// An IPVS generic-netlink command (`IPVS_CMD_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Command {
    /// Add a service; also the command of service dump replies.
    NewService,
    /// Edit a service.
    SetService,
    /// Delete a service.
    DelService,
    /// Get one service or dump all.
    GetService,
    /// Add a destination; also the command of destination dump replies.
    NewDest,
    /// Edit a destination.
    SetDest,
    /// Delete a destination.
    DelDest,
    /// Dump a service's destinations.
    GetDest,
    /// Start a sync daemon; also the command of daemon dump replies.
    NewDaemon,
    /// Stop a sync daemon.
    DelDaemon,
    /// Dump the sync daemons.
    GetDaemon,
    /// Set timeouts; also the command of the timeouts reply.
    SetConfig,
    /// Get timeouts.
    GetConfig,
    /// The command of the info reply.
    SetInfo,
    /// Get version and table size.
    GetInfo,
    /// Zero counters (of one service, or all).
    Zero,
    /// Delete every service.
    Flush,
}

impl Command {
    /// Every command, in number order.
    pub const ALL: [Command; 17] = [
        Command::NewService,
        Command::SetService,
        Command::DelService,
        Command::GetService,
        Command::NewDest,
        Command::SetDest,
        Command::DelDest,
        Command::GetDest,
        Command::NewDaemon,
        Command::DelDaemon,
        Command::GetDaemon,
        Command::SetConfig,
        Command::GetConfig,
        Command::SetInfo,
        Command::GetInfo,
        Command::Zero,
        Command::Flush,
    ];

    /// The command's number (1..=17).
    pub fn to_raw(self) -> u8 {
        let index = Self::ALL.iter().position(|&c| c == self).unwrap_or(0);
        // ALL has 17 entries: the index always fits.
        (index as u8) + 1
    }

    /// The command for a number.
    pub fn from_raw(raw: u8) -> Option<Self> {
        Self::ALL.get(usize::from(raw).checked_sub(1)?).copied()
    }
}

/// Top-level attributes (`IPVS_CMD_ATTR_*`).
pub(crate) mod cmd_attr {
    pub(crate) const SERVICE: u16 = 1;
    pub(crate) const DEST: u16 = 2;
    pub(crate) const DAEMON: u16 = 3;
    pub(crate) const TIMEOUT_TCP: u16 = 4;
    pub(crate) const TIMEOUT_TCP_FIN: u16 = 5;
    pub(crate) const TIMEOUT_UDP: u16 = 6;
}

/// Service attributes (`IPVS_SVC_ATTR_*`).
mod svc {
    pub(super) const AF: u16 = 1;
    pub(super) const PROTOCOL: u16 = 2;
    pub(super) const ADDR: u16 = 3;
    pub(super) const PORT: u16 = 4;
    pub(super) const FWMARK: u16 = 5;
    pub(super) const SCHED_NAME: u16 = 6;
    pub(super) const FLAGS: u16 = 7;
    pub(super) const TIMEOUT: u16 = 8;
    pub(super) const NETMASK: u16 = 9;
    pub(super) const STATS: u16 = 10;
    pub(super) const PE_NAME: u16 = 11;
    pub(super) const STATS64: u16 = 12;
}

/// Destination attributes (`IPVS_DEST_ATTR_*`).
mod dest {
    pub(super) const ADDR: u16 = 1;
    pub(super) const PORT: u16 = 2;
    pub(super) const FWD_METHOD: u16 = 3;
    pub(super) const WEIGHT: u16 = 4;
    pub(super) const U_THRESH: u16 = 5;
    pub(super) const L_THRESH: u16 = 6;
    pub(super) const ACTIVE_CONNS: u16 = 7;
    pub(super) const INACT_CONNS: u16 = 8;
    pub(super) const PERSIST_CONNS: u16 = 9;
    pub(super) const STATS: u16 = 10;
    pub(super) const ADDR_FAMILY: u16 = 11;
    pub(super) const STATS64: u16 = 12;
    pub(super) const TUN_TYPE: u16 = 13;
    pub(super) const TUN_PORT: u16 = 14;
    pub(super) const TUN_FLAGS: u16 = 15;
}

/// Sync daemon attributes (`IPVS_DAEMON_ATTR_*`).
mod daemon {
    pub(super) const STATE: u16 = 1;
    pub(super) const MCAST_IFN: u16 = 2;
    pub(super) const SYNC_ID: u16 = 3;
    pub(super) const SYNC_MAXLEN: u16 = 4;
    pub(super) const MCAST_GROUP: u16 = 5;
    pub(super) const MCAST_GROUP6: u16 = 6;
    pub(super) const MCAST_PORT: u16 = 7;
    pub(super) const MCAST_TTL: u16 = 8;
}

/// Statistics attributes (`IPVS_STATS_ATTR_*`); 11 is padding.
mod stats {
    pub(super) const CONNS: u16 = 1;
    pub(super) const INPKTS: u16 = 2;
    pub(super) const OUTPKTS: u16 = 3;
    pub(super) const INBYTES: u16 = 4;
    pub(super) const OUTBYTES: u16 = 5;
    pub(super) const CPS: u16 = 6;
    pub(super) const INPPS: u16 = 7;
    pub(super) const OUTPPS: u16 = 8;
    pub(super) const INBPS: u16 = 9;
    pub(super) const OUTBPS: u16 = 10;
}

/// Info attributes (`IPVS_INFO_ATTR_*`), top level of the info reply.
mod info {
    pub(super) const VERSION: u16 = 1;
    pub(super) const CONN_TAB_SIZE: u16 = 2;
}

/// One top-level attribute of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopAttr {
    /// Attribute type (`IPVS_CMD_ATTR_*`).
    pub kind: u16,
    /// Whether it holds nested attributes (sets `NLA_F_NESTED`).
    pub nested: bool,
    /// Payload bytes (nested attributes already laid out).
    pub payload: Vec<u8>,
}

/// What a request names, kept to give errors their context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subject {
    /// The service concerned.
    pub service: Option<ServiceKey>,
    /// The destination concerned.
    pub destination: Option<SocketAddr>,
    /// The scheduler asked for.
    pub scheduler: Option<String>,
    /// The persistence engine asked for.
    pub pe: Option<String>,
}

/// An IPVS request: a command, its attributes, whether it is a dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The command.
    pub cmd: Command,
    /// Top-level attributes, in order.
    pub attrs: Vec<TopAttr>,
    /// Whether the kernel answers with a multi-part dump.
    pub dump: bool,
    /// What the request names.
    pub subject: Subject,
}

impl Request {
    /// A request without attributes.
    fn bare(cmd: Command, dump: bool) -> Self {
        Request {
            cmd,
            attrs: Vec::new(),
            dump,
            subject: Subject::default(),
        }
    }

    /// Appends a nested top-level attribute.
    fn nest(mut self, kind: u16, payload: Vec<u8>) -> Self {
        self.attrs.push(TopAttr {
            kind,
            nested: true,
            payload,
        });
        self
    }

    /// Notes the service named.
    fn about(mut self, key: &ServiceKey) -> Self {
        self.subject.service = Some(*key);
        self
    }

    /// `IPVS_CMD_NEW_SERVICE`.
    pub fn new_service(service: &Service) -> Self {
        Self::bare(Command::NewService, false)
            .nest(cmd_attr::SERVICE, encode_service(service))
            .about_service(service)
    }

    /// `IPVS_CMD_SET_SERVICE` (every field of `service` replaces the
    /// kernel's).
    pub fn set_service(service: &Service) -> Self {
        Self::bare(Command::SetService, false)
            .nest(cmd_attr::SERVICE, encode_service(service))
            .about_service(service)
    }

    /// Notes a full service's key, scheduler and engine.
    fn about_service(mut self, service: &Service) -> Self {
        self.subject.scheduler = Some(service.scheduler.clone());
        self.subject.pe = service.pe_name.clone();
        self.about(&service.key)
    }

    /// `IPVS_CMD_DEL_SERVICE`.
    pub fn del_service(key: &ServiceKey) -> Self {
        Self::bare(Command::DelService, false)
            .nest(cmd_attr::SERVICE, encode_key(key))
            .about(key)
    }

    /// `IPVS_CMD_GET_SERVICE` for one service.
    pub fn get_service(key: &ServiceKey) -> Self {
        Self::bare(Command::GetService, false)
            .nest(cmd_attr::SERVICE, encode_key(key))
            .about(key)
    }

    /// `IPVS_CMD_GET_SERVICE` dump of every service.
    pub fn dump_services() -> Self {
        Self::bare(Command::GetService, true)
    }

    /// A destination command.
    fn dest_cmd(cmd: Command, key: &ServiceKey, d: &Destination, full: bool) -> Self {
        let mut r = Self::bare(cmd, false)
            .nest(cmd_attr::SERVICE, encode_key(key))
            .nest(cmd_attr::DEST, encode_dest(d, full))
            .about(key);
        r.subject.destination = Some(d.addr);
        r
    }

    /// `IPVS_CMD_NEW_DEST`.
    pub fn new_dest(key: &ServiceKey, d: &Destination) -> Self {
        Self::dest_cmd(Command::NewDest, key, d, true)
    }

    /// `IPVS_CMD_SET_DEST` (every field of `d` replaces the kernel's).
    pub fn set_dest(key: &ServiceKey, d: &Destination) -> Self {
        Self::dest_cmd(Command::SetDest, key, d, true)
    }

    /// `IPVS_CMD_DEL_DEST` of the destination at `addr`.
    pub fn del_dest(key: &ServiceKey, addr: SocketAddr) -> Self {
        Self::dest_cmd(Command::DelDest, key, &Destination::new(addr), false)
    }

    /// `IPVS_CMD_GET_DEST`: dump of a service's destinations.
    pub fn dump_dests(key: &ServiceKey) -> Self {
        Self::bare(Command::GetDest, true)
            .nest(cmd_attr::SERVICE, encode_key(key))
            .about(key)
    }

    /// `IPVS_CMD_NEW_DAEMON`.
    pub fn new_daemon(d: &Daemon) -> Self {
        Self::bare(Command::NewDaemon, false).nest(cmd_attr::DAEMON, encode_daemon(d))
    }

    /// `IPVS_CMD_DEL_DAEMON` of the daemon in `state`.
    pub fn del_daemon(state: DaemonState) -> Self {
        let mut w = AttrWriter::new();
        w.u32(daemon::STATE, state.to_raw());
        Self::bare(Command::DelDaemon, false).nest(cmd_attr::DAEMON, w.finish())
    }

    /// `IPVS_CMD_GET_DAEMON` dump.
    pub fn dump_daemons() -> Self {
        Self::bare(Command::GetDaemon, true)
    }

    /// `IPVS_CMD_SET_CONFIG` (a 0 timeout is left unchanged).
    pub fn set_config(t: &Timeouts) -> Self {
        let mut r = Self::bare(Command::SetConfig, false);
        for (kind, v) in [
            (cmd_attr::TIMEOUT_TCP, t.tcp),
            (cmd_attr::TIMEOUT_TCP_FIN, t.tcp_fin),
            (cmd_attr::TIMEOUT_UDP, t.udp),
        ] {
            r.attrs.push(TopAttr {
                kind,
                nested: false,
                payload: v.to_ne_bytes().to_vec(),
            });
        }
        r
    }

    /// `IPVS_CMD_GET_CONFIG`.
    pub fn get_config() -> Self {
        Self::bare(Command::GetConfig, false)
    }

    /// `IPVS_CMD_GET_INFO`.
    pub fn get_info() -> Self {
        Self::bare(Command::GetInfo, false)
    }

    /// `IPVS_CMD_ZERO` of every counter, or of one service's.
    pub fn zero(key: Option<&ServiceKey>) -> Self {
        match key {
            Some(k) => Self::bare(Command::Zero, false)
                .nest(cmd_attr::SERVICE, encode_key(k))
                .about(k),
            None => Self::bare(Command::Zero, false),
        }
    }

    /// `IPVS_CMD_FLUSH`.
    pub fn flush() -> Self {
        Self::bare(Command::Flush, false)
    }

    /// The attributes as bytes (the generic-netlink payload after its
    /// header).
    pub fn attr_bytes(&self) -> Vec<u8> {
        let mut w = AttrWriter::new();
        for a in &self.attrs {
            let kind = if a.nested {
                a.kind | attr::NLA_F_NESTED
            } else {
                a.kind
            };
            w.put(kind, &a.payload);
        }
        w.finish()
    }
}

/// The 16-byte `union nf_inet_addr` of an address.
fn inet_addr(ip: &IpAddr) -> [u8; 16] {
    let mut out = [0u8; 16];
    match ip {
        IpAddr::V4(v4) => out[..4].copy_from_slice(&v4.octets()),
        IpAddr::V6(v6) => out = v6.octets(),
    }
    out
}

/// A service's identity attributes.
fn write_key(w: &mut AttrWriter, key: &ServiceKey) {
    w.u16(svc::AF, key.af().to_raw());
    match key {
        ServiceKey::Addr { protocol, addr } => {
            w.u16(svc::PROTOCOL, protocol.to_raw())
                .put(svc::ADDR, &inet_addr(&addr.ip()))
                .be16(svc::PORT, addr.port());
        }
        ServiceKey::Fwmark { mark, .. } => {
            w.u32(svc::FWMARK, *mark);
        }
    }
}

/// A service's identity as nested attributes.
fn encode_key(key: &ServiceKey) -> Vec<u8> {
    let mut w = AttrWriter::new();
    write_key(&mut w, key);
    w.finish()
}

/// The persistence netmask as the kernel stores it.
fn netmask_bytes(af: AddressFamily, netmask: u32) -> [u8; 4] {
    match af {
        AddressFamily::Inet => netmask.to_be_bytes(),
        AddressFamily::Inet6 => netmask.to_ne_bytes(),
    }
}

/// A full service as nested attributes (libipvs order).
fn encode_service(s: &Service) -> Vec<u8> {
    let mut w = AttrWriter::new();
    write_key(&mut w, &s.key);
    w.str(svc::SCHED_NAME, &s.scheduler);
    if let Some(pe) = &s.pe_name {
        w.str(svc::PE_NAME, pe);
    }
    let mut flags = [0u8; 8];
    flags[..4].copy_from_slice(&s.flags.0.to_ne_bytes());
    flags[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
    w.put(svc::FLAGS, &flags)
        .u32(svc::TIMEOUT, s.timeout)
        .put(svc::NETMASK, &netmask_bytes(s.key.af(), s.netmask));
    w.finish()
}

/// A destination as nested attributes; `full` adds everything beyond its
/// identity (libipvs order).
fn encode_dest(d: &Destination, full: bool) -> Vec<u8> {
    let mut w = AttrWriter::new();
    w.u16(dest::ADDR_FAMILY, d.af().to_raw())
        .put(dest::ADDR, &inet_addr(&d.addr.ip()))
        .be16(dest::PORT, d.addr.port());
    if full {
        let tunnel = match d.forward {
            ForwardMethod::Tunnel(t) => t,
            _ => Tunnel::default(),
        };
        w.u32(dest::FWD_METHOD, d.forward.to_raw())
            .u32(dest::WEIGHT, d.weight)
            .u8(dest::TUN_TYPE, tunnel.kind.to_raw())
            .be16(dest::TUN_PORT, tunnel.port)
            .u16(dest::TUN_FLAGS, tunnel.flags.0)
            .u32(dest::U_THRESH, d.upper_threshold)
            .u32(dest::L_THRESH, d.lower_threshold);
    }
    w.finish()
}

/// A sync daemon as nested attributes.
fn encode_daemon(d: &Daemon) -> Vec<u8> {
    let mut w = AttrWriter::new();
    w.u32(daemon::STATE, d.state.to_raw())
        .str(daemon::MCAST_IFN, &d.interface)
        .u32(daemon::SYNC_ID, d.sync_id);
    if let Some(len) = d.max_len {
        w.u16(daemon::SYNC_MAXLEN, len);
    }
    match d.mcast_group {
        Some(IpAddr::V4(g)) => {
            w.put(daemon::MCAST_GROUP, &g.octets());
        }
        Some(IpAddr::V6(g)) => {
            w.put(daemon::MCAST_GROUP6, &g.octets());
        }
        None => {}
    }
    if let Some(port) = d.mcast_port {
        w.u16(daemon::MCAST_PORT, port);
    }
    if let Some(ttl) = d.mcast_ttl {
        w.u8(daemon::MCAST_TTL, ttl);
    }
    w.finish()
}

/// A decoded IPVS message: whichever objects it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The command.
    pub cmd: Command,
    /// A service (in requests, only its identity may be present: the
    /// other fields are then empty/zero).
    pub service: Option<ServiceEntry>,
    /// A destination (in requests naming one, only its address).
    pub destination: Option<DestinationEntry>,
    /// A sync daemon.
    pub daemon: Option<Daemon>,
    /// Timeouts (`SET_CONFIG`).
    pub timeouts: Option<Timeouts>,
    /// Version information (`SET_INFO`, the info reply).
    pub info: Option<Info>,
}

impl Message {
    /// Decodes the attributes following the generic-netlink header of a
    /// message with command number `cmd`.
    pub fn decode(cmd: u8, attrs: &[u8]) -> Result<Self, DecodeError> {
        Self::decode_attrs(cmd, AttrIter::new(attrs))
    }

    /// Decodes from top-level `(type, payload)` pairs.
    pub fn decode_attrs<'a, I>(cmd: u8, attrs: I) -> Result<Self, DecodeError>
    where
        I: IntoIterator<Item = Result<(u16, &'a [u8]), DecodeError>>,
    {
        let command = Command::from_raw(cmd).ok_or(DecodeError::UnknownCommand(cmd))?;
        let mut msg = Message {
            cmd: command,
            service: None,
            destination: None,
            daemon: None,
            timeouts: None,
            info: None,
        };
        let is_info = command == Command::SetInfo;
        let mut service_af = None;
        let mut dest_payload = None;
        for item in attrs {
            let (kind, payload) = item?;
            if is_info {
                let i = msg.info.get_or_insert_with(Info::default);
                match kind {
                    info::VERSION => i.version = attr::get_u32(kind, payload)?,
                    info::CONN_TAB_SIZE => i.conn_table_size = attr::get_u32(kind, payload)?,
                    _ => {}
                }
                continue;
            }
            match kind {
                cmd_attr::SERVICE => {
                    let s = decode_service(payload)?;
                    service_af = Some(s.service.key.af());
                    msg.service = Some(s);
                }
                cmd_attr::DEST => dest_payload = Some(payload),
                cmd_attr::DAEMON => msg.daemon = Some(decode_daemon(payload)?),
                cmd_attr::TIMEOUT_TCP => {
                    msg.timeouts.get_or_insert_with(Timeouts::default).tcp =
                        attr::get_u32(kind, payload)?;
                }
                cmd_attr::TIMEOUT_TCP_FIN => {
                    msg.timeouts.get_or_insert_with(Timeouts::default).tcp_fin =
                        attr::get_u32(kind, payload)?;
                }
                cmd_attr::TIMEOUT_UDP => {
                    msg.timeouts.get_or_insert_with(Timeouts::default).udp =
                        attr::get_u32(kind, payload)?;
                }
                _ => {}
            }
        }
        if let Some(p) = dest_payload {
            msg.destination = Some(decode_dest(p, service_af)?);
        }
        Ok(msg)
    }
}

/// An address of family `af` from a `union nf_inet_addr` payload.
fn decode_ip(kind: u16, af: AddressFamily, payload: &[u8]) -> Result<IpAddr, DecodeError> {
    Ok(match af {
        AddressFamily::Inet => {
            let b: [u8; 4] = attr::get_be32(kind, payload)?.to_be_bytes();
            IpAddr::V4(Ipv4Addr::from(b))
        }
        AddressFamily::Inet6 => {
            let b = payload.get(..16).ok_or(DecodeError::ShortPayload {
                kind,
                need: 16,
                got: payload.len(),
            })?;
            let mut octets = [0u8; 16];
            octets.copy_from_slice(b);
            IpAddr::V6(Ipv6Addr::from(octets))
        }
    })
}

/// An address family number.
fn decode_af(kind: u16, payload: &[u8]) -> Result<AddressFamily, DecodeError> {
    let raw = attr::get_u16(kind, payload)?;
    AddressFamily::from_raw(raw).ok_or(DecodeError::UnknownValue {
        what: "address family",
        value: u32::from(raw),
    })
}

/// A nested service (configuration and counters).
fn decode_service(bytes: &[u8]) -> Result<ServiceEntry, DecodeError> {
    let mut af = None;
    let mut protocol = None;
    let mut addr = None;
    let mut port = None;
    let mut fwmark = None;
    let mut scheduler = String::new();
    let mut pe_name = None;
    let mut flags = ServiceFlags::default();
    let mut timeout = 0;
    let mut netmask = None;
    let mut stats_v = None;
    let mut stats64_v = None;
    for item in AttrIter::new(bytes) {
        let (kind, p) = item?;
        match kind {
            svc::AF => af = Some(decode_af(kind, p)?),
            svc::PROTOCOL => protocol = Some(attr::get_u16(kind, p)?),
            svc::ADDR => addr = Some(p),
            svc::PORT => port = Some(attr::get_be16(kind, p)?),
            svc::FWMARK => fwmark = Some(attr::get_u32(kind, p)?),
            svc::SCHED_NAME => scheduler = attr::get_str(kind, p)?,
            svc::PE_NAME => pe_name = Some(attr::get_str(kind, p)?).filter(|s| !s.is_empty()),
            svc::FLAGS => flags = ServiceFlags(attr::get_u32(kind, p)?),
            svc::TIMEOUT => timeout = attr::get_u32(kind, p)?,
            svc::NETMASK => netmask = Some(p),
            svc::STATS => stats_v = Some(decode_stats(p)?),
            svc::STATS64 => stats64_v = Some(decode_stats64(p)?),
            _ => {}
        }
    }
    let af = af.ok_or(DecodeError::Missing {
        what: "service",
        attr: "AF",
    })?;
    let key = match (fwmark, protocol, addr, port) {
        (Some(mark), _, _, _) if mark != 0 => ServiceKey::Fwmark { af, mark },
        (_, Some(proto), Some(a), Some(port)) => {
            let protocol = Protocol::from_raw(proto).ok_or(DecodeError::UnknownValue {
                what: "protocol",
                value: u32::from(proto),
            })?;
            let ip = decode_ip(svc::ADDR, af, a)?;
            ServiceKey::Addr {
                protocol,
                addr: SocketAddr::new(ip, port),
            }
        }
        _ => {
            return Err(DecodeError::Missing {
                what: "service",
                attr: "FWMARK or PROTOCOL+ADDR+PORT",
            })
        }
    };
    let netmask = match netmask {
        Some(p) => match af {
            AddressFamily::Inet => attr::get_be32(svc::NETMASK, p)?,
            AddressFamily::Inet6 => attr::get_u32(svc::NETMASK, p)?,
        },
        None => 0,
    };
    Ok(ServiceEntry {
        service: Service {
            key,
            scheduler,
            flags,
            timeout,
            netmask,
            pe_name,
        },
        stats: stats_v,
        stats64: stats64_v,
    })
}

/// A nested destination; `service_af` is the fallback family for kernels
/// that do not report the destination's own.
fn decode_dest(
    bytes: &[u8],
    service_af: Option<AddressFamily>,
) -> Result<DestinationEntry, DecodeError> {
    let mut af = None;
    let mut addr = None;
    let mut port = None;
    let mut fwd = 0u32;
    let mut tunnel = Tunnel::default();
    let mut e = DestinationEntry {
        destination: Destination::new(SocketAddr::from(([0, 0, 0, 0], 0))),
        active_conns: 0,
        inactive_conns: 0,
        persistent_conns: 0,
        stats: None,
        stats64: None,
    };
    e.destination.weight = 0;
    let d = &mut e.destination;
    for item in AttrIter::new(bytes) {
        let (kind, p) = item?;
        match kind {
            dest::ADDR_FAMILY => af = Some(decode_af(kind, p)?),
            dest::ADDR => addr = Some(p),
            dest::PORT => port = Some(attr::get_be16(kind, p)?),
            dest::FWD_METHOD => fwd = attr::get_u32(kind, p)? & 0x7,
            dest::WEIGHT => d.weight = attr::get_u32(kind, p)?,
            dest::U_THRESH => d.upper_threshold = attr::get_u32(kind, p)?,
            dest::L_THRESH => d.lower_threshold = attr::get_u32(kind, p)?,
            dest::ACTIVE_CONNS => e.active_conns = attr::get_u32(kind, p)?,
            dest::INACT_CONNS => e.inactive_conns = attr::get_u32(kind, p)?,
            dest::PERSIST_CONNS => e.persistent_conns = attr::get_u32(kind, p)?,
            dest::STATS => e.stats = Some(decode_stats(p)?),
            dest::STATS64 => e.stats64 = Some(decode_stats64(p)?),
            dest::TUN_TYPE => {
                let raw = attr::get_u8(kind, p)?;
                tunnel.kind = TunnelType::from_raw(raw).ok_or(DecodeError::UnknownValue {
                    what: "tunnel type",
                    value: u32::from(raw),
                })?;
            }
            dest::TUN_PORT => tunnel.port = attr::get_be16(kind, p)?,
            dest::TUN_FLAGS => tunnel.flags = TunnelFlags(attr::get_u16(kind, p)?),
            _ => {}
        }
    }
    let af = af.or(service_af).unwrap_or(AddressFamily::Inet);
    let a = addr.ok_or(DecodeError::Missing {
        what: "destination",
        attr: "ADDR",
    })?;
    let port = port.ok_or(DecodeError::Missing {
        what: "destination",
        attr: "PORT",
    })?;
    let d = &mut e.destination;
    d.addr = SocketAddr::new(decode_ip(dest::ADDR, af, a)?, port);
    d.forward = match fwd {
        0 => ForwardMethod::Masquerade,
        1 => ForwardMethod::Local,
        2 => ForwardMethod::Tunnel(tunnel),
        3 => ForwardMethod::Route,
        _ => ForwardMethod::Bypass,
    };
    Ok(e)
}

/// A nested sync daemon.
fn decode_daemon(bytes: &[u8]) -> Result<Daemon, DecodeError> {
    let mut state = None;
    let mut d = Daemon::new(DaemonState::Master, "", 0);
    for item in AttrIter::new(bytes) {
        let (kind, p) = item?;
        match kind {
            daemon::STATE => {
                let raw = attr::get_u32(kind, p)?;
                state = Some(DaemonState::from_raw(raw).ok_or(DecodeError::UnknownValue {
                    what: "daemon state",
                    value: raw,
                })?);
            }
            daemon::MCAST_IFN => d.interface = attr::get_str(kind, p)?,
            daemon::SYNC_ID => d.sync_id = attr::get_u32(kind, p)?,
            daemon::SYNC_MAXLEN => d.max_len = Some(attr::get_u16(kind, p)?),
            daemon::MCAST_GROUP => {
                d.mcast_group = Some(IpAddr::V4(Ipv4Addr::from(
                    attr::get_be32(kind, p)?.to_be_bytes(),
                )));
            }
            daemon::MCAST_GROUP6 => {
                d.mcast_group = Some(decode_ip(kind, AddressFamily::Inet6, p)?);
            }
            daemon::MCAST_PORT => d.mcast_port = Some(attr::get_u16(kind, p)?),
            daemon::MCAST_TTL => d.mcast_ttl = Some(attr::get_u8(kind, p)?),
            _ => {}
        }
    }
    d.state = state.ok_or(DecodeError::Missing {
        what: "daemon",
        attr: "STATE",
    })?;
    Ok(d)
}

/// Nested 32-bit statistics.
fn decode_stats(bytes: &[u8]) -> Result<Stats, DecodeError> {
    let mut s = Stats::default();
    for item in AttrIter::new(bytes) {
        let (kind, p) = item?;
        let narrow = |p: &[u8]| attr::get_u32(kind, p);
        match kind {
            stats::CONNS => s.conns = narrow(p)?,
            stats::INPKTS => s.in_pkts = narrow(p)?,
            stats::OUTPKTS => s.out_pkts = narrow(p)?,
            stats::INBYTES => s.in_bytes = attr::get_u64_or_u32(kind, p)?,
            stats::OUTBYTES => s.out_bytes = attr::get_u64_or_u32(kind, p)?,
            stats::CPS => s.cps = narrow(p)?,
            stats::INPPS => s.in_pps = narrow(p)?,
            stats::OUTPPS => s.out_pps = narrow(p)?,
            stats::INBPS => s.in_bps = narrow(p)?,
            stats::OUTBPS => s.out_bps = narrow(p)?,
            _ => {}
        }
    }
    Ok(s)
}

/// Nested 64-bit statistics.
fn decode_stats64(bytes: &[u8]) -> Result<Stats64, DecodeError> {
    let mut s = Stats64::default();
    for item in AttrIter::new(bytes) {
        let (kind, p) = item?;
        let v = || attr::get_u64_or_u32(kind, p);
        match kind {
            stats::CONNS => s.conns = v()?,
            stats::INPKTS => s.in_pkts = v()?,
            stats::OUTPKTS => s.out_pkts = v()?,
            stats::INBYTES => s.in_bytes = v()?,
            stats::OUTBYTES => s.out_bytes = v()?,
            stats::CPS => s.cps = v()?,
            stats::INPPS => s.in_pps = v()?,
            stats::OUTPPS => s.out_pps = v()?,
            stats::INBPS => s.in_bps = v()?,
            stats::OUTBPS => s.out_bps = v()?,
            _ => {}
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_numbers_follow_ip_vs_h() {
        assert_eq!(Command::NewService.to_raw(), 1);
        assert_eq!(Command::GetDest.to_raw(), 8);
        assert_eq!(Command::SetConfig.to_raw(), 12);
        assert_eq!(Command::GetInfo.to_raw(), 15);
        assert_eq!(Command::Flush.to_raw(), 17);
        assert_eq!(Command::from_raw(0), None);
        assert_eq!(Command::from_raw(18), None);
        for c in Command::ALL {
            assert_eq!(Command::from_raw(c.to_raw()), Some(c));
        }
    }

    #[test]
    fn service_round_trips_through_attributes() {
        let s = Service::new(ServiceKey::sctp("[2001:db8::1]:9".parse().unwrap()))
            .scheduler("mh")
            .persistent(60)
            .prefix_v6(64)
            .flags(ServiceFlags::SCHED2)
            .pe("sip");
        let r = Request::new_service(&s);
        let m = Message::decode(1, &r.attr_bytes()).unwrap();
        assert_eq!(m.service.unwrap().service, s);
    }

    #[test]
    fn tunnel_destination_round_trips() {
        let d = Destination::new("198.51.100.5:80".parse().unwrap())
            .forward(ForwardMethod::Tunnel(Tunnel {
                kind: TunnelType::Gue,
                port: 6080,
                flags: TunnelFlags::CSUM,
            }))
            .weight(7)
            .thresholds(100, 10);
        let r = Request::new_dest(&ServiceKey::fwmark(3), &d);
        let m = Message::decode(5, &r.attr_bytes()).unwrap();
        assert_eq!(m.destination.unwrap().destination, d);
        assert_eq!(m.service.unwrap().service.key, ServiceKey::fwmark(3));
    }

    #[test]
    fn daemon_round_trips_with_options() {
        let d = Daemon::new(DaemonState::Backup, "eth1", 9)
            .max_len(1400)
            .group("ff02::81".parse().unwrap())
            .port(9000)
            .ttl(3);
        let m = Message::decode(9, &Request::new_daemon(&d).attr_bytes()).unwrap();
        assert_eq!(m.daemon.unwrap(), d);
    }

    #[test]
    fn missing_identity_is_an_error_not_a_panic() {
        let mut w = AttrWriter::new();
        w.u16(svc::AF, 2);
        let mut top = AttrWriter::new();
        top.put(cmd_attr::SERVICE, &w.finish());
        assert!(matches!(
            Message::decode(1, &top.finish()),
            Err(DecodeError::Missing { .. })
        ));
    }
}
