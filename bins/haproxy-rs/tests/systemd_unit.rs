//! `haproxy-rs.service` run the way systemd runs it: `ExecStart` with
//! `NOTIFY_SOCKET` (Type=notify: `READY=1` must come, from the main
//! process, whose PID is in the pidfile), the `ExecReload` check on a valid
//! and an invalid configuration, the `kill -USR2 $MAINPID` reload, and
//! SIGTERM to the main process stopping everything with status 0.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod daemon;

use daemon::*;
use std::net::SocketAddr;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const UNIT: &str = include_str!("../haproxy-rs.service");

/// The values of `key=` lines in the unit.
fn values(key: &str) -> Vec<String> {
    UNIT.lines()
        .filter_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .map(str::to_owned)
        .collect()
}

/// A command line of the unit with its variables set, split into words
/// (the program first, replaced by the binary under test).
fn command(line: &str, config: &Path, pidfile: &Path, mainpid: u32) -> Vec<String> {
    line.split_whitespace()
        .filter(|w| *w != "$EXTRAOPTS")
        .map(|w| match w {
            "$CONFIG" => config.display().to_string(),
            "$PIDFILE" => pidfile.display().to_string(),
            "$MAINPID" => mainpid.to_string(),
            "/usr/sbin/haproxy-rs" => BIN.to_owned(),
            w => w.to_owned(),
        })
        .collect()
}

fn run(words: &[String]) -> i32 {
    Command::new(&words[0])
        .args(&words[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .code()
        .unwrap()
}

fn config(listen: SocketAddr, server: SocketAddr) -> String {
    format!(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\
         frontend fe\n    bind {listen}\n    default_backend be\nbackend be\n    server s {server}\n"
    )
}

#[test]
fn the_unit_runs_notifies_reloads_and_stops() {
    assert_eq!(values("Type"), ["notify"]);
    assert_eq!(values("KillMode"), ["mixed"]);
    let start = values("ExecStart");
    let reload = values("ExecReload");
    assert_eq!(start.len(), 1);
    assert_eq!(reload.len(), 2, "check, then signal");
    assert!(reload[1].ends_with("kill -USR2 $MAINPID"));

    let dir = TempDir::new("systemd");
    let (cfg, pidfile) = (dir.0.join("haproxy.cfg"), dir.0.join("haproxy-rs.pid"));
    let listen = free_addr();
    std::fs::write(&cfg, config(listen, http_server("s"))).unwrap();
    let notify = dir.0.join("notify");
    let notified = UnixDatagram::bind(&notify).unwrap();
    notified
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let words = command(&start[0], &cfg, &pidfile, 0);
    let mut main = Command::new(&words[0])
        .args(&words[1..])
        .env("NOTIFY_SOCKET", &notify)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mainpid = main.id();
    let mut buf = [0u8; 64];
    let n = notified.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"READY=1");
    wait_listening(listen);
    let written = std::fs::read_to_string(&pidfile).unwrap();
    assert_eq!(written.trim(), mainpid.to_string(), "pidfile = main PID");

    // ExecReload: the check passes, the signal reloads (systemd then sees
    // RELOADING=1 and READY=1 again).
    assert_eq!(run(&command(&reload[0], &cfg, &pidfile, mainpid)), 0);
    assert_eq!(run(&command(&reload[1], &cfg, &pidfile, mainpid)), 0);
    for expected in [&b"RELOADING=1"[..], b"READY=1"] {
        let n = notified.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], expected);
    }
    wait_listening(listen);
    // An invalid configuration stops the reload at the check.
    std::fs::write(&cfg, "frontend broken\n    bind\n").unwrap();
    assert_ne!(run(&command(&reload[0], &cfg, &pidfile, mainpid)), 0);

    // systemctl stop: SIGTERM to the main process.
    let _ = Command::new("kill")
        .args(["-TERM", &mainpid.to_string()])
        .status();
    let end = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(s) = main.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > end {
            let _ = main.kill();
            panic!("the master did not stop");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    assert!(
        std::net::TcpStream::connect(listen).is_err(),
        "the worker stopped with the master"
    );
}
