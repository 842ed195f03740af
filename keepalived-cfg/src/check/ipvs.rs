//! Checks on `virtual_server` blocks, their real servers and checkers:
//! what keepalived's `validate_check_config` reports, and checkers left
//! without a port to connect to.

use super::index::Index;
use crate::hash::HashMap;
use crate::model::{
    Checker, CheckerKind, Config, ForwardingMethod, RealServer, Spanned, TrackedName,
    VirtualServer, VsTarget, VsgEntry,
};
use crate::{Diagnostic, Span};
use std::collections::BTreeSet;
use std::net::IpAddr;

/// Every virtual server check.
pub(super) fn check(config: &Config, ix: &Index<'_>, diags: &mut Vec<Diagnostic>) {
    for group in &config.virtual_server_groups {
        if group.entries.is_empty() {
            diags.push(
                Diagnostic::error(
                    "E0259",
                    format!("virtual_server_group `{}` has no entries", group.name.value),
                )
                .at(group.name.span, "keepalived removes this group")
                .with_help("add the addresses it stands for: `192.0.2.1 80`, `fwmark 1`"),
            );
        }
    }
    for vs in &config.virtual_servers {
        check_virtual_server(vs, config, ix, diags);
    }
}

/// What a virtual server stands for, with its group resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Shape {
    /// It matches a firewall mark (itself, or a member of its group).
    fwmark: bool,
    /// It matches addresses (itself, or a member of its group).
    addrs: bool,
    /// It is a `group`.
    group: bool,
    /// Its own port (0 when none or a group).
    port: u16,
}

/// The checks of one virtual server, in keepalived's order.
fn check_virtual_server(
    vs: &VirtualServer,
    config: &Config,
    ix: &Index<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    let Some(shape) = shape_of(vs, config, ix, diags) else {
        return;
    };
    let kept = check_families(vs, diags);
    if kept.is_empty() {
        diags.push(
            Diagnostic::error(
                "E0240",
                format!("virtual_server {} has no real server", show(vs)),
            )
            .at(vs.target.span, "keepalived ignores this virtual server")
            .with_help("add `real_server ADDR PORT { ... }`"),
        );
        return;
    }
    check_service(vs, &shape, ix, diags);
    check_scheduling(vs, diags);
    let live = check_duplicates(&kept, diags);
    check_forwarding(vs, &live, diags);
    check_quorum(vs, &live, diags);
    check_ports(vs, &shape, &live, ix, diags);
    for rs in &live {
        for checker in &rs.checkers {
            check_checker(checker, rs, &shape, ix, diags);
        }
    }
}

