//! Checks on `vrrp_sync_group` blocks, as keepalived's
//! `vrrp_sync_set_group` makes them: members must exist, belong to one
//! group only, and be at least two.

use super::index::Index;
use crate::hash::HashMap;
use crate::model::{Config, InitialState, SyncGroup, VrrpInstance};
use crate::{Diagnostic, Span};

/// Every sync group check.
pub(super) fn check(config: &Config, ix: &Index<'_>, diags: &mut Vec<Diagnostic>) {
    // Instance name -> (group name, where it was grouped), first come.
    let mut grouped: HashMap<&str, (&str, Span)> = HashMap::default();
    for group in &config.vrrp_sync_groups {
        super::names::check_track_script_names(&group.track_script, ix, diags);
        super::names::check_track_file_names(&group.track_file, ix, diags);
        let members = check_members(group, config, ix, &mut grouped, diags);
        check_count(group, members, diags);
    }
}

/// Resolves the members of `group`; returns how many were taken.
fn check_members<'a>(
    group: &'a SyncGroup,
    config: &Config,
    ix: &Index<'_>,
    grouped: &mut HashMap<&'a str, (&'a str, Span)>,
    diags: &mut Vec<Diagnostic>,
) -> usize {
    let mut taken = 0;
    let mut state = GroupState::Empty;
    for member in &group.group {
        let name = member.value.as_str();
        let Some(inst) = ix.instances.get(name).copied() else {
            diags.push(
                Diagnostic::error(
                    "E0230",
                    format!(
                        "sync group `{}` names instance `{name}`, which is not defined",
                        group.name.value
                    ),
                )
                .at(member.span, "no vrrp_instance has this name")
                .with_help(format!(
                    "define `vrrp_instance {name}`, or remove it from the group{}",
                    super::names::suggestion(
                        name,
                        config.vrrp_instances.iter().map(|i| i.name.value.as_str())
                    )
                )),
            );
            continue;
        };
        if let Some((other, at)) = grouped.get(name) {
            diags.push(
                Diagnostic::error(
                    "E0231",
                    format!("instance `{name}` is already in sync group `{other}`"),
                )
                .at(member.span, "keepalived ignores this membership")
                .with_label(*at, "first grouped here")
                .with_help("an instance belongs to one sync group at most"),
            );
            continue;
        }
        grouped.insert(name, (group.name.value.as_str(), member.span));
        taken += 1;
        state = check_owner_mix(group, member, inst, state, diags);
    }
    taken
}

/// What keepalived makes of a sync group's state while it adds members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GroupState {
    /// No member yet.
    Empty,
    /// Every member so far is written MASTER with priority 255: the one
    /// named here first.
    Owners(Span),
    /// Some member is not an address owner.
    Backup,
}

/// A group whose first members are address owners (written `state
/// MASTER` and `priority 255`) cannot take an instance written `state
/// BACKUP`: keepalived reports it.
fn check_owner_mix(
    group: &SyncGroup,
    member: &crate::model::Spanned<String>,
    inst: &VrrpInstance,
    state: GroupState,
    diags: &mut Vec<Diagnostic>,
) -> GroupState {
    let written = inst.state.as_ref().map(|s| s.value);
    let owner = written == Some(InitialState::Master)
        && inst.priority.as_ref().is_some_and(|p| p.value == 255);
    match state {
        GroupState::Owners(first) if written == Some(InitialState::Backup) => {
            diags.push(
                Diagnostic::error(
                    "E0234",
                    format!(
                        "sync group `{}` mixes address owners and backup instances",
                        group.name.value
                    ),
                )
                .at(member.span, "this instance starts as BACKUP")
                .with_label(first, "this one is an address owner (MASTER, priority 255)")
                .with_help("the members of a sync group change state together: give them the same state and priority role"),
            );
            GroupState::Backup
        }
        GroupState::Backup => GroupState::Backup,
        GroupState::Owners(first) if owner => GroupState::Owners(first),
        GroupState::Empty if owner => GroupState::Owners(member.span),
        _ => GroupState::Backup,
    }
}

