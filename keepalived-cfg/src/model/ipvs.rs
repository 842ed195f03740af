//! IPVS: `virtual_server`, `real_server`, the health checkers and
//! `virtual_server_group`.

use super::{RawNode, ScriptCommand, Spanned, UserGroup, Weight};
use crate::Span;
use std::net::IpAddr;
use std::time::Duration;

/// What a `virtual_server` line names.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VsTarget {
    /// `virtual_server IP PORT` (port may be omitted: 0, for
    /// persistent all-port services).
    Addr {
        /// The address.
        addr: IpAddr,
        /// The port.
        port: Option<u16>,
    },
    /// `virtual_server fwmark N`.
    Fwmark(u32),
    /// `virtual_server group NAME`.
    Group(String),
}

/// `lb_algo` / `lvs_sched`: the IPVS schedulers keepalived accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scheduler {
    /// `rr`: round robin.
    Rr,
    /// `wrr`: weighted round robin.
    Wrr,
    /// `lc`: least connection.
    Lc,
    /// `wlc`: weighted least connection (IPVS's default).
    Wlc,
    /// `lblc`: locality-based least connection.
    Lblc,
    /// `sh`: source hashing.
    Sh,
    /// `mh`: maglev hashing.
    Mh,
    /// `dh`: destination hashing.
    Dh,
    /// `fo`: weighted failover.
    Fo,
    /// `ovf`: weighted overflow.
    Ovf,
    /// `lblcr`: locality-based least connection with replication.
    Lblcr,
    /// `sed`: shortest expected delay.
    Sed,
    /// `nq`: never queue.
    Nq,
    /// `twos`: weighted random twos choice.
    Twos,
}

impl Scheduler {
    /// Every scheduler with its keepalived name.
    pub const ALL: [(&'static str, Scheduler); 14] = [
        ("rr", Scheduler::Rr),
        ("wrr", Scheduler::Wrr),
        ("lc", Scheduler::Lc),
        ("wlc", Scheduler::Wlc),
        ("lblc", Scheduler::Lblc),
        ("sh", Scheduler::Sh),
        ("mh", Scheduler::Mh),
        ("dh", Scheduler::Dh),
        ("fo", Scheduler::Fo),
        ("ovf", Scheduler::Ovf),
        ("lblcr", Scheduler::Lblcr),
        ("sed", Scheduler::Sed),
        ("nq", Scheduler::Nq),
        ("twos", Scheduler::Twos),
    ];

    /// The scheduler named `name` (case-sensitive, as keepalived).
    pub fn from_name(name: &str) -> Option<Scheduler> {
        Scheduler::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| *s)
    }

    /// The keepalived name.
    pub fn name(self) -> &'static str {
        Scheduler::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("wlc", |(n, _)| n)
    }
}

/// `lb_kind` / `lvs_method`: how IPVS forwards to real servers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ForwardingMethod {
    /// `NAT`: masquerading (what keepalived uses when none is given).
    Nat,
    /// `DR`: direct routing.
    Dr,
    /// `TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]`: tunnelling;
    /// the options are kept as written.
    Tun(Vec<Spanned<String>>),
}

/// `protocol TCP|UDP|SCTP` (any case).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP (what keepalived uses when none is given).
    Udp,
    /// SCTP.
    Sctp,
}

