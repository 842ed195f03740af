//! `virtual_server`, `real_server`, the checkers, `virtual_server_group`.

use super::values::{parse_ip, parse_unsigned, spanned_text, Cx};
use super::vrrp::joined;
use super::{block, codes, keywords, other, repeated, unknown};
use crate::model::{
    Checker, CheckerCommon, CheckerKind, Config, ForwardingMethod, Protocol, RealServer,
    RealServerSettings, Scheduler, Spanned, Url, VirtualServer, VirtualServerGroup, VsTarget,
    VsgEntry, Weight,
};
use crate::{Diagnostic, Node, Token};
use std::net::IpAddr;

/// The largest IPVS weight (`INT32_MAX`).
const WEIGHT_MAX: u64 = i32::MAX as u64;
/// The longest persistence timeout keepalived accepts (31 days).
const PERSISTENCE_MAX: u64 = 86_400 * 31;
/// The persistence timeout of a bare `persistence_timeout`.
const PERSISTENCE_DEFAULT: u32 = 360;
/// Microseconds keepalived's timers go up to (`ULONG_MAX - 1`, far more
/// than a configuration needs; bounded to what `Duration` holds well).
const TIMER_MAX: u64 = u64::MAX / 2;
/// DNS query types DNS_CHECK knows.
const DNS_TYPES: &[&str] = &["A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA"];

/// `virtual_server IP [PORT] | fwmark N | group NAME { ... }`.
pub(super) fn virtual_server(cx: &mut Cx<'_>, node: &Node, config: &mut Config) {
    let Some(target) = vs_target(cx, node) else {
        return;
    };
    let mut vs = VirtualServer::new(target);
    let nodes = block(cx, node);
    repeated(cx, nodes);
    let servers = nodes
        .iter()
        .filter(|n| n.keyword.text == "real_server")
        .count();
    vs.real_servers.reserve_exact(servers);
    for n in nodes {
        vs_keyword(cx, n, &mut vs);
    }
    config.virtual_servers.push(vs);
}

/// What follows `virtual_server`.
fn vs_target(cx: &mut Cx<'_>, node: &Node) -> Option<Spanned<VsTarget>> {
    let first = cx.arg(node, 0)?;
    match first.text.as_str() {
        "fwmark" => {
            let v = cx.unsigned(node, 1, 0, u64::from(u32::MAX))?;
            Some(Spanned::new(VsTarget::Fwmark(v.value as u32), first.span))
        }
        "group" => {
            let name = cx.string(node, 1)?;
            Some(Spanned::new(VsTarget::Group(name.value), first.span))
        }
        _ => {
            let (addr, port) = addr_port(cx, first, node.args.get(1), "virtual server")?;
            Some(Spanned::new(VsTarget::Addr { addr, port }, first.span))
        }
    }
}

/// `IP [PORT]` as keepalived's `inet_stosockaddr` reads it: the port a
/// number up to 65535 (0 is read as "no port").
fn addr_port(
    cx: &mut Cx<'_>,
    ip: &Token,
    port: Option<&Token>,
    what: &str,
) -> Option<(IpAddr, Option<u16>)> {
    let Some(addr) = parse_ip(&ip.text) else {
        cx.error(
            codes::INVALID_ADDRESS,
            ip.span,
            format!("invalid {what} address `{}`", ip.text),
            "keepalived skips this server",
        );
        return None;
    };
    let port = match port {
        None => None,
        Some(p) => match parse_unsigned(&p.text) {
            Ok(v) if v <= 65535 => Some(v as u16),
            _ => {
                cx.error(
                    codes::INVALID_ADDRESS,
                    p.span,
                    format!("invalid {what} port `{}`", p.text),
                    "expected a port number up to 65535",
                );
                return None;
            }
        },
    };
    Some((addr, port))
}

