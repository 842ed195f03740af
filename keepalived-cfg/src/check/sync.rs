//! Checks on `vrrp_sync_group` blocks, as keepalived's
//! `vrrp_sync_set_group` makes them: members must exist, belong to one
//! group only, and be at least two.

use crate::model::{Config, SyncGroup};
use crate::{Diagnostic, Span};

/// Every sync group check.
pub(super) fn check(config: &Config, diags: &mut Vec<Diagnostic>) {
    // Instance name -> (group name, where it was grouped), first come.
    let mut grouped: Vec<(&str, &str, Span)> = Vec::new();
    for group in &config.vrrp_sync_groups {
        super::vrrp::check_track_script_names(&group.track_script, config, diags);
        super::vrrp::check_track_file_names(&group.track_file, config, diags);
        let members = check_members(group, config, &mut grouped, diags);
        check_count(group, members, diags);
    }
}

/// Resolves the members of `group`; returns how many were taken.
fn check_members<'a>(
    group: &'a SyncGroup,
    config: &Config,
    grouped: &mut Vec<(&'a str, &'a str, Span)>,
    diags: &mut Vec<Diagnostic>,
) -> usize {
    let mut taken = 0;
    for member in &group.group {
        let name = member.value.as_str();
        if !config.vrrp_instances.iter().any(|i| i.name.value == name) {
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
                    super::vrrp::suggestion(
                        name,
                        config.vrrp_instances.iter().map(|i| &i.name.value)
                    )
                )),
            );
            continue;
        }
        if let Some((_, other, at)) = grouped.iter().find(|(n, _, _)| *n == name) {
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
        grouped.push((name, group.name.value.as_str(), member.span));
        taken += 1;
    }
    taken
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
    use crate::model::{Config, SyncGroup};

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
    fn empty_group() {
        let diags = run(&config(vec![group("G", &[], 1)]));
        assert_eq!(codes(&diags), vec![("E0233", 1)]);
    }
}