/// The shape of a virtual server; `None` (and a warning) when it names a
/// group that is not defined: keepalived then drops it.
fn shape_of(
    vs: &VirtualServer,
    config: &Config,
    ix: &Index<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Shape> {
    match &vs.target.value {
        VsTarget::Addr { port, .. } => Some(Shape {
            fwmark: false,
            addrs: true,
            group: false,
            port: port.unwrap_or(0),
        }),
        VsTarget::Fwmark(_) => Some(Shape {
            fwmark: true,
            addrs: false,
            group: false,
            port: 0,
        }),
        VsTarget::Group(name) => {
            let Some(group) = ix.vsgs.get(name.as_str()).filter(|g| !g.entries.is_empty()) else {
                diags.push(
                    Diagnostic::warning(
                        "W0254",
                        format!("virtual_server_group `{name}` is not defined"),
                    )
                    .at(vs.target.span, "keepalived ignores this virtual server")
                    .with_help(format!(
                        "define `virtual_server_group {name} {{ ADDR PORT }}`{}",
                        super::names::suggestion(
                            name,
                            config
                                .virtual_server_groups
                                .iter()
                                .map(|g| g.name.value.as_str())
                        )
                    )),
                );
                return None;
            };
            let fwmark = group
                .entries
                .iter()
                .any(|e| matches!(e.value, VsgEntry::Fwmark { .. }));
            Some(Shape {
                fwmark,
                addrs: group
                    .entries
                    .iter()
                    .any(|e| matches!(e.value, VsgEntry::Addr { .. })),
                group: true,
                port: 0,
            })
        }
    }
}

/// Real servers of another address family than the virtual server's
/// (its address, else its first real server): keepalived skips them,
/// unless they are tunnelled (TUN on the real server, or on the virtual
/// server before it). Returns the others.
fn check_families<'a>(vs: &'a VirtualServer, diags: &mut Vec<Diagnostic>) -> Vec<&'a RealServer> {
    let mut family: Option<(bool, Span)> = match &vs.target.value {
        VsTarget::Addr { addr, .. } => Some((addr.is_ipv6(), vs.target.span)),
        _ => None,
    };
    let mut kept = Vec::with_capacity(vs.real_servers.len());
    for rs in &vs.real_servers {
        // keepalived looks when it reaches the end of the real server:
        // its own lvs_method, else the lb_kind written before it.
        let method = rs.lvs_method.as_ref().or(vs
            .lb_kind
            .as_ref()
            .filter(|k| super::names::defined_before(k.span, rs.addr.span)));
        let tunnelled = matches!(method.map(|m| &m.value), Some(ForwardingMethod::Tun(_)));
        let v6 = rs.addr.value.is_ipv6();
        match family {
            _ if tunnelled => {}
            None => family = Some((v6, rs.addr.span)),
            Some((f, at)) if f != v6 => {
                diags.push(
                    Diagnostic::error(
                        "E0245",
                        "real server address family differs from the virtual server's",
                    )
                    .at(rs.addr.span, "keepalived skips this real server")
                    .with_label(at, "the family is set here")
                    .with_help(
                        "use one address family per virtual server, or `lvs_method TUN` on this real server",
                    ),
                );
                continue;
            }
            Some(_) => {}
        }
        kept.push(rs);
    }
    kept
}

/// `virtual_server 192.0.2.1 80`, `fwmark 1`, `group NAME`.
fn show(vs: &VirtualServer) -> String {
    match &vs.target.value {
        VsTarget::Addr { addr, port } => match port {
            Some(p) => format!("{addr} {p}"),
            None => addr.to_string(),
        },
        VsTarget::Fwmark(m) => format!("fwmark {m}"),
        VsTarget::Group(g) => format!("group {g}"),
    }
}

/// Protocol, port and `ha_suspend` against the kind of service.
fn check_service(vs: &VirtualServer, shape: &Shape, ix: &Index<'_>, diags: &mut Vec<Diagnostic>) {
    if let Some(hs) = vs.ha_suspend.as_ref().filter(|h| h.value) {
        if shape.fwmark {
            diags.push(
                Diagnostic::error("E0252", "`ha_suspend` cannot be used with firewall marks")
                    .at(hs.span, "keepalived clears this")
                    .with_help("remove `ha_suspend`: a fwmark service has no address to wait for"),
            );
        }
    }
    if shape.addrs {
        let udp = vs
            .protocol
            .as_ref()
            .is_none_or(|p| p.value == crate::model::Protocol::Udp);
        if let Some(ops) = vs.lb_flags.iter().find(|f| f.value == "ops") {
            if !udp {
                diags.push(
                    Diagnostic::error("E0243", "one-packet scheduling (`ops`) needs UDP")
                        .at(ops.span, "keepalived clears this")
                        .with_help("remove `ops`, or use `protocol UDP`"),
                );
            }
        }
        if vs.protocol.is_none() {
            diags.push(
                Diagnostic::error(
                    "E0241",
                    format!("virtual_server {} has no protocol", show(vs)),
                )
                .at(vs.target.span, "keepalived uses UDP")
                .with_help("add `protocol TCP` (or UDP, SCTP)"),
            );
        }
        if !shape.group && shape.port == 0 && vs.persistence_timeout.is_none() {
            diags.push(
                Diagnostic::error("E0253", "port 0 is only valid for a persistent service")
                    .at(vs.target.span, "no port")
                    .with_help("add the port, or `persistence_timeout` for an all-ports service"),
            );
        }
        if shape.group && vs.persistence_timeout.is_none() && group_has_portless(vs, ix) {
            diags.push(
                Diagnostic::error(
                    "E0253",
                    "a virtual_server_group address without a port needs a persistent service",
                )
                .at(vs.target.span, "keepalived makes this service persistent")
                .with_help("give every group address a port, or add `persistence_timeout`"),
            );
        }
    } else if let Some(proto) = &vs.protocol {
        diags.push(
            Diagnostic::error("E0251", "`protocol` is ignored for a firewall-mark service")
                .at(proto.span, "keepalived ignores this")
                .with_help("remove `protocol`: the mark already selects the packets"),
        );
    }
}