/// One keyword inside `virtual_server`.
fn vs_keyword(cx: &mut Cx<'_>, n: &Node, vs: &mut VirtualServer) {
    let kw = n.keyword.text.as_str();
    match kw {
        "ip_family" => vs.ip_family = ip_family(cx, n),
        "delay_loop" => vs.delay_loop = cx.seconds(n, 0, 1, TIMER_MAX),
        "lb_algo" | "lvs_sched" => vs.lb_algo = scheduler(cx, n),
        _ if keywords::LB_FLAGS.contains(&kw) => lb_flag(cx, n, vs),
        "lb_kind" | "lvs_method" => vs.lb_kind = forwarding(cx, n, "virtual"),
        "persistence_engine" => vs.persistence_engine = cx.string(n, 0),
        "persistence_timeout" => {
            vs.persistence_timeout = match n.args.first() {
                None => Some(Spanned::new(PERSISTENCE_DEFAULT, n.keyword.span)),
                Some(_) => cx
                    .unsigned(n, 0, 1, PERSISTENCE_MAX)
                    .map(|v| Spanned::new(v.value as u32, v.span)),
            }
        }
        "persistence_granularity" => {
            let v4 = match &vs.target.value {
                VsTarget::Addr { addr, .. } => Some(addr.is_ipv4()),
                _ => None,
            };
            vs.persistence_granularity = granularity(cx, n, v4);
        }
        "protocol" => vs.protocol = protocol(cx, n),
        "ha_suspend" => vs.ha_suspend = Some(cx.bare_flag(n)),
        "smtp_alert" => vs.smtp_alert = cx.flag(n),
        "virtualhost" => vs.virtualhost = cx.string(n, 0),
        "alpha" => vs.alpha = Some(cx.bare_flag(n)),
        "omega" => vs.omega = Some(cx.bare_flag(n)),
        "quorum_up" => cx.once_script(n, &mut vs.quorum_up),
        "quorum_down" => cx.once_script(n, &mut vs.quorum_down),
        "quorum" => {
            vs.quorum = match cx.unsigned(n, 0, 1, u64::from(u32::MAX)) {
                Some(v) => Some(Spanned::new(v.value as u32, v.span)),
                None => n.args.first().map(|t| Spanned::new(1, t.span)),
            }
        }
        "hysteresis" => vs.hysteresis = u32_arg(cx, n, 0),
        "weight" => {
            vs.weight = cx
                .unsigned(n, 0, 1, WEIGHT_MAX)
                .map(|v| Spanned::new(v.value as u32, v.span));
        }
        "sorry_server" => {
            if let Some(ip) = cx.arg(n, 0) {
                if let Some(ap) = addr_port(cx, ip, n.args.get(1), "sorry server") {
                    vs.sorry_server = Some(Spanned::new(ap, ip.span));
                }
            }
        }
        "sorry_server_inhibit" => {
            if vs.sorry_server.is_none() {
                cx.error(
                    codes::INVALID_VALUE,
                    n.keyword.span,
                    "`sorry_server_inhibit` before or without `sorry_server`".to_string(),
                    "keepalived ignores it",
                );
            }
            vs.sorry_server_inhibit = Some(cx.bare_flag(n));
        }
        "sorry_server_lvs_method" => {
            if vs.sorry_server.is_none() {
                cx.error(
                    codes::INVALID_VALUE,
                    n.keyword.span,
                    "`sorry_server_lvs_method` before or without `sorry_server`".to_string(),
                    "keepalived ignores it",
                );
            }
            vs.sorry_server_lvs_method = forwarding(cx, n, "sorry");
        }
        "inhibit_on_failure" => vs.inhibit_on_failure = Some(cx.bare_flag(n)),
        "retry" => vs.retry = u32_arg(cx, n, 0),
        "delay_before_retry" => vs.delay_before_retry = cx.seconds(n, 0, 0, TIMER_MAX),
        "warmup" => vs.warmup = cx.seconds(n, 0, 0, TIMER_MAX),
        "connect_timeout" => vs.connect_timeout = cx.seconds(n, 0, 1, u64::from(u32::MAX)),
        "real_server" => {
            if let Some(rs) = real_server(cx, n) {
                vs.real_servers.push(rs);
            }
        }
        _ => other(
            cx,
            n,
            "`virtual_server`",
            &[keywords::VIRTUAL_SERVER],
            &mut vs.other,
        ),
    }
}

/// An unsigned 32-bit argument.
fn u32_arg(cx: &mut Cx<'_>, n: &Node, i: usize) -> Option<Spanned<u32>> {
    cx.unsigned(n, i, 0, u64::from(u32::MAX))
        .map(|v| Spanned::new(v.value as u32, v.span))
}

/// `ip_family inet|inet6`.
fn ip_family(cx: &mut Cx<'_>, n: &Node) -> Option<Spanned<String>> {
    let v = cx.string(n, 0)?;
    if v.value == "inet" || v.value == "inet6" {
        return Some(v);
    }
    cx.error(
        codes::INVALID_VALUE,
        v.span,
        format!("unknown address family `{}`", v.value),
        "expected inet or inet6",
    );
    None
}

/// `lb_algo NAME`: one of keepalived's schedulers, exact case.
fn scheduler(cx: &mut Cx<'_>, n: &Node) -> Option<Spanned<Scheduler>> {
    let tok = cx.arg(n, 0)?;
    if let Some(s) = Scheduler::from_name(&tok.text) {
        return Some(Spanned::new(s, tok.span));
    }
    let names: Vec<&str> = Scheduler::ALL.iter().map(|(n, _)| *n).collect();
    let mut d = Diagnostic::error(
        codes::INVALID_VALUE,
        format!("invalid lvs scheduler `{}`", tok.text),
    )
    .at(tok.span, "not a scheduler keepalived knows")
    .with_note(format!("keepalived accepts: {}", names.join(", ")));
    if let Some(s) = super::keywords::suggest(&tok.text, &[&names]) {
        d = d.with_help(format!("did you mean `{s}`?"));
    }
    cx.push(d);
    None
}

