//! The typed model: what a configuration means once read, with every
//! value located. Proxies hold their *effective* settings: what they
//! inherited from their `defaults` section, then their own lines.

use crate::addr::SockAddr;
use crate::source::Span;
use smol_str::SmolStr;
use std::collections::BTreeMap;

/// A value and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where (the word or line it came from).
    pub span: Span,
}

impl<T> Located<T> {
    /// Wraps a value.
    pub fn new(value: T, span: Span) -> Self {
        Located { value, span }
    }
}

/// A keyword line kept as words, for what the model does not type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawLine {
    /// The words, keyword first.
    pub words: Vec<SmolStr>,
    /// The line.
    pub span: Span,
}

/// The whole configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// The `global` sections, merged.
    pub global: Global,
    /// The `defaults` sections, in order.
    pub defaults: Vec<Proxy>,
    /// Frontends, backends and listens, in order, with inherited settings.
    pub proxies: Vec<Proxy>,
    /// Every other section (`peers`, `resolvers`, `userlist`, ...).
    pub others: Vec<OtherSection>,
}

impl Config {
    /// The proxy (frontend, backend or listen) with this name and
    /// capability.
    pub fn proxy(&self, name: &str) -> Option<&Proxy> {
        self.proxies.iter().find(|p| p.name == name)
    }
}

/// Where logs go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogTarget {
    /// `log global`: the global section's targets.
    Global,
    /// An address (`127.0.0.1`, `udp@host:514`, `/dev/log`, `ring@name`...)
    /// and its facility, level and more.
    Address {
        /// The address as written.
        address: SmolStr,
        /// The syslog facility (`local0`...).
        facility: SmolStr,
        /// The rest (`len`, `format`, `sample`, levels).
        options: Vec<SmolStr>,
    },
}

/// The `global` section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Global {
    /// `log` lines.
    pub logs: Vec<Located<LogTarget>>,
    /// `maxconn`.
    pub maxconn: Option<Located<u64>>,
    /// `nbthread`.
    pub nbthread: Option<Located<u64>>,
    /// `user` (name).
    pub user: Option<Located<SmolStr>>,
    /// `group` (name).
    pub group: Option<Located<SmolStr>>,
    /// `uid`.
    pub uid: Option<Located<u64>>,
    /// `gid`.
    pub gid: Option<Located<u64>>,
    /// `daemon`.
    pub daemon: bool,
    /// `chroot`.
    pub chroot: Option<Located<SmolStr>>,
    /// `pidfile`.
    pub pidfile: Option<Located<SmolStr>>,
    /// `stats socket ADDR [options]`.
    pub stats_sockets: Vec<Located<StatsSocket>>,
    /// `stats timeout`, ms.
    pub stats_timeout: Option<Located<u64>>,
    /// `tune.*` settings, as written.
    pub tune: BTreeMap<SmolStr, Located<SmolStr>>,
    /// `ssl-default-*` settings, as written.
    pub ssl_defaults: BTreeMap<SmolStr, Located<SmolStr>>,
    /// Every other keyword line.
    pub other: Vec<RawLine>,
}

/// `stats socket`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatsSocket {
    /// The address (a path or `ipv4@...`).
    pub address: SockAddr,
    /// The bind options (`mode 600`, `level admin`, `expose-fd listeners`).
    pub options: Vec<SmolStr>,
}

/// What kind of proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProxyKind {
    /// `defaults`
    Defaults,
    /// `frontend`
    Frontend,
    /// `backend`
    Backend,
    /// `listen`
    Listen,
}

impl ProxyKind {
    /// Accepts connections (`bind`, `use_backend`...).
    pub fn is_frontend(self) -> bool {
        matches!(
            self,
            ProxyKind::Frontend | ProxyKind::Listen | ProxyKind::Defaults
        )
    }

    /// Connects to servers (`server`, `balance`...).
    pub fn is_backend(self) -> bool {
        matches!(
            self,
            ProxyKind::Backend | ProxyKind::Listen | ProxyKind::Defaults
        )
    }

