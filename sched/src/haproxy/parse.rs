//! Parsing `balance` and `hash-type` arguments as HAProxy 2.6 does
//! (`backend_parse_balance()` in `src/backend.c`, the `hash-type` keyword
//! in `src/cfgparse-listen.c`), and printing them back.
//!
//! Words are separated by blanks (HAProxy's quoting and escaping are not
//! reproduced). What HAProxy accepts is accepted, including its leniencies:
//! words after an algorithm that takes none are ignored (`roundrobin x`),
//! `random` is recognised by its first six letters (`randomly` is
//! `random`), text after the closing parenthesis of `hdr(..)`,
//! `rdp-cookie(..)` and `random(..)` is ignored, and numbers are read like
//! C's `atoi()` / `strtol()` (`len 12abc` is `len 12`, `random(0x10)` is 16
//! draws). What it rejects is rejected with its reason, and an unknown
//! algorithm gets a "did you mean" suggestion.
//!
//! Differences: `balance hash <expr>` is refused (sample expressions are
//! not modelled), and a bare `hdr` gets a message asking for `hdr(<name>)`
//! where HAProxy lists its algorithms. `url_param NAME check_post [N]` is
//! accepted as in HAProxy 2.6, which ignores `N` and, whether `check_post`
//! is given or not, looks for the parameter in the body of every POST
//! request (see `key.rs`). `hash-type ... none` is refused: the `none`
//! function appeared after 2.6.

use super::{Balance, HashFunction, HashMethod, HashType, UriOptions};
use crate::error::Family;
use crate::Error;
use std::fmt;
use std::str::FromStr;

/// The algorithm names HAProxy 2.6 knows, for suggestions.
const ALGORITHMS: [&str; 11] = [
    "roundrobin",
    "static-rr",
    "leastconn",
    "first",
    "source",
    "uri",
    "url_param",
    "hdr",
    "rdp-cookie",
    "random",
    "hash",
];

/// The RDP cookie name used when `rdp-cookie` has none.
const DEFAULT_RDP_COOKIE: &str = "mstshash";

/// The number of draws of `random` without an argument.
const DEFAULT_DRAWS: u32 = 2;

impl FromStr for Balance {
    type Err = Error;

    /// Parses what follows `balance` (`"uri whole len 12"`); empty means
    /// `roundrobin`, as in HAProxy.
    fn from_str(s: &str) -> Result<Self, Error> {
        let args: Vec<&str> = s.split_whitespace().collect();
        let Some(&algo) = args.first() else {
            return Ok(Balance::RoundRobin);
        };
        let rest = &args[1..];
        match algo {
            "roundrobin" => Ok(Balance::RoundRobin),
            "static-rr" => Ok(Balance::StaticRr),
            "first" => Ok(Balance::First),
            "leastconn" => Ok(Balance::LeastConn),
            "source" => Ok(Balance::Source),
            "uri" => parse_uri(rest),
            "url_param" => parse_url_param(rest),
            "hash" => Err(invalid(
                "hash",
                "sample expression hashing (`balance hash <expr>`) is not supported".into(),
            )),
            _ if algo.starts_with("random") => parse_random(algo),
            _ if algo.starts_with("hdr(") => parse_hdr(algo, rest),
            _ if algo.starts_with("rdp-cookie") => parse_rdp_cookie(algo),
            "hdr" => Err(invalid(
                "hdr",
                "hdr requires an http header field name, as in `hdr(<name>)`".into(),
            )),
            _ => Err(Error::UnknownAlgorithm {
                family: Family::Haproxy,
                name: algo.to_string(),
                suggestion: crate::suggest::closest(algo, &ALGORITHMS),
            }),
        }
    }
}

/// An `InvalidArgument` error for `algorithm`.
fn invalid(algorithm: &'static str, reason: String) -> Error {
    Error::InvalidArgument { algorithm, reason }
}