/// `lb_kind` / `lvs_method NAT|DR|TUN [tunnel options]`.
fn forwarding(cx: &mut Cx<'_>, n: &Node, whose: &str) -> Option<Spanned<ForwardingMethod>> {
    let tok = cx.arg(n, 0)?;
    let m = match tok.text.as_str() {
        "NAT" => ForwardingMethod::Nat,
        "DR" => ForwardingMethod::Dr,
        "TUN" => ForwardingMethod::Tun(tunnel_options(cx, &n.args[1..], whose)?),
        other => {
            let mut d = Diagnostic::error(
                codes::INVALID_VALUE,
                format!("unknown routing method `{other}` for {whose} server"),
            )
            .at(tok.span, "expected NAT, DR or TUN");
            if ["nat", "dr", "tun"].contains(&other.to_ascii_lowercase().as_str()) {
                d = d.with_help(format!(
                    "write it in capitals: `{}`",
                    other.to_ascii_uppercase()
                ));
            }
            cx.push(d);
            return None;
        }
    };
    Some(Spanned::new(m, tok.span))
}

/// `type ipip|gue|gre`, `port N`, `nocsum|csum|remcsum` after TUN.
fn tunnel_options(cx: &mut Cx<'_>, words: &[Token], whose: &str) -> Option<Vec<Spanned<String>>> {
    let mut i = 0;
    while let Some(w) = words.get(i) {
        match w.text.as_str() {
            "type" | "port" => {
                let Some(v) = words.get(i + 1) else {
                    cx.error(
                        codes::MISSING_PARAMETER,
                        w.span,
                        format!("missing tunnel {} for {whose} server", w.text),
                        "a value is expected after this",
                    );
                    return None;
                };
                if w.text == "type" && !["ipip", "gue", "gre"].contains(&v.text.as_str()) {
                    cx.error(
                        codes::INVALID_VALUE,
                        v.span,
                        format!("unknown tunnel type `{}` for {whose} server", v.text),
                        "expected ipip, gue or gre",
                    );
                    return None;
                }
                if w.text == "port" {
                    cx.unsigned_token(v, 1, 65535)?;
                }
                i += 2;
            }
            "nocsum" | "csum" | "remcsum" => i += 1,
            other => {
                cx.error(
                    codes::INVALID_VALUE,
                    w.span,
                    format!("unknown tunnel option `{other}` for {whose} server"),
                    "ignored",
                );
                i += 1;
            }
        }
    }
    Some(words.iter().map(spanned_text).collect())
}

/// A scheduler flag. `ops` and `flag-1`..`flag-3` always apply; the
/// others only once `lb_algo` is `sh` or `mh` (keepalived then accepts
/// any of them silently), and are reported otherwise.
fn lb_flag(cx: &mut Cx<'_>, n: &Node, vs: &mut VirtualServer) {
    let kw = n.keyword.text.as_str();
    let generic = matches!(kw, "ops" | "flag-1" | "flag-2" | "flag-3");
    let hashing = matches!(
        vs.lb_algo.map(|a| a.value),
        Some(Scheduler::Sh | Scheduler::Mh)
    );
    if !generic && !hashing {
        cx.push(
            Diagnostic::error(
                codes::INVALID_VALUE,
                format!("`{kw}` only applies to the sh and mh schedulers"),
            )
            .at(n.keyword.span, "ignored by keepalived")
            .with_help("write `lb_algo sh` (or `mh`) before this flag"),
        );
        return;
    }
    vs.lb_flags.push(spanned_text(&n.keyword));
}

/// `persistence_granularity`: for an IPv4 service (or, when the family is
/// not known from the address, a word with a `.`) an IPv4 netmask as
/// `inet_aton` reads it; otherwise an IPv6 prefix length 1..=128.
fn granularity(cx: &mut Cx<'_>, n: &Node, v4: Option<bool>) -> Option<Spanned<String>> {
    let tok = cx.arg(n, 0)?;
    let ok = if v4.unwrap_or_else(|| tok.text.contains('.')) {
        inet_aton(&tok.text).is_some()
    } else {
        parse_unsigned(&tok.text).is_ok_and(|v| (1..=128).contains(&v))
    };
    if !ok {
        cx.error(
            codes::INVALID_VALUE,
            tok.span,
            format!("invalid persistence_granularity `{}`", tok.text),
            "expected an IPv4 netmask or an IPv6 prefix length",
        );
        return None;
    }
    Some(spanned_text(tok))
}

