//! `virtual_server_group`, `virtual_server`, `real_server`, checkers.

use super::writer::Writer;
use super::{bare, duration, flag, raw_nodes, script, value, weight_words};
use crate::model::{
    Checker, CheckerCommon, CheckerConnection, CheckerKind, ForwardingMethod, HttpCheck, Protocol,
    RealServer, Spanned, VirtualServer, VirtualServerGroup, VsTarget, VsgEntry,
};
use std::net::IpAddr;

/// `virtual_server_group NAME { ... }`.
pub(super) fn group(w: &mut Writer, g: &VirtualServerGroup) {
    w.open(&["virtual_server_group", &g.name.value]);
    for e in &g.entries {
        match &e.value {
            VsgEntry::Addr {
                addr,
                range_end,
                port,
            } => {
                let first = match (range_end, addr) {
                    (Some(r), IpAddr::V4(_)) => format!("{addr}-{r}"),
                    (Some(r), IpAddr::V6(_)) => format!("{addr}-{r:x}"),
                    (None, _) => addr.to_string(),
                };
                match port {
                    Some(p) => w.line(&[&first, &p.to_string()]),
                    None => w.line(&[&first]),
                }
            }
            VsgEntry::Fwmark { mark, family } => {
                let m = mark.to_string();
                match family {
                    Some(f) => w.line(&["fwmark", &m, f]),
                    None => w.line(&["fwmark", &m]),
                }
            }
        }
    }
    w.close();
}

/// `IP [PORT]` words.
fn addr_port(addr: &IpAddr, port: Option<u16>) -> Vec<String> {
    let mut v = vec![addr.to_string()];
    if let Some(p) = port {
        v.push(p.to_string());
    }
    v
}

/// `lb_kind`-style line.
fn forwarding(w: &mut Writer, kw: &str, m: &Option<Spanned<ForwardingMethod>>) {
    let Some(m) = m else { return };
    let mut line = vec![kw.to_string()];
    match &m.value {
        ForwardingMethod::Nat => line.push("NAT".to_string()),
        ForwardingMethod::Dr => line.push("DR".to_string()),
        ForwardingMethod::Tun(opts) => {
            line.push("TUN".to_string());
            line.extend(opts.iter().map(|o| o.value.clone()));
        }
    }
    w.line_owned(&line);
}

/// `virtual_server ... { ... }`.
pub(super) fn virtual_server(w: &mut Writer, vs: &VirtualServer) {
    let mut head = vec!["virtual_server".to_string()];
    match &vs.target.value {
        VsTarget::Addr { addr, port } => head.extend(addr_port(addr, *port)),
        VsTarget::Fwmark(m) => {
            head.push("fwmark".to_string());
            head.push(m.to_string());
        }
        VsTarget::Group(g) => {
            head.push("group".to_string());
            head.push(g.clone());
        }
    }
    w.open_owned(&head);
    value(w, "ip_family", &vs.ip_family);
    duration(w, "delay_loop", &vs.delay_loop);
    if let Some(s) = &vs.lb_algo {
        w.line(&["lb_algo", s.value.name()]);
    }
    for f in &vs.lb_flags {
        w.line(&[&f.value]);
    }
    forwarding(w, "lb_kind", &vs.lb_kind);
    value(w, "persistence_engine", &vs.persistence_engine);
    value(w, "persistence_timeout", &vs.persistence_timeout);
    value(w, "persistence_granularity", &vs.persistence_granularity);
    if let Some(p) = &vs.protocol {
        let word = match p.value {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        };
        w.line(&["protocol", word]);
    }
    bare(w, "ha_suspend", &vs.ha_suspend);
    flag(w, "smtp_alert", &vs.smtp_alert);
    value(w, "virtualhost", &vs.virtualhost);
    bare(w, "alpha", &vs.alpha);
    bare(w, "omega", &vs.omega);
    script(w, "quorum_up", &vs.quorum_up);
    script(w, "quorum_down", &vs.quorum_down);
    value(w, "quorum", &vs.quorum);
    value(w, "hysteresis", &vs.hysteresis);
    value(w, "weight", &vs.weight);
    if let Some(s) = &vs.sorry_server {
        let mut line = vec!["sorry_server".to_string()];
        line.extend(addr_port(&s.value.0, s.value.1));
        w.line_owned(&line);
    }
    bare(w, "sorry_server_inhibit", &vs.sorry_server_inhibit);
    forwarding(w, "sorry_server_lvs_method", &vs.sorry_server_lvs_method);
    bare(w, "inhibit_on_failure", &vs.inhibit_on_failure);
    value(w, "retry", &vs.retry);
    duration(w, "delay_before_retry", &vs.delay_before_retry);
    duration(w, "warmup", &vs.warmup);
    duration(w, "connect_timeout", &vs.connect_timeout);
    raw_nodes(w, &vs.other);
    for rs in &vs.real_servers {
        real_server(w, rs);
    }
    w.close();
}

