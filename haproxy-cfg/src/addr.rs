//! Socket addresses of `bind`, `server`, `log` and friends, read as
//! HAProxy's `str2sa_range()` reads them: an optional `family@` prefix, a
//! path for UNIX sockets, else `host:port` split on the last colon (IPv6
//! may be bracketed), with `*` or nothing for "any".

use std::net::{Ipv4Addr, Ipv6Addr};

/// The host part of an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    /// `*` or empty: every address.
    Any,
    /// An IPv4 address.
    V4(Ipv4Addr),
    /// An IPv6 address.
    V6(Ipv6Addr),
    /// A name to resolve.
    Name(String),
    /// A filesystem path (UNIX socket) or an abstract/fd/sockpair name.
    Path(String),
}

/// The port part of an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Port {
    /// No port given.
    None,
    /// One port.
    Fixed(u16),
    /// `low-high` (bind only).
    Range(u16, u16),
    /// `+N` or `-N`: relative to the port the client reached (server only).
    Offset(i32),
}

/// One address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SockAddr {
    /// The `family@` prefix (`ipv4`, `ipv6`, `unix`, `abns`, `fd`,
    /// `sockpair`, `udp`, `tcp`, ...), if any.
    pub family: Option<String>,
    /// The host.
    pub host: Host,
    /// The port.
    pub port: Port,
}

/// Why an address is refused, worded like HAProxy.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddrError {
    /// `foo@...` with an unknown family.
    #[error("unknown address family '{0}'")]
    Family(String),
    /// A bind address without a port.
    #[error("missing port specification in '{0}'")]
    MissingPort(String),
    /// A port that is no number or out of range.
    #[error("invalid port '{0}'")]
    BadPort(String),
    /// A range where none is allowed.
    #[error("port range not permitted here in '{0}'")]
    RangeNotPermitted(String),
    /// An offset where none is allowed.
    #[error("port offsets not permitted here in '{0}'")]
    OffsetNotPermitted(String),
    /// A host that is no address (bind side).
    #[error("invalid address: '{host}' in '{text}'")]
    BadAddress {
        /// The host part.
        host: String,
        /// The whole address.
        text: String,
    },
    /// A host name that could not be resolved (server side).
    #[error("could not resolve address '{0}'")]
    Unresolved(String),
}

/// Families HAProxy 2.6 knows (the part before `@`).
const FAMILIES: &[&str] = &[
    "ipv4",
    "ipv6",
    "unix",
    "abns",
    "fd",
    "sockpair",
    "udp",
    "udp4",
    "udp6",
    "tcp",
    "tcp4",
    "tcp6",
    "uxst",
    "uxdg",
    "stream+ipv4",
    "stream+ipv6",
    "dgram+ipv4",
    "dgram+ipv6",
    "stream+unix",
    "dgram+unix",
    "stream+abns",
    "dgram+abns",
];

/// What kind of address is being read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Use {
    /// A `bind` address: a port or range is required.
    Bind,
    /// A `server` address: the port is optional, offsets allowed.
    Server,
    /// A `log` target: the port is optional (514).
    Log,
}

/// Resolves host names (the tests and the checker pass `/etc/hosts`).
pub(crate) type Resolver<'a> = &'a dyn Fn(&str) -> bool;

/// Reads one address.
pub(crate) fn parse(text: &str, usage: Use, resolve: Resolver<'_>) -> Result<SockAddr, AddrError> {
    match plain_ipv4_server(text, usage) {
        Some(addr) => Ok(addr),
        None => parse_general(text, usage, resolve),
    }
}