/// An IPv4 address as `inet_aton` reads it: one to four parts, each
/// decimal, octal (leading `0`) or hexadecimal (`0x`), the last part
/// filling the remaining bytes.
pub(super) fn inet_aton(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut values = Vec::with_capacity(4);
    for p in &parts {
        let (digits, radix) = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X"))
        {
            (h, 16)
        } else if p.len() > 1 && p.starts_with('0') {
            (&p[1..], 8)
        } else {
            (*p, 10)
        };
        if digits.is_empty() && radix != 8 {
            return None;
        }
        let v = if digits.is_empty() {
            0
        } else {
            u64::from_str_radix(digits, radix).ok()?
        };
        values.push(v);
    }
    let (last, head) = values.split_last()?;
    let mut addr: u64 = 0;
    for (i, v) in head.iter().enumerate() {
        if *v > 255 {
            return None;
        }
        addr |= v << (24 - 8 * i);
    }
    let rest_bits = 32 - 8 * head.len() as u32;
    if *last >= 1u64 << rest_bits {
        return None;
    }
    u32::try_from(addr | last).ok()
}

/// `protocol TCP|UDP|SCTP`, any case.
fn protocol(cx: &mut Cx<'_>, n: &Node) -> Option<Spanned<Protocol>> {
    let tok = cx.arg(n, 0)?;
    let p = match tok.text.to_ascii_uppercase().as_str() {
        "TCP" => Protocol::Tcp,
        "UDP" => Protocol::Udp,
        "SCTP" => Protocol::Sctp,
        _ => {
            cx.error(
                codes::INVALID_VALUE,
                tok.span,
                format!("unknown protocol `{}`", tok.text),
                "expected TCP, UDP or SCTP",
            );
            return None;
        }
    };
    Some(Spanned::new(p, tok.span))
}

/// `real_server IP [PORT] { ... }`.
fn real_server(cx: &mut Cx<'_>, node: &Node) -> Option<RealServer> {
    let ip = cx.arg(node, 0)?;
    let (addr, port) = addr_port(cx, ip, node.args.get(1), "real server")?;
    let port = port
        .zip(node.args.get(1))
        .map(|(p, t)| Spanned::new(p, t.span));
    let mut rs = RealServer::new(Spanned::new(addr, ip.span), port);
    let nodes: &[Node] = node.block.as_ref().map_or(&[], |b| &b.nodes);
    repeated(cx, nodes);
    for n in nodes {
        rs_keyword(cx, n, &mut rs);
    }
    if rs.settings.as_deref() == Some(&RealServerSettings::default()) {
        // Only bad values were written: nothing to keep.
        rs.settings = None;
    }
    Some(rs)
}

/// One keyword inside `real_server`.
fn rs_keyword(cx: &mut Cx<'_>, n: &Node, rs: &mut RealServer) {
    match n.keyword.text.as_str() {
        "weight" => {
            rs.weight = cx
                .unsigned(n, 0, 0, WEIGHT_MAX)
                .map(|v| Spanned::new(v.value as u32, v.span));
        }
        "lvs_method" => rs.lvs_method = forwarding(cx, n, "real"),
        "uthreshold" => rs.settings_mut().uthreshold = u32_arg(cx, n, 0),
        "lthreshold" => rs.settings_mut().lthreshold = u32_arg(cx, n, 0),
        "inhibit_on_failure" => rs.settings_mut().inhibit_on_failure = cx.flag(n),
        "notify_up" => cx.once_script(n, &mut rs.settings_mut().notify_up),
        "notify_down" => cx.once_script(n, &mut rs.settings_mut().notify_down),
        "alpha" => rs.settings_mut().alpha = cx.flag(n),
        "retry" => rs.settings_mut().retry = u32_arg(cx, n, 0),
        "delay_before_retry" => {
            rs.settings_mut().delay_before_retry = cx.seconds(n, 0, 0, TIMER_MAX)
        }
        "warmup" => rs.settings_mut().warmup = cx.seconds(n, 0, 0, TIMER_MAX),
        "connect_timeout" => {
            rs.settings_mut().connect_timeout = cx.seconds(n, 0, 1, u64::from(u32::MAX))
        }
        "delay_loop" => rs.settings_mut().delay_loop = cx.seconds(n, 0, 1, TIMER_MAX),
        "smtp_alert" => rs.settings_mut().smtp_alert = cx.flag(n),
        "virtualhost" => rs.settings_mut().virtualhost = cx.string(n, 0),
        "TCP_CHECK" | "HTTP_GET" | "SSL_GET" | "MISC_CHECK" | "SMTP_CHECK" | "DNS_CHECK"
        | "UDP_CHECK" | "PING_CHECK" | "FILE_CHECK" | "BFD_CHECK" => {
            if rs.checkers.is_empty() {
                // Most real servers have one checker, and a checker is large.
                rs.checkers.reserve_exact(1);
            }
            rs.checkers.push(checker(cx, n));
        }
        _ => other(
            cx,
            n,
            "`real_server`",
            &[keywords::REAL_SERVER],
            &mut rs.other,
        ),
    }
}

