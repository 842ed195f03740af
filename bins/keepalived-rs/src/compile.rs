//! The configuration model compiled into what the daemon runs: lbkit-vrrp
//! instance configurations grouped by the interface (and socket) they
//! share, sync groups, notify scripts and the `vrrp_script`s to run.
//!
//! A router runs one socket per interface, family and AH key (its
//! links). Instances on their own share the router of their link; a sync
//! group whose members sit on several links joins those links into one
//! router, so the group's machine sees all its members.
//!
//! What cannot be run is an error diagnostic at the place it was written;
//! what is accepted but not applied yet is a warning.

use lbkit_keepalived_cfg::model::{
    self, AuthType, GlobalDefs, ScriptCommand, Spanned, TrackedName, VrrpInstance,
};
use lbkit_keepalived_cfg::{Diagnostic, Span};
use lbkit_vrrp::io::Vip;
use lbkit_vrrp::machine::{Config, GarpConfig, InitialState, Track, TrackKind, TrackStatus};
use lbkit_vrrp::wire::Family;
use lbkit_vrrp::{Auth, Version};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// Everything to run.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// One per interface, family and AH key.
    pub(crate) routers: Vec<RouterPlan>,
    /// The `vrrp_script`s some instance tracks.
    pub(crate) scripts: Vec<ScriptPlan>,
}

/// The instances of one router: link 0 is the socket of `interface`,
/// `family` and `ah_key`; link `i` is `extra[i - 1]` (sync groups that
/// span interfaces or families).
#[derive(Debug)]
pub(crate) struct RouterPlan {
    /// The interface.
    pub(crate) interface: String,
    /// IPv4 or IPv6.
    pub(crate) family: Family,
    /// IPsec AH key (the socket is then an AH socket).
    pub(crate) ah_key: Option<[u8; 8]>,
    /// The router's other sockets.
    pub(crate) extra: Vec<LinkPlan>,
    /// Instances on their own, and sync groups.
    pub(crate) units: Vec<UnitPlan>,
}

impl RouterPlan {
    /// The index of the link of `key`, if the router has it.
    fn link_of(&self, key: &LinkPlan) -> Option<usize> {
        if self.interface == key.interface && self.family == key.family && self.ah_key == key.ah_key
        {
            return Some(0);
        }
        self.extra.iter().position(|k| k == key).map(|i| i + 1)
    }

    /// Every instance of the router.
    fn instances_mut(&mut self) -> impl Iterator<Item = &mut InstancePlan> {
        self.units.iter_mut().flat_map(|u| match u {
            UnitPlan::Single(i) => std::slice::from_mut(i),
            UnitPlan::Group { members, .. } => members.as_mut_slice(),
        })
    }
}

/// An instance, or a sync group.
#[derive(Debug)]
// Built once per load and consumed at once: the size of a single
// instance's plan does not matter.
#[allow(clippy::large_enum_variant)]
pub(crate) enum UnitPlan {
    /// An instance on its own.
    Single(InstancePlan),
    /// Instances that move together.
    Group {
        /// The group's name.
        name: String,
        /// Its members, in the group's order.
        members: Vec<InstancePlan>,
        /// The group's notify scripts.
        notify: NotifyPlan,
    },
}

/// One `vrrp_instance`.
#[derive(Debug)]
pub(crate) struct InstancePlan {
    /// Its name.
    pub(crate) name: String,
    /// The machine's configuration. Its primary address is the unspecified
    /// address unless `unicast_src_ip` / `mcast_src_ip` gave one: the
    /// daemon fills in the interface's address.
    pub(crate) config: Config,
    /// Whether the primary address came from the configuration.
    pub(crate) primary_given: bool,
    /// The virtual addresses with their prefix lengths.
    pub(crate) vips: Vec<Vip>,
    /// Addresses that go on another interface than the instance's
    /// (`dev IF`), with that interface.
    pub(crate) devices: Vec<(IpAddr, String)>,
    /// The router link it runs on (see [`RouterPlan`]).
    pub(crate) link: usize,
    /// The notify scripts.
    pub(crate) notify: NotifyPlan,
}

/// notify_master / _backup / _fault / _stop and notify.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct NotifyPlan {
    /// Run on entering MASTER.
    pub(crate) master: Option<String>,
    /// Run on entering BACKUP.
    pub(crate) backup: Option<String>,
    /// Run on entering FAULT.
    pub(crate) fault: Option<String>,
    /// Run on stopping.
    pub(crate) stop: Option<String>,
    /// Run on every change, with TYPE NAME STATE PRIORITY appended.
    pub(crate) any: Option<String>,
}