/// [`parse`] for every form of address.
fn parse_general(text: &str, usage: Use, resolve: Resolver<'_>) -> Result<SockAddr, AddrError> {
    let (family, rest) = match text.split_once('@') {
        Some((f, rest)) if !f.contains(':') && !f.contains('/') => {
            if !FAMILIES.contains(&f) {
                return Err(AddrError::Family(f.to_string()));
            }
            (Some(f.to_string()), rest)
        }
        _ => (None, text),
    };
    let fam = family.as_deref().unwrap_or("");
    let pathlike = matches!(fam, "unix" | "abns" | "fd" | "sockpair" | "uxst" | "uxdg")
        || fam.ends_with("+unix")
        || fam.ends_with("+abns")
        || (family.is_none() && rest.starts_with('/'));
    if pathlike {
        return Ok(SockAddr {
            family,
            host: Host::Path(rest.to_string()),
            port: Port::None,
        });
    }
    let (host_text, port_text) = split_host_port(rest);
    let port = match port_text {
        None => {
            if usage == Use::Bind {
                return Err(AddrError::MissingPort(text.to_string()));
            }
            Port::None
        }
        Some(p) => parse_port(p, usage, text)?,
    };
    let host = parse_host(host_text, fam, usage, text, resolve)?;
    Ok(SockAddr { family, host, port })
}

/// The common server address `A.B.C.D:PORT` (digits and dots, one
/// colon, a port number), read as the general path would read it; `None`
/// for anything else, which the general path reads.
fn plain_ipv4_server(text: &str, usage: Use) -> Option<SockAddr> {
    if usage != Use::Server {
        return None;
    }
    let (host, port) = dotted_quad_and_port(text.as_bytes())?;
    Some(SockAddr {
        family: None,
        host: Host::V4(host),
        port: Port::Fixed(port),
    })
}

/// `A.B.C.D:PORT` read in one pass over the bytes: four decimal octets
/// of 1 to 3 digits, no leading zero, each at most 255 (as
/// `Ipv4Addr::from_str` reads them), one colon, then 1 to 5 digits that
/// fit a `u16`. `None` for anything else.
fn dotted_quad_and_port(bytes: &[u8]) -> Option<(std::net::Ipv4Addr, u16)> {
    let mut octets = [0u8; 4];
    let mut i = 0usize;
    for (k, octet) in octets.iter_mut().enumerate() {
        let start = i;
        let mut value = 0u32;
        while let Some(&b) = bytes.get(i) {
            if !b.is_ascii_digit() || i - start == 3 {
                break;
            }
            value = value * 10 + u32::from(b - b'0');
            i += 1;
        }
        let len = i - start;
        if len == 0 || (len > 1 && bytes.get(start) == Some(&b'0')) {
            return None;
        }
        *octet = u8::try_from(value).ok()?;
        let separator = if k == 3 { b':' } else { b'.' };
        if bytes.get(i) != Some(&separator) {
            return None;
        }
        i += 1;
    }
    let digits = bytes.get(i..)?;
    if digits.is_empty() || digits.len() > 5 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let port = digits
        .iter()
        .fold(0u32, |n, &b| n * 10 + u32::from(b - b'0'));
    Some((std::net::Ipv4Addr::from(octets), u16::try_from(port).ok()?))
}

/// Splits `host:port` on the last colon, honouring `[v6]:port`; a string
/// with several colons and no brackets is all host when the last part
/// is not a port.
fn split_host_port(text: &str) -> (&str, Option<&str>) {
    if let Some(inner) = text.strip_prefix('[') {
        if let Some((host, after)) = inner.split_once(']') {
            return (host, after.strip_prefix(':'));
        }
    }
    match text.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (text, None),
    }
}

