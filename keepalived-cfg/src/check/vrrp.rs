//! Checks on `vrrp_instance` blocks: each on its own (what keepalived's
//! `vrrp_complete_instance` reports, and what it misses), then across
//! instances (VRID conflicts, tracked scripts).

use super::index::Index;
use super::names::{
    check_track_file_names, check_track_script_names, defined_before, resolve_script,
};
use crate::hash::{HashMap, HashSet};
use crate::model::{AuthType, Config, InitialState, SyncGroup, VrrpInstance};
use crate::{Diagnostic, Span};
use std::net::IpAddr;
use std::time::Duration;

/// The priority of the address owner.
const OWNER: u8 = 255;

/// The most earlier unicast instances one instance is compared with
/// (bounds the work on absurd configurations).
const MAX_UNICAST_PAIRS: usize = 256;

/// Every instance check.
pub(super) fn check(config: &Config, ix: &Index<'_>, diags: &mut Vec<Diagnostic>) {
    for inst in &config.vrrp_instances {
        let facts = Facts::of(inst, config);
        check_required(inst, diags);
        check_priority(inst, &facts, diags);
        check_strict(inst, &facts, diags);
        check_advert_int(inst, &facts, diags);
        check_authentication(inst, &facts, diags);
        check_addresses(inst, &facts, diags);
        check_preemption(inst, &facts, diags);
        check_unicast(inst, diags);
        check_tracking(inst, ix, diags);
        check_weights(inst, &facts, ix, diags);
    }
    check_vrid_conflicts(config, diags);
}

/// What keepalived derives for an instance from what is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Facts {
    /// The address family is IPv6 (from the first virtual address).
    pub(super) ipv6: bool,
    /// The VRRP version in use.
    pub(super) version: u8,
    /// The priority in use (written, else 255 for MASTER, else 100).
    pub(super) priority: u8,
    /// The instance wants to start as MASTER.
    pub(super) master: bool,
    /// Adverts go by unicast (peers are listed).
    pub(super) unicast: bool,
    /// `vrrp_strict` (global) or `strict_mode` (instance) is on.
    pub(super) strict: bool,
    /// Strict mode, and `state MASTER` without priority 255 (or BACKUP
    /// with it): keepalived reports it and derives the state from the
    /// priority.
    pub(super) state_mismatch: bool,
}

impl Facts {
    /// Derives the facts the way keepalived does.
    pub(super) fn of(inst: &VrrpInstance, config: &Config) -> Facts {
        let ipv6 = inst
            .virtual_ipaddress
            .first()
            .is_some_and(|a| a.value.addr.value.addr.is_ipv6());
        let global_version = config.global_defs.vrrp_version.as_ref().map(|v| v.value);
        let version = match inst.version.as_ref().map(|v| v.value) {
            Some(v) => v,
            None if ipv6 => 3,
            None => global_version.unwrap_or(2),
        };
        let state = inst.state.as_ref().map(|s| s.value);
        let priority = match inst.priority.as_ref().map(|p| p.value) {
            Some(p) if p != 0 => p,
            _ if state == Some(InitialState::Master) => OWNER,
            _ => 100,
        };
        let strict = match &inst.strict_mode {
            Some(s) => s.value,
            None => config
                .global_defs
                .vrrp_strict
                .as_ref()
                .is_some_and(|s| s.value),
        };
        let written = state.map(|s| s == InitialState::Master);
        let state_mismatch = strict && written.is_some_and(|m| m != (priority == OWNER));
        let master = match written {
            Some(m) if !state_mismatch => m,
            _ => priority == OWNER,
        };
        // Strict mode moves an IPv6 instance to version 3.
        let version = if strict && ipv6 { 3 } else { version };
        Facts {
            ipv6,
            version,
            priority,
            master,
            unicast: !inst.unicast_peer.is_empty(),
            strict,
            state_mismatch,
        }
    }

    /// The instance is the address owner.
    pub(super) fn owner(&self) -> bool {
        self.priority == OWNER
    }
}

/// `virtual_router_id` and `interface`: keepalived stops without them.
fn check_required(inst: &VrrpInstance, diags: &mut Vec<Diagnostic>) {
    let name = &inst.name;
    match &inst.virtual_router_id {
        None => diags.push(
            Diagnostic::error(
                "E0200",
                format!("vrrp_instance `{}` has no virtual_router_id", name.value),
            )
            .at(name.span, "declared here")
            .with_help(
                "add `virtual_router_id N` with N from 1 to 255, the same on every router of this group",
            ),
        ),
        Some(vrid) if vrid.value == 0 => diags.push(
            Diagnostic::error("E0201", "virtual_router_id 0 is out of range")
                .at(vrid.span, "must be 1 to 255")
                .with_help("VRID 0 is reserved: use a value from 1 to 255"),
        ),
        Some(_) => {}
    }
    // keepalived checks the interface before it looks at unicast peers:
    // even a unicast instance needs one.
    match &inst.interface {
        None => diags.push(
            Diagnostic::error(
                "E0216",
                format!("vrrp_instance `{}` has no interface", name.value),
            )
            .at(name.span, "declared here")
            .with_help("add `interface IF`: the interface facing the other routers of the group"),
        ),
        Some(ifname) if ifname.value == "lo" => diags.push(
            Diagnostic::error("E0217", "a loopback interface cannot carry VRRP")
                .at(ifname.span, "keepalived ignores this interface")
                .with_help("use the interface facing the other routers of the group"),
        ),
        _ => {}
    }
}

