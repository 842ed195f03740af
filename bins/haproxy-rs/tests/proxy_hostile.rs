//! Hostile input against `mode http`, each case compared with the real
//! HAProxy 2.6 on the same configuration: request smuggling attempts,
//! malformed framing, oversized request lines and headers, garbage, many
//! idle connections. The proxy must answer as HAProxy does and keep
//! serving others.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod support;

use haproxy_rs::proxy::config::*;
use std::time::Duration;
use support::*;

const T: Duration = Duration::from_secs(3);

/// Requests HAProxy 2.6 refuses, each with the answer expected from both.
fn refused() -> Vec<(&'static str, Vec<u8>)> {
    let mut long_uri = b"GET /".to_vec();
    long_uri.extend(std::iter::repeat_n(b'a', 20_000));
    long_uri.extend_from_slice(b" HTTP/1.1\r\nHost: a\r\n\r\n");
    let mut long_hdr = b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: ".to_vec();
    long_hdr.extend(std::iter::repeat_n(b'b', 20_000));
    long_hdr.extend_from_slice(b"\r\n\r\n");
    vec![
        ("two different Content-Length", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello".to_vec()),
        ("bad chunk size", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n".to_vec()),
        ("space in header name", b"GET / HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n".to_vec()),
        ("request line over tune.bufsize", long_uri),
        ("headers over tune.bufsize", long_hdr),
        ("Transfer-Encoding identity", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n".to_vec()),
        ("chunked twice", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n".to_vec()),
        ("negative Content-Length", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n".to_vec()),
        ("not HTTP", b"GARBAGE\r\n\r\n".to_vec()),
    ]
}

const PAGE_400: &str = "HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n";

async fn ours(server: std::net::SocketAddr) -> Running {
    let mut be = Backend::new("app", Mode::Http);
    be.servers.push(Server::new("s1", 1, server));
    start(Config {
        frontends: vec![Frontend {
            name: "fe".into(),
            mode: Mode::Http,
            binds: vec![Bind::plain("127.0.0.1:0".parse().expect("addr"))],
            default_backend: Some("app".into()),
            timeouts: FrontendTimeouts {
                client: Some(Duration::from_secs(5)),
                http_request: Some(Duration::from_secs(2)),
                ..FrontendTimeouts::default()
            },
            ..Frontend::default()
        }],
        backends: vec![be],
        ..Config::default()
    })
}

fn reference_config(port: u16, server: std::net::SocketAddr) -> String {
    format!(
        "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n  timeout http-request 2s\n\
         frontend fe\n  bind 127.0.0.1:{port}\n  default_backend app\n\
         backend app\n  server s1 {server}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_get_haproxys_400() {
    let server = http_server("a", Behaviour::Echo).await;
    let p = ours(server).await;
    for (name, req) in refused() {
        let got = raw(p.addr("fe"), &req, T).await;
        assert_eq!(got, PAGE_400, "{name}");
    }
    // The proxy still serves a normal request afterwards.
    let ok = raw(
        p.addr("fe"),
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        T,
    )
    .await;
    assert!(ok.starts_with("HTTP/1.1 200 OK"), "{ok}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_match_real_haproxy() {
    let Some(bin) = haproxy_binary() else { return };
    let server = http_server("a", Behaviour::Echo).await;
    let port = free_port();
    let _h = start_haproxy(bin, &reference_config(port, server), port).await;
    let reference: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let p = ours(server).await;
    for (name, req) in refused() {
        let theirs = raw(reference, &req, T).await;
        let mine = raw(p.addr("fe"), &req, T).await;
        assert_eq!(mine, theirs, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_length_with_transfer_encoding_is_dropped_as_haproxy_does() {
    let server = http_server("a", Behaviour::Echo).await;
    let req = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
    let p = ours(server).await;
    let mine = raw(p.addr("fe"), req, T).await;
    // Chunked wins, Content-Length is removed before the server sees it,
    // and the connection is closed after the response: the smuggled
    // request is never served.
    assert!(mine.starts_with("HTTP/1.1 200 OK\r\n"), "{mine}");
    assert!(mine.contains("body=abc\n"), "{mine}");
    assert!(!mine.contains("h:content-length"), "{mine}");
    assert!(mine.contains("connection: close\r\n"), "{mine}");
    assert!(!mine.contains("/smuggled"), "{mine}");
    if let Some(bin) = haproxy_binary() {
        let port = free_port();
        let _h = start_haproxy(bin, &reference_config(port, server), port).await;
        let theirs = raw(([127, 0, 0, 1], port).into(), req, T).await;
        assert!(theirs.starts_with("HTTP/1.1 200 OK\r\n"), "{theirs}");
        assert!(theirs.contains("connection: close\r\n"), "{theirs}");
        assert!(
            !theirs.contains("/smuggled") && !theirs.contains("h:content-length"),
            "{theirs}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_never_breaks_the_proxy() {
    let server = http_server("a", Behaviour::Echo).await;
    let p = ours(server).await;
    // A deterministic pseudo-random mix of bytes and HTTP fragments.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pieces: [&[u8]; 8] = [
        b"GET ",
        b"/ ",
        b"HTTP/1.1",
        b"\r\n",
        b"Content-Length: 9",
        b"Transfer-Encoding: chunked",
        b":",
        b"\x00\xff",
    ];
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let mut req = Vec::new();
        for _ in 0..(next() % 12) {
            if next() % 3 == 0 {
                req.push((next() & 0xff) as u8);
            } else {
                req.extend_from_slice(pieces[(next() % 8) as usize]);
            }
        }
        let addr = p.addr("fe");
        tasks.push(tokio::spawn(async move {
            raw(addr, &req, Duration::from_millis(300)).await
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let ok = raw(
        p.addr("fe"),
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        T,
    )
    .await;
    assert!(ok.starts_with("HTTP/1.1 200 OK"), "{ok}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_idle_connections_stay_cheap() {
    let server = http_server("a", Behaviour::Echo).await;
    let p = ours(server).await;
    const N: usize = 4000;
    let before = rss_kib();
    let mut conns = Vec::with_capacity(N);
    for _ in 0..N {
        match tokio::net::TcpStream::connect(p.addr("fe")).await {
            Ok(c) => conns.push(c),
            Err(e) => panic!("connection {} failed: {e}", conns.len()),
        }
    }
    // Let the proxy accept and park them all.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib();
    let per_conn = (after.saturating_sub(before) * 1024) / N as u64;
    eprintln!("{N} idle connections: RSS {before} KiB -> {after} KiB, {per_conn} bytes each (both ends in this process)");
    assert!(per_conn < 24 * 1024, "{per_conn} bytes per idle connection");
    // Others are still served meanwhile.
    let ok = raw(
        p.addr("fe"),
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        T,
    )
    .await;
    assert!(ok.starts_with("HTTP/1.1 200 OK"), "{ok}");
}
