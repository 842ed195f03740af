//! `mode tcp` through real sockets on loopback: forwarding with half-close,
//! balancing, retries and redispatch, maxconn and queues, timeouts, run-time
//! server state.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod support;

use haproxy_rs::proxy::config::*;
use haproxy_rs::proxy::ServerState;
use lbkit_sched::haproxy::{Balance, BalancerConfig};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use support::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const T: Duration = Duration::from_secs(3);

fn frontend(name: &str, bind: &str, backend: &str) -> Frontend {
    Frontend {
        name: name.into(),
        binds: vec![Bind::plain(Bind::parse_addr(bind).expect("addr"))],
        default_backend: Some(backend.into()),
        ..Frontend::default()
    }
}

fn backend(servers: &[(&str, SocketAddr)]) -> Backend {
    let mut b = Backend::new("app", Mode::Tcp);
    for (i, (name, addr)) in servers.iter().enumerate() {
        b.servers.push(Server::new(*name, i as u32 + 1, *addr));
    }
    b
}

fn config(fe: Frontend, be: Backend) -> Config {
    Config {
        frontends: vec![fe],
        backends: vec![be],
        ..Config::default()
    }
}

/// Connects, says `msg`, shuts the sending side, returns all it got back.
async fn exchange(addr: SocketAddr, msg: &[u8]) -> String {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return String::new();
    };
    let _ = s.write_all(msg).await;
    let _ = s.shutdown().await;
    String::from_utf8_lossy(&read_all(&mut s, T).await).into_owned()
}