/// Reads a port, a `low-high` range or a `+N`/`-N` offset.
fn parse_port(p: &str, usage: Use, whole: &str) -> Result<Port, AddrError> {
    let bad = || AddrError::BadPort(p.to_string());
    let number = |s: &str| -> Result<u16, AddrError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        s.parse::<u16>().map_err(|_| bad())
    };
    if let Some(off) = p.strip_prefix('+').or_else(|| p.strip_prefix('-')) {
        if usage == Use::Bind {
            return Err(AddrError::OffsetNotPermitted(whole.to_string()));
        }
        let n = i32::from(number(off)?);
        return Ok(Port::Offset(if p.starts_with('-') { -n } else { n }));
    }
    if let Some((lo, hi)) = p.split_once('-') {
        if usage != Use::Bind {
            return Err(AddrError::RangeNotPermitted(whole.to_string()));
        }
        let (lo, hi) = (number(lo)?, number(hi)?);
        if lo == 0 || hi < lo {
            return Err(bad());
        }
        return Ok(Port::Range(lo, hi));
    }
    if p.is_empty() && usage != Use::Bind {
        return Ok(Port::None);
    }
    let n = number(p)?;
    if n == 0 && usage == Use::Bind {
        return Err(bad());
    }
    Ok(Port::Fixed(n))
}

/// Reads the host part.
fn parse_host(
    host: &str,
    fam: &str,
    usage: Use,
    whole: &str,
    resolve: Resolver<'_>,
) -> Result<Host, AddrError> {
    if host.is_empty() || host == "*" {
        return Ok(Host::Any);
    }
    let want_v6 = fam.ends_with('6');
    let want_v4 = fam.ends_with('4');
    if !want_v6 {
        if let Ok(a) = host.parse::<Ipv4Addr>() {
            return Ok(Host::V4(a));
        }
    }
    if !want_v4 {
        if let Ok(a) = host.parse::<Ipv6Addr>() {
            return Ok(Host::V6(a));
        }
    }
    if !host.contains(':') && resolve(host) {
        return Ok(Host::Name(host.to_string()));
    }
    match usage {
        Use::Server => Err(AddrError::Unresolved(host.to_string())),
        _ => Err(AddrError::BadAddress {
            host: host.to_string(),
            text: whole.to_string(),
        }),
    }
}

/// The names of `/etc/hosts` (plus `localhost`), as `getaddrinfo()` would
/// find them without asking a DNS server.
pub(crate) fn hosts_file_names() -> Vec<String> {
    let mut names = vec!["localhost".to_string()];
    if let Ok(text) = std::fs::read_to_string("/etc/hosts") {
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            names.extend(line.split_whitespace().skip(1).map(str::to_string));
        }
    }
    names
}