/// `virtual_server ... { ... }`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct VirtualServer {
    /// `IP PORT`, `fwmark N` or `group NAME`.
    pub target: Spanned<VsTarget>,
    /// `ip_family inet|inet6` (fwmark services).
    pub ip_family: Option<Spanned<String>>,
    /// `delay_loop SECS` (decimal): time between checks; default 60 s.
    pub delay_loop: Option<Spanned<Duration>>,
    /// `lb_algo` / `lvs_sched NAME`. Not written: keepalived reports it
    /// ("no scheduler set") and uses `wlc`.
    pub lb_algo: Option<Spanned<Scheduler>>,
    /// `hashed`, `ops`, `flag-1`..`flag-3`, `sh-port`, `sh-fallback`,
    /// `mh-port`, `mh-fallback`: scheduler flags, in order written (all
    /// but `ops` and `flag-N` need `lb_algo sh` or `mh` written before).
    pub lb_flags: Vec<Spanned<String>>,
    /// `lb_kind` / `lvs_method NAT|DR|TUN`. Not written (here and on the
    /// real server): keepalived reports it and uses NAT.
    pub lb_kind: Option<Spanned<ForwardingMethod>>,
    /// `persistence_engine NAME`.
    pub persistence_engine: Option<Spanned<String>>,
    /// `persistence_timeout [SECS]` (1..=2678400); without a value 360 s;
    /// not written: no persistence.
    pub persistence_timeout: Option<Spanned<u32>>,
    /// `persistence_granularity MASK`: an IPv4 netmask (as `inet_aton`
    /// reads it) or an IPv6 prefix length. Turns persistence on (360 s)
    /// when `persistence_timeout` is not written.
    pub persistence_granularity: Option<Spanned<String>>,
    /// `protocol TCP|UDP|SCTP`. Not written on an address service:
    /// keepalived reports it and uses UDP (the kernel's default); ignored
    /// (and reported) on fwmark services.
    pub protocol: Option<Spanned<Protocol>>,
    /// `ha_suspend`: remove the service while its VIP is absent.
    pub ha_suspend: Option<Spanned<bool>>,
    /// `smtp_alert [BOOL]`.
    pub smtp_alert: Option<Spanned<bool>>,
    /// `virtualhost NAME`: default `Host:` for HTTP/SSL checks.
    pub virtualhost: Option<Spanned<String>>,
    /// `alpha`: real servers start down until a check succeeds.
    pub alpha: Option<Spanned<bool>>,
    /// `omega`: run `quorum_down` and clear the pool at shutdown.
    pub omega: Option<Spanned<bool>>,
    /// `quorum_up SCRIPT [USER [GROUP]]`.
    pub quorum_up: Option<Box<Spanned<ScriptCommand>>>,
    /// `quorum_down SCRIPT [USER [GROUP]]`.
    pub quorum_down: Option<Box<Spanned<ScriptCommand>>>,
    /// `quorum N`: minimum total weight of live servers; default 1.
    pub quorum: Option<Spanned<u32>>,
    /// `hysteresis N`: tolerance around the quorum; default 0.
    pub hysteresis: Option<Spanned<u32>>,
    /// `weight N` (1..=2147483647) for a virtual server in a group; default 1.
    pub weight: Option<Spanned<u32>>,
    /// `sorry_server IP [PORT]`: used when every real server is down.
    pub sorry_server: Option<Spanned<(IpAddr, Option<u16>)>>,
    /// `sorry_server_inhibit`.
    pub sorry_server_inhibit: Option<Spanned<bool>>,
    /// `sorry_server_lvs_method NAT|DR|TUN`.
    pub sorry_server_lvs_method: Option<Spanned<ForwardingMethod>>,
    /// `inhibit_on_failure [BOOL]`: default for the real servers.
    pub inhibit_on_failure: Option<Spanned<bool>>,
    /// `retry N`: default for the checkers.
    pub retry: Option<Spanned<u32>>,
    /// `delay_before_retry SECS`: default for the checkers.
    pub delay_before_retry: Option<Spanned<Duration>>,
    /// `warmup SECS`: default for the checkers.
    pub warmup: Option<Spanned<Duration>>,
    /// `connect_timeout SECS`: default for the checkers (5 s).
    pub connect_timeout: Option<Spanned<Duration>>,
    /// `real_server IP PORT { ... }` blocks.
    pub real_servers: Vec<RealServer>,
    /// Every other `virtual_server` keyword keepalived knows, as written.
    pub other: Vec<RawNode>,
}

impl VirtualServer {
    /// The time between checks keepalived uses: as written, or 60 s.
    pub fn effective_delay_loop(&self) -> Duration {
        self.delay_loop
            .as_ref()
            .map_or(Duration::from_secs(60), |d| d.value)
    }