/// The group of `vs` has an address without a port.
fn group_has_portless(vs: &VirtualServer, ix: &Index<'_>) -> bool {
    group_entries(vs, ix).any(|e| {
        matches!(
            e.value,
            VsgEntry::Addr {
                port: None | Some(0),
                ..
            }
        )
    })
}

/// The entries of the group a virtual server names (none for others).
fn group_entries<'a>(
    vs: &VirtualServer,
    ix: &Index<'a>,
) -> impl Iterator<Item = &'a Spanned<VsgEntry>> {
    let group = match &vs.target.value {
        VsTarget::Group(name) => ix.vsgs.get(name.as_str()).copied(),
        _ => None,
    };
    group.into_iter().flat_map(|g| &g.entries)
}

/// `lb_algo` must be written.
fn check_scheduling(vs: &VirtualServer, diags: &mut Vec<Diagnostic>) {
    if vs.lb_algo.is_none() {
        diags.push(
            Diagnostic::error(
                "E0242",
                format!("virtual_server {} has no lb_algo", show(vs)),
            )
            .at(vs.target.span, "keepalived uses wlc")
            .with_help("add `lb_algo rr` (or wrr, lc, wlc, sh, ...)"),
        );
    }
}

/// Real servers named twice (address and port); returns the others.
fn check_duplicates<'a>(
    kept: &[&'a RealServer],
    diags: &mut Vec<Diagnostic>,
) -> Vec<&'a RealServer> {
    let mut live: Vec<&RealServer> = Vec::with_capacity(kept.len());
    let mut seen: HashMap<(IpAddr, u16), &RealServer> =
        HashMap::with_capacity_and_hasher(kept.len(), Default::default());
    for &rs in kept {
        if let Some(first) = seen.get(&rs_key(rs)) {
            diags.push(
                Diagnostic::error(
                    "E0246",
                    format!("real server {} is defined twice", show_rs(rs)),
                )
                .at(rs.addr.span, "keepalived removes this one")
                .with_label(first.addr.span, "first defined here")
                .with_help("remove one of the two real_server blocks"),
            );
        } else {
            seen.insert(rs_key(rs), rs);
            live.push(rs);
        }
    }
    live
}

/// What makes two real servers the same.
fn rs_key(rs: &RealServer) -> (IpAddr, u16) {
    (rs.addr.value, rs.port.as_ref().map_or(0, |p| p.value))
}

/// `192.0.2.10 80`.
fn show_rs(rs: &RealServer) -> String {
    match &rs.port {
        Some(p) => format!("{} {}", rs.addr.value, p.value),
        None => rs.addr.value.to_string(),
    }
}

