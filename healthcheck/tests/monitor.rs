//! The monitor against a loopback server the test turns off and on: the
//! state machine's fastinter/downinter drive the real check times.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use lbkit_healthcheck::checkers::tcp::TcpCheck;
use lbkit_healthcheck::checkers::Check;
use lbkit_healthcheck::haproxy::Config;
use lbkit_healthcheck::monitor::Monitor;
use lbkit_healthcheck::scheduler::{CheckId, Options};
use lbkit_healthcheck::TransitionKind;
use tokio::net::TcpListener;
use tokio::time::Instant;

async fn serve(addr: SocketAddr) -> tokio::task::JoinHandle<()> {
    let l = TcpListener::bind(addr).await.unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            drop(s);
        }
    })
}

/// inter 300, fastinter 50, downinter 200, rise 3, fall 2: after the server
/// goes away the DOWN comes one inter-wait plus one fastinter later; after
/// it returns, the UP one downinter-wait plus two fastinters later.
#[tokio::test]
async fn monitor_follows_fastinter_and_downinter() {
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut server = serve(addr).await;
    let mut m = Monitor::new(Options::default());
    let cfg = Config {
        inter: Duration::from_millis(300),
        fastinter: Some(Duration::from_millis(50)),
        downinter: Some(Duration::from_millis(200)),
        rise: 3,
        fall: 2,
        ..Config::default()
    };
    m.add(
        CheckId(7),
        Check::Tcp(TcpCheck::new(addr, Duration::from_millis(200))),
        cfg,
        Instant::now(),
    )
    .unwrap();
    // Let it settle fully up.
    let settle = Instant::now() + Duration::from_millis(400);
    while Instant::now() < settle {
        let u = tokio::time::timeout_at(settle, m.next()).await;
        if let Ok(Some(u)) = u {
            assert!(u.transitions.is_empty(), "{:?}", u.transitions);
        }
    }
    server.abort();
    let _ = (&mut server).await;
    let off = Instant::now();
    let down = loop {
        let u = m.next().await.unwrap();
        if u.transitions.iter().any(|t| t.kind == TransitionKind::Down) {
            break u.completed.finished - off;
        }
    };
    // First failure within one inter (300), second one fastinter later.
    assert!(
        down >= Duration::from_millis(50) && down <= Duration::from_millis(450),
        "{down:?}"
    );
    server = serve(addr).await;
    let on = Instant::now();
    let up = loop {
        let u = m.next().await.unwrap();
        if u.transitions.iter().any(|t| t.kind == TransitionKind::Up) {
            break u.completed.finished - on;
        }
    };
    // First success within one downinter (200), then two fastinters.
    assert!(
        up >= Duration::from_millis(100) && up <= Duration::from_millis(400),
        "{up:?}"
    );
    assert!(m.server(CheckId(7)).unwrap().is_up());
    server.abort();
}
