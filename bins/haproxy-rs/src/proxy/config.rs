//! The engine's runtime configuration: what the proxy needs to run, already
//! resolved (defaults applied, names checked, addresses parsed).
//!
//! A configuration front end (the `haproxy.cfg` model) maps onto these types
//! one keyword at a time:
//!
//! | haproxy.cfg | here |
//! |---|---|
//! | `global maxconn` | [`Global::maxconn`] |
//! | `frontend` / `listen` + `bind` | [`Frontend`], [`Bind`] |
//! | `mode tcp\|http` | [`Mode`] |
//! | `default_backend`, `use_backend NAME if COND` | [`Frontend::default_backend`], [`Frontend::use_backends`] |
//! | `acl NAME FETCH PATTERNS` | resolved into each [`Condition`] |
//! | `http-request ACTION [if COND]` | [`HttpRequestRule`] |
//! | `timeout client / http-request / http-keep-alive / client-fin` | [`FrontendTimeouts`] |
//! | `backend` / `listen` + `server` | [`Backend`], [`Server`] |
//! | `balance ...`, `hash-type`, `option allbackups` | [`Backend::balance`] (an lbkit-sched [`BalancerConfig`]) |
//! | `timeout connect / server / queue / tunnel / server-fin` | [`BackendTimeouts`] |
//! | `server ... weight / backup / disabled / maxconn / slowstart / ssl` | [`Server`] |
//! | `retries`, `option redispatch [N]` | [`Backend::retries`], [`Backend::redispatch`] |
//! | `option httpclose / http-server-close / http-keep-alive` | [`HttpConnMode`] |
//! | `option forwardfor` | [`Frontend::forwardfor`] / [`Backend::forwardfor`] |
//! | `log`, `option httplog / tcplog / dontlognull` | [`LogSettings`] |

use lbkit_sched::haproxy::BalancerConfig;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// A whole proxy: global limits, frontends and backends.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The `global` section.
    pub global: Global,
    /// Every `frontend` (a `listen` section gives one frontend and one backend).
    pub frontends: Vec<Frontend>,
    /// Every `backend`.
    pub backends: Vec<Backend>,
}

/// Process-wide settings.
#[derive(Clone, Debug, Default)]
pub struct Global {
    /// `maxconn`: most client connections at once over all frontends
    /// (0 = unlimited). Further connections wait in the kernel's backlog.
    pub maxconn: u32,
}

/// `mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// `mode tcp`: bytes are forwarded both ways.
    #[default]
    Tcp,
    /// `mode http`: requests are parsed, rules applied, connections reused.
    Http,
}

/// A `frontend` (or the front half of a `listen`).
#[derive(Clone, Debug, Default)]
pub struct Frontend {
    /// The proxy's name (logged as the frontend name).
    pub name: String,
    /// Its `bind` lines.
    pub binds: Vec<Bind>,
    /// `mode`.
    pub mode: Mode,
    /// `maxconn` of this frontend (0 = unlimited).
    pub maxconn: u32,
    /// Client-side timeouts.
    pub timeouts: FrontendTimeouts,
    /// `default_backend` (the backend's name).
    pub default_backend: Option<String>,
    /// `use_backend NAME if|unless COND`, evaluated in order.
    pub use_backends: Vec<UseBackend>,
    /// `http-request` rules, evaluated in order before backend selection.
    pub http_request: Vec<HttpRequestRule>,
    /// `http-response` rules, evaluated after the backend's.
    pub http_response: Vec<HttpResponseRule>,
    /// `tcp-request connection` rules, evaluated right after accepting.
    pub tcp_connection: Vec<TcpRule>,
    /// `tcp-request content` rules: once per connection in `mode tcp`,
    /// once per request in `mode http`, before `http-request` rules.
    pub tcp_content: Vec<TcpRule>,
    /// `option forwardfor`: add `X-Forwarded-For: <client ip>`.
    pub forwardfor: bool,
    /// `option httpclose` / `http-server-close` / `http-keep-alive`.
    pub http_conn_mode: HttpConnMode,
    /// Logging.
    pub log: LogSettings,
    /// The stats page, when enabled.
    pub stats: Option<StatsPage>,
}

/// One `bind` line, one address.
#[derive(Clone, Debug)]
pub struct Bind {
    /// The address to listen on (`*:80` is `0.0.0.0:80`, `:::80` is `[::]:80`).
    pub addr: SocketAddr,
    /// `ssl crt ...`: TLS termination on this address.
    pub tls: Option<BindTls>,
}

