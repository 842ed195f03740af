//! Cost of feeding one check result to the HAProxy and keepalived state
//! machines.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use lbkit_healthcheck::haproxy::{Config, Server};
use lbkit_healthcheck::keepalived::{
    CheckerConfig, RealServerConfig, VirtualServer, VirtualServerConfig,
};
use lbkit_healthcheck::{CheckResult, Status};

fn haproxy(c: &mut Criterion) {
    let t = Instant::now();
    let ok = CheckResult::new(Status::L4Ok, Duration::ZERO);
    let bad = CheckResult::new(Status::L4Con, Duration::ZERO).with_info("Connection refused");
    let cfg = Config {
        rise: 2,
        fall: 3,
        ..Config::default()
    };
    c.bench_function("haproxy/on_check steady up", |b| {
        let mut s = Server::new(cfg.clone(), t, t);
        b.iter(|| black_box(s.on_check(t, black_box(&ok), 7)));
    });
    c.bench_function("haproxy/on_check flapping (5 ok, 5 fail)", |b| {
        let mut s = Server::new(cfg.clone(), t, t);
        let mut i = 0u32;
        b.iter(|| {
            i = i.wrapping_add(1);
            let r = if (i / 5) % 2 == 0 { &ok } else { &bad };
            black_box(s.on_check(t, r, i))
        });
    });
}

fn keepalived(c: &mut Criterion) {
    let t = Instant::now();
    let servers: Vec<RealServerConfig> = (0..100)
        .map(|_| RealServerConfig {
            weight: 1,
            inhibit_on_failure: false,
            checkers: vec![CheckerConfig {
                retry: 0,
                ..CheckerConfig::default()
            }],
        })
        .collect();
    c.bench_function("keepalived/on_result steady up, 100 servers", |b| {
        let mut vs = VirtualServer::new(VirtualServerConfig::default(), servers.clone(), t, || 0);
        let mut i = 0usize;
        b.iter(|| {
            i = i.wrapping_add(1);
            black_box(vs.on_result(i % 100, 0, t, true, "x"))
        });
    });
    c.bench_function("keepalived/on_result flapping, 100 servers", |b| {
        let mut vs = VirtualServer::new(VirtualServerConfig::default(), servers.clone(), t, || 0);
        let mut i = 0usize;
        b.iter(|| {
            i = i.wrapping_add(1);
            black_box(vs.on_result(i % 100, 0, t, (i / 100) % 2 == 0, "x"))
        });
    });
}

criterion_group!(benches, haproxy, keepalived);
criterion_main!(benches);