/// Priority 0, and the address-owner priority 255 given by accident.
fn check_priority(inst: &VrrpInstance, facts: &Facts, diags: &mut Vec<Diagnostic>) {
    match &inst.priority {
        Some(p) if p.value == 0 => diags.push(
            Diagnostic::error("E0202", "priority 0 is out of range")
                .at(p.span, "must be 1 to 255")
                .with_help("priority 0 is what a master sends when it stops: use 1 to 254"),
        ),
        Some(p) if p.value == OWNER => diags.push(
            Diagnostic::warning(
                "W0203",
                format!("priority 255 makes `{}` the address owner", inst.name.value),
            )
            .at(p.span, "address owner priority")
            .with_note(
                "the owner takes the virtual addresses at once, ignores nopreempt and weights",
            )
            .with_help(
                "255 is for the router that has the virtual addresses as its own; otherwise use 1 to 254",
            ),
        ),
        None if facts.owner() => {
            if let Some(state) = &inst.state {
                diags.push(
                    Diagnostic::warning(
                        "W0204",
                        format!(
                            "`state MASTER` without `priority` makes `{}` the address owner (priority 255)",
                            inst.name.value
                        ),
                    )
                    .at(state.span, "priority 255 follows from this")
                    .with_help("add `priority N` with N from 1 to 254"),
                );
            }
        }
        _ => {}
    }
}

/// `advert_int`: whole seconds for VRRPv2, centiseconds below 40.96 s for
/// VRRPv3; keepalived rounds or clamps otherwise.
fn check_advert_int(inst: &VrrpInstance, facts: &Facts, diags: &mut Vec<Diagnostic>) {
    let Some(adv) = &inst.advert_int else { return };
    let micros = adv.value.as_micros();
    let shown = seconds(adv.value);
    if facts.version == 2 {
        if micros % 1_000_000 != 0 {
            diags.push(
                Diagnostic::error(
                    "E0205",
                    format!("advert_int of {shown} s is not a whole number of seconds"),
                )
                .at(adv.span, "VRRP version 2 advertises whole seconds")
                .with_help(
                    "keepalived rounds it: write whole seconds, or use `version 3` for centiseconds",
                ),
            );
        }
    } else if micros >= 40_960_000 {
        diags.push(
            Diagnostic::error(
                "E0206",
                format!("advert_int of {shown} s is too long for VRRP version 3"),
            )
            .at(adv.span, "must be less than 40.96 s")
            .with_help("keepalived uses 40.95 s: write 40.95 or less"),
        );
    } else if micros % 10_000 != 0 {
        diags.push(
            Diagnostic::error(
                "E0207",
                format!("advert_int of {shown} s is not a multiple of 10 ms"),
            )
            .at(adv.span, "VRRP version 3 advertises centiseconds")
            .with_help("keepalived rounds it: write at most two decimals"),
        );
    }
}

/// A duration as seconds, without trailing zeros.
fn seconds(d: Duration) -> String {
    let micros = d.subsec_micros();
    if micros == 0 {
        return d.as_secs().to_string();
    }
    let frac = format!("{micros:06}");
    format!("{}.{}", d.as_secs(), frac.trim_end_matches('0'))
}

/// `authentication`: as keepalived checks it, first problem only.
fn check_authentication(inst: &VrrpInstance, facts: &Facts, diags: &mut Vec<Diagnostic>) {
    let Some(auth) = &inst.authentication else {
        return;
    };
    // A password longer than 8 characters is reported by the builder.
    let Some(kind) = &auth.auth_type else { return };
    if facts.strict {
        diags.push(
            Diagnostic::error("E0261", "strict mode does not allow authentication")
                .at(auth.span, "keepalived ignores this block")
                .with_help("remove `authentication`, or `vrrp_strict` / `strict_mode`"),
        );
    } else if facts.version == 3 {
        diags.push(
            Diagnostic::error("E0209", "VRRP version 3 has no authentication")
                .at(auth.span, "keepalived ignores this block")
                .with_help("remove `authentication`, or use `version 2`"),
        );
    } else if auth.auth_pass.as_ref().is_none_or(|p| p.value.is_empty()) {
        diags.push(
            Diagnostic::error("E0210", "auth_type is set but there is no auth_pass")
                .at(kind.span, "keepalived ignores the authentication")
                .with_help("add `auth_pass WORD` (at most 8 characters)"),
        );
    } else if facts.ipv6 && kind.value == AuthType::Ah {
        diags.push(
            Diagnostic::error("E0211", "AH authentication cannot be used with IPv6")
                .at(kind.span, "keepalived ignores the authentication")
                .with_help("use `auth_type PASS`, or no authentication"),
        );
    } else if kind.value == AuthType::Ah && facts.master && !facts.owner() {
        let at = inst.state.as_ref().map_or(kind.span, |s| s.span);
        diags.push(
            Diagnostic::error(
                "E0212",
                "initial state MASTER is incompatible with AH authentication",
            )
            .at(at, "keepalived starts this instance as BACKUP")
            .with_label(kind.span, "AH chosen here")
            .with_help("use `state BACKUP`: the instance needs an advert before it can take over"),
        );
    }
}

