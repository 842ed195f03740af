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

use crate::benchkit::{self, Comparison, Contender};

/// The programs the benchmark runs, and their Debian packages.
const TOOLS: &[crate::deps::Tool] = &[
    crate::deps::Tool {
        command: "haproxy",
        package: "haproxy",
    },
    benchkit::HYPERFINE,
];

/// The task, its tools and the Rust program it builds.
const SETUP: benchkit::Setup = benchkit::Setup {
    task: "bench-haproxy",
    tag: "habench",
    tools: TOOLS,
    package: "haproxy-rs",
};

/// Backends.
const BACKENDS: u32 = 5_000;
/// Servers per backend.
const SERVERS: u32 = 10;
/// Frontends; each routes `BACKENDS / FRONTENDS` backends.
const FRONTENDS: u32 = 10;

/// Runs the benchmark and prints both means and their ratio, then the
/// same for CPU time.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    SETUP.run(args, bench_in)
}

/// Writes the configuration in `dir`, checks both verdicts, times both
/// programs.
fn bench_in(dir: &Path, binary: PathBuf, runs: Option<u32>) -> Result<(), String> {
    let conf = dir.join("haproxy.cfg");
    let text = generate();
    benchkit::write_file(&conf, &text)?;
    eprintln!(
        "xtask: {} lines, {} bytes: {BACKENDS} backends x {SERVERS} servers, \
         {FRONTENDS} frontends with {} ACLs and {BACKENDS} use_backend rules in all",
        text.lines().count(),
        text.len(),
        2 * BACKENDS
    );
    Comparison {
        launch: &benchkit::direct,
        reference: Contender::on_path("haproxy"),
        rust: Contender::built("haproxy-rs", binary),
        mode: "-c",
        args: vec!["-q".into(), "-f".into(), conf.to_string_lossy().into()],
        warmup: 2,
        runs,
        show_cpu: true,
    }
    .run(dir)
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
}
