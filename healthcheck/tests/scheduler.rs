//! The scheduler against loopback servers: thousands of checks, the
//! concurrency bound, rescheduling and removal.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use lbkit_healthcheck::checkers::http::{Expect, HttpCheck};
use lbkit_healthcheck::checkers::tcp::TcpCheck;
use lbkit_healthcheck::checkers::Check;
use lbkit_healthcheck::scheduler::{spawn, CheckId, Options};
use lbkit_healthcheck::Status;
use tokio::time::Instant;

async fn accepting_listener() -> std::net::SocketAddr {
    let (l, addr) = listener().await;
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            drop(s);
        }
    });
    addr
}

/// 5,000 TCP checks over 8 listeners, all reported, all passing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_tcp_checks() {
    let mut addrs = Vec::new();
    for _ in 0..8 {
        addrs.push(accepting_listener().await);
    }
    let (handle, mut rx) = spawn(Options {
        concurrency: 256,
        jitter_percent: 10,
        ..Options::default()
    });
    let now = Instant::now();
    for i in 0..5000u64 {
        let check = Check::Tcp(TcpCheck::new(
            addrs[(i % 8) as usize],
            Duration::from_secs(2),
        ));
        let first = now + Duration::from_micros(i * 100); // spread over 0.5 s
        handle
            .add(CheckId(i), check, Duration::from_secs(60), first)
            .unwrap();
    }
    let mut seen: HashMap<u64, Status> = HashMap::new();
    while seen.len() < 5000 {
        let c = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .unwrap()
            .unwrap();
        seen.insert(c.id.0, c.outcome.result.status);
    }
    assert!(seen.values().all(|s| *s == Status::L4Ok));
}

/// 20 checks that each hold 100 ms, at most 5 at once: the first round
/// takes four waves.
#[tokio::test]
async fn concurrency_is_bounded() {
    let silent = silent_server().await;
    let (handle, mut rx) = spawn(Options {
        concurrency: 5,
        ..Options::default()
    });
    let start = Instant::now();
    for i in 0..20 {
        let mut c = HttpCheck::new(silent, Duration::from_millis(100));
        c.expect = Expect::Default;
        handle
            .add(
                CheckId(i),
                Check::Http(Box::new(c)),
                Duration::from_secs(60),
                start,
            )
            .unwrap();
    }
    let mut times = Vec::new();
    for _ in 0..20 {
        let c = rx.recv().await.unwrap();
        assert_eq!(c.outcome.result.status, Status::L7Timeout);
        times.push(c.finished - start);
    }
    let early = times
        .iter()
        .filter(|t| **t < Duration::from_millis(150))
        .count();
    assert!(early <= 5, "{early} finished in the first wave");
    assert!(
        times.iter().max().unwrap() >= &Duration::from_millis(390),
        "{times:?}"
    );
}

/// Reschedule moves the next run; remove stops a check.
#[tokio::test]
async fn reschedule_and_remove() {
    let addr = accepting_listener().await;
    let (handle, mut rx) = spawn(Options::default());
    let start = Instant::now();
    let check = Check::Tcp(TcpCheck::new(addr, Duration::from_secs(1)));
    handle
        .add(CheckId(1), check.clone(), Duration::from_secs(30), start)
        .unwrap();
    let first = rx.recv().await.unwrap();
    handle
        .reschedule(CheckId(1), Instant::now() + Duration::from_millis(50))
        .unwrap();
    let second = tokio::time::timeout(Duration::from_secs(2), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let gap = second.finished - first.finished;
    assert!(
        gap >= Duration::from_millis(50) && gap < Duration::from_secs(1),
        "{gap:?}"
    );
    handle
        .add(CheckId(2), check, Duration::from_millis(20), Instant::now())
        .unwrap();
    rx.recv().await.unwrap();
    assert_eq!(handle.configured().await.unwrap(), 2);
    handle.remove(CheckId(2)).unwrap();
    handle.remove(CheckId(1)).unwrap();
    assert_eq!(handle.configured().await.unwrap(), 0);
    // Drain what was in flight, then silence.
    while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {}
    assert!(tokio::time::timeout(Duration::from_millis(200), rx.recv())
        .await
        .is_err());
}
