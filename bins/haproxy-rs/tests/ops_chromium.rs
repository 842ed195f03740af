//! The stats page in a real browser: headless Chromium (Debian
//! `chromium`) loads the page of a running daemon, takes a screenshot (kept
//! as a test artifact), shows the server rows in its DOM, and follows
//! `stats refresh`.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod daemon;

use daemon::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A plain HTTP/1.0 GET; the whole answer.
fn get(addr: SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes())
        .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// Requests the proxy answered itself: the frontend's `req_tot` less the
/// backend's `stot` (the browser's `/favicon.ico` goes to the servers),
/// from the `;csv` export (which does not count its own request yet).
fn page_requests(addr: SocketAddr) -> u64 {
    let text = get(addr, "/stats;csv");
    let csv = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines
        .next()
        .and_then(|h| h.strip_prefix("# "))
        .unwrap_or_else(|| panic!("no CSV header in {text}"))
        .split(',')
        .collect();
    let rows: Vec<&str> = lines.collect();
    let value = |row: &str, col: &str| -> u64 {
        let i = header.iter().position(|c| *c == col).unwrap();
        let line = rows
            .iter()
            .find(|l| l.starts_with(row))
            .unwrap_or_else(|| panic!("no {row} row in {csv}"));
        line.split(',').nth(i).unwrap().parse().unwrap()
    };
    value("web,FRONTEND,", "req_tot") - value("web,BACKEND,", "stot")
}

/// Chromium, when installed; `None` (with the reason printed) outside CI.
fn chromium() -> Option<&'static str> {
    let found = Command::new("chromium")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if found {
        return Some("chromium");
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "chromium is not installed (Debian package `chromium`)"
    );
    eprintln!("skipped: chromium is not installed (Debian package `chromium`)");
    None
}

/// Chromium's headless command with a fresh profile under `dir`.
fn browser(bin: &str, dir: &TempDir, profile: &str) -> Command {
    let mut c = Command::new(bin);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,900",
    ])
    .arg(format!("--user-data-dir={}", dir.0.join(profile).display()))
    .stdin(Stdio::null())
    .stderr(Stdio::null());
    c
}

/// Runs `cmd` to its end within a minute; its standard output.
fn run_bounded(mut cmd: Command) -> String {
    let child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let mut d = Daemon(child);
    let mut out = String::new();
    if let Some(mut o) = d.0.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    let end = Instant::now() + Duration::from_secs(60);
    while Instant::now() < end {
        if let Ok(Some(_)) = d.0.try_wait() {
            return out;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("chromium did not finish within a minute");
}

#[test]
fn stats_page_renders_in_chromium_and_refreshes() {
    let Some(bin) = chromium() else { return };
    let dir = TempDir::new("chromium-page");
    let s1 = http_server("s1");
    let s2 = http_server("s2");
    let web = free_addr();
    let text = format!(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\
         listen web\n    bind {web}\n    stats enable\n    stats uri /stats\n    stats refresh 1s\n\
         \x20   server s1 {s1}\n    server s2 {s2}\n"
    );
    let _daemon = Daemon::run(&dir, &text, web);
    for _ in 0..4 {
        assert!(get(web, "/app").ends_with("\n"));
    }
    let url = format!("http://{web}/stats");

    // The screenshot, kept with the build's test artifacts.
    let png = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("stats-page.png");
    let _ = std::fs::remove_file(&png);
    let mut shot = browser(bin, &dir, "shot");
    shot.arg(format!("--screenshot={}", png.display()))
        .arg(&url);
    run_bounded(shot);
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    // IHDR: width and height, big-endian, at bytes 16..24.
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (1400, 900));
    // A blank page of that size compresses to a few kilobytes; the tables
    // and text do not.
    assert!(bytes.len() > 20_000, "screenshot of {} bytes", bytes.len());

    // The DOM as the browser built it: one row per server, and the backend.
    let mut dom = browser(bin, &dir, "dom");
    dom.arg("--dump-dom").arg(&url);
    let dom = run_bounded(dom);
    for row in [">s1<", ">s2<", ">Backend<", ">Frontend<"] {
        assert!(dom.contains(row), "no {row} in the page");
    }

    // `stats refresh 1s`: left on the page, the browser loads it again.
    let before = page_requests(web);
    let child = browser(bin, &dir, "refresh")
        .arg(&url)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let viewer = Daemon(child);
    std::thread::sleep(Duration::from_millis(2600));
    drop(viewer);
    // Loads seen: all requests since `before`, less the CSV fetch itself.
    let loads = page_requests(web) - before - 1;
    assert!(loads >= 2, "{loads} page loads in 2.6 s with a 1 s refresh");
    assert!(loads <= 4, "{loads} page loads in 2.6 s with a 1 s refresh");
}
