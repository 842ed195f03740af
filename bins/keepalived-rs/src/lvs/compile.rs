//! From the configuration model's `virtual_server`,
//! `virtual_server_group`, `real_server` and checker blocks to lbkit-ipvs
//! services and destinations and lbkit-healthcheck checks, with the
//! defaults keepalived 2.2.7 applies (`check_parser.c`'s end-of-parse
//! fix-ups: real servers inherit from their virtual server, checkers from
//! their real server, then the checker type's own defaults).

use lbkit_healthcheck::checkers::dns::{DnsCheck, QueryType};
use lbkit_healthcheck::checkers::http::{parse_md5, Expect, HttpCheck};
use lbkit_healthcheck::checkers::misc::MiscCheck;
use lbkit_healthcheck::checkers::ping::PingCheck;
use lbkit_healthcheck::checkers::smtp::SmtpCheck;
use lbkit_healthcheck::checkers::tcp::TcpCheck;
use lbkit_healthcheck::checkers::tls::TlsOptions;
use lbkit_healthcheck::checkers::udp::UdpCheck;
use lbkit_healthcheck::checkers::Check;
use lbkit_healthcheck::keepalived::CheckerConfig;
use lbkit_ipvs::{
    AddressFamily, Destination, ForwardMethod, Protocol, Service, ServiceFlags, ServiceKey, Tunnel,
    TunnelFlags, TunnelType,
};
use lbkit_keepalived_cfg::model::{
    self, Checker, CheckerKind, Config, ForwardingMethod, RealServer, ScriptCommand, VirtualServer,
    VsTarget, VsgEntry,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// keepalived's `delay_loop` when none is written.
const DEFAULT_DELAY_LOOP: Duration = Duration::from_secs(60);
/// keepalived's `connect_timeout` when none is written.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// `persistence_timeout` without a value, or persistence turned on by
/// `persistence_granularity` alone.
const DEFAULT_PERSISTENCE: u32 = 360;
/// The most services one `virtual_server_group` range may expand to.
const MAX_GROUP_SERVICES: usize = 65_536;

/// Everything the LVS side runs.
#[derive(Debug, Clone, Default)]
pub(crate) struct LvsPlan {
    /// One entry per `virtual_server` block, in order.
    pub(crate) virtual_servers: Vec<VsPlan>,
}

/// One `virtual_server` block.
#[derive(Debug, Clone)]
pub(crate) struct VsPlan {
    /// How logs name it: `[192.0.2.1]:80`, `FWM 5`, `group NAME`.
    pub(crate) name: String,
    /// The IPVS services it stands for (several for a group).
    pub(crate) services: Vec<Service>,
    /// `quorum` (lowered to the total weight, as keepalived does).
    pub(crate) quorum: u32,
    /// `hysteresis` (kept below the quorum).
    pub(crate) hysteresis: u32,
    /// `quorum_up` script.
    pub(crate) quorum_up: Option<String>,
    /// `quorum_down` script.
    pub(crate) quorum_down: Option<String>,
    /// `sorry_server`: its address (port 0: the service's) and forwarding.
    pub(crate) sorry: Option<SorryPlan>,
    /// `omega`.
    pub(crate) omega: bool,
    /// Its real servers.
    pub(crate) real_servers: Vec<RsPlan>,
}

/// A `sorry_server`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SorryPlan {
    /// Address; port 0 means the service's port.
    pub(crate) addr: SocketAddr,
    /// How packets reach it.
    pub(crate) forward: ForwardMethod,
    /// `sorry_server_inhibit`: weight 0 rather than removal when unused.
    pub(crate) inhibit: bool,
}

/// One `real_server` block.
#[derive(Debug, Clone)]
pub(crate) struct RsPlan {
    /// The address as written (port filled in per service, see
    /// [`RsPlan::destination`]).
    pub(crate) addr: IpAddr,
    /// The port written, if any.
    pub(crate) port: Option<u16>,
    /// Forwarding method, weight and thresholds.
    pub(crate) dest: Destination,
    /// `inhibit_on_failure`.
    pub(crate) inhibit: bool,
    /// `notify_up` script.
    pub(crate) notify_up: Option<String>,
    /// `notify_down` script.
    pub(crate) notify_down: Option<String>,
    /// Its checkers.
    pub(crate) checkers: Vec<CheckPlan>,
    /// What identifies its settings across a reload: equal fingerprints
    /// keep the checkers' state.
    pub(crate) fingerprint: String,
}

/// One checker: what to run and when.
#[derive(Debug, Clone)]
pub(crate) struct CheckPlan {
    /// The keyword (`TCP_CHECK`, ...), for logs.
    pub(crate) keyword: &'static str,
    /// The check.
    pub(crate) check: Check,
    /// `delay_loop`, `retry`, `delay_before_retry`, `warmup`, `alpha`.
    pub(crate) timing: CheckerConfig,
}

impl RsPlan {
    /// The destination for `service`: keepalived's port rules (NAT: the
    /// written port, else the service's; DR/TUN: the service's port, 0 for
    /// a firewall-mark service).
    pub(crate) fn destination(&self, service: &ServiceKey) -> Destination {
        let port = port_for(self.addr, self.port, &self.dest.forward, service);
        let mut d = self.dest.clone();
        d.addr = SocketAddr::new(self.addr, port);
        d
    }
}