/// One `vrrp_script`, with keepalived's defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScriptPlan {
    /// Its name (what `track_script` names).
    pub(crate) name: String,
    /// The command line.
    pub(crate) command: String,
    /// Time between runs.
    pub(crate) interval: Duration,
    /// A run longer than this fails.
    pub(crate) timeout: Duration,
    /// Successes needed to go up.
    pub(crate) rise: u32,
    /// Failures needed to go down.
    pub(crate) fall: u32,
    /// `init_fail`: starts failed.
    pub(crate) init_fail: bool,
}

/// Compiles the model; `Err` holds at least one error diagnostic. The
/// warnings come with the plan.
pub(crate) fn compile(cfg: &model::Config) -> Result<(Plan, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut plans: Vec<(LinkPlan, InstancePlan)> = Vec::new();
    for inst in &cfg.vrrp_instances {
        if let Some(p) = instance(inst, cfg, &mut diags) {
            plans.push(p);
        }
    }
    let mut plan = Plan {
        scripts: scripts(cfg),
        ..Plan::default()
    };
    let mut taken = vec![false; plans.len()];
    let known: Vec<&str> = cfg
        .vrrp_instances
        .iter()
        .map(|i| i.name.value.as_str())
        .collect();
    for group in &cfg.vrrp_sync_groups {
        sync_group(group, &mut plans, &mut taken, &mut plan, &known, &mut diags);
    }
    for ((key, mut inst), used) in plans.into_iter().zip(taken) {
        if !used {
            let (router, link) = router_for(&mut plan, key);
            inst.link = link;
            router.units.push(UnitPlan::Single(inst));
        }
    }
    unique_vrids(&plan, cfg, &mut diags);
    if diags
        .iter()
        .any(|d| d.severity == lbkit_keepalived_cfg::Severity::Error)
    {
        return Err(diags);
    }
    Ok((plan, diags))
}

/// What instances must share to be on one socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinkPlan {
    /// The interface.
    pub(crate) interface: String,
    /// IPv4 or IPv6.
    pub(crate) family: Family,
    /// IPsec AH key.
    pub(crate) ah_key: Option<[u8; 8]>,
}

/// The router that has the link of `key` (created when missing) and the
/// link's index there.
fn router_for(plan: &mut Plan, key: LinkPlan) -> (&mut RouterPlan, usize) {
    let found = plan
        .routers
        .iter()
        .enumerate()
        .find_map(|(at, r)| r.link_of(&key).map(|link| (at, link)));
    let (at, link) = found.unwrap_or_else(|| {
        plan.routers.push(RouterPlan {
            interface: key.interface,
            family: key.family,
            ah_key: key.ah_key,
            extra: Vec::new(),
            units: Vec::new(),
        });
        (plan.routers.len() - 1, 0)
    });
    (&mut plan.routers[at], link)
}

/// The router for a sync group on the links of `keys`: the one that has
/// any of them, the others that have some merged into it, the missing
/// links added; its index.
fn router_for_all(plan: &mut Plan, keys: &[LinkPlan]) -> usize {
    let mut holding: Vec<usize> = (0..plan.routers.len())
        .filter(|&at| keys.iter().any(|k| plan.routers[at].link_of(k).is_some()))
        .collect();
    let at = match holding.first() {
        Some(&at) => at,
        None => {
            let Some(first) = keys.first() else {
                return 0;
            };
            router_for(plan, first.clone());
            plan.routers.len() - 1
        }
    };
    // Merge the others, last first so the indices stay valid (they all
    // come after `at`).
    holding.retain(|&h| h != at);
    for &other in holding.iter().rev() {
        let moved = plan.routers.remove(other);
        merge(&mut plan.routers[at], moved);
    }
    let router = &mut plan.routers[at];
    for k in keys {
        if router.link_of(k).is_none() {
            router.extra.push(k.clone());
        }
    }
    at
}

/// Moves `other`'s links and units into `into`.
fn merge(into: &mut RouterPlan, mut other: RouterPlan) {
    let mut links = vec![LinkPlan {
        interface: other.interface.clone(),
        family: other.family,
        ah_key: other.ah_key,
    }];
    links.append(&mut other.extra);
    let mut map = Vec::new();
    for k in links {
        let link = into.link_of(&k).unwrap_or_else(|| {
            into.extra.push(k);
            into.extra.len()
        });
        map.push(link);
    }
    for inst in other.instances_mut() {
        inst.link = map.get(inst.link).copied().unwrap_or(0);
    }
    into.units.append(&mut other.units);
}

