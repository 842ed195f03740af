//! From the `lbkit-haproxy-cfg` effective model to the engine's runtime
//! configuration ([`haproxy_rs::proxy::config`]) and the health checks
//! ([`health`]).
//!
//! Every use of the configuration model lives under this module: the
//! mapping reads the model's public fields only. The rules, one per
//! keyword family:
//!
//! * a `frontend` gives a [`Frontend`], a `backend` a [`Backend`], a
//!   `listen` both under its name (its frontend falls back to itself);
//! * `bind` addresses are resolved, port ranges and lists expanded, `ssl
//!   crt` and `alpn` carried over;
//! * ACLs are resolved into the engine's fetches; fetches, converters and
//!   actions the engine does not run are errors pointing at their line;
//! * `balance` and `hash-type` go through lbkit-sched's parser;
//! * timeouts become [`Duration`]s, `retries` defaults to 3, `option
//!   redispatch` gives `Some(-1)`;
//! * log targets: `log global` expanded, facility and level numbers, UDP
//!   port 514 by default, paths as unix sockets.

pub(crate) mod health;
pub(crate) mod master;
pub(crate) mod notify;
pub(crate) mod process;
mod rules;

use haproxy_rs::ops::socket::SocketSpec;
use haproxy_rs::proxy::config::{
    Backend, BackendTimeouts, Bind, BindTls, Config, Frontend, FrontendTimeouts, Global,
    HttpConnMode, LogAddr, LogFormat, LogSettings, LogTarget, Mode, Server, ServerTls, UseBackend,
};
use lbkit_haproxy_cfg::model::{self, ProxyKind};
use lbkit_haproxy_cfg::SmolStr;
use lbkit_haproxy_cfg::{Host, Loaded, Port, SockAddr, Span};
use lbkit_sched::haproxy::{BalancerConfig, HashType};
use std::collections::BTreeSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

/// A configuration element the engine cannot run, and where it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub(crate) struct CompileError {
    /// `file:line:col`.
    pub(crate) location: String,
    /// What is wrong.
    pub(crate) message: String,
}

/// The result of compiling a configuration.
#[derive(Debug)]
pub(crate) struct Compiled {
    /// What the proxy engine runs.
    pub(crate) config: Config,
    /// The health checks to run against it.
    pub(crate) checks: Vec<health::ServerCheck>,
    /// Process settings of the `global` section.
    pub(crate) process: ProcessSettings,
    /// Things accepted but not applied (printed as warnings).
    pub(crate) warnings: Vec<CompileError>,
}

/// `global` settings the process itself applies.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ProcessSettings {
    /// `nbthread` (None: one per core).
    pub(crate) nbthread: Option<usize>,
    /// `daemon`.
    pub(crate) daemon: bool,
    /// `pidfile`.
    pub(crate) pidfile: Option<PathBuf>,
    /// `stats socket` lines, with `stats timeout` applied.
    pub(crate) stats_sockets: Vec<SocketSpec>,
    /// `hard-stop-after`: how long a soft-stopping process may wait for
    /// its connections (None: as long as they last).
    pub(crate) hard_stop_after: Option<Duration>,
    /// `master-worker`.
    pub(crate) master_worker: bool,
}

/// Collects errors and warnings with their locations.
pub(crate) struct Ctx<'a> {
    loaded: &'a Loaded,
    errors: Vec<CompileError>,
    warnings: Vec<CompileError>,
}