impl Bind {
    /// A plain (non-TLS) bind on `addr`.
    pub fn plain(addr: SocketAddr) -> Self {
        Bind { addr, tls: None }
    }

    /// Parses a bind address as HAProxy writes it: `*:80`, `:80`,
    /// `0.0.0.0:80`, `127.0.0.1:8080`, `:::80`, `[::1]:80`, `::1:80`,
    /// `ipv4@...`, `ipv6@...`. Returns `None` for anything else.
    pub fn parse_addr(text: &str) -> Option<SocketAddr> {
        let text = text
            .strip_prefix("ipv4@")
            .or_else(|| text.strip_prefix("ipv6@"))
            .unwrap_or(text);
        let (host, port) = text.rsplit_once(':')?;
        let port: u16 = port.parse().ok()?;
        let ip = match host {
            "" | "*" => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            "::" => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            h => {
                let h = h
                    .strip_prefix('[')
                    .and_then(|h| h.strip_suffix(']'))
                    .unwrap_or(h);
                h.parse().ok()?
            }
        };
        Some(SocketAddr::new(ip, port))
    }
}

/// TLS settings of a `bind ... ssl` line.
#[derive(Clone, Debug, Default)]
pub struct BindTls {
    /// `crt FILE|DIR`: PEM files, each holding a certificate chain and its
    /// key; a directory adds every file in it. The first is the default
    /// certificate; the others are chosen by SNI.
    pub crt: Vec<PathBuf>,
    /// `alpn h2,http/1.1`: protocols offered, in preference order.
    pub alpn: Vec<String>,
}

/// Client-side timeouts of a frontend (`None` = no timeout).
#[derive(Clone, Debug, Default)]
pub struct FrontendTimeouts {
    /// `timeout client`: inactivity on the client side.
    pub client: Option<Duration>,
    /// `timeout client-fin`: inactivity once the client has shut its side.
    pub client_fin: Option<Duration>,
    /// `timeout http-request`: a whole request's headers must arrive in it.
    pub http_request: Option<Duration>,
    /// `timeout http-keep-alive`: idle time between two requests.
    pub http_keep_alive: Option<Duration>,
}

/// `option httpclose | http-server-close | http-keep-alive`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HttpConnMode {
    /// `http-keep-alive` (HAProxy's default): both sides stay open and
    /// server connections are reused.
    #[default]
    KeepAlive,
    /// `http-server-close`: the client side stays open, a new server
    /// connection is used for each request and closed after it.
    ServerClose,
    /// `httpclose`: both sides are closed after each response.
    Close,
}

/// `use_backend NAME if|unless COND`.
#[derive(Clone, Debug)]
pub struct UseBackend {
    /// The backend's name.
    pub backend: String,
    /// The condition; the rule applies when it holds.
    pub cond: Condition,
}

/// A rule's condition: `if A B or C` is `Any[All[A, B], All[C]]`, as HAProxy
/// evaluates it (AND binds tighter than OR). `unless` negates the whole.
#[derive(Clone, Debug, Default)]
pub struct Condition {
    /// Alternatives (OR) of terms that must all hold (AND).
    pub any: Vec<Vec<Term>>,
    /// `unless` instead of `if`.
    pub negate: bool,
}

impl Condition {
    /// A condition that always holds (a rule without `if`/`unless`).
    pub fn always() -> Self {
        Condition {
            any: vec![Vec::new()],
            negate: false,
        }
    }

    /// `if TERM`.
    pub fn when(term: Term) -> Self {
        Condition {
            any: vec![vec![term]],
            negate: false,
        }
    }
}

/// One ACL reference in a condition, `!` included.
#[derive(Clone, Debug)]
pub struct Term {
    /// `!acl`.
    pub negate: bool,
    /// The ACL it refers to (an ACL with several lines is matched when any
    /// of them matches: put each line's match in `any`).
    pub acl: Acl,
}

/// A named ACL, or an anonymous `{ ... }` one.
#[derive(Clone, Debug)]
pub struct Acl {
    /// Its name (empty for anonymous ones).
    pub name: String,
    /// Its lines; the ACL matches when one of them does.
    pub any: Vec<AclMatch>,
}