/// The forwarding method must be set on the virtual server, or on every
/// real server (and the sorry server).
fn check_forwarding(vs: &VirtualServer, live: &[&RealServer], diags: &mut Vec<Diagnostic>) {
    if vs.lb_kind.is_some() {
        return;
    }
    let rs_unset = live.iter().any(|rs| rs.lvs_method.is_none());
    let sorry_unset = vs.sorry_server.is_some() && vs.sorry_server_lvs_method.is_none();
    if rs_unset || sorry_unset {
        diags.push(
            Diagnostic::error(
                "E0244",
                format!("virtual_server {} has no lb_kind", show(vs)),
            )
            .at(vs.target.span, "keepalived uses NAT")
            .with_help("add `lb_kind NAT` (or DR, TUN)"),
        );
    }
}

/// The quorum must be reachable, the hysteresis below it.
fn check_quorum(vs: &VirtualServer, live: &[&RealServer], diags: &mut Vec<Diagnostic>) {
    let default_weight = vs.weight.as_ref().map_or(1, |w| u64::from(w.value));
    let total: u64 = live
        .iter()
        .map(|rs| {
            rs.weight
                .as_ref()
                .map_or(default_weight, |w| u64::from(w.value))
        })
        .sum();
    let mut quorum = vs.quorum.as_ref().map_or(1, |q| u64::from(q.value));
    if quorum > total {
        let at = vs.quorum.as_ref().map_or(vs.target.span, |q| q.span);
        diags.push(
            Diagnostic::error(
                "E0247",
                format!("quorum {quorum} exceeds the total weight {total} of the real servers"),
            )
            .at(at, format!("keepalived lowers it to {total}"))
            .with_help("lower the quorum, or raise the real servers' weights"),
        );
        quorum = total;
    }
    let hysteresis = vs.hysteresis.as_ref().map_or(0, |h| u64::from(h.value));
    if hysteresis >= quorum {
        let at = vs
            .hysteresis
            .as_ref()
            .or(vs.quorum.as_ref())
            .map_or(vs.target.span, |h| h.span);
        diags.push(
            Diagnostic::error(
                "E0248",
                format!("hysteresis {hysteresis} is not below the quorum {quorum}"),
            )
            .at(at, "keepalived lowers the hysteresis")
            .with_help("use a hysteresis below the quorum"),
        );
    }
}

/// The forwarding method a real server uses.
fn method_of<'a>(rs: &'a RealServer, vs: &'a VirtualServer) -> Option<&'a ForwardingMethod> {
    rs.lvs_method
        .as_ref()
        .or(vs.lb_kind.as_ref())
        .map(|m| &m.value)
}

/// With DR and TUN the port cannot change on the way to a real server.
fn check_ports(
    vs: &VirtualServer,
    shape: &Shape,
    live: &[&RealServer],
    ix: &Index<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    // The distinct ports of the service, in order.
    let vs_ports: BTreeSet<u16> = if shape.group {
        group_entries(vs, ix)
            .filter_map(|e| match e.value {
                VsgEntry::Addr { port, .. } => Some(port.unwrap_or(0)),
                VsgEntry::Fwmark { .. } => None,
            })
            .collect()
    } else if shape.fwmark {
        BTreeSet::new()
    } else {
        BTreeSet::from([shape.port])
    };
    for rs in live {
        let nat = matches!(method_of(rs, vs), None | Some(ForwardingMethod::Nat));
        if let Some(port) = rs.port.as_ref().filter(|p| p.value != 0 && !nat) {
            check_port(
                "real server",
                port.value,
                port.span,
                shape,
                &vs_ports,
                vs,
                diags,
            );
        }
    }
    if let Some(sorry) = &vs.sorry_server {
        let method = vs.sorry_server_lvs_method.as_ref().or(vs.lb_kind.as_ref());
        let nat = matches!(method.map(|m| &m.value), None | Some(ForwardingMethod::Nat));
        if let Some(port) = sorry.value.1.filter(|p| *p != 0 && !nat) {
            check_port(
                "sorry server",
                port,
                sorry.span,
                shape,
                &vs_ports,
                vs,
                diags,
            );
        }
    }
}