/// Virtual addresses: present, one family, IPv4 for VRRPv2.
fn check_addresses(inst: &VrrpInstance, facts: &Facts, diags: &mut Vec<Diagnostic>) {
    let Some(first) = inst.virtual_ipaddress.first() else {
        diags.push(
            Diagnostic::error(
                "E0215",
                format!("vrrp_instance `{}` has no virtual address", inst.name.value),
            )
            .at(inst.name.span, "declared here")
            .with_help("add `virtual_ipaddress { ADDR }`: the addresses this group moves"),
        );
        return;
    };
    for vip in &inst.virtual_ipaddress[1..] {
        if vip.value.addr.value.addr.is_ipv6() != facts.ipv6 {
            diags.push(
                Diagnostic::error(
                    "E0214",
                    "virtual address family differs from the instance's first address",
                )
                .at(vip.value.addr.span, "keepalived ignores this address")
                .with_label(first.value.addr.span, "the first address sets the family")
                .with_help(
                    "an instance advertises one family: put these addresses in another instance, or in virtual_ipaddress_excluded",
                ),
            );
        }
    }
    let written_v2 = inst.version.as_ref().is_some_and(|v| v.value == 2);
    if facts.strict && facts.ipv6 && written_v2 {
        diags.push(
            Diagnostic::error("E0264", "IPv6 needs VRRP version 3 in strict mode")
                .at(first.value.addr.span, "IPv6")
                .with_help("keepalived switches to version 3: write `version 3`"),
        );
    }
    if facts.ipv6 && facts.version == 2 {
        let mut d =
            Diagnostic::warning("W0213", "IPv6 virtual address in a VRRP version 2 instance")
                .at(first.value.addr.span, "IPv6");
        if let Some(v) = &inst.version {
            d = d.with_label(v.span, "version 2 chosen here");
        }
        diags.push(d.with_help("VRRP version 2 (RFC 3768) is IPv4 only: use `version 3`"));
    }
}

/// Strict mode: the initial state must follow the priority, and accept
/// mode is only for the address owner with VRRPv2.
fn check_strict(inst: &VrrpInstance, facts: &Facts, diags: &mut Vec<Diagnostic>) {
    if facts.state_mismatch {
        if let Some(state) = &inst.state {
            diags.push(
                Diagnostic::error(
                    "E0260",
                    "in strict mode the initial state must follow the priority",
                )
                .at(state.span, "keepalived ignores this state")
                .with_note("MASTER is for priority 255 (the address owner), BACKUP for the others")
                .with_help("remove `state`: keepalived derives it from the priority"),
            );
        }
    }
    if let Some(accept) = inst.accept.as_ref().filter(|a| a.value) {
        if facts.strict && !facts.owner() && facts.version == 2 {
            diags.push(
                Diagnostic::error(
                    "E0263",
                    "`accept` does not comply with VRRP version 2 in strict mode",
                )
                .at(accept.span, "keepalived clears this")
                .with_help("remove `accept`, or use `version 3`"),
            );
        }
    }
}

/// `nopreempt` and `preempt_delay` against the initial state and priority.
fn check_preemption(inst: &VrrpInstance, facts: &Facts, diags: &mut Vec<Diagnostic>) {
    let mut nopreempt = inst.preempt.as_ref().filter(|p| !p.value).map(|p| p.span);
    if let Some(at) = nopreempt {
        if facts.owner() {
            diags.push(
                Diagnostic::error("E0219", "`nopreempt` is incompatible with priority 255")
                    .at(at, "keepalived clears this")
                    .with_help("an address owner always takes over: remove `nopreempt` or lower the priority"),
            );
            nopreempt = None;
        } else if facts.master {
            diags.push(master_conflict("E0218", "`nopreempt`", at, inst));
            nopreempt = None;
        }
    }
    let Some(delay) = inst.preempt_delay.as_ref().filter(|d| !d.value.is_zero()) else {
        return;
    };
    if facts.master {
        diags.push(master_conflict(
            "E0220",
            "`preempt_delay`",
            delay.span,
            inst,
        ));
        return;
    }
    if facts.strict {
        diags.push(
            Diagnostic::error("E0262", "`preempt_delay` is not allowed in strict mode")
                .at(delay.span, "keepalived clears this")
                .with_help("remove `preempt_delay`, or `vrrp_strict` / `strict_mode`"),
        );
    }
    if let Some(at) = nopreempt {
        diags.push(
            Diagnostic::error("E0221", "`preempt_delay` is incompatible with `nopreempt`")
                .at(delay.span, "keepalived clears this")
                .with_label(at, "preemption is off here")
                .with_help("keep one of them"),
        );
    }
}

/// The first `other` line of `inst` with `keyword`.
fn raw<'a>(inst: &'a VrrpInstance, keyword: &str) -> Option<&'a crate::model::RawNode> {
    inst.other.iter().find(|n| n.keyword.value == keyword)
}

/// Unicast settings without unicast peers: keepalived falls back to
/// multicast and reports it.
fn check_unicast(inst: &VrrpInstance, diags: &mut Vec<Diagnostic>) {
    if !inst.unicast_peer.is_empty() {
        return;
    }
    if let Some(ttl) = raw(inst, "unicast_ttl") {
        diags.push(
            Diagnostic::error("E0228", "`unicast_ttl` without unicast peers")
                .at(ttl.keyword.span, "keepalived resets this")
                .with_help("add `unicast_peer { ADDR }`, or remove `unicast_ttl`"),
        );
    }
    if raw(inst, "unicast_fault_no_peer").is_some() {
        return;
    }
    let keyword = inst.unicast_src_ip.as_ref().map(|s| s.span).or_else(|| {
        ["check_unicast_src", "old_unicast_checksum"]
            .iter()
            .find_map(|k| raw(inst, k))
            .map(|n| n.keyword.span)
    });
    if let Some(at) = keyword {
        diags.push(
            Diagnostic::error("E0227", "a unicast setting without unicast peers")
                .at(at, "keepalived uses multicast")
                .with_note("keepalived reports this usage as deprecated")
                .with_help("add `unicast_peer { ADDR }`, or remove the unicast setting"),
        );
    }
}

