//! Checks a `keepalived.conf` like `keepalived -t`, with rustc-style
//! diagnostics, and summarises what it configures.
//!
//! ```text
//! cargo run -p lbkit-keepalived-cfg --example check_keepalived_conf -- /etc/keepalived/keepalived.conf
//! cargo run -p lbkit-keepalived-cfg --example check_keepalived_conf -- --strict keepalived.conf
//! ```
//!
//! Exits with 1 when the configuration has errors (with `--strict`,
//! warnings count as errors), else 0.

// A command-line tool: it prints its results.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::process::ExitCode;

use lbkit_keepalived_cfg::{load_file, Options, Severity};

fn main() -> ExitCode {
    let mut strict = false;
    let mut path = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--strict" => strict = true,
            _ => path = Some(PathBuf::from(arg)),
        }
    }
    let Some(path) = path else {
        eprintln!("usage: check_keepalived_conf [--strict] KEEPALIVED.CONF");
        return ExitCode::from(2);
    };

    let loaded = load_file(&path, &Options::new().strict(strict));
    if !loaded.diagnostics.is_empty() {
        eprintln!("{}", loaded.render());
    }
    let count = |s: Severity| {
        loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity == s)
            .count()
    };
    let config = &loaded.config;
    println!(
        "{}: {} vrrp_instance(s), {} vrrp_sync_group(s), {} vrrp_script(s), {} virtual_server(s) with {} real_server(s); {} error(s), {} warning(s)",
        path.display(),
        config.vrrp_instances.len(),
        config.vrrp_sync_groups.len(),
        config.vrrp_scripts.len(),
        config.virtual_servers.len(),
        config.virtual_servers.iter().map(|vs| vs.real_servers.len()).sum::<usize>(),
        count(Severity::Error),
        count(Severity::Warning),
    );
    if loaded.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