/// The port of a real or sorry server forwarded by DR or TUN: none for a
/// firewall-mark service, else the virtual server's.
fn check_port(
    who: &str,
    port: u16,
    at: Span,
    shape: &Shape,
    vs_ports: &BTreeSet<u16>,
    vs: &VirtualServer,
    diags: &mut Vec<Diagnostic>,
) {
    if shape.fwmark {
        diags.push(
            Diagnostic::error(
                "E0250",
                format!("a {who} of a firewall-mark service cannot have a port with DR or TUN"),
            )
            .at(at, "keepalived ignores this port")
            .with_help("remove the port: the packets keep their destination port"),
        );
    }
    if let Some(vport) = vs_ports.iter().find(|p| **p != port) {
        diags.push(
            Diagnostic::error(
                "E0249",
                format!("{who} port {port} differs from the virtual server port {vport}"),
            )
            .at(at, "with DR or TUN the port cannot change")
            .with_label(vs.target.span, "virtual server port")
            .with_help(format!(
                "use port {vport}, or `lb_kind NAT` to forward to another port"
            )),
        );
    }
}

/// Checkers that need something they do not have.
fn check_checker(
    checker: &Checker,
    rs: &RealServer,
    shape: &Shape,
    ix: &Index<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    let name = checker.kind.keyword();
    match &checker.kind {
        CheckerKind::HttpGet(http) | CheckerKind::SslGet(http) if http.urls.is_empty() => {
            diags.push(
                Diagnostic::error("E0256", format!("{name} has no url"))
                    .at(checker.span, "keepalived ignores this checker")
                    .with_help("add `url { path / status_code 200 }`"),
            );
            return;
        }
        CheckerKind::Misc(misc) if misc.misc_path.is_none() => {
            diags.push(
                Diagnostic::error("E0257", "MISC_CHECK has no misc_path")
                    .at(
                        checker.end.unwrap_or(checker.span),
                        "the checker ends here without one",
                    )
                    .with_label(checker.span, "keepalived ignores this checker")
                    .with_help("add `misc_path \"/path/to/check\"`"),
            );
            return;
        }
        CheckerKind::File(file) if file.track_file.is_some() => {
            if let Some(name) = &file.track_file {
                check_file_reference(name, ix, diags);
            }
            return;
        }
        CheckerKind::File(_) => {
            diags.push(
                Diagnostic::error("E0258", "FILE_CHECK has no track_file")
                    .at(
                        checker.end.unwrap_or(checker.span),
                        "the checker ends here without one",
                    )
                    .with_label(checker.span, "keepalived ignores this checker")
                    .with_help("add `track_file NAME`, naming a `track_file` block"),
            );
            return;
        }
        _ => {}
    }
    let needs_port = matches!(
        checker.kind,
        CheckerKind::Tcp | CheckerKind::HttpGet(_) | CheckerKind::SslGet(_) | CheckerKind::Udp(_)
    );
    let connect = checker.common.connect_port().map_or(0, |p| p.value);
    let rs_port = rs.port.as_ref().map_or(0, |p| p.value);
    let inherited = if shape.fwmark || shape.group {
        0
    } else {
        shape.port
    };
    if needs_port && connect == 0 && rs_port == 0 && inherited == 0 {
        diags.push(
            Diagnostic::warning("W0255", format!("{name} has no port to connect to"))
                .at(checker.span, "this checker connects to port 0")
                .with_label(rs.addr.span, "the real server has no port")
                .with_help("add `connect_port PORT` to the checker"),
        );
    }
}

