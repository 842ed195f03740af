//! lbkit's developer tasks: `cargo xtask demo`, `cargo xtask test`,
//! `cargo xtask bench`.

// A command-line tool: its output is the point.
#![allow(clippy::print_stdout)]

mod benchkit;
mod benchtable;
mod demo;
mod deps;
mod examples;
mod fuzz;
mod habench;
mod kabench;
mod kafailover;
mod netns;
mod proxybench;
mod run;
mod vm;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  demo    the seed guide's Appendix A live: HAProxy + keepalived failover
          in network namespaces (root; --with-originals; `demo sched`:
          the scheduler demonstration; `demo lvs`: the guide's LVS-NAT
          and LVS-DR with keepalived-rs in the IPVS VM)
  test    every check CI runs: fmt, clippy, tests, examples, the demos, docs,
          a short fuzz run
  examples  run every runnable example with known inputs, check their output
  bench   the criterion benchmarks of lbkit-sched
  fuzz    every fuzz target for a while (--secs N)
  bench-keepalived  keepalived -t vs keepalived-rs -t (hyperfine, needs root)
  vm run SCRIPT [FILES]  run a script as root in a qemu VM with a real IPVS kernel
  vm test [FILTER]       lbkit-ipvs's VM tests in one boot of that VM
  bench-haproxy     haproxy -c vs haproxy-rs -c (hyperfine)
  bench proxy       haproxy vs haproxy-rs proxying (wrk, pinned, interleaved)
  bench keepalived  keepalived vs keepalived-rs: failover seen by a client
                    and resources with 1,000 instances (root; --reps N)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo::run(&args[1..]),
        Some("test") => run::test(),
        Some("examples") => examples::run(&run::workspace_root()),
        Some("bench") if args.get(1).map(String::as_str) == Some("proxy") => {
            proxybench::run(&args[2..])
        }
        Some("bench") if args.get(1).map(String::as_str) == Some("keepalived") => {
            kafailover::run(&args[2..])
        }
        Some("bench") => run::bench(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
        Some("bench-keepalived") => kabench::run(&args[1..]),
        Some("vm") => vm::run(&args[1..]),
        Some("bench-haproxy") => habench::run(&args[1..]),
        Some("help" | "-h" | "--help") => {
            eprint!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown task `{other}`\n\n{USAGE}")),
        None => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
