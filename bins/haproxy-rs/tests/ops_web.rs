//! The HTTP side of the running daemon: the stats page (`stats uri`,
//! `auth`, `refresh`, `admin`, `hide-version`), its `;csv` export and admin
//! form, and `http-request use-service prometheus-exporter`, all fetched
//! with curl.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_haproxy-rs");

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("haproxy-rs-opsweb-{tag}-{}", std::process::id()));
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
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// An HTTP/1.1 server answering every request with its name (keep-alive),
/// one thread per connection.
fn http_server(name: &'static str) -> SocketAddr {
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

fn serve_conn(conn: TcpStream, name: &str) {
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

fn wait_listening(addr: SocketAddr) {
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
fn stat_rows(csv: &str) -> Vec<Vec<(String, String)>> {
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

fn field<'a>(rows: &'a [Vec<(String, String)>], px: &str, sv: &str, col: &str) -> &'a str {
    let row = rows
        .iter()
        .find(|r| r[0].1 == px && r[1].1 == sv)
        .unwrap_or_else(|| panic!("no row {px}/{sv}"));
    &row.iter().find(|(n, _)| n == col).unwrap().1
}

/// Runs curl with `args`; (status, headers, body).
fn curl(args: &[&str]) -> (u16, String, String) {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10", "-D", "-"])
        .args(args)
        .output()
        .expect("curl runs (Debian package `curl`)");
    assert!(out.status.success(), "curl failed: {out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_owned())
}

fn start(dir: &TempDir) -> (Daemon, SocketAddr, SocketAddr) {
    let s1 = http_server("s1");
    let s2 = http_server("s2");
    let web = free_addr();
    let metrics = free_addr();
    let text = format!(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\
         listen web\n    bind {web}\n    balance roundrobin\n    stats enable\n    stats uri /stats\n\
         \x20   stats auth admin:s3cret\n    stats realm Lab\n    stats refresh 5s\n    stats hide-version\n\
         \x20   stats admin if {{ src 127.0.0.1 }}\n    server s1 {s1}\n    server s2 {s2}\n\
         frontend prom\n    bind {metrics}\n    http-request use-service prometheus-exporter if {{ path /metrics }}\n\
         \x20   default_backend web\n"
    );
    let cfg = dir.0.join("haproxy.cfg");
    std::fs::write(&cfg, text).unwrap();
    let child = Command::new(BIN)
        .args(["-d", "-q", "-f"])
        .arg(&cfg)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let d = Daemon(child);
    wait_listening(web);
    wait_listening(metrics);
    (d, web, metrics)
}

#[test]
fn stats_page_csv_admin_form_and_prometheus() {
    let dir = TempDir::new("page");
    let (_d, web, metrics) = start(&dir);
    let base = format!("http://{web}");
    // Traffic: four requests through the proxy.
    for _ in 0..4 {
        let (status, _, body) = curl(&[&format!("{base}/app")]);
        assert_eq!(status, 200);
        assert!(body == "s1\n" || body == "s2\n", "{body}");
    }

    // No credentials, then wrong ones: 401 with the realm.
    let (status, head, _) = curl(&[&format!("{base}/stats")]);
    assert_eq!(status, 401);
    assert!(
        head.contains("www-authenticate: basic realm=\"lab\""),
        "{head}"
    );
    let (status, _, _) = curl(&["-u", "admin:nope", &format!("{base}/stats")]);
    assert_eq!(status, 401);

    // The page: server rows, refresh header, no version, the admin form.
    let (status, head, page) = curl(&["-u", "admin:s3cret", &format!("{base}/stats")]);
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(head.contains("refresh: 5"), "{head}");
    assert!(
        page.contains(">s1<") && page.contains(">s2<"),
        "server rows"
    );
    assert!(!page.contains("2.6.12"), "stats hide-version");
    assert!(page.contains("<form"), "stats admin shows the form");

    // `;csv`: the header, then rows with the counters.
    let (status, head, csv) = curl(&["-u", "admin:s3cret", &format!("{base}/stats;csv")]);
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/plain"), "{head}");
    let rows = stat_rows(&csv);
    assert_eq!(field(&rows, "web", "s1", "hrsp_2xx"), "2");
    assert_eq!(field(&rows, "web", "s2", "hrsp_2xx"), "2");
    assert_eq!(field(&rows, "web", "BACKEND", "stot"), "4");
    // The page requests themselves are counted on the frontend (4 proxied,
    // then 3 pages of which 2 refused).
    assert_eq!(field(&rows, "web", "FRONTEND", "hrsp_2xx"), "5");
    assert_eq!(field(&rows, "web", "FRONTEND", "hrsp_4xx"), "2");
    let iid = field(&rows, "web", "BACKEND", "iid").to_owned();

    // The admin form: s1 into maintenance, then the redirection back.
    let form = format!("s=s1&action=maint&b=%23{iid}");
    let (status, head, _) = curl(&[
        "-u",
        "admin:s3cret",
        "--data",
        &form,
        &format!("{base}/stats"),
    ]);
    assert_eq!(status, 303);
    assert!(head.contains("location: /stats;st=done"), "{head}");
    let (_, _, csv) = curl(&["-u", "admin:s3cret", &format!("{base}/stats;csv")]);
    assert_eq!(field(&stat_rows(&csv), "web", "s1", "status"), "MAINT");
    for _ in 0..3 {
        assert_eq!(curl(&[&format!("{base}/app")]).2, "s2\n");
    }

    // Prometheus: every sample line parses, and HAProxy's names are there.
    let (status, head, text) = curl(&[&format!("http://{metrics}/metrics")]);
    assert_eq!(status, 200);
    assert!(
        head.contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    let mut names = std::collections::BTreeSet::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(c) = line.strip_prefix("# ") {
            assert!(c.starts_with("HELP ") || c.starts_with("TYPE "), "{line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        assert!(value.parse::<f64>().is_ok() || value == "NaN", "{line}");
        let name = series.split('{').next().unwrap();
        assert!(
            name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "{line}"
        );
        names.insert(name.to_owned());
    }
    for prefix in [
        "haproxy_process_",
        "haproxy_frontend_",
        "haproxy_backend_",
        "haproxy_server_",
    ] {
        assert!(names.iter().any(|n| n.starts_with(prefix)), "no {prefix}*");
    }
    let s2_2xx = text
        .lines()
        .find(|l| {
            l.starts_with("haproxy_server_http_responses_total{")
                && l.contains("server=\"s2\"")
                && l.contains("code=\"2xx\"")
        })
        .unwrap();
    assert!(s2_2xx.ends_with(" 5"), "{s2_2xx}");
    // Other paths on that frontend still go to the backend.
    assert_eq!(curl(&[&format!("http://{metrics}/x")]).2, "s2\n");
}