impl<'a> Ctx<'a> {
    fn new(loaded: &'a Loaded) -> Self {
        Ctx {
            loaded,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// `file:line:col` of a span.
    fn location(&self, span: Span) -> String {
        format!(
            "{}:{}:{}",
            self.loaded.sources.path(span.file).display(),
            span.line,
            span.col
        )
    }

    /// Records an error at `span`.
    pub(crate) fn error(&mut self, span: Span, message: impl fmt::Display) {
        let location = self.location(span);
        self.errors.push(CompileError {
            location,
            message: message.to_string(),
        });
    }

    /// Records a warning at `span`.
    pub(crate) fn warn(&mut self, span: Span, message: impl fmt::Display) {
        let location = self.location(span);
        self.warnings.push(CompileError {
            location,
            message: message.to_string(),
        });
    }

    /// The loaded configuration.
    pub(crate) fn loaded(&self) -> &'a Loaded {
        self.loaded
    }
}

/// Compiles a loaded (and checked) configuration. Every element the engine
/// cannot run is reported; nothing is silently dropped.
pub(crate) fn compile(loaded: &Loaded) -> Result<Compiled, Vec<CompileError>> {
    let mut cx = Ctx::new(loaded);
    let cfg = &loaded.config;
    let global_logs = log_targets(&mut cx, &cfg.global.logs, &[]);
    let mut config = Config {
        global: Global {
            maxconn: cfg.global.maxconn.as_ref().map_or(0, |m| saturate(m.value)),
        },
        ..Config::default()
    };
    let mut checks = Vec::new();
    for p in &cfg.proxies {
        match p.kind {
            ProxyKind::Frontend => {
                if let Some(fe) = frontend(&mut cx, p, &global_logs) {
                    config.frontends.push(fe);
                }
            }
            ProxyKind::Backend => {
                if p.stats.enabled {
                    cx.warn(
                        p.span,
                        format!(
                            "'{}': the stats page is served from a 'frontend' or 'listen' section only; not applied here",
                            p.name
                        ),
                    );
                }
                if let Some((be, hc)) = backend(&mut cx, p) {
                    config.backends.push(be);
                    checks.extend(hc);
                }
            }
            ProxyKind::Listen => {
                let fe = frontend(&mut cx, p, &global_logs);
                let be = backend(&mut cx, p);
                if let (Some(mut fe), Some((be, hc))) = (fe, be) {
                    if fe.default_backend.is_none() {
                        fe.default_backend = Some(be.name.clone());
                    }
                    config.frontends.push(fe);
                    config.backends.push(be);
                    checks.extend(hc);
                }
            }
            ProxyKind::Defaults => {}
        }
    }
    for (what, set) in [
        ("user", cfg.global.user.as_ref().map(|u| u.span)),
        ("group", cfg.global.group.as_ref().map(|g| g.span)),
    ] {
        if let Some(span) = set {
            cx.warn(
                span,
                format!("'{what}' is not applied: the process keeps its identity"),
            );
        }
    }
    let mut process = process_settings(&cfg.global);
    process.stats_sockets = stats_sockets(&mut cx, &cfg.global);
    if cx.errors.is_empty() {
        Ok(Compiled {
            config,
            checks,
            process,
            warnings: cx.warnings,
        })
    } else {
        Err(cx.errors)
    }
}

/// `nbthread`, `daemon`, `pidfile`, `hard-stop-after`, `master-worker`.
fn process_settings(g: &model::Global) -> ProcessSettings {
    ProcessSettings {
        nbthread: g
            .nbthread
            .as_ref()
            .and_then(|n| usize::try_from(n.value).ok())
            .filter(|n| *n > 0),
        daemon: g.daemon,
        pidfile: g.pidfile.as_ref().map(|p| PathBuf::from(p.value.as_str())),
        stats_sockets: Vec::new(),
        hard_stop_after: g
            .other
            .iter()
            .find(|l| l.words.first().is_some_and(|w| w == "hard-stop-after"))
            .and_then(|l| l.words.get(1))
            .and_then(|t| lbkit_haproxy_cfg::parse_time(t, lbkit_haproxy_cfg::TimeUnit::Ms).ok())
            .map(Duration::from_millis),
        master_worker: g
            .other
            .iter()
            .any(|l| l.words.first().is_some_and(|w| w == "master-worker")),
    }
}

/// The `stats socket` lines of `global`; `stats timeout` sets their idle
/// limit.
fn stats_sockets(cx: &mut Ctx<'_>, g: &model::Global) -> Vec<SocketSpec> {
    let mut specs = Vec::new();
    for line in &g.stats_sockets {
        let address = line.value.address.to_string();
        let mut words = vec![address.as_str()];
        words.extend(line.value.options.iter().map(|o| o.as_str()));
        match SocketSpec::parse(&words) {
            Ok(mut spec) => {
                if let Some(t) = &g.stats_timeout {
                    spec.timeout = Duration::from_millis(t.value);
                }
                specs.push(spec);
            }
            Err(e) => cx.error(line.span, format!("'stats socket' : {e}")),
        }
    }
    specs
}

/// A count clamped into `u32`.
fn saturate(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// A timeout in milliseconds as a [`Duration`].
fn ms(t: &Option<model::Located<u64>>) -> Option<Duration> {
    t.as_ref().map(|t| Duration::from_millis(t.value))
}

/// The engine's mode; `mode log` is refused.
fn mode(cx: &mut Ctx<'_>, p: &model::Proxy) -> Option<Mode> {
    match p.mode {
        model::Mode::Tcp => Some(Mode::Tcp),
        model::Mode::Http => Some(Mode::Http),
        model::Mode::Log => {
            cx.error(p.span, format!("'{}': mode log is not supported", p.name));
            None
        }
    }
}

/// `option httpclose / http-server-close / http-keep-alive`.
fn conn_mode(p: &model::Proxy) -> HttpConnMode {
    if p.option("httpclose") {
        HttpConnMode::Close
    } else if p.option("http-server-close") {
        HttpConnMode::ServerClose
    } else {
        HttpConnMode::KeepAlive
    }
}

/// `stats enable`, `stats uri`, `stats auth`, `stats realm`, `stats
/// refresh`, `stats admin`, `stats hide-version`: the page, when enabled.
fn stats_page(
    cx: &mut Ctx<'_>,
    p: &model::Proxy,
    acls: &rules::AclTable,
) -> Option<haproxy_rs::proxy::config::StatsPage> {
    use haproxy_rs::proxy::config::StatsPage;
    let st = &p.stats;
    if !st.enabled {
        return None;
    }
    let admin = match &st.admin {
        Some(c) => Some(acls.condition(cx, c, p.span)?),
        None => None,
    };
    let hide_version = p.other.iter().any(|l| {
        l.words.first().map(|w| w.as_str()) == Some("stats")
            && l.words.get(1).map(|w| w.as_str()) == Some("hide-version")
    });
    Some(StatsPage {
        uri: st
            .uri
            .as_ref()
            .map_or("/haproxy?stats".to_string(), |u| u.to_string()),
        auth: st
            .auth
            .iter()
            .map(|a| StatsPage::basic_credentials(a))
            .collect(),
        realm: st
            .realm
            .as_ref()
            .map_or("HAProxy Statistics".to_string(), |r| r.to_string()),
        refresh_secs: st.refresh.map(|ms| ms.div_ceil(1000)),
        admin,
        hide_version,
    })
}

/// The frontend half of a `frontend` or `listen`.
fn frontend(cx: &mut Ctx<'_>, p: &model::Proxy, global_logs: &[LogTarget]) -> Option<Frontend> {
    let errors = cx.errors.len();
    let mode = mode(cx, p)?;
    let mut binds = Vec::new();
    for b in &p.binds {
        binds.extend(bind(cx, b));
    }
    let acls = rules::AclTable::new(cx, p);
    let mut use_backends = Vec::new();
    for u in &p.use_backends {
        let name = u.backend.value.as_str();
        if name.contains('%') {
            cx.error(
                u.backend.span,
                format!("use_backend '{name}': dynamic backend names are not supported"),
            );
            continue;
        }
        let cond = match &u.condition {
            Some(c) => acls.condition(cx, c, u.backend.span),
            None => Some(haproxy_rs::proxy::config::Condition::always()),
        };
        if let Some(cond) = cond {
            use_backends.push(UseBackend {
                backend: name.to_string(),
                cond,
            });
        }
    }
    let http_request = rules::http_request_rules(cx, p, &acls);
    let fe = Frontend {
        name: p.name.to_string(),
        binds,
        mode,
        maxconn: p.maxconn.map_or(0, saturate),
        timeouts: FrontendTimeouts {
            client: ms(&p.timeouts.client),
            client_fin: ms(&p.timeouts.client_fin),
            http_request: ms(&p.timeouts.http_request),
            http_keep_alive: ms(&p.timeouts.http_keep_alive),
        },
        default_backend: p
            .default_backend
            .as_ref()
            .map(|d| d.value.as_str().to_string()),
        use_backends,
        http_request,
        http_response: rules::http_response_rules(cx, p, &acls),
        tcp_connection: rules::tcp_request_rules(cx, p, &acls, false),
        tcp_content: rules::tcp_request_rules(cx, p, &acls, true),
        forwardfor: p.option("forwardfor"),
        http_conn_mode: conn_mode(p),
        log: log_settings(cx, p, global_logs),
        stats: stats_page(cx, p, &acls),
    };
    (cx.errors.len() == errors).then_some(fe)
}

/// One `bind` line: one [`Bind`] per address and port.
fn bind(cx: &mut Ctx<'_>, b: &model::Bind) -> Vec<Bind> {
    let tls = if b.ssl {
        if b.crt.is_empty() {
            cx.error(b.span, "'bind ... ssl' needs a 'crt' file or directory");
            return Vec::new();
        }
        if !b.crt_list.is_empty() {
            cx.error(b.span, "'crt-list' is not supported");
        }
        Some(BindTls {
            crt: b.crt.iter().map(|c| PathBuf::from(c.as_str())).collect(),
            alpn: b
                .alpn
                .as_deref()
                .map(|a| {
                    a.split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
        })
    } else {
        None
    };
    if b.accept_proxy {
        cx.error(b.span, "'accept-proxy' is not supported");
    }
    let mut out = Vec::new();
    for a in &b.addresses {
        let Some(ip) = bind_ip(cx, a, b.span) else {
            continue;
        };
        let (low, high) = match a.port {
            Port::Fixed(p) => (p, p),
            Port::Range(l, h) if l <= h => (l, h),
            _ => {
                cx.error(b.span, "a bind address needs a port or a port range");
                continue;
            }
        };
        for port in low..=high {
            out.push(Bind {
                addr: SocketAddr::new(ip, port),
                tls: tls.clone(),
            });
        }
    }
    out
}

/// The IP a bind address listens on.
fn bind_ip(cx: &mut Ctx<'_>, a: &SockAddr, span: Span) -> Option<IpAddr> {
    let v6 = a.family.as_deref() == Some("ipv6");
    match &a.host {
        Host::Any if v6 => Some(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
        Host::Any => Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        Host::V4(ip) => Some(IpAddr::V4(*ip)),
        Host::V6(ip) => Some(IpAddr::V6(*ip)),
        Host::Name(n) => match resolve(n, 0) {
            Some(addr) => Some(addr.ip()),
            None => {
                cx.error(span, format!("could not resolve address '{n}'"));
                None
            }
        },
        Host::Path(p) => {
            cx.error(
                span,
                format!("unix socket '{p}': only TCP addresses are supported"),
            );
            None
        }
    }
}

/// The first address a name resolves to.
fn resolve(name: &str, port: u16) -> Option<SocketAddr> {
    (name, port).to_socket_addrs().ok()?.next()
}

/// Logging of a proxy: its targets (`log global` expanded), format and
/// `dontlognull`.
fn log_settings(cx: &mut Ctx<'_>, p: &model::Proxy, global: &[LogTarget]) -> LogSettings {
    let format = if p.option("httplog") {
        LogFormat::Http
    } else if p.option("tcplog") {
        LogFormat::Tcp
    } else {
        LogFormat::None
    };
    LogSettings {
        targets: log_targets(cx, &p.logs, global),
        format,
        dontlognull: p.option("dontlognull"),
    }
}

/// Resolves `log` lines; `log global` gives `global`.
fn log_targets(
    cx: &mut Ctx<'_>,
    logs: &[model::Located<model::LogTarget>],
    global: &[LogTarget],
) -> Vec<LogTarget> {
    let mut out = Vec::new();
    for l in logs {
        match &l.value {
            model::LogTarget::Global => out.extend(global.iter().cloned()),
            model::LogTarget::Address {
                address,
                facility,
                options,
            } => match log_target(address, facility, options) {
                Ok(t) => out.push(t),
                Err(e) => cx.error(l.span, e),
            },
        }
    }
    out
}

/// Syslog facilities by number.
const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2",
    "ftp", "ntp", "audit", "alert", "cron2", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];

/// Syslog levels by number.
const LEVELS: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// One `log ADDRESS FACILITY [LEVEL [MINLEVEL]]` target.
fn log_target(address: &str, facility: &str, options: &[SmolStr]) -> Result<LogTarget, String> {
    let facility = FACILITIES
        .iter()
        .position(|f| *f == facility)
        .ok_or_else(|| format!("unknown log facility '{facility}'"))?;
    // The level is the first level word (len/format/sample take a value).
    let mut level = LEVELS.len() - 1;
    let mut i = 0;
    while i < options.len() {
        let word = options[i].as_str();
        if matches!(word, "len" | "format" | "sample") {
            i += 2;
            continue;
        }
        if let Some(n) = LEVELS.iter().position(|l| *l == word) {
            level = n;
            break;
        }
        i += 1;
    }
    Ok(LogTarget {
        addr: log_addr(address)?,
        facility: u8::try_from(facility).unwrap_or(u8::MAX),
        level: u8::try_from(level).unwrap_or(7),
    })
}

/// A syslog address: a path or `unix@path` is a unix socket; otherwise
/// UDP, port 514 unless given.
fn log_addr(text: &str) -> Result<LogAddr, String> {
    if let Some(path) = text.strip_prefix("unix@") {
        return Ok(LogAddr::Unix(PathBuf::from(path)));
    }
    if text.starts_with('/') {
        return Ok(LogAddr::Unix(PathBuf::from(text)));
    }
    let rest = ["udp@", "udp4@", "udp6@", "ipv4@", "ipv6@"]
        .iter()
        .find_map(|p| text.strip_prefix(p))
        .unwrap_or(text);
    let unsupported = || format!("log target '{text}' is not supported (UDP or unix only)");
    if rest.contains('@') {
        return Err(unsupported());
    }
    if let Ok(ip) = rest.parse::<IpAddr>() {
        return Ok(LogAddr::Udp(SocketAddr::new(ip, 514)));
    }
    let bracketed = rest
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|r| r.parse::<IpAddr>().ok());
    if let Some(ip) = bracketed {
        return Ok(LogAddr::Udp(SocketAddr::new(ip, 514)));
    }
    if let Some(addr) = Bind::parse_addr(rest).filter(|a| !a.ip().is_unspecified()) {
        return Ok(LogAddr::Udp(addr));
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| unsupported())?),
        None => (rest, 514),
    };
    resolve(host, port)
        .map(LogAddr::Udp)
        .ok_or_else(|| format!("could not resolve log address '{text}'"))
}

/// The backend half of a `backend` or `listen`, and its checked servers.
fn backend(cx: &mut Ctx<'_>, p: &model::Proxy) -> Option<(Backend, Vec<health::ServerCheck>)> {
    let errors = cx.errors.len();
    let mode = mode(cx, p)?;
    let mut be = Backend::new(p.name.to_string(), mode);
    be.balance = balance(cx, p);
    be.timeouts = BackendTimeouts {
        connect: ms(&p.timeouts.connect),
        server: ms(&p.timeouts.server),
        queue: ms(&p.timeouts.queue),
        tunnel: ms(&p.timeouts.tunnel),
        server_fin: ms(&p.timeouts.server_fin),
    };
    be.retries = p
        .retries
        .map_or(3, |r| u32::try_from(r.max(0)).unwrap_or(u32::MAX));
    be.redispatch = redispatch(p);
    be.forwardfor = p.option("forwardfor");
    be.http_conn_mode = conn_mode(p);
    if p.kind == ProxyKind::Backend {
        let acls = rules::AclTable::new(cx, p);
        be.http_request = rules::http_request_rules(cx, p, &acls);
        be.http_response = rules::http_response_rules(cx, p, &acls);
        be.tcp_content = rules::tcp_request_rules(cx, p, &acls, true);
    }
    be.servers = servers(cx, p);
    let checks = health::server_checks(cx, p, &be.servers);
    (cx.errors.len() == errors).then_some((be, checks))
}

/// `option redispatch [INTERVAL]`: the interval is not kept by the model,
/// so the option gives HAProxy's default (redispatch on the last retry).
fn redispatch(p: &model::Proxy) -> Option<i32> {
    p.option("redispatch").then_some(-1)
}

/// `balance`, `hash-type` and `option allbackups` through lbkit-sched.
fn balance(cx: &mut Ctx<'_>, p: &model::Proxy) -> BalancerConfig {
    let default = BalancerConfig::new(lbkit_sched::haproxy::Balance::RoundRobin);
    let mut cfg = match &p.balance {
        None => default,
        Some(b) => {
            let mut text = b.algorithm.to_string();
            if let Some(arg) = &b.argument {
                text.push('(');
                text.push_str(arg);
                text.push(')');
            }
            for o in &b.options {
                text.push(' ');
                text.push_str(o);
            }
            match BalancerConfig::from_balance(&text) {
                Ok(c) => c,
                Err(e) => {
                    cx.error(p.span, format!("'{}': balance {text}: {e}", p.name));
                    default
                }
            }
        }
    };
    if let Some(h) = &p.hash_type {
        let mut text = h.method.to_string();
        if let Some(f) = &h.function {
            text.push(' ');
            text.push_str(f);
        }
        if h.avalanche {
            text.push_str(" avalanche");
        }
        match text.parse::<HashType>() {
            Ok(t) => cfg = cfg.hash_type(t),
            Err(e) => cx.error(p.span, format!("'{}': hash-type {text}: {e}", p.name)),
        }
    }
    cfg.allbackups(p.option("allbackups"))
}

/// The `server` lines: addresses resolved, ids assigned.
fn servers(cx: &mut Ctx<'_>, p: &model::Proxy) -> Vec<Server> {
    let taken: BTreeSet<u64> = p
        .servers
        .iter()
        .filter_map(|s| s.options.rare().id.map(u64::from))
        .collect();
    let mut next = 1u64;
    let mut out = Vec::new();
    for s in &p.servers {
        let id = match s.options.rare().id {
            Some(id) => u64::from(id),
            None => {
                while taken.contains(&next) {
                    next += 1;
                }
                next += 1;
                next - 1
            }
        };
        let Some(addr) = server_addr(cx, s) else {
            continue;
        };
        let o = &s.options;
        let rare = o.rare();
        let mut srv = Server::new(s.name.value.as_str(), saturate(id), addr);
        srv.weight = o.weight.unwrap_or(1);
        srv.backup = o.backup.unwrap_or(false);
        srv.disabled = o.disabled.unwrap_or(false);
        srv.maxconn = o.maxconn.unwrap_or(0);
        srv.slowstart = rare
            .slowstart
            .filter(|v| *v > 0)
            .map(|v| Duration::from_millis(u64::from(v)));
        if o.ssl == Some(true) {
            srv.tls = Some(ServerTls {
                verify: rare.verify.as_deref() != Some("none"),
                ca_file: other(o, "ca-file").map(PathBuf::from),
                sni: rare.sni.as_deref().map(str::to_string),
            });
        }
        if o.send_proxy == Some(true) {
            cx.error(s.span, "'send-proxy' is not supported");
        }
        out.push(srv);
    }
    out
}

/// The argument of an option the model keeps untyped.
fn other<'a>(o: &'a model::ServerOptions, name: &str) -> Option<&'a str> {
    o.rare()
        .other
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .and_then(|(_, v)| v.as_deref())
}

/// A server's address and port, resolved.
fn server_addr(cx: &mut Ctx<'_>, s: &model::Server) -> Option<SocketAddr> {
    let port = match s.address.port {
        Port::Fixed(p) => p,
        _ => {
            cx.error(
                s.span,
                format!(
                    "server '{}': a fixed port is needed (none, ranges and offsets are not supported)",
                    s.name.value
                ),
            );
            return None;
        }
    };
    let ip = match &s.address.host {
        Host::V4(ip) => IpAddr::V4(*ip),
        Host::V6(ip) => IpAddr::V6(*ip),
        Host::Any => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        Host::Name(n) => match resolve(n, port) {
            Some(a) => a.ip(),
            None => {
                cx.error(s.span, format!("could not resolve address '{n}'"));
                return None;
            }
        },
        Host::Path(p) => {
            cx.error(
                s.span,
                format!(
                    "server '{}': unix socket '{p}' is not supported",
                    s.name.value
                ),
            );
            return None;
        }
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests;