impl SorryPlan {
    /// The sorry server's destination for `service`.
    pub(crate) fn destination(&self, service: &ServiceKey, weight: u32) -> Destination {
        let written = (self.addr.port() != 0).then_some(self.addr.port());
        let port = port_for(self.addr.ip(), written, &self.forward, service);
        Destination::new(SocketAddr::new(self.addr.ip(), port))
            .forward(self.forward)
            .weight(weight)
    }
}

/// The destination port keepalived uses.
fn port_for(_ip: IpAddr, written: Option<u16>, forward: &ForwardMethod, key: &ServiceKey) -> u16 {
    match (key, forward) {
        (ServiceKey::Addr { addr, .. }, ForwardMethod::Masquerade) => {
            written.filter(|p| *p != 0).unwrap_or(addr.port())
        }
        (ServiceKey::Addr { addr, .. }, _) => addr.port(),
        (ServiceKey::Fwmark { .. }, ForwardMethod::Masquerade) => written.unwrap_or(0),
        (ServiceKey::Fwmark { .. }, _) => 0,
    }
}

/// Compiles every virtual server; problems keepalived would report and
/// carry on from come back as warnings (the block is then left out, or
/// the setting defaulted).
pub(crate) fn compile(config: &Config) -> (LvsPlan, Vec<String>) {
    let mut warnings = Vec::new();
    let mut plan = LvsPlan::default();
    let host = hostname();
    for vs in &config.virtual_servers {
        match virtual_server(config, vs, &host, &mut warnings) {
            Ok(p) => plan.virtual_servers.push(p),
            Err(e) => warnings.push(e),
        }
    }
    (plan, warnings)
}

/// One `virtual_server` block.
fn virtual_server(
    config: &Config,
    vs: &VirtualServer,
    host: &str,
    warnings: &mut Vec<String>,
) -> Result<VsPlan, String> {
    let keys = service_keys(config, vs)?;
    let name = vs_name(vs);
    let template = service_settings(vs, &name, warnings)?;
    let services = keys
        .iter()
        .map(|k| {
            let mut s = template.clone();
            s.key = *k;
            if k.af() == AddressFamily::Inet6 && template.netmask == u32::MAX {
                s.netmask = 128;
            }
            s
        })
        .collect();
    let vs_kind = forward(vs.lb_kind.as_ref().map(|k| &k.value), &name, warnings);
    let mut real_servers = Vec::new();
    for rs in &vs.real_servers {
        real_servers.push(real_server(vs, rs, vs_kind, host, warnings)?);
    }
    let total: u64 = real_servers.iter().map(|r| u64::from(r.dest.weight)).sum();
    let mut quorum = vs.effective_quorum();
    if u64::from(quorum) > total {
        let reduced = u32::try_from(total).unwrap_or(u32::MAX);
        warnings.push(format!(
            "quorum {quorum} for {name} exceeds total weight of real servers {total}, reducing quorum to {reduced}"
        ));
        quorum = reduced;
    }
    let mut hysteresis = vs.hysteresis.as_ref().map_or(0, |h| h.value);
    if hysteresis >= quorum && hysteresis > 0 {
        hysteresis = quorum.saturating_sub(1);
    }
    let sorry = vs.sorry_server.as_ref().map(|s| {
        let (ip, port) = s.value;
        SorryPlan {
            addr: SocketAddr::new(ip, port.unwrap_or(0)),
            forward: match &vs.sorry_server_lvs_method {
                Some(m) => forward(Some(&m.value), &name, warnings),
                None => vs_kind,
            },
            inhibit: flag(&vs.sorry_server_inhibit),
        }
    });
    Ok(VsPlan {
        name,
        services,
        quorum,
        hysteresis,
        quorum_up: vs.quorum_up.as_ref().map(|s| script(&s.value)),
        quorum_down: vs.quorum_down.as_ref().map(|s| script(&s.value)),
        sorry,
        omega: flag(&vs.omega),
        real_servers,
    })
}

/// A `true`/`false` keyword value; absent is false.
fn flag(v: &Option<model::Spanned<bool>>) -> bool {
    v.as_ref().is_some_and(|b| b.value)
}

/// A script's command line.
fn script(s: &ScriptCommand) -> String {
    s.command.value.clone()
}

/// How logs name a virtual server, as keepalived's `FMT_VS` does:
/// `[192.0.2.1]:tcp:80`, `FWM 5`, `[group]:tcp:0`.
fn vs_name(vs: &VirtualServer) -> String {
    let proto = protocol_name(vs.effective_protocol());
    match &vs.target.value {
        VsTarget::Addr { addr, port } => format!("[{addr}]:{proto}:{}", port.unwrap_or(0)),
        VsTarget::Fwmark(m) => format!("FWM {m}"),
        VsTarget::Group(g) => format!("[{g}]:{proto}:0"),
        _ => "virtual server".to_string(),
    }
}

/// The lower-case protocol name keepalived's logs use.
fn protocol_name(p: model::Protocol) -> &'static str {
    match p {
        model::Protocol::Tcp => "tcp",
        model::Protocol::Sctp => "sctp",
        _ => "udp",
    }
}

