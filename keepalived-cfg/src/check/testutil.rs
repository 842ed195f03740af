//! Builders of model values for the checks' unit tests: every value sits
//! on a line of its own, so a test can say which line a diagnostic
//! points at.

use crate::model::{
    Checker, CheckerCommon, CheckerKind, Config, IpPrefix, RealServer, Spanned, VirtualAddress,
    VirtualServer, VrrpInstance, VsTarget,
};
use crate::{Diagnostic, Span};
use std::net::IpAddr;

/// A span on `line` (offsets grow with lines, so order follows lines).
pub(super) fn sp(line: u32) -> Span {
    Span {
        file: crate::FileId(0),
        offset: line * 100,
        len: 1,
        line,
    }
}

/// `value` written on `line`.
pub(super) fn at<T>(value: T, line: u32) -> Spanned<T> {
    Spanned::new(value, sp(line))
}

/// An address from text written in the test.
pub(super) fn ip(text: &str) -> IpAddr {
    text.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// A virtual address on `line`.
pub(super) fn vip(text: &str, line: u32) -> Spanned<VirtualAddress> {
    let prefix = IpPrefix {
        addr: ip(text),
        prefix: None,
    };
    at(VirtualAddress::new(at(prefix, line)), line)
}

/// A valid instance: name on `line`, interface eth0 on `line + 1`,
/// virtual_router_id `vrid` on `line + 2`, priority 100 on `line + 3`,
/// VIP 192.0.2.`vrid` on `line + 4`.
pub(super) fn instance(name: &str, vrid: u8, line: u32) -> VrrpInstance {
    VrrpInstance {
        name: at(name.to_string(), line),
        interface: Some(at("eth0".to_string(), line + 1)),
        virtual_router_id: Some(at(vrid, line + 2)),
        priority: Some(at(100, line + 3)),
        virtual_ipaddress: vec![vip(&format!("192.0.2.{vrid}"), line + 4)],
        ..VrrpInstance::default()
    }
}

/// A valid virtual server `192.0.2.1 80` on `line` (rr, NAT, TCP) with
/// one real server `192.0.2.10 80` on `line + 4`.
pub(super) fn virtual_server(line: u32) -> VirtualServer {
    let target = VsTarget::Addr {
        addr: ip("192.0.2.1"),
        port: Some(80),
    };
    let mut vs = VirtualServer::new(at(target, line));
    vs.lb_algo = Some(at(crate::model::Scheduler::Rr, line + 1));
    vs.lb_kind = Some(at(crate::model::ForwardingMethod::Nat, line + 2));
    vs.protocol = Some(at(crate::model::Protocol::Tcp, line + 3));
    vs.real_servers
        .push(real_server("192.0.2.10", Some(80), line + 4));
    vs
}

/// A real server on `line`.
pub(super) fn real_server(addr: &str, port: Option<u16>, line: u32) -> RealServer {
    RealServer::new(at(ip(addr), line), port.map(|p| at(p, line)))
}

/// A checker on `line`.
pub(super) fn checker(kind: CheckerKind, line: u32) -> Checker {
    Checker {
        span: sp(line),
        end: None,
        common: CheckerCommon::default(),
        kind,
        other: Vec::new(),
    }
}

/// Runs every check with every program found.
pub(super) fn run(config: &Config) -> Vec<Diagnostic> {
    let host = AnyHost;
    let mut diags = Vec::new();
    super::check_with(config, &host, &mut diags);
    diags
}

/// (code, line) of each diagnostic, in the order found.
pub(super) fn codes(diags: &[Diagnostic]) -> Vec<(&'static str, u32)> {
    diags
        .iter()
        .map(|d| (d.code, d.span.map_or(0, |s| s.line)))
        .collect()
}

/// A host where every program and user exists, but `keepalived_script`
/// (as on most hosts: scripts then run as root).
struct AnyHost;

impl super::host::Host for AnyHost {
    fn program_found(&self, _: &str) -> bool {
        true
    }

    fn user_exists(&self, name: &str) -> bool {
        name != "keepalived_script"
    }
}
