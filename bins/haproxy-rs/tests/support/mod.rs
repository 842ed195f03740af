//! Shared pieces of the proxy tests: test servers and a proxy launcher.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic
)]

use haproxy_rs::proxy::{config::Config, Handle, Proxy};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// A running proxy; dropping it stops the listeners.
pub struct Running {
    pub addrs: Vec<(String, SocketAddr)>,
    pub handle: Handle,
    _stop: oneshot::Sender<()>,
}

impl Running {
    /// The first address of the named frontend.
    pub fn addr(&self, frontend: &str) -> SocketAddr {
        self.addrs
            .iter()
            .find(|(n, _)| n == frontend)
            .map(|(_, a)| *a)
            .unwrap_or_else(|| panic!("no frontend {frontend}"))
    }
}

/// Binds and serves `config` in the current runtime.
pub fn start(config: Config) -> Running {
    let proxy = Proxy::bind(config).expect("bind");
    let addrs = proxy.local_addrs();
    let handle = proxy.handle();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(proxy.serve(async move {
        let _ = rx.await;
    }));
    Running {
        addrs,
        handle,
        _stop: tx,
    }
}

/// An address nothing listens on (bound then released).
pub fn dead_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr")
}

/// A TCP server that sends `NAME\n`, echoes until the client's end of
/// stream, then sends `bye` and closes (proving the half-close went through).
pub async fn named_server(name: &'static str) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let _ = s.write_all(format!("{name}\n").as_bytes()).await;
                let mut buf = [0u8; 4096];
                loop {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if s.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
                let _ = s.write_all(b"bye").await;
            });
        }
    });
    addr
}

/// Reads until end of stream or `limit`, whichever comes first.
pub async fn read_all(s: &mut TcpStream, limit: Duration) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(limit, s.read_to_end(&mut out)).await;
    out
}

/// Reads one line (up to `\n`) within `limit`.
pub async fn read_line(s: &mut TcpStream, limit: Duration) -> String {
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    let _ = tokio::time::timeout(limit, async {
        while let Ok(1) = s.read(&mut b).await {
            if b[0] == b'\n' {
                break;
            }
            out.push(b[0]);
        }
    })
    .await;
    String::from_utf8_lossy(&out).into_owned()
}

/// How a test HTTP server behaves.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Answers 200 with a description of the request.
    Echo,
    /// Accepts and never answers.
    Silent,
    /// Answers garbage that is not HTTP.
    Garbage,
    /// Sends a response head announcing 10 bytes, 3 of them, then stalls.
    StallBody,
}

/// An HTTP/1.1 server (hyper) answering `200` with a body describing the
/// request: `server=NAME conn=N method=M uri=U` and one `h:NAME=VALUE` line
/// per header, and headers `x-server` and `x-conn` (its connection number,
/// to see reuse).
pub async fn http_server(name: &'static str, behaviour: Behaviour) -> SocketAddr {
    use http_body_util::{BodyExt, Full};
    use hyper::{body::Incoming, Request, Response};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    let conns = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut s, _)) = l.accept().await {
            let n = conns.fetch_add(1, Ordering::SeqCst) + 1;
            match behaviour {
                Behaviour::Silent => {
                    held.push(s);
                    continue;
                }
                Behaviour::Garbage => {
                    tokio::spawn(async move {
                        let mut b = [0u8; 1024];
                        let _ = s.read(&mut b).await;
                        let _ = s.write_all(b"garbage\r\n\r\n").await;
                    });
                    continue;
                }
                Behaviour::StallBody => {
                    tokio::spawn(async move {
                        let mut b = [0u8; 1024];
                        let _ = s.read(&mut b).await;
                        let _ = s
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
                            .await;
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    });
                    continue;
                }
                Behaviour::Echo => {}
            }
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: Request<Incoming>| async move {
                    let mut text = format!(
                        "server={name} conn={n} method={} uri={}\n",
                        req.method(),
                        req.uri()
                    );
                    for (k, v) in req.headers() {
                        text.push_str(&format!("h:{}={}\n", k, v.to_str().unwrap_or("?")));
                    }
                    let body = req
                        .into_body()
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    text.push_str(&format!("body={}\n", String::from_utf8_lossy(&body)));
                    let resp = Response::builder()
                        .header("x-server", name)
                        .header("x-conn", n.to_string())
                        .body(Full::new(bytes::Bytes::from(text)))
                        .expect("response");
                    Ok::<_, std::convert::Infallible>(resp)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(s), svc)
                    .await;
            });
        }
    });
    addr
}

/// Runs curl with these arguments; returns its standard output.
pub async fn curl(args: &[&str]) -> String {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            .args(["-s", "--max-time", "5"])
            .args(&args)
            .output()
    })
    .await
    .expect("join")
    .expect("curl must be installed (apt-get install curl)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Sends raw bytes, returns everything received until close or `limit`.
pub async fn raw(addr: SocketAddr, bytes: &[u8], limit: Duration) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let _ = s.write_all(bytes).await;
    String::from_utf8_lossy(&read_all(&mut s, limit).await).into_owned()
}

/// A real HAProxy process started for a test; killed (by its PID) on drop.
pub struct RealHaproxy {
    child: std::process::Child,
    _dir: TempDir,
}

impl Drop for RealHaproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "haproxy-rs-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The HAProxy binary, if installed. Outside CI a missing binary skips the
/// comparison (with a note); under `CI=true` it is an error.
pub fn haproxy_binary() -> Option<&'static str> {
    let path = "/usr/sbin/haproxy";
    if std::path::Path::new(path).exists() {
        return Some(path);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{path} is missing: install the haproxy package");
    }
    eprintln!("skipping the comparison with HAProxy: {path} is not installed");
    None
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    dead_addr().port()
}

/// Starts HAProxy on `config` (which must bind `port`) and waits until it
/// accepts connections there.
pub async fn start_haproxy(binary: &str, config: &str, port: u16) -> RealHaproxy {
    let dir = TempDir::new("ref");
    let cfg = dir.0.join("haproxy.cfg");
    std::fs::write(&cfg, config).expect("write config");
    let child = std::process::Command::new(binary)
        .arg("-db")
        .arg("-f")
        .arg(&cfg)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start haproxy");
    let running = RealHaproxy { child, _dir: dir };
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return running;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("haproxy did not start on port {port}");
}

/// The process's resident set size in KiB.
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}
