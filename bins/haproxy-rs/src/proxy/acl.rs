//! Evaluating conditions (`if` / `unless` over ACLs) against a connection
//! or a request.

use super::config::{AclMatch, Condition, Fetch};
use http::HeaderMap;
use std::net::IpAddr;

/// What a condition may look at. HTTP parts are `None` in `mode tcp`, and
/// fetches that need them do not match there.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sample<'a> {
    /// Client address.
    pub(crate) src: IpAddr,
    /// The client connection uses TLS.
    pub(crate) ssl: bool,
    /// Request method.
    pub(crate) method: Option<&'a str>,
    /// Request path (without the query).
    pub(crate) path: Option<&'a str>,
    /// Request headers.
    pub(crate) headers: Option<&'a HeaderMap>,
}

impl Condition {
    /// Whether the condition holds for this sample.
    pub(crate) fn eval(&self, s: &Sample<'_>) -> bool {
        let holds = self.any.iter().any(|all| {
            all.iter()
                .all(|term| term.acl.any.iter().any(|m| m.matches(s)) != term.negate)
        });
        holds != self.negate
    }
}

fn eq(a: &str, b: &str, icase: bool) -> bool {
    if icase {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

fn begins(value: &str, pat: &str, icase: bool) -> bool {
    value.len() >= pat.len()
        && value.is_char_boundary(pat.len())
        && eq(&value[..pat.len()], pat, icase)
}

fn ends(value: &str, pat: &str, icase: bool) -> bool {
    let Some(at) = value.len().checked_sub(pat.len()) else {
        return false;
    };
    value.is_char_boundary(at) && eq(&value[at..], pat, icase)
}

fn contains(value: &str, pat: &str, icase: bool) -> bool {
    if icase {
        value
            .to_ascii_lowercase()
            .contains(&pat.to_ascii_lowercase())
    } else {
        value.contains(pat)
    }
}

/// Whether `ip` is in `net` (`a.b.c.d`, `a.b.c.d/len`, IPv6 likewise).
/// IPv4-mapped IPv6 clients match IPv4 networks, as in HAProxy.
fn in_network(ip: IpAddr, net: &str) -> bool {
    let (addr, len) = match net.split_once('/') {
        Some((a, l)) => (a, l.parse::<u32>().ok()),
        None => (net, None),
    };
    let Ok(addr) = addr.parse::<IpAddr>() else {
        return false;
    };
    let ip = match (ip, addr) {
        (IpAddr::V6(v6), IpAddr::V4(_)) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        _ => ip,
    };
    match (ip, addr) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let len = len.unwrap_or(32).min(32);
            let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let len = len.unwrap_or(128).min(128);
            let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

impl AclMatch {
    /// Whether this ACL line matches.
    pub(crate) fn matches(&self, s: &Sample<'_>) -> bool {
        let i = self.ignore_case;
        let any = |value: &str, f: &dyn Fn(&str, &str, bool) -> bool| {
            self.patterns.iter().any(|p| f(value, p, i))
        };
        match &self.fetch {
            Fetch::Path => s.path.is_some_and(|v| any(v, &eq)),
            Fetch::PathBeg => s.path.is_some_and(|v| any(v, &begins)),
            Fetch::PathEnd => s.path.is_some_and(|v| any(v, &ends)),
            Fetch::PathSub => s.path.is_some_and(|v| any(v, &contains)),
            Fetch::Method => s.method.is_some_and(|v| any(v, &eq)),
            Fetch::Hdr(name) => header_values(s, name).any(|v| any(v, &eq)),
            Fetch::HdrBeg(name) => header_values(s, name).any(|v| any(v, &begins)),
            Fetch::HdrEnd(name) => header_values(s, name).any(|v| any(v, &ends)),
            Fetch::Src => self.patterns.iter().any(|p| in_network(s.src, p)),
            Fetch::SslFc => s.ssl,
            Fetch::AlwaysTrue => true,
            Fetch::AlwaysFalse => false,
        }
    }
}

/// Each comma-separated value of every occurrence of a header, trimmed, as
/// HAProxy's `hdr()` fetch sees them.
fn header_values<'a>(s: &Sample<'a>, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    s.headers
        .into_iter()
        .flat_map(move |h| h.get_all(name).iter())
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::config::{Acl, Term};

    fn acl(fetch: Fetch, icase: bool, patterns: &[&str]) -> Acl {
        Acl {
            name: "a".into(),
            any: vec![AclMatch {
                fetch,
                ignore_case: icase,
                patterns: patterns.iter().map(|p| p.to_string()).collect(),
            }],
        }
    }

    fn cond(acl: Acl) -> Condition {
        Condition::when(Term { negate: false, acl })
    }

    fn sample<'a>(path: &'a str, headers: &'a HeaderMap) -> Sample<'a> {
        Sample {
            src: IpAddr::from([192, 0, 2, 7]),
            ssl: false,
            method: Some("GET"),
            path: Some(path),
            headers: Some(headers),
        }
    }

    #[test]
    fn path_matchers() {
        let h = HeaderMap::new();
        let s = sample("/api/v1/users.json", &h);
        assert!(cond(acl(Fetch::PathBeg, false, &["/static", "/api"])).eval(&s));
        assert!(!cond(acl(Fetch::PathBeg, false, &["/API"])).eval(&s));
        assert!(cond(acl(Fetch::PathBeg, true, &["/API"])).eval(&s));
        assert!(cond(acl(Fetch::PathEnd, false, &[".json"])).eval(&s));
        assert!(!cond(acl(Fetch::Path, false, &["/api"])).eval(&s));
        assert!(cond(acl(Fetch::PathSub, false, &["v1"])).eval(&s));
    }

    #[test]
    fn host_header_and_negation() {
        let mut h = HeaderMap::new();
        h.insert("host", http::HeaderValue::from_static("WWW.Example.com"));
        let s = sample("/", &h);
        let host = acl(Fetch::Hdr("host".into()), true, &["www.example.com"]);
        assert!(cond(host.clone()).eval(&s));
        let not = Condition::when(Term {
            negate: true,
            acl: host.clone(),
        });
        assert!(!not.eval(&s));
        let unless = Condition {
            negate: true,
            ..cond(host)
        };
        assert!(!unless.eval(&s));
    }

    #[test]
    fn src_networks() {
        let ip = |s: &str| {
            s.parse::<IpAddr>()
                .ok()
                .unwrap_or(IpAddr::from([0, 0, 0, 0]))
        };
        assert!(in_network(ip("192.0.2.7"), "192.0.2.0/24"));
        assert!(!in_network(ip("192.0.3.7"), "192.0.2.0/24"));
        assert!(in_network(ip("192.0.2.7"), "192.0.2.7"));
        assert!(in_network(ip("::ffff:192.0.2.7"), "192.0.2.0/24"));
        assert!(in_network(ip("2001:db8::1"), "2001:db8::/32"));
        assert!(in_network(ip("10.1.2.3"), "0.0.0.0/0"));
        assert!(!in_network(ip("10.1.2.3"), "garbage"));
    }

    #[test]
    fn empty_condition_always_holds() {
        let h = HeaderMap::new();
        assert!(Condition::always().eval(&sample("/", &h)));
    }
}
