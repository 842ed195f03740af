//! The lexer alone (`scan_str`: every word found and located) and the
//! lexer with the parser (`parse_tree`: the syntax tree) over a generated
//! configuration of about 10,000 lines: 500 `vrrp_instance`s and 200
//! `virtual_server`s with 10 `real_server`s each. Throughput in bytes.

// criterion's macros define undocumented items.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lbkit_keepalived_cfg::{parse_tree, scan_str, Options};
use std::fmt::Write;

/// The generated configuration.
fn config() -> String {
    let mut text = String::from(
        "! Generated for the lexer benchmark\nglobal_defs {\n   router_id LVS_BENCH\n   enable_script_security\n}\n\n",
    );
    for i in 0..500u32 {
        let _ = write!(
            text,
            "vrrp_instance VI_{i} {{\n    state {}\n    interface eth{}\n    virtual_router_id {}\n    priority {}\n    advert_int 1 # seconds\n    virtual_ipaddress {{\n        192.0.2.{}/24 dev eth{} label eth{}:{}\n    }}\n}}\n",
            if i % 2 == 0 { "MASTER" } else { "BACKUP" },
            i / 255,
            i % 255 + 1,
            100 + i % 100,
            i % 250 + 1,
            i / 255,
            i / 255,
            i % 100,
        );
    }
    for v in 0..200u32 {
        let _ = write!(
            text,
            "virtual_server 198.51.100.{} {} {{\n    delay_loop 6\n    lb_algo wrr\n    lb_kind NAT\n    protocol TCP\n",
            v % 250 + 1,
            8000 + v
        );
        for r in 0..10u32 {
            let _ = write!(
                text,
                "    real_server 203.0.113.{} {} {{\n        weight {} }}\n",
                r * 20 + v % 20 + 1,
                8000 + v,
                r + 1
            );
        }
        text.push_str("}\n");
    }
    text
}

fn lexer(c: &mut Criterion) {
    let text = config();
    let opts = Options::new();
    let parsed = parse_tree("bench.conf", &text, &opts);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    eprintln!(
        "lexer bench: {} lines, {} bytes, {} top-level blocks",
        text.lines().count(),
        text.len(),
        parsed.tree.nodes.len()
    );
    let scan = scan_str("bench.conf", &text, &opts);
    assert!(scan.diagnostics.is_empty());
    assert!(scan.words > 20_000, "{scan:?}");
    let mut group = c.benchmark_group("lexer");
    group.throughput(Throughput::Bytes(text.len() as u64));
    // The lexer alone: every word found and located, no tree.
    group.bench_function("scan_10k_lines", |b| {
        b.iter(|| scan_str("bench.conf", std::hint::black_box(&text), &opts))
    });
    // Lexer and parser: the syntax tree (dropped outside the timing).
    group.bench_function("parse_tree_10k_lines", |b| {
        b.iter_with_large_drop(|| parse_tree("bench.conf", std::hint::black_box(&text), &opts))
    });
    group.finish();
}

criterion_group!(benches, lexer);
criterion_main!(benches);
