//! `haproxy-rs`: an HAProxy-compatible proxy built from the lbkit crates.
//!
//! `haproxy-rs -f FILE [-f FILE|DIR ...]` runs the configuration (compiled
//! by [`compile`] into the proxy engine and health checks); `-c` checks it
//! with `haproxy -c`'s exit codes (0 valid, 1 errors, 2 valid but no
//! listener); `-v` prints the version.

mod cli;
mod compile;

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = cli::run(std::env::args_os());
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
