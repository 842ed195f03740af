//! `http-response` rules, `tcp-request connection|content accept|reject`
//! and `Upgrade` (WebSocket) tunnels under `timeout tunnel`, with curl and
//! raw sockets on loopback.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod support;

use haproxy_rs::proxy::config::*;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const T: Duration = Duration::from_secs(3);

fn acl(fetch: Fetch, patterns: &[&str]) -> Condition {
    Condition::when(Term {
        negate: false,
        acl: Acl {
            name: String::new(),
            any: vec![AclMatch {
                fetch,
                ignore_case: false,
                patterns: patterns.iter().map(|p| p.to_string()).collect(),
            }],
        },
    })
}

fn frontend(mode: Mode) -> Frontend {
    Frontend {
        name: "fe".into(),
        mode,
        binds: vec![Bind::plain("127.0.0.1:0".parse().expect("addr"))],
        default_backend: Some("app".into()),
        ..Frontend::default()
    }
}

fn backend(mode: Mode, server: SocketAddr) -> Backend {
    let mut b = Backend::new("app", mode);
    b.servers.push(Server::new("s1", 1, server));
    b
}

fn set(name: &str, value: &str) -> HttpResponseAction {
    HttpResponseAction::SetHeader {
        name: name.into(),
        value: value.into(),
    }
}

fn rule(action: HttpResponseAction, cond: Condition) -> HttpResponseRule {
    HttpResponseRule { action, cond }
}

fn tcp(action: TcpAction, cond: Condition) -> TcpRule {
    TcpRule { action, cond }
}

