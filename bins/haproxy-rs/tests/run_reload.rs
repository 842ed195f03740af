//! Stops and reloads: SIGUSR1 ends keep-alive connections after their
//! current request, `hard-stop-after` bounds a soft stop, `-sf` hands the
//! address over to a new process, and the `-W` master refuses an invalid
//! configuration on SIGUSR2 (the worker in place keeps serving), starts a
//! new worker on a valid one, and tells systemd it is ready.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod daemon;

use daemon::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A process stopped by its PID on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        kill("-TERM", self.0.id());
        if exits_within(&mut self.0, Duration::from_secs(5)).is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn kill(sig: &str, pid: u32) {
    let _ = Command::new("kill")
        .args([sig, &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

fn exits_within(child: &mut Child, limit: Duration) -> Option<i32> {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if let Ok(Some(s)) = child.try_wait() {
            return s.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// An HTTP configuration listening on `listen`, one server.
fn http_config(listen: SocketAddr, server: SocketAddr, global: &str) -> String {
    format!(
        "global\n{global}\ndefaults\n    mode http\n    timeout connect 1s\n    timeout client 10s\n    timeout server 10s\n\
         frontend fe\n    bind {listen}\n    default_backend be\n\
         backend be\n    server s {server}\n"
    )
}

fn start(args: &[&str], cfg: &Path, stderr: Stdio) -> Proc {
    Proc(
        Command::new(BIN)
            .args(args)
            .arg("-f")
            .arg(cfg)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap(),
    )
}

/// One request on `r`: status line, whether the answer says
/// `Connection: close`, the body.
fn get(r: &mut BufReader<TcpStream>) -> (String, bool, String) {
    r.get_mut()
        .write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let mut status = String::new();
    r.read_line(&mut status).unwrap();
    let (mut len, mut close) = (0usize, false);
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
        close |= lower.starts_with("connection:") && lower.contains("close");
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    (
        status.trim_end().to_owned(),
        close,
        String::from_utf8(body).unwrap(),
    )
}

/// The body of one request on a new connection.
fn fetch(addr: SocketAddr) -> String {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    get(&mut BufReader::new(s)).2
}

#[test]
fn sigusr1_closes_a_keep_alive_connection_after_its_next_request() {
    let dir = TempDir::new("reload-usr1");
    let (listen, server) = (free_addr(), http_server("one"));
    let cfg = dir.0.join("h.cfg");
    std::fs::write(&cfg, http_config(listen, server, "")).unwrap();
    let mut p = start(&["-d", "-q"], &cfg, Stdio::null());
    wait_listening(listen);
    let s = TcpStream::connect(listen).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut r = BufReader::new(s);
    assert_eq!(
        get(&mut r),
        ("HTTP/1.1 200 OK".into(), false, "one\n".into())
    );
    kill("-USR1", p.0.id());
    std::thread::sleep(Duration::from_millis(200));
    assert!(TcpStream::connect(listen).is_err(), "still listening");
    // Still running: the keep-alive connection is open, within its grace.
    assert_eq!(exits_within(&mut p.0, Duration::from_millis(100)), None);
    assert_eq!(
        get(&mut r),
        ("HTTP/1.1 200 OK".into(), true, "one\n".into())
    );
    let mut rest = Vec::new();
    assert_eq!(r.read_to_end(&mut rest).unwrap(), 0, "closed after it");
    assert_eq!(exits_within(&mut p.0, Duration::from_secs(3)), Some(0));
}

#[test]
fn hard_stop_after_ends_a_soft_stop() {
    // A TCP server that never answers: the proxied connection would last.
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dir = TempDir::new("reload-hsa");
    let listen = free_addr();
    let cfg = dir.0.join("t.cfg");
    std::fs::write(
        &cfg,
        format!(
            "global\n    hard-stop-after 1s\ndefaults\n    mode tcp\n    timeout connect 1s\n    timeout client 60s\n    timeout server 60s\n\
             listen l\n    bind {listen}\n    server s {}\n",
            held.local_addr().unwrap()
        ),
    )
    .unwrap();
    let mut p = start(&["-d", "-q"], &cfg, Stdio::null());
    wait_listening(listen);
    let mut c = TcpStream::connect(listen).unwrap();
    c.write_all(b"x").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let t0 = Instant::now();
    kill("-USR1", p.0.id());
    assert_eq!(exits_within(&mut p.0, Duration::from_millis(700)), None);
    assert_eq!(exits_within(&mut p.0, Duration::from_secs(3)), Some(0));
    let took = t0.elapsed();
    assert!(took >= Duration::from_millis(900), "stopped after {took:?}");
}

#[test]
fn sf_hands_the_address_over_to_the_new_process() {
    let dir = TempDir::new("reload-sf");
    let listen = free_addr();
    let (one, two) = (http_server("one"), http_server("two"));
    let cfg1 = dir.0.join("1.cfg");
    let cfg2 = dir.0.join("2.cfg");
    std::fs::write(&cfg1, http_config(listen, one, "")).unwrap();
    std::fs::write(&cfg2, http_config(listen, two, "")).unwrap();
    let mut old = start(&["-d", "-q"], &cfg1, Stdio::null());
    wait_listening(listen);
    assert_eq!(fetch(listen), "one\n");
    let pid = old.0.id().to_string();
    let _new = start(&["-d", "-q", "-sf", &pid], &cfg2, Stdio::null());
    // The old process leaves once the new one listens on the same address.
    assert_eq!(exits_within(&mut old.0, Duration::from_secs(5)), Some(0));
    assert_eq!(fetch(listen), "two\n");
}

#[test]
fn master_refuses_an_invalid_reload_and_applies_a_valid_one() {
    let dir = TempDir::new("reload-mw");
    let listen = free_addr();
    let (one, two) = (http_server("one"), http_server("two"));
    let cfg = dir.0.join("m.cfg");
    let notify = dir.0.join("notify.sock");
    let notified = std::os::unix::net::UnixDatagram::bind(&notify).unwrap();
    notified
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    std::fs::write(&cfg, http_config(listen, one, "    master-worker")).unwrap();
    let log = dir.0.join("stderr");
    let master = Proc(
        Command::new(BIN)
            .arg("-f")
            .arg(&cfg)
            .env("NOTIFY_SOCKET", &notify)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let mut buf = [0u8; 64];
    let n = notified.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"READY=1", "readiness once the worker listens");
    assert_eq!(fetch(listen), "one\n");
    // Invalid: the worker in place keeps serving, the error is reported.
    std::fs::write(
        &cfg,
        http_config(listen, two, "    master-worker")
            .replace("default_backend be", "default_backend nowhere"),
    )
    .unwrap();
    kill("-USR2", master.0.id());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(fetch(listen), "one\n");
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(said.contains("nowhere"), "diagnostic printed: {said}");
    assert!(said.contains("reload refused"), "{said}");
    // Valid: a new worker serves the new servers.
    std::fs::write(&cfg, http_config(listen, two, "    master-worker")).unwrap();
    kill("-USR2", master.0.id());
    let end = Instant::now() + Duration::from_secs(5);
    while fetch(listen) != "two\n" {
        assert!(Instant::now() < end, "the new worker never served");
        std::thread::sleep(Duration::from_millis(50));
    }
    // One listening socket, the master's, shared by every worker: none was
    // bound anew (two would be listed then).
    assert_eq!(listening_sockets(listen), 1);
}

#[test]
fn master_reloads_with_a_tcp_stats_socket() {
    let dir = TempDir::new("reload-api");
    let (listen, api) = (free_addr(), free_addr());
    let (one, two) = (http_server("one"), http_server("two"));
    let cfg = dir.0.join("a.cfg");
    let global = format!("    master-worker\n    stats socket ipv4@{api} level admin");
    std::fs::write(&cfg, http_config(listen, one, &global)).unwrap();
    let master = start(&["-q"], &cfg, Stdio::null());
    wait_listening(listen);
    assert_eq!(fetch(listen), "one\n");
    // The new worker binds the runtime API's address while the old one
    // still has it.
    std::fs::write(&cfg, http_config(listen, two, &global)).unwrap();
    kill("-USR2", master.0.id());
    let end = Instant::now() + Duration::from_secs(5);
    while fetch(listen) != "two\n" {
        assert!(Instant::now() < end, "the new worker never served");
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut c = TcpStream::connect(api).unwrap();
    c.write_all(b"show info\n").unwrap();
    let mut out = String::new();
    c.read_to_string(&mut out).unwrap();
    assert!(out.contains("Pid:"), "{out}");
}

#[test]
fn workers_stop_when_their_master_dies() {
    let dir = TempDir::new("reload-orphan");
    let listen = free_addr();
    let cfg = dir.0.join("o.cfg");
    std::fs::write(
        &cfg,
        http_config(listen, http_server("one"), "    master-worker"),
    )
    .unwrap();
    let mut master = start(&["-q"], &cfg, Stdio::null());
    wait_listening(listen);
    assert_eq!(fetch(listen), "one\n");
    kill("-KILL", master.0.id());
    let _ = master.0.wait();
    let end = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(listen).is_ok() {
        assert!(Instant::now() < end, "the worker outlived its master");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How many listening TCP sockets the system has on `addr` (IPv4).
fn listening_sockets(addr: SocketAddr) -> usize {
    let std::net::IpAddr::V4(ip) = addr.ip() else {
        panic!("IPv4 only")
    };
    // /proc/net/tcp writes the address as the 32-bit value in host order.
    let local = format!(
        "{:08X}:{:04X}",
        u32::from_le_bytes(ip.octets()),
        addr.port()
    );
    std::fs::read_to_string("/proc/net/tcp")
        .unwrap()
        .lines()
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.get(1) == Some(&local.as_str()) && f.get(3) == Some(&"0A")
        })
        .count()
}