/// A checker block.
fn checker(cx: &mut Cx<'_>, node: &Node) -> Checker {
    let mut kind = match node.keyword.text.as_str() {
        "HTTP_GET" => CheckerKind::HttpGet(Box::default()),
        "SSL_GET" => CheckerKind::SslGet(Box::default()),
        "MISC_CHECK" => CheckerKind::Misc(Box::default()),
        "SMTP_CHECK" => CheckerKind::Smtp(Box::default()),
        "DNS_CHECK" => CheckerKind::Dns(Box::default()),
        "UDP_CHECK" => CheckerKind::Udp(Box::default()),
        "PING_CHECK" => CheckerKind::Ping,
        "FILE_CHECK" => CheckerKind::File(Box::default()),
        "BFD_CHECK" => CheckerKind::Bfd(Vec::new()),
        _ => CheckerKind::Tcp,
    };
    let connects = !matches!(
        kind,
        CheckerKind::Misc(_) | CheckerKind::File(_) | CheckerKind::Bfd(_)
    );
    let common_too = !matches!(kind, CheckerKind::File(_) | CheckerKind::Bfd(_));
    let mut common = CheckerCommon::default();
    let mut other_nodes = Vec::new();
    let nodes: &[Node] = node.block.as_ref().map_or(&[], |b| &b.nodes);
    repeated(cx, nodes);
    for n in nodes {
        if specific(cx, n, &mut kind, &mut common) {
            continue;
        }
        if (connects && connection_keyword(cx, n, &mut common))
            || (common_too && common_keyword(cx, n, &mut common))
        {
            continue;
        }
        let own = own_keywords(&kind);
        let mut known: Vec<&[&str]> = vec![own];
        if common_too {
            known.push(keywords::CHECKER_COMMON);
        }
        if connects {
            known.push(keywords::CHECKER_CONNECTION);
        }
        let block_name = format!("`{}`", node.keyword.text);
        other(cx, n, &block_name, &known, &mut other_nodes);
    }
    Checker {
        span: node.keyword.span,
        end: node.block.as_ref().and_then(|b| b.close),
        common,
        kind,
        other: other_nodes,
    }
}

/// The keywords a checker type adds.
fn own_keywords(kind: &CheckerKind) -> &'static [&'static str] {
    match kind {
        CheckerKind::HttpGet(_) | CheckerKind::SslGet(_) => keywords::HTTP_GET,
        CheckerKind::Misc(_) => keywords::MISC_CHECK,
        CheckerKind::Smtp(_) => keywords::SMTP_CHECK,
        CheckerKind::Dns(_) => keywords::DNS_CHECK,
        CheckerKind::Udp(_) => keywords::UDP_CHECK,
        CheckerKind::File(_) => keywords::FILE_CHECK,
        CheckerKind::Bfd(_) => keywords::BFD_CHECK,
        _ => &[],
    }
}

/// `connect_ip`, `connect_port`, `bindto`, `bind_port`, `bind_if`,
/// `connect_timeout`, `fwmark`; true when `n` was one.
fn connection_keyword(cx: &mut Cx<'_>, n: &Node, c: &mut CheckerCommon) -> bool {
    match n.keyword.text.as_str() {
        "connect_ip" => {
            let v = cx.ip_arg(n, 0);
            set(&mut c.connection, v, |c| &mut c.connect_ip);
        }
        "connect_port" => {
            let v = port_arg(cx, n);
            set(&mut c.connection, v, |c| &mut c.connect_port);
        }
        "bindto" => {
            let v = cx.ip_arg(n, 0);
            set(&mut c.connection, v, |c| &mut c.bindto);
        }
        "bind_port" => {
            let v = port_arg(cx, n);
            set(&mut c.connection, v, |c| &mut c.bind_port);
        }
        "bind_if" => {
            let v = cx.string(n, 0);
            set(&mut c.connection, v, |c| &mut c.bind_if);
        }
        "connect_timeout" => c.connect_timeout = cx.seconds(n, 0, 1, u64::from(u32::MAX)),
        "fwmark" => {
            let v = u32_arg(cx, n, 0);
            set(&mut c.connection, v, |c| &mut c.fwmark);
        }
        _ => return false,
    }
    true
}