/// One ACL line: a sample fetch and the patterns its value is matched to.
#[derive(Clone, Debug)]
pub struct AclMatch {
    /// The sample fetch and its matching method.
    pub fetch: Fetch,
    /// `-i`: case-insensitive matching.
    pub ignore_case: bool,
    /// Patterns; one matching is enough.
    pub patterns: Vec<String>,
}

/// The sample fetches the engine knows, each with its default matcher.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fetch {
    /// `path` (exact match).
    Path,
    /// `path_beg` (prefix).
    PathBeg,
    /// `path_end` (suffix).
    PathEnd,
    /// `path_sub` (substring).
    PathSub,
    /// `hdr(NAME)` (exact, on each comma-separated value).
    Hdr(String),
    /// `hdr_beg(NAME)`.
    HdrBeg(String),
    /// `hdr_end(NAME)`.
    HdrEnd(String),
    /// `method`.
    Method,
    /// `src`: patterns are addresses or `addr/prefix` networks.
    Src,
    /// `ssl_fc`: the client connection uses TLS (no pattern needed).
    SslFc,
    /// `always_true`.
    AlwaysTrue,
    /// `always_false`.
    AlwaysFalse,
}

/// `http-request ACTION ... [if|unless COND]`.
#[derive(Clone, Debug)]
pub struct HttpRequestRule {
    /// What to do.
    pub action: HttpRequestAction,
    /// When.
    pub cond: Condition,
}

/// The `http-request` actions the engine performs.
#[derive(Clone, Debug)]
pub enum HttpRequestAction {
    /// `set-header NAME VALUE` (replaces every occurrence). The value is
    /// taken literally (log-format expressions are not evaluated).
    SetHeader {
        /// Header name.
        name: String,
        /// Value.
        value: String,
    },
    /// `add-header NAME VALUE`.
    AddHeader {
        /// Header name.
        name: String,
        /// Value.
        value: String,
    },
    /// `del-header NAME`.
    DelHeader {
        /// Header name.
        name: String,
    },
    /// `redirect location|prefix|scheme TARGET [code N]`.
    Redirect(Redirect),
    /// `return [status N] [content-type T] [string S] [hdr NAME VALUE]*`.
    Return {
        /// Status code (default 200).
        status: u16,
        /// `content-type` (set only with a body).
        content_type: Option<String>,
        /// The body.
        body: String,
        /// Extra headers.
        headers: Vec<(String, String)>,
    },
    /// `deny [deny_status N]`: HAProxy's error page for that status (403
    /// by default).
    Deny {
        /// The status (default 403).
        status: u16,
    },
    /// `allow`: stop evaluating `http-request` rules.
    Allow,
    /// `use-service prometheus-exporter`: answer with the metrics.
    PrometheusExporter,
}

/// The stats page a frontend serves (`stats enable`, `stats uri`, ...).
#[derive(Clone, Debug, Default)]
pub struct StatsPage {
    /// `stats uri` (`/haproxy?stats` by default): requests whose path
    /// starts with it get the page.
    pub uri: String,
    /// `stats auth USER:PASS`, each as the base64 text a `Basic`
    /// authorization carries; empty: no authentication.
    pub auth: Vec<String>,
    /// `stats realm` (`HAProxy Statistics` by default).
    pub realm: String,
    /// `stats refresh`, seconds.
    pub refresh_secs: Option<u64>,
    /// `stats admin if|unless COND`: who may change server states.
    pub admin: Option<Condition>,
    /// `stats hide-version`.
    pub hide_version: bool,
}

impl StatsPage {
    /// The base64 form of `user:password`, as a `Basic` authorization
    /// header carries it (RFC 7617).
    pub fn basic_credentials(account: &str) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let bytes = account.as_bytes();
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

/// `http-response ACTION ... [if|unless COND]`.
#[derive(Clone, Debug)]
pub struct HttpResponseRule {
    /// What to do.
    pub action: HttpResponseAction,
    /// When (request fetches other than `src`, `method` and `ssl_fc` do
    /// not match any more once the request has gone, as in HAProxy).
    pub cond: Condition,
}

/// The `http-response` actions the engine performs.
#[derive(Clone, Debug)]
pub enum HttpResponseAction {
    /// `set-header NAME VALUE` (replaces every occurrence; literal value).
    SetHeader {
        /// Header name.
        name: String,
        /// Value.
        value: String,
    },
    /// `add-header NAME VALUE`.
    AddHeader {
        /// Header name.
        name: String,
        /// Value.
        value: String,
    },
    /// `del-header NAME`.
    DelHeader {
        /// Header name.
        name: String,
    },
    /// `deny [deny_status N]`: the server's response is replaced by
    /// HAProxy's error page for that status (502 by default).
    Deny {
        /// The status (default 502).
        status: u16,
    },
    /// `allow`: stop evaluating `http-response` rules.
    Allow,
}

/// `tcp-request connection|content accept|reject [if|unless COND]`.
#[derive(Clone, Debug)]
pub struct TcpRule {
    /// What to do.
    pub action: TcpAction,
    /// When.
    pub cond: Condition,
}

/// `tcp-request` actions: the first rule whose condition holds decides;
/// with none, the connection is accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpAction {
    /// `accept`: stop evaluating, go on.
    Accept,
    /// `reject`: close the connection at once, answering nothing.
    Reject,
}