/// "X does not work with state MASTER".
fn master_conflict(code: &'static str, what: &str, at: Span, inst: &VrrpInstance) -> Diagnostic {
    let mut d = Diagnostic::error(
        code,
        format!("{what} does not work with initial state MASTER"),
    )
    .at(at, "keepalived clears this");
    if let Some(state) = &inst.state {
        d = d.with_label(state.span, "initial state set here");
    }
    d.with_help("use `state BACKUP` on every router of the group")
}

/// `track_script` names and `track_interface` on the own interface.
fn check_tracking(inst: &VrrpInstance, ix: &Index<'_>, diags: &mut Vec<Diagnostic>) {
    check_track_script_names(&inst.track_script, ix, diags);
    check_track_file_names(&inst.track_file, ix, diags);
    let Some(own) = &inst.interface else { return };
    for t in &inst.track_interface {
        if t.name.value == own.value {
            diags.push(
                Diagnostic::error(
                    "E0224",
                    format!(
                        "track_interface `{}` is the instance's own interface",
                        own.value
                    ),
                )
                .at(t.name.span, "keepalived ignores this")
                .with_label(own.span, "the instance's interface")
                .with_help("the instance already tracks its own interface: remove this line"),
            );
        }
    }
}

/// Weighted tracking that keepalived drops: in a sync group (unless the
/// group has `sgroup_tracking_weight`) or for the address owner.
fn check_weights(inst: &VrrpInstance, facts: &Facts, ix: &Index<'_>, diags: &mut Vec<Diagnostic>) {
    let group = ix.group_of.get(inst.name.value.as_str()).copied();
    let in_group = group.is_some_and(|g| !has_tracking_weight(g));
    if !in_group && !facts.owner() {
        return;
    }
    let why = if in_group {
        "in a sync group"
    } else {
        "for the address owner"
    };
    let help = if in_group {
        "add `sgroup_tracking_weight` to the sync group, or write `weight 0`"
    } else {
        "an address owner ignores weights: write `weight 0`, or lower the priority"
    };
    let mut report = |span: Span, what: &str| {
        diags.push(
            Diagnostic::error("E0225", format!("weighted {what} is ignored {why}"))
                .at(span, "keepalived drops this weight")
                .with_help(help),
        );
    };
    for t in &inst.track_interface {
        if let Some(w) = t.weight.as_ref().filter(|w| w.value.value != 0) {
            report(w.span, "track_interface");
        }
    }
    for t in &inst.track_script {
        let Some(script) = resolve_script(ix, t) else {
            continue;
        };
        let weight = t.weight.as_ref().or(script.weight.as_ref());
        if let Some(w) = weight.filter(|w| w.value.value != 0) {
            let at = t.weight.as_ref().map_or(t.name.span, |_| w.span);
            report(at, "track_script");
        }
    }
    for t in &inst.track_file {
        let file = ix
            .files
            .get(t.name.value.as_str())
            .filter(|f| defined_before(f.name.span, t.name.span));
        let weight = t
            .weight
            .as_ref()
            .map(|w| w.value.value)
            .or_else(|| file.and_then(|f| f.weight.as_ref()).map(|w| w.value.value))
            .unwrap_or(1);
        if file.is_some() && weight != 0 {
            report(
                t.weight.as_ref().map_or(t.name.span, |w| w.span),
                "track_file",
            );
        }
    }
}

/// The sync group has `sgroup_tracking_weight`.
fn has_tracking_weight(group: &SyncGroup) -> bool {
    group
        .other
        .iter()
        .any(|n| n.keyword.value == "sgroup_tracking_weight")
}

/// Two instances of one family with one VRID on one link: the routers
/// cannot tell their adverts apart.
fn check_vrid_conflicts(config: &Config, diags: &mut Vec<Diagnostic>) {
    // Multicast: one channel per (VRID, family, interface, group).
    let mut multicast: HashMap<(u8, bool, &str, Option<&str>), &VrrpInstance> =
        HashMap::with_capacity_and_hasher(config.vrrp_instances.len(), Default::default());
    // Unicast: candidates per (VRID, family, source); peers decide.
    let mut unicast: HashMap<(u8, bool, Option<IpAddr>), Vec<&VrrpInstance>> = HashMap::default();
    for b in &config.vrrp_instances {
        let Some(vrid) = &b.virtual_router_id else {
            continue;
        };
        let fb = Facts::of(b, config);
        let clash = if fb.unicast {
            let src = b.unicast_src_ip.as_ref().map(|s| s.value);
            let peers: HashSet<IpAddr> = b.unicast_peer.iter().map(|p| p.value).collect();
            let earlier = unicast.entry((vrid.value, fb.ipv6, src)).or_default();
            let found = earlier
                .iter()
                .take(MAX_UNICAST_PAIRS)
                .find(|a| same_unicast_channel(a, b, &peers))
                .copied();
            earlier.push(b);
            found
        } else if let Some(ifname) = &b.interface {
            let key = (vrid.value, fb.ipv6, ifname.value.as_str(), mcast_group(b));
            let first = multicast.get(&key).copied();
            multicast.entry(key).or_insert(b);
            first
        } else {
            None
        };
        if let Some(a) = clash {
            diags.push(vrid_conflict(a, b, vrid.value, vrid.span, fb.ipv6));
        }
    }
}