/// A FILE_CHECK's `track_file` must name a `track_file` block written
/// before it.
fn check_file_reference(name: &Spanned<String>, ix: &Index<'_>, diags: &mut Vec<Diagnostic>) {
    let tracked = [TrackedName {
        name: name.clone(),
        weight: None,
    }];
    super::names::check_track_file_names(&tracked, ix, diags);
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{at, checker, codes, ip, real_server, run, virtual_server};
    use crate::model::{
        CheckerKind, Config, ForwardingMethod, Protocol, VirtualServer, VirtualServerGroup,
        VsTarget, VsgEntry,
    };

    fn config(vs: VirtualServer) -> Config {
        Config {
            virtual_servers: vec![vs],
            ..Config::default()
        }
    }

    /// The one diagnostic, checked for code, line and message.
    fn only(vs: VirtualServer, code: &str, line: u32, message: &str) -> crate::Diagnostic {
        let diags = run(&config(vs));
        assert_eq!(codes(&diags), vec![(code, line)], "{diags:#?}");
        assert_eq!(diags[0].message, message);
        assert!(diags[0].help.is_some());
        diags[0].clone()
    }

    fn fwmark(line: u32) -> VirtualServer {
        let mut vs = virtual_server(line);
        vs.target = at(VsTarget::Fwmark(1), line);
        vs.protocol = None;
        vs.real_servers = vec![real_server("192.0.2.10", None, line + 4)];
        vs
    }

    #[test]
    fn a_complete_virtual_server_is_clean() {
        assert_eq!(run(&config(virtual_server(1))), vec![]);
    }

    #[test]
    fn no_real_server() {
        let mut vs = virtual_server(1);
        vs.real_servers.clear();
        only(
            vs,
            "E0240",
            1,
            "virtual_server 192.0.2.1 80 has no real server",
        );
    }

    #[test]
    fn no_protocol_means_udp() {
        let mut vs = virtual_server(1);
        vs.protocol = None;
        let d = only(
            vs,
            "E0241",
            1,
            "virtual_server 192.0.2.1 80 has no protocol",
        );
        assert_eq!(d.label.as_deref(), Some("keepalived uses UDP"));
    }

    #[test]
    fn no_lb_algo() {
        let mut vs = virtual_server(1);
        vs.lb_algo = None;
        only(vs, "E0242", 1, "virtual_server 192.0.2.1 80 has no lb_algo");
    }

    #[test]
    fn no_lb_kind_unless_every_real_server_has_one() {
        let mut vs = virtual_server(1);
        vs.lb_kind = None;
        only(
            vs.clone(),
            "E0244",
            1,
            "virtual_server 192.0.2.1 80 has no lb_kind",
        );
        vs.real_servers[0].lvs_method = Some(at(ForwardingMethod::Nat, 6));
        assert_eq!(run(&config(vs)), vec![]);
    }

    #[test]
    fn duplicate_real_server() {
        let mut vs = virtual_server(1);
        vs.real_servers.push(real_server("192.0.2.10", Some(80), 9));
        let d = only(vs, "E0246", 9, "real server 192.0.2.10 80 is defined twice");
        assert_eq!(d.labels[0].span.line, 5);
    }

    #[test]
    fn quorum_above_total_weight() {
        let mut vs = virtual_server(1);
        vs.quorum = Some(at(5, 7));
        let d = only(
            vs,
            "E0247",
            7,
            "quorum 5 exceeds the total weight 1 of the real servers",
        );
        assert_eq!(d.label.as_deref(), Some("keepalived lowers it to 1"));
    }

    #[test]
    fn hysteresis_not_below_quorum() {
        let mut vs = virtual_server(1);
        vs.real_servers[0].weight = Some(at(3, 6));
        vs.quorum = Some(at(2, 7));
        vs.hysteresis = Some(at(2, 8));
        only(vs, "E0248", 8, "hysteresis 2 is not below the quorum 2");
    }

    #[test]
    fn dr_port_must_match() {
        let mut vs = virtual_server(1);
        vs.lb_kind = Some(at(ForwardingMethod::Dr, 3));
        vs.real_servers = vec![real_server("192.0.2.10", Some(8080), 5)];
        let d = only(
            vs.clone(),
            "E0249",
            5,
            "real server port 8080 differs from the virtual server port 80",
        );
        assert_eq!(d.labels[0].span.line, 1);
        vs.lb_kind = Some(at(ForwardingMethod::Nat, 3));
        assert_eq!(run(&config(vs)), vec![]);
    }

    #[test]
    fn dr_sorry_server_port_must_match() {
        let mut vs = virtual_server(1);
        vs.lb_kind = Some(at(ForwardingMethod::Dr, 3));
        vs.sorry_server = Some(at((ip("192.0.2.99"), Some(8080)), 8));
        only(
            vs.clone(),
            "E0249",
            8,
            "sorry server port 8080 differs from the virtual server port 80",
        );
        vs.sorry_server_lvs_method = Some(at(ForwardingMethod::Nat, 9));
        assert_eq!(run(&config(vs)), vec![]);
    }

    #[test]
    fn ops_needs_udp() {
        let mut vs = virtual_server(1);
        vs.lb_flags = vec![at("ops".to_string(), 9)];
        only(
            vs.clone(),
            "E0243",
            9,
            "one-packet scheduling (`ops`) needs UDP",
        );
        vs.protocol = Some(at(Protocol::Udp, 4));
        assert_eq!(run(&config(vs)), vec![]);
    }

    #[test]
    fn fwmark_real_server_port_with_dr() {
        let mut vs = fwmark(1);
        vs.lb_kind = Some(at(ForwardingMethod::Dr, 3));
        vs.real_servers = vec![real_server("192.0.2.10", Some(80), 5)];
        only(
            vs,
            "E0250",
            5,
            "a real server of a firewall-mark service cannot have a port with DR or TUN",
        );
    }

    #[test]
    fn protocol_with_fwmark() {
        let mut vs = fwmark(1);
        vs.protocol = Some(at(Protocol::Tcp, 4));
        only(
            vs,
            "E0251",
            4,
            "`protocol` is ignored for a firewall-mark service",
        );
    }

    #[test]
    fn ha_suspend_with_fwmark() {
        let mut vs = fwmark(1);
        vs.ha_suspend = Some(at(true, 6));
        only(
            vs,
            "E0252",
            6,
            "`ha_suspend` cannot be used with firewall marks",
        );
    }

    #[test]
    fn port_zero_needs_persistence() {
        let mut vs = virtual_server(1);
        vs.target = at(
            VsTarget::Addr {
                addr: ip("192.0.2.1"),
                port: None,
            },
            1,
        );
        vs.real_servers = vec![real_server("192.0.2.10", None, 5)];
        only(
            vs.clone(),
            "E0253",
            1,
            "port 0 is only valid for a persistent service",
        );
        vs.persistence_timeout = Some(at(360, 6));
        assert_eq!(run(&config(vs)), vec![]);
    }

    #[test]
    fn undefined_group_is_a_warning() {
        let mut vs = virtual_server(1);
        vs.target = at(VsTarget::Group("web".to_string()), 1);
        let mut cfg = config(vs);
        cfg.virtual_server_groups = vec![VirtualServerGroup {
            name: at("webs".to_string(), 20),
            entries: vec![at(
                VsgEntry::Addr {
                    addr: ip("192.0.2.1"),
                    range_end: None,
                    port: Some(80),
                },
                21,
            )],
        }];
        let diags = run(&cfg);
        assert_eq!(codes(&diags), vec![("W0254", 1)]);
        assert_eq!(
            diags[0].message,
            "virtual_server_group `web` is not defined"
        );
        assert!(diags[0]
            .help
            .as_deref()
            .is_some_and(|h| h.ends_with("did you mean `webs`?")));
        cfg.virtual_servers[0].target = at(VsTarget::Group("webs".to_string()), 1);
        assert_eq!(run(&cfg), vec![]);
    }

    #[test]
    fn checker_without_port() {
        let mut vs = fwmark(1);
        vs.lb_kind = Some(at(ForwardingMethod::Dr, 3));
        vs.real_servers[0].checkers = vec![checker(CheckerKind::Tcp, 6)];
        let d = only(
            vs.clone(),
            "W0255",
            6,
            "TCP_CHECK has no port to connect to",
        );
        assert_eq!(d.labels[0].span.line, 5);
        vs.real_servers[0].checkers[0]
            .common
            .connection_mut()
            .connect_port = Some(at(80, 7));
        assert_eq!(run(&config(vs)), vec![]);
    }

    #[test]
    fn checker_port_comes_from_the_virtual_server() {
        let mut vs = virtual_server(1);
        vs.real_servers = vec![real_server("192.0.2.10", None, 5)];
        vs.real_servers[0].checkers = vec![checker(CheckerKind::Tcp, 6)];
        assert_eq!(run(&config(vs)), vec![]);
    }

    #[test]
    fn http_get_without_url() {
        let mut vs = virtual_server(1);
        vs.real_servers[0].checkers = vec![checker(CheckerKind::HttpGet(Box::default()), 6)];
        only(vs, "E0256", 6, "HTTP_GET has no url");
    }

    #[test]
    fn misc_check_without_path() {
        let mut vs = virtual_server(1);
        vs.real_servers[0].checkers = vec![checker(CheckerKind::Misc(Box::default()), 6)];
        only(vs, "E0257", 6, "MISC_CHECK has no misc_path");
    }

    #[test]
    fn real_server_of_another_family() {
        let mut vs = virtual_server(1);
        vs.real_servers
            .insert(0, real_server("2001:db8::10", Some(80), 4));
        let d = only(
            vs.clone(),
            "E0245",
            4,
            "real server address family differs from the virtual server's",
        );
        assert_eq!(d.labels[0].span.line, 1);
        vs.real_servers[0].lvs_method = Some(at(ForwardingMethod::Tun(Vec::new()), 4));
        assert_eq!(
            run(&config(vs.clone())),
            vec![],
            "a tunnelled server may differ"
        );
        vs.real_servers[0].lvs_method = None;
        vs.lb_kind = Some(at(ForwardingMethod::Tun(Vec::new()), 3));
        assert_eq!(run(&config(vs)), vec![], "so may one of a TUN service");
    }

    #[test]
    fn only_real_servers_of_another_family() {
        let mut vs = virtual_server(1);
        vs.real_servers = vec![real_server("2001:db8::10", Some(80), 4)];
        let diags = run(&config(vs));
        assert_eq!(codes(&diags), vec![("E0245", 4), ("E0240", 1)]);
    }

    #[test]
    fn empty_group() {
        let mut cfg = config(virtual_server(1));
        cfg.virtual_server_groups = vec![VirtualServerGroup {
            name: at("E".to_string(), 20),
            entries: Vec::new(),
        }];
        let diags = run(&cfg);
        assert_eq!(codes(&diags), vec![("E0259", 20)]);
        assert_eq!(diags[0].message, "virtual_server_group `E` has no entries");
    }

    #[test]
    fn file_check_names_a_track_file() {
        let mut vs = virtual_server(10);
        let file = crate::model::FileCheck {
            track_file: Some(at("f2".to_string(), 17)),
            weight: None,
        };
        vs.real_servers[0].checkers = vec![checker(CheckerKind::File(Box::new(file)), 16)];
        let mut cfg = config(vs);
        cfg.track_files = vec![crate::model::TrackFile {
            name: at("f1".to_string(), 1),
            file: Some(at("/tmp/f1".to_string(), 2)),
            ..crate::model::TrackFile::default()
        }];
        let diags = run(&cfg);
        assert_eq!(codes(&diags), vec![("E0229", 17)]);
        assert_eq!(diags[0].message, "track_file `f2` is not defined");
    }

    #[test]
    fn file_check_without_track_file() {
        let mut vs = virtual_server(1);
        vs.real_servers[0].checkers = vec![checker(CheckerKind::File(Box::default()), 6)];
        only(vs, "E0258", 6, "FILE_CHECK has no track_file");
    }
}
