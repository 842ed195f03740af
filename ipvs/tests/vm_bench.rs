//! Performance on the real kernel (inside the VM, run by `cargo xtask vm
//! bench`): applying 10,000 services x 10 destinations from empty with
//! lbkit's reconcile vs `ipvsadm -R` of the same rules, a no-op
//! reconcile, and a dump of the 100,000 destinations. Prints the figures
//! BENCHMARKS.md records; one run, emulated: compare ratios only.

#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stdout)]

mod vm;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use lbkit_ipvs::*;
use vm::{fresh_client, in_vm};

/// A number from the environment.
fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `services` TCP services (203.0.113.1-250, ports from 1000) with
/// `dests` NAT destinations each (198.51.100.1.., port 80).
fn desired(services: usize, dests: usize) -> Vec<DesiredService> {
    (0..services)
        .map(|i| {
            let vip = format!("203.0.113.{}:{}", 1 + i % 250, 1000 + i / 250);
            let mut s = DesiredService::new(Service::new(ServiceKey::tcp(vip.parse().unwrap())));
            for d in 0..dests {
                let addr = format!("198.51.100.{}:80", 1 + d).parse().unwrap();
                s = s.destination(Destination::new(addr));
            }
            s
        })
        .collect()
}

/// The same state as ipvsadm rules.
fn rules(state: &[DesiredService]) -> String {
    let mut out = String::new();
    for s in state {
        let ServiceKey::Addr { addr, .. } = s.service.key else {
            continue;
        };
        out.push_str(&format!("-A -t {addr} -s wlc\n"));
        for d in &s.destinations {
            out.push_str(&format!("-a -t {addr} -r {} -m -w 1\n", d.addr));
        }
    }
    out
}

/// Peak resident memory of this process (`VmHWM`), in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Runs ipvsadm with `stdin`, timed.
fn timed_ipvsadm(args: &[&str], stdin: &str) -> f64 {
    let started = Instant::now();
    let mut child = Command::new("/usr/sbin/ipvsadm")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "ipvsadm {args:?}");
    started.elapsed().as_secs_f64()
}

#[test]
#[ignore = "needs a real IPVS kernel: cargo xtask vm bench"]
fn reconcile_vs_ipvsadm_restore() {
    if !in_vm("reconcile_vs_ipvsadm_restore") {
        return;
    }
    if std::env::var("LBKIT_IPVS_BENCH").as_deref() != Ok("1") {
        eprintln!("skipped reconcile_vs_ipvsadm_restore: run by `cargo xtask vm bench`");
        return;
    }
    let services = env_num("LBKIT_IPVS_BENCH_SERVICES", 10_000);
    let dests = env_num("LBKIT_IPVS_BENCH_DESTS", 10);
    let state = desired(services, dests);
    let mut c = fresh_client();

    let started = Instant::now();
    let plan = c.reconcile(&state, false).unwrap();
    let apply = started.elapsed().as_secs_f64();
    assert_eq!(plan.ops.len(), services * (dests + 1));

    let started = Instant::now();
    let noop = c.reconcile(&state, false).unwrap();
    let noop_s = started.elapsed().as_secs_f64();
    assert!(noop.is_empty());

    let rss_before = peak_rss_kib();
    let started = Instant::now();
    let dumped = c.state().unwrap();
    let dump_s = started.elapsed().as_secs_f64();
    let rss_after = peak_rss_kib();
    let total_dests: usize = dumped.iter().map(|s| s.destinations.len()).sum();
    assert_eq!(total_dests, services * dests);
    drop(dumped);
    let list_s = timed_ipvsadm(&["-Ln"], "");

    let started = Instant::now();
    c.flush().unwrap();
    let flush_s = started.elapsed().as_secs_f64();
    let restore_s = timed_ipvsadm(&["-R"], &rules(&state));
    assert_eq!(c.services().unwrap().len(), services);
    c.flush().unwrap();

    let info = c.info().unwrap();
    let (a, b, v) = info.version_triplet();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    println!("BENCH kernel {} (IPVS {a}.{b}.{v})", kernel.trim());
    println!("BENCH state {services} services x {dests} destinations");
    println!("BENCH lbkit reconcile from empty: {apply:.3} s");
    println!("BENCH ipvsadm -R of the same rules: {restore_s:.3} s");
    println!("BENCH ratio ipvsadm -R / lbkit: {:.1}x", restore_s / apply);
    println!("BENCH lbkit no-op reconcile: {:.1} ms", noop_s * 1000.0);
    println!(
        "BENCH lbkit dump of {total_dests} destinations: {:.3} s, peak RSS {} -> {} KiB",
        dump_s, rss_before, rss_after
    );
    println!("BENCH ipvsadm -Ln of the same: {list_s:.3} s");
    println!("BENCH lbkit flush: {flush_s:.3} s");
}
