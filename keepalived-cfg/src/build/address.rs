//! Address lines (`virtual_ipaddress`, `static_ipaddress`), routes and
//! rules.

use super::codes;
use super::values::{parse_ip, parse_unsigned, spanned_text, Cx};
use crate::model::{IpPrefix, Route, Rule, Spanned, VirtualAddress};
use crate::{Node, Token};
use std::net::IpAddr;

/// Address scopes keepalived knows by name.
const SCOPES: &[&str] = &["global", "site", "link", "host", "nowhere"];

/// Every line of an address block; `static_addr` allows `track_group`,
/// otherwise `use_vmac` is allowed.
pub(super) fn addresses(
    cx: &mut Cx<'_>,
    nodes: &[Node],
    static_addr: bool,
) -> Vec<Spanned<VirtualAddress>> {
    let mut out: Vec<_> = nodes
        .iter()
        .filter_map(|n| address_line(cx, n, static_addr))
        .collect();
    // An address is large and a list usually short: drop the growth room.
    out.shrink_to_fit();
    out
}

/// `ADDR[/LEN]`, as keepalived's `parse_ipaddress` reads it: a bad prefix
/// length is reported and the full length used; a bad address drops the
/// line.
pub(super) fn ip_prefix(cx: &mut Cx<'_>, tok: &Token) -> Option<Spanned<IpPrefix>> {
    let (addr_text, len_text) = match tok.text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (tok.text.as_str(), None),
    };
    let Some(addr) = parse_ip(addr_text) else {
        cx.error(
            codes::INVALID_ADDRESS,
            tok.span,
            format!("invalid IP address `{}`", tok.text),
            "keepalived skips this address",
        );
        return None;
    };
    let full = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match len_text {
        None => None,
        Some(l) => match parse_unsigned(l) {
            Ok(v) if v <= full => Some(v as u8),
            _ => {
                cx.error(
                    codes::INVALID_ADDRESS,
                    tok.span,
                    format!("invalid prefix length `{l}` for address `{}`", tok.text),
                    &format!("keepalived uses /{full}"),
                );
                None
            }
        },
    };
    Some(Spanned::new(IpPrefix { addr, prefix }, tok.span))
}

/// One address line with its options.
fn address_line(cx: &mut Cx<'_>, n: &Node, static_addr: bool) -> Option<Spanned<VirtualAddress>> {
    let addr = ip_prefix(cx, &n.keyword)?;
    let span = addr.span;
    let mut va = VirtualAddress::new(addr);
    let mut words = n.args.iter();
    while let Some(w) = words.next() {
        let opt = w.text.as_str();
        let takes_value = matches!(
            opt,
            "dev" | "scope" | "broadcast" | "brd" | "label" | "peer" | "preferred_lft"
        ) || (static_addr && opt == "track_group");
        let value = if takes_value {
            match words.next() {
                Some(v) => Some(v),
                None => {
                    cx.error(
                        codes::MISSING_PARAMETER,
                        w.span,
                        format!("no `{opt}` parameter given for `{}`", n.keyword.text),
                        "keepalived drops this address",
                    );
                    return None;
                }
            }
        } else {
            None
        };
        match (opt, value) {
            ("dev", Some(v)) => {
                if va.dev.is_some() {
                    cx.error(
                        codes::DUPLICATE,
                        w.span,
                        format!("device given twice for `{}`", n.keyword.text),
                        "keepalived drops this address",
                    );
                    return None;
                }
                va.dev = Some(spanned_text(v));
            }
            ("scope", Some(v)) => {
                if SCOPES.contains(&v.text.as_str())
                    || parse_unsigned(&v.text).is_ok_and(|s| s <= 255)
                {
                    va.options_mut().scope = Some(spanned_text(v));
                } else {
                    cx.error(
                        codes::INVALID_VALUE,
                        v.span,
                        format!("invalid scope `{}`", v.text),
                        "expected global, site, link, host, nowhere or 0..255",
                    );
                }
            }
            ("broadcast" | "brd", Some(v)) => {
                if va.addr.value.addr.is_ipv6() {
                    cx.error(
                        codes::INVALID_VALUE,
                        w.span,
                        "broadcast address given for an IPv6 address".to_string(),
                        "keepalived drops this address",
                    );
                    return None;
                }
                if v.text == "+" || v.text == "-" {
                    va.options_mut().brd_word = Some(spanned_text(v));
                } else {
                    match parse_ip(&v.text) {
                        Some(ip @ IpAddr::V4(_)) => {
                            va.options_mut().brd = Some(Spanned::new(ip, v.span))
                        }
                        _ => {
                            cx.error(
                                codes::INVALID_ADDRESS,
                                v.span,
                                format!("invalid broadcast address `{}`", v.text),
                                "keepalived drops this address",
                            );
                            return None;
                        }
                    }
                }
            }
            ("label", Some(v)) => {
                if v.text.len() >= 16 {
                    cx.error(
                        codes::INVALID_VALUE,
                        v.span,
                        format!("address label `{}` longer than 15 characters", v.text),
                        "keepalived drops this address",
                    );
                    return None;
                }
                va.options_mut().label = Some(spanned_text(v));
            }
            ("peer", Some(v)) => {
                let Some(p) = ip_prefix(cx, v) else { continue };
                if p.value.addr.is_ipv4() != va.addr.value.addr.is_ipv4() {
                    cx.error(
                        codes::INVALID_ADDRESS,
                        v.span,
                        format!(
                            "peer address `{}` does not match the address family",
                            v.text
                        ),
                        "ignored",
                    );
                    continue;
                }
                va.options_mut().peer = Some(p);
            }
            ("preferred_lft", Some(v)) => {
                if v.text == "forever" || parse_unsigned(&v.text).is_ok() {
                    va.options_mut().preferred_lft = Some(spanned_text(v));
                } else {
                    cx.error(
                        codes::INVALID_VALUE,
                        v.span,
                        format!("invalid preferred_lft `{}`", v.text),
                        "expected `forever` or a number of seconds",
                    );
                }
            }
            ("track_group", Some(v)) => va.options_mut().track_group = Some(spanned_text(v)),
            ("home", None) => va.home = true,
            ("-nodad", None) => va.no_dad = true,
            ("mngtmpaddr", None) => va.mngtmpaddr = true,
            ("noprefixroute", None) => va.noprefixroute = true,
            ("autojoin", None) => va.autojoin = true,
            ("no_track", None) => va.no_track = true,
            ("use_vmac", None) if !static_addr => va.use_vmac = true,
            _ => cx.error(
                codes::INVALID_VALUE,
                w.span,
                format!("unknown option `{opt}` for an ip address"),
                "keepalived ignores it",
            ),
        }
    }
    Some(Spanned::new(va, span))
}