    /// The scheduler keepalived uses: as written, or `wlc`.
    pub fn effective_lb_algo(&self) -> Scheduler {
        self.lb_algo.as_ref().map_or(Scheduler::Wlc, |s| s.value)
    }

    /// The forwarding method keepalived uses: as written, or NAT.
    pub fn effective_lb_kind(&self) -> ForwardingMethod {
        self.lb_kind
            .as_ref()
            .map_or(ForwardingMethod::Nat, |k| k.value.clone())
    }

    /// The protocol keepalived uses: as written, or UDP (the kernel's
    /// default, which keepalived reports choosing).
    pub fn effective_protocol(&self) -> Protocol {
        self.protocol.as_ref().map_or(Protocol::Udp, |p| p.value)
    }

    /// The quorum keepalived uses: as written, or 1.
    pub fn effective_quorum(&self) -> u32 {
        self.quorum.as_ref().map_or(1, |q| q.value)
    }

    /// A virtual server with nothing but its target.
    pub fn new(target: Spanned<VsTarget>) -> Self {
        VirtualServer {
            target,
            ip_family: None,
            delay_loop: None,
            lb_algo: None,
            lb_flags: Vec::new(),
            lb_kind: None,
            persistence_engine: None,
            persistence_timeout: None,
            persistence_granularity: None,
            protocol: None,
            ha_suspend: None,
            smtp_alert: None,
            virtualhost: None,
            alpha: None,
            omega: None,
            quorum_up: None,
            quorum_down: None,
            quorum: None,
            hysteresis: None,
            weight: None,
            sorry_server: None,
            sorry_server_inhibit: None,
            sorry_server_lvs_method: None,
            inhibit_on_failure: None,
            retry: None,
            delay_before_retry: None,
            warmup: None,
            connect_timeout: None,
            real_servers: Vec::new(),
            other: Vec::new(),
        }
    }
}

/// `real_server IP [PORT] { ... }`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RealServer {
    /// The address.
    pub addr: Spanned<IpAddr>,
    /// The port; default the virtual server's.
    pub port: Option<Spanned<u16>>,
    /// `weight N` (0..=2147483647); default 1.
    pub weight: Option<Spanned<u32>>,
    /// `lvs_method NAT|DR|TUN`; default the virtual server's `lb_kind`.
    pub lvs_method: Option<Spanned<ForwardingMethod>>,
    /// Every other setting: rarely written, so boxed (a real server stays
    /// small); `None` when none is written.
    pub settings: Option<Box<RealServerSettings>>,
    /// The health checkers, in order.
    pub checkers: Vec<Checker>,
    /// Every other `real_server` keyword keepalived knows, as written.
    pub other: Vec<RawNode>,
}

/// The rarer settings of a `real_server` ([`RealServer::settings`]).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct RealServerSettings {
    /// `uthreshold N`: maximum connections.
    pub uthreshold: Option<Spanned<u32>>,
    /// `lthreshold N`: connections below which the server is used again.
    pub lthreshold: Option<Spanned<u32>>,
    /// `inhibit_on_failure [BOOL]`: set weight 0 rather than remove.
    pub inhibit_on_failure: Option<Spanned<bool>>,
    /// `notify_up SCRIPT [USER [GROUP]]`.
    pub notify_up: Option<Box<Spanned<ScriptCommand>>>,
    /// `notify_down SCRIPT [USER [GROUP]]`.
    pub notify_down: Option<Box<Spanned<ScriptCommand>>>,
    /// `alpha`.
    pub alpha: Option<Spanned<bool>>,
    /// `retry N`: default for this server's checkers.
    pub retry: Option<Spanned<u32>>,
    /// `delay_before_retry SECS`.
    pub delay_before_retry: Option<Spanned<Duration>>,
    /// `warmup SECS`.
    pub warmup: Option<Spanned<Duration>>,
    /// `connect_timeout SECS`.
    pub connect_timeout: Option<Spanned<Duration>>,
    /// `delay_loop SECS`.
    pub delay_loop: Option<Spanned<Duration>>,
    /// `smtp_alert [BOOL]`.
    pub smtp_alert: Option<Spanned<bool>>,
    /// `virtualhost NAME`.
    pub virtualhost: Option<Spanned<String>>,
}