/// `random`, `random()` or `random(<draws>)`.
fn parse_random(word: &str) -> Result<Balance, Error> {
    let after = &word.as_bytes()["random".len()..];
    // HAProxy reads a number when '(' is not directly followed by ')'.
    let draws = match after.split_first() {
        Some((b'(', inside)) if inside.first() != Some(&b')') => parse_draws(inside)?,
        _ => DEFAULT_DRAWS,
    };
    Ok(Balance::Random { draws })
}

/// The number inside `random(...)` (after the `(`), read by `strtol()`
/// in base 0 and stored in an `int`, as HAProxy does.
fn parse_draws(arg: &[u8]) -> Result<u32, Error> {
    let (value, used) = strtol(arg);
    match arg.get(used) {
        Some(b')') => {}
        None => return Err(invalid("random", "missing closing parenthesis".into())),
        Some(&c) => {
            return Err(invalid(
                "random",
                format!("unexpected character '{}' after argument", char::from(c)),
            ))
        }
    }
    let draws = value as i32;
    if draws < 1 {
        return Err(invalid(
            "random",
            "number of draws must be at least 1".into(),
        ));
    }
    Ok(draws.unsigned_abs())
}

/// `uri [whole] [len N] [depth N] [path-only]`, in any order, repeatable.
fn parse_uri(args: &[&str]) -> Result<Balance, Error> {
    let mut opts = UriOptions::default();
    let mut i = 0;
    while let Some(&word) = args.get(i) {
        match word {
            "len" => opts.len = positive_int(word, args.get(i + 1))?,
            "depth" => opts.depth = positive_int(word, args.get(i + 1))?,
            "whole" => opts.whole = true,
            "path-only" => opts.path_only = true,
            other => {
                return Err(invalid(
                    "uri",
                    format!(
                        "uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got '{other}')"
                    ),
                ))
            }
        }
        i += if matches!(word, "len" | "depth") {
            2
        } else {
            1
        };
    }
    Ok(Balance::Uri(opts))
}

/// The number after `len` or `depth`: `atoi()` of it must be positive.
fn positive_int(option: &str, arg: Option<&&str>) -> Result<u32, Error> {
    let arg = arg.copied().unwrap_or("");
    let value = atoi(arg);
    if arg.is_empty() || value <= 0 {
        return Err(invalid(
            "uri",
            format!("'{option}' expects a positive integer (got '{arg}')"),
        ));
    }
    Ok(value.unsigned_abs())
}

/// `url_param NAME [check_post [MAX_WAIT]]`; words after are ignored.
fn parse_url_param(args: &[&str]) -> Result<Balance, Error> {
    let Some(&name) = args.first() else {
        return Err(invalid(
            "url_param",
            "url_param requires an URL parameter name".into(),
        ));
    };
    let check_post = match args.get(1) {
        None => None,
        Some(&"check_post") => Some(args.get(2).and_then(|n| n.parse().ok()).unwrap_or(0)),
        Some(other) => {
            return Err(invalid(
                "url_param",
                format!("url_param only accepts 'check_post' modifier (got '{other}')"),
            ))
        }
    };
    Ok(Balance::UrlParam {
        name: name.to_string(),
        check_post,
    })
}

/// `hdr(NAME) [use_domain_only]`: the name runs to the first `)`.
fn parse_hdr(word: &str, args: &[&str]) -> Result<Balance, Error> {
    let name = parenthesised(&word["hdr(".len()..])
        .ok_or_else(|| invalid("hdr", "hdr requires an http header field name".into()))?;
    let use_domain_only = match args.first() {
        None => false,
        Some(&"use_domain_only") => true,
        Some(other) => {
            return Err(invalid(
                "hdr",
                format!("{word} only accepts 'use_domain_only' modifier (got '{other}')"),
            ))
        }
    };
    Ok(Balance::Hdr {
        name: name.to_string(),
        use_domain_only,
    })
}

