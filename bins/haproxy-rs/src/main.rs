//! `haproxy-rs`: an HAProxy-compatible proxy built from the lbkit crates.
//!
//! First slice: the configuration check, `haproxy-rs -c -f FILE [-f
//! FILE|DIR ...]`, with `haproxy -c`'s exit codes (0 valid, 1 errors, 2
//! valid but no listener), and `-v`.

mod cli;
mod compile;

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = cli::run(std::env::args_os());
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
