//! `cargo xtask bench keepalived`: keepalived-rs against Debian's
//! keepalived in network namespaces, in the same run.
//!
//! - Failover as a client sees it: master h1 (150) and backup h2 (100)
//!   on a bridge, the client pinging the VIP every 5 ms; the master is
//!   killed (`kill -9`) or stopped (SIGTERM); the figures are the first
//!   echo reply from the VIP with the backup's MAC and the backup's first
//!   advert, both timed from the signal, and the detection interval the
//!   protocol used (backup's first advert minus the master's last one).
//!   Scenarios: v2 advert_int 1 and v3 advert_int 0.1, each with both
//!   faults; repetitions alternate the daemons.
//! - Resources: 1,000 vrrp_instances (v3, advert_int 1) on each of two
//!   nodes; RSS and CPU of every process of each daemon over a window.
//!
//! The table is printed and written into `BENCHMARKS.md` under
//! [`report::HEADING`].

mod daemon;
mod failover;
mod lab;
mod probe;
mod report;
mod resources;

use daemon::Kind;
use report::{FailoverRow, ResourceRow};
use std::path::Path;
use std::process::Command;

use crate::deps::Tool;

/// What the benchmark runs besides keepalived-rs.
const TOOLS: &[Tool] = &[
    Tool {
        command: "keepalived",
        package: "keepalived",
    },
    Tool {
        command: "ip",
        package: "iproute2",
    },
    Tool {
        command: "ping",
        package: "iputils-ping",
    },
];

/// The command line's settings.
#[derive(Debug, PartialEq)]
struct Settings {
    reps: usize,
    secs: u64,
    instances: usize,
    failover: bool,
    resources: bool,
    write: bool,
    keep: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            reps: 5,
            secs: 20,
            instances: 1000,
            failover: true,
            resources: true,
            write: true,
            keep: false,
        }
    }
}

const USAGE: &str = "usage: cargo xtask bench keepalived [--reps N] [--secs N] \
                     [--instances N] [--only failover|resources] [--no-write] [--keep]";

fn parse_args(args: &[String]) -> Result<Settings, String> {
    let mut s = Settings::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut number = |max: u64| -> Result<u64, String> {
            it.next()
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| format!("{a} needs a number 1..={max}\n{USAGE}"))
        };
        match a.as_str() {
            "--reps" => s.reps = number(20)? as usize,
            "--secs" => s.secs = number(120)?,
            "--instances" => s.instances = number(1000)? as usize,
            "--only" => match it.next().map(String::as_str) {
                Some("failover") => s.resources = false,
                Some("resources") => s.failover = false,
                _ => return Err(format!("--only takes failover or resources\n{USAGE}")),
            },
            "--no-write" => s.write = false,
            "--keep" => s.keep = true,
            _ => return Err(format!("unknown argument `{a}`\n{USAGE}")),
        }
    }
    Ok(s)
}

/// Runs the benchmark.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let settings = parse_args(args)?;
    if !nix::unistd::geteuid().is_root() {
        return Err("bench keepalived needs root (network namespaces, raw sockets)".into());
    }
    crate::deps::ensure(TOOLS)?;
    let binary = crate::benchkit::build_release("keepalived-rs")?;
    let load_before = load_average();
    crate::benchkit::in_scratch_dir("kafailover", settings.keep, |dir| {
        let failover = if settings.failover {
            failover_rows(dir, &binary, settings.reps)?
        } else {
            Vec::new()
        };
        let resources = if settings.resources {
            resource_rows(dir, &binary, settings.instances, settings.secs)?
        } else {
            Vec::new()
        };
        let section = section(&settings, args, &load_before, &failover, &resources);
        println!("\n{section}");
        if settings.write {
            let path = crate::run::workspace_root().join("BENCHMARKS.md");
            let old =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            crate::benchkit::write_file(&path, &report::replace_section(&old, &section))?;
            eprintln!("xtask: wrote the section into {}", path.display());
        }
        Ok(())
    })
}

/// Every scenario, `reps` times, the daemons alternating which goes first.
fn failover_rows(dir: &Path, binary: &Path, reps: usize) -> Result<Vec<FailoverRow>, String> {
    let lab = lab::Lab::failover()?;
    let mut rows = Vec::new();
    for (i, scenario) in failover::SCENARIOS.iter().enumerate() {
        let mut pair = [Kind::Rust, Kind::Keepalived].map(|kind| FailoverRow {
            scenario: *scenario,
            kind,
            samples: Vec::new(),
            failures: Vec::new(),
        });
        for rep in 0..reps {
            let order = if rep % 2 == 0 { [0, 1] } else { [1, 0] };
            for at in order {
                let row = &mut pair[at];
                let rep_dir = dir.join(format!("s{i}-{}-{rep}", row.kind.name()));
                std::fs::create_dir_all(&rep_dir).map_err(|e| e.to_string())?;
                match failover::repetition(&lab, row.kind, binary, &rep_dir, scenario) {
                    Ok(s) => {
                        eprintln!(
                            "{:<26} {:<13} rep {}: reply {:7.1} ms  advert {:7.1} ms  garp {:7.1} ms  detection {:7.1} ms",
                            scenario.name(),
                            row.kind.name(),
                            rep + 1,
                            s.reply_ms,
                            s.advert_ms,
                            s.garp_ms,
                            s.detection_ms
                        );
                        row.samples.push(s);
                    }
                    Err(e) => {
                        eprintln!("rep {} failed: {e}", rep + 1);
                        row.failures.push(e);
                    }
                }
            }
        }
        rows.extend(pair);
    }
    Ok(rows)
}

