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

/// The programs the benchmark runs, and their Debian packages.
const TOOLS: &[crate::deps::Tool] = &[
    crate::deps::Tool {
        command: "keepalived",
        package: "keepalived",
    },
    crate::deps::Tool {
        command: "hyperfine",
        package: "hyperfine",
    },
    crate::deps::Tool {
        command: "ip",
        package: "iproute2",
    },
];

/// VRRP instances, and how many per interface.
const VRRP_INSTANCES: u32 = 500;
/// VRRP instances per interface (VRIDs 1..=this).
const PER_INTERFACE: u32 = 250;
/// Virtual servers.
const VIRTUAL_SERVERS: u32 = 200;
/// Real servers per virtual server.
const REAL_SERVERS: u32 = 10;

/// What the command line asks for.
struct BenchArgs {
    /// hyperfine's `--runs`, if given.
    runs: Option<u32>,
    /// Keep the generated configuration.
    keep: bool,
}

/// Runs the benchmark and prints both means and their ratio.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let args = parse_args(args)?;
    crate::deps::ensure(TOOLS)?;
    let binary = build_release()?;
    let dir = std::env::temp_dir().join(format!("lbkit-kabench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let result = bench_in(&dir, &binary, &args);
    if args.keep {
        eprintln!("xtask: kept {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

/// Reads `--runs N` and `--keep`.
fn parse_args(args: &[String]) -> Result<BenchArgs, String> {
    let mut out = BenchArgs {
        runs: None,
        keep: false,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => {
                let n = it.next().ok_or("--runs needs a number")?;
                out.runs = Some(n.parse().map_err(|_| format!("bad --runs `{n}`"))?);
            }
            "--keep" => out.keep = true,
            other => return Err(format!("bench-keepalived: unknown argument `{other}`")),
        }
    }
    Ok(out)
}

/// Writes the configuration in `dir`, makes the namespace, benchmarks.
fn bench_in(dir: &Path, binary: &Path, args: &BenchArgs) -> Result<(), String> {
    let conf = dir.join("keepalived.conf");
    let text = generate();
    std::fs::write(&conf, &text).map_err(|e| format!("cannot write {}: {e}", conf.display()))?;
    eprintln!(
        "xtask: {} lines, {} bytes: {VRRP_INSTANCES} vrrp_instances, \
         {VIRTUAL_SERVERS} virtual_servers x {REAL_SERVERS} real_servers (TCP_CHECK)",
        text.lines().count(),
        text.len()
    );
    let ns = Netns::create(&format!("lbkit-kabench-{}", std::process::id()))?;
    verdicts(&ns, binary, &conf)?;
    let json = dir.join("hyperfine.json");
    hyperfine(&ns, binary, &conf, &json, args.runs)?;
    report(&json)
}

/// Builds `keepalived-rs` in release mode; returns the binary's path.
fn build_release() -> Result<PathBuf, String> {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    crate::run::cmd(Command::new(cargo).current_dir(&root).args([
        "build",
        "--release",
        "-p",
        "keepalived-rs",
    ]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        root.join(target)
    };
    let binary = target.join("release").join("keepalived-rs");
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!("built, but {} is missing", binary.display()))
    }
}

/// The workspace's top directory.
fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
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

/// Runs both programs once and shows their verdicts: the comparison only
/// means something when both accept the file.
fn verdicts(ns: &Netns, binary: &Path, conf: &Path) -> Result<(), String> {
    let programs = [
        ("keepalived", Path::new("keepalived")),
        ("keepalived-rs", binary),
    ];
    for (name, program) in programs {
        let out = ns
            .command(&program.to_string_lossy())
            .arg("-t")
            .arg("-f")
            .arg(conf)
            .output()
            .map_err(|e| format!("cannot run {name}: {e}"))?;
        let code = out.status.code().unwrap_or(-1);
        eprintln!("xtask: {name} -t exits {code}");
        if code != 0 {
            let stderr = String::from_utf8_lossy(&out.stderr);
            for line in stderr.lines().take(10) {
                eprintln!("xtask:   {line}");
            }
            return Err(format!(
                "{name} rejects the benchmark configuration (exit {code})"
            ));
        }
    }
    Ok(())
}

/// hyperfine inside the namespace, both commands in one run, results
/// exported to `json`.
fn hyperfine(
    ns: &Netns,
    binary: &Path,
    conf: &Path,
    json: &Path,
    runs: Option<u32>,
) -> Result<(), String> {
    let conf = conf.to_string_lossy();
    let mut c = ns.command("hyperfine");
    c.args(["--shell=none", "--warmup", "3", "--export-json"])
        .arg(json)
        .arg("--command-name")
        .arg("keepalived -t")
        .arg(format!("keepalived -t -f {conf}"))
        .arg("--command-name")
        .arg("keepalived-rs -t")
        .arg(format!("{} -t -f {conf}", binary.display()));
    if let Some(n) = runs {
        c.args(["--runs", &n.to_string()]);
    }
    crate::run::cmd(&mut c)
}

/// Reads the means from hyperfine's JSON export and prints the ratio.
fn report(json: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(json)
        .map_err(|e| format!("cannot read {}: {e}", json.display()))?;
    let means = means(&text);
    let [c, rust] = means[..] else {
        return Err(format!("expected two means in {}", json.display()));
    };
    println!("keepalived -t    mean {:>9.3} ms", c * 1e3);
    println!("keepalived-rs -t mean {:>9.3} ms", rust * 1e3);
    println!("ratio: keepalived-rs -t is {:.1}x faster", c / rust);
    Ok(())
}

/// Every `"mean": <seconds>` in hyperfine's JSON export, in order.
fn means(json: &str) -> Vec<f64> {
    json.split("\"mean\":")
        .skip(1)
        .filter_map(|rest| {
            let number: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
                .collect();
            number.parse().ok()
        })
        .collect()
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

    #[test]
    fn means_come_from_the_export() {
        let json = r#"{"results":[{"command":"a","mean":0.0123,"stddev":0.001},
                      {"command":"b","mean": 5.5e-4,"median":1}]}"#;
        assert_eq!(means(json), [0.0123, 5.5e-4]);
    }

    #[test]
    fn arguments() {
        let a = parse_args(&["--runs".into(), "7".into(), "--keep".into()]).unwrap();
        assert_eq!(a.runs, Some(7));
        assert!(a.keep);
        assert!(parse_args(&["--runs".into()]).is_err());
        assert!(parse_args(&["--fast".into()]).is_err());
    }
}