/// "`A` and `B` both use VRID N".
fn vrid_conflict(a: &VrrpInstance, b: &VrrpInstance, vrid: u8, at: Span, ipv6: bool) -> Diagnostic {
    let first = a.virtual_router_id.as_ref().map_or(a.name.span, |v| v.span);
    let on = b
        .interface
        .as_ref()
        .map_or(String::new(), |i| format!(" on interface {}", i.value));
    Diagnostic::error(
        "E0226",
        format!(
            "`{}` and `{}` both use VRID {vrid} with IPv{}{on}",
            a.name.value,
            b.name.value,
            if ipv6 { 6 } else { 4 }
        ),
    )
    .at(at, "used again here")
    .with_label(first, format!("first used here by `{}`", a.name.value))
    .with_help("each VRRP group on a link needs its own virtual_router_id")
}

/// Whether two unicast instances of one VRID, family and source address
/// send adverts the other would take for its own: on one interface (or
/// either without one), with a common peer.
fn same_unicast_channel(a: &VrrpInstance, b: &VrrpInstance, b_peers: &HashSet<IpAddr>) -> bool {
    let ifa = a.interface.as_ref().map(|i| i.value.as_str());
    let ifb = b.interface.as_ref().map(|i| i.value.as_str());
    if ifa.is_some() && ifb.is_some() && ifa != ifb {
        return false;
    }
    a.unicast_peer.iter().any(|p| b_peers.contains(&p.value))
}