/// `real_server IP [PORT] { ... }`.
fn real_server(w: &mut Writer, rs: &RealServer) {
    let mut head = vec!["real_server".to_string()];
    head.extend(addr_port(&rs.addr.value, rs.port.map(|p| p.value)));
    w.open_owned(&head);
    value(w, "weight", &rs.weight);
    forwarding(w, "lvs_method", &rs.lvs_method);
    let s = rs.settings();
    value(w, "uthreshold", &s.uthreshold);
    value(w, "lthreshold", &s.lthreshold);
    flag(w, "inhibit_on_failure", &s.inhibit_on_failure);
    script(w, "notify_up", &s.notify_up);
    script(w, "notify_down", &s.notify_down);
    flag(w, "alpha", &s.alpha);
    value(w, "retry", &s.retry);
    duration(w, "delay_before_retry", &s.delay_before_retry);
    duration(w, "warmup", &s.warmup);
    duration(w, "connect_timeout", &s.connect_timeout);
    duration(w, "delay_loop", &s.delay_loop);
    flag(w, "smtp_alert", &s.smtp_alert);
    value(w, "virtualhost", &s.virtualhost);
    raw_nodes(w, &rs.other);
    for c in &rs.checkers {
        checker(w, c);
    }
    w.close();
}

/// A checker block.
fn checker(w: &mut Writer, c: &Checker) {
    w.open(&[c.kind.keyword()]);
    match &c.kind {
        CheckerKind::HttpGet(h) | CheckerKind::SslGet(h) => http(w, h),
        CheckerKind::Misc(m) => {
            value(w, "misc_path", &m.misc_path);
            duration(w, "misc_timeout", &m.misc_timeout);
            flag(w, "misc_dynamic", &m.misc_dynamic);
            if let Some(u) = &m.user {
                match &u.value.group {
                    Some(g) => w.line(&["user", &u.value.user.value, &g.value]),
                    None => w.line(&["user", &u.value.user.value]),
                }
            }
        }
        CheckerKind::Smtp(s) => {
            value(w, "helo_name", &s.helo_name);
            for h in &s.hosts {
                w.open(&["host"]);
                common(w, &h.value);
                w.close();
            }
        }
        CheckerKind::Dns(d) => {
            value(w, "type", &d.query_type);
            value(w, "name", &d.name);
        }
        CheckerKind::Udp(u) => {
            if let Some(p) = &u.payload {
                w.line(&["payload", &p.value]);
            }
            match &u.require_reply {
                Some(Spanned {
                    value: Some(hex), ..
                }) => w.line(&["require_reply", hex]),
                Some(_) => w.line(&["require_reply"]),
                None => {}
            }
            value(w, "min_reply_length", &u.min_reply_length);
            value(w, "max_reply_length", &u.max_reply_length);
        }
        CheckerKind::File(f) => {
            value(w, "track_file", &f.track_file);
            if let Some(wt) = &f.weight {
                w.line_owned(&weight_words(&wt.value));
            }
        }
        CheckerKind::Bfd(raw) => raw_nodes(w, raw),
        _ => {}
    }
    common(w, &c.common);
    raw_nodes(w, &c.other);
    w.close();
}

/// HTTP_GET / SSL_GET settings and URLs.
fn http(w: &mut Writer, h: &HttpCheck) {
    value(w, "virtualhost", &h.virtualhost);
    value(w, "http_protocol", &h.http_protocol);
    flag(w, "enable_sni", &h.enable_sni);
    flag(w, "fast_recovery", &h.fast_recovery);
    for u in &h.urls {
        w.open(&["url"]);
        value(w, "path", &u.path);
        value(w, "digest", &u.digest);
        if !u.status_code.is_empty() {
            let mut line = vec!["status_code".to_string()];
            for s in &u.status_code {
                let (lo, hi) = s.value;
                line.push(if lo == hi {
                    lo.to_string()
                } else {
                    format!("{lo}-{hi}")
                });
            }
            w.line_owned(&line);
        }
        value(w, "virtualhost", &u.virtualhost);
        raw_nodes(w, &u.other);
        w.close();
    }
}

/// The settings every checker has.
fn common(w: &mut Writer, c: &CheckerCommon) {
    let none = CheckerConnection::default();
    let to = c.connection.as_deref().unwrap_or(&none);
    value(w, "connect_ip", &to.connect_ip);
    value(w, "connect_port", &to.connect_port);
    value(w, "bindto", &to.bindto);
    value(w, "bind_port", &to.bind_port);
    value(w, "bind_if", &to.bind_if);
    duration(w, "connect_timeout", &c.connect_timeout);
    value(w, "fwmark", &to.fwmark);
    let t = c.timing();
    value(w, "retry", &t.retry);
    duration(w, "delay_before_retry", &t.delay_before_retry);
    duration(w, "warmup", &t.warmup);
    duration(w, "delay_loop", &t.delay_loop);
    flag(w, "alpha", &t.alpha);
    flag(w, "log_all_failures", &t.log_all_failures);
}