/// `rdp-cookie` or `rdp-cookie(NAME)`.
fn parse_rdp_cookie(word: &str) -> Result<Balance, Error> {
    let after = &word["rdp-cookie".len()..];
    let name = if after.is_empty() {
        DEFAULT_RDP_COOKIE
    } else {
        after
            .strip_prefix('(')
            .and_then(parenthesised)
            .ok_or_else(|| invalid("rdp-cookie", "missing cookie name".into()))?
    };
    Ok(Balance::RdpCookie {
        name: name.to_string(),
    })
}

/// The non-empty text before the first `)`, if any.
fn parenthesised(s: &str) -> Option<&str> {
    let end = s.find(')')?;
    (end > 0).then(|| &s[..end])
}

/// C's `atoi()` (glibc: `strtol(s, NULL, 10)` cast to `int`).
fn atoi(s: &str) -> i32 {
    let (value, _) = strtol_radix(s.as_bytes(), Some(10));
    value as i32
}

/// C's `strtol(s, &end, 0)`: the value (clamped to the `long` range) and
/// how many bytes were used (0 when no number was found).
fn strtol(s: &[u8]) -> (i64, usize) {
    strtol_radix(s, None)
}

/// `strtol()` with base 10, or base 0 (`None`: `0x` hexadecimal, `0`
/// octal, decimal otherwise).
fn strtol_radix(s: &[u8], radix: Option<u32>) -> (i64, usize) {
    let mut i = s.iter().take_while(|c| is_c_space(**c)).count();
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let (radix, digits_at) = match radix {
        Some(r) => (r, i),
        None => detect_radix(s, i),
    };
    let (magnitude, used) = digits(&s[digits_at..], radix);
    if used == 0 {
        // "0x" without hex digits still reads the 0.
        return if digits_at > i { (0, i + 1) } else { (0, 0) };
    }
    let value = if negative {
        i64::try_from(-i128::from(magnitude)).unwrap_or(i64::MIN)
    } else {
        i64::try_from(magnitude).unwrap_or(i64::MAX)
    };
    (value, digits_at + used)
}

/// Base-0 prefix detection at `i`: the radix and where digits start.
fn detect_radix(s: &[u8], i: usize) -> (u32, usize) {
    match (s.get(i), s.get(i + 1)) {
        (Some(b'0'), Some(b'x' | b'X')) => (16, i + 2),
        (Some(b'0'), _) => (8, i),
        _ => (10, i),
    }
}

/// Reads digits of `radix` (the value saturates far beyond the `long`
/// range, which the caller clamps to) and how many bytes were digits.
fn digits(s: &[u8], radix: u32) -> (u64, usize) {
    let mut value: u64 = 0;
    let mut used = 0;
    for &c in s {
        let Some(d) = char::from(c).to_digit(radix) else {
            break;
        };
        value = value
            .saturating_mul(u64::from(radix))
            .saturating_add(u64::from(d));
        used += 1;
    }
    (value, used)
}

/// C's `isspace()` in the C locale.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

impl fmt::Display for Balance {
    /// Prints the arguments of `balance` as HAProxy reads them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Balance::RoundRobin => f.write_str("roundrobin"),
            Balance::StaticRr => f.write_str("static-rr"),
            Balance::LeastConn => f.write_str("leastconn"),
            Balance::First => f.write_str("first"),
            Balance::Source => f.write_str("source"),
            Balance::Uri(opts) => write_uri(f, opts),
            Balance::UrlParam { name, check_post } => {
                write!(f, "url_param {name}")?;
                match check_post {
                    None => Ok(()),
                    Some(0) => f.write_str(" check_post"),
                    Some(n) => write!(f, " check_post {n}"),
                }
            }
            Balance::Hdr {
                name,
                use_domain_only,
            } => {
                write!(f, "hdr({name})")?;
                if *use_domain_only {
                    f.write_str(" use_domain_only")?;
                }
                Ok(())
            }
            Balance::RdpCookie { name } if name == DEFAULT_RDP_COOKIE => f.write_str("rdp-cookie"),
            Balance::RdpCookie { name } => write!(f, "rdp-cookie({name})"),
            Balance::Random { draws } if *draws == DEFAULT_DRAWS => f.write_str("random"),
            Balance::Random { draws } => write!(f, "random({draws})"),
        }
    }
}