impl RealServer {
    /// The weight keepalived uses: as written, or 1.
    pub fn effective_weight(&self) -> u32 {
        self.weight.as_ref().map_or(1, |w| w.value)
    }

    /// A real server with nothing but its address.
    pub fn new(addr: Spanned<IpAddr>, port: Option<Spanned<u16>>) -> Self {
        RealServer {
            addr,
            port,
            weight: None,
            lvs_method: None,
            settings: None,
            checkers: Vec::new(),
            other: Vec::new(),
        }
    }

    /// The rarer settings, made empty when none was written yet.
    pub fn settings_mut(&mut self) -> &mut RealServerSettings {
        self.settings.get_or_insert_with(Box::default)
    }

    /// The rarer settings as written (all `None` when none was).
    pub fn settings(&self) -> &RealServerSettings {
        static NONE: RealServerSettings = RealServerSettings {
            uthreshold: None,
            lthreshold: None,
            inhibit_on_failure: None,
            notify_up: None,
            notify_down: None,
            alpha: None,
            retry: None,
            delay_before_retry: None,
            warmup: None,
            connect_timeout: None,
            delay_loop: None,
            smtp_alert: None,
            virtualhost: None,
        };
        self.settings.as_deref().unwrap_or(&NONE)
    }
}

/// Settings every checker has (keepalived's "checker common keywords").
/// The `connect_*`, `bind*` and `fwmark` ones do not exist in MISC_CHECK
/// and FILE_CHECK.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckerCommon {
    /// `connect_ip`, `connect_port`, `bindto`, `bind_port`, `bind_if` and
    /// `fwmark`: rarely written, so boxed (a checker stays small); `None`
    /// when none of them is written.
    pub connection: Option<Box<CheckerConnection>>,
    /// `connect_timeout SECS`; default the real server's or virtual
    /// server's, else 5 s.
    pub connect_timeout: Option<Spanned<Duration>>,
    /// `retry`, `delay_before_retry`, `warmup`, `delay_loop`, `alpha` and
    /// `log_all_failures`: boxed like `connection`; `None` when none of
    /// them is written.
    pub timing: Option<Box<CheckerTiming>>,
}

impl CheckerCommon {
    /// The connection settings, made empty when none was written yet.
    pub fn connection_mut(&mut self) -> &mut CheckerConnection {
        self.connection.get_or_insert_with(Box::default)
    }

    /// `connect_port`, if written.
    pub fn connect_port(&self) -> Option<Spanned<u16>> {
        self.connection.as_ref().and_then(|c| c.connect_port)
    }

    /// The timing settings, made empty when none was written yet.
    pub fn timing_mut(&mut self) -> &mut CheckerTiming {
        self.timing.get_or_insert_with(Box::default)
    }

    /// The timing settings as written (all `None` when none was).
    pub fn timing(&self) -> &CheckerTiming {
        static NONE: CheckerTiming = CheckerTiming {
            retry: None,
            delay_before_retry: None,
            warmup: None,
            delay_loop: None,
            alpha: None,
            log_all_failures: None,
        };
        self.timing.as_deref().unwrap_or(&NONE)
    }
}

/// When a checker runs and how its results count
/// ([`CheckerCommon::timing`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckerTiming {
    /// `retry N` (or the deprecated `nb_get_retry` in HTTP_GET/SSL_GET);
    /// default the real server's or virtual server's `retry`, else
    /// keepalived's default for the checker type.
    pub retry: Option<Spanned<u32>>,
    /// `delay_before_retry SECS`; default the real server's or virtual
    /// server's, else keepalived's default for the checker type.
    pub delay_before_retry: Option<Spanned<Duration>>,
    /// `warmup SECS`: random delay before the first check.
    pub warmup: Option<Spanned<Duration>>,
    /// `delay_loop SECS`; default the virtual server's.
    pub delay_loop: Option<Spanned<Duration>>,
    /// `alpha [BOOL]`.
    pub alpha: Option<Spanned<bool>>,
    /// `log_all_failures [BOOL]`.
    pub log_all_failures: Option<Spanned<bool>>,
}