/// How logs name a real server or sorry server of `key`, as keepalived's
/// `FMT_RS` does: `[198.51.100.1]:tcp:80`.
pub(crate) fn rs_name(key: &ServiceKey, addr: SocketAddr) -> String {
    let proto = match key {
        ServiceKey::Addr { protocol, .. } => match protocol {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        },
        ServiceKey::Fwmark { .. } => "fwm",
    };
    format!("[{}]:{proto}:{}", addr.ip(), addr.port())
}

/// The IPVS keys a virtual server stands for.
fn service_keys(config: &Config, vs: &VirtualServer) -> Result<Vec<ServiceKey>, String> {
    let protocol = match vs.effective_protocol() {
        model::Protocol::Tcp => Protocol::Tcp,
        model::Protocol::Sctp => Protocol::Sctp,
        _ => Protocol::Udp,
    };
    let family =
        |written: Option<&str>| match written.or(vs.ip_family.as_ref().map(|f| f.value.as_str())) {
            Some("inet6") => AddressFamily::Inet6,
            _ => AddressFamily::Inet,
        };
    let addr_key = |addr: SocketAddr| ServiceKey::Addr { protocol, addr };
    match &vs.target.value {
        VsTarget::Addr { addr, port } => {
            Ok(vec![addr_key(SocketAddr::new(*addr, port.unwrap_or(0)))])
        }
        VsTarget::Fwmark(mark) => Ok(vec![ServiceKey::Fwmark {
            af: family(None),
            mark: *mark,
        }]),
        VsTarget::Group(name) => {
            let group = config
                .virtual_server_groups
                .iter()
                .find(|g| g.name.value == *name)
                .ok_or_else(|| {
                    format!("virtual_server group {name}: no such virtual_server_group")
                })?;
            let mut keys = Vec::new();
            for entry in &group.entries {
                match &entry.value {
                    VsgEntry::Addr {
                        addr,
                        range_end,
                        port,
                    } => {
                        for ip in expand_range(*addr, *range_end)? {
                            keys.push(addr_key(SocketAddr::new(ip, port.unwrap_or(0))));
                        }
                    }
                    VsgEntry::Fwmark { mark, family: f } => keys.push(ServiceKey::Fwmark {
                        af: family(f.as_deref()),
                        mark: *mark,
                    }),
                    _ => {}
                }
                if keys.len() > MAX_GROUP_SERVICES {
                    return Err(format!("virtual_server_group {name}: too many services"));
                }
            }
            Ok(keys)
        }
        _ => Err("virtual_server: unsupported target".to_string()),
    }
}

/// The addresses of `IP[-LAST]`: the last byte (IPv4) or 16-bit group
/// (IPv6) runs from the address's up to `end`.
fn expand_range(addr: IpAddr, end: Option<u32>) -> Result<Vec<IpAddr>, String> {
    let Some(end) = end else {
        return Ok(vec![addr]);
    };
    match addr {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            let first = u32::from(o[3]);
            if end < first || end > 255 {
                return Err(format!(
                    "virtual_server_group range {addr}-{end} is invalid"
                ));
            }
            Ok((first..=end)
                .filter_map(|b| u8::try_from(b).ok())
                .map(|b| IpAddr::V4(Ipv4Addr::new(o[0], o[1], o[2], b)))
                .collect())
        }
        IpAddr::V6(v6) => {
            let mut s = v6.segments();
            let first = u32::from(s[7]);
            if end < first || end > 0xffff {
                return Err(format!(
                    "virtual_server_group range {addr}-{end:x} is invalid"
                ));
            }
            Ok((first..=end)
                .filter_map(|g| u16::try_from(g).ok())
                .map(|g| {
                    s[7] = g;
                    IpAddr::V6(Ipv6Addr::from(s))
                })
                .collect())
        }
    }
}

/// Scheduler, flags and persistence of a virtual server (key filled in
/// later).
fn service_settings(
    vs: &VirtualServer,
    name: &str,
    warnings: &mut Vec<String>,
) -> Result<Service, String> {
    let mut s = Service::new(ServiceKey::fwmark(1)).scheduler(vs.effective_lb_algo().name());
    for f in &vs.lb_flags {
        let flag = match f.value.as_str() {
            "ops" => ServiceFlags::ONE_PACKET,
            "flag-1" | "sh-fallback" | "mh-fallback" => ServiceFlags::SCHED1,
            "flag-2" | "sh-port" | "mh-port" => ServiceFlags::SCHED2,
            "flag-3" => ServiceFlags::SCHED3,
            // `hashed` is the kernel's own read-only flag: nothing to set.
            _ => ServiceFlags::default(),
        };
        s = s.flags(flag);
    }
    let granularity = vs
        .persistence_granularity
        .as_ref()
        .map(|g| g.value.as_str());
    let timeout = match (&vs.persistence_timeout, granularity) {
        (Some(t), _) => Some(t.value),
        (None, Some(_)) => Some(DEFAULT_PERSISTENCE),
        (None, None) => None,
    };
    if let Some(t) = timeout {
        s = s.persistent(t);
    }
    if let Some(g) = granularity {
        if let Ok(mask) = g.parse::<Ipv4Addr>() {
            s = s.netmask_v4(mask);
        } else if let Ok(len) = g.parse::<u8>() {
            s = s.prefix_v6(len);
        } else {
            warnings.push(format!(
                "{name}: persistence_granularity {g} is invalid, ignored"
            ));
        }
    }
    if let Some(pe) = &vs.persistence_engine {
        s = s.pe(&pe.value);
    }
    Ok(s)
}