/// Route lines: kept as written; the destination (first word, after an
/// optional `src ADDR` / `to`) must be an address, `default`, `any` or
/// `all`; a route keepalived tracks (no `no_track`) needs `dev`.
pub(super) fn routes(cx: &mut Cx<'_>, nodes: &[Node]) -> Vec<Spanned<Route>> {
    let mut out = Vec::new();
    for n in nodes {
        let words: Vec<Spanned<String>> = std::iter::once(&n.keyword)
            .chain(n.args.iter())
            .map(spanned_text)
            .collect();
        let all: Vec<&Token> = std::iter::once(&n.keyword).chain(n.args.iter()).collect();
        let mut i = 0;
        if all.first().is_some_and(|t| t.text == "src") {
            if let Some(t) = all.get(1) {
                if parse_ip(&t.text).is_none() {
                    cx.ip(t);
                }
            }
            i = 2;
        }
        if all.get(i).is_some_and(|t| t.text == "to") {
            i += 1;
        }
        if all.get(i).is_some_and(|t| is_route_type(&t.text)) {
            i += 1;
        }
        match all.get(i) {
            Some(t) if matches!(t.text.as_str(), "default" | "default6" | "any" | "all") => {}
            Some(t) if ip_prefix(cx, t).is_none() => continue,
            _ => {}
        }
        let has = |w: &str| all.iter().any(|t| t.text == w);
        if !has("dev") && !has("oif") && !has("no_track") {
            let dest = all.get(i).map_or("", |t| t.text.as_str());
            cx.push(
                crate::Diagnostic::error(
                    codes::INVALID_VALUE,
                    format!("cannot track route `{dest}` with no interface"),
                )
                .at(n.head_span(), "no `dev` on this route")
                .with_help("add `dev IF`, or `no_track` if the route need not be tracked")
                .with_note("keepalived reports this and does not track the route"),
            );
        }
        out.push(Spanned::new(Route { words }, n.keyword.span));
    }
    out
}

/// Route types that may come before the destination.
fn is_route_type(w: &str) -> bool {
    matches!(
        w,
        "unicast"
            | "blackhole"
            | "unreachable"
            | "prohibit"
            | "throw"
            | "local"
            | "broadcast"
            | "anycast"
            | "multicast"
            | "nat"
    )
}

/// Rule lines, kept as written; keepalived reports a rule without an
/// action or without a preference.
pub(super) fn rules(cx: &mut Cx<'_>, nodes: &[Node]) -> Vec<Spanned<Rule>> {
    let mut out = Vec::new();
    for n in nodes {
        let all: Vec<&Token> = std::iter::once(&n.keyword).chain(n.args.iter()).collect();
        let has_any = |list: &[&str]| all.iter().any(|t| list.contains(&t.text.as_str()));
        if !has_any(&[
            "table",
            "lookup",
            "goto",
            "nop",
            "l3mdev",
            "type",
            "blackhole",
            "prohibit",
            "unreachable",
        ]) {
            cx.push(
                crate::Diagnostic::error(codes::INVALID_VALUE, "no action specified for rule")
                    .at(n.head_span(), "this rule does nothing")
                    .with_help("add `table N` (or goto, nop, blackhole, prohibit, unreachable)")
                    .with_note("keepalived ignores this rule"),
            );
            continue;
        }
        if !has_any(&["preference", "order", "priority"]) {
            cx.push(
                crate::Diagnostic::error(codes::INVALID_VALUE, "rule has no preference")
                    .at(n.head_span(), "no `preference` on this rule")
                    .with_help("add `preference N`: keepalived otherwise picks one itself")
                    .with_note("keepalived reports this: \"This is probably not what you want.\""),
            );
        }
        let words = all.iter().map(|t| spanned_text(t)).collect();
        out.push(Spanned::new(Rule { words }, n.keyword.span));
    }
    out
}
