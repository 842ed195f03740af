//! `cargo xtask bench-haproxy`: whole-process `haproxy-rs -c` against
//! Debian's `haproxy -c` (2.6) on one generated configuration, in one
//! hyperfine run.
//!
//! The configuration has 5,000 backends of 10 servers each (health
//! checked, documentation addresses: `haproxy -c` resolves server
//! addresses, so they are IP addresses) and 10 ACL-heavy frontends: each
//! declares two ACLs per backend it routes (500 backends per frontend) and
//! one `use_backend` rule per backend. Both programs must accept it (exit
//! 0) before timing starts.
//!
//! Usage: `cargo xtask bench-haproxy [--runs N] [--keep]` (`--keep`
//! leaves the generated file and prints its path).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The programs the benchmark runs, and their Debian packages.
const TOOLS: &[crate::deps::Tool] = &[
    crate::deps::Tool {
        command: "haproxy",
        package: "haproxy",
    },
    crate::deps::Tool {
        command: "hyperfine",
        package: "hyperfine",
    },
];

/// Backends.
const BACKENDS: u32 = 5_000;
/// Servers per backend.
const SERVERS: u32 = 10;
/// Frontends; each routes `BACKENDS / FRONTENDS` backends.
const FRONTENDS: u32 = 10;

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
    let dir = std::env::temp_dir().join(format!("lbkit-habench-{}", std::process::id()));
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
            other => return Err(format!("bench-haproxy: unknown argument `{other}`")),
        }
    }
    Ok(out)
}

/// Writes the configuration, checks both verdicts, times both programs.
fn bench_in(dir: &Path, binary: &Path, args: &BenchArgs) -> Result<(), String> {
    let conf = dir.join("haproxy.cfg");
    let text = generate();
    std::fs::write(&conf, &text).map_err(|e| format!("cannot write {}: {e}", conf.display()))?;
    eprintln!(
        "xtask: {} lines, {} bytes: {BACKENDS} backends x {SERVERS} servers, \
         {FRONTENDS} frontends with {} ACLs and {BACKENDS} use_backend rules in all",
        text.lines().count(),
        text.len(),
        2 * BACKENDS
    );
    verdicts(binary, &conf)?;
    let json = dir.join("hyperfine.json");
    hyperfine(binary, &conf, &json, args.runs)?;
    report(&json)
}

/// Builds `haproxy-rs` in release mode; returns the binary's path.
fn build_release() -> Result<PathBuf, String> {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    crate::run::cmd(Command::new(cargo).current_dir(&root).args([
        "build",
        "--release",
        "-p",
        "haproxy-rs",
    ]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        root.join(target)
    };
    let binary = target.join("release").join("haproxy-rs");
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!("built, but {} is missing", binary.display()))
    }
}

/// The workspace's root directory.
fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// A documentation address for server `n` (0-based): the three
/// documentation networks, hosts 1-250.
fn server_address(n: u32) -> String {
    let net = ["192.0.2", "198.51.100", "203.0.113"][(n / 250 % 3) as usize];
    format!("{net}.{}", n % 250 + 1)
}

/// The benchmark configuration.
pub(crate) fn generate() -> String {
    let mut out = String::with_capacity(4 << 20);
    out.push_str(
        "global\n    maxconn 100000\n    log /dev/log local0\n\n\
         defaults\n    mode http\n    log global\n    option httplog\n    timeout connect 5s\n    \
         timeout client 30s\n    timeout server 30s\n    default-server inter 2s fall 3 rise 2\n\n",
    );
    let per = BACKENDS / FRONTENDS;
    for f in 0..FRONTENDS {
        let _ = write!(out, "frontend fe{f}\n    bind :{}\n", 10_000 + f);
        for b in f * per..(f + 1) * per {
            let _ = write!(
                out,
                "    acl host_{b} hdr(host) -i app{b}.example.com www.app{b}.example.com\n    \
                 acl path_{b} path_beg /svc/{b}/ /api/v1/svc{b}\n",
            );
        }
        for b in f * per..(f + 1) * per {
            let _ = writeln!(out, "    use_backend be{b} if host_{b} || path_{b}");
        }
        let _ = write!(out, "    default_backend be{}\n\n", f * per);
    }
    for b in 0..BACKENDS {
        let _ = write!(out, "backend be{b}\n    balance roundrobin\n");
        for s in 0..SERVERS {
            let n = b * SERVERS + s;
            let _ = writeln!(
                out,
                "    server s{s} {}:{} check weight {}",
                server_address(n),
                8000 + n % 1000,
                s + 1
            );
        }
        out.push('\n');
    }
    out
}

