//! Checks on `virtual_server` blocks, their real servers and checkers:
//! what keepalived's `validate_check_config` reports, and checkers left
//! without a port to connect to.

use crate::model::{
    Checker, CheckerKind, Config, ForwardingMethod, RealServer, VirtualServer, VsTarget, VsgEntry,
};
use crate::{Diagnostic, Span};

/// Every virtual server check.
pub(super) fn check(config: &Config, diags: &mut Vec<Diagnostic>) {
    for vs in &config.virtual_servers {
        check_virtual_server(vs, config, diags);
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
fn check_virtual_server(vs: &VirtualServer, config: &Config, diags: &mut Vec<Diagnostic>) {
    let Some(shape) = shape_of(vs, config, diags) else {
        return;
    };
    if vs.real_servers.is_empty() {
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
    check_service(vs, &shape, config, diags);
    check_scheduling(vs, diags);
    let live = check_duplicates(vs, diags);
    check_forwarding(vs, &live, diags);
    check_quorum(vs, &live, diags);
    check_ports(vs, &shape, &live, config, diags);
    for rs in &live {
        for checker in &rs.checkers {
            check_checker(checker, rs, &shape, diags);
        }
    }
}

/// The shape of a virtual server; `None` (and a warning) when it names a
/// group that is not defined: keepalived then drops it.
fn shape_of(vs: &VirtualServer, config: &Config, diags: &mut Vec<Diagnostic>) -> Option<Shape> {
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
            let Some(group) = config
                .virtual_server_groups
                .iter()
                .find(|g| &g.name.value == name)
            else {
                diags.push(
                    Diagnostic::warning(
                        "W0254",
                        format!("virtual_server_group `{name}` is not defined"),
                    )
                    .at(vs.target.span, "keepalived ignores this virtual server")
                    .with_help(format!(
                        "define `virtual_server_group {name} {{ ADDR PORT }}`{}",
                        super::vrrp::suggestion(
                            name,
                            config.virtual_server_groups.iter().map(|g| &g.name.value)
                        )
                    )),
                );
                return None;
            };
            let fwmark = group
                .entries
                .iter()
                .any(|e| matches!(e.value, VsgEntry::Fwmark(_)));
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
fn check_service(vs: &VirtualServer, shape: &Shape, config: &Config, diags: &mut Vec<Diagnostic>) {
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
        if shape.group && vs.persistence_timeout.is_none() && group_has_portless(vs, config) {
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
fn group_has_portless(vs: &VirtualServer, config: &Config) -> bool {
    let VsTarget::Group(name) = &vs.target.value else {
        return false;
    };
    config
        .virtual_server_groups
        .iter()
        .filter(|g| &g.name.value == name)
        .flat_map(|g| &g.entries)
        .any(|e| {
            matches!(
                e.value,
                VsgEntry::Addr {
                    port: None | Some(0),
                    ..
                }
            )
        })
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
fn check_duplicates<'a>(vs: &'a VirtualServer, diags: &mut Vec<Diagnostic>) -> Vec<&'a RealServer> {
    let mut live: Vec<&RealServer> = Vec::new();
    for rs in &vs.real_servers {
        let key = rs_key(rs);
        if let Some(first) = live.iter().find(|f| rs_key(f) == key) {
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
            live.push(rs);
        }
    }
    live
}

/// What makes two real servers the same.
fn rs_key(rs: &RealServer) -> (std::net::IpAddr, u16) {
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
    config: &Config,
    diags: &mut Vec<Diagnostic>,
) {
    let group_ports: Vec<u16> = match &vs.target.value {
        VsTarget::Group(name) => config
            .virtual_server_groups
            .iter()
            .filter(|g| &g.name.value == name)
            .flat_map(|g| &g.entries)
            .filter_map(|e| match e.value {
                VsgEntry::Addr { port, .. } => Some(port.unwrap_or(0)),
                VsgEntry::Fwmark(_) => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    for rs in live {
        let nat = matches!(method_of(rs, vs), None | Some(ForwardingMethod::Nat));
        let Some(port) = rs.port.as_ref().filter(|p| p.value != 0) else {
            continue;
        };
        if nat {
            continue;
        }
        if shape.fwmark {
            diags.push(
                Diagnostic::error(
                    "E0250",
                    "a real server of a firewall-mark service cannot have a port with DR or TUN",
                )
                .at(port.span, "keepalived ignores this port")
                .with_help("remove the port: the packets keep their destination port"),
            );
        }
        let vs_ports: Vec<(u16, Span)> = if shape.group {
            group_ports.iter().map(|p| (*p, vs.target.span)).collect()
        } else if shape.fwmark {
            Vec::new()
        } else {
            vec![(shape.port, vs.target.span)]
        };
        if let Some((vport, vspan)) = vs_ports.iter().find(|(p, _)| *p != port.value) {
            diags.push(
                Diagnostic::error(
                    "E0249",
                    format!(
                        "real server port {} differs from the virtual server port {vport}",
                        port.value
                    ),
                )
                .at(port.span, "with DR or TUN the port cannot change")
                .with_label(*vspan, "virtual server port")
                .with_help(format!(
                    "use port {vport}, or `lb_kind NAT` to forward to another port"
                )),
            );
        }
    }
}

/// Checkers that need something they do not have.
fn check_checker(checker: &Checker, rs: &RealServer, shape: &Shape, diags: &mut Vec<Diagnostic>) {
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
                    .at(checker.span, "keepalived ignores this checker")
                    .with_help("add `misc_path \"/path/to/check\"`"),
            );
            return;
        }
        CheckerKind::File(file) if file.track_file.is_none() => {
            diags.push(
                Diagnostic::error("E0258", "FILE_CHECK has no track_file")
                    .at(checker.span, "keepalived ignores this checker")
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
    let connect = checker.common.connect_port.as_ref().map_or(0, |p| p.value);
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
