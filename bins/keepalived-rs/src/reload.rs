//! Configuration reload (SIGHUP): what changes between the instances that
//! run and those of a new configuration, worked out the way keepalived
//! 2.2.7 matches them (`clear_diff_vrrp()`: instances are known by name).
//!
//! For each unit (an instance on its own, or a sync group) of the new
//! plan, on one interface and address family:
//!
//! - same name and same settings: it keeps running untouched, in its
//!   state, with its addresses ([`Step::Keep`], nothing listed);
//! - same name, VRID, version, address family and tracked objects, other
//!   settings changed (priority, advert interval, virtual addresses,
//!   ...): it keeps running in its state and takes the new settings in
//!   place, as keepalived carries an instance's state over a reload
//!   (`restore_vrrp_state()`, `clear_diff_vrrp_vip()`): [`Step::Keep`]
//!   with the members that change;
//! - a sync group whose members changed, or an instance whose VRID,
//!   version, family or tracked objects changed: it is stopped and
//!   started again ([`Step::Restart`]);
//! - not running before: it starts ([`Step::Start`]).
//!
//! Units that run but are not in the new plan stop: a master sends its
//! priority-0 advert and removes its addresses (keepalived's
//! `vrrp_restore_interface()` for a deleted instance).

use crate::compile::{InstancePlan, UnitPlan};
use lbkit_vrrp::io::Vip;
use lbkit_vrrp::machine::Config;

/// One instance as compiled, before the daemon fills in the primary
/// address: what decides whether it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MemberSpec {
    /// The instance name.
    pub(crate) name: String,
    /// Its machine configuration.
    pub(crate) config: Config,
    /// Whether the primary address came from the configuration.
    pub(crate) primary_given: bool,
    /// Its virtual addresses with prefixes.
    pub(crate) vips: Vec<Vip>,
    /// Addresses on another interface than the instance's.
    pub(crate) devices: Vec<(std::net::IpAddr, String)>,
    /// The router link it runs on.
    pub(crate) link: usize,
}

impl MemberSpec {
    /// The spec of a compiled instance.
    pub(crate) fn of(plan: &InstancePlan) -> Self {
        MemberSpec {
            name: plan.name.clone(),
            config: plan.config.clone(),
            primary_given: plan.primary_given,
            vips: plan.vips.clone(),
            devices: plan.devices.clone(),
            link: plan.link,
        }
    }

    /// Whether `other` can replace this one in place: same name, VRID,
    /// version, address family, link, interfaces of its addresses and
    /// tracked objects.
    fn same_identity(&self, other: &MemberSpec) -> bool {
        let (a, b) = (&self.config, &other.config);
        self.name == other.name
            && self.link == other.link
            && self.devices == other.devices
            && a.vrid == b.vrid
            && a.version == b.version
            && family(self) == family(other)
            && a.tracks == b.tracks
    }
}

/// Whether an instance is IPv6 (its addresses say, or its configured
/// primary address).
fn family(m: &MemberSpec) -> Option<bool> {
    m.vips
        .first()
        .map(|v| v.addr.is_ipv6())
        .or_else(|| m.primary_given.then(|| m.config.primary_address.is_ipv6()))
}

/// An instance on its own (`group` is `None`) or a sync group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnitSpec {
    /// The sync group's name.
    pub(crate) group: Option<String>,
    /// Its instances, in order.
    pub(crate) members: Vec<MemberSpec>,
}

impl UnitSpec {
    /// The spec of a compiled unit.
    pub(crate) fn of(unit: &UnitPlan) -> Self {
        match unit {
            UnitPlan::Single(ip) => UnitSpec {
                group: None,
                members: vec![MemberSpec::of(ip)],
            },
            UnitPlan::Group { name, members, .. } => UnitSpec {
                group: Some(name.clone()),
                members: members.iter().map(MemberSpec::of).collect(),
            },
        }
    }

    /// The VRIDs of its members.
    pub(crate) fn vrids(&self) -> Vec<u8> {
        self.members.iter().map(|m| m.config.vrid).collect()
    }

    /// Whether `other` is the same unit by name: the same group, or the
    /// same instance on its own.
    fn same_name(&self, other: &UnitSpec) -> bool {
        match (&self.group, &other.group) {
            (Some(a), Some(b)) => a == b,
            (None, None) => {
                self.members.first().map(|m| &m.name) == other.members.first().map(|m| &m.name)
            }
            _ => false,
        }
    }
}

/// What to do with one unit of the new plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Not running: start it.
    Start,
    /// Running: leave it running; the listed members (their positions
    /// in the unit) take their new settings in place.
    Keep {
        /// Old unit index.
        old: usize,
        /// Members whose settings change.
        changed: Vec<usize>,
    },
    /// Running with other settings: stop the old one, start this one.
    Restart {
        /// Old unit index.
        old: usize,
    },
}

/// The changes on one router (interface and family).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Diff {
    /// One step per unit of the new plan, in its order.
    pub(crate) steps: Vec<Step>,
    /// Old units that are gone (indices into the old list).
    pub(crate) removed: Vec<usize>,
}