/// Where a checker connects to and from ([`CheckerCommon::connection`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckerConnection {
    /// `connect_ip ADDR`; default the real server's address.
    pub connect_ip: Option<Spanned<IpAddr>>,
    /// `connect_port PORT`; default the real server's port.
    pub connect_port: Option<Spanned<u16>>,
    /// `bindto ADDR`: source address.
    pub bindto: Option<Spanned<IpAddr>>,
    /// `bind_port PORT`: source port.
    pub bind_port: Option<Spanned<u16>>,
    /// `bind_if IF`: source interface (IPv6 link-local).
    pub bind_if: Option<Spanned<String>>,
    /// `fwmark N`: mark the check's packets.
    pub fwmark: Option<Spanned<u32>>,
}

/// A health checker block inside `real_server`. Equality ignores `span`.
#[derive(Clone, Debug)]
pub struct Checker {
    /// Where the checker keyword (`TCP_CHECK`, ...) was.
    pub span: Span,
    /// Where its block's `}` was, if written (keepalived reports a
    /// checker's missing settings there).
    pub end: Option<Span>,
    /// The settings every checker has.
    pub common: CheckerCommon,
    /// The checker and its own settings.
    pub kind: CheckerKind,
    /// Every other keyword keepalived knows in this checker, as written.
    pub other: Vec<RawNode>,
}

/// The checker types. Their own settings are boxed: a checker stays
/// small whatever its type (most are `TCP_CHECK`s with none).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum CheckerKind {
    /// `TCP_CHECK`: connect, then close.
    Tcp,
    /// `HTTP_GET`.
    HttpGet(Box<HttpCheck>),
    /// `SSL_GET`.
    SslGet(Box<HttpCheck>),
    /// `MISC_CHECK`: run a script.
    Misc(Box<MiscCheck>),
    /// `SMTP_CHECK`.
    Smtp(Box<SmtpCheck>),
    /// `DNS_CHECK`.
    Dns(Box<DnsCheck>),
    /// `UDP_CHECK`.
    Udp(Box<UdpCheck>),
    /// `PING_CHECK`: ICMP echo.
    Ping,
    /// `FILE_CHECK`: the server is up while a file holds non-zero.
    File(Box<FileCheck>),
    /// `BFD_CHECK`: follow a BFD session (`name NAME`, `alpha`).
    Bfd(Vec<RawNode>),
}

impl CheckerKind {
    /// The keyword that opens this checker.
    pub fn keyword(&self) -> &'static str {
        match self {
            CheckerKind::Tcp => "TCP_CHECK",
            CheckerKind::HttpGet(_) => "HTTP_GET",
            CheckerKind::SslGet(_) => "SSL_GET",
            CheckerKind::Misc(_) => "MISC_CHECK",
            CheckerKind::Smtp(_) => "SMTP_CHECK",
            CheckerKind::Dns(_) => "DNS_CHECK",
            CheckerKind::Udp(_) => "UDP_CHECK",
            CheckerKind::Ping => "PING_CHECK",
            CheckerKind::File(_) => "FILE_CHECK",
            CheckerKind::Bfd(_) => "BFD_CHECK",
        }
    }
}

/// `status_code` values: single codes and `LO-HI` ranges.
pub type StatusCodes = Vec<Spanned<(u16, u16)>>;

/// `url { ... }` in HTTP_GET / SSL_GET. Equality ignores `span`.
#[derive(Clone, Debug, Default)]
pub struct Url {
    /// Where the `url` keyword was.
    pub span: Span,
    /// `path PATH`: required.
    pub path: Option<Spanned<String>>,
    /// `digest HEX`: MD5 of the expected body (32 hex digits).
    pub digest: Option<Spanned<String>>,
    /// `status_code N|LO-HI ...`; default any 2xx.
    pub status_code: StatusCodes,
    /// `virtualhost NAME`: `Host:` for this URL.
    pub virtualhost: Option<Spanned<String>>,
    /// `regex`, `regex_no_match`, ... as written.
    pub other: Vec<RawNode>,
}