    /// The section keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            ProxyKind::Defaults => "defaults",
            ProxyKind::Frontend => "frontend",
            ProxyKind::Backend => "backend",
            ProxyKind::Listen => "listen",
        }
    }
}

/// `mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// `mode tcp` (the default).
    #[default]
    Tcp,
    /// `mode http`.
    Http,
    /// `mode log` (log-forward only).
    Log,
}

impl Mode {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Mode::Tcp => "tcp",
            Mode::Http => "http",
            Mode::Log => "log",
        }
    }
}

/// The timeouts of a proxy, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// `timeout client`.
    pub client: Option<Located<u64>>,
    /// `timeout client-fin`.
    pub client_fin: Option<Located<u64>>,
    /// `timeout server`.
    pub server: Option<Located<u64>>,
    /// `timeout server-fin`.
    pub server_fin: Option<Located<u64>>,
    /// `timeout connect`.
    pub connect: Option<Located<u64>>,
    /// `timeout check`.
    pub check: Option<Located<u64>>,
    /// `timeout queue`.
    pub queue: Option<Located<u64>>,
    /// `timeout http-request`.
    pub http_request: Option<Located<u64>>,
    /// `timeout http-keep-alive`.
    pub http_keep_alive: Option<Located<u64>>,
    /// `timeout tunnel`.
    pub tunnel: Option<Located<u64>>,
    /// `timeout tarpit`.
    pub tarpit: Option<Located<u64>>,
}

/// `balance`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Balance {
    /// The algorithm (`roundrobin`, `static-rr`, `leastconn`, `first`,
    /// `source`, `uri`, `url_param`, `hdr`, `rdp-cookie`, `random`).
    pub algorithm: SmolStr,
    /// Its argument from parentheses (`hdr(host)` gives `host`).
    pub argument: Option<SmolStr>,
    /// The words after it (`len 5 depth 2`, `check_post`...).
    pub options: Vec<SmolStr>,
}

/// `hash-type`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashType {
    /// `map-based` or `consistent`.
    pub method: SmolStr,
    /// The hash function (`sdbm`, `djb2`, `wt6`, `crc32`), if given.
    pub function: Option<SmolStr>,
    /// `avalanche` given.
    pub avalanche: bool,
}

/// A `bind` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bind {
    /// The addresses (a comma-separated list in the text).
    pub addresses: Vec<SockAddr>,
    /// `ssl` given.
    pub ssl: bool,
    /// `crt` files or directories.
    pub crt: Vec<SmolStr>,
    /// `crt-list` files.
    pub crt_list: Vec<SmolStr>,
    /// `alpn`.
    pub alpn: Option<SmolStr>,
    /// `accept-proxy` given.
    pub accept_proxy: bool,
    /// Every option, as `(name, argument)`.
    pub options: Vec<(SmolStr, Option<SmolStr>)>,
    /// The line.
    pub span: Span,
}

/// The options of a `server` or `default-server` line. The options few
/// lines set are in [`RareServerOptions`], allocated only when one is
/// set: a configuration may hold tens of thousands of servers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerOptions {
    /// `check` / `no-check`.
    pub check: Option<bool>,
    /// `inter`, ms.
    pub inter: Option<u32>,
    /// `rise`.
    pub rise: Option<u32>,
    /// `fall`.
    pub fall: Option<u32>,
    /// `weight`.
    pub weight: Option<u32>,
    /// `backup` / `no-backup`.
    pub backup: Option<bool>,
    /// `maxconn`.
    pub maxconn: Option<u32>,
    /// `ssl` / `no-ssl`.
    pub ssl: Option<bool>,
    /// `check-ssl` / `no-check-ssl`.
    pub check_ssl: Option<bool>,
    /// `send-proxy` / `no-send-proxy`.
    pub send_proxy: Option<bool>,
    /// `agent-check` / `no-agent-check`.
    pub agent_check: Option<bool>,
    /// `port` (the check port).
    pub port: Option<u32>,
    /// `disabled` (true) / `enabled` (false).
    pub disabled: Option<bool>,
    /// The other options, when one of them is set (read them with
    /// [`ServerOptions::rare`]).
    pub rare: Option<Box<RareServerOptions>>,
}

