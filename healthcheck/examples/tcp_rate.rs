//! TCP checks per second on one core, and memory per configured check.
//!
//! The checks run on a single-threaded tokio runtime (one core at most);
//! loopback listeners accept on other threads. Run with
//! `cargo run --release -p lbkit-healthcheck --example tcp_rate -- [checks] [seconds] [concurrency]`.

// A report tool: it prints its figures.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use lbkit_healthcheck::checkers::tcp::TcpCheck;
use lbkit_healthcheck::checkers::Check;
use lbkit_healthcheck::scheduler::{spawn, CheckId, Options};
use lbkit_healthcheck::Status;
use socket2::{Domain, Socket, Type};
use tokio::time::Instant;

const LISTENERS: usize = 4;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let checks: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(15_000);
    let seconds: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5);
    let concurrency: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(4096);
    let addrs = (0..LISTENERS)
        .map(|_| acceptor())
        .collect::<Result<Vec<_>, _>>()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Memory first: freed pages of the rate run would hide new allocations.
    rt.block_on(memory(&addrs))?;
    rt.block_on(rate(
        &addrs,
        checks,
        Duration::from_secs(seconds),
        concurrency,
    ))?;
    Ok(())
}

/// A loopback listener with a deep backlog, accepting on its own thread.
fn acceptor() -> Result<SocketAddr, Box<dyn Error>> {
    let s = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    s.set_reuse_address(true)?;
    s.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
    s.listen(4096)?;
    let l: TcpListener = s.into();
    let addr = l.local_addr()?;
    std::thread::spawn(move || {
        while let Ok((c, _)) = l.accept() {
            drop(c);
        }
    });
    Ok(addr)
}

/// `checks` checks every second each, for `run`: the offered rate is
/// `checks` per second.
async fn rate(
    addrs: &[SocketAddr],
    checks: u64,
    run: Duration,
    concurrency: usize,
) -> Result<(), Box<dyn Error>> {
    let (handle, mut rx) = spawn(Options {
        concurrency,
        jitter_percent: 0,
        channel: 4096,
        ..Options::default()
    });
    let start = Instant::now();
    for i in 0..checks {
        let addr = addrs[(i % addrs.len() as u64) as usize];
        let first = start + Duration::from_nanos(i * 1_000_000_000 / checks.max(1));
        handle.add(
            CheckId(i),
            Check::Tcp(TcpCheck::new(addr, Duration::from_secs(2))),
            Duration::from_secs(1),
            first,
        )?;
    }
    // One second of warm-up, then measure.
    let warm = start + Duration::from_secs(1);
    while Instant::now() < warm {
        let _ = tokio::time::timeout_at(warm, rx.recv()).await;
    }
    let cpu0 = thread_cpu();
    let t0 = Instant::now();
    let end = t0 + run;
    let (mut ok, mut failed) = (0u64, 0u64);
    let (mut total, mut slowest, mut over_100ms) = (Duration::ZERO, Duration::ZERO, 0u64);
    while let Ok(Some(c)) = tokio::time::timeout_at(end, rx.recv()).await {
        let d = c.outcome.result.duration;
        total += d;
        slowest = slowest.max(d);
        over_100ms += u64::from(d > Duration::from_millis(100));
        if c.outcome.result.status == Status::L4Ok {
            ok += 1;
        } else {
            failed += 1;
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = thread_cpu() - cpu0;
    println!("offered: {checks} checks/s ({checks} checks, inter 1 s, concurrency {concurrency}), measured over {wall:.1} s");
    println!(
        "completed: {:.0} checks/s passed, {failed} failed",
        ok as f64 / wall
    );
    let n = u32::try_from((ok + failed).max(1)).unwrap_or(u32::MAX);
    println!(
        "check duration: mean {:?}, slowest {slowest:?}, {over_100ms} over 100 ms",
        total / n
    );
    if cpu > 0.0 {
        println!(
            "checker thread CPU: {:.0}% of one core; {:.0} checks per CPU-second",
            100.0 * cpu / wall,
            (ok + failed) as f64 / cpu
        );
    }
    Ok(())
}

/// Memory per configured check: resident size before and after adding
/// 100,000 checks that are not due yet.
async fn memory(addrs: &[SocketAddr]) -> Result<(), Box<dyn Error>> {
    const N: u64 = 100_000;
    let (handle, _rx) = spawn(Options::default());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = rss_bytes();
    let later = Instant::now() + Duration::from_secs(3600);
    for i in 0..N {
        let addr = addrs[(i % addrs.len() as u64) as usize];
        handle.add(
            CheckId(i),
            Check::Tcp(TcpCheck::new(addr, Duration::from_secs(2))),
            Duration::from_secs(1),
            later,
        )?;
    }
    let configured = handle.configured().await?;
    let after = rss_bytes();
    println!(
        "memory: {} bytes per configured TCP check (RSS +{} KiB for {configured}); size_of::<Check>() = {}",
        (after.saturating_sub(before)) / N,
        (after.saturating_sub(before)) / 1024,
        std::mem::size_of::<Check>()
    );
    Ok(())
}

/// CPU seconds used by the calling thread (`/proc/thread-self/stat`).
fn thread_cpu() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/thread-self/stat") else {
        return 0.0;
    };
    // Fields after the command name: utime is the 14th field, stime the 15th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Resident set size (`/proc/self/statm`, pages of 4 KiB).
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0)
        * 4096
}