/// An IPVS forwarding method from `lb_kind` / `lvs_method` (NAT when
/// none is written, as keepalived says and does).
fn forward(
    kind: Option<&ForwardingMethod>,
    name: &str,
    warnings: &mut Vec<String>,
) -> ForwardMethod {
    match kind {
        None | Some(ForwardingMethod::Nat) => ForwardMethod::Masquerade,
        Some(ForwardingMethod::Dr) => ForwardMethod::Route,
        Some(ForwardingMethod::Tun(opts)) => ForwardMethod::Tunnel(tunnel(opts, name, warnings)),
        Some(_) => ForwardMethod::Masquerade,
    }
}

/// `TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]`.
fn tunnel(opts: &[model::Spanned<String>], name: &str, warnings: &mut Vec<String>) -> Tunnel {
    let mut t = Tunnel::default();
    let mut words = opts.iter().map(|w| w.value.as_str());
    while let Some(w) = words.next() {
        match w {
            "type" => match words.next() {
                Some("gue") => t.kind = TunnelType::Gue,
                Some("gre") => t.kind = TunnelType::Gre,
                _ => t.kind = TunnelType::Ipip,
            },
            "port" => t.port = words.next().and_then(|p| p.parse().ok()).unwrap_or(0),
            "nocsum" => t.flags = TunnelFlags::NOCSUM,
            "csum" => t.flags = TunnelFlags::CSUM,
            "remcsum" => t.flags = TunnelFlags::REMCSUM,
            other => warnings.push(format!("{name}: unknown TUN option {other}")),
        }
    }
    t
}

/// One `real_server` block with the virtual server's defaults.
fn real_server(
    vs: &VirtualServer,
    rs: &RealServer,
    vs_kind: ForwardMethod,
    host: &str,
    warnings: &mut Vec<String>,
) -> Result<RsPlan, String> {
    let set = rs.settings();
    let addr = rs.addr.value;
    let port = rs.port.as_ref().map(|p| p.value);
    let name = format!("{}", SocketAddr::new(addr, port.unwrap_or(0)));
    let kind = match &rs.lvs_method {
        Some(m) => forward(Some(&m.value), &name, warnings),
        None => vs_kind,
    };
    let weight = rs
        .weight
        .as_ref()
        .or(vs.weight.as_ref())
        .map_or(1, |w| w.value);
    let dest = Destination::new(SocketAddr::new(addr, port.unwrap_or(0)))
        .forward(kind)
        .weight(weight)
        .thresholds(
            set.uthreshold.as_ref().map_or(0, |u| u.value),
            set.lthreshold.as_ref().map_or(0, |l| l.value),
        );
    let inherited = Inherited::new(vs, rs);
    let vs_port = match &vs.target.value {
        VsTarget::Addr { port, .. } => port.unwrap_or(0),
        _ => 0,
    };
    let check_port = port.unwrap_or(vs_port);
    let mut checkers = Vec::new();
    for c in &rs.checkers {
        match checker(c, addr, check_port, &inherited, host) {
            Ok(mut list) => checkers.append(&mut list),
            Err(e) => warnings.push(format!("{} real server {name}: {e}", vs_name(vs))),
        }
    }
    let fingerprint = format!("{dest:?} {:?}", checkers);
    Ok(RsPlan {
        addr,
        port,
        dest,
        inhibit: set
            .inhibit_on_failure
            .as_ref()
            .or(vs.inhibit_on_failure.as_ref())
            .is_some_and(|b| b.value),
        notify_up: set.notify_up.as_ref().map(|s| script(&s.value)),
        notify_down: set.notify_down.as_ref().map(|s| script(&s.value)),
        checkers,
        fingerprint,
    })
}

/// Settings a checker takes from its real server, else its virtual
/// server, when it does not write them itself.
struct Inherited<'a> {
    /// `retry`.
    retry: Option<u32>,
    /// `delay_before_retry`.
    delay_before_retry: Option<Duration>,
    /// `warmup`.
    warmup: Option<Duration>,
    /// `connect_timeout`.
    connect_timeout: Option<Duration>,
    /// `delay_loop`.
    delay_loop: Duration,
    /// `alpha`.
    alpha: bool,
    /// `virtualhost`.
    virtualhost: Option<&'a str>,
}

