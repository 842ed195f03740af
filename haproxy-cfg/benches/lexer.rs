//! The lexer alone (`split_line_into` over every line into one reused
//! vector: words unquoted, unescaped, expanded and located) and the whole
//! check (`load_str`: lexer, `.if` blocks, model, checker) over a
//! generated configuration of about 3.4 MB: 5,000 backends of 10 servers
//! and 10 ACL-heavy frontends, the shape of `cargo xtask bench-haproxy`.
//! Throughput in bytes.

// criterion's macros define undocumented items.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lbkit_haproxy_cfg::{load_str, split_line_into, FileId, LineContext, LinePos, Options};
use std::fmt::Write;

/// The generated configuration.
fn config() -> String {
    let mut out = String::from(
        "global\n    maxconn 100000\n    log /dev/log local0\n\ndefaults\n    mode http\n    log global\n    option httplog\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n    default-server inter 2s fall 3 rise 2\n\n",
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
        let _ = write!(out, "    default_backend be{}\n\n", f * 500);
    }
    for b in 0..5_000u32 {
        let _ = write!(out, "backend be{b}\n    balance roundrobin\n");
        for s in 0..10u32 {
            let n = b * 10 + s;
            let net = ["192.0.2", "198.51.100", "203.0.113"][(n / 250 % 3) as usize];
            let _ = writeln!(
                out,
                "    server s{s} {net}.{}:{} check weight {}",
                n % 250 + 1,
                8000 + n % 1000,
                s + 1
            );
        }
        out.push('\n');
    }
    out
}

/// Splits every line; returns the number of words.
fn lex_all(text: &str) -> usize {
    let env = |_: &str| None;
    let ctx = LineContext {
        file_name: "bench.cfg",
        section: "",
        env: &env,
    };
    let mut words = 0;
    let mut scratch = Vec::new();
    let mut offset = 0u32;
    for (i, line) in text.split('\n').enumerate() {
        let pos = LinePos {
            file: FileId(0),
            offset,
            line: i as u32 + 1,
        };
        offset += line.len() as u32 + 1;
        if split_line_into(line, pos, &ctx, &mut scratch).is_ok() {
            words += scratch.len();
        }
    }
    words
}

fn lexer(c: &mut Criterion) {
    let text = config();
    let opts = Options::new().env([("HOME", "/root")]).hosts(["localhost"]);
    let loaded = load_str("bench.cfg", &text, &opts);
    assert!(!loaded.has_errors(), "{}", loaded.render());
    eprintln!(
        "lexer bench: {} lines, {} bytes, {} words",
        text.lines().count(),
        text.len(),
        lex_all(&text)
    );
    let mut group = c.benchmark_group("haproxy_cfg");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(20);
    group.bench_function("lexer", |b| b.iter(|| lex_all(std::hint::black_box(&text))));
    group.bench_function("load_str", |b| {
        b.iter(|| load_str("bench.cfg", std::hint::black_box(&text), &opts).exit_code())
    });
    group.finish();
}

criterion_group!(benches, lexer);
criterion_main!(benches);