/// Sets a setting kept in a box as keepalived does (a bad value clears
/// an earlier one); the box is made only for a value.
fn set<B: Default, T>(
    slot: &mut Option<Box<B>>,
    value: Option<T>,
    field: impl FnOnce(&mut B) -> &mut Option<T>,
) {
    if value.is_some() || slot.is_some() {
        *field(slot.get_or_insert_with(Box::default)) = value;
    }
}

/// A port 1..=65535.
fn port_arg(cx: &mut Cx<'_>, n: &Node) -> Option<Spanned<u16>> {
    cx.unsigned(n, 0, 1, 65535)
        .map(|v| Spanned::new(v.value as u16, v.span))
}

/// `retry`, `delay_before_retry`, `warmup`, `delay_loop`, `alpha`,
/// `log_all_failures`; true when `n` was one.
fn common_keyword(cx: &mut Cx<'_>, n: &Node, c: &mut CheckerCommon) -> bool {
    match n.keyword.text.as_str() {
        "retry" => {
            let v = u32_arg(cx, n, 0);
            set(&mut c.timing, v, |t| &mut t.retry);
        }
        "delay_before_retry" => {
            let v = cx.seconds(n, 0, 0, TIMER_MAX);
            set(&mut c.timing, v, |t| &mut t.delay_before_retry);
        }
        "warmup" => {
            let v = cx.seconds(n, 0, 0, TIMER_MAX);
            set(&mut c.timing, v, |t| &mut t.warmup);
        }
        "delay_loop" => {
            let v = cx.seconds(n, 0, 1, TIMER_MAX);
            set(&mut c.timing, v, |t| &mut t.delay_loop);
        }
        "alpha" => {
            let v = cx.flag(n);
            set(&mut c.timing, v, |t| &mut t.alpha);
        }
        "log_all_failures" => {
            let v = cx.flag(n);
            set(&mut c.timing, v, |t| &mut t.log_all_failures);
        }
        _ => return false,
    }
    true
}

/// The checker type's own keywords; true when `n` was one.
fn specific(cx: &mut Cx<'_>, n: &Node, kind: &mut CheckerKind, common: &mut CheckerCommon) -> bool {
    let kw = n.keyword.text.as_str();
    match kind {
        CheckerKind::HttpGet(h) | CheckerKind::SslGet(h) => match kw {
            "nb_get_retry" => {
                cx.push(
                    Diagnostic::error(
                        codes::DEPRECATED_ERROR,
                        "`nb_get_retry` is deprecated".to_string(),
                    )
                    .at(n.keyword.span, "keepalived reports this and `-t` exits 5")
                    .with_help("use `retry`"),
                );
                let v = u32_arg(cx, n, 0);
                set(&mut common.timing, v, |t| &mut t.retry);
            }
            "virtualhost" => h.virtualhost = cx.string(n, 0),
            "http_protocol" => h.http_protocol = http_protocol(cx, n),
            "enable_sni" => h.enable_sni = cx.flag(n),
            "fast_recovery" => h.fast_recovery = cx.flag(n),
            "url" => h.urls.push(url(cx, n)),
            _ => return false,
        },
        CheckerKind::Misc(m) => match kw {
            "misc_path" => m.misc_path = joined(cx, n),
            "misc_timeout" => {
                m.misc_timeout = cx.whole_seconds(n, 0, 0, 4294);
            }
            "misc_dynamic" => m.misc_dynamic = cx.flag(n),
            "user" => m.user = cx.user_group(n),
            _ => return false,
        },
        CheckerKind::Smtp(s) => match kw {
            "helo_name" => s.helo_name = cx.string(n, 0),
            "host" => {
                let mut c = CheckerCommon::default();
                for h in block(cx, n) {
                    if !connection_keyword(cx, h, &mut c) && !common_keyword(cx, h, &mut c) {
                        unknown(
                            cx,
                            h,
                            "`host`",
                            &[keywords::CHECKER_CONNECTION, keywords::CHECKER_COMMON],
                        );
                    }
                }
                s.hosts.push(Spanned::new(c, n.keyword.span));
            }
            _ => return false,
        },
        CheckerKind::Dns(d) => match kw {
            "type" => {
                let Some(tok) = cx.arg(n, 0) else { return true };
                if DNS_TYPES.iter().any(|t| t.eq_ignore_ascii_case(&tok.text)) {
                    d.query_type = Some(spanned_text(tok));
                } else {
                    cx.error(
                        codes::INVALID_VALUE,
                        tok.span,
                        format!("unknown DNS check type `{}`", tok.text),
                        "expected A, NS, CNAME, SOA, MX, TXT or AAAA",
                    );
                }
            }
            "name" => {
                if d.name.is_some() {
                    cx.error(
                        codes::DUPLICATE,
                        n.keyword.span,
                        "DNS_CHECK name already given".to_string(),
                        "ignored",
                    );
                } else {
                    d.name = cx.string(n, 0);
                }
            }
            _ => return false,
        },
        CheckerKind::Udp(u) => match kw {
            "payload" => u.payload = hex_words(cx, n, true).flatten(),
            "require_reply" => {
                u.require_reply = hex_words(cx, n, false)
                    .map(|o| Spanned::new(o.map(|s| s.value), n.keyword.span));
            }
            "min_reply_length" => u.min_reply_length = u32_arg(cx, n, 0),
            "max_reply_length" => u.max_reply_length = u32_arg(cx, n, 0),
            _ => return false,
        },
        CheckerKind::File(f) => match kw {
            "track_file" => f.track_file = cx.string(n, 0),
            "weight" => {
                let Some(num) = cx.arg(n, 0) else { return true };
                let Some(v) = cx.int_token(num, -254, 254) else {
                    return true;
                };
                let reverse = n.args.get(1).is_some_and(|t| t.text == "reverse");
                f.weight = Some(Spanned::new(
                    Weight {
                        value: v.value as i32,
                        reverse,
                    },
                    num.span,
                ));
            }
            _ => return false,
        },
        CheckerKind::Bfd(raw) => match kw {
            "name" | "alpha" => raw.push(super::values::raw(n)),
            _ => return false,
        },
        _ => return false,
    }
    true
}