/// Matches the running units `old` with the units `new` of the reloaded
/// configuration.
pub(crate) fn diff(old: &[UnitSpec], new: &[UnitSpec]) -> Diff {
    let mut matched = vec![false; old.len()];
    let mut steps = Vec::with_capacity(new.len());
    for unit in new {
        let found = old
            .iter()
            .enumerate()
            .find(|(i, o)| !matched.get(*i).copied().unwrap_or(true) && o.same_name(unit));
        let Some((at, before)) = found else {
            steps.push(Step::Start);
            continue;
        };
        if let Some(m) = matched.get_mut(at) {
            *m = true;
        }
        steps.push(step_for(at, before, unit));
    }
    let removed = matched
        .iter()
        .enumerate()
        .filter(|(_, m)| !**m)
        .map(|(i, _)| i)
        .collect();
    Diff { steps, removed }
}

/// Keep (perhaps with new settings) or restart a unit found by name.
fn step_for(old: usize, before: &UnitSpec, after: &UnitSpec) -> Step {
    let same_shape = before.members.len() == after.members.len()
        && before
            .members
            .iter()
            .zip(&after.members)
            .all(|(a, b)| a.same_identity(b));
    if !same_shape {
        return Step::Restart { old };
    }
    let changed = before
        .members
        .iter()
        .zip(&after.members)
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .map(|(i, _)| i)
        .collect();
    Step::Keep { old, changed }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lbkit_vrrp::Version;
    use std::net::{IpAddr, Ipv4Addr};

    fn vip(last: u8) -> Vip {
        Vip {
            addr: IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)),
            prefix_len: 24,
        }
    }

    fn member(name: &str, vrid: u8, priority: u8, vips: &[Vip]) -> MemberSpec {
        let addrs = vips.iter().map(|v| v.addr).collect();
        MemberSpec {
            name: name.to_owned(),
            config: Config::new(
                Version::V2,
                vrid,
                priority,
                IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                addrs,
            ),
            primary_given: false,
            vips: vips.to_vec(),
            devices: Vec::new(),
            link: 0,
        }
    }

    fn single(m: MemberSpec) -> UnitSpec {
        UnitSpec {
            group: None,
            members: vec![m],
        }
    }

    #[test]
    fn unchanged_units_are_kept_as_they_are() {
        let old = [single(member("VI_1", 51, 100, &[vip(100)]))];
        let d = diff(&old, &old);
        assert_eq!(
            d.steps,
            [Step::Keep {
                old: 0,
                changed: vec![]
            }]
        );
        assert!(d.removed.is_empty());
    }

    #[test]
    fn a_new_address_is_applied_in_place() {
        let old = [single(member("VI_1", 51, 100, &[vip(100)]))];
        let new = [single(member("VI_1", 51, 100, &[vip(100), vip(101)]))];
        assert_eq!(
            diff(&old, &new).steps,
            [Step::Keep {
                old: 0,
                changed: vec![0]
            }]
        );
    }

    #[test]
    fn other_changes_restart_and_names_decide() {
        let old = [
            single(member("VI_1", 51, 100, &[vip(100)])),
            single(member("VI_2", 52, 100, &[vip(102)])),
        ];
        // VI_1's VRID changes (another virtual router: restart); VI_2 is
        // gone; VI_3 is new and listed first (order does not matter,
        // names do).
        let new = [
            single(member("VI_3", 53, 100, &[vip(103)])),
            single(member("VI_1", 61, 100, &[vip(100)])),
        ];
        let d = diff(&old, &new);
        assert_eq!(d.steps, [Step::Start, Step::Restart { old: 0 }]);
        assert_eq!(d.removed, [1]);
        // A new priority is taken in place.
        let new = [single(member("VI_1", 51, 150, &[vip(100)]))];
        assert_eq!(
            diff(&old[..1], &new).steps,
            [Step::Keep {
                old: 0,
                changed: vec![0]
            }]
        );
    }

    #[test]
    fn sync_groups_are_matched_by_group_name_and_members() {
        let group = |name: &str, members: Vec<MemberSpec>| UnitSpec {
            group: Some(name.to_owned()),
            members,
        };
        let a = member("RH_EXT", 50, 100, &[vip(100)]);
        let b = member("RH_INT", 2, 100, &[vip(1)]);
        let old = [group("VG1", vec![a.clone(), b.clone()])];
        // The same instances alone are not the group.
        let loose = [single(a.clone()), single(b.clone())];
        let d = diff(&old, &loose);
        assert_eq!(d.steps, [Step::Start, Step::Start]);
        assert_eq!(d.removed, [0]);
        // A member dropped from the group restarts the group.
        let smaller = [group("VG1", vec![a.clone()])];
        assert_eq!(diff(&old, &smaller).steps, [Step::Restart { old: 0 }]);
        // A member's new address is applied in place.
        let b2 = member("RH_INT", 2, 100, &[vip(1), vip(2)]);
        let wider = [group("VG1", vec![a, b2])];
        assert_eq!(
            diff(&old, &wider).steps,
            [Step::Keep {
                old: 0,
                changed: vec![1]
            }]
        );
    }
}
