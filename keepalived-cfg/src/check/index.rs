//! The names of a configuration, looked up in hash maps: a configuration
//! may hold hundreds of thousands of blocks, and every check must stay
//! near linear in its size.

use crate::hash::{HashMap, HashSet};
use crate::model::{Config, SyncGroup, TrackFile, VirtualServerGroup, VrrpInstance, VrrpScript};

/// Every named block of a configuration, by name (the first of a name).
#[derive(Debug, Default)]
pub(super) struct Index<'a> {
    /// `vrrp_script` blocks.
    pub(super) scripts: HashMap<&'a str, &'a VrrpScript>,
    /// `track_file` blocks.
    pub(super) files: HashMap<&'a str, &'a TrackFile>,
    /// `vrrp_instance` blocks.
    pub(super) instances: HashMap<&'a str, &'a VrrpInstance>,
    /// The first sync group naming each instance.
    pub(super) group_of: HashMap<&'a str, &'a SyncGroup>,
    /// `virtual_server_group` blocks.
    pub(super) vsgs: HashMap<&'a str, &'a VirtualServerGroup>,
    /// The script names some instance or sync group tracks.
    pub(super) tracked: HashSet<&'a str>,
    /// `vrrp_script` names in file order (for suggestions).
    pub(super) script_names: Vec<&'a str>,
    /// `track_file` names in file order (for suggestions).
    pub(super) file_names: Vec<&'a str>,
}

impl<'a> Index<'a> {
    /// Indexes `config`.
    pub(super) fn new(config: &'a Config) -> Self {
        let mut ix = Index::default();
        for s in &config.vrrp_scripts {
            ix.scripts.entry(s.name.value.as_str()).or_insert(s);
            ix.script_names.push(&s.name.value);
        }
        for f in &config.track_files {
            ix.files.entry(f.name.value.as_str()).or_insert(f);
            ix.file_names.push(&f.name.value);
        }
        for i in &config.vrrp_instances {
            ix.instances.entry(i.name.value.as_str()).or_insert(i);
            ix.tracked
                .extend(i.track_script.iter().map(|t| t.name.value.as_str()));
        }
        for g in &config.vrrp_sync_groups {
            for m in &g.group {
                ix.group_of.entry(m.value.as_str()).or_insert(g);
            }
            ix.tracked
                .extend(g.track_script.iter().map(|t| t.name.value.as_str()));
        }
        for g in &config.virtual_server_groups {
            ix.vsgs.entry(g.name.value.as_str()).or_insert(g);
        }
        ix
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{at, instance};
    use super::Index;
    use crate::model::{Config, SyncGroup, VrrpScript};

    #[test]
    fn the_first_of_a_name_wins() {
        let cfg = Config {
            vrrp_scripts: vec![
                VrrpScript {
                    name: at("s".to_string(), 1),
                    ..VrrpScript::default()
                },
                VrrpScript {
                    name: at("s".to_string(), 5),
                    ..VrrpScript::default()
                },
            ],
            vrrp_instances: vec![instance("A", 1, 10)],
            vrrp_sync_groups: vec![SyncGroup {
                name: at("G".to_string(), 20),
                group: vec![at("A".to_string(), 21)],
                ..SyncGroup::default()
            }],
            ..Config::default()
        };
        let ix = Index::new(&cfg);
        assert_eq!(ix.scripts.get("s").map(|s| s.name.span.line), Some(1));
        assert_eq!(
            ix.group_of.get("A").map(|g| g.name.value.as_str()),
            Some("G")
        );
        assert!(ix.instances.contains_key("A"));
        assert!(!ix.tracked.contains("s"));
    }
}