/// The server options few lines set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RareServerOptions {
    /// `fastinter`, ms.
    pub fastinter: Option<u32>,
    /// `downinter`, ms.
    pub downinter: Option<u32>,
    /// `maxqueue`.
    pub maxqueue: Option<u32>,
    /// `slowstart`, ms.
    pub slowstart: Option<u32>,
    /// `agent-port`.
    pub agent_port: Option<u32>,
    /// `id`.
    pub id: Option<u32>,
    /// `verify`.
    pub verify: Option<SmolStr>,
    /// `sni` expression.
    pub sni: Option<SmolStr>,
    /// `cookie`.
    pub cookie: Option<SmolStr>,
    /// Every other option as `(name, argument)`.
    pub other: Vec<(SmolStr, Option<SmolStr>)>,
}

/// No rare option set.
static NO_RARE_OPTIONS: RareServerOptions = RareServerOptions {
    fastinter: None,
    downinter: None,
    maxqueue: None,
    slowstart: None,
    agent_port: None,
    id: None,
    verify: None,
    sni: None,
    cookie: None,
    other: Vec::new(),
};

impl ServerOptions {
    /// The rare options (all unset when none was given).
    pub fn rare(&self) -> &RareServerOptions {
        self.rare.as_deref().unwrap_or(&NO_RARE_OPTIONS)
    }

    /// The rare options, to set one.
    pub(crate) fn rare_mut(&mut self) -> &mut RareServerOptions {
        self.rare.get_or_insert_with(Box::default)
    }

    /// These options over `base`: each one set here wins.
    pub fn over(&self, base: &ServerOptions) -> ServerOptions {
        let rare = match (&self.rare, &base.rare) {
            (None, None) => None,
            (Some(own), None) => Some(own.clone()),
            (None, Some(inherited)) => Some(inherited.clone()),
            (Some(own), Some(inherited)) => Some(Box::new(own.over(inherited))),
        };
        ServerOptions {
            check: self.check.or(base.check),
            inter: self.inter.or(base.inter),
            rise: self.rise.or(base.rise),
            fall: self.fall.or(base.fall),
            weight: self.weight.or(base.weight),
            backup: self.backup.or(base.backup),
            maxconn: self.maxconn.or(base.maxconn),
            ssl: self.ssl.or(base.ssl),
            check_ssl: self.check_ssl.or(base.check_ssl),
            send_proxy: self.send_proxy.or(base.send_proxy),
            agent_check: self.agent_check.or(base.agent_check),
            port: self.port.or(base.port),
            disabled: self.disabled.or(base.disabled),
            rare,
        }
    }
}

impl RareServerOptions {
    /// These options over `base`: each one set here wins; the other
    /// options are `base`'s, then these.
    pub fn over(&self, base: &RareServerOptions) -> RareServerOptions {
        let mut other = base.other.clone();
        other.extend(self.other.iter().cloned());
        RareServerOptions {
            fastinter: self.fastinter.or(base.fastinter),
            downinter: self.downinter.or(base.downinter),
            maxqueue: self.maxqueue.or(base.maxqueue),
            slowstart: self.slowstart.or(base.slowstart),
            agent_port: self.agent_port.or(base.agent_port),
            id: self.id.or(base.id),
            verify: self.verify.clone().or_else(|| base.verify.clone()),
            sni: self.sni.clone().or_else(|| base.sni.clone()),
            cookie: self.cookie.clone().or_else(|| base.cookie.clone()),
            other,
        }
    }
}

/// A `server` line, with the `default-server` options before it applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    /// The name.
    pub name: Located<SmolStr>,
    /// The address.
    pub address: SockAddr,
    /// The effective options.
    pub options: ServerOptions,
    /// The line.
    pub span: Span,
}

