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

/// inter 300, fastinter 50, downinter 200, rise 3, fall 2, against a server
/// turned off and on: every gap between two checks is the interval the
/// state machine chose after the first (lower bounds are exact: the
/// scheduler never runs a check early; upper bounds leave room for load).
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
    let id = CheckId(7);
    m.add(
        id,
        Check::Tcp(TcpCheck::new(addr, Duration::from_millis(200))),
        cfg,
        Instant::now(),
    )
    .unwrap();
    let mut log = Vec::new(); // (finished, interval chosen after it, transitions)
    let mut phase = 0;
    while phase < 2 {
        let u = m.next().await.unwrap();
        let kinds: Vec<_> = u
            .transitions
            .iter()
            .map(|t| t.kind)
            .filter(|k| matches!(k, TransitionKind::Up | TransitionKind::Down))
            .collect();
        let interval = m.server(id).unwrap().interval();
        log.push((u.completed.finished, interval, kinds.clone()));
        if log.len() == 3 {
            server.abort();
            let _ = (&mut server).await;
        }
        if kinds.contains(&TransitionKind::Down) {
            server = serve(addr).await;
            phase = 1;
        }
        if phase == 1 && kinds.contains(&TransitionKind::Up) {
            phase = 2;
        }
    }
    server.abort();
    let chosen: Vec<u128> = log.iter().map(|(_, i, _)| i.as_millis()).collect();
    // Boot: health = rise (fastinter), then fully up (inter) until the
    // server goes; one failure (fastinter), down (downinter) until it
    // returns; successes (fastinter) until up, then inter.
    assert_eq!(chosen.first(), Some(&300), "{chosen:?}");
    assert!(chosen.contains(&50) && chosen.contains(&200), "{chosen:?}");
    assert_eq!(chosen.last(), Some(&300), "{chosen:?}");
    for pair in log.windows(2) {
        let (t0, interval, _) = &pair[0];
        let gap = pair[1].0 - *t0;
        assert!(
            gap >= *interval,
            "gap {gap:?} shorter than the chosen {interval:?}"
        );
        assert!(
            gap < *interval + Duration::from_millis(150),
            "gap {gap:?} for {interval:?}"
        );
    }
    assert!(m.server(id).unwrap().is_up());
}
