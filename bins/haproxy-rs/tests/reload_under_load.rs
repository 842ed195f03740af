//! Seamless reload under load: `haproxy-rs -W` on loopback with two test
//! backends serves keep-alive HTTP/1.1 clients while its master gets 20
//! SIGUSR2 reloads (every other one switching the configuration to the
//! other pair of servers); no request may fail and no connection may be
//! reset. HAProxy 2.6 (`haproxy -W`, the same configuration, the same
//! load, the same reloads) is measured in the same test as the reference.
//!
//! The load is a bounded Rust loop (16 keep-alive connections, at most
//! 8 s and 2,000,000 requests), not wrk: wrk is installed by the
//! benchmark tooling only, not by the test tooling.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod daemon;

use daemon::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Client connections.
const CONNECTIONS: usize = 16;
/// How long the load runs.
const LOAD: Duration = Duration::from_secs(8);
/// Reloads during the load.
const RELOADS: usize = 20;
/// Upper bound of requests per run.
const MAX_REQUESTS: u64 = 2_000_000;

/// What the clients saw.
#[derive(Debug, Default)]
struct Tally {
    ok: AtomicU64,
    non_2xx: AtomicU64,
    /// Connections refused or reset, or closed before a full response.
    errors: AtomicU64,
    /// Responses from the first and the second server pair.
    from_a: AtomicU64,
    from_b: AtomicU64,
}

/// The configuration, with the pair of servers `servers`.
fn config(listen: SocketAddr, servers: [SocketAddr; 2]) -> String {
    format!(
        "global\n    hard-stop-after 10s\n\
         defaults\n    mode http\n    timeout connect 2s\n    timeout client 10s\n    timeout server 10s\n\
         frontend fe\n    bind {listen}\n    option idle-close-on-response\n    default_backend be\n\
         backend be\n    balance roundrobin\n    server s1 {}\n    server s2 {}\n",
        servers[0], servers[1]
    )
}

/// One response: its status and body, or `None` if the connection failed
/// or closed before the response was complete; whether the server closes
/// the connection after it.
fn exchange(r: &mut BufReader<TcpStream>) -> Option<(u16, String, bool)> {
    r.get_mut()
        .write_all(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        .ok()?;
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let status: u16 = line.split(' ').nth(1)?.parse().ok()?;
    let mut len = 0usize;
    let mut close = false;
    loop {
        line.clear();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            len = v.trim().parse().ok()?;
        }
        if lower.starts_with("connection:") && lower.contains("close") {
            close = true;
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some((status, String::from_utf8_lossy(&body).into_owned(), close))
}

/// One client: keep-alive requests until `stop`, reconnecting when the
/// proxy announces `Connection: close`.
fn client(addr: SocketAddr, tally: Arc<Tally>, stop: Arc<AtomicBool>, total: Arc<AtomicU64>) {
    let mut conn: Option<BufReader<TcpStream>> = None;
    while !stop.load(Ordering::Relaxed) && total.fetch_add(1, Ordering::Relaxed) < MAX_REQUESTS {
        let r = match conn.as_mut() {
            Some(r) => r,
            None => match TcpStream::connect(addr) {
                Ok(s) => {
                    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                    conn.insert(BufReader::new(s))
                }
                Err(_) => {
                    tally.errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            },
        };
        match exchange(r) {
            Some((status, body, close)) => {
                if (200..300).contains(&status) {
                    tally.ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    tally.non_2xx.fetch_add(1, Ordering::Relaxed);
                }
                if body.starts_with('a') {
                    tally.from_a.fetch_add(1, Ordering::Relaxed);
                } else if body.starts_with('b') {
                    tally.from_b.fetch_add(1, Ordering::Relaxed);
                }
                if close {
                    conn = None;
                }
            }
            None => {
                tally.errors.fetch_add(1, Ordering::Relaxed);
                conn = None;
            }
        }
    }
}

/// Sends `sig` to `pid`.
fn kill(sig: &str, pid: u32) {
    let status = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill {sig} {pid}");
}

/// A master process, stopped (SIGTERM, then waited) on drop.
struct Master(Child);

impl Drop for Master {
    fn drop(&mut self) {
        kill("-TERM", self.0.id());
        let end = Instant::now() + Duration::from_secs(15);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the load against `program -W -f cfg` while reloading it; the tally.
fn measure(program: &str, dir: &Path, sets: [[SocketAddr; 2]; 2]) -> Tally {
    let listen = free_addr();
    let cfg = dir.join(format!("{}.cfg", program.replace('/', "_")));
    std::fs::write(&cfg, config(listen, sets[0])).unwrap();
    let child = Command::new(program)
        .args(["-W", "-q", "-f"])
        .arg(&cfg)
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} starts: {e}"));
    let master = Master(child);
    wait_listening(listen);
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let total = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (t, s, n) = (Arc::clone(&tally), Arc::clone(&stop), Arc::clone(&total));
            std::thread::spawn(move || client(listen, t, s, n))
        })
        .collect();
    let started = Instant::now();
    let step = LOAD / (RELOADS as u32 + 2);
    let mut set = 0;
    for i in 0..RELOADS {
        std::thread::sleep(step);
        if i % 2 == 1 {
            set = 1 - set;
            std::fs::write(&cfg, config(listen, sets[set])).unwrap();
        }
        kill("-USR2", master.0.id());
    }
    std::thread::sleep(LOAD.saturating_sub(started.elapsed()));
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    drop(master);
    Arc::try_unwrap(tally).unwrap()
}

#[test]
fn reloads_under_load_lose_no_request() {
    let dir = TempDir::new("reload");
    let sets = [
        [http_server("a1"), http_server("a2")],
        [http_server("b1"), http_server("b2")],
    ];
    let ours = measure(BIN, &dir.0, sets);
    let haproxy = std::process::Command::new("haproxy")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success());
    let theirs = if haproxy {
        Some(measure("haproxy", &dir.0, sets))
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "haproxy (Debian package `haproxy`) is needed in CI"
        );
        eprintln!("skipping the HAProxy reference: haproxy is not installed");
        None
    };
    let row = |name: &str, t: &Tally| {
        eprintln!(
            "{name:<10} requests ok {:>8}  non-2xx {:>4}  connection errors {:>4}  (servers a: {}, b: {}) with {RELOADS} reloads in {LOAD:?}",
            t.ok.load(Ordering::Relaxed),
            t.non_2xx.load(Ordering::Relaxed),
            t.errors.load(Ordering::Relaxed),
            t.from_a.load(Ordering::Relaxed),
            t.from_b.load(Ordering::Relaxed),
        );
    };
    row("haproxy-rs", &ours);
    if let Some(t) = &theirs {
        row("haproxy", t);
    }
    assert!(ours.ok.load(Ordering::Relaxed) > 1000, "too few requests");
    assert!(
        ours.from_b.load(Ordering::Relaxed) > 0,
        "the changed backends never served"
    );
    assert_eq!(ours.non_2xx.load(Ordering::Relaxed), 0, "non-2xx answers");
    assert_eq!(ours.errors.load(Ordering::Relaxed), 0, "failed connections");
}