/// One sample expression: a fetch with arguments, then converters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// The fetch name (`req.hdr`, `src`...).
    pub fetch: SmolStr,
    /// Its arguments, if it had parentheses.
    pub args: Vec<SmolStr>,
    /// Converters: name and arguments.
    pub converters: Vec<(SmolStr, Vec<SmolStr>)>,
}

/// An `acl NAME CRITERION [flags] [operator] VALUE...` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acl {
    /// The ACL's name.
    pub name: Located<SmolStr>,
    /// What is tested.
    pub sample: Sample,
    /// `-i`, `-f FILE`, `-m MATCH`, `-n`, `-u ID`... as written.
    pub flags: Vec<SmolStr>,
    /// The patterns.
    pub patterns: Vec<SmolStr>,
    /// The line.
    pub span: Span,
}

/// An ACL condition: `if`/`unless` and terms; `||` separates alternatives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// True for `unless`.
    pub negated: bool,
    /// Alternatives (joined by `||` / `or`), each a list of terms that
    /// must all hold.
    pub any_of: Vec<Vec<CondTerm>>,
}

/// One term of a condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CondTerm {
    /// Preceded by `!`.
    pub negated: bool,
    /// A named ACL, or an anonymous one in braces.
    pub acl: AclRef,
}

/// An ACL used by a condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AclRef {
    /// A name (declared with `acl`, or predefined like `TRUE`).
    Named(Located<SmolStr>),
    /// `{ criterion values }`.
    Anonymous(Vec<SmolStr>),
}

/// An `http-request`, `http-response`, `tcp-request` ... rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The rule keyword (`http-request`, `tcp-request content`...).
    pub keyword: SmolStr,
    /// The action (`deny`, `set-header`, `set-var(txn.x)`...).
    pub action: Located<SmolStr>,
    /// The action's arguments.
    pub args: Vec<SmolStr>,
    /// The condition, if any.
    pub condition: Option<Condition>,
    /// The line.
    pub span: Span,
}

/// `use_backend NAME [if|unless COND]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UseBackend {
    /// The backend (may be a log-format expression).
    pub backend: Located<SmolStr>,
    /// The condition.
    pub condition: Option<Condition>,
}

/// `stats ...` settings of a proxy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// `stats enable`.
    pub enabled: bool,
    /// `stats uri`.
    pub uri: Option<SmolStr>,
    /// `stats auth USER:PASS`.
    pub auth: Vec<SmolStr>,
    /// `stats refresh`, ms.
    pub refresh: Option<u64>,
    /// `stats admin if COND`.
    pub admin: Option<Condition>,
    /// `stats realm`.
    pub realm: Option<SmolStr>,
}

/// `cookie NAME [options]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cookie {
    /// The cookie name.
    pub name: SmolStr,
    /// `insert`, `indirect`, `nocache`...
    pub options: Vec<SmolStr>,
}

/// A proxy section, effective.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proxy {
    /// What kind.
    pub kind: ProxyKind,
    /// The name (empty for an anonymous `defaults`).
    pub name: SmolStr,
    /// The header line.
    pub span: Span,
    /// The `defaults` section it inherited from (its name, or empty for
    /// an anonymous one), if any.
    pub inherits: Option<SmolStr>,
    /// `mode`.
    pub mode: Mode,
    /// `bind` lines.
    pub binds: Vec<Bind>,
    /// `server` lines.
    pub servers: Vec<Server>,
    /// The `default-server` options in force at the end of the section.
    pub default_server: ServerOptions,
    /// `acl` lines.
    pub acls: Vec<Acl>,
    /// `http-request`, `http-response`, `http-after-response`,
    /// `tcp-request`, `tcp-response` rules, in order.
    pub rules: Vec<Rule>,
    /// `use_backend` rules.
    pub use_backends: Vec<UseBackend>,
    /// `default_backend`.
    pub default_backend: Option<Located<SmolStr>>,
    /// `option X` (true) / `no option X` (false), by name.
    pub options: BTreeMap<SmolStr, bool>,
    /// The timeouts.
    pub timeouts: Timeouts,
    /// `balance`.
    pub balance: Option<Balance>,
    /// `hash-type`.
    pub hash_type: Option<HashType>,
    /// `retries`.
    pub retries: Option<i64>,
    /// `maxconn`.
    pub maxconn: Option<u64>,
    /// `errorfile CODE FILE`.
    pub errorfiles: BTreeMap<u16, SmolStr>,
    /// `stats ...`.
    pub stats: Stats,
    /// `stick-table` (its words after the keyword).
    pub stick_table: Option<Vec<SmolStr>>,
    /// `stick on|match|store-request|store-response` lines.
    pub stick_rules: Vec<RawLine>,
    /// `cookie`.
    pub cookie: Option<Cookie>,
    /// `log` lines.
    pub logs: Vec<Located<LogTarget>>,
    /// Every other keyword line.
    pub other: Vec<RawLine>,
}