async fn first_line(addr: SocketAddr) -> String {
    match TcpStream::connect(addr).await {
        Ok(mut s) => read_line(&mut s, T).await,
        Err(_) => String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_both_ways_and_passes_the_half_close() {
    let s1 = named_server("s1").await;
    let p = start(config(
        frontend("main", "127.0.0.1:0", "app"),
        backend(&[("s1", s1)]),
    ));
    // The server writes `bye` only after it saw our FIN through the proxy.
    assert_eq!(exchange(p.addr("main"), b"hello").await, "s1\nhellobye");
    // A bigger payload than one buffer.
    let big = vec![b'x'; 100_000];
    let got = exchange(p.addr("main"), &big).await;
    assert_eq!(got.len(), 3 + 100_000 + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv6_listener() {
    let s1 = named_server("s1").await;
    let p = start(config(
        frontend("main", "[::1]:0", "app"),
        backend(&[("s1", s1)]),
    ));
    assert!(p.addr("main").is_ipv6());
    assert_eq!(exchange(p.addr("main"), b"x").await, "s1\nxbye");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roundrobin_and_weights_through_lbkit_sched() {
    let (a, b) = (named_server("a").await, named_server("b").await);
    let mut be = backend(&[("a", a), ("b", b)]);
    be.servers[0].weight = 2;
    let p = start(config(frontend("main", "127.0.0.1:0", "app"), be));
    let mut seen = Vec::new();
    for _ in 0..6 {
        seen.push(first_line(p.addr("main")).await);
    }
    assert_eq!(seen.iter().filter(|s| *s == "a").count(), 4, "{seen:?}");
    assert_eq!(seen.iter().filter(|s| *s == "b").count(), 2, "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_stay_on_a_dead_server_without_redispatch() {
    let live = named_server("live").await;
    let mut be = backend(&[("dead", dead_addr()), ("live", live)]);
    be.retries = 1;
    be.timeouts.connect = Some(Duration::from_millis(100));
    let p = start(config(frontend("main", "127.0.0.1:0", "app"), be));
    let mut lines = Vec::new();
    for _ in 0..4 {
        lines.push(first_line(p.addr("main")).await);
    }
    // Round robin alternates; the connections given to `dead` fail after
    // their retry and are closed without a byte.
    assert_eq!(
        lines.iter().filter(|l| l.is_empty()).count(),
        2,
        "{lines:?}"
    );
    assert_eq!(
        lines.iter().filter(|l| *l == "live").count(),
        2,
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redispatch_moves_a_failed_connection_to_another_server() {
    let live = named_server("live").await;
    let mut be = backend(&[("dead", dead_addr()), ("live", live)]);
    be.retries = 1;
    be.redispatch = Some(-1);
    let p = start(config(frontend("main", "127.0.0.1:0", "app"), be));
    for _ in 0..4 {
        assert_eq!(first_line(p.addr("main")).await, "live");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turn_around_delay_between_retries_on_one_server() {
    // One server: HAProxy waits min(1s, timeout connect) between attempts.
    let mut be = backend(&[("dead", dead_addr())]);
    be.retries = 2;
    be.timeouts.connect = Some(Duration::from_millis(200));
    let p = start(config(frontend("main", "127.0.0.1:0", "app"), be));
    let t0 = Instant::now();
    assert_eq!(first_line(p.addr("main")).await, "");
    let took = t0.elapsed();
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_maxconn_queues_then_times_out() {
    let s1 = named_server("s1").await;
    let mut be = backend(&[("s1", s1)]);
    be.servers[0].maxconn = 1;
    be.timeouts.queue = Some(Duration::from_millis(300));
    let p = start(config(frontend("main", "127.0.0.1:0", "app"), be));
    let mut first = TcpStream::connect(p.addr("main")).await.expect("connect");
    assert_eq!(read_line(&mut first, T).await, "s1");
    assert_eq!(
        p.handle.server_status("app", "s1").map(|s| s.current),
        Ok(1)
    );
    // The second waits in the queue and is dropped after `timeout queue`.
    let t0 = Instant::now();
    let mut second = TcpStream::connect(p.addr("main")).await.expect("connect");
    let got = read_all(&mut second, T).await;
    assert!(got.is_empty(), "{got:?}");
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(280) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    // A queued connection proceeds as soon as the slot frees.
    let mut third = TcpStream::connect(p.addr("main")).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(first);
    assert_eq!(read_line(&mut third, T).await, "s1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frontend_maxconn_holds_further_connections_in_the_backlog() {
    let s1 = named_server("s1").await;
    let mut fe = frontend("main", "127.0.0.1:0", "app");
    fe.maxconn = 1;
    let p = start(config(fe, backend(&[("s1", s1)])));
    let mut first = TcpStream::connect(p.addr("main")).await.expect("connect");
    assert_eq!(read_line(&mut first, T).await, "s1");
    let mut second = TcpStream::connect(p.addr("main")).await.expect("connect");
    assert_eq!(read_line(&mut second, Duration::from_millis(300)).await, "");
    drop(first);
    assert_eq!(read_line(&mut second, T).await, "s1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_maxconn_spans_frontends() {
    let s1 = named_server("s1").await;
    let mut cfg = config(
        frontend("one", "127.0.0.1:0", "app"),
        backend(&[("s1", s1)]),
    );
    cfg.frontends.push(frontend("two", "127.0.0.1:0", "app"));
    cfg.global.maxconn = 1;
    let p = start(cfg);
    let mut first = TcpStream::connect(p.addr("one")).await.expect("connect");
    assert_eq!(read_line(&mut first, T).await, "s1");
    let mut second = TcpStream::connect(p.addr("two")).await.expect("connect");
    assert_eq!(read_line(&mut second, Duration::from_millis(300)).await, "");
    drop(first);
    assert_eq!(read_line(&mut second, T).await, "s1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_tunnel_is_closed_by_timeout_client() {
    let s1 = named_server("s1").await;
    let mut fe = frontend("main", "127.0.0.1:0", "app");
    fe.timeouts.client = Some(Duration::from_millis(300));
    let p = start(config(fe, backend(&[("s1", s1)])));
    let t0 = Instant::now();
    let mut s = TcpStream::connect(p.addr("main")).await.expect("connect");
    let got = read_all(&mut s, T).await;
    let took = t0.elapsed();
    assert_eq!(got, b"s1\n");
    assert!(
        took >= Duration::from_millis(280) && took < Duration::from_millis(1500),
        "{took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_tunnel_overrides_client_and_server() {
    let s1 = named_server("s1").await;
    let mut fe = frontend("main", "127.0.0.1:0", "app");
    fe.timeouts.client = Some(Duration::from_millis(100));
    let mut be = backend(&[("s1", s1)]);
    be.timeouts.server = Some(Duration::from_millis(100));
    be.timeouts.tunnel = Some(Duration::from_millis(600));
    let p = start(config(fe, be));
    let t0 = Instant::now();
    let mut s = TcpStream::connect(p.addr("main")).await.expect("connect");
    let _ = read_all(&mut s, T).await;
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(550) && took < Duration::from_millis(2000),
        "{took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_servers_are_skipped_and_backups_take_over() {
    let (a, b, k1, k2) = (
        named_server("a").await,
        named_server("b").await,
        named_server("k1").await,
        named_server("k2").await,
    );
    let mut be = backend(&[("a", a), ("b", b), ("k1", k1), ("k2", k2)]);
    be.servers[2].backup = true;
    be.servers[3].backup = true;
    let p = start(config(frontend("main", "127.0.0.1:0", "app"), be));
    let h = &p.handle;
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(first_line(p.addr("main")).await);
    }
    assert!(seen.iter().all(|s| s == "a" || s == "b"), "{seen:?}");
    h.set_server_state("app", "a", ServerState::Down)
        .expect("state");
    for _ in 0..3 {
        assert_eq!(first_line(p.addr("main")).await, "b");
    }
    h.set_server_state("app", "b", ServerState::Drain)
        .expect("state");
    // Without `option allbackups` only the first backup serves.
    for _ in 0..3 {
        assert_eq!(first_line(p.addr("main")).await, "k1");
    }
    h.set_server_state("app", "a", ServerState::Up)
        .expect("state");
    assert_eq!(first_line(p.addr("main")).await, "a");
    assert!(h.set_server_state("app", "zz", ServerState::Up).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allbackups_spreads_over_every_backup() {
    let (a, k1, k2) = (
        named_server("a").await,
        named_server("k1").await,
        named_server("k2").await,
    );
    let mut be = backend(&[("a", a), ("k1", k1), ("k2", k2)]);
    be.servers[0].disabled = true;
    be.servers[1].backup = true;
    be.servers[2].backup = true;
    be.balance = BalancerConfig::new(Balance::RoundRobin).allbackups(true);
    let p = start(config(frontend("main", "127.0.0.1:0", "app"), be));
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(first_line(p.addr("main")).await);
    }
    assert_eq!(seen.iter().filter(|s| *s == "k1").count(), 2, "{seen:?}");
    assert_eq!(seen.iter().filter(|s| *s == "k2").count(), 2, "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weight_zero_takes_nothing_new() {
    let (a, b) = (named_server("a").await, named_server("b").await);
    let p = start(config(
        frontend("main", "127.0.0.1:0", "app"),
        backend(&[("a", a), ("b", b)]),
    ));
    p.handle.set_server_weight("app", "a", 0).expect("weight");
    for _ in 0..3 {
        assert_eq!(first_line(p.addr("main")).await, "b");
    }
    assert!(p.handle.set_server_weight("app", "a", 257).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowstart_ramps_a_returning_server_up() {
    let (a, b) = (named_server("a").await, named_server("b").await);
    let mut be = backend(&[("a", a), ("b", b)]);
    be.servers[0].weight = 10;
    be.servers[1].weight = 10;
    be.servers[1].slowstart = Some(Duration::from_secs(2));
    let p = start(config(frontend("main", "127.0.0.1:0", "app"), be));
    p.handle
        .set_server_state("app", "b", ServerState::Down)
        .expect("down");
    p.handle
        .set_server_state("app", "b", ServerState::Up)
        .expect("up");
    let count_b = |lines: &[String]| lines.iter().filter(|l| *l == "b").count();
    let mut early = Vec::new();
    for _ in 0..20 {
        early.push(first_line(p.addr("main")).await);
    }
    // At the start of its ramp `b` weighs a sliver of `a` (HAProxy:
    // eweight = uweight * 1 / wdiv at elapsed 0).
    assert!(count_b(&early) <= 2, "{early:?}");
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let mut late = Vec::new();
    for _ in 0..20 {
        late.push(first_line(p.addr("main")).await);
    }
    // Ramp over: equal weights again.
    assert!((8..=12).contains(&count_b(&late)), "{late:?}");
}