/// Both programs must accept the configuration.
fn verdicts(binary: &Path, conf: &Path) -> Result<(), String> {
    let programs = [("haproxy", Path::new("haproxy")), ("haproxy-rs", binary)];
    for (name, program) in programs {
        let out = Command::new(program)
            .args(["-c", "-q", "-f"])
            .arg(conf)
            .output()
            .map_err(|e| format!("cannot run {name}: {e}"))?;
        let code = out.status.code().unwrap_or(-1);
        eprintln!("xtask: {name} -c exits {code}");
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

/// `hyperfine` over both commands, exporting JSON.
fn hyperfine(binary: &Path, conf: &Path, json: &Path, runs: Option<u32>) -> Result<(), String> {
    let conf = conf.to_string_lossy();
    let mut c = Command::new("hyperfine");
    c.args(["--shell=none", "--warmup", "2", "--export-json"])
        .arg(json)
        .arg("--command-name")
        .arg("haproxy -c")
        .arg(format!("haproxy -c -q -f {conf}"))
        .arg("--command-name")
        .arg("haproxy-rs -c")
        .arg(format!("{} -c -q -f {conf}", binary.display()));
    if let Some(n) = runs {
        c.args(["--runs", &n.to_string()]);
    }
    crate::run::cmd(&mut c)
}

/// Prints both means and the ratio, then the same for CPU time (user +
/// system), which depends less on what else the machine runs.
fn report(json: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(json)
        .map_err(|e| format!("cannot read {}: {e}", json.display()))?;
    let means = field(&text, "mean");
    let [c, rust] = means[..] else {
        return Err(format!("expected two means in {}", json.display()));
    };
    println!("haproxy -c    mean {:>9.3} ms", c * 1e3);
    println!("haproxy-rs -c mean {:>9.3} ms", rust * 1e3);
    println!("ratio: haproxy-rs -c is {:.1}x faster", c / rust);
    let cpu: Vec<f64> = field(&text, "user")
        .iter()
        .zip(field(&text, "system"))
        .map(|(u, s)| u + s)
        .collect();
    if let [c, rust] = cpu[..] {
        println!("haproxy -c    CPU  {:>9.3} ms (user + system)", c * 1e3);
        println!("haproxy-rs -c CPU  {:>9.3} ms (user + system)", rust * 1e3);
        println!("CPU ratio: {:.1}x", c / rust);
    }
    Ok(())
}

/// The values of `"name":` in hyperfine's JSON, in order.
fn field(json: &str, name: &str) -> Vec<f64> {
    json.split(&format!("\"{name}\":"))
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
        assert_eq!(text.matches("\nbackend ").count(), 5_000);
        assert_eq!(text.matches("    server ").count(), 50_000);
        assert_eq!(text.matches("\nfrontend ").count(), 10);
        assert_eq!(text.matches("    acl ").count(), 10_000);
        assert_eq!(text.matches("    use_backend ").count(), 5_000);
    }

    #[test]
    fn only_documentation_addresses() {
        for n in [0, 249, 250, 499, 500, 749, 750, 49_999] {
            let a = server_address(n);
            assert!(
                a.starts_with("192.0.2.")
                    || a.starts_with("198.51.100.")
                    || a.starts_with("203.0.113."),
                "{a}"
            );
            let host: u32 = a.rsplit('.').next().unwrap().parse().unwrap();
            assert!((1..=250).contains(&host), "{a}");
        }
    }

    #[test]
    fn means_are_read_from_hyperfine_json() {
        let json = r#"{"results":[{"command":"a","mean":0.5,"stddev":0.1},{"command":"b","mean":2.5e-2}]}"#;
        assert_eq!(field(json, "mean"), [0.5, 0.025]);
        let json = r#"{"results":[{"mean":0.5,"user":0.25,"system":0.125},{"mean":0.1,"user":0.0625,"system":1e-2}]}"#;
        assert_eq!(field(json, "user"), [0.25, 0.0625]);
        assert_eq!(field(json, "system"), [0.125, 0.01]);
    }
}
