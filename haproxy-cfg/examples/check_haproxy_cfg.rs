//! Checks `haproxy.cfg` files like `haproxy -c`, with rustc-style
//! diagnostics, and lists the proxies of the effective configuration.
//!
//! ```text
//! cargo run -p lbkit-haproxy-cfg --example check_haproxy_cfg -- /etc/haproxy/haproxy.cfg
//! cargo run -p lbkit-haproxy-cfg --example check_haproxy_cfg -- base.cfg conf.d/
//! ```
//!
//! Exits as `haproxy -c` would: 1 on errors, 2 when the configuration is
//! valid but opens no listener, else 0.

// A command-line tool: it prints its results.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::process::ExitCode;

use lbkit_haproxy_cfg::{load_files, Options, Severity};

fn main() -> ExitCode {
    let paths: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        eprintln!("usage: check_haproxy_cfg HAPROXY.CFG|DIR...");
        return ExitCode::from(2);
    }

    let loaded = load_files(&paths, &Options::new());
    if !loaded.diagnostics.is_empty() {
        eprintln!("{}", loaded.render());
    }
    for proxy in &loaded.config.proxies {
        println!(
            "{} {}: mode {}, {} bind(s), {} server(s)",
            proxy.kind.keyword(),
            proxy.name,
            proxy.mode.keyword(),
            proxy.binds.len(),
            proxy.servers.len(),
        );
    }
    let count = |s: Severity| {
        loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity == s)
            .count()
    };
    println!(
        "{} error(s), {} warning(s)",
        count(Severity::Error),
        count(Severity::Warning)
    );
    let code = loaded.exit_code();
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
