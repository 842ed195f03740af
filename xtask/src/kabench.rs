//! `cargo xtask bench-keepalived`: whole-process `keepalived-rs -t` against
//! Debian's `keepalived -t` (2.2.7) on one generated configuration, in one
//! hyperfine run.
//!
//! The configuration has exactly 10,000 lines: 500 `vrrp_instance`s (250
//! on each of `eth0` and `eth1`, VRIDs 1-250) and 200 `virtual_server`s
//! with 10 `real_server`s each, every real server with a `TCP_CHECK`. All
//! addresses are documentation ones. `keepalived -t` checks that the
//! interfaces exist, so both programs run inside a network namespace made
//! for the run, holding a veth pair named `eth0`/`eth1`; it is deleted
//! afterwards, also on failure. Needs root (the namespace; apt-get).
//!
//! Usage: `cargo xtask bench-keepalived [--runs N] [--keep]` (`--keep`
//! leaves the generated file and prints its path).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::benchkit::{self, Comparison, Contender};

/// The programs the benchmark runs, and their Debian packages.
const TOOLS: &[crate::deps::Tool] = &[
    crate::deps::Tool {
        command: "keepalived",
        package: "keepalived",
    },
    benchkit::HYPERFINE,
    crate::deps::Tool {
        command: "ip",
        package: "iproute2",
    },
];

/// The task, its tools and the Rust program it builds.
const SETUP: benchkit::Setup = benchkit::Setup {
    task: "bench-keepalived",
    tag: "kabench",
    tools: TOOLS,
    package: "keepalived-rs",
};

/// VRRP instances, and how many per interface.
const VRRP_INSTANCES: u32 = 500;
/// VRRP instances per interface (VRIDs 1..=this).
const PER_INTERFACE: u32 = 250;
/// Virtual servers.
const VIRTUAL_SERVERS: u32 = 200;
/// Real servers per virtual server.
const REAL_SERVERS: u32 = 10;

/// Runs the benchmark and prints both means and their ratio.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    SETUP.run(args, bench_in)
}

/// Writes the configuration in `dir`, makes the namespace, benchmarks
/// inside it.
fn bench_in(dir: &Path, binary: PathBuf, runs: Option<u32>) -> Result<(), String> {
    let conf = dir.join("keepalived.conf");
    let text = generate();
    benchkit::write_file(&conf, &text)?;
    eprintln!(
        "xtask: {} lines, {} bytes: {VRRP_INSTANCES} vrrp_instances, \
         {VIRTUAL_SERVERS} virtual_servers x {REAL_SERVERS} real_servers (TCP_CHECK)",
        text.lines().count(),
        text.len()
    );
    let ns = Netns::create(&benchkit::run_name("kabench"))?;
    Comparison {
        launch: &|program| ns.command(program),
        reference: Contender::on_path("keepalived"),
        rust: Contender::built("keepalived-rs", binary),
        mode: "-t",
        args: vec!["-f".into(), conf.to_string_lossy().into()],
        warmup: 3,
        runs,
        show_cpu: true,
    }
    .run(dir)
}

/// The benchmark configuration: exactly 10,000 lines.
///
/// A `vrrp_instance` takes 6 lines and a `virtual_server` 35 (4 of its own,
/// 3 per real server): 500 x 6 + 200 x 35 = 10,000.
pub(crate) fn generate() -> String {
    let mut out = String::with_capacity(400_000);
    for i in 0..VRRP_INSTANCES {
        let (interface, net) = if i < PER_INTERFACE {
            ("eth0", "192.0.2")
        } else {
            ("eth1", "198.51.100")
        };
        let vrid = i % PER_INTERFACE + 1;
        let _ = write!(
            out,
            "vrrp_instance VI_{n} {{\n    interface {interface}\n    virtual_router_id {vrid}\n    \
             priority 100\n    virtual_ipaddress {{ {net}.{vrid} }}\n}}\n",
            n = i + 1,
        );
    }
    for v in 0..VIRTUAL_SERVERS {
        let _ = write!(
            out,
            "virtual_server 203.0.113.{} 80 {{\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n",
            v + 1
        );
        for r in 0..REAL_SERVERS {
            let _ = write!(
                out,
                "    real_server 203.0.113.{} 8080 {{\n        TCP_CHECK {{ connect_timeout 3 }}\n    }}\n",
                201 + r
            );
        }
        out.push_str("}\n");
    }
    out
}

/// A network namespace made for the benchmark, deleted when dropped.
struct Netns {
    /// Its name.
    name: String,
}

impl Netns {
    /// Creates the namespace with `lo` up and a veth pair `eth0`/`eth1`.
    fn create(name: &str) -> Result<Netns, String> {
        quiet(Command::new("ip").args(["netns", "add", name]))?;
        let ns = Netns { name: name.into() };
        quiet(Command::new("ip").args([
            "-n", name, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1",
        ]))?;
        for link in ["lo", "eth0", "eth1"] {
            quiet(Command::new("ip").args(["-n", name, "link", "set", link, "up"]))?;
        }
        Ok(ns)
    }

    /// A command run inside the namespace.
    fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.name])
            .status();
    }
}

/// Runs a command, failing with its standard error.
fn quiet(command: &mut Command) -> Result<Output, String> {
    let shown = format!("{command:?}").replace('"', "");
    let out = command
        .output()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{shown} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_has_the_issue_s_shape() {
        let text = generate();
        assert_eq!(text.lines().count(), 10_000);
        assert_eq!(text.matches("vrrp_instance ").count(), 500);
        assert_eq!(text.matches("virtual_server ").count(), 200);
        assert_eq!(text.matches("real_server ").count(), 2000);
        assert_eq!(text.matches("TCP_CHECK").count(), 2000);
        assert_eq!(text.matches('{').count(), text.matches('}').count());
    }

    #[test]
    fn vrids_are_unique_per_interface() {
        let text = generate();
        let mut seen = std::collections::HashSet::new();
        let mut interface = "";
        for line in text.lines().map(str::trim) {
            if let Some(name) = line.strip_prefix("interface ") {
                interface = name;
            }
            if let Some(vrid) = line.strip_prefix("virtual_router_id ") {
                let vrid: u32 = vrid.parse().unwrap();
                assert!((1..=255).contains(&vrid));
                assert!(
                    seen.insert((interface.to_owned(), vrid)),
                    "{interface} {vrid}"
                );
            }
        }
        assert_eq!(seen.len(), 500);
    }
}