impl<'a> Inherited<'a> {
    /// The real server's settings over the virtual server's.
    fn new(vs: &'a VirtualServer, rs: &'a RealServer) -> Self {
        let set = rs.settings();
        let pick = |a: &Option<model::Spanned<Duration>>, b: &Option<model::Spanned<Duration>>| {
            a.as_ref().or(b.as_ref()).map(|d| d.value)
        };
        Inherited {
            retry: set.retry.as_ref().or(vs.retry.as_ref()).map(|r| r.value),
            delay_before_retry: pick(&set.delay_before_retry, &vs.delay_before_retry),
            warmup: pick(&set.warmup, &vs.warmup),
            connect_timeout: pick(&set.connect_timeout, &vs.connect_timeout),
            delay_loop: pick(&set.delay_loop, &vs.delay_loop).unwrap_or(DEFAULT_DELAY_LOOP),
            alpha: set
                .alpha
                .as_ref()
                .or(vs.alpha.as_ref())
                .is_some_and(|a| a.value),
            virtualhost: set
                .virtualhost
                .as_ref()
                .or(vs.virtualhost.as_ref())
                .map(|v| v.value.as_str()),
        }
    }
}

/// The checker type's own `retry` and `delay_before_retry` defaults
/// (`None`: `delay_loop`).
fn type_defaults(kind: &CheckerKind) -> (u32, Option<Duration>) {
    match kind {
        CheckerKind::Misc(_) => (0, Some(Duration::from_secs(1))),
        CheckerKind::HttpGet(_) | CheckerKind::SslGet(_) => (1, Some(Duration::from_secs(3))),
        CheckerKind::Dns(_) => (3, None),
        _ => (1, Some(Duration::from_secs(1))),
    }
}

/// One checker block: one check, or one per `url` of an HTTP_GET /
/// SSL_GET (keepalived fetches every url in turn; here each url is a
/// checker of its own, so the server is down while any url fails).
fn checker(
    c: &Checker,
    rs_addr: IpAddr,
    rs_port: u16,
    inh: &Inherited<'_>,
    host: &str,
) -> Result<Vec<CheckPlan>, String> {
    let t = c.common.timing();
    let delay_loop = t.delay_loop.as_ref().map_or(inh.delay_loop, |d| d.value);
    let (type_retry, type_dbr) = type_defaults(&c.kind);
    let timing = CheckerConfig {
        delay_loop,
        retry: t
            .retry
            .as_ref()
            .map(|r| r.value)
            .or(inh.retry)
            .unwrap_or(type_retry),
        delay_before_retry: t
            .delay_before_retry
            .as_ref()
            .map(|d| d.value)
            .or(inh.delay_before_retry)
            .or(type_dbr)
            .unwrap_or(delay_loop),
        warmup: Some(
            t.warmup
                .as_ref()
                .map(|d| d.value)
                .or(inh.warmup)
                .unwrap_or(delay_loop),
        )
        .filter(|w| !w.is_zero()),
        alpha: t.alpha.as_ref().map_or(inh.alpha, |a| a.value),
    };
    let conn = c.common.connection.as_deref();
    let ip = conn
        .and_then(|c| c.connect_ip.as_ref())
        .map_or(rs_addr, |i| i.value);
    let port = conn
        .and_then(|c| c.connect_port.as_ref())
        .map_or(rs_port, |p| p.value);
    let target = SocketAddr::new(ip, port);
    let bind = conn.and_then(|c| {
        c.bindto
            .as_ref()
            .map(|b| SocketAddr::new(b.value, c.bind_port.as_ref().map_or(0, |p| p.value)))
    });
    let timeout = c
        .common
        .connect_timeout
        .as_ref()
        .map(|t| t.value)
        .or(inh.connect_timeout)
        .unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let keyword = c.kind.keyword();
    let one = |check: Check| {
        Ok(vec![CheckPlan {
            keyword,
            check,
            timing: timing.clone(),
        }])
    };
    match &c.kind {
        CheckerKind::Tcp => {
            let mut tcp = TcpCheck::new(target, timeout);
            tcp.bind = bind;
            one(Check::Tcp(tcp))
        }
        CheckerKind::HttpGet(h) | CheckerKind::SslGet(h) => {
            let tls = matches!(c.kind, CheckerKind::SslGet(_));
            let mut out = Vec::new();
            for url in &h.urls {
                let http = http_check(h, url, tls, target, bind, timeout, inh)?;
                out.push(CheckPlan {
                    keyword,
                    check: Check::Http(Box::new(http)),
                    timing: timing.clone(),
                });
            }
            if out.is_empty() {
                return Err(format!("{keyword} has no url"));
            }
            Ok(out)
        }
        CheckerKind::Misc(m) => {
            let path = m
                .misc_path
                .as_ref()
                .ok_or_else(|| "MISC_CHECK has no misc_path".to_string())?;
            let command = crate::daemon::split_words(&path.value);
            let misc = MiscCheck {
                command,
                timeout: m.misc_timeout.as_ref().map_or(delay_loop, |t| t.value),
                dynamic: m.misc_dynamic.as_ref().is_some_and(|d| d.value),
            };
            Ok(vec![CheckPlan {
                keyword,
                check: Check::Misc(misc),
                timing,
            }])
        }
        CheckerKind::Smtp(s) => {
            let helo = s.helo_name.as_ref().map_or(host, |h| h.value.as_str());
            let mut smtp = SmtpCheck::new(target, helo, timeout);
            smtp.bind = bind;
            one(Check::Smtp(smtp))
        }
        CheckerKind::Dns(d) => {
            let qtype = d.query_type.as_ref().map_or("SOA", |q| q.value.as_str());
            let qtype = QueryType::from_name(&qtype.to_ascii_uppercase())
                .ok_or_else(|| format!("DNS_CHECK type {qtype} is unknown"))?;
            one(Check::Dns(DnsCheck {
                addr: target,
                qtype,
                name: d
                    .name
                    .as_ref()
                    .map_or(".", |n| n.value.as_str())
                    .to_string(),
                expect: None,
                timeout,
            }))
        }
        CheckerKind::Udp(u) => {
            let payload = match &u.payload {
                Some(p) => hex(&p.value)
                    .ok_or_else(|| format!("UDP_CHECK payload {} is not hex", p.value))?,
                None => Vec::new(),
            };
            let expect = match &u.require_reply {
                Some(r) => Some(match &r.value {
                    Some(h) => {
                        hex(h).ok_or_else(|| format!("UDP_CHECK require_reply {h} is not hex"))?
                    }
                    None => Vec::new(),
                }),
                None => None,
            };
            one(Check::Udp(UdpCheck {
                addr: target,
                bind,
                payload,
                expect,
                timeout,
            }))
        }
        CheckerKind::Ping => one(Check::Ping(PingCheck::new(ip, timeout))),
        other => Err(format!(
            "{} is not run by keepalived-rs (ignored)",
            other.keyword()
        )),
    }
}

