//! Turning a request into the hash HAProxy balances on (`src/backend.c`,
//! HAProxy 2.6: `get_server_sh/uh/ph/ph_post/hh/rch`).
//!
//! Each hashing algorithm extracts its part of the request, hashes it with
//! the `hash-type` function (`gen_hash()`), then applies `full_hash()` when
//! the `avalanche` modifier is on. Map-based and consistent hashing compute
//! the hash the same way; only the lookup differs (`hash % tot_weight` in
//! the map, nearest node in the tree). `hash-type consistent` without a
//! function means `sdbm` with `avalanche`, which the parser sets.
//!
//! `None` means the part is missing and HAProxy falls back to round robin
//! on the same structure (`map_get_server_rr()` or
//! `chash_get_next_server()`).
//!
//! One subtlety depends on the backend's state, not on the request: when a
//! single server is usable (`tot_used == 1`), `source`, `uri` and `hdr`
//! skip hashing and look up hash 0 even if their part is missing, and
//! `rdp-cookie` looks up hash 0 once its cookie is found. Any hash finds
//! that one server, but skipping the round-robin fallback leaves the
//! round-robin position untouched. The balancer, which knows `tot_used`,
//! applies this rule around [`request_hash`].

use super::{Balance, BalancerConfig, HashFunction, UriOptions};
use crate::RequestKey;
use std::net::IpAddr;

use super::hash::{full_hash, hash_bytes};

/// The hash HAProxy looks up for this request, or `None` when the part the
/// algorithm hashes is missing (round-robin fallback) or the algorithm is
/// not a hashing one.
pub(crate) fn request_hash(cfg: &BalancerConfig, key: &RequestKey<'_>) -> Option<u32> {
    let function = cfg.hash_type.function;
    let raw = match &cfg.balance {
        Balance::Source => Some(source_hash(key.src?.ip())),
        Balance::Uri(opts) => Some(uri_hash(function, opts, key.uri?)),
        Balance::UrlParam { name, .. } => url_param_hash(function, name.as_bytes(), key),
        Balance::Hdr {
            use_domain_only, ..
        } => header_hash(function, *use_domain_only, key.header?),
        Balance::RdpCookie { .. } => cookie_hash(function, key.cookie?),
        _ => None,
    }?;
    Some(avalanche(cfg, raw))
}

/// `full_hash()` when `avalanche` is configured.
fn avalanche(cfg: &BalancerConfig, hash: u32) -> u32 {
    if cfg.hash_type.avalanche {
        full_hash(hash)
    } else {
        hash
    }
}

/// `get_server_sh()`: the XOR of the address's 32-bit big-endian words
/// (one for IPv4, four for IPv6). No hash function is applied.
fn source_hash(ip: IpAddr) -> u32 {
    match ip {
        IpAddr::V4(v4) => u32::from(v4),
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            (0..4).fold(0, |h, word| h ^ (bits >> (32 * word)) as u32)
        }
    }
}

/// `get_server_uh()`: hashes the URI (or its path with `path-only`) up to
/// `len` bytes, stopping before the `?` unless `whole`, and before the
/// slash that starts directory `depth + 1`.
fn uri_hash(function: HashFunction, opts: &UriOptions, uri: &[u8]) -> u32 {
    let uri = if opts.path_only { uri_path(uri) } else { uri };
    let limit = if opts.len > 0 {
        uri.len().min(opts.len as usize)
    } else {
        uri.len()
    };
    let uri = &uri[..limit];
    let end = uri_hash_end(opts, uri);
    hash_bytes(function, &uri[..end])
}

/// Where `get_server_uh()` stops: at the `(depth + 1)`-th slash, or at the
/// first `?` unless `whole`, or at the end.
fn uri_hash_end(opts: &UriOptions, uri: &[u8]) -> usize {
    let stop_slash = if opts.depth > 0 {
        opts.depth.saturating_add(1)
    } else {
        0
    };
    let mut slashes = 0u32;
    for (i, &c) in uri.iter().enumerate() {
        if c == b'/' {
            slashes += 1;
            if slashes == stop_slash {
                return i;
            }
        } else if c == b'?' && !opts.whole {
            return i;
        }
    }
    uri.len()
}

