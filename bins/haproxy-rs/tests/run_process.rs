//! The process around the proxy: `-p` pidfile, SIGTERM / SIGINT stop,
//! SIGUSR1 soft stop, `-D` background, `nbthread` workers, and errors the
//! engine cannot run reported with their location (exit status 1).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_haproxy-rs");

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("haproxy-rs-proc-{tag}-{}", std::process::id()));
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

/// A process killed by its PID on drop (if still running).
struct Guard(Option<Child>, Option<u32>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(pid) = self.1 {
            signal(pid, "KILL");
        }
    }
}

fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status();
}

fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// A TCP-mode configuration listening on `addr`.
fn config(dir: &Path, addr: SocketAddr, global: &str) -> PathBuf {
    let text = format!(
        "global\n{global}\ndefaults\n    mode tcp\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\
         listen l\n    bind {addr}\n    server s {}\n",
        free_addr()
    );
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, text).unwrap();
    path
}

fn listening(addr: SocketAddr, limit: Duration) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if TcpStream::connect(addr).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
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

fn read_pid(path: &Path, limit: Duration) -> u32 {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if let Some(pid) = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            return pid;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no pid in {}", path.display());
}

#[test]
fn pidfile_is_written_and_sigterm_stops_with_status_0() {
    let dir = TempDir::new("term");
    let addr = free_addr();
    let cfg = config(&dir.0, addr, "");
    let pidfile = dir.0.join("p.pid");
    let child = Command::new(BIN)
        .args(["-d", "-q", "-p"])
        .arg(&pidfile)
        .arg("-f")
        .arg(&cfg)
        .spawn()
        .unwrap();
    let mut g = Guard(Some(child), None);
    assert!(listening(addr, Duration::from_secs(5)));
    let c = g.0.as_mut().unwrap();
    assert_eq!(read_pid(&pidfile, Duration::from_secs(2)), c.id());
    signal(c.id(), "TERM");
    assert_eq!(exits_within(c, Duration::from_secs(5)), Some(0));
}

#[test]
fn sigint_stops_too() {
    let dir = TempDir::new("int");
    let addr = free_addr();
    let cfg = config(&dir.0, addr, "");
    let child = Command::new(BIN)
        .args(["-d", "-q", "-f"])
        .arg(&cfg)
        .spawn()
        .unwrap();
    let mut g = Guard(Some(child), None);
    assert!(listening(addr, Duration::from_secs(5)));
    let c = g.0.as_mut().unwrap();
    signal(c.id(), "INT");
    assert_eq!(exits_within(c, Duration::from_secs(5)), Some(0));
}

#[test]
fn sigusr1_closes_the_listeners_and_waits_for_connections_to_servers() {
    // A server that accepts and holds its connection: the proxied
    // exchange stays open.
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server_addr = server.local_addr().unwrap();
    let dir = TempDir::new("usr1");
    let addr = free_addr();
    let text = format!(
        "defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 30s\n    timeout server 30s\n\
         listen l\n    bind {addr}\n    server s {server_addr}\n"
    );
    let cfg = dir.0.join("haproxy.cfg");
    std::fs::write(&cfg, text).unwrap();
    let child = Command::new(BIN)
        .args(["-d", "-q", "-f"])
        .arg(&cfg)
        .spawn()
        .unwrap();
    let mut g = Guard(Some(child), None);
    assert!(listening(addr, Duration::from_secs(5)));
    let mut client = TcpStream::connect(addr).unwrap();
    std::io::Write::write_all(&mut client, b"hello").unwrap();
    // The readiness probe was proxied too: keep only the server connection
    // carrying the client's bytes.
    std::thread::sleep(Duration::from_millis(300));
    server.set_nonblocking(true).unwrap();
    let mut held = None;
    while let Ok((mut s, _)) = server.accept() {
        s.set_nonblocking(false).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut buf = [0u8; 5];
        if std::io::Read::read_exact(&mut s, &mut buf).is_ok() && &buf == b"hello" {
            held = Some(s);
        }
    }
    let mut held = held.expect("the client's connection reached the server");
    let c = g.0.as_mut().unwrap();
    signal(c.id(), "USR1");
    // The listener goes away (a probe that got through would itself hold
    // a server connection, so only one is made, after a pause); the
    // process stays while the exchange lives.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        TcpStream::connect(addr).is_err(),
        "still listening after SIGUSR1"
    );
    assert_eq!(exits_within(c, Duration::from_millis(500)), None);
    std::io::Write::write_all(&mut held, b"bye").unwrap();
    drop(held);
    drop(client);
    assert_eq!(exits_within(c, Duration::from_secs(5)), Some(0));
}

#[test]
fn daemon_goes_to_the_background_and_writes_its_pid() {
    let dir = TempDir::new("daemon");
    let addr = free_addr();
    let pidfile = dir.0.join("d.pid");
    let cfg = config(
        &dir.0,
        addr,
        &format!("    daemon\n    pidfile {}", pidfile.display()),
    );
    let mut parent = Command::new(BIN)
        .args(["-q", "-f"])
        .arg(&cfg)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    assert_eq!(exits_within(&mut parent, Duration::from_secs(5)), Some(0));
    let pid = read_pid(&pidfile, Duration::from_secs(5));
    let _g = Guard(None, Some(pid));
    assert_ne!(pid, parent.id());
    assert!(listening(addr, Duration::from_secs(5)));
    signal(pid, "TERM");
    let end = Instant::now() + Duration::from_secs(5);
    while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn nbthread_sets_the_worker_count() {
    let dir = TempDir::new("threads");
    let addr = free_addr();
    let cfg = config(&dir.0, addr, "    nbthread 3");
    let child = Command::new(BIN)
        .args(["-d", "-q", "-f"])
        .arg(&cfg)
        .spawn()
        .unwrap();
    let g = Guard(Some(child), None);
    assert!(listening(addr, Duration::from_secs(5)));
    let pid = g.0.as_ref().unwrap().id();
    let workers = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|c| c.trim() == "tokio-rt-worker")
        .count();
    assert_eq!(workers, 3);
}

#[test]
fn what_the_engine_cannot_run_is_an_error_with_its_location() {
    let dir = TempDir::new("err");
    let text = "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\
                frontend f\n    bind {}\n    acl a url_param(x) -m found\n    use_backend b if a\n    default_backend b\n\
                backend b\n    server s 127.0.0.1:1\n";
    let text = text.replace("{}", &free_addr().to_string());
    let cfg = dir.0.join("bad.cfg");
    std::fs::write(&cfg, text).unwrap();
    let out = Command::new(BIN)
        .args(["-d", "-f"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:8:5", cfg.display())), "{err}");
    assert!(err.contains("url_param"), "{err}");
    let quiet = Command::new(BIN)
        .args(["-d", "-q", "-f"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(quiet.status.code(), Some(1));
    assert!(quiet.stderr.is_empty() && quiet.stdout.is_empty());
}