/// An HTTP_GET / SSL_GET `url` block.
fn http_check(
    h: &model::HttpCheck,
    url: &model::Url,
    tls: bool,
    target: SocketAddr,
    bind: Option<SocketAddr>,
    timeout: Duration,
    inh: &Inherited<'_>,
) -> Result<HttpCheck, String> {
    let mut http = HttpCheck::new(target, timeout);
    http.bind = bind;
    http.uri = url
        .path
        .as_ref()
        .map(|p| p.value.clone())
        .ok_or_else(|| "url has no path".to_string())?;
    http.version = match h.http_protocol.as_ref().map(|p| p.value.as_str()) {
        Some("1.1") => http::Version::HTTP_11,
        _ => http::Version::HTTP_10,
    };
    let vhost = url
        .virtualhost
        .as_ref()
        .or(h.virtualhost.as_ref())
        .map(|v| v.value.as_str())
        .or(inh.virtualhost);
    http.host = vhost.map(str::to_string);
    let status: Vec<std::ops::RangeInclusive<u16>> = if url.status_code.is_empty() {
        vec![200..=299]
    } else {
        url.status_code
            .iter()
            .map(|s| s.value.0..=s.value.1)
            .collect()
    };
    http.expect = match &url.digest {
        Some(d) => Expect::Digest {
            md5: parse_md5(&d.value).ok_or_else(|| format!("digest {} is not MD5 hex", d.value))?,
            status,
        },
        None => Expect::Status(status),
    };
    if tls {
        let sni = h
            .enable_sni
            .as_ref()
            .is_some_and(|s| s.value)
            .then_some(vhost)
            .flatten();
        http.tls = Some(TlsOptions::unverified(sni).map_err(|e| e.to_string())?);
    }
    Ok(http)
}

/// Bytes from hex digits (an even count).
fn hex(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().collect();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks(2)
        .map(|p| {
            let s = std::str::from_utf8(p).ok()?;
            u8::from_str_radix(s, 16).ok()
        })
        .collect()
}