/// Whether `rules` let a connection or request through.
pub(crate) fn tcp_accepts(rules: &[TcpRule], sample: &crate::proxy::acl::Sample<'_>) -> bool {
    rules
        .iter()
        .find(|r| r.cond.eval(sample))
        .is_none_or(|r| r.action == TcpAction::Accept)
}

/// `redirect` kinds.
#[derive(Clone, Debug)]
pub struct Redirect {
    /// What the target replaces.
    pub kind: RedirectKind,
    /// The location, prefix or scheme.
    pub target: String,
    /// `code` (301, 302, 303, 307, 308; default 302).
    pub code: u16,
}

/// `redirect location | prefix | scheme`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirectKind {
    /// The target is the whole new location.
    Location,
    /// The target is prefixed to the request's path and query.
    Prefix,
    /// The target replaces the scheme: `SCHEME://HOST/PATH`.
    Scheme,
}

/// Logging of one proxy.
#[derive(Clone, Debug, Default)]
pub struct LogSettings {
    /// Where lines go (`log` lines, `log global` resolved to the global ones).
    pub targets: Vec<LogTarget>,
    /// `option httplog` / `option tcplog`, or none.
    pub format: LogFormat,
    /// `option dontlognull`: no line for connections that sent nothing.
    pub dontlognull: bool,
}

/// `log ADDRESS FACILITY [LEVEL]`.
#[derive(Clone, Debug)]
pub struct LogTarget {
    /// Where to send.
    pub addr: LogAddr,
    /// Syslog facility number (local0 = 16, local2 = 18).
    pub facility: u8,
    /// Most verbose level sent (info = 6, the level traffic logs use).
    pub level: u8,
}

/// A syslog destination.
#[derive(Clone, Debug)]
pub enum LogAddr {
    /// UDP syslog (`127.0.0.1`, port 514 by default).
    Udp(SocketAddr),
    /// A unix datagram socket (`/dev/log`).
    Unix(PathBuf),
}

/// The log line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// No traffic logs (HAProxy logs nothing per connection without an
    /// `option *log`... except its short default format, not produced here).
    #[default]
    None,
    /// `option tcplog`.
    Tcp,
    /// `option httplog`.
    Http,
}

/// A `backend` (or the back half of a `listen`).
#[derive(Clone, Debug)]
pub struct Backend {
    /// Its name.
    pub name: String,
    /// `mode`.
    pub mode: Mode,
    /// `balance`, `hash-type`, `option allbackups`.
    pub balance: BalancerConfig,
    /// Its servers in declaration order.
    pub servers: Vec<Server>,
    /// Server-side timeouts.
    pub timeouts: BackendTimeouts,
    /// `retries` (HAProxy's default: 3).
    pub retries: u32,
    /// `option redispatch [INTERVAL]`: `Some(-1)` (the default interval)
    /// redispatches on the last retry, `Some(P)` with P > 0 on every Pth
    /// retry; `None` never.
    pub redispatch: Option<i32>,
    /// `option forwardfor` in the backend.
    pub forwardfor: bool,
    /// `option httpclose / http-server-close / http-keep-alive` in the
    /// backend (the stronger of frontend and backend applies).
    pub http_conn_mode: HttpConnMode,
    /// `http-request` rules of the backend, after the frontend's.
    pub http_request: Vec<HttpRequestRule>,
    /// `http-response` rules of the backend, before the frontend's.
    pub http_response: Vec<HttpResponseRule>,
    /// `tcp-request content` rules of the backend, once it is chosen.
    pub tcp_content: Vec<TcpRule>,
}