/// HTTP_GET / SSL_GET settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpCheck {
    /// `url { ... }` blocks (at least one is needed).
    pub urls: Vec<Url>,
    /// `virtualhost NAME`.
    pub virtualhost: Option<Spanned<String>>,
    /// `http_protocol 1.0|1.0C|1.1|1.0K`; default 1.0.
    pub http_protocol: Option<Spanned<String>>,
    /// `enable_sni [BOOL]` (SSL_GET).
    pub enable_sni: Option<Spanned<bool>>,
    /// `fast_recovery [BOOL]`.
    pub fast_recovery: Option<Spanned<bool>>,
}

/// MISC_CHECK settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MiscCheck {
    /// `misc_path "COMMAND ARGS"`: required.
    pub misc_path: Option<Spanned<String>>,
    /// `misc_timeout SECS`; default `delay_loop`.
    pub misc_timeout: Option<Spanned<Duration>>,
    /// `misc_dynamic [BOOL]`: the exit code sets the weight.
    pub misc_dynamic: Option<Spanned<bool>>,
    /// `user USER [GROUP]`.
    pub user: Option<Spanned<UserGroup>>,
}

/// SMTP_CHECK settings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SmtpCheck {
    /// `helo_name NAME`; default the host name.
    pub helo_name: Option<Spanned<String>>,
    /// Deprecated `host { ... }` blocks, each its own connection settings.
    pub hosts: Vec<Spanned<CheckerCommon>>,
}

/// DNS_CHECK settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DnsCheck {
    /// `type A|NS|CNAME|SOA|MX|TXT|AAAA` (any case); default SOA.
    pub query_type: Option<Spanned<String>>,
    /// `name NAME`: the name queried; default `.`.
    pub name: Option<Spanned<String>>,
}

/// UDP_CHECK settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UdpCheck {
    /// `payload HEX`: the bytes sent.
    pub payload: Option<Spanned<String>>,
    /// `require_reply [HEX]`: a reply is needed (matching HEX if given).
    pub require_reply: Option<Spanned<Option<String>>>,
    /// `min_reply_length N`.
    pub min_reply_length: Option<Spanned<u32>>,
    /// `max_reply_length N`.
    pub max_reply_length: Option<Spanned<u32>>,
}

/// FILE_CHECK settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileCheck {
    /// `track_file NAME`: a `track_file` block: required.
    pub track_file: Option<Spanned<String>>,
    /// `weight N [reverse]`.
    pub weight: Option<Spanned<Weight>>,
}

/// One line of `virtual_server_group`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VsgEntry {
    /// `IP[-LAST] [PORT]`: an address, or a range whose last byte (IPv4)
    /// or last 16-bit group (IPv6) runs to `range_end`.
    Addr {
        /// The (first) address.
        addr: IpAddr,
        /// The last byte / group of a range.
        range_end: Option<u32>,
        /// The port.
        port: Option<u16>,
    },
    /// `fwmark N [inet|inet6]`.
    Fwmark {
        /// The mark.
        mark: u32,
        /// The address family, when written.
        family: Option<String>,
    },
}

/// `virtual_server_group NAME { ... }`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct VirtualServerGroup {
    /// The group name.
    pub name: Spanned<String>,
    /// The members.
    pub entries: Vec<Spanned<VsgEntry>>,
}

impl PartialEq for Checker {
    fn eq(&self, other: &Self) -> bool {
        let Checker {
            span: _,
            end: _,
            common,
            kind,
            other: rest,
        } = self;
        *common == other.common && *kind == other.kind && *rest == other.other
    }
}

impl PartialEq for Url {
    fn eq(&self, other: &Self) -> bool {
        let Url {
            span: _,
            path,
            digest,
            status_code,
            virtualhost,
            other: rest,
        } = self;
        *path == other.path
            && *digest == other.digest
            && *status_code == other.status_code
            && *virtualhost == other.virtualhost
            && *rest == other.other
    }
}

impl Eq for Url {}
