//! The engine's counters and administrative states, read through
//! [`Handle::snapshot`] after real traffic on loopback.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod support;

use haproxy_rs::ops::snapshot::Snapshot;
use haproxy_rs::proxy::config::*;
use haproxy_rs::proxy::{AdminState, Handle};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use support::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const T: Duration = Duration::from_secs(3);

fn config(servers: &[(&str, SocketAddr)]) -> Config {
    let mut b = Backend::new("app", Mode::Tcp);
    for (i, (name, addr)) in servers.iter().enumerate() {
        b.servers.push(Server::new(*name, i as u32 + 1, *addr));
    }
    let fe = Frontend {
        name: "main".into(),
        binds: vec![Bind::plain(Bind::parse_addr("127.0.0.1:0").expect("addr"))],
        default_backend: Some("app".into()),
        mode: Mode::Tcp,
        ..Frontend::default()
    };
    Config {
        frontends: vec![fe],
        backends: vec![b],
        ..Config::default()
    }
}

/// Says `hello`, half-closes, returns what came back.
async fn exchange(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"hello").await.expect("write");
    s.shutdown().await.expect("shutdown");
    String::from_utf8_lossy(&read_all(&mut s, T).await).into_owned()
}

/// The snapshot once `done` holds (counters land as connections close).
async fn settled(h: &Handle, done: impl Fn(&Snapshot) -> bool) -> Snapshot {
    let until = Instant::now() + T;
    loop {
        let s = h.snapshot();
        if done(&s) || Instant::now() > until {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_sessions_bytes_and_picks_are_counted() {
    let s1 = named_server("s1").await;
    let s2 = named_server("s2").await;
    let p = start(config(&[("s1", s1), ("s2", s2)]));
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(exchange(p.addr("main")).await);
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "s1\nhellobye",
            "s1\nhellobye",
            "s2\nhellobye",
            "s2\nhellobye"
        ]
    );
    let snap = settled(&p.handle, |s| {
        s.frontend("main").is_some_and(|f| {
            f.frontend
                .as_ref()
                .is_some_and(|f| f.traffic.bytes_out == 44)
        })
    })
    .await;
    let fe = snap.frontend("main").unwrap().frontend.clone().unwrap();
    // 4 sessions, "hello" in, "sN\n" + "hello" + "bye" out each.
    assert_eq!(
        (fe.traffic.stot, fe.traffic.bytes_in, fe.traffic.bytes_out),
        (4, 20, 44)
    );
    assert_eq!(fe.traffic.scur, 0);
    assert!(fe.traffic.smax >= 1);
    let app = snap.backend("app").unwrap();
    let be = app.backend.clone().unwrap();
    assert_eq!(
        (be.traffic.stot, be.lbtot, be.traffic.bytes_out),
        (4, 4, 44)
    );
    assert_eq!(be.algo, "roundrobin");
    let per_server: Vec<(String, u64, u64, u64)> = app
        .servers
        .iter()
        .map(|s| (s.name.clone(), s.traffic.stot, s.lbtot, s.traffic.bytes_in))
        .collect();
    assert_eq!(
        per_server,
        [("s1".into(), 2, 2, 10), ("s2".into(), 2, 2, 10)]
    );
    assert_eq!(snap.info.cum_conns, 4);
    assert_eq!(snap.info.pid, std::process::id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_and_drain_stop_new_traffic_and_show_in_the_snapshot() {
    let s1 = named_server("s1").await;
    let s2 = named_server("s2").await;
    let p = start(config(&[("s1", s1), ("s2", s2)]));
    p.handle
        .set_server_admin("app", "s1", AdminState::Maint)
        .unwrap();
    for _ in 0..3 {
        assert_eq!(exchange(p.addr("main")).await, "s2\nhellobye");
    }
    let snap = p.handle.snapshot();
    let s = &snap.backend("app").unwrap().servers[0];
    assert!(s.admin.forced_maint && !s.admin.forced_drain);
    assert_eq!(s.admin.bits(), 0x01);
    // A health check saying up does not lift the maintenance.
    p.handle
        .set_server_state("app", "s1", haproxy_rs::proxy::ServerState::Up)
        .unwrap();
    assert_eq!(exchange(p.addr("main")).await, "s2\nhellobye");
    p.handle
        .set_server_admin("app", "s1", AdminState::Drain)
        .unwrap();
    assert_eq!(exchange(p.addr("main")).await, "s2\nhellobye");
    let snap = p.handle.snapshot();
    assert_eq!(snap.backend("app").unwrap().servers[0].admin.bits(), 0x08);
    p.handle
        .set_server_admin("app", "s1", AdminState::Ready)
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..2 {
        seen.push(exchange(p.addr("main")).await);
    }
    assert!(seen.iter().any(|s| s.starts_with("s1")), "{seen:?}");
    assert!(p
        .handle
        .set_server_admin("app", "nope", AdminState::Maint)
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frontend_maxconn_changes_at_run_time() {
    let s1 = named_server("s1").await;
    let mut cfg = config(&[("s1", s1)]);
    cfg.frontends[0].maxconn = 1;
    let p = start(cfg);
    let mut first = TcpStream::connect(p.addr("main")).await.unwrap();
    assert_eq!(read_line(&mut first, T).await, "s1");
    // The second waits in the backlog while the first holds the only slot.
    let mut second = TcpStream::connect(p.addr("main")).await.unwrap();
    let early = tokio::time::timeout(Duration::from_millis(300), read_line(&mut second, T)).await;
    assert!(early.is_err(), "served above maxconn: {early:?}");
    p.handle.set_frontend_maxconn("main", 2).unwrap();
    assert_eq!(read_line(&mut second, T).await, "s1");
    let snap = p.handle.snapshot();
    assert_eq!(
        snap.frontend("main")
            .unwrap()
            .frontend
            .as_ref()
            .unwrap()
            .maxconn,
        2
    );
    assert_eq!(
        p.handle.set_frontend_maxconn("nope", 2),
        Err(haproxy_rs::proxy::LimitError::UnknownFrontend)
    );
    assert_eq!(
        p.handle.set_frontend_maxconn("main", 0),
        Err(haproxy_rs::proxy::LimitError::OutOfRange)
    );
    // No global limit in the configuration: nothing to change.
    assert_eq!(
        p.handle.set_global_maxconn(10),
        Err(haproxy_rs::proxy::LimitError::Unlimited)
    );
    drop(first);
    drop(second);
}
