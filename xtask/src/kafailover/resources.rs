//! Steady-state cost of many VRRP instances: both nodes of the resource
//! lab run the same daemon with the same instances (r1 MASTER 150, r2
//! BACKUP 100); once r1 holds every VIP and 7 s more have passed (past
//! keepalived's second gratuitous-ARP burst at 5 s), every process in
//! each node's namespace (keepalived's parent and VRRP child, or
//! keepalived-rs) is sampled at the start and the end of a window.

use super::daemon::{self, Kind};
use super::lab::Lab;
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

/// One node's figures over the window.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct NodeUse {
    /// `master` or `backup`.
    pub(crate) role: &'static str,
    /// Processes counted.
    pub(crate) processes: usize,
    /// VmRSS summed over them, KiB, at the end of the window.
    pub(crate) rss_kib: u64,
    /// VmRSS of each, KiB, main process first.
    pub(crate) rss_each: Vec<u64>,
    /// utime + stime over the window (clock ticks), ms per second.
    pub(crate) cpu_ms_per_s: f64,
    /// Run time of every thread (schedstat, ns), ms per second.
    pub(crate) sched_ms_per_s: f64,
}

/// CPU counters of one process: clock ticks, and ns run by its threads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Cpu {
    ticks: u64,
    run_ns: u64,
}

/// utime + stime from a `/proc/PID/stat` line.
fn stat_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields from the state (the 3rd of stat) on: utime is the 14th
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// VmRSS in KiB from `/proc/PID/status`.
fn status_rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The CPU counters of process `pid`.
fn cpu_of(pid: i32) -> Option<Cpu> {
    let ticks = stat_ticks(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)?;
    let mut run_ns = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .ok()?
        .flatten()
    {
        let text = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        run_ns += text
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Some(Cpu { ticks, run_ns })
}

/// Clock ticks per second.
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// How many of the resource configuration's VIPs host `node` holds.
fn vips_held(lab: &Lab, node: &str) -> usize {
    lab.addresses(node)
        .lines()
        .filter(|l| l.contains(" 198.51.100.") || l.contains(" 203.0.113."))
        .count()
}

/// Runs `count` instances per node with daemon `kind` and measures a
/// window of `secs` seconds.
pub(crate) fn measure(
    lab: &Lab,
    kind: Kind,
    binary: &Path,
    dir: &Path,
    count: usize,
    secs: u64,
) -> Result<Vec<NodeUse>, String> {
    let master = daemon::start(
        kind,
        binary,
        lab,
        "r1",
        dir,
        &daemon::resource_conf("r1", count, 150),
    )?;
    let backup = daemon::start(
        kind,
        binary,
        lab,
        "r2",
        dir,
        &daemon::resource_conf("r2", count, 100),
    )?;
    let result = window(lab, count, secs);
    master.stop(lab, "r1");
    backup.stop(lab, "r2");
    lab.flush_vips("r1");
    lab.flush_vips("r2");
    result.map_err(|e| format!("{} resources: {e} (logs in {})", kind.name(), dir.display()))
}

/// Waits for the master, then samples both nodes over the window.
fn window(lab: &Lab, count: usize, secs: u64) -> Result<Vec<NodeUse>, String> {
    let end = Instant::now() + Duration::from_secs(90);
    while vips_held(lab, "r1") < count {
        if Instant::now() > end {
            return Err(format!(
                "r1 holds {}/{count} VIPs after 90 s",
                vips_held(lab, "r1")
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(7));
    let nodes = [("r1", "master"), ("r2", "backup")];
    let before: HashMap<i32, Cpu> = nodes
        .iter()
        .flat_map(|(n, _)| lab.pids(n))
        .filter_map(|p| Some((p, cpu_of(p)?)))
        .collect();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    let elapsed = started.elapsed().as_secs_f64();
    let (held, stray) = (vips_held(lab, "r1"), vips_held(lab, "r2"));
    if held < count || stray > 0 {
        return Err(format!(
            "at the end of the window the master holds {held}/{count} VIPs, the backup {stray}"
        ));
    }
    let hz = clock_ticks();
    let mut out = Vec::new();
    for (node, role) in nodes {
        let mut pids = lab.pids(node);
        pids.sort_unstable();
        let mut usage = NodeUse {
            role,
            processes: pids.len(),
            rss_kib: 0,
            rss_each: Vec::new(),
            cpu_ms_per_s: 0.0,
            sched_ms_per_s: 0.0,
        };
        for pid in pids {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let rss = status_rss_kib(&status).unwrap_or(0);
            usage.rss_kib += rss;
            usage.rss_each.push(rss);
            let (Some(now), Some(then)) = (cpu_of(pid), before.get(&pid)) else {
                return Err(format!(
                    "process {pid} on {node} appeared during the window"
                ));
            };
            usage.cpu_ms_per_s += (now.ticks - then.ticks) as f64 * 1e3 / hz / elapsed;
            usage.sched_ms_per_s += (now.run_ns.saturating_sub(then.run_ns)) as f64 / 1e6 / elapsed;
        }
        out.push(usage);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_come_from_fields_14_and_15_of_stat() {
        // a command name with spaces and a parenthesis does not shift fields
        let stat = "4242 (keep alived) x) S 1 4242 4242 0 -1 4194560 120 0 0 0 \
                    37 5 0 0 20 0 1 0 99 1000 200";
        assert_eq!(stat_ticks(stat), Some(42));
        assert_eq!(stat_ticks("4242 (short) S 1"), None);
    }

    #[test]
    fn rss_comes_from_the_vmrss_line() {
        let status = "Name:\tkeepalived\nVmHWM:\t  4000 kB\nVmRSS:\t    3300 kB\n";
        assert_eq!(status_rss_kib(status), Some(3300));
        assert_eq!(status_rss_kib("Name:\tx\n"), None);
    }
}
