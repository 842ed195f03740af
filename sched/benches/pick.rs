//! Pick latency of every algorithm at 10, 100 and 1,000 servers.
//!
//! Each iteration picks one server for the next of 1,024 prepared request
//! keys (varied client, destination, URI, header, cookie). Connection
//! counters are set unevenly beforehand so least-connection algorithms do
//! real comparisons. `baseline` is an array index, to read the others
//! against on a noisy machine.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]
// A benchmark: a failed setup should stop it loudly.
#![allow(clippy::expect_used)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use lbkit_sched::{RequestKey, Scheduler, ServerConfig, ServerId, SplitMix64};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

const SIZES: [u32; 3] = [10, 100, 1000];

const ALGORITHMS: &[&str] = &[
    "lb_algo rr",
    "lb_algo wrr",
    "lb_algo lc",
    "lb_algo wlc",
    "lb_algo lblc",
    "lb_algo lblcr",
    "lb_algo dh",
    "lb_algo sh",
    "lb_algo sed",
    "lb_algo nq",
    "lb_algo fo",
    "lb_algo ovf",
    "lb_algo mh",
    "lb_algo twos",
    "balance roundrobin",
    "balance static-rr",
    "balance leastconn",
    "balance first",
    "balance source",
    "balance uri",
    "balance url_param user",
    "balance hdr(host)",
    "balance rdp-cookie",
    "balance random",
];

/// The request parts the keys borrow.
struct Requests {
    uris: Vec<String>,
    hosts: Vec<String>,
    cookies: Vec<String>,
}

impl Requests {
    fn new() -> Self {
        Requests {
            uris: (0..1024)
                .map(|i| format!("/a/b{}/c?user={}", i % 97, i))
                .collect(),
            hosts: (0..1024)
                .map(|i| format!("h{}.example.com", i % 61))
                .collect(),
            cookies: (0..1024).map(|i| format!("user{i}")).collect(),
        }
    }

    fn keys(&self) -> Vec<RequestKey<'_>> {
        (0..1024u32)
            .map(|i| {
                let i8 = |x: u32| (x % 250) as u8 + 1;
                RequestKey::new()
                    .src(SocketAddr::new(
                        IpAddr::V4(Ipv4Addr::new(203, 0, i8(i / 250), i8(i))),
                        (1024 + i) as u16,
                    ))
                    .dst(SocketAddr::new(
                        IpAddr::V4(Ipv4Addr::new(192, 0, 2, i8(i % 7))),
                        80,
                    ))
                    .uri(self.uris[i as usize].as_bytes())
                    .header(self.hosts[i as usize].as_bytes())
                    .cookie(self.cookies[i as usize].as_bytes())
            })
            .collect()
    }
}

/// A scheduler with `n` servers of weights 1..=4 and uneven connection counts.
fn scheduler(line: &str, n: u32) -> Scheduler {
    let sched = Scheduler::from_config(line).expect("known algorithm");
    let mut sched = match sched {
        Scheduler::Ipvs(s) => Scheduler::Ipvs(s.with_random(SplitMix64::new(1))),
        Scheduler::Haproxy(b) => Scheduler::Haproxy(b.with_random(SplitMix64::new(1))),
        other => other,
    };
    for i in 0..n {
        let addr = SocketAddr::new(
            IpAddr::V4(Ipv4Addr::new(198, 51, 100, (i % 250) as u8 + 1)),
            8000 + i as u16,
        );
        let cfg = ServerConfig::new(1 + i % 4).addr(addr).maxconn(1_000_000);
        sched.add(ServerId(i + 1), cfg).expect("valid server");
        for _ in 0..(i * 7919 % 13) {
            sched
                .connection_opened(ServerId(i + 1))
                .expect("known server");
        }
    }
    sched
}

fn pick(c: &mut Criterion) {
    let requests = Requests::new();
    let keys = requests.keys();
    let table: Vec<u32> = (0..1024).collect();
    let mut group = c.benchmark_group("baseline");
    let mut i = 0usize;
    group.bench_function("array-index", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            black_box(table[black_box(i)])
        })
    });
    group.finish();
    for line in ALGORITHMS {
        let name = line
            .split_once(' ')
            .map_or(*line, |(_, a)| a)
            .replace(' ', "-");
        let mut group = c.benchmark_group(format!("pick/{name}"));
        for n in SIZES {
            let mut sched = scheduler(line, n);
            let mut i = 0usize;
            group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
                b.iter(|| {
                    i = (i + 1) & 1023;
                    black_box(sched.pick(&keys[i]))
                })
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_millis(800));
    targets = pick
}
criterion_main!(benches);
