//! Servers the tests start on loopback, and the rule for missing tools.

// Shared by several test binaries, each using a part; functions outside #[test]
// functions may fail loudly like the tests themselves.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::panic)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// The page every test server returns at `/`; its MD5 is
/// 5eb63bbbe01eeed093cb22bb8f5acdc3.
pub const PAGE: &str = "hello world";

/// Tools the tests need: in CI their absence fails; elsewhere the test is
/// skipped with a printed reason.
pub fn have_tool(path: &str) -> bool {
    if Path::new(path).exists() {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{path} is missing (install it: see xtask/src/deps.rs)"
    );
    eprintln!("skipping: {path} is not installed");
    false
}

/// A listener on an ephemeral loopback port.
pub async fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    (l, a)
}

/// A body of `len` bytes of 'x', made as it is sent (64 KiB frames).
pub struct Endless {
    pub left: u64,
}

impl Body for Endless {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let n = self.left.min(64 * 1024);
        self.left -= n;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from(vec![b'x'; n as usize])))))
    }
}

type Resp = Response<BoxBody<Bytes, Infallible>>;

fn text(status: u16, body: String) -> Resp {
    Response::builder()
        .status(status)
        .body(Full::new(Bytes::from(body)).boxed())
        .unwrap()
}

/// Routes: `/` the page; `/503`; `/big` a 1 GB body; `/slow` answers after
/// 30 s; `/echo` the method, version and `x-check` header.
async fn route(req: Request<Incoming>) -> Result<Resp, Infallible> {
    Ok(match req.uri().path() {
        "/" => text(200, PAGE.into()),
        "/503" => text(503, "down".into()),
        "/blob" => Response::new(Full::new(Bytes::from(blob())).boxed()),
        "/big" => Response::new(Endless { left: 1 << 30 }.boxed()),
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            text(200, "late".into())
        }
        "/echo" => {
            let h = req
                .headers()
                .get("x-check")
                .map(|v| v.to_str().unwrap_or("?").to_owned());
            text(
                200,
                format!(
                    "{} {:?} x-check={}",
                    req.method(),
                    req.version(),
                    h.unwrap_or_default()
                ),
            )
        }
        _ => text(404, "no".into()),
    })
}

/// 200 KiB of varied bytes (every byte value, no text structure).
pub fn blob() -> Vec<u8> {
    let mut x: u32 = 1;
    (0..200 * 1024)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8
        })
        .collect()
}

/// Starts the hyper HTTP server; TLS too when `tls` is given.
pub async fn http_server(tls: Option<Arc<rustls::ServerConfig>>) -> SocketAddr {
    let (l, addr) = listener().await;
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = l.accept().await else { return };
            let tls = tls.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(route);
                let builder = hyper::server::conn::http1::Builder::new();
                match tls {
                    None => {
                        let _ = builder.serve_connection(TokioIo::new(s), svc).await;
                    }
                    Some(cfg) => {
                        if let Ok(t) = tokio_rustls::TlsAcceptor::from(cfg).accept(s).await {
                            let _ = builder.serve_connection(TokioIo::new(t), svc).await;
                        }
                    }
                }
            });
        }
    });
    addr
}

/// A self-signed certificate for `localhost` (rcgen) and a server config.
pub fn tls_config() -> (CertificateDer<'static>, Arc<rustls::ServerConfig>) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let cert = ck.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.key_pair.serialize_der()));
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.clone()], key)
    .unwrap();
    (cert, Arc::new(cfg))
}

/// Accepts and holds connections without a byte.
pub async fn silent_server() -> SocketAddr {
    let (l, addr) = listener().await;
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
        }
    });
    addr
}

/// Accepts, writes `bytes`, and keeps the connection open.
pub async fn canned_server(bytes: &'static [u8]) -> SocketAddr {
    let (l, addr) = listener().await;
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut s, _)) = l.accept().await {
            let _ = s.write_all(bytes).await;
            held.push(s);
        }
    });
    addr
}

/// Accepts and resets every connection at once.
pub async fn reset_server() -> SocketAddr {
    let (l, addr) = listener().await;
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let _ = socket2::SockRef::from(&s).set_linger(Some(Duration::ZERO));
            drop(s);
        }
    });
    addr
}

/// A loopback port with nothing listening.
pub fn closed_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// A child process killed when dropped.
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free loopback port (TCP and UDP), found by binding port 0.
pub fn free_port() -> u16 {
    let l = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Waits until `addr` accepts TCP connections (at most 5 s).
pub async fn wait_tcp(addr: SocketAddr) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{addr} never came up");
}