/// The hex words after `payload` / `require_reply`, joined; `required`
/// makes an empty list an error. `None` means refused.
fn hex_words(cx: &mut Cx<'_>, n: &Node, required: bool) -> Option<Option<Spanned<String>>> {
    if n.args.is_empty() {
        if required {
            cx.error(
                codes::MISSING_PARAMETER,
                n.keyword.span,
                format!("`{}` requires a value", n.keyword.text),
                "hex digits are expected after this",
            );
            return None;
        }
        return Some(None);
    }
    let text: String = n
        .args
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let valid = text
        .chars()
        .all(|c| c.is_ascii_hexdigit() || c == ' ' || (!required && (c == 'x' || c == 'X')));
    let digits = text.chars().filter(|c| *c != ' ').count();
    if !valid || digits == 0 {
        let span = n.args.first().map_or(n.keyword.span, |t| t.span);
        cx.error(
            codes::INVALID_VALUE,
            span,
            format!("invalid hex string for `{}`", n.keyword.text),
            "expected hex digits",
        );
        return None;
    }
    Some(Some(Spanned::new(text, n.keyword.span)))
}

/// `http_protocol 1.0|1.1|1.0C|1.0c`.
fn http_protocol(cx: &mut Cx<'_>, n: &Node) -> Option<Spanned<String>> {
    let v = cx.string(n, 0)?;
    if ["1.0", "1.1", "1.0C", "1.0c"].contains(&v.value.as_str()) {
        return Some(v);
    }
    cx.error(
        codes::INVALID_VALUE,
        v.span,
        format!("invalid http_protocol version `{}`", v.value),
        "expected 1.0, 1.1 or 1.0C",
    );
    None
}

/// `url { path ...; digest ...; status_code ... }`.
fn url(cx: &mut Cx<'_>, node: &Node) -> Url {
    let mut u = Url {
        span: node.keyword.span,
        ..Url::default()
    };
    let nodes = block(cx, node);
    repeated(cx, nodes);
    for n in nodes {
        match n.keyword.text.as_str() {
            "path" => u.path = cx.string(n, 0),
            "digest" => {
                let Some(tok) = cx.arg(n, 0) else { continue };
                if u.digest.is_some() {
                    cx.error(
                        codes::DUPLICATE,
                        tok.span,
                        format!("digest `{}` is a duplicate", tok.text),
                        "ignored",
                    );
                } else if tok.text.len() != 32 || !tok.text.bytes().all(|b| b.is_ascii_hexdigit()) {
                    cx.error(
                        codes::INVALID_VALUE,
                        tok.span,
                        format!("digest `{}` is not 32 hex digits", tok.text),
                        "an MD5 digest is 32 hex digits",
                    );
                } else {
                    u.digest = Some(spanned_text(tok));
                }
            }
            "status_code" => {
                for tok in &n.args {
                    match status_range(&tok.text) {
                        Some(r) => u.status_code.push(Spanned::new(r, tok.span)),
                        None => cx.error(
                            codes::INVALID_VALUE,
                            tok.span,
                            format!("invalid HTTP status code `{}`", tok.text),
                            "expected a code or range between 100 and 599",
                        ),
                    }
                }
            }
            "virtualhost" => u.virtualhost = cx.string(n, 0),
            _ => other(cx, n, "`url`", &[keywords::URL], &mut u.other),
        }
    }
    u
}