/// `http_parse_path()`: the path (with its query) of a request target:
/// the target itself when it starts with `/`; after `scheme://authority`
/// for an absolute URI; empty for `*`, an authority alone, or no path.
fn uri_path(uri: &[u8]) -> &[u8] {
    match uri.first() {
        None | Some(b'*') => b"",
        Some(b'/') => uri,
        Some(_) => {
            let Some(rest) = after_scheme(uri) else {
                return b"";
            };
            match rest.iter().position(|&c| c == b'/') {
                Some(slash) => &rest[slash..],
                None => b"",
            }
        }
    }
}

/// `http_parse_scheme()`: what follows `scheme://`, where the scheme is a
/// letter then letters, digits, `+`, `-` or `.`; `None` without a scheme.
fn after_scheme(uri: &[u8]) -> Option<&[u8]> {
    if !uri.first()?.is_ascii_alphabetic() {
        return None;
    }
    let len = uri
        .iter()
        .skip(1)
        .take_while(|&&c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        .count()
        + 1;
    uri[len..].strip_prefix(b"://")
}

/// `get_server_ph()`, then `get_server_ph_post()` on the body: the hash of
/// the first `name=value` parameter of the query string, else of the body.
///
/// HAProxy 2.6 looks in the body of every POST request when the query
/// string has no such parameter, whether `check_post` was given or not:
/// the caller passes `key.body` for POST requests only.
fn url_param_hash(function: HashFunction, name: &[u8], key: &RequestKey<'_>) -> Option<u32> {
    let in_query = key
        .uri
        .and_then(query_string)
        .and_then(|query| query_param(query, name));
    if let Some(value) = in_query {
        return Some(hash_bytes(function, value));
    }
    let value = body_param(key.body?, name)?;
    Some(hash_bytes(function, value))
}

/// What follows the first `?` of the URI.
fn query_string(uri: &[u8]) -> Option<&[u8]> {
    let q = uri.iter().position(|&c| c == b'?')?;
    Some(&uri[q + 1..])
}

/// The start of the value of the first `&`-separated parameter spelt
/// exactly `name=` (case matters), up to the end of `params`.
fn find_param<'a>(params: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut rest = params;
    // HAProxy only looks while more bytes than the name remain.
    while rest.len() > name.len() {
        if rest[name.len()] == b'=' && rest.starts_with(name) {
            return Some(&rest[name.len() + 1..]);
        }
        let amp = rest.iter().position(|&c| c == b'&')?;
        rest = &rest[amp + 1..];
    }
    None
}

/// `get_server_ph()`: the parameter's value runs to the next `&` or the
/// end of the URI (a `#` or `;` is part of it).
fn query_param<'a>(query: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let value = find_param(query, name)?;
    let end = value.iter().position(|&c| c == b'&').unwrap_or(value.len());
    Some(&value[..end])
}

/// `get_server_ph_post()`: like the query string, but a value whose first
/// byte is not an HTTP token character ends there if that byte is a space,
/// tab, CR or LF (empty value), and means "not URL-encoded, no parameter"
/// otherwise. HAProxy tests the value's first byte at every step, so only
/// that byte is ever checked.
fn body_param<'a>(body: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let value = find_param(body, name)?;
    match value.first() {
        None | Some(b'&') => Some(&value[..0]),
        Some(&c) if is_http_token(c) => {
            let end = value.iter().position(|&c| c == b'&').unwrap_or(value.len());
            Some(&value[..end])
        }
        Some(&c) if is_http_lws(c) => Some(&value[..0]),
        Some(_) => None,
    }
}