/// A group needs members, and one member syncs nothing.
fn check_count(group: &SyncGroup, members: usize, diags: &mut Vec<Diagnostic>) {
    let name = &group.name;
    match members {
        0 => diags.push(
            Diagnostic::error("E0233", format!("sync group `{}` has no instance", name.value))
                .at(name.span, "keepalived removes this group")
                .with_help("list its instances: `group { VI_1 VI_2 }`"),
        ),
        1 => diags.push(
            Diagnostic::error(
                "E0232",
                format!("sync group `{}` has only one instance", name.value),
            )
            .at(name.span, "one member")
            .with_help("a sync group keeps several instances in the same state: add one, or remove the group"),
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{at, codes, instance, run};
    use crate::model::{Config, InitialState, SyncGroup};

    fn group(name: &str, members: &[&str], line: u32) -> SyncGroup {
        SyncGroup {
            name: at(name.to_string(), line),
            group: members
                .iter()
                .zip(line + 1..)
                .map(|(m, l)| at((*m).to_string(), l))
                .collect(),
            ..SyncGroup::default()
        }
    }

    /// Instances A (VRID 1, line 20) and B (VRID 2, line 30) and `groups`.
    fn config(groups: Vec<SyncGroup>) -> Config {
        Config {
            vrrp_sync_groups: groups,
            vrrp_instances: vec![instance("A", 1, 20), instance("B", 2, 30)],
            ..Config::default()
        }
    }

    #[test]
    fn two_members_are_clean() {
        assert_eq!(run(&config(vec![group("G", &["A", "B"], 1)])), vec![]);
    }

    #[test]
    fn undefined_member_then_one_left() {
        let diags = run(&config(vec![group("G", &["A", "Bx"], 1)]));
        assert_eq!(codes(&diags), vec![("E0230", 3), ("E0232", 1)]);
        assert_eq!(
            diags[0].message,
            "sync group `G` names instance `Bx`, which is not defined"
        );
        assert_eq!(
            diags[0].label.as_deref(),
            Some("no vrrp_instance has this name")
        );
        assert!(diags[0]
            .help
            .as_deref()
            .is_some_and(|h| h.ends_with("did you mean `B`?")));
        assert_eq!(diags[1].message, "sync group `G` has only one instance");
    }

    #[test]
    fn member_of_two_groups() {
        let diags = run(&config(vec![
            group("G1", &["A", "B"], 1),
            group("G2", &["A", "B"], 10),
        ]));
        assert_eq!(
            codes(&diags),
            vec![("E0231", 11), ("E0231", 12), ("E0233", 10)]
        );
        assert_eq!(
            diags[0].message,
            "instance `A` is already in sync group `G1`"
        );
        assert_eq!(diags[0].labels[0].span.line, 2);
        assert_eq!(diags[2].message, "sync group `G2` has no instance");
    }

    #[test]
    fn owners_and_backups_do_not_mix() {
        let mut cfg = config(vec![group("G", &["A", "B"], 1)]);
        cfg.vrrp_instances[0].state = Some(at(InitialState::Master, 25));
        cfg.vrrp_instances[0].priority = Some(at(255, 23));
        cfg.vrrp_instances[1].state = Some(at(InitialState::Backup, 35));
        let diags = run(&cfg);
        let mix: Vec<_> = codes(&diags)
            .into_iter()
            .filter(|(c, _)| *c == "E0234")
            .collect();
        assert_eq!(mix, vec![("E0234", 3)]);
        let d = diags.iter().find(|d| d.code == "E0234");
        assert_eq!(
            d.map(|d| d.message.as_str()),
            Some("sync group `G` mixes address owners and backup instances")
        );
        cfg.vrrp_instances[1].state = None;
        assert!(run(&cfg).iter().all(|d| d.code != "E0234"));
    }

    #[test]
    fn empty_group() {
        let diags = run(&config(vec![group("G", &[], 1)]));
        assert_eq!(codes(&diags), vec![("E0233", 1)]);
    }
}