/// `N` or `LO-HI`, each 100..=599, LO <= HI.
fn status_range(s: &str) -> Option<(u16, u16)> {
    let (lo, hi) = match s.split_once('-') {
        Some((a, b)) => (parse_unsigned(a).ok()?, parse_unsigned(b).ok()?),
        None => {
            let v = parse_unsigned(s).ok()?;
            (v, v)
        }
    };
    let ok = |v: u64| (100..=599).contains(&v);
    (ok(lo) && ok(hi) && lo <= hi).then_some((lo as u16, hi as u16))
}

/// `virtual_server_group NAME { ... }`.
pub(super) fn group(cx: &mut Cx<'_>, node: &Node, config: &mut Config) {
    let Some(name) = cx.string(node, 0) else {
        return;
    };
    let mut g = VirtualServerGroup {
        name,
        entries: Vec::new(),
    };
    for n in block(cx, node) {
        if let Some(e) = vsg_entry(cx, n, &g.name.value) {
            g.entries.push(e);
        }
    }
    if g.entries.is_empty() {
        // keepalived reports it once the block is read: at its `}`.
        let at = node.block.as_ref().and_then(|b| b.close);
        cx.error(
            codes::INVALID_VALUE,
            at.unwrap_or(g.name.span),
            format!("virtual server group `{}` has no entries", g.name.value),
            "keepalived removes this group",
        );
    }
    config.virtual_server_groups.push(g);
}

/// `IP[-LAST] [PORT]` or `fwmark N [inet|inet6]`.
fn vsg_entry(cx: &mut Cx<'_>, n: &Node, group: &str) -> Option<Spanned<VsgEntry>> {
    let first = &n.keyword;
    if first.text == "fwmark" {
        let mark = cx.unsigned(n, 0, 0, u64::from(u32::MAX))?;
        let family = match n.args.get(1) {
            None => None,
            Some(f) if f.text == "inet" || f.text == "inet6" => Some(f.text.to_string()),
            Some(f) => {
                cx.error(
                    codes::INVALID_VALUE,
                    f.span,
                    format!("({group}): fwmark family `{}` unknown", f.text),
                    "expected inet or inet6",
                );
                return None;
            }
        };
        return Some(Spanned::new(
            VsgEntry::Fwmark {
                mark: mark.value as u32,
                family,
            },
            first.span,
        ));
    }
    let (addr_text, range_text) = match first.text.rsplit_once('-') {
        Some((a, r)) => (a, Some(r)),
        None => (first.text.as_str(), None),
    };
    let Some(addr) = parse_ip(addr_text) else {
        cx.error(
            codes::INVALID_ADDRESS,
            first.span,
            format!("({group}): invalid address `{}`", first.text),
            "keepalived skips this entry",
        );
        return None;
    };
    let range_end = match range_text {
        None => None,
        Some(r) => {
            let max = if addr.is_ipv4() { 255 } else { 0xffff };
            let parsed = if addr.is_ipv4() {
                parse_unsigned(r).ok()
            } else {
                u64::from_str_radix(r, 16).ok()
            };
            match parsed {
                Some(v) if v <= max => Some(v as u32),
                _ => {
                    cx.error(
                        codes::INVALID_ADDRESS,
                        first.span,
                        format!("invalid address range `{}`", first.text),
                        "the range end is out of bounds",
                    );
                    return None;
                }
            }
        }
    };
    let port = match n.args.first() {
        None => None,
        Some(p) => match parse_unsigned(&p.text) {
            Ok(v) if v <= 65535 => Some(v as u16),
            _ => {
                cx.error(
                    codes::INVALID_ADDRESS,
                    p.span,
                    format!("invalid port `{}`", p.text),
                    "expected a port number up to 65535",
                );
                return None;
            }
        },
    };
    Some(Spanned::new(
        VsgEntry::Addr {
            addr,
            range_end,
            port,
        },
        first.span,
    ))
}

#[cfg(test)]
mod tests {
    use super::{inet_aton, status_range};

    #[test]
    fn inet_aton_accepts_the_short_and_based_forms() {
        assert_eq!(inet_aton("255.255.255.0"), Some(0xffff_ff00));
        assert_eq!(inet_aton("200"), Some(200));
        assert_eq!(inet_aton("0xff.0377.1"), Some(0xffff_0001));
        assert_eq!(inet_aton("1.2.3.4.5"), None);
        assert_eq!(inet_aton("256.1.1.1"), None);
        assert_eq!(inet_aton("1.2.3.x"), None);
        assert_eq!(inet_aton(""), None);
    }

    #[test]
    fn status_codes_and_ranges() {
        assert_eq!(status_range("200"), Some((200, 200)));
        assert_eq!(status_range("200-299"), Some((200, 299)));
        assert_eq!(status_range("299-200"), None);
        assert_eq!(status_range("99"), None);
        assert_eq!(status_range("600"), None);
        assert_eq!(status_range("2xx"), None);
    }
}