/// Both daemons with `instances` instances per node.
fn resource_rows(
    dir: &Path,
    binary: &Path,
    instances: usize,
    secs: u64,
) -> Result<Vec<ResourceRow>, String> {
    let lab = lab::Lab::resources()?;
    let mut rows = Vec::new();
    for kind in [Kind::Rust, Kind::Keepalived] {
        let run_dir = dir.join(format!("resources-{}", kind.name()));
        std::fs::create_dir_all(&run_dir).map_err(|e| e.to_string())?;
        eprintln!(
            "{}: {instances} instances per node, {secs} s window",
            kind.name()
        );
        let nodes = resources::measure(&lab, kind, binary, &run_dir, instances, secs)?;
        rows.push(ResourceRow { kind, nodes });
    }
    Ok(rows)
}

/// The first three fields of /proc/loadavg.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// The output of `program args`, first line, or `?`.
fn first_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| {
            let text = [o.stdout, o.stderr].concat();
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("?")
                .trim()
                .to_string()
        })
        .unwrap_or_else(|_| "?".into())
}

/// The `BENCHMARKS.md` section.
fn section(
    settings: &Settings,
    args: &[String],
    load_before: &str,
    failover: &[FailoverRow],
    resources: &[ResourceRow],
) -> String {
    let command = format!("cargo xtask bench keepalived {}", args.join(" "));
    let mut s = format!(
        "{}\n\n`{}` (as root), {} UTC, {}, {}, {} CPUs; load average {} before, {} after.\n",
        report::HEADING,
        command.trim_end(),
        first_line("date", &["-u", "+%F %H:%M"]),
        first_line("uname", &["-sr"]),
        first_line("keepalived", &["--version"]),
        std::thread::available_parallelism().map_or(1, usize::from),
        load_before,
        load_average(),
    );
    if !failover.is_empty() {
        s.push_str(&format!(
            "\nFailover seen by a client, ms after the signal, min / median / max of {} \
             repetitions per daemon (interleaved). Master h1 priority 150, backup h2 \
             priority 100, one instance; the client pings the VIP every 5 ms and a packet \
             socket in its namespace timestamps what arrives. \"client reaches backup\" = \
             first echo reply from the VIP with h2's MAC; \"backup's first advert\" = first \
             VRRP packet from h2; \"backup's first GARP\" = first gratuitous ARP for the \
             VIP from h2's MAC; \"detection\" = h2's first advert minus h1's last one \
             (RFC 5798 value in brackets). kill -9 = SIGSTOP then SIGKILL of every process \
             of the master, at a random phase of its advert timer; SIGTERM = to the main \
             process (priority-0 advert).\n\n",
            settings.reps
        ));
        s.push_str(&report::failover_table(failover));
        for r in failover.iter().filter(|r| !r.failures.is_empty()) {
            for f in &r.failures {
                s.push_str(&format!("\n- failed repetition: {f}"));
            }
            s.push('\n');
        }
    }
    if !resources.is_empty() {
        s.push_str(&format!(
            "\nResources with {} vrrp_instances per node (VRRPv3, advert_int 1, 250 per link \
             on four veth links, one /32 VIP each), both nodes running the same daemon, \
             master (150) and backup (100). Every process of the daemon is counted \
             (keepalived: parent and VRRP child). The window is {} s, starting 7 s after \
             the master holds every VIP. RSS = VmRSS summed at the end of the window; \
             CPU = utime+stime (clock ticks) and run time of every thread (schedstat) \
             over the window; % of a core from schedstat. \"RSS KiB each\": by PID, the main \
             process first.\n\n",
            settings.instances, settings.secs
        ));
        s.push_str(&report::resource_table(resources));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_command_line_sets_reps_window_and_parts() {
        assert_eq!(parse_args(&[]), Ok(Settings::default()));
        let s = parse_args(&args(&[
            "--reps",
            "3",
            "--only",
            "resources",
            "--secs",
            "5",
        ]));
        assert_eq!(
            s,
            Ok(Settings {
                reps: 3,
                secs: 5,
                failover: false,
                ..Settings::default()
            })
        );
        assert!(parse_args(&args(&["--reps", "0"])).is_err());
        assert!(parse_args(&args(&["--instances", "1001"])).is_err());
        assert!(parse_args(&args(&["--only", "both"])).is_err());
        assert!(parse_args(&args(&["--fast"])).is_err());
    }
}
