//! The runtime API of the running daemon: `haproxy-rs -f` on a loopback
//! configuration with a `stats socket`, real HTTP traffic from curl, then
//! `show stat`, `set server ... state maint` and `show servers state`
//! through the UNIX socket.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod daemon;

use daemon::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs curl on `n` URLs in one invocation (one keep-alive connection);
/// the bodies, concatenated.
fn curl(addr: SocketAddr, n: usize) -> String {
    let url = format!("http://{addr}/");
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10"])
        .args(std::iter::repeat_n(url.as_str(), n))
        .output()
        .expect("curl runs (Debian package `curl`)");
    assert!(out.status.success(), "curl failed: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// curl's version, as its `User-Agent` carries it.
fn curl_version() -> String {
    let out = Command::new("curl").arg("--version").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.split(' ').nth(1).unwrap().to_owned()
}

/// Sends one command on the runtime API; its whole answer.
fn cli(path: &Path, command: &str) -> String {
    let mut s = UnixStream::connect(path).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(format!("{command}\n").as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn start(dir: &TempDir) -> (Daemon, SocketAddr, PathBuf) {
    let s1 = http_server("s1");
    let s2 = http_server("s2");
    let addr = free_addr();
    let sock = dir.0.join("admin.sock");
    let text = format!(
        "global\n    stats socket {} mode 600 level admin\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\
         listen web\n    bind {addr}\n    balance roundrobin\n    server s1 {s1}\n    server s2 {s2}\n",
        sock.display()
    );
    let d = Daemon::run(dir, &text, addr);
    (d, addr, sock)
}

#[test]
fn show_stat_counts_real_traffic_and_maint_stops_it() {
    let dir = TempDir::new("ops-stat");
    let (_d, addr, sock) = start(&dir);
    let got = curl(addr, 6);
    assert_eq!(got.matches("s1\n").count(), 3, "{got}");
    assert_eq!(got.matches("s2\n").count(), 3, "{got}");
    // The socket file carries `mode 600`.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&sock).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    // Counters land when each response ends: wait for the last one.
    let end = Instant::now() + Duration::from_secs(3);
    let rows = loop {
        let rows = stat_rows(&cli(&sock, "show stat"));
        if field(&rows, "web", "FRONTEND", "hrsp_2xx") == "6" || Instant::now() > end {
            break rows;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // Two sessions: the readiness probe's connection and curl's.
    assert_eq!(field(&rows, "web", "FRONTEND", "stot"), "2");
    assert_eq!(field(&rows, "web", "FRONTEND", "req_tot"), "6");
    assert_eq!(field(&rows, "web", "FRONTEND", "hrsp_2xx"), "6");
    assert_eq!(field(&rows, "web", "FRONTEND", "status"), "OPEN");
    // Each response: "HTTP/1.1 200 OK\r\n" (17) + "content-length: 3\r\n"
    // (19) + "\r\n" (2) + "sN\n" (3) = 41 bytes.
    assert_eq!(field(&rows, "web", "FRONTEND", "bout"), "246");
    // Each request from curl: "GET / HTTP/1.1\r\n" (16), "Host: a:p\r\n",
    // "User-Agent: curl/V\r\n", "Accept: */*\r\n" (13), "\r\n" (2).
    let ua = curl_version().len() + "User-Agent: curl/\r\n".len();
    let host = "Host: \r\n".len() + addr.to_string().len();
    let request = 16 + host + ua + 13 + 2;
    assert_eq!(
        field(&rows, "web", "FRONTEND", "bin"),
        (6 * request).to_string()
    );
    assert_eq!(field(&rows, "web", "s1", "bin"), (3 * request).to_string());
    assert_eq!(field(&rows, "web", "BACKEND", "stot"), "6");
    assert_eq!(field(&rows, "web", "BACKEND", "lbtot"), "6");
    assert_eq!(field(&rows, "web", "BACKEND", "hrsp_2xx"), "6");
    for s in ["s1", "s2"] {
        assert_eq!(field(&rows, "web", s, "stot"), "3");
        assert_eq!(field(&rows, "web", s, "hrsp_2xx"), "3");
        assert_eq!(field(&rows, "web", s, "bout"), "123");
        assert_eq!(field(&rows, "web", s, "status"), "no check");
        assert_eq!(field(&rows, "web", s, "weight"), "1");
    }

    // Maintenance through the socket: s1 takes nothing more.
    assert_eq!(cli(&sock, "set server web/s1 state maint"), "\n");
    assert_eq!(curl(addr, 4), "s2\ns2\ns2\ns2\n");
    let rows = stat_rows(&cli(&sock, "show stat"));
    assert_eq!(field(&rows, "web", "s1", "status"), "MAINT");
    assert_eq!(field(&rows, "web", "s1", "stot"), "3");

    // `show servers state`: s1 has the forced-maintenance bit (1), s2 none.
    let state = cli(&sock, "show servers state web");
    let lines: Vec<Vec<&str>> = state
        .lines()
        .filter(|l| !l.starts_with('#') && l.split(' ').count() > 5)
        .map(|l| l.split(' ').collect())
        .collect();
    let admin: Vec<(&str, &str)> = lines.iter().map(|l| (l[3], l[6])).collect();
    assert_eq!(admin, [("s1", "1"), ("s2", "0")], "{state}");

    // Weight and back to ready.
    assert_eq!(cli(&sock, "set server web/s2 weight 5"), "\n");
    assert_eq!(cli(&sock, "set server web/s1 state ready"), "\n");
    let rows = stat_rows(&cli(&sock, "show stat"));
    assert_eq!(field(&rows, "web", "s2", "weight"), "5");
    assert_eq!(field(&rows, "web", "s1", "status"), "no check");
    let got = curl(addr, 6);
    assert!(got.contains("s1\n"), "{got}");
    assert_eq!(
        cli(&sock, "set server web/nope state maint"),
        "No such server.\n\n"
    );
}

#[test]
fn health_checks_show_in_show_stat() {
    let dir = TempDir::new("ops-check");
    let s1 = http_server("s1");
    // Nothing listens there: its checks are refused.
    let closed = free_addr();
    let addr = free_addr();
    let sock = dir.0.join("admin.sock");
    let text = format!(
        "global\n    stats socket {} level admin\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\
         listen web\n    bind {addr}\n    default-server inter 100ms rise 2 fall 3\n\
         \x20   server s1 {s1} check\n    server s2 {closed} check\n    server s3 {closed}\n",
        sock.display()
    );
    let _d = Daemon::run(&dir, &text, addr);
    let end = Instant::now() + Duration::from_secs(5);
    let rows = loop {
        let rows = stat_rows(&cli(&sock, "show stat"));
        let done = field(&rows, "web", "s2", "status") == "DOWN"
            && field(&rows, "web", "s1", "check_status") == "L4OK";
        if done || Instant::now() > end {
            break rows;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(field(&rows, "web", "s1", "status"), "UP");
    assert_eq!(field(&rows, "web", "s1", "check_status"), "L4OK");
    assert_eq!(field(&rows, "web", "s1", "chkfail"), "0");
    assert_eq!(field(&rows, "web", "s2", "status"), "DOWN");
    assert_eq!(field(&rows, "web", "s2", "check_status"), "L4CON");
    assert_eq!(field(&rows, "web", "s2", "chkdown"), "1");
    // Three failures took it down (fall 3); more may have come since.
    let fails: u64 = field(&rows, "web", "s2", "chkfail").parse().unwrap();
    assert!(fails >= 3, "{fails}");
    assert_eq!(field(&rows, "web", "s3", "status"), "no check");
    assert_eq!(field(&rows, "web", "s3", "check_status"), "");
}

/// Sends one command on a TCP runtime API socket; its whole answer.
fn cli_tcp(addr: SocketAddr, command: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(format!("{command}\n").as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn ipv4_socket_at_level_user_reads_but_cannot_change() {
    let dir = TempDir::new("ops-user");
    let s1 = http_server("s1");
    let addr = free_addr();
    let api = free_addr();
    let text = format!(
        "global\n    stats socket ipv4@{api} level user\n\
         defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\
         listen web\n    bind {addr}\n    server s1 {s1}\n"
    );
    let _d = Daemon::run(&dir, &text, addr);
    wait_listening(api);
    let info = cli_tcp(api, "show info");
    assert!(info.starts_with("Name: HAProxy\n"), "{info}");
    let pid = info.lines().find_map(|l| l.strip_prefix("Pid: ")).unwrap();
    assert_eq!(pid, _d.0.id().to_string());
    let rows = stat_rows(&cli_tcp(api, "show stat"));
    assert_eq!(field(&rows, "web", "s1", "status"), "no check");
    assert_eq!(
        cli_tcp(api, "set server web/s1 state maint"),
        "Permission denied\n\n"
    );
    let rows = stat_rows(&cli_tcp(api, "show stat"));
    assert_eq!(field(&rows, "web", "s1", "status"), "no check");
}