/// `HTTP_IS_TOKEN()`: RFC 7230 `tchar`.
fn is_http_token(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// `HTTP_IS_LWS()`: space, tab, CR or LF.
fn is_http_lws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// `get_server_hh()`: hashes the header's first value (what
/// `http_find_header()` returns: up to the first unquoted comma, without
/// surrounding blanks), or with `use_domain_only` its main domain part.
/// An empty value is a missing one.
fn header_hash(function: HashFunction, use_domain_only: bool, header: &[u8]) -> Option<u32> {
    let value = first_header_value(header);
    if value.is_empty() {
        return None;
    }
    let hashed = if use_domain_only {
        main_domain(value)
    } else {
        value
    };
    Some(hash_bytes(function, hashed))
}

/// `http_find_header(.., full = 0)`: leading blanks skipped, the value cut
/// at the first comma outside double quotes (a backslash escapes the next
/// byte inside quotes), trailing blanks dropped.
fn first_header_value(header: &[u8]) -> &[u8] {
    let start = header
        .iter()
        .position(|&c| !is_http_lws(c))
        .unwrap_or(header.len());
    let header = &header[start..];
    let end = header_value_end(header);
    let header = &header[..end];
    let trimmed = header
        .iter()
        .rposition(|&c| !is_http_lws(c))
        .map_or(0, |last| last + 1);
    &header[..trimmed]
}

/// `http_find_hdr_value_end()`: the first comma outside a quoted string.
fn header_value_end(value: &[u8]) -> usize {
    let (mut quoted, mut escaped) = (false, false);
    for (i, &c) in value.iter().enumerate() {
        if escaped {
            escaped = false;
        } else if quoted {
            match c {
                b'\\' => escaped = true,
                b'"' => quoted = false,
                _ => {}
            }
        } else if c == b'"' {
            quoted = true;
        } else if c == b',' {
            return i;
        }
    }
    value.len()
}

/// `use_domain_only`: scanning back from the end, the part between the
/// last dot and the dot before it (`www.example.com` → `example`,
/// `example.com` → `example`). Without any dot the whole value is hashed;
/// the first byte is never tested for a dot (`.com` stays `.com`).
///
/// HAProxy's first test reads the byte just past the value (an
/// out-of-bounds read in its buffer); it is taken as not a dot here.
fn main_domain(value: &[u8]) -> &[u8] {
    let mut end = value.len();
    let mut start = 0;
    let mut in_domain = false;
    // HAProxy walks p = len down to 1, testing value[p] (before the TLD dot
    // is found) or value[p - 1] (after).
    for p in (1..=value.len()).rev() {
        if in_domain {
            if value[p - 1] == b'.' {
                start = p;
                break;
            }
        } else if value.get(p) == Some(&b'.') {
            end = p;
            in_domain = true;
        }
    }
    &value[start..end]
}

/// `get_server_rch()`: the RDP cookie's value, hashed; an empty value is a
/// missing one.
fn cookie_hash(function: HashFunction, cookie: &[u8]) -> Option<u32> {
    if cookie.is_empty() {
        return None;
    }
    Some(hash_bytes(function, cookie))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::haproxy::{HashMethod, HashType};

    /// A configuration with this algorithm and `hash-type map-based sdbm`.
    fn cfg(balance: Balance) -> BalancerConfig {
        BalancerConfig::new(balance)
    }

    /// A configuration with this algorithm and hash type.
    fn cfg_with(
        balance: Balance,
        method: HashMethod,
        function: HashFunction,
        avalanche: bool,
    ) -> BalancerConfig {
        BalancerConfig::new(balance).hash_type(HashType {
            method,
            function,
            avalanche,
        })
    }

    /// `balance uri` with these options.
    fn uri(whole: bool, len: u32, depth: u32, path_only: bool) -> Balance {
        Balance::Uri(UriOptions {
            whole,
            len,
            depth,
            path_only,
        })
    }

    /// The sdbm hash of `s`.
    fn sdbm(s: &[u8]) -> u32 {
        hash_bytes(HashFunction::Sdbm, s)
    }

    /// request_hash() with only a URI.
    fn uri_h(balance: Balance, u: &[u8]) -> Option<u32> {
        request_hash(&cfg(balance), &RequestKey::new().uri(u))
    }

    #[test]
    fn get_server_sh_ipv4_is_the_address_itself() {
        // No hash function: h = ntohl(addr); avalanche only if configured.
        let key = RequestKey::new().src("192.0.2.7:40000".parse().unwrap());
        assert_eq!(request_hash(&cfg(Balance::Source), &key), Some(0xc000_0207));
        let djb2 = cfg_with(
            Balance::Source,
            HashMethod::MapBased,
            HashFunction::Djb2,
            false,
        );
        assert_eq!(request_hash(&djb2, &key), Some(0xc000_0207));
        // Value from the independent C program: full_hash(0xc0000207).
        let cons = cfg_with(
            Balance::Source,
            HashMethod::Consistent,
            HashFunction::Sdbm,
            true,
        );
        assert_eq!(request_hash(&cons, &key), Some(full_hash(0xc000_0207)));
        assert_eq!(full_hash(0xc000_0207), 0x792e_96dc);
    }

    #[test]
    fn get_server_sh_ipv6_xors_four_words() {
        let key = RequestKey::new().src("[2001:db8::1:0:0:5]:443".parse().unwrap());
        // 0x20010db8 ^ 0x00000000 ^ 0x00010000 ^ 0x00000005
        assert_eq!(request_hash(&cfg(Balance::Source), &key), Some(0x2000_0dbd));
        let mapped = RequestKey::new().src("[::ffff:192.0.2.7]:1".parse().unwrap());
        assert_eq!(
            request_hash(&cfg(Balance::Source), &mapped),
            Some(0x0000_ffff ^ 0xc000_0207)
        );
        assert_eq!(
            request_hash(&cfg(Balance::Source), &RequestKey::new()),
            None
        );
    }

    #[test]
    fn get_server_uh_stops_at_question_mark_unless_whole() {
        assert_eq!(
            uri_h(uri(false, 0, 0, false), b"/a/b?x=1"),
            Some(sdbm(b"/a/b"))
        );
        assert_eq!(
            uri_h(uri(true, 0, 0, false), b"/a/b?x=1"),
            Some(sdbm(b"/a/b?x=1"))
        );
        assert_eq!(uri_h(uri(false, 0, 0, false), b"?"), Some(0));
        assert_eq!(uri_h(uri(false, 0, 0, false), b""), Some(0));
        assert_eq!(
            uri_h(uri(false, 0, 0, false), b"/index.html"),
            Some(0x3324_2976)
        );
        assert_eq!(
            request_hash(&cfg(uri(false, 0, 0, false)), &RequestKey::new()),
            None
        );
    }

    #[test]
    fn get_server_uh_len_and_depth() {
        // len cuts before scanning: "/abc" of "/abcdef".
        assert_eq!(
            uri_h(uri(false, 4, 0, false), b"/abcdef"),
            Some(sdbm(b"/abc"))
        );
        // len 0 (unset) means no limit; a len past the end is harmless.
        assert_eq!(
            uri_h(uri(false, 0, 0, false), b"/abcdef"),
            Some(sdbm(b"/abcdef"))
        );
        assert_eq!(
            uri_h(uri(false, 99, 0, false), b"/abcdef"),
            Some(sdbm(b"/abcdef"))
        );
        // depth 1 stops before the second slash, depth 2 before the third.
        assert_eq!(uri_h(uri(false, 0, 1, false), b"/a/b/c"), Some(sdbm(b"/a")));
        assert_eq!(
            uri_h(uri(false, 0, 2, false), b"/a/b/c"),
            Some(sdbm(b"/a/b"))
        );
        assert_eq!(
            uri_h(uri(false, 0, 3, false), b"/a/b/c"),
            Some(sdbm(b"/a/b/c"))
        );
        assert_eq!(uri_h(uri(false, 0, 1, false), b"/"), Some(sdbm(b"/")));
        assert_eq!(uri_h(uri(false, 0, 1, false), b"//x"), Some(sdbm(b"/")));
        // With whole, slashes in the query string count too.
        assert_eq!(
            uri_h(uri(true, 0, 2, false), b"/a?u=/b/c"),
            Some(sdbm(b"/a?u=/b"))
        );
        // Both: whichever comes first.
        assert_eq!(
            uri_h(uri(false, 3, 2, false), b"/a/b/c"),
            Some(sdbm(b"/a/"))
        );
        assert_eq!(uri_h(uri(false, 5, 1, false), b"/a/b/c"), Some(sdbm(b"/a")));
    }

    #[test]
    fn get_server_uh_path_only() {
        let po = uri(false, 0, 0, true);
        assert_eq!(
            uri_h(po.clone(), b"http://example.com/a/b?q"),
            Some(sdbm(b"/a/b"))
        );
        assert_eq!(
            uri_h(po.clone(), b"https://user@h:8443/x"),
            Some(sdbm(b"/x"))
        );
        assert_eq!(uri_h(po.clone(), b"/plain"), Some(sdbm(b"/plain")));
        // No path, asterisk, authority-only, no scheme: empty key.
        assert_eq!(uri_h(po.clone(), b"http://example.com"), Some(0));
        assert_eq!(uri_h(po.clone(), b"*"), Some(0));
        assert_eq!(uri_h(po.clone(), b"example.com:443"), Some(0));
        assert_eq!(uri_h(po.clone(), b"1http://h/x"), Some(0));
        assert_eq!(uri_h(po.clone(), b"ht_tp://h/x"), Some(0));
        // Without path-only, the whole absolute URI is hashed.
        assert_eq!(
            uri_h(uri(false, 0, 0, false), b"http://h/x"),
            Some(sdbm(b"http://h/x"))
        );
        // len and depth apply to the path.
        assert_eq!(
            uri_h(uri(false, 0, 1, true), b"http://h/x/y"),
            Some(sdbm(b"/x"))
        );
    }

    #[test]
    fn get_server_uh_vectors_from_c_reference() {
        // Independent C program: sdbm over the bytes HAProxy would hash.
        assert_eq!(
            uri_h(uri(false, 0, 0, false), b"/img/logo.png?v=2"),
            Some(0x5339_2b81)
        );
        let djb2 = cfg_with(
            uri(false, 12, 0, false),
            HashMethod::Consistent,
            HashFunction::Djb2,
            true,
        );
        // full_hash(djb2("/img/logo.pn"))
        assert_eq!(
            request_hash(&djb2, &RequestKey::new().uri(b"/img/logo.png")),
            Some(0x5252_7357)
        );
    }

    /// request_hash() for `url_param` with a URI and maybe a body.
    fn ph(name: &str, u: &[u8], body: Option<&[u8]>) -> Option<u32> {
        let b = Balance::UrlParam {
            name: name.into(),
            check_post: None,
        };
        let mut key = RequestKey::new().uri(u);
        if let Some(body) = body {
            key = key.body(body);
        }
        request_hash(&cfg(b), &key)
    }

    #[test]
    fn get_server_ph_query_string() {
        assert_eq!(ph("id", b"/p?id=42", None), Some(sdbm(b"42")));
        assert_eq!(ph("id", b"/p?a=1&id=42&b=2", None), Some(sdbm(b"42")));
        // First occurrence wins; names are case-sensitive and whole.
        assert_eq!(ph("id", b"/p?id=1&id=2", None), Some(sdbm(b"1")));
        assert_eq!(ph("id", b"/p?ID=1", None), None);
        assert_eq!(ph("id", b"/p?xid=1&pid=2", None), None);
        // Only '&' separates; ';' and '#' belong to the value.
        assert_eq!(ph("id", b"/p?a=1;id=2", None), None);
        assert_eq!(ph("id", b"/p?id=7;x#frag&y", None), Some(sdbm(b"7;x#frag")));
        // An empty value is hashed (found), a bare name is not a parameter.
        assert_eq!(ph("id", b"/p?id=", None), Some(0));
        assert_eq!(ph("id", b"/p?id", None), None);
        assert_eq!(ph("id", b"/p?id&id=3", None), Some(sdbm(b"3")));
        // No query string at all, or the name in the path only.
        assert_eq!(ph("id", b"/id=3", None), None);
        // The query string starts after the first '?'.
        assert_eq!(ph("id", b"/p??id=3", None), None);
        assert_eq!(ph("x", b"/p?y=1?x=2", None), None);
    }

    #[test]
    fn get_server_ph_post_body() {
        // Not in the query string: the body is searched.
        assert_eq!(
            ph("id", b"/login", Some(b"user=a&id=99&z=1")),
            Some(sdbm(b"99"))
        );
        assert_eq!(ph("id", b"/login?x=1", Some(b"id=99")), Some(sdbm(b"99")));
        // The query string wins over the body.
        assert_eq!(ph("id", b"/login?id=1", Some(b"id=2")), Some(sdbm(b"1")));
        // First byte of the value a blank: empty value, hashed.
        assert_eq!(ph("id", b"/", Some(b"id= 99")), Some(0));
        assert_eq!(ph("id", b"/", Some(b"id=\r\n")), Some(0));
        // First byte not a token (and not blank): not URL-encoded, no param.
        assert_eq!(ph("id", b"/", Some(b"id={\"a\":1}")), None);
        assert_eq!(ph("id", b"/", Some(b"id=\x00\x01")), None);
        // Only the first byte is checked: later bytes may be anything.
        assert_eq!(
            ph("id", b"/", Some(b"id=a b\x00&c")),
            Some(sdbm(b"a b\x00"))
        );
        assert_eq!(ph("id", b"/", Some(b"id=&x")), Some(0));
        assert_eq!(ph("id", b"/", Some(b"nothing")), None);
    }

    #[test]
    fn get_server_hh_first_value() {
        let h = Balance::Hdr {
            name: "Host".into(),
            use_domain_only: false,
        };
        let key = |v: &'static [u8]| RequestKey::new().header(v);
        assert_eq!(
            request_hash(&cfg(h.clone()), &key(b"example.com")),
            Some(sdbm(b"example.com"))
        );
        assert_eq!(
            request_hash(&cfg(h.clone()), &key(b"  a , b")),
            Some(sdbm(b"a"))
        );
        assert_eq!(
            request_hash(&cfg(h.clone()), &key(b"\"x,y\", z")),
            Some(sdbm(b"\"x,y\""))
        );
        assert_eq!(
            request_hash(&cfg(h.clone()), &key(b"\"x\\\",y\",z")),
            Some(sdbm(b"\"x\\\",y\""))
        );
        // Absent or empty first value: round robin.
        assert_eq!(request_hash(&cfg(h.clone()), &key(b"")), None);
        assert_eq!(request_hash(&cfg(h.clone()), &key(b" , b")), None);
        assert_eq!(request_hash(&cfg(h), &RequestKey::new()), None);
    }

    #[test]
    fn get_server_hh_use_domain_only() {
        // Expected parts from a C program running HAProxy's backward scan.
        assert_eq!(main_domain(b"haproxy.1wt.eu"), b"1wt");
        assert_eq!(main_domain(b"www.example.com"), b"example");
        assert_eq!(main_domain(b"example.com"), b"example");
        assert_eq!(main_domain(b"www.example.com:8080"), b"example");
        assert_eq!(main_domain(b"a.b.c"), b"b");
        assert_eq!(main_domain(b"localhost"), b"localhost");
        assert_eq!(main_domain(b"com."), b"com");
        assert_eq!(main_domain(b".com"), b".com");
        assert_eq!(main_domain(b"a..b"), b"a.");
        assert_eq!(main_domain(b"."), b".");
        assert_eq!(main_domain(b".."), b".");
        assert_eq!(main_domain(b"x.y"), b"x");
        let h = Balance::Hdr {
            name: "Host".into(),
            use_domain_only: true,
        };
        let key = RequestKey::new().header(b"www.example.com");
        assert_eq!(request_hash(&cfg(h), &key), Some(sdbm(b"example")));
    }

    #[test]
    fn get_server_rch_cookie() {
        let r = Balance::RdpCookie {
            name: "mstshash".into(),
        };
        let key = RequestKey::new().cookie(b"alice");
        assert_eq!(request_hash(&cfg(r.clone()), &key), Some(sdbm(b"alice")));
        assert_eq!(
            request_hash(&cfg(r.clone()), &RequestKey::new().cookie(b"")),
            None
        );
        assert_eq!(request_hash(&cfg(r), &RequestKey::new()), None);
    }

    #[test]
    fn avalanche_applies_to_every_hashing_algorithm() {
        let wt6 = |b: Balance| cfg_with(b, HashMethod::MapBased, HashFunction::Wt6, true);
        let key = RequestKey::new().uri(b"/x?p=v").header(b"h").cookie(b"c");
        let p = Balance::UrlParam {
            name: "p".into(),
            check_post: Some(0),
        };
        let hh = Balance::Hdr {
            name: "X".into(),
            use_domain_only: false,
        };
        let wt = |s: &[u8]| full_hash(hash_bytes(HashFunction::Wt6, s));
        assert_eq!(
            request_hash(&wt6(uri(false, 0, 0, false)), &key),
            Some(wt(b"/x"))
        );
        assert_eq!(request_hash(&wt6(p), &key), Some(wt(b"v")));
        assert_eq!(request_hash(&wt6(hh), &key), Some(wt(b"h")));
        let rc = Balance::RdpCookie { name: "n".into() };
        assert_eq!(request_hash(&wt6(rc), &key), Some(wt(b"c")));
    }

    #[test]
    fn non_hashing_algorithms_have_no_hash() {
        let key = RequestKey::new()
            .uri(b"/")
            .src("192.0.2.1:1".parse().unwrap());
        for b in [
            Balance::RoundRobin,
            Balance::StaticRr,
            Balance::LeastConn,
            Balance::First,
            Balance::Random { draws: 2 },
        ] {
            assert_eq!(request_hash(&cfg(b), &key), None);
        }
    }
}
