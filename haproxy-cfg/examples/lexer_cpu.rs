//! The lexer's throughput per second of CPU time (not wall-clock time,
//! which a loaded machine inflates): splits every line of a generated
//! 3.4 MB configuration 40 times (`split_line_into`, into one reused
//! vector, as the parser does) and reads the process's user+system time
//! from `/proc/self/stat` (Linux).
//!
//! `cargo run --release -p lbkit-haproxy-cfg --example lexer_cpu`

// An example program: printing is its output.
#![allow(clippy::print_stdout)]

use lbkit_haproxy_cfg::{split_line_into, FileId, LineContext, LinePos};
use std::fmt::Write;

/// Rounds of the whole text.
const ROUNDS: usize = 40;

fn main() {
    let text = config();
    let env = |_: &str| None;
    let ctx = LineContext {
        file_name: "bench.cfg",
        section: "",
        env: &env,
    };
    let start = cpu_seconds();
    let mut words = 0usize;
    // One vector for every line, as the parser does.
    let mut scratch = Vec::new();
    for _ in 0..ROUNDS {
        let mut offset = 0u32;
        for (i, line) in text.split('\n').enumerate() {
            let pos = LinePos {
                file: FileId(0),
                offset,
                line: u32::try_from(i + 1).unwrap_or(u32::MAX),
            };
            offset += u32::try_from(line.len() + 1).unwrap_or(0);
            if split_line_into(std::hint::black_box(line), pos, &ctx, &mut scratch).is_ok() {
                words += scratch.len();
            }
        }
    }
    let used = cpu_seconds() - start;
    let mib = (text.len() * ROUNDS) as f64 / f64::from(1u32 << 20);
    println!(
        "{} bytes x {ROUNDS} rounds, {words} words, {used:.2} s of CPU: {:.0} MiB/s",
        text.len(),
        mib / used
    );
}

/// User plus system time of this process, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after
    // the command name; the clock ticks 100 times a second on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

/// The configuration of `benches/lexer.rs`.
fn config() -> String {
    let mut out = String::from(
        "global\n    maxconn 100000\n\ndefaults\n    mode http\n    timeout connect 5s\n\n",
    );
    for f in 0..10u32 {
        let _ = write!(out, "frontend fe{f}\n    bind :{}\n", 10_000 + f);
        for b in f * 500..(f + 1) * 500 {
            let _ = write!(
                out,
                "    acl host_{b} hdr(host) -i app{b}.example.com www.app{b}.example.com\n    acl path_{b} path_beg \"/svc/{b}/\" '/api/v1/svc{b}' # two\n"
            );
        }
        for b in f * 500..(f + 1) * 500 {
            let _ = writeln!(out, "    use_backend be{b} if host_{b} || path_{b}");
        }
    }
    for b in 0..5_000u32 {
        let _ = write!(out, "backend be{b}\n    balance roundrobin\n");
        for s in 0..10u32 {
            let n = b * 10 + s;
            let _ = writeln!(
                out,
                "    server s{s} 198.51.100.{}:{} check weight {}",
                n % 250 + 1,
                8000 + n % 1000,
                s + 1
            );
        }
    }
    out
}