/// The host name (SMTP_CHECK's default HELO).
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lbkit_keepalived_cfg::{load_str, Options};

    fn plan_of(text: &str) -> (LvsPlan, Vec<String>) {
        let loaded = load_str("t.conf", text, &Options::new());
        compile(&loaded.config)
    }

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn tcp_target(c: &CheckPlan) -> (SocketAddr, Duration) {
        match &c.check {
            Check::Tcp(t) => (t.addr, t.timeout),
            other => panic!("not a TCP check: {other:?}"),
        }
    }

    /// The seed's §4.1 (lb1.conf): one NAT service, rr, TCP, four real
    /// servers on port 80 each with a TCP_CHECK of 10 s, delay_loop 6.
    #[test]
    fn seed_nat_with_tcp_check() {
        let (plan, warnings) = plan_of(include_str!("../../tests/data/lb1.conf"));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(plan.virtual_servers.len(), 1);
        let vs = &plan.virtual_servers[0];
        let key = ServiceKey::tcp(sa("10.0.0.1:80"));
        assert_eq!(vs.services, [Service::new(key).scheduler("rr")]);
        assert_eq!((vs.quorum, vs.hysteresis, vs.sorry.is_none()), (1, 0, true));
        // Logs name them as keepalived does.
        assert_eq!(vs.name, "[10.0.0.1]:tcp:80");
        assert_eq!(
            rs_name(&key, sa("192.168.1.20:80")),
            "[192.168.1.20]:tcp:80"
        );
        let addrs: Vec<SocketAddr> = vs
            .real_servers
            .iter()
            .map(|r| r.destination(&key).addr)
            .collect();
        assert_eq!(
            addrs,
            [
                "192.168.1.20:80",
                "192.168.1.21:80",
                "192.168.1.22:80",
                "192.168.1.23:80"
            ]
            .map(sa)
        );
        for rs in &vs.real_servers {
            let d = rs.destination(&key);
            assert_eq!(
                (d.forward, d.weight, rs.inhibit),
                (ForwardMethod::Masquerade, 1, false)
            );
            assert_eq!(rs.checkers.len(), 1);
            let c = &rs.checkers[0];
            assert_eq!(tcp_target(c), (d.addr, Duration::from_secs(10)));
            // keepalived: retry 1, delay_before_retry 1 s, warmup up to
            // delay_loop, not alpha.
            assert_eq!(
                c.timing,
                CheckerConfig {
                    delay_loop: Duration::from_secs(6),
                    retry: 1,
                    delay_before_retry: Duration::from_secs(1),
                    warmup: Some(Duration::from_secs(6)),
                    alpha: false,
                }
            );
        }
    }

    /// The seed's §4.2 (DR master): direct routing, persistence 9600 s,
    /// three real servers checked on connect_port 80.
    #[test]
    fn seed_dr_with_persistence() {
        let (plan, warnings) = plan_of(include_str!("../../tests/data/dr-master.conf"));
        assert!(warnings.is_empty(), "{warnings:?}");
        let vs = &plan.virtual_servers[0];
        let key = ServiceKey::tcp(sa("172.31.0.1:80"));
        let svc = &vs.services[0];
        assert_eq!(svc.key, key);
        assert_eq!(svc.scheduler, "rr");
        assert_eq!(svc.flags, ServiceFlags::PERSISTENT);
        assert_eq!((svc.timeout, svc.netmask), (9600, u32::MAX));
        assert_eq!(vs.real_servers.len(), 3);
        for (i, rs) in vs.real_servers.iter().enumerate() {
            let d = rs.destination(&key);
            let want = sa(&format!("192.168.0.{}:80", i + 1));
            assert_eq!(
                (d.addr, d.forward, d.weight),
                (want, ForwardMethod::Route, 1)
            );
            assert_eq!(tcp_target(&rs.checkers[0]), (want, Duration::from_secs(10)));
            assert_eq!(rs.checkers[0].timing.delay_loop, Duration::from_secs(10));
        }
    }

    #[test]
    fn defaults_and_inheritance() {
        let (plan, _) = plan_of(
            r#"
virtual_server 192.0.2.10 8080 {
    protocol TCP
    retry 4
    sorry_server 203.0.113.9
    quorum 9
    hysteresis 5
    real_server 198.51.100.1 {
        weight 3
        delay_before_retry 2
        TCP_CHECK {
            warmup 0
        }
        HTTP_GET {
            url {
                path /health
                status_code 200 300-302
            }
            url {
                path /
                digest 9e107d9d372bb6826bd81d3542a419d6
            }
            retry 2
        }
    }
    real_server 198.51.100.2 9090 {
        MISC_CHECK {
            misc_path "/bin/check 'a b'"
        }
    }
}
virtual_server fwmark 7 {
    lb_algo sh
    lb_kind DR
    persistence_granularity 255.255.255.0
    real_server 198.51.100.3 80 {
        inhibit_on_failure
    }
}
"#,
        );
        let vs = &plan.virtual_servers[0];
        let key = ServiceKey::tcp(sa("192.0.2.10:8080"));
        // Nothing written: wlc (keepalived's report, then the default).
        assert_eq!(vs.services[0].scheduler, "wlc");
        // quorum above the total weight 4 is lowered to 4, and
        // hysteresis below it.
        assert_eq!((vs.quorum, vs.hysteresis), (4, 3));
        let sorry = vs.sorry.as_ref().unwrap().destination(&key, 1);
        assert_eq!(
            (sorry.addr, sorry.forward),
            (sa("203.0.113.9:8080"), ForwardMethod::Masquerade)
        );
        let rs1 = &vs.real_servers[0];
        assert_eq!(rs1.destination(&key).addr, sa("198.51.100.1:8080"));
        assert_eq!(rs1.checkers.len(), 3);
        let tcp = &rs1.checkers[0].timing;
        // The virtual server's retry, the real server's delay_before_retry,
        // warmup 0 is none.
        assert_eq!(
            (tcp.retry, tcp.delay_before_retry, tcp.warmup),
            (4, Duration::from_secs(2), None)
        );
        assert_eq!(tcp.delay_loop, Duration::from_secs(60));
        assert_eq!(
            tcp_target(&rs1.checkers[0]),
            (sa("198.51.100.1:8080"), Duration::from_secs(5))
        );
        let http = &rs1.checkers[1];
        assert_eq!((http.timing.retry, http.keyword), (2, "HTTP_GET"));
        let Check::Http(h) = &http.check else {
            panic!()
        };
        assert_eq!(h.uri, "/health");
        assert!(matches!(&h.expect, Expect::Status(r) if *r == vec![200..=200, 300..=302]));
        let Check::Http(h2) = &rs1.checkers[2].check else {
            panic!()
        };
        assert!(matches!(&h2.expect, Expect::Digest { status, .. } if *status == vec![200..=299]));
        let misc = &vs.real_servers[1].checkers[0];
        // MISC_CHECK: keepalived's retry 0 is overridden by the virtual
        // server's retry; its timeout defaults to delay_loop.
        assert_eq!(misc.timing.retry, 4);
        let Check::Misc(m) = &misc.check else {
            panic!()
        };
        assert_eq!(m.command, ["/bin/check", "a b"]);
        assert_eq!(m.timeout, Duration::from_secs(60));

        let fw = &plan.virtual_servers[1];
        let key = ServiceKey::fwmark(7);
        assert_eq!(fw.services[0].key, key);
        // Granularity alone turns persistence on for 360 s.
        assert_eq!(
            (fw.services[0].timeout, fw.services[0].netmask),
            (360, 0xffff_ff00)
        );
        let d = fw.real_servers[0].destination(&key);
        // DR into a firewall-mark service: no port.
        assert_eq!(
            (d.addr, d.forward),
            (sa("198.51.100.3:0"), ForwardMethod::Route)
        );
        assert!(fw.real_servers[0].inhibit);
    }

    #[test]
    fn group_expands_ranges_and_marks() {
        let (plan, warnings) = plan_of(
            r#"
virtual_server_group G {
    192.0.2.1-3 80
    fwmark 5
}
virtual_server group G {
    protocol TCP
    lb_kind DR
    real_server 198.51.100.1 80 {
    }
}
"#,
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        let keys: Vec<ServiceKey> = plan.virtual_servers[0]
            .services
            .iter()
            .map(|s| s.key)
            .collect();
        assert_eq!(
            keys,
            [
                ServiceKey::tcp(sa("192.0.2.1:80")),
                ServiceKey::tcp(sa("192.0.2.2:80")),
                ServiceKey::tcp(sa("192.0.2.3:80")),
                ServiceKey::fwmark(5),
            ]
        );
        let rs = &plan.virtual_servers[0].real_servers[0];
        assert_eq!(rs.destination(&keys[1]).addr, sa("198.51.100.1:80"));
        assert_eq!(rs.destination(&keys[3]).addr, sa("198.51.100.1:0"));
    }

    #[test]
    fn unknown_group_is_reported_and_left_out() {
        let (plan, warnings) = plan_of("virtual_server group NOPE {\n protocol TCP\n}\n");
        assert!(plan.virtual_servers.is_empty());
        assert!(warnings[0].contains("NOPE"), "{warnings:?}");
    }

    #[test]
    fn tunnels_other_checkers_and_sorry_ports() {
        let (plan, warnings) = plan_of(
            r#"
track_file tf {
    file /tmp/nothing
}
virtual_server 192.0.2.20 443 {
    protocol TCP
    lb_kind TUN type gue port 6080 csum
    sorry_server 203.0.113.5 8443
    real_server 198.51.100.7 {
        SSL_GET {
            url {
                path /
            }
            enable_sni
            virtualhost www.example.com
            http_protocol 1.1
        }
        SMTP_CHECK {
            helo_name mx.example.com
            connect_port 25
        }
        DNS_CHECK {
            type a
            name example.com
        }
        PING_CHECK {
        }
        UDP_CHECK {
            connect_port 53
            payload 0a0b
            require_reply
        }
        FILE_CHECK {
            track_file tf
        }
    }
}
"#,
        );
        let vs = &plan.virtual_servers[0];
        let key = vs.services[0].key;
        let tun = ForwardMethod::Tunnel(Tunnel {
            kind: TunnelType::Gue,
            port: 6080,
            flags: TunnelFlags::CSUM,
        });
        // Not NAT: the sorry server's port is the service's.
        let sorry = vs.sorry.as_ref().unwrap().destination(&key, 1);
        assert_eq!((sorry.addr, sorry.forward), (sa("203.0.113.5:443"), tun));
        let rs = &vs.real_servers[0];
        assert_eq!(rs.destination(&key).forward, tun);
        let kinds: Vec<&str> = rs.checkers.iter().map(|c| c.keyword).collect();
        assert_eq!(
            kinds,
            [
                "SSL_GET",
                "SMTP_CHECK",
                "DNS_CHECK",
                "PING_CHECK",
                "UDP_CHECK"
            ]
        );
        let Check::Http(h) = &rs.checkers[0].check else {
            panic!()
        };
        assert!(h.tls.is_some());
        assert_eq!(h.version, http::Version::HTTP_11);
        assert_eq!(h.host.as_deref(), Some("www.example.com"));
        let Check::Smtp(m) = &rs.checkers[1].check else {
            panic!()
        };
        assert_eq!(
            (m.addr, m.helo_name.as_str()),
            (sa("198.51.100.7:25"), "mx.example.com")
        );
        let Check::Dns(d) = &rs.checkers[2].check else {
            panic!()
        };
        assert_eq!((d.qtype, d.name.as_str()), (QueryType::A, "example.com"));
        // DNS_CHECK: retry 3, delay_before_retry = delay_loop.
        assert_eq!(rs.checkers[2].timing.retry, 3);
        assert_eq!(
            rs.checkers[2].timing.delay_before_retry,
            Duration::from_secs(60)
        );
        let Check::Udp(u) = &rs.checkers[4].check else {
            panic!()
        };
        assert_eq!(
            (u.payload.as_slice(), u.expect.as_deref()),
            (&[10u8, 11][..], Some(&[][..]))
        );
        // FILE_CHECK is reported, not run.
        assert!(
            warnings.iter().any(|w| w.contains("FILE_CHECK")),
            "{warnings:?}"
        );
    }
}