/// A router tells its instances apart by VRID: two instances of one
/// router (on one link, or on links a sync group joined) may not share
/// one.
fn unique_vrids(plan: &Plan, cfg: &model::Config, diags: &mut Vec<Diagnostic>) {
    for r in &plan.routers {
        let mut seen: Vec<(u8, &str)> = Vec::new();
        let all = r.units.iter().flat_map(|u| match u {
            UnitPlan::Single(i) => std::slice::from_ref(i),
            UnitPlan::Group { members, .. } => members.as_slice(),
        });
        for inst in all {
            let vrid = inst.config.vrid;
            if let Some((_, first)) = seen.iter().find(|(v, _)| *v == vrid) {
                let span = cfg
                    .vrrp_instances
                    .iter()
                    .find(|i| i.name.value == inst.name)
                    .and_then(|i| i.virtual_router_id.as_ref().map(|v| v.span));
                if let Some(span) = span {
                    diags.push(error(
                        span,
                        &format!(
                            "virtual_router_id {vrid} is already used by {first} on the same \
                             interface, or on an interface a sync group joins to this one"
                        ),
                        "duplicate VRID",
                    ));
                }
            } else {
                seen.push((vrid, &inst.name));
            }
        }
    }
}

/// The `vrrp_script`s, with keepalived's defaults (interval 1 s, timeout
/// the interval, rise and fall 1).
fn scripts(cfg: &model::Config) -> Vec<ScriptPlan> {
    cfg.vrrp_scripts
        .iter()
        .filter_map(|s| {
            Some(ScriptPlan {
                name: s.name.value.clone(),
                command: s.script.as_ref()?.value.clone(),
                interval: s.effective_interval(),
                timeout: s.effective_timeout(),
                rise: s.rise.as_ref().map_or(1, |r| r.value.max(1)),
                fall: s.fall.as_ref().map_or(1, |f| f.value.max(1)),
                init_fail: s.init_fail.as_ref().is_some_and(|f| f.value),
            })
        })
        .collect()
}

/// Moves the members of one `vrrp_sync_group` into a group unit.
fn sync_group(
    group: &model::SyncGroup,
    plans: &mut [(LinkPlan, InstancePlan)],
    taken: &mut [bool],
    plan: &mut Plan,
    known: &[&str],
    diags: &mut Vec<Diagnostic>,
) {
    let mut indices = Vec::new();
    for member in &group.group {
        let found = plans.iter().position(|(_, p)| p.name == member.value);
        match found {
            Some(i) if taken.get(i) == Some(&true) || indices.contains(&i) => diags.push(error(
                member.span,
                "instance is already in a sync group",
                "second membership",
            )),
            Some(i) => indices.push(i),
            // An instance that did not compile has its own errors already.
            None if known.contains(&member.value.as_str()) => {}
            None => diags.push(error(
                member.span,
                "sync group member is not a vrrp_instance",
                "no such instance",
            )),
        }
    }
    if indices.is_empty() {
        return;
    }
    let keys: Vec<LinkPlan> = indices.iter().map(|&i| plans[i].0.clone()).collect();
    let at = router_for_all(plan, &keys);
    let router = &mut plan.routers[at];
    let mut members = Vec::new();
    for &i in &indices {
        taken[i] = true;
        let (key, p) = &mut plans[i];
        members.push(InstancePlan {
            name: p.name.clone(),
            config: p.config.clone(),
            primary_given: p.primary_given,
            vips: std::mem::take(&mut p.vips),
            devices: std::mem::take(&mut p.devices),
            link: router.link_of(key).unwrap_or(0),
            notify: p.notify.clone(),
        });
    }
    router.units.push(UnitPlan::Group {
        name: group.name.value.clone(),
        members,
        notify: NotifyPlan {
            master: command(group.notify_master.as_deref()),
            backup: command(group.notify_backup.as_deref()),
            fault: command(group.notify_fault.as_deref()),
            stop: command(group.notify_stop.as_deref()),
            any: command(group.notify.as_deref()),
        },
    });
}