impl Backend {
    /// A backend with HAProxy's defaults: round robin, `retries 3`, no
    /// redispatch, no timeouts.
    pub fn new(name: impl Into<String>, mode: Mode) -> Self {
        Backend {
            name: name.into(),
            mode,
            balance: BalancerConfig::new(lbkit_sched::haproxy::Balance::RoundRobin),
            servers: Vec::new(),
            timeouts: BackendTimeouts::default(),
            retries: 3,
            redispatch: None,
            forwardfor: false,
            http_conn_mode: HttpConnMode::KeepAlive,
            http_request: Vec::new(),
            http_response: Vec::new(),
            tcp_content: Vec::new(),
        }
    }
}

/// Server-side timeouts of a backend (`None` = no timeout).
#[derive(Clone, Debug, Default)]
pub struct BackendTimeouts {
    /// `timeout connect`.
    pub connect: Option<Duration>,
    /// `timeout server`: inactivity on the server side.
    pub server: Option<Duration>,
    /// `timeout queue` (falls back to `timeout connect` as in HAProxy).
    pub queue: Option<Duration>,
    /// `timeout tunnel`: replaces client/server once both directions are
    /// established in `mode tcp` or after an HTTP upgrade.
    pub tunnel: Option<Duration>,
    /// `timeout server-fin`: inactivity once the server has shut its side.
    pub server_fin: Option<Duration>,
}

/// A `server` line.
#[derive(Clone, Debug)]
pub struct Server {
    /// Its name.
    pub name: String,
    /// Numeric id (`id`, otherwise 1, 2, ... in declaration order).
    pub id: u32,
    /// Address and port.
    pub addr: SocketAddr,
    /// `weight` (0..=256, default 1).
    pub weight: u32,
    /// `backup`.
    pub backup: bool,
    /// `disabled`: starts in maintenance.
    pub disabled: bool,
    /// `maxconn` (0 = unlimited); requests above it wait in the queue.
    pub maxconn: u32,
    /// `slowstart`: after coming back up, the server's weight ramps up
    /// over this time (whole seconds, as HAProxy counts them).
    pub slowstart: Option<Duration>,
    /// `ssl` towards the server.
    pub tls: Option<ServerTls>,
}

impl Server {
    /// A server with weight 1 and nothing else set.
    pub fn new(name: impl Into<String>, id: u32, addr: SocketAddr) -> Self {
        Server {
            name: name.into(),
            id,
            addr,
            weight: 1,
            backup: false,
            disabled: false,
            maxconn: 0,
            slowstart: None,
            tls: None,
        }
    }
}

/// `ssl verify none|required [ca-file FILE] [sni NAME]` on a server.
#[derive(Clone, Debug, Default)]
pub struct ServerTls {
    /// `verify required` (with `ca_file`) or `verify none`.
    pub verify: bool,
    /// `ca-file`: PEM of trusted roots.
    pub ca_file: Option<PathBuf>,
    /// Name sent as SNI and checked in the certificate (default: the
    /// server's IP address).
    pub sni: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_addresses_parse_as_haproxy_writes_them() {
        let v4 = |s: &str| Bind::parse_addr(s).map(|a| a.to_string());
        assert_eq!(v4("*:80").as_deref(), Some("0.0.0.0:80"));
        assert_eq!(v4(":8080").as_deref(), Some("0.0.0.0:8080"));
        assert_eq!(v4("127.0.0.1:443").as_deref(), Some("127.0.0.1:443"));
        assert_eq!(v4(":::80").as_deref(), Some("[::]:80"));
        assert_eq!(v4("::1:80").as_deref(), Some("[::1]:80"));
        assert_eq!(v4("[::1]:80").as_deref(), Some("[::1]:80"));
        assert_eq!(v4("ipv4@10.0.0.1:81").as_deref(), Some("10.0.0.1:81"));
        assert_eq!(v4("host:80"), None);
        assert_eq!(v4("1.2.3.4:99999"), None);
        assert_eq!(v4("1.2.3.4"), None);
    }

    #[test]
    fn basic_credentials_are_base64() {
        // RFC 7617's example, and the three padding cases.
        assert_eq!(
            StatsPage::basic_credentials("Aladdin:open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(StatsPage::basic_credentials("a:b"), "YTpi");
        assert_eq!(StatsPage::basic_credentials("ab:c"), "YWI6Yw==");
        assert_eq!(StatsPage::basic_credentials("abc:d"), "YWJjOmQ=");
    }
}