impl Proxy {
    /// An empty proxy.
    pub fn new(kind: ProxyKind, name: impl Into<SmolStr>, span: Span) -> Proxy {
        Proxy {
            kind,
            name: name.into(),
            span,
            inherits: None,
            mode: Mode::Tcp,
            binds: Vec::new(),
            servers: Vec::new(),
            default_server: ServerOptions::default(),
            acls: Vec::new(),
            rules: Vec::new(),
            use_backends: Vec::new(),
            default_backend: None,
            options: BTreeMap::new(),
            timeouts: Timeouts::default(),
            balance: None,
            hash_type: None,
            retries: None,
            maxconn: None,
            errorfiles: BTreeMap::new(),
            stats: Stats::default(),
            stick_table: None,
            stick_rules: Vec::new(),
            cookie: None,
            logs: Vec::new(),
            other: Vec::new(),
        }
    }

    /// The server with this name.
    pub fn server(&self, name: &str) -> Option<&Server> {
        self.servers.iter().find(|s| s.name.value == name)
    }

    /// True when `option NAME` is in force.
    pub fn option(&self, name: &str) -> bool {
        self.options.get(name).copied().unwrap_or(false)
    }
}

/// A section the model keeps as keyword lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherSection {
    /// The section keyword (`peers`, `resolvers`...).
    pub keyword: SmolStr,
    /// Its name.
    pub name: SmolStr,
    /// Its lines.
    pub lines: Vec<RawLine>,
    /// The header line.
    pub span: Span,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_stay_small() {
        // A configuration may hold tens of thousands of servers: six
        // 32-bit numbers (8 bytes each with their `Option`), seven flags
        // and a pointer make the options; with the name, the address and
        // the line, a server fits in 200 bytes.
        assert!(std::mem::size_of::<ServerOptions>() <= 64);
        assert!(std::mem::size_of::<Server>() <= 200);
    }

    #[test]
    fn rare_options_merge_like_the_others() {
        let base = ServerOptions {
            inter: Some(2_000),
            rare: Some(Box::new(RareServerOptions {
                fastinter: Some(500),
                other: vec![("a".into(), None)],
                ..RareServerOptions::default()
            })),
            ..ServerOptions::default()
        };
        let own = ServerOptions {
            rare: Some(Box::new(RareServerOptions {
                fastinter: Some(100),
                sni: Some("str(x)".into()),
                other: vec![("b".into(), Some("1".into()))],
                ..RareServerOptions::default()
            })),
            ..ServerOptions::default()
        };
        let merged = own.over(&base);
        assert_eq!(merged.inter, Some(2_000));
        assert_eq!(merged.rare().fastinter, Some(100));
        assert_eq!(merged.rare().sni.as_deref(), Some("str(x)"));
        assert_eq!(
            merged.rare().other,
            [("a".into(), None), ("b".into(), Some("1".into()))]
        );
        let plain = ServerOptions::default().over(&ServerOptions::default());
        assert!(plain.rare.is_none());
        assert_eq!(plain.rare().id, None);
    }
}
