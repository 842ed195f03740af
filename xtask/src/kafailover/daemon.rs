//! The two daemons under test, their configurations, and running them
//! inside a namespace in the foreground.

use super::lab::{Lab, RESOURCE_LINKS, VIP};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Which daemon runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// lbkit's keepalived-rs (release build).
    Rust,
    /// Debian's keepalived.
    Keepalived,
}

impl Kind {
    /// The name in tables.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Rust => "keepalived-rs",
            Kind::Keepalived => "keepalived",
        }
    }
}

/// One VRRP instance of a generated configuration.
struct Instance<'a> {
    name: String,
    link: String,
    vrid: usize,
    vip: &'a str,
}

/// A keepalived.conf for `instances` at `priority` (150 MASTER, else BACKUP).
fn render(
    router: &str,
    version: u8,
    advert: &str,
    priority: u8,
    instances: &[Instance<'_>],
) -> String {
    let state = if priority >= 150 { "MASTER" } else { "BACKUP" };
    let mut text = format!("global_defs {{\n  router_id {router}\n}}\n");
    for i in instances {
        let _ = write!(
            text,
            "vrrp_instance {} {{\n  state {state}\n  interface {}\n  version {version}\n  \
             virtual_router_id {}\n  priority {priority}\n  advert_int {advert}\n  \
             virtual_ipaddress {{\n    {}\n  }}\n}}\n",
            i.name, i.link, i.vrid, i.vip
        );
    }
    text
}

/// The failover lab's configuration: one instance, VRID 51, the VIP /24.
pub(crate) fn failover_conf(router: &str, version: u8, advert: &str, priority: u8) -> String {
    let vip = format!("{VIP}/24");
    let one = Instance {
        name: "VI_1".into(),
        link: "eth0".into(),
        vrid: 51,
        vip: &vip,
    };
    render(router, version, advert, priority, &[one])
}

/// The resource lab's configuration: `count` instances spread over the
/// links in blocks of 250 (VRID 1..=250 on each), each with one /32 VIP,
/// 198.51.100.VRID on even links and 203.0.113.VRID on odd ones (a VIP
/// repeats across links: the documentation ranges hold fewer than 1,000
/// addresses).
pub(crate) fn resource_conf(router: &str, count: usize, priority: u8) -> String {
    let vips: Vec<String> = (0..count)
        .map(|j| {
            let net = if (j / 250) % 2 == 0 {
                "198.51.100"
            } else {
                "203.0.113"
            };
            format!("{net}.{}/32", j % 250 + 1)
        })
        .collect();
    let instances: Vec<Instance<'_>> = vips
        .iter()
        .enumerate()
        .map(|(j, vip)| Instance {
            name: format!("VI_{}", j + 1),
            link: format!("eth{}", (j / 250) % RESOURCE_LINKS),
            vrid: j % 250 + 1,
            vip,
        })
        .collect();
    render(router, 3, "1", priority, &instances)
}

/// A daemon started in a namespace; killed (SIGKILL) and reaped on drop
/// if still running.
pub(crate) struct Running {
    child: Child,
}

impl Running {
    /// The main process's id.
    pub(crate) fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).unwrap_or(i32::MAX)
    }

    /// Sends SIGTERM and waits up to 5 s, then kills what is left in the
    /// node's namespace.
    pub(crate) fn stop(mut self, lab: &Lab, node: &str) {
        let _ = kill(Pid::from_raw(self.pid()), Signal::SIGTERM);
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if matches!(self.child.try_wait(), Ok(Some(_))) && lab.pids(node).is_empty() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        for pid in lab.pids(node) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        let _ = self.child.wait();
    }

    /// Waits until the main process has ended (it was killed).
    pub(crate) fn reap(mut self) {
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Writes `conf` into `dir` and starts daemon `kind` on host `node`,
/// in the foreground, logging to `dir/node.log`.
pub(crate) fn start(
    kind: Kind,
    rust_binary: &Path,
    lab: &Lab,
    node: &str,
    dir: &Path,
    conf: &str,
) -> Result<Running, String> {
    let path = |ext: &str| dir.join(format!("{node}{ext}"));
    crate::benchkit::write_file(&path(".conf"), conf)?;
    // keepalived refuses to start when a stale pid file names a live process
    for ext in [".pid", "-vrrp.pid"] {
        let _ = std::fs::remove_file(path(ext));
    }
    let shown = |p: PathBuf| p.display().to_string();
    let (conf, pid, vrrp_pid) = (
        shown(path(".conf")),
        shown(path(".pid")),
        shown(path("-vrrp.pid")),
    );
    let mut args: Vec<String> = match kind {
        Kind::Rust => vec![rust_binary.display().to_string()],
        Kind::Keepalived => vec!["keepalived".into(), "-G".into()],
    };
    args.extend(["-n", "-l", "-D", "-P", "-f", &conf, "-p", &pid].map(String::from));
    if kind == Kind::Keepalived {
        args.extend(["-r".to_string(), vrrp_pid]);
    }
    let log = std::fs::File::create(path(".log")).map_err(|e| format!("{node}.log: {e}"))?;
    let err = log.try_clone().map_err(|e| format!("{node}.log: {e}"))?;
    let child = Command::new("ip")
        .args(["netns", "exec", &lab.ns(node)])
        .args(&args)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", kind.name()))?;
    Ok(Running { child })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_failover_configuration_has_one_instance_with_the_vip() {
        let text = failover_conf("h2", 3, "0.1", 100);
        assert!(text.contains("state BACKUP\n"), "{text}");
        assert!(text.contains("version 3\n"));
        assert!(text.contains("advert_int 0.1\n"));
        assert!(text.contains("virtual_router_id 51\n"));
        assert!(text.contains("    192.0.2.1/24\n"));
        assert_eq!(text.matches("vrrp_instance").count(), 1);
    }

    #[test]
    fn the_resource_configuration_spreads_1000_instances_over_four_links() {
        let text = resource_conf("r1", 1000, 150);
        assert_eq!(text.matches("vrrp_instance").count(), 1000);
        assert_eq!(text.matches("state MASTER").count(), 1000);
        assert_eq!(text.matches("interface eth3\n").count(), 250);
        assert_eq!(text.matches("virtual_router_id 250\n").count(), 4);
        assert_eq!(text.matches("virtual_router_id 251\n").count(), 0);
        // instance 251 is the first on eth1, with VRID 1 and 203.0.113.1
        let at = text.find("vrrp_instance VI_251 ").unwrap_or(0);
        let block = &text[at..];
        assert!(block.contains("interface eth1\n"));
        assert!(block.contains("virtual_router_id 1\n"));
        assert!(block.contains("203.0.113.1/32"));
    }
}
