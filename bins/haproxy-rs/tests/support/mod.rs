//! Shared pieces of the proxy tests: test servers and a proxy launcher.
#![allow(dead_code, unreachable_pub)]

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
