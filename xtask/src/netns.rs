//! Network namespaces for xtask's labs (the demo, the keepalived bench):
//! a set of namespaces named after one prefix, a bridged switch with hosts
//! on it, and the `ip` calls they are made with. Dropping the set kills
//! what still runs inside its namespaces and deletes them.

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::net::Ipv4Addr;
use std::process::Command;

/// Namespaces `PREFIX-NAME`, deleted (with what runs in them) on drop.
#[derive(Debug)]
pub(crate) struct Namespaces {
    prefix: String,
    made: Vec<String>,
}

impl Namespaces {
    /// An empty set; its namespaces will be named `PREFIX-NAME`.
    pub(crate) fn new(prefix: String) -> Namespaces {
        Namespaces {
            prefix,
            made: Vec::new(),
        }
    }

    /// The namespace called `name` in this set.
    pub(crate) fn ns(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }

    /// Every namespace made, in order.
    pub(crate) fn made(&self) -> &[String] {
        &self.made
    }

    /// Creates namespace `ns` with its loopback up.
    pub(crate) fn add(&mut self, ns: &str) -> Result<(), String> {
        ip(&["netns", "add", ns])?;
        self.made.push(ns.to_string());
        ip(&["-n", ns, "link", "set", "lo", "up"])
    }

    /// Namespace `switch` with bridge `br0` (no STP, no forwarding delay,
    /// no multicast snooping: VRRP adverts reach every port at once), and
    /// one namespace per host, its `eth0` on a bridge port named after it
    /// with the address given (/24).
    pub(crate) fn switch_with_hosts(
        &mut self,
        switch: &str,
        hosts: &[(&str, Ipv4Addr)],
    ) -> Result<(), String> {
        let sw = self.ns(switch);
        self.add(&sw)?;
        ip(&["-n", &sw, "link", "add", "br0", "type", "bridge"])?;
        ip(&[
            "-n",
            &sw,
            "link",
            "set",
            "br0",
            "type",
            "bridge",
            "stp_state",
            "0",
            "forward_delay",
            "0",
            "mcast_snooping",
            "0",
        ])?;
        ip(&["-n", &sw, "link", "set", "br0", "up"])?;
        for (name, addr) in hosts {
            let ns = self.ns(name);
            self.add(&ns)?;
            ip(&[
                "-n", &sw, "link", "add", name, "type", "veth", "peer", "name", "eth0", "netns",
                &ns,
            ])?;
            ip(&["-n", &sw, "link", "set", name, "master", "br0", "up"])?;
            let cidr = format!("{addr}/24");
            ip(&["-n", &ns, "addr", "add", &cidr, "dev", "eth0"])?;
            ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
        }
        Ok(())
    }

    /// Kills what runs inside the namespaces (except this process) and
    /// deletes them, last made first; returns how many processes were
    /// killed.
    pub(crate) fn delete_all(&mut self) -> usize {
        let mut killed = 0;
        for ns in std::mem::take(&mut self.made).iter().rev() {
            for pid in pids(ns) {
                if kill(Pid::from_raw(pid), Signal::SIGKILL).is_ok() {
                    killed += 1;
                }
            }
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
        killed
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        self.delete_all();
    }
}

/// The processes in namespace `ns`, except this one.
pub(crate) fn pids(ns: &str) -> Vec<i32> {
    let own = i32::try_from(std::process::id()).unwrap_or(-1);
    Command::new("ip")
        .args(["netns", "pids", ns])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .filter(|p| *p != own)
                .collect()
        })
        .unwrap_or_default()
}

/// Moves the calling thread into namespace `ns` (its later sockets live
/// there; threads it starts inherit it).
pub(crate) fn enter(ns: &str) -> Result<(), String> {
    let path = format!("/run/netns/{ns}");
    let file = std::fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?;
    nix::sched::setns(file, nix::sched::CloneFlags::CLONE_NEWNET)
        .map_err(|e| format!("cannot enter {ns}: {e}"))
}

/// Runs `ip ARGS`; its error output is the error.
pub(crate) fn ip(args: &[&str]) -> Result<(), String> {
    run(Command::new("ip").args(args))
}

/// Runs a command to completion; its error output is the error.
pub(crate) fn run(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}").replace('"', "");
    let out = command
        .output()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{shown}: {} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