impl std::fmt::Display for SockAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(fam) = &self.family {
            write!(f, "{fam}@")?;
        }
        match &self.host {
            Host::Any => {}
            Host::V4(a) => write!(f, "{a}")?,
            Host::V6(a) => write!(f, "[{a}]")?,
            Host::Name(n) | Host::Path(n) => write!(f, "{n}")?,
        }
        match self.port {
            Port::None => Ok(()),
            Port::Fixed(p) => write!(f, ":{p}"),
            Port::Range(a, b) => write!(f, ":{a}-{b}"),
            Port::Offset(o) if o >= 0 => write!(f, ":+{o}"),
            Port::Offset(o) => write!(f, ":{o}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(name: &str) -> bool {
        name == "localhost" || name == "app1"
    }

    fn bind(t: &str) -> Result<SockAddr, AddrError> {
        parse(t, Use::Bind, &known)
    }

    #[test]
    fn dotted_quad_fast_path_agrees_with_std() {
        let cases = [
            "192.0.2.1:80",
            "192.0.2.255:65535",
            "0.0.0.0:0",
            "192.0.2.256:80",
            "192.0.2.01:80",
            "192.0.2:80",
            "192.0.2.1.5:80",
            "1920.0.2.1:80",
            "192.0.2.1:65536",
            "192.0.2.1:0080",
            "192.0.2.1:",
            "192.0.2.1",
            "192.0.2.1:80a",
            ".0.2.1:80",
        ];
        for text in cases {
            let by_std = text.split_once(':').and_then(|(h, p)| {
                let host: std::net::Ipv4Addr = h.parse().ok()?;
                let digits = !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
                digits
                    .then(|| p.parse::<u16>().ok())
                    .flatten()
                    .map(|p| (host, p))
            });
            assert_eq!(dotted_quad_and_port(text.as_bytes()), by_std, "{text}");
        }
        assert_eq!(
            dotted_quad_and_port(b"198.51.100.7:8443"),
            Some((std::net::Ipv4Addr::new(198, 51, 100, 7), 8443))
        );
    }

    #[test]
    fn the_ipv4_shortcut_reads_as_the_general_path() {
        for t in [
            "192.0.2.1:80",
            "198.51.100.250:8999",
            "0.0.0.0:0",
            "203.0.113.9:65535",
        ] {
            let fast = plain_ipv4_server(t, Use::Server);
            assert!(fast.is_some(), "{t}");
            assert_eq!(fast, parse_general(t, Use::Server, &known).ok(), "{t}");
        }
        // Not for it: the general path decides.
        for t in [
            "192.0.2.1:",
            "192.0.2.1:65536",
            "192.0.2:80",
            "192.0.2.1:+1",
            "192.0.2.1",
            "1.2.3.4.5:80",
            ":80",
        ] {
            assert_eq!(plain_ipv4_server(t, Use::Server), None, "{t}");
        }
        assert_eq!(plain_ipv4_server("192.0.2.1:80", Use::Bind), None);
    }

    fn server(t: &str) -> Result<SockAddr, AddrError> {
        parse(t, Use::Server, &known)
    }

    #[test]
    fn bind_forms() {
        assert_eq!(bind("*:80").unwrap().host, Host::Any);
        assert_eq!(bind(":80").unwrap().port, Port::Fixed(80));
        assert_eq!(
            bind("192.0.2.1:443").unwrap().host,
            Host::V4(Ipv4Addr::new(192, 0, 2, 1))
        );
        assert_eq!(
            bind("[::1]:80").unwrap().host,
            Host::V6(Ipv6Addr::LOCALHOST)
        );
        assert_eq!(
            bind("ipv6@:::81").unwrap().host,
            Host::V6(Ipv6Addr::UNSPECIFIED)
        );
        assert_eq!(bind("ipv6@:::81").unwrap().family.as_deref(), Some("ipv6"));
        assert_eq!(bind(":83-85").unwrap().port, Port::Range(83, 85));
        assert_eq!(
            bind("unix@/run/h.sock").unwrap().host,
            Host::Path("/run/h.sock".into())
        );
        assert_eq!(
            bind("/run/h.sock").unwrap().host,
            Host::Path("/run/h.sock".into())
        );
        assert_eq!(
            bind("192.0.2.1"),
            Err(AddrError::MissingPort("192.0.2.1".into()))
        );
        assert_eq!(bind(":99999"), Err(AddrError::BadPort("99999".into())));
        assert!(matches!(
            bind("192.0.2.300:80"),
            Err(AddrError::BadAddress { .. })
        ));
        assert_eq!(bind("foo@:80"), Err(AddrError::Family("foo".into())));
    }

    #[test]
    fn server_forms() {
        assert_eq!(server("192.0.2.1").unwrap().port, Port::None);
        assert_eq!(server("192.0.2.1:+1").unwrap().port, Port::Offset(1));
        assert_eq!(server("app1:8080").unwrap().host, Host::Name("app1".into()));
        assert_eq!(
            server("nohost.invalid:80"),
            Err(AddrError::Unresolved("nohost.invalid".into()))
        );
        assert!(matches!(
            server("192.0.2.1:80-90"),
            Err(AddrError::RangeNotPermitted(_))
        ));
        assert_eq!(server("192.0.2.1:80").unwrap().to_string(), "192.0.2.1:80");
        assert_eq!(
            bind("[2001:db8::1]:80").unwrap().to_string(),
            "[2001:db8::1]:80"
        );
    }
}