/// The response head's header lines, lower-cased, from `curl -si`.
fn head_lines(out: &str) -> Vec<String> {
    out.split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .lines()
        .map(str::to_ascii_lowercase)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_response_rules_edit_headers_backend_first_then_frontend() {
    let s = http_server("a", Behaviour::Echo).await;
    let mut fe = frontend(Mode::Http);
    let mut be = backend(Mode::Http, s);
    // The backend sets X-Order, the frontend then overwrites it: the
    // frontend's value shows that its rules ran second.
    be.http_response = vec![
        rule(set("X-Order", "backend"), Condition::always()),
        rule(
            HttpResponseAction::DelHeader {
                name: "x-conn".into(),
            },
            Condition::always(),
        ),
        rule(
            HttpResponseAction::AddHeader {
                name: "X-Added".into(),
                value: "1".into(),
            },
            acl(Fetch::Method, &["GET"]),
        ),
    ];
    fe.http_response = vec![
        rule(set("X-Order", "frontend"), Condition::always()),
        // The request's path is gone at response time: never matches.
        rule(set("X-Path", "seen"), acl(Fetch::PathBeg, &["/"])),
        rule(set("X-Src", "local"), acl(Fetch::Src, &["127.0.0.0/8"])),
    ];
    let p = start(Config {
        frontends: vec![fe],
        backends: vec![be],
        ..Config::default()
    });
    let out = curl(&["-si", &format!("http://{}/x", p.addr("fe"))]).await;
    let head = head_lines(&out);
    assert!(head[0].starts_with("http/1.1 200"), "{out}");
    assert!(head.contains(&"x-order: frontend".to_string()), "{out}");
    assert_eq!(head.iter().filter(|l| l.starts_with("x-order")).count(), 1);
    assert!(head.contains(&"x-added: 1".to_string()), "{out}");
    assert!(head.contains(&"x-src: local".to_string()), "{out}");
    assert!(head.contains(&"x-server: a".to_string()), "{out}");
    assert!(!head.iter().any(|l| l.starts_with("x-conn")), "{out}");
    assert!(!head.iter().any(|l| l.starts_with("x-path")), "{out}");
    // A HEAD request does not match the `method GET` condition.
    let out = curl(&["-sI", &format!("http://{}/x", p.addr("fe"))]).await;
    assert!(!head_lines(&out).iter().any(|l| l.starts_with("x-added")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_response_deny_replaces_the_response_with_502() {
    let s = http_server("a", Behaviour::Echo).await;
    let mut fe = frontend(Mode::Http);
    fe.http_response = vec![
        rule(HttpResponseAction::Allow, acl(Fetch::Method, &["PUT"])),
        rule(
            HttpResponseAction::Deny { status: 502 },
            acl(Fetch::Method, &["DELETE", "PUT"]),
        ),
    ];
    let p = start(Config {
        frontends: vec![fe],
        backends: vec![backend(Mode::Http, s)],
        ..Config::default()
    });
    let url = format!("http://{}/", p.addr("fe"));
    let out = curl(&["-si", "-X", "DELETE", &url]).await;
    assert!(out.starts_with("HTTP/1.1 502"), "{out}");
    // The server's body never reaches the client.
    assert!(!out.contains("server=a"), "{out}");
    // `allow` stops the rules before the deny.
    let out = curl(&["-si", "-X", "PUT", &url]).await;
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    let out = curl(&["-si", &url]).await;
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
}

/// Connects, sends `bytes`, and returns what came back before the close.
async fn exchange(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let _ = s.write_all(bytes).await;
    read_all(&mut s, T).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_request_connection_rules_accept_or_reject_in_order() {
    let server = named_server("srv").await;
    let mut fe = frontend(Mode::Tcp);
    fe.tcp_connection = vec![tcp(TcpAction::Reject, acl(Fetch::Src, &["127.0.0.0/8"]))];
    let p = start(Config {
        frontends: vec![fe],
        backends: vec![backend(Mode::Tcp, server)],
        ..Config::default()
    });
    // Closed at once: not a byte from the server.
    assert_eq!(exchange(p.addr("fe"), b"hi").await, b"");

    // An `accept` that matches first wins over the later `reject`.
    let mut fe = frontend(Mode::Tcp);
    fe.tcp_connection = vec![
        tcp(TcpAction::Accept, acl(Fetch::Src, &["127.0.0.1"])),
        tcp(TcpAction::Reject, Condition::always()),
    ];
    let p = start(Config {
        frontends: vec![fe],
        backends: vec![backend(Mode::Tcp, server)],
        ..Config::default()
    });
    let mut s = TcpStream::connect(p.addr("fe")).await.expect("connect");
    assert_eq!(read_line(&mut s, T).await, "srv");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_request_content_reject_in_tcp_and_http_modes() {
    // mode tcp, the backend's content rules.
    let server = named_server("srv").await;
    let mut be = backend(Mode::Tcp, server);
    be.tcp_content = vec![tcp(TcpAction::Reject, acl(Fetch::Src, &["127.0.0.1"]))];
    let p = start(Config {
        frontends: vec![frontend(Mode::Tcp)],
        backends: vec![be],
        ..Config::default()
    });
    assert_eq!(exchange(p.addr("fe"), b"hi").await, b"");

    // mode http, the frontend's: evaluated per request, before
    // `http-request` rules; a rejected request gets no answer at all.
    let s = http_server("a", Behaviour::Echo).await;
    let mut fe = frontend(Mode::Http);
    fe.tcp_content = vec![tcp(TcpAction::Reject, acl(Fetch::PathBeg, &["/private"]))];
    fe.http_request = vec![HttpRequestRule {
        action: HttpRequestAction::Deny { status: 403 },
        cond: Condition::always(),
    }];
    let p = start(Config {
        frontends: vec![fe],
        backends: vec![backend(Mode::Http, s)],
        ..Config::default()
    });
    let got = exchange(p.addr("fe"), b"GET /private/x HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(got, b"");
    let got = exchange(p.addr("fe"), b"GET /open HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(
        got.starts_with(b"HTTP/1.1 403"),
        "{}",
        String::from_utf8_lossy(&got)
    );
}

/// A server that answers an `Upgrade: websocket` request with `101`, then
/// echoes what it reads (prefixed with `echo:`); other requests get 400.
async fn upgrade_server() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match s.read(&mut b).await {
                        Ok(1) => head.push(b[0]),
                        _ => return,
                    }
                }
                let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
                if !(head.contains("\r\nupgrade: websocket\r\n")
                    && head.contains("\r\nconnection: upgrade\r\n"))
                {
                    let _ = s
                        .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                        .await;
                    return;
                }
                let _ = s
                    .write_all(
                        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
                    )
                    .await;
                let mut buf = [0u8; 1024];
                loop {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            let mut out = b"echo:".to_vec();
                            out.extend_from_slice(&buf[..n]);
                            if s.write_all(&out).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

/// Reads a response head (up to the blank line).
async fn read_head(s: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    let _ = tokio::time::timeout(T, async {
        while !head.ends_with(b"\r\n\r\n") {
            match s.read(&mut b).await {
                Ok(1) => head.push(b[0]),
                _ => break,
            }
        }
    })
    .await;
    String::from_utf8_lossy(&head).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_upgrade_tunnels_both_ways_until_timeout_tunnel() {
    let server = upgrade_server().await;
    let mut fe = frontend(Mode::Http);
    fe.timeouts.client = Some(Duration::from_secs(30));
    let mut be = backend(Mode::Http, server);
    be.timeouts.server = Some(Duration::from_secs(30));
    be.timeouts.tunnel = Some(Duration::from_millis(400));
    let p = start(Config {
        frontends: vec![fe],
        backends: vec![be],
        ..Config::default()
    });
    let mut s = TcpStream::connect(p.addr("fe")).await.expect("connect");
    s.write_all(
        b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await
    .expect("write");
    let head = read_head(&mut s).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("upgrade: websocket"),
        "{head}"
    );
    // Bytes flow both ways, several times, through the tunnel.
    for word in ["one", "two"] {
        s.write_all(word.as_bytes()).await.expect("write");
        let mut buf = vec![0u8; 5 + word.len()];
        tokio::time::timeout(T, s.read_exact(&mut buf))
            .await
            .expect("echo in time")
            .expect("echo");
        assert_eq!(buf, format!("echo:{word}").as_bytes());
    }
    // Idle longer than `timeout tunnel` (far below client and server
    // timeouts): the proxy closes the tunnel.
    let idle = Instant::now();
    let rest = read_all(&mut s, T).await;
    assert!(rest.is_empty());
    let waited = idle.elapsed();
    assert!(
        waited >= Duration::from_millis(350) && waited < Duration::from_millis(2500),
        "{waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_upgrade_is_an_ordinary_response() {
    // The server answers 400 to a request without the WebSocket headers:
    // the proxy passes the answer on and the connection stays HTTP.
    let server = upgrade_server().await;
    let p = start(Config {
        frontends: vec![frontend(Mode::Http)],
        backends: vec![backend(Mode::Http, server)],
        ..Config::default()
    });
    let out = curl(&["-si", &format!("http://{}/", p.addr("fe"))]).await;
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
}

/// The daemon, stopped (killed by its process id) on drop.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_compiles_and_applies_the_rules_from_a_configuration() {
    let server = http_server("a", Behaviour::Echo).await;
    let port = free_port();
    let dir = TempDir::new("rules");
    let cfg = dir.0.join("rules.cfg");
    std::fs::write(
        &cfg,
        format!(
            "defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n\
             frontend fe\n    bind 127.0.0.1:{port}\n    tcp-request connection accept if {{ src 127.0.0.1 }}\n\
             tcp-request content reject if {{ path_beg /private }}\n    http-response set-header X-Checked yes\n\
             default_backend app\n\
             backend app\n    http-response del-header x-conn\n    server s1 {server}\n"
        ),
    )
    .expect("write config");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_haproxy-rs"))
        .arg("-f")
        .arg(&cfg)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start haproxy-rs");
    let _daemon = Daemon(child);
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let started = Instant::now();
    while TcpStream::connect(addr).await.is_err() {
        assert!(started.elapsed() < T, "haproxy-rs did not start listening");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = curl(&["-si", &format!("http://{addr}/open")]).await;
    let head = head_lines(&out);
    assert!(head[0].starts_with("http/1.1 200"), "{out}");
    assert!(head.contains(&"x-checked: yes".to_string()), "{out}");
    assert!(!head.iter().any(|l| l.starts_with("x-conn")), "{out}");
    let got = exchange(addr, b"GET /private HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert_eq!(got, b"");
}