/// One `vrrp_instance`, or `None` after pushing its errors.
fn instance(
    inst: &VrrpInstance,
    cfg: &model::Config,
    diags: &mut Vec<Diagnostic>,
) -> Option<(LinkPlan, InstancePlan)> {
    let globals = &cfg.global_defs;
    let name = &inst.name;
    let Some(interface) = inst
        .interface
        .as_ref()
        .map(|i| i.value.clone())
        .or_else(|| globals.default_interface.as_ref().map(|i| i.value.clone()))
    else {
        diags.push(error(
            name.span,
            "vrrp_instance has no interface",
            "add `interface IF`",
        ));
        return None;
    };
    let Some(vrid) = inst.virtual_router_id.as_ref() else {
        diags.push(error(
            name.span,
            "vrrp_instance has no virtual_router_id",
            "add `virtual_router_id 1-255`",
        ));
        return None;
    };
    let version = version_of(inst, globals, diags)?;
    // Report every problem of the instance before giving up on it.
    let vips = vips(inst, &interface, diags);
    let tracks = tracks(inst, &interface, cfg, diags);
    let (Some((vips, devices)), Some(tracks)) = (vips, tracks) else {
        return None;
    };
    let family = family_of(inst, &vips, diags)?;
    let (auth, ah_key) = auth(inst);
    let primary = inst
        .unicast_src_ip
        .as_ref()
        .or(inst.mcast_src_ip.as_ref())
        .map(|a| a.value);
    let unspecified = match family {
        Family::V4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        Family::V6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let mut config = Config::new(
        version,
        vrid.value,
        inst.effective_priority(),
        primary.unwrap_or(unspecified),
        vips.iter().map(|v| v.addr).collect(),
    );
    config.advert_interval = inst.effective_advert_int();
    config.auth = auth;
    config.initial_state = match inst.state.as_ref().map(|s| s.value) {
        Some(model::InitialState::Master) => InitialState::Master,
        _ => InitialState::Backup,
    };
    config.preempt = inst.preempt.as_ref().is_none_or(|p| p.value);
    config.preempt_delay = inst
        .preempt_delay
        .as_ref()
        .map_or(Duration::ZERO, |d| d.value);
    config.accept = inst.accept.as_ref().is_some_and(|a| a.value);
    config.unicast_peers = inst.unicast_peer.iter().map(|p| p.value).collect();
    config.garp = garp(inst, globals);
    config.lower_prio_no_advert = flag(&globals.vrrp_lower_prio_no_advert);
    config.higher_prio_send_advert = flag(&globals.vrrp_higher_prio_send_advert);
    config.check_unicast_src = flag(&globals.vrrp_check_unicast_src);
    config.tracks = tracks;
    let config = config.normalised();
    if let Err(e) = lbkit_vrrp::machine::Instance::new(config.clone()) {
        diags.push(error(
            name.span,
            &format!("cannot run this instance: {e}"),
            "here",
        ));
        return None;
    }
    let key = LinkPlan {
        interface,
        family,
        ah_key,
    };
    let plan = InstancePlan {
        name: name.value.clone(),
        config,
        primary_given: primary.is_some(),
        vips,
        devices,
        link: 0,
        notify: NotifyPlan {
            master: command(inst.notify_master.as_deref()),
            backup: command(inst.notify_backup.as_deref()),
            fault: command(inst.notify_fault.as_deref()),
            stop: command(inst.notify_stop.as_deref()),
            any: command(inst.notify.as_deref()),
        },
    };
    Some((key, plan))
}

/// `version` in the instance, else `vrrp_version` in global_defs, else 2.
fn version_of(
    inst: &VrrpInstance,
    globals: &GlobalDefs,
    diags: &mut Vec<Diagnostic>,
) -> Option<Version> {
    let given = inst.version.as_ref().or(globals.vrrp_version.as_ref());
    match given.map(|v| (v.value, v.span)) {
        None | Some((2, _)) => Some(Version::V2),
        Some((3, _)) => Some(Version::V3),
        Some((_, span)) => {
            diags.push(error(span, "VRRP version must be 2 or 3", "here"));
            None
        }
    }
}

/// A virtual address on another interface than its instance's.
type Device = (IpAddr, String);

/// The virtual addresses, and those that name another interface with
/// `dev` (keepalived adds and announces them there). Labels are applied
/// by the daemon's settings.
fn vips(
    inst: &VrrpInstance,
    interface: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Vec<Vip>, Vec<Device>)> {
    let mut out = Vec::new();
    let mut devices = Vec::new();
    for va in &inst.virtual_ipaddress {
        let v = &va.value;
        if let Some(dev) = v.dev.as_ref().filter(|d| d.value != interface) {
            devices.push((v.addr.value.addr, dev.value.clone()));
        }
        out.push(Vip {
            addr: v.addr.value.addr,
            prefix_len: v.addr.value.prefix_len(),
        });
    }
    if out.is_empty() {
        diags.push(error(
            inst.name.span,
            "vrrp_instance has no virtual_ipaddress",
            "add a virtual_ipaddress block",
        ));
        return None;
    }
    Some((out, devices))
}

/// The family of the instance's addresses; mixed is an error.
fn family_of(inst: &VrrpInstance, vips: &[Vip], diags: &mut Vec<Diagnostic>) -> Option<Family> {
    let v6 = vips.first().is_some_and(|v| v.addr.is_ipv6());
    let mixed = inst
        .virtual_ipaddress
        .iter()
        .find(|va| va.value.addr.value.addr.is_ipv6() != v6);
    if let Some(va) = mixed {
        diags.push(error(
            va.span,
            "IPv4 and IPv6 virtual addresses in one instance are not supported",
            "other family",
        ));
        return None;
    }
    Some(if v6 { Family::V6 } else { Family::V4 })
}

/// `authentication { auth_type PASS|AH auth_pass P }`: the password is
/// zero-padded or cut to 8 bytes, as keepalived does.
fn auth(inst: &VrrpInstance) -> (Auth, Option<[u8; 8]>) {
    let Some(a) = &inst.authentication else {
        return (Auth::None, None);
    };
    let mut key = [0u8; 8];
    if let Some(pass) = &a.auth_pass {
        for (k, b) in key.iter_mut().zip(pass.value.bytes()) {
            *k = b;
        }
    }
    match a.auth_type.as_ref().map(|t| t.value) {
        Some(AuthType::Ah) => (Auth::Ah, Some(key)),
        Some(AuthType::Pass) => (Auth::Password(key), None),
        _ => (Auth::None, None),
    }
}

/// The instance's garp_* settings, else the global vrrp_garp_* ones, else
/// keepalived's defaults.
fn garp(inst: &VrrpInstance, g: &GlobalDefs) -> GarpConfig {
    let d = GarpConfig::default();
    let dur = |a: &Option<Spanned<Duration>>, b: &Option<Spanned<Duration>>, def| {
        a.as_ref().or(b.as_ref()).map_or(def, |x| x.value)
    };
    let num = |a: &Option<Spanned<u32>>, b: &Option<Spanned<u32>>, def| {
        a.as_ref().or(b.as_ref()).map_or(def, |x| x.value)
    };
    GarpConfig {
        master_delay: dur(
            &inst.garp_master_delay,
            &g.vrrp_garp_master_delay,
            d.master_delay,
        ),
        master_repeat: num(
            &inst.garp_master_repeat,
            &g.vrrp_garp_master_repeat,
            d.master_repeat,
        ),
        master_refresh: dur(
            &inst.garp_master_refresh,
            &g.vrrp_garp_master_refresh,
            d.master_refresh,
        ),
        master_refresh_repeat: num(
            &inst.garp_master_refresh_repeat,
            &g.vrrp_garp_master_refresh_repeat,
            d.master_refresh_repeat,
        ),
        lower_prio_repeat: num(
            &inst.garp_lower_prio_repeat,
            &g.vrrp_garp_lower_prio_repeat,
            d.lower_prio_repeat,
        ),
    }
}

/// track_script and track_interface as tracked objects. The weight in the
/// `track_script` block overrides the script's own (keepalived's
/// vrrp_track.c); a weight of 0 means a failure puts the instance in
/// FAULT. A script starts up unless it has `init_fail`.
fn tracks(
    inst: &VrrpInstance,
    interface: &str,
    cfg: &model::Config,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Track>> {
    let mut out = Vec::new();
    let mut ok = true;
    for t in &inst.track_script {
        let Some(script) = cfg
            .vrrp_scripts
            .iter()
            .find(|s| s.name.value == t.name.value)
        else {
            diags.push(error(
                t.name.span,
                "no vrrp_script of this name",
                "unknown script",
            ));
            ok = false;
            continue;
        };
        let weight = weight_of(t).unwrap_or_else(|| script.effective_weight());
        let mut track = Track::new(t.name.value.clone(), TrackKind::Script, weight.value);
        track.reverse = weight.reverse;
        if script.init_fail.as_ref().is_some_and(|f| f.value) {
            track.initial = TrackStatus::Down;
        }
        out.push(track);
    }
    for t in &inst.track_interface {
        let weight = weight_of(t).unwrap_or_default();
        let mut track = Track::new(t.name.value.clone(), TrackKind::Interface, weight.value);
        track.reverse = weight.reverse;
        out.push(track);
    }
    // keepalived always tracks the instance's own interface: down means
    // FAULT (the checker refuses naming it in track_interface).
    if !out
        .iter()
        .any(|t| t.kind == TrackKind::Interface && t.name == interface)
    {
        out.push(Track::new(interface, TrackKind::Interface, 0));
    }
    ok.then_some(out)
}

/// The weight written in a track block, if any.
fn weight_of(t: &TrackedName) -> Option<model::Weight> {
    t.weight.as_ref().map(|w| w.value)
}

/// A boolean keyword, false when absent.
fn flag(v: &Option<Spanned<bool>>) -> bool {
    v.as_ref().is_some_and(|b| b.value)
}

/// A script's command line.
fn command(c: Option<&Spanned<ScriptCommand>>) -> Option<String> {
    c.map(|c| c.value.command.value.clone())
}

/// An error at `span`.
fn error(span: Span, message: &str, label: &str) -> Diagnostic {
    Diagnostic::error("E9001", message).at(span, label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lbkit_keepalived_cfg::{load_str, Options};

    fn plan(text: &str) -> Result<(Plan, Vec<Diagnostic>), Vec<Diagnostic>> {
        let loaded = load_str("t.conf", text, &Options::new());
        compile(&loaded.config)
    }

    fn single(plan: &Plan) -> &InstancePlan {
        match plan.routers.first().and_then(|r| r.units.first()) {
            Some(UnitPlan::Single(i)) => i,
            other => panic!("not one instance: {other:?}"),
        }
    }

    const APPENDIX_A: &str = include_str!("../tests/data/appendix-a.conf");

    #[test]
    fn appendix_a_compiles_with_keepalived_defaults() {
        let (plan, _) = plan(APPENDIX_A).unwrap();
        assert_eq!(plan.routers.len(), 1);
        assert_eq!(plan.routers[0].interface, "eth0");
        assert_eq!(plan.routers[0].family, Family::V4);
        let i = single(&plan);
        assert_eq!(i.name, "VI_1");
        assert_eq!(i.config.vrid, 51);
        assert_eq!(i.config.priority, 101);
        assert_eq!(i.config.version, Version::V2);
        assert_eq!(i.config.advert_interval, Duration::from_secs(1));
        assert_eq!(i.config.initial_state, InitialState::Master);
        assert!(i.config.preempt);
        assert!(!i.primary_given);
        assert_eq!(
            i.vips,
            vec![Vip {
                addr: "192.168.0.100".parse().unwrap(),
                prefix_len: 32
            }]
        );
        // The script, then the instance's own interface (implicit, weight
        // 0: down means FAULT).
        assert_eq!(i.config.tracks.len(), 2);
        assert_eq!(i.config.tracks[0].name, "chk_haproxy");
        assert_eq!(i.config.tracks[0].kind, TrackKind::Script);
        assert_eq!(i.config.tracks[0].weight, 2);
        assert_eq!(i.config.tracks[0].initial, TrackStatus::Up);
        assert_eq!(i.config.tracks[1].name, "eth0");
        assert_eq!(i.config.tracks[1].kind, TrackKind::Interface);
        assert_eq!(i.config.tracks[1].weight, 0);
        assert_eq!(
            plan.scripts,
            vec![ScriptPlan {
                name: "chk_haproxy".into(),
                command: "killall -0 haproxy".into(),
                interval: Duration::from_secs(2),
                timeout: Duration::from_secs(2),
                rise: 1,
                fall: 1,
                init_fail: false,
            }]
        );
    }

    #[test]
    fn instance_settings_map_one_to_one() {
        let (plan, _) = plan(
            "vrrp_instance V {
interface eth1
virtual_router_id 7
priority 150
advert_int 2
nopreempt
accept
authentication {
auth_type PASS
auth_pass secret123
}
unicast_src_ip 192.0.2.1
unicast_peer {
192.0.2.2
192.0.2.3
}
garp_master_delay 1
garp_master_repeat 3
garp_master_refresh 60
virtual_ipaddress {
192.0.2.100/24 dev eth1
}
notify_master \"/bin/m x\"
notify \"/bin/n\"
}",
        )
        .unwrap();
        let i = single(&plan);
        assert_eq!(i.config.priority, 150);
        assert_eq!(i.config.advert_interval, Duration::from_secs(2));
        assert!(!i.config.preempt);
        assert!(i.config.accept);
        // Cut to 8 bytes, as keepalived does.
        assert_eq!(i.config.auth, Auth::Password(*b"secret12"));
        assert!(i.primary_given);
        assert_eq!(
            i.config.primary_address,
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(i.config.unicast_peers.len(), 2);
        assert_eq!(i.config.garp.master_delay, Duration::from_secs(1));
        assert_eq!(i.config.garp.master_repeat, 3);
        assert_eq!(i.config.garp.master_refresh, Duration::from_secs(60));
        assert_eq!(i.vips[0].prefix_len, 24);
        assert_eq!(i.notify.master.as_deref(), Some("/bin/m x"));
        assert_eq!(i.notify.any.as_deref(), Some("/bin/n"));
        assert_eq!(i.notify.backup, None);
    }

    #[test]
    fn preempt_delay_and_v3_from_global_defs() {
        let (plan, _) = plan(
            "global_defs {
vrrp_version 3
}
vrrp_instance V {
interface eth0
virtual_router_id 9
advert_int 0.5
preempt_delay 10
virtual_ipaddress {
2001:db8::100/64
}
}",
        )
        .unwrap();
        assert_eq!(plan.routers[0].family, Family::V6);
        let i = single(&plan);
        assert_eq!(i.config.version, Version::V3);
        assert_eq!(i.config.advert_interval, Duration::from_millis(500));
        assert_eq!(i.config.preempt_delay, Duration::from_secs(10));
    }

    #[test]
    fn ah_instances_get_their_own_socket() {
        let (plan, _) = plan(
            "vrrp_instance A {
interface eth0
virtual_router_id 1
authentication {
auth_type AH
auth_pass k
}
virtual_ipaddress {
192.0.2.1
}
}
vrrp_instance B {
interface eth0
virtual_router_id 2
virtual_ipaddress {
192.0.2.2
}
}",
        )
        .unwrap();
        assert_eq!(plan.routers.len(), 2);
        assert_eq!(plan.routers[0].ah_key, Some(*b"k\0\0\0\0\0\0\0"));
        assert_eq!(plan.routers[1].ah_key, None);
    }

    #[test]
    fn track_script_weight_overrides_the_scripts_and_init_fail_starts_down() {
        let (plan, _) = plan(
            "vrrp_script s {
script \"/bin/true\"
weight 5
init_fail
rise 2
fall 3
}
vrrp_instance V {
interface eth0
virtual_router_id 1
virtual_ipaddress {
192.0.2.1
}
track_script {
s weight -20
}
track_interface {
eth1 weight 4
eth2
}
}",
        )
        .unwrap();
        let t = &single(&plan).config.tracks;
        assert_eq!((t[0].weight, t[0].initial), (-20, TrackStatus::Down));
        assert_eq!(
            (t[1].name.as_str(), t[1].kind, t[1].weight),
            ("eth1", TrackKind::Interface, 4)
        );
        assert_eq!(t[2].weight, 0);
        assert_eq!((plan.scripts[0].rise, plan.scripts[0].fall), (2, 3));
        assert!(plan.scripts[0].init_fail);
    }

    #[test]
    fn sync_group_members_move_into_one_unit() {
        let (plan, _) = plan(
            "vrrp_sync_group VG1 {
group {
RH_EXT
RH_INT
}
notify_master \"/bin/g\"
}
vrrp_instance RH_EXT {
interface eth0
virtual_router_id 1
virtual_ipaddress {
192.0.2.1
}
}
vrrp_instance RH_INT {
interface eth0
virtual_router_id 2
virtual_ipaddress {
192.0.2.2
}
}",
        )
        .unwrap();
        assert_eq!(plan.routers.len(), 1);
        let [UnitPlan::Group {
            name,
            members,
            notify,
        }] = plan.routers[0].units.as_slice()
        else {
            panic!("not one group: {:?}", plan.routers[0].units);
        };
        assert_eq!(name, "VG1");
        assert_eq!(members.len(), 2);
        assert_eq!(members[1].config.vrid, 2);
        assert_eq!(notify.master.as_deref(), Some("/bin/g"));
    }

    #[test]
    fn what_cannot_run_is_an_error_at_its_place() {
        let text = "vrrp_instance V {
interface eth0
virtual_router_id 1
virtual_ipaddress {
192.0.2.1
}
track_script {
nope
}
}";
        let errs = plan(text).unwrap_err();
        let at = |word: &str| text.find(word).unwrap();
        let starts: Vec<usize> = errs
            .iter()
            .filter_map(|d| d.span.map(|s| s.offset as usize))
            .collect();
        assert!(starts.contains(&at("nope")), "{errs:?}");
    }

    #[test]
    fn lb1_compiles_to_one_sync_group_across_eth0_and_eth1() {
        let text = include_str!("../tests/data/lb1.conf");
        let (plan, _) = plan(text).unwrap();
        assert_eq!(plan.routers.len(), 1, "{:?}", plan.routers);
        let r = &plan.routers[0];
        assert_eq!((r.interface.as_str(), r.family), ("eth0", Family::V4));
        let extra: Vec<&str> = r.extra.iter().map(|l| l.interface.as_str()).collect();
        assert_eq!(extra, ["eth1"]);
        let [UnitPlan::Group { name, members, .. }] = r.units.as_slice() else {
            panic!("not one group: {:?}", r.units);
        };
        assert_eq!(name, "VG1");
        let got: Vec<(&str, u8, usize)> = members
            .iter()
            .map(|m| (m.name.as_str(), m.config.vrid, m.link))
            .collect();
        // RH_EXT on link 0 (eth0), RH_INT on link 1 (eth1).
        assert_eq!(got, [("RH_EXT", 50, 0), ("RH_INT", 2, 1)]);
    }

    #[test]
    fn a_group_joins_routers_and_others_keep_their_links() {
        // C (eth1, alone) comes first and opens eth1's router; the group
        // then joins eth0 and eth1 in one router; D (eth1, alone) lands
        // on the joined router's eth1 link, E (eth2) on a router of its own.
        let inst = |n: &str, ifc: &str, vrid: u8| {
            format!("vrrp_instance {n} {{\ninterface {ifc}\nvirtual_router_id {vrid}\nvirtual_ipaddress {{\n192.0.2.{vrid}\n}}\n}}\n")
        };
        let text = format!(
            "vrrp_sync_group G {{\ngroup {{\nA\nB\n}}\n}}\n{}{}{}{}{}",
            inst("C", "eth1", 3),
            inst("A", "eth0", 1),
            inst("B", "eth1", 2),
            inst("D", "eth1", 4),
            inst("E", "eth2", 5)
        );
        let (plan, _) = plan(&text).unwrap();
        assert_eq!(plan.routers.len(), 2, "{:?}", plan.routers);
        let joined = plan.routers.iter().find(|r| r.units.len() > 1).unwrap();
        let mut links: Vec<&str> = std::iter::once(joined.interface.as_str())
            .chain(joined.extra.iter().map(|l| l.interface.as_str()))
            .collect();
        let eth1 = links.iter().position(|l| *l == "eth1").unwrap();
        let eth0 = links.iter().position(|l| *l == "eth0").unwrap();
        links.sort_unstable();
        assert_eq!(links, ["eth0", "eth1"]);
        let mut placed: Vec<(String, usize)> = Vec::new();
        for u in &joined.units {
            match u {
                UnitPlan::Single(i) => placed.push((i.name.clone(), i.link)),
                UnitPlan::Group { members, .. } => {
                    placed.extend(members.iter().map(|m| (m.name.clone(), m.link)))
                }
            }
        }
        placed.sort();
        let want = [
            ("A".to_owned(), eth0),
            ("B".to_owned(), eth1),
            ("C".to_owned(), eth1),
            ("D".to_owned(), eth1),
        ];
        assert_eq!(placed, want);
    }

    #[test]
    fn a_vrid_twice_in_a_joined_router_is_an_error() {
        let text = "vrrp_sync_group G {
group {
A
B
}
}
vrrp_instance A {
interface eth0
virtual_router_id 1
virtual_ipaddress {
192.0.2.1
}
}
vrrp_instance B {
interface eth1
virtual_router_id 2
virtual_ipaddress {
192.0.2.2
}
}
vrrp_instance C {
interface eth1
virtual_router_id 1
virtual_ipaddress {
192.0.2.3
}
}";
        let errs = plan(text).unwrap_err();
        let at = text.rfind("virtual_router_id 1").unwrap() + "virtual_router_id ".len();
        assert_eq!(
            errs[0].span.map(|s| s.offset as usize),
            Some(at),
            "{errs:?}"
        );
        assert!(errs[0].message.contains("already used by A"), "{errs:?}");
    }

    #[test]
    fn a_vip_with_dev_goes_on_that_interface() {
        let (plan, _) = plan(
            "vrrp_instance V {
interface eth0
virtual_router_id 1
virtual_ipaddress {
192.0.2.1/24
198.51.100.1/24 dev eth1
192.0.2.2 dev eth0
}
}",
        )
        .unwrap();
        let v = single(&plan);
        assert_eq!(v.vips.len(), 3);
        let want: Vec<(IpAddr, String)> = vec![("198.51.100.1".parse().unwrap(), "eth1".into())];
        assert_eq!(v.devices, want);
    }

    #[test]
    fn missing_vrid_is_an_error() {
        let errs = plan("vrrp_instance V {\ninterface eth0\nvirtual_ipaddress {\n192.0.2.1\n}\n}")
            .unwrap_err();
        assert!(errs[0].message.contains("virtual_router_id"));
    }
}