/// The `mcast_dst_ip` written for an instance, if any.
fn mcast_group(inst: &VrrpInstance) -> Option<&str> {
    inst.other
        .iter()
        .find(|n| n.keyword.value == "mcast_dst_ip")
        .and_then(|n| n.args.first())
        .map(|a| a.value.as_str())
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{at, codes, instance, run, sp, vip};
    use crate::model::{
        AuthType, Authentication, Config, InitialState, SyncGroup, TrackedName, VrrpScript, Weight,
    };
    use std::time::Duration;

    /// A configuration of the given instances.
    fn config(insts: Vec<crate::model::VrrpInstance>) -> Config {
        Config {
            vrrp_instances: insts,
            ..Config::default()
        }
    }

    /// The one diagnostic of `cfg`, checked for code, line and message.
    fn only(cfg: &Config, code: &str, line: u32, message: &str) -> crate::Diagnostic {
        let diags = run(cfg);
        assert_eq!(codes(&diags), vec![(code, line)], "{diags:#?}");
        assert_eq!(diags[0].message, message);
        assert!(diags[0].help.is_some(), "every diagnostic has a help line");
        diags[0].clone()
    }

    fn tracked(name: &str, line: u32) -> TrackedName {
        TrackedName {
            name: at(name.to_string(), line),
            weight: None,
        }
    }

    /// `enable_script_security` and `script_user root` on lines 98-99,
    /// so scripts are allowed.
    fn secure(cfg: &mut Config) {
        cfg.global_defs.enable_script_security = Some(at(true, 98));
        let root = crate::model::UserGroup {
            user: at("root".to_string(), 99),
            group: None,
        };
        cfg.global_defs.script_user = Some(at(root, 99));
    }

    fn script(name: &str, line: u32) -> VrrpScript {
        VrrpScript {
            name: at(name.to_string(), line),
            script: Some(at("/bin/true".to_string(), line + 1)),
            ..VrrpScript::default()
        }
    }

    #[test]
    fn a_complete_instance_is_clean() {
        assert_eq!(run(&config(vec![instance("VI_1", 51, 1)])), vec![]);
    }

    #[test]
    fn missing_vrid_points_at_the_instance() {
        let mut i = instance("VI_1", 51, 1);
        i.virtual_router_id = None;
        only(
            &config(vec![i]),
            "E0200",
            1,
            "vrrp_instance `VI_1` has no virtual_router_id",
        );
    }

    #[test]
    fn vrid_zero_is_out_of_range() {
        let mut i = instance("VI_1", 51, 1);
        i.virtual_router_id = Some(at(0, 7));
        let d = only(
            &config(vec![i]),
            "E0201",
            7,
            "virtual_router_id 0 is out of range",
        );
        assert_eq!(d.label.as_deref(), Some("must be 1 to 255"));
    }

    #[test]
    fn priority_zero_is_out_of_range() {
        let mut i = instance("VI_1", 51, 1);
        i.priority = Some(at(0, 9));
        only(&config(vec![i]), "E0202", 9, "priority 0 is out of range");
    }

    #[test]
    fn priority_255_warns_about_the_address_owner() {
        let mut i = instance("VI_1", 51, 1);
        i.priority = Some(at(255, 4));
        let d = only(
            &config(vec![i]),
            "W0203",
            4,
            "priority 255 makes `VI_1` the address owner",
        );
        assert_eq!(d.severity, crate::Severity::Warning);
    }

    #[test]
    fn master_without_priority_becomes_the_owner() {
        let mut i = instance("VI_1", 51, 1);
        i.priority = None;
        i.state = Some(at(InitialState::Master, 8));
        only(
            &config(vec![i]),
            "W0204",
            8,
            "`state MASTER` without `priority` makes `VI_1` the address owner (priority 255)",
        );
    }

    #[test]
    fn v2_advert_int_must_be_whole_seconds() {
        let mut i = instance("VI_1", 51, 1);
        i.advert_int = Some(at(Duration::from_millis(1500), 6));
        only(
            &config(vec![i]),
            "E0205",
            6,
            "advert_int of 1.5 s is not a whole number of seconds",
        );
    }

    #[test]
    fn v3_advert_int_below_40_96_seconds() {
        let mut i = instance("VI_1", 51, 1);
        i.version = Some(at(3, 5));
        i.advert_int = Some(at(Duration::from_secs(50), 6));
        only(
            &config(vec![i.clone()]),
            "E0206",
            6,
            "advert_int of 50 s is too long for VRRP version 3",
        );
        i.advert_int = Some(at(Duration::from_millis(40_950), 6));
        assert_eq!(run(&config(vec![i])), vec![]);
    }

    #[test]
    fn v3_advert_int_in_centiseconds() {
        let mut i = instance("VI_1", 51, 1);
        i.version = Some(at(3, 5));
        i.advert_int = Some(at(Duration::from_millis(15), 6));
        only(
            &config(vec![i.clone()]),
            "E0207",
            6,
            "advert_int of 0.015 s is not a multiple of 10 ms",
        );
        i.advert_int = Some(at(Duration::from_millis(10), 6));
        assert_eq!(run(&config(vec![i])), vec![]);
    }

    fn auth(kind: Option<AuthType>, pass: Option<&str>) -> Authentication {
        Authentication {
            span: sp(10),
            auth_type: kind.map(|k| at(k, 11)),
            auth_pass: pass.map(|p| at(p.to_string(), 12)),
        }
    }

    #[test]
    fn eight_characters_are_fine() {
        let mut i = instance("VI_1", 51, 1);
        i.authentication = Some(auth(Some(AuthType::Pass), Some("passw123")));
        assert_eq!(run(&config(vec![i])), vec![]);
    }

    #[test]
    fn version_3_has_no_authentication() {
        let mut i = instance("VI_1", 51, 1);
        i.version = Some(at(3, 5));
        i.authentication = Some(auth(Some(AuthType::Pass), Some("secret")));
        only(
            &config(vec![i]),
            "E0209",
            10,
            "VRRP version 3 has no authentication",
        );
    }

    #[test]
    fn global_vrrp_version_3_counts() {
        let mut cfg = config(vec![instance("VI_1", 51, 1)]);
        cfg.vrrp_instances[0].authentication = Some(auth(Some(AuthType::Pass), Some("x")));
        cfg.global_defs.vrrp_version = Some(at(3, 20));
        only(&cfg, "E0209", 10, "VRRP version 3 has no authentication");
    }

    #[test]
    fn auth_type_needs_a_password() {
        let mut i = instance("VI_1", 51, 1);
        i.authentication = Some(auth(Some(AuthType::Pass), None));
        only(
            &config(vec![i]),
            "E0210",
            11,
            "auth_type is set but there is no auth_pass",
        );
    }

    #[test]
    fn ah_is_not_for_ipv6() {
        let mut i = instance("VI_1", 51, 1);
        i.version = Some(at(2, 5));
        i.virtual_ipaddress = vec![vip("2001:db8::1", 6)];
        i.authentication = Some(auth(Some(AuthType::Ah), Some("secret")));
        let diags = run(&config(vec![i]));
        assert_eq!(codes(&diags), vec![("E0211", 11), ("W0213", 6)]);
        assert_eq!(
            diags[0].message,
            "AH authentication cannot be used with IPv6"
        );
    }

    #[test]
    fn ah_with_initial_master() {
        let mut i = instance("VI_1", 51, 1);
        i.state = Some(at(InitialState::Master, 8));
        i.authentication = Some(auth(Some(AuthType::Ah), Some("secret")));
        let d = only(
            &config(vec![i]),
            "E0212",
            8,
            "initial state MASTER is incompatible with AH authentication",
        );
        assert_eq!(d.labels[0].span.line, 11);
    }

    #[test]
    fn ipv6_with_version_2_warns() {
        let mut i = instance("VI_1", 51, 1);
        i.version = Some(at(2, 5));
        i.virtual_ipaddress = vec![vip("2001:db8::1", 6)];
        let d = only(
            &config(vec![i]),
            "W0213",
            6,
            "IPv6 virtual address in a VRRP version 2 instance",
        );
        assert_eq!(d.labels[0].span.line, 5);
    }

    #[test]
    fn ipv6_without_version_is_version_3() {
        let mut i = instance("VI_1", 51, 1);
        i.virtual_ipaddress = vec![vip("2001:db8::1", 6)];
        assert_eq!(run(&config(vec![i])), vec![]);
    }

    #[test]
    fn second_family_is_ignored() {
        let mut i = instance("VI_1", 51, 1);
        i.virtual_ipaddress.push(vip("2001:db8::1", 6));
        let d = only(
            &config(vec![i]),
            "E0214",
            6,
            "virtual address family differs from the instance's first address",
        );
        assert_eq!(d.labels[0].span.line, 5);
    }

    #[test]
    fn no_virtual_address() {
        let mut i = instance("VI_1", 51, 1);
        i.virtual_ipaddress.clear();
        only(
            &config(vec![i]),
            "E0215",
            1,
            "vrrp_instance `VI_1` has no virtual address",
        );
    }

    #[test]
    fn no_interface() {
        let mut i = instance("VI_1", 51, 1);
        i.interface = None;
        only(
            &config(vec![i.clone()]),
            "E0216",
            1,
            "vrrp_instance `VI_1` has no interface",
        );
        // keepalived wants an interface even for a unicast instance.
        i.unicast_peer = vec![at(super::super::testutil::ip("192.0.2.9"), 9)];
        i.unicast_src_ip = Some(at(super::super::testutil::ip("192.0.2.8"), 10));
        only(
            &config(vec![i]),
            "E0216",
            1,
            "vrrp_instance `VI_1` has no interface",
        );
    }

    #[test]
    fn loopback_interface() {
        let mut i = instance("VI_1", 51, 1);
        i.interface = Some(at("lo".to_string(), 2));
        only(
            &config(vec![i]),
            "E0217",
            2,
            "a loopback interface cannot carry VRRP",
        );
    }

    #[test]
    fn nopreempt_with_master() {
        let mut i = instance("VI_1", 51, 1);
        i.state = Some(at(InitialState::Master, 8));
        i.preempt = Some(at(false, 9));
        let d = only(
            &config(vec![i]),
            "E0218",
            9,
            "`nopreempt` does not work with initial state MASTER",
        );
        assert_eq!(d.labels[0].span.line, 8);
    }

    #[test]
    fn nopreempt_with_owner() {
        let mut i = instance("VI_1", 51, 1);
        i.priority = Some(at(255, 4));
        i.preempt = Some(at(false, 9));
        let diags = run(&config(vec![i]));
        assert_eq!(codes(&diags), vec![("W0203", 4), ("E0219", 9)]);
        assert_eq!(
            diags[1].message,
            "`nopreempt` is incompatible with priority 255"
        );
    }

    #[test]
    fn preempt_delay_with_master() {
        let mut i = instance("VI_1", 51, 1);
        i.state = Some(at(InitialState::Master, 8));
        i.preempt_delay = Some(at(Duration::from_secs(10), 9));
        only(
            &config(vec![i]),
            "E0220",
            9,
            "`preempt_delay` does not work with initial state MASTER",
        );
    }

    #[test]
    fn preempt_delay_with_nopreempt() {
        let mut i = instance("VI_1", 51, 1);
        i.preempt = Some(at(false, 8));
        i.preempt_delay = Some(at(Duration::from_secs(10), 9));
        let d = only(
            &config(vec![i]),
            "E0221",
            9,
            "`preempt_delay` is incompatible with `nopreempt`",
        );
        assert_eq!(d.labels[0].span.line, 8);
    }

    #[test]
    fn track_script_must_be_defined() {
        let mut i = instance("VI_1", 51, 10);
        i.track_script = vec![tracked("chk_haproxi", 16)];
        let mut cfg = config(vec![i]);
        cfg.vrrp_scripts = vec![script("chk_haproxy", 1)];
        secure(&mut cfg);
        let diags = run(&cfg);
        assert_eq!(codes(&diags), vec![("E0222", 16), ("W0284", 1)]);
        assert_eq!(
            diags[0].message,
            "track_script `chk_haproxi` is not defined"
        );
        let help = diags[0].help.as_deref().unwrap_or("");
        assert!(help.ends_with("did you mean `chk_haproxy`?"), "{help}");
    }

    #[test]
    fn track_script_defined_after_use() {
        let mut i = instance("VI_1", 51, 1);
        i.track_script = vec![tracked("chk", 7)];
        let mut cfg = config(vec![i]);
        cfg.vrrp_scripts = vec![script("chk", 20)];
        secure(&mut cfg);
        let d = only(
            &cfg,
            "E0222",
            7,
            "track_script `chk` is defined after its use",
        );
        assert_eq!(d.labels[0].span.line, 20);
        assert_eq!(d.labels[0].message, "defined here");
    }

    #[test]
    fn track_script_twice() {
        let mut i = instance("VI_1", 51, 10);
        i.track_script = vec![tracked("chk", 16), tracked("chk", 17)];
        let mut cfg = config(vec![i]);
        cfg.vrrp_scripts = vec![script("chk", 1)];
        secure(&mut cfg);
        let d = only(&cfg, "E0223", 17, "`chk` is tracked twice");
        assert_eq!(d.labels[0].span.line, 16);
    }

    #[test]
    fn track_file_defined_after_use() {
        let mut i = instance("VI_1", 51, 1);
        i.track_file = vec![tracked("f1", 8)];
        let mut cfg = config(vec![i]);
        cfg.track_files = vec![crate::model::TrackFile {
            name: at("f1".to_string(), 11),
            ..crate::model::TrackFile::default()
        }];
        let d = only(&cfg, "E0229", 8, "track_file `f1` is defined after its use");
        assert_eq!(d.labels[0].span.line, 11);
    }

    #[test]
    fn unicast_settings_need_peers() {
        let mut i = instance("VI_1", 51, 1);
        i.unicast_src_ip = Some(at(super::super::testutil::ip("192.0.2.5"), 6));
        i.other = vec![crate::model::RawNode {
            keyword: at("unicast_ttl".to_string(), 7),
            args: vec![at("5".to_string(), 7)],
            block: None,
        }];
        let diags = run(&config(vec![i.clone()]));
        assert_eq!(codes(&diags), vec![("E0228", 7), ("E0227", 6)]);
        assert_eq!(diags[0].message, "`unicast_ttl` without unicast peers");
        assert_eq!(diags[1].message, "a unicast setting without unicast peers");
        i.unicast_peer = vec![at(super::super::testutil::ip("192.0.2.6"), 8)];
        assert_eq!(run(&config(vec![i])), vec![]);
    }

    #[test]
    fn tracking_the_own_interface() {
        let mut i = instance("VI_1", 51, 1);
        i.track_interface = vec![tracked("eth0", 9)];
        only(
            &config(vec![i]),
            "E0224",
            9,
            "track_interface `eth0` is the instance's own interface",
        );
    }

    fn group(name: &str, members: &[&str], line: u32) -> SyncGroup {
        SyncGroup {
            name: at(name.to_string(), line),
            group: members
                .iter()
                .enumerate()
                .map(|(n, m)| at((*m).to_string(), line + 1 + n as u32))
                .collect(),
            ..SyncGroup::default()
        }
    }

    #[test]
    fn weights_are_dropped_in_a_sync_group() {
        let mut a = instance("A", 1, 10);
        a.track_interface = vec![TrackedName {
            name: at("eth1".to_string(), 16),
            weight: Some(at(
                Weight {
                    value: 10,
                    reverse: false,
                },
                16,
            )),
        }];
        let b = instance("B", 2, 20);
        let mut cfg = config(vec![a, b]);
        cfg.vrrp_sync_groups = vec![group("G", &["A", "B"], 1)];
        only(
            &cfg,
            "E0225",
            16,
            "weighted track_interface is ignored in a sync group",
        );
    }

    #[test]
    fn script_weight_is_dropped_for_the_owner() {
        let mut a = instance("A", 1, 10);
        a.priority = Some(at(255, 13));
        a.track_script = vec![tracked("chk", 16)];
        let mut s = script("chk", 1);
        s.weight = Some(at(
            Weight {
                value: 2,
                reverse: false,
            },
            3,
        ));
        let mut cfg = config(vec![a]);
        cfg.vrrp_scripts = vec![s];
        secure(&mut cfg);
        let diags = run(&cfg);
        assert_eq!(codes(&diags), vec![("W0203", 13), ("E0225", 16)]);
        assert_eq!(
            diags[1].message,
            "weighted track_script is ignored for the address owner"
        );
    }

    #[test]
    fn duplicate_vrid_on_one_interface() {
        let cfg = config(vec![instance("A", 51, 1), instance("B", 51, 10)]);
        let d = only(
            &cfg,
            "E0226",
            12,
            "`A` and `B` both use VRID 51 with IPv4 on interface eth0",
        );
        assert_eq!(d.labels[0].span.line, 3);
        assert_eq!(d.labels[0].message, "first used here by `A`");
    }

    #[test]
    fn same_vrid_elsewhere_is_fine() {
        let mut b = instance("B", 51, 10);
        b.interface = Some(at("eth1".to_string(), 11));
        let mut c = instance("C", 51, 20);
        c.virtual_ipaddress = vec![vip("2001:db8::1", 24)];
        assert_eq!(run(&config(vec![instance("A", 51, 1), b, c])), vec![]);
    }

    /// keepalived 2.2.7 on this instance under `vrrp_strict` reports:
    /// state must match owner, no authentication, no preempt_delay, no
    /// accept with VRRPv2 (in that order; lines differ here).
    #[test]
    fn strict_mode_rules() {
        let mut i = instance("VI_1", 51, 1);
        i.state = Some(at(InitialState::Master, 6));
        i.accept = Some(at(true, 7));
        i.preempt_delay = Some(at(Duration::from_secs(5), 8));
        i.authentication = Some(auth(Some(AuthType::Pass), Some("x")));
        let mut cfg = config(vec![i]);
        cfg.global_defs.vrrp_strict = Some(at(true, 30));
        let diags = run(&cfg);
        assert_eq!(
            codes(&diags),
            vec![("E0260", 6), ("E0263", 7), ("E0261", 10), ("E0262", 8)]
        );
        assert_eq!(
            diags[0].message,
            "in strict mode the initial state must follow the priority"
        );
        assert_eq!(
            diags[1].message,
            "`accept` does not comply with VRRP version 2 in strict mode"
        );
        assert_eq!(
            diags[2].message,
            "strict mode does not allow authentication"
        );
        assert_eq!(
            diags[3].message,
            "`preempt_delay` is not allowed in strict mode"
        );
        cfg.global_defs.vrrp_strict = None;
        cfg.vrrp_instances[0].strict_mode = Some(at(true, 9));
        assert_eq!(run(&cfg).len(), 4, "strict_mode in the instance counts too");
    }

    #[test]
    fn strict_ipv6_needs_version_3() {
        let mut i = instance("VI_1", 51, 1);
        i.version = Some(at(2, 5));
        i.virtual_ipaddress = vec![vip("2001:db8::1", 6)];
        i.strict_mode = Some(at(true, 7));
        only(
            &config(vec![i]),
            "E0264",
            6,
            "IPv6 needs VRRP version 3 in strict mode",
        );
    }

    #[test]
    fn seconds_are_shown_without_trailing_zeros() {
        assert_eq!(super::seconds(Duration::from_millis(1500)), "1.5");
        assert_eq!(super::seconds(Duration::from_secs(3)), "3");
        assert_eq!(super::seconds(Duration::from_micros(10)), "0.00001");
    }
}