/// `uri` and its options, in HAProxy's documented order.
fn write_uri(f: &mut fmt::Formatter<'_>, opts: &UriOptions) -> fmt::Result {
    f.write_str("uri")?;
    if opts.whole {
        f.write_str(" whole")?;
    }
    if opts.len > 0 {
        write!(f, " len {}", opts.len)?;
    }
    if opts.depth > 0 {
        write!(f, " depth {}", opts.depth)?;
    }
    if opts.path_only {
        f.write_str(" path-only")?;
    }
    Ok(())
}

impl FromStr for HashType {
    type Err = Error;

    /// Parses what follows `hash-type`: `map-based|consistent
    /// [<function> [avalanche]]`. Without a function, `consistent` means
    /// `sdbm` with `avalanche` and `map-based` plain `sdbm`. Words after
    /// `avalanche` are ignored, as HAProxy does.
    fn from_str(s: &str) -> Result<Self, Error> {
        let args: Vec<&str> = s.split_whitespace().collect();
        let method = parse_method(args.first().copied())?;
        let Some(&function) = args.get(1) else {
            return Ok(HashType {
                method,
                function: HashFunction::Sdbm,
                avalanche: method == HashMethod::Consistent,
            });
        };
        let function = parse_function(function)?;
        let avalanche = match args.get(2) {
            None => false,
            Some(&"avalanche") => true,
            Some(other) => {
                return Err(invalid(
                    "hash-type",
                    format!("'hash-type' only supports 'avalanche' as a modifier for hash functions (got '{other}')"),
                ))
            }
        };
        let hash_type = HashType {
            method,
            function,
            avalanche,
        };
        Ok(hash_type)
    }
}

/// The map method, first word of `hash-type`.
fn parse_method(word: Option<&str>) -> Result<HashMethod, Error> {
    match word {
        Some("consistent") => Ok(HashMethod::Consistent),
        Some("map-based") => Ok(HashMethod::MapBased),
        Some("avalanche") => Err(invalid(
            "hash-type",
            "'hash-type avalanche' is not supported anymore, please use 'hash-type map-based sdbm avalanche' instead".into(),
        )),
        Some(other) => Err(invalid(
            "hash-type",
            format!(
                "'hash-type' only supports 'consistent' and 'map-based' (got '{other}'){}",
                did_you_mean(other, &["consistent", "map-based"])
            ),
        )),
        None => Err(invalid(
            "hash-type",
            "'hash-type' only supports 'consistent' and 'map-based'".into(),
        )),
    }
}

/// The hash function, second word of `hash-type`.
fn parse_function(word: &str) -> Result<HashFunction, Error> {
    match word {
        "sdbm" => Ok(HashFunction::Sdbm),
        "djb2" => Ok(HashFunction::Djb2),
        "wt6" => Ok(HashFunction::Wt6),
        "crc32" => Ok(HashFunction::Crc32),
        "none" => Err(invalid(
            "hash-type",
            "HAProxy 2.6 has no 'none' hash function; it only supports 'sdbm', 'djb2', 'crc32', or 'wt6'".into(),
        )),
        other => Err(invalid(
            "hash-type",
            format!(
                "'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions (got '{other}'){}",
                did_you_mean(other, &["sdbm", "djb2", "crc32", "wt6"])
            ),
        )),
    }
}

/// " (did you mean `x`?)" when a candidate is close to `word`.
fn did_you_mean(word: &str, candidates: &[&'static str]) -> String {
    crate::suggest::closest(word, candidates)
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// The `hash-type` word for a map method.
fn method_name(method: HashMethod) -> &'static str {
    match method {
        HashMethod::MapBased => "map-based",
        HashMethod::Consistent => "consistent",
    }
}

/// The `hash-type` word for a hash function (`none` is printed, though
/// HAProxy 2.6 does not read it).
fn function_name(function: HashFunction) -> &'static str {
    match function {
        HashFunction::Sdbm => "sdbm",
        HashFunction::Djb2 => "djb2",
        HashFunction::Wt6 => "wt6",
        HashFunction::Crc32 => "crc32",
        HashFunction::None => "none",
    }
}

