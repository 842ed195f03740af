//! The snapshot that mirrors `tests/data/ops/haproxy.cfg` at the moment the
//! golden files were captured from HAProxy 2.6, and the files themselves.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic
)]

use std::path::PathBuf;

use haproxy_rs::ops::snapshot::*;

/// A golden file's text.
pub fn golden(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ops")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A server of `be_app`/`be_tcp` as configured.
fn server(id: u32, name: &str, port: u16, weight: u32) -> Server {
    Server {
        name: name.into(),
        id,
        addr: Some(format!("127.0.0.1:{port}").parse().unwrap()),
        op: OpState::Running,
        weight,
        initial_weight: weight,
        last_change_secs: 6,
        ..Default::default()
    }
}

/// A check with `rise 2 fall 3`.
fn check(status: CheckStatus, health: u32) -> Check {
    Check {
        status,
        rise: 2,
        fall: 3,
        health,
        ..Default::default()
    }
}

/// The configuration's proxies in the state HAProxy reported: s1 up by
/// an HTTP check, s2 down (connection refused), s3 without check, s4
/// disabled, t1 up by a TCP check.
pub fn snapshot() -> Snapshot {
    let fe = |maxconn| Frontend {
        maxconn,
        ..Default::default()
    };
    let be = |algo: &str, maxconn| Backend {
        algo: algo.into(),
        maxconn,
        last_change_secs: 6,
        ..Default::default()
    };
    let mut s1 = server(1, "s1", 38081, 1);
    s1.check = Some(Check {
        code: Some(200),
        ..check(CheckStatus::L7Ok, 4)
    });
    let mut s2 = server(2, "s2", 38099, 50);
    s2.op = OpState::Stopped;
    s2.check = Some(Check {
        info: "Connection refused".into(),
        failures: 1,
        down_transitions: 1,
        downtime_secs: 6,
        ..check(CheckStatus::L4Con, 0)
    });
    let mut s3 = server(3, "s3", 38081, 10);
    s3.maxconn = Some(100);
    let mut s4 = server(4, "s4", 38081, 1);
    s4.op = OpState::Stopped;
    // `disabled` sets the configuration flag and the forced one (HAProxy
    // prints 5).
    s4.admin.config_maint = true;
    s4.admin.forced_maint = true;
    let mut t1 = server(1, "t1", 38081, 1);
    t1.check = Some(check(CheckStatus::L4Ok, 4));
    Snapshot {
        info: ProcessInfo {
            version: "2.6.12-1+deb12u4".into(),
            build_info: "2.6.12-1+deb12u4".into(),
            release_date: "2026/10/17".into(),
            nbthread: 2,
            pid: 2645,
            uptime_sec: 5,
            ulimit_n: 4036,
            maxsock: 4036,
            maxconn: 2000,
            hard_maxconn: 2000,
            node: "vm".into(),
            ..Default::default()
        },
        proxies: vec![
            Proxy {
                name: "fe_main".into(),
                id: 2,
                frontend: Some(fe(2000)),
                ..Default::default()
            },
            Proxy {
                name: "fe_web".into(),
                id: 3,
                frontend: Some(fe(2000)),
                ..Default::default()
            },
            Proxy {
                name: "be_app".into(),
                id: 4,
                backend: Some(be("roundrobin", 200)),
                servers: vec![s1, s2, s3, s4],
                ..Default::default()
            },
            Proxy {
                name: "be_tcp".into(),
                id: 5,
                mode: Mode::Tcp,
                backend: Some(be("leastconn", 1)),
                servers: vec![t1],
                ..Default::default()
            },
            Proxy {
                name: "stats".into(),
                id: 6,
                frontend: Some(fe(2000)),
                backend: Some(be("roundrobin", 200)),
                ..Default::default()
            },
        ],
        streams: Vec::new(),
    }
}

/// The state after `set server be_app/s3 state drain; set server
/// be_app/s3 weight 50%; set server be_app/s1 state maint; set maxconn
/// server be_app/s3 40; set maxconn frontend fe_main 500`.
pub fn snapshot_after_set() -> Snapshot {
    let mut snap = snapshot();
    for px in &mut snap.proxies {
        if px.name == "fe_main" {
            if let Some(fe) = px.frontend.as_mut() {
                fe.maxconn = 500;
            }
        }
        if px.name == "be_app" {
            // No usable server is left: the backend went down once.
            if let Some(be) = px.backend.as_mut() {
                be.down_transitions = 1;
            }
        }
        for sv in &mut px.servers {
            match (px.name.as_str(), sv.name.as_str()) {
                ("be_app", "s1") => {
                    sv.admin.forced_maint = true;
                    sv.op = OpState::Stopped;
                    if let Some(c) = sv.check.as_mut() {
                        c.paused = true;
                        c.health = 0;
                        c.down_transitions = 1;
                    }
                }
                ("be_app", "s3") => {
                    sv.admin.forced_drain = true;
                    sv.weight = 5;
                    sv.maxconn = Some(40);
                }
                _ => {}
            }
        }
    }
    snap
}
