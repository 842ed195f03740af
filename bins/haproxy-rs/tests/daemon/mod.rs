//! Shared pieces of the tests that run the `haproxy-rs` binary: a scratch
//! directory, the daemon process, loopback HTTP servers and `show stat`
//! parsing.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic
)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Child;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_haproxy-rs");

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("haproxy-rs-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The daemon, killed by its PID on drop.
pub struct Daemon(pub Child);

impl Daemon {
    /// Writes `config` to `haproxy.cfg` in `dir`, starts `haproxy-rs -d -q
    /// -f` on it and waits until `addr` accepts connections.
    pub fn run(dir: &TempDir, config: &str, addr: SocketAddr) -> Daemon {
        let cfg = dir.0.join("haproxy.cfg");
        std::fs::write(&cfg, config).unwrap();
        let child = std::process::Command::new(BIN)
            .args(["-d", "-q", "-f"])
            .arg(&cfg)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let daemon = Daemon(child);
        wait_listening(addr);
        daemon
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free loopback address (bound, then released).
pub fn free_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// An HTTP/1.1 server answering every request with its name (keep-alive),
/// one thread per connection.
pub fn http_server(name: &'static str) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(conn) = conn else { return };
            std::thread::spawn(move || serve_conn(conn, name));
        }
    });
    addr
}

/// Answers the requests of one connection until it closes.
pub fn serve_conn(conn: TcpStream, name: &str) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut w = conn.try_clone().unwrap();
    let mut r = BufReader::new(conn);
    loop {
        let mut line = String::new();
        // Request line and headers up to the blank line.
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line == "\r\n" => break,
                Ok(_) => {}
            }
        }
        let body = format!("{name}\n");
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if w.write_all(resp.as_bytes()).is_err() {
            return;
        }
    }
}

/// Waits (at most 10 s) until something accepts on `addr`.
pub fn wait_listening(addr: SocketAddr) {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if TcpStream::connect(addr).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("nothing listens on {addr}");
}

/// `show stat` as rows of (column -> value), keyed by pxname/svname.
pub fn stat_rows(csv: &str) -> Vec<Vec<(String, String)>> {
    let mut lines = csv.lines();
    let header = lines.next().unwrap().strip_prefix("# ").unwrap();
    let names: Vec<&str> = header.trim_end_matches(',').split(',').collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            names
                .iter()
                .zip(l.split(','))
                .map(|(n, v)| ((*n).to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

pub fn field<'a>(rows: &'a [Vec<(String, String)>], px: &str, sv: &str, col: &str) -> &'a str {
    let row = rows
        .iter()
        .find(|r| r[0].1 == px && r[1].1 == sv)
        .unwrap_or_else(|| panic!("no row {px}/{sv}"));
    &row.iter().find(|(n, _)| n == col).unwrap().1
}