impl fmt::Display for HashType {
    /// Prints the arguments of `hash-type`, as short as HAProxy allows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let method = method_name(self.method);
        let implied_avalanche = self.method == HashMethod::Consistent;
        if self.function == HashFunction::Sdbm && self.avalanche == implied_avalanche {
            return f.write_str(method);
        }
        write!(f, "{method} {}", function_name(self.function))?;
        if self.avalanche {
            f.write_str(" avalanche")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `balance` arguments parsed, or the error's message.
    fn parse(s: &str) -> Result<Balance, String> {
        s.parse::<Balance>().map_err(|e| e.to_string())
    }

    /// `UriOptions` from its four fields.
    fn uri(whole: bool, len: u32, depth: u32, path_only: bool) -> Balance {
        Balance::Uri(UriOptions {
            whole,
            len,
            depth,
            path_only,
        })
    }

    // The accept/reject lists below were checked against `haproxy -c` of
    // HAProxy 2.6.12 (exit 2 = valid, 1 = error and its message).

    #[test]
    fn backend_parse_balance_accepts() {
        let ok = [
            ("", Balance::RoundRobin),
            ("roundrobin", Balance::RoundRobin),
            ("roundrobin x", Balance::RoundRobin),
            ("static-rr a b c", Balance::StaticRr),
            ("leastconn 5", Balance::LeastConn),
            ("first x", Balance::First),
            ("source x", Balance::Source),
            ("random", Balance::Random { draws: 2 }),
            ("randomfoo", Balance::Random { draws: 2 }),
            ("random()", Balance::Random { draws: 2 }),
            ("random 3", Balance::Random { draws: 2 }),
            ("random(3)x", Balance::Random { draws: 3 }),
            ("random(0x10)", Balance::Random { draws: 16 }),
            ("random(010)", Balance::Random { draws: 8 }),
            ("random(+5)", Balance::Random { draws: 5 }),
            // strtol() into an int: 2^32 + 1 wraps to 1.
            ("random(4294967297)", Balance::Random { draws: 1 }),
            // strtol() clamps to LONG_MAX, whose low 32 bits are -1: rejected below.
            ("uri", uri(false, 0, 0, false)),
            ("uri len 12abc", uri(false, 12, 0, false)),
            ("uri whole whole", uri(true, 0, 0, false)),
            ("uri depth 3 len 10 path-only", uri(false, 10, 3, true)),
            ("uri len 1 len 2", uri(false, 2, 0, false)),
        ];
        for (input, want) in ok {
            assert_eq!(parse(input), Ok(want), "balance {input}");
        }
    }

    #[test]
    fn backend_parse_balance_accepts_named() {
        let p = |name: &str, check_post| Balance::UrlParam {
            name: name.into(),
            check_post,
        };
        assert_eq!(parse("url_param userid"), Ok(p("userid", None)));
        assert_eq!(parse("url_param x check_post"), Ok(p("x", Some(0))));
        assert_eq!(parse("url_param x check_post 64"), Ok(p("x", Some(64))));
        assert_eq!(parse("url_param x check_post abc"), Ok(p("x", Some(0))));
        assert_eq!(parse("url_param x check_post 1 2"), Ok(p("x", Some(1))));
        let h = |name: &str, use_domain_only| Balance::Hdr {
            name: name.into(),
            use_domain_only,
        };
        assert_eq!(parse("hdr(Host)"), Ok(h("Host", false)));
        assert_eq!(parse("hdr(Host)x"), Ok(h("Host", false)));
        assert_eq!(parse("hdr(Host) use_domain_only x"), Ok(h("Host", true)));
        let r = |name: &str| Balance::RdpCookie { name: name.into() };
        assert_eq!(parse("rdp-cookie"), Ok(r("mstshash")));
        assert_eq!(parse("rdp-cookie(a)b"), Ok(r("a")));
    }

    #[test]
    fn backend_parse_balance_rejects_with_reasons() {
        let bad = [
            ("random(", "missing closing parenthesis"),
            ("random(3", "missing closing parenthesis"),
            ("random(0)", "number of draws must be at least 1"),
            ("random(-1)", "number of draws must be at least 1"),
            ("random(3a)", "unexpected character 'a' after argument"),
            ("random(0x)", "unexpected character 'x' after argument"),
            (
                "random(99999999999999999999)",
                "number of draws must be at least 1",
            ),
            (
                "random(-99999999999999999999)",
                "number of draws must be at least 1",
            ),
            ("uri len", "'len' expects a positive integer (got '')"),
            ("uri len 0", "'len' expects a positive integer (got '0')"),
            (
                "uri depth -1",
                "'depth' expects a positive integer (got '-1')",
            ),
            (
                "uri foo",
                "only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got 'foo')",
            ),
            ("url_param", "requires an URL parameter name"),
            (
                "url_param x foo",
                "only accepts 'check_post' modifier (got 'foo')",
            ),
            ("hdr()", "hdr requires an http header field name"),
            ("hdr(Host", "hdr requires an http header field name"),
            ("hdr", "hdr requires an http header field name"),
            (
                "hdr(Host) x",
                "only accepts 'use_domain_only' modifier (got 'x')",
            ),
            ("rdp-cookie()", "missing cookie name"),
            ("rdp-cookiex", "missing cookie name"),
            ("rdp-cookie(a", "missing cookie name"),
            ("hash req.hdr(x)", "not supported"),
        ];
        for (input, reason) in bad {
            let err = parse(input).expect_err(input);
            assert!(err.contains(reason), "balance {input}: {err}");
        }
    }

    #[test]
    fn unknown_algorithms_get_suggestions() {
        let err = "Roundrobin".parse::<Balance>().unwrap_err();
        assert_eq!(
            err,
            Error::UnknownAlgorithm {
                family: Family::Haproxy,
                name: "Roundrobin".into(),
                suggestion: Some("roundrobin"),
            }
        );
        assert_eq!(
            err.to_string(),
            "unknown HAProxy balance algorithm `Roundrobin` (did you mean `roundrobin`?)"
        );
        let suggestion = |s: &str| match s.parse::<Balance>() {
            Err(Error::UnknownAlgorithm { suggestion, .. }) => suggestion,
            other => panic!("{s}: {other:?}"),
        };
        assert_eq!(suggestion("leastconns"), Some("leastconn"));
        assert_eq!(suggestion("url-param"), Some("url_param"));
        assert_eq!(suggestion("staticrr"), Some("static-rr"));
        assert_eq!(suggestion("wlc"), None);
    }

    #[test]
    fn hash_type_accepts() {
        let ht = |method, function, avalanche| HashType {
            method,
            function,
            avalanche,
        };
        use HashFunction::*;
        use HashMethod::*;
        let ok = [
            ("map-based", ht(MapBased, Sdbm, false)),
            ("consistent", ht(Consistent, Sdbm, true)),
            ("consistent sdbm", ht(Consistent, Sdbm, false)),
            ("map-based crc32", ht(MapBased, Crc32, false)),
            ("map-based sdbm avalanche", ht(MapBased, Sdbm, true)),
            ("consistent djb2 avalanche x", ht(Consistent, Djb2, true)),
            ("consistent wt6", ht(Consistent, Wt6, false)),
        ];
        for (input, want) in ok {
            assert_eq!(input.parse::<HashType>(), Ok(want), "hash-type {input}");
        }
    }

    #[test]
    fn hash_type_rejects_with_reasons() {
        let bad = [
            ("", "only supports 'consistent' and 'map-based'"),
            ("Consistent", "only supports 'consistent' and 'map-based'"),
            (
                "avalanche",
                "please use 'hash-type map-based sdbm avalanche'",
            ),
            (
                "consistent avalanche",
                "only supports 'sdbm', 'djb2', 'crc32', or 'wt6'",
            ),
            ("consistent none", "has no 'none' hash function"),
            (
                "consistent djb2 x",
                "only supports 'avalanche' as a modifier",
            ),
        ];
        for (input, reason) in bad {
            let err = input.parse::<HashType>().expect_err(input).to_string();
            assert!(err.contains(reason), "hash-type {input}: {err}");
        }
        let err = "consistnt".parse::<HashType>().unwrap_err().to_string();
        assert!(err.contains("did you mean `consistent`"), "{err}");
    }

    #[test]
    fn display_prints_haproxy_syntax() {
        assert_eq!(
            uri(true, 12, 2, true).to_string(),
            "uri whole len 12 depth 2 path-only"
        );
        assert_eq!(Balance::Random { draws: 2 }.to_string(), "random");
        assert_eq!(Balance::Random { draws: 5 }.to_string(), "random(5)");
        let r = Balance::RdpCookie {
            name: "mstshash".into(),
        };
        assert_eq!(r.to_string(), "rdp-cookie");
        let h = Balance::Hdr {
            name: "Host".into(),
            use_domain_only: true,
        };
        assert_eq!(h.to_string(), "hdr(Host) use_domain_only");
        assert_eq!(
            "consistent".parse::<HashType>().unwrap().to_string(),
            "consistent"
        );
        assert_eq!(
            "consistent sdbm".parse::<HashType>().unwrap().to_string(),
            "consistent sdbm"
        );
        assert_eq!(
            "map-based sdbm avalanche"
                .parse::<HashType>()
                .unwrap()
                .to_string(),
            "map-based sdbm avalanche"
        );
    }

    /// Any balance algorithm that prints to something HAProxy reads back.
    fn any_balance() -> impl Strategy<Value = Balance> {
        let name = "[A-Za-z0-9_.-]{1,12}";
        prop_oneof![
            Just(Balance::RoundRobin),
            Just(Balance::StaticRr),
            Just(Balance::LeastConn),
            Just(Balance::First),
            Just(Balance::Source),
            (any::<bool>(), 0..100_000u32, 0..1000u32, any::<bool>())
                .prop_map(|(w, l, d, p)| uri(w, l, d, p)),
            (name, proptest::option::of(0..10_000u32))
                .prop_map(|(name, check_post)| Balance::UrlParam { name, check_post }),
            (name, any::<bool>()).prop_map(|(name, use_domain_only)| Balance::Hdr {
                name,
                use_domain_only
            }),
            name.prop_map(|name| Balance::RdpCookie { name }),
            (1..=i32::MAX as u32).prop_map(|draws| Balance::Random { draws }),
        ]
    }

    /// Any hash type HAProxy 2.6 can express.
    fn any_hash_type() -> impl Strategy<Value = HashType> {
        let functions = prop_oneof![
            Just(HashFunction::Sdbm),
            Just(HashFunction::Djb2),
            Just(HashFunction::Wt6),
            Just(HashFunction::Crc32),
        ];
        (any::<bool>(), functions, any::<bool>()).prop_map(|(consistent, function, avalanche)| {
            let method = if consistent {
                HashMethod::Consistent
            } else {
                HashMethod::MapBased
            };
            HashType {
                method,
                function,
                avalanche,
            }
        })
    }

    proptest! {
        #[test]
        fn balance_round_trips(b in any_balance()) {
            prop_assert_eq!(b.to_string().parse::<Balance>(), Ok(b));
        }

        #[test]
        fn hash_type_round_trips(h in any_hash_type()) {
            prop_assert_eq!(h.to_string().parse::<HashType>(), Ok(h));
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,40}") {
            let _ = s.parse::<Balance>();
            let _ = s.parse::<HashType>();
        }

        #[test]
        fn parsers_never_panic_on_near_misses(
            head in prop_oneof![Just("random("), Just("hdr("), Just("rdp-cookie("), Just("uri len "), Just("url_param ")],
            tail in "[ -~]{0,12}",
        ) {
            let _ = format!("{head}{tail}").parse::<Balance>();
        }
    }
}
