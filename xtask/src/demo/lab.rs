//! The demo's namespaces: a switch namespace holding a bridge, and one
//! namespace per host joined to it by a veth pair, all on 192.0.2.0/24
//! (a documentation range). The root namespace's network is never
//! touched. Dropping the [`Lab`] kills what still runs inside its
//! namespaces and deletes them.

use crate::netns::Namespaces;
use std::net::Ipv4Addr;
use std::process::Command;

/// The virtual address (the guide's 192.168.0.100).
pub(crate) const VIP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);

/// The hosts: name and address. The gateways keep the last byte of the
/// guide's addresses (10.0.0.71 and 10.0.0.80).
pub(crate) const HOSTS: &[(&str, Ipv4Addr)] = &[
    ("client", Ipv4Addr::new(192, 0, 2, 50)),
    ("haproxy", Ipv4Addr::new(192, 0, 2, 11)),
    ("haproxy2", Ipv4Addr::new(192, 0, 2, 12)),
    ("rgw1", Ipv4Addr::new(192, 0, 2, 71)),
    ("rgw2", Ipv4Addr::new(192, 0, 2, 80)),
];

/// The address of host `name`.
pub(crate) fn addr(name: &str) -> Option<Ipv4Addr> {
    HOSTS.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
}

/// The host that has `addr`.
pub(crate) fn host_of(addr: Ipv4Addr) -> Option<&'static str> {
    HOSTS.iter().find(|(_, a)| *a == addr).map(|(n, _)| *n)
}

/// The namespaces of one run; removed on drop.
pub(crate) struct Lab(Namespaces);

impl Lab {
    /// Builds the switch and every host of [`HOSTS`]; `tag` keeps runs
    /// apart (namespace names carry it).
    pub(crate) fn up(tag: &str) -> Result<Lab, String> {
        let mut lab = Lab(Namespaces::new(format!("lbdemo{tag}")));
        lab.0.switch_with_hosts("switch", HOSTS)?;
        Ok(lab)
    }

    /// The namespace of host `name`.
    pub(crate) fn ns(&self, name: &str) -> String {
        self.0.ns(name)
    }

    /// Every namespace, as `ip netns` lists them.
    pub(crate) fn namespaces(&self) -> &[String] {
        self.0.made()
    }

    /// Writes `value` to `/proc/sys/KEY` inside host `name`'s namespace
    /// (network sysctls belong to the namespace of the thread that opens
    /// them; no `sysctl` program needed).
    pub(crate) fn sysctl(&self, name: &str, key: &str, value: &str) -> Result<(), String> {
        let ns = self.ns(name);
        let path = format!("/proc/sys/{}", key.replace('.', "/"));
        let value = value.to_string();
        let t = std::thread::spawn(move || {
            enter(&ns)?;
            std::fs::write(&path, value).map_err(|e| format!("{ns}: {path}: {e}"))
        });
        t.join()
            .unwrap_or_else(|_| Err("the sysctl thread failed".into()))
    }

    /// Whether host `name` holds the VIP on eth0.
    pub(crate) fn has_vip(&self, name: &str) -> bool {
        let out = Command::new("ip")
            .args([
                "-n",
                &self.ns(name),
                "-4",
                "-o",
                "addr",
                "show",
                "dev",
                "eth0",
            ])
            .output();
        let vip = format!(" {VIP}/");
        out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(&vip))
    }

    /// Kills what runs inside the namespaces (all of it started by the
    /// demo) and deletes them; returns how many processes were killed.
    pub(crate) fn down(&mut self) -> usize {
        self.0.delete_all()
    }
}

/// The process id in a demo namespace's or directory's name
/// (`lbdemo1234r-client`, `lbkit-demo-1234r`).
fn owner(name: &str, prefix: &str) -> Option<u32> {
    let rest = name.strip_prefix(prefix)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Removes what a demo killed outright (SIGKILL) left behind: its
/// namespaces, once nothing runs in them (its nodes end by themselves
/// when the demo is gone), and its scratch directory. Only names of
/// demos whose process is gone are touched. Returns what was removed.
pub(crate) fn sweep_leftovers() -> Vec<String> {
    let dead = |pid: u32| !std::path::Path::new(&format!("/proc/{pid}")).exists();
    let mut removed = Vec::new();
    let list = Command::new("ip").args(["netns", "list"]).output();
    let list = list.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    for ns in list
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
    {
        if !owner(ns, "lbdemo").is_some_and(dead) {
            continue;
        }
        let pids = Command::new("ip").args(["netns", "pids", ns]).output();
        let empty = pids.is_ok_and(|o| o.status.success() && o.stdout.trim_ascii().is_empty());
        if empty && ip(&["netns", "del", ns]).is_ok() {
            removed.push(ns.to_string());
        }
    }
    if let Ok(dir) = std::fs::read_dir(std::env::temp_dir()) {
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if owner(&name, "lbkit-demo-").is_some_and(dead)
                && std::fs::remove_dir_all(entry.path()).is_ok()
            {
                removed.push(entry.path().display().to_string());
            }
        }
    }
    removed
}

pub(crate) use crate::netns::{enter, ip};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_address_is_a_documentation_address() {
        let doc = Ipv4Addr::new(192, 0, 2, 0);
        for (_, a) in HOSTS.iter().chain([&("vip", VIP)]) {
            assert_eq!(a.octets()[..3], doc.octets()[..3], "{a}");
        }
        assert_eq!(host_of(Ipv4Addr::new(192, 0, 2, 12)), Some("haproxy2"));
        assert_eq!(addr("rgw2"), Some(Ipv4Addr::new(192, 0, 2, 80)));
    }

    #[test]
    fn leftovers_are_known_by_the_process_id_in_their_name() {
        assert_eq!(owner("lbdemo1234r-client", "lbdemo"), Some(1234));
        assert_eq!(owner("lbkit-demo-77o", "lbkit-demo-"), Some(77));
        assert_eq!(owner("lab123a-h1", "lbdemo"), None);
        assert_eq!(owner("lbdemo-x", "lbdemo"), None);
    }
}
