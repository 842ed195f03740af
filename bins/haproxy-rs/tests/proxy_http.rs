//! `mode http` with real clients (curl and raw sockets) on loopback:
//! forwarding, keep-alive and connection reuse, connection modes,
//! `option forwardfor`, `http-request` rules, ACL routing, HAProxy's error
//! pages and timeouts.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod support;

use haproxy_rs::proxy::config::*;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use support::*;

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

fn frontend() -> Frontend {
    Frontend {
        name: "fe".into(),
        mode: Mode::Http,
        binds: vec![Bind::plain("127.0.0.1:0".parse().expect("addr"))],
        default_backend: Some("app".into()),
        ..Frontend::default()
    }
}

fn backend(name: &str, servers: &[SocketAddr]) -> Backend {
    let mut b = Backend::new(name, Mode::Http);
    for (i, a) in servers.iter().enumerate() {
        b.servers
            .push(Server::new(format!("s{}", i + 1), i as u32 + 1, *a));
    }
    b
}

fn url(p: &Running, path: &str) -> String {
    format!("http://{}{path}", p.addr("fe"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_and_adds_x_forwarded_for() {
    let s = http_server("a", Behaviour::Echo).await;
    let mut fe = frontend();
    fe.forwardfor = true;
    let p = start(Config {
        frontends: vec![fe],
        backends: vec![backend("app", &[s])],
        ..Config::default()
    });
    let out = curl(&["-i", &url(&p, "/x?y=1")]).await;
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.contains("uri=/x?y=1\n"), "{out}");
    assert!(out.contains("h:x-forwarded-for=127.0.0.1\n"), "{out}");
    // POST bodies go through.
    let out = curl(&["--data-binary", "hello", &url(&p, "/post")]).await;
    assert!(
        out.contains("method=POST") && out.contains("body=hello\n"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_reuses_server_connections() {
    let s = http_server("a", Behaviour::Echo).await;
    let p = start(Config {
        frontends: vec![frontend()],
        backends: vec![backend("app", &[s])],
        ..Config::default()
    });
    // Two requests on one client connection, then a third from another
    // client connection: all three on the first server connection.
    let out = curl(&["-s", &url(&p, "/1"), &url(&p, "/2")]).await;
    assert_eq!(out.matches("conn=1 ").count(), 2, "{out}");
    let out = curl(&["-s", &url(&p, "/3")]).await;
    assert!(out.contains("conn=1 "), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_close_uses_a_new_server_connection_per_request() {
    let s = http_server("a", Behaviour::Echo).await;
    let mut fe = frontend();
    fe.http_conn_mode = HttpConnMode::ServerClose;
    let p = start(Config {
        frontends: vec![fe],
        backends: vec![backend("app", &[s])],
        ..Config::default()
    });
    let out = curl(&["-s", "-v", &url(&p, "/1"), &url(&p, "/2")]).await;
    assert!(out.contains("conn=1 ") && out.contains("conn=2 "), "{out}");
    assert!(out.contains("h:connection=close\n"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn httpclose_closes_the_client_side_too() {
    let s = http_server("a", Behaviour::Echo).await;
    let mut be = backend("app", &[s]);
    be.http_conn_mode = HttpConnMode::Close;
    let p = start(Config {
        frontends: vec![frontend()],
        backends: vec![be],
        ..Config::default()
    });
    let req = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
    let out = raw(p.addr("fe"), req.as_bytes(), T).await;
    assert!(out.contains("connection: close\r\n"), "{out}");
    // The second request is never answered: the connection closed.
    assert_eq!(out.matches("HTTP/1.1 200").count(), 1, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acls_choose_the_backend() {
    let (a, b, c, d) = (
        http_server("a", Behaviour::Echo).await,
        http_server("b", Behaviour::Echo).await,
        http_server("c", Behaviour::Echo).await,
        http_server("d", Behaviour::Echo).await,
    );
    let mut fe = frontend();
    fe.use_backends = vec![
        UseBackend {
            backend: "api".into(),
            cond: acl(Fetch::PathBeg, &["/api/"]),
        },
        UseBackend {
            backend: "img".into(),
            cond: acl(Fetch::PathEnd, &[".png"]),
        },
        UseBackend {
            backend: "host".into(),
            cond: acl(Fetch::Hdr("host".into()), &["static.example"]),
        },
        UseBackend {
            backend: "host".into(),
            cond: acl(Fetch::Method, &["DELETE"]),
        },
    ];
    let p = start(Config {
        frontends: vec![fe],
        backends: vec![
            backend("app", &[a]),
            backend("api", &[b]),
            backend("img", &[c]),
            backend("host", &[d]),
        ],
        ..Config::default()
    });
    assert!(curl(&[&url(&p, "/api/users")]).await.contains("server=b "));
    assert!(curl(&[&url(&p, "/logo.png")]).await.contains("server=c "));
    assert!(curl(&["-H", "Host: static.example", &url(&p, "/")])
        .await
        .contains("server=d "));
    assert!(curl(&["-X", "DELETE", &url(&p, "/x")])
        .await
        .contains("server=d "));
    assert!(curl(&[&url(&p, "/other")]).await.contains("server=a "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn src_acl_and_negation() {
    let (a, b) = (
        http_server("a", Behaviour::Echo).await,
        http_server("b", Behaviour::Echo).await,
    );
    let mut fe = frontend();
    let mut not_local = acl(Fetch::Src, &["127.0.0.0/8"]);
    not_local.negate = true;
    fe.use_backends = vec![UseBackend {
        backend: "other".into(),
        cond: not_local,
    }];
    let p = start(Config {
        frontends: vec![fe],
        backends: vec![backend("app", &[a]), backend("other", &[b])],
        ..Config::default()
    });
    assert!(curl(&[&url(&p, "/")]).await.contains("server=a "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_request_rules() {
    let s = http_server("a", Behaviour::Echo).await;
    let mut fe = frontend();
    fe.http_request = vec![
        HttpRequestRule {
            action: HttpRequestAction::Deny { status: 403 },
            cond: acl(Fetch::PathBeg, &["/admin"]),
        },
        HttpRequestRule {
            action: HttpRequestAction::Redirect(Redirect {
                kind: RedirectKind::Location,
                target: "/new".into(),
                code: 302,
            }),
            cond: acl(Fetch::Path, &["/old"]),
        },
        HttpRequestRule {
            action: HttpRequestAction::Redirect(Redirect {
                kind: RedirectKind::Prefix,
                target: "/p".into(),
                code: 301,
            }),
            cond: acl(Fetch::PathBeg, &["/pre"]),
        },
        HttpRequestRule {
            action: HttpRequestAction::Return {
                status: 201,
                content_type: Some("text/plain".into()),
                body: "hello".into(),
                headers: vec![("x-a".into(), "b".into())],
            },
            cond: acl(Fetch::Path, &["/ret"]),
        },
        HttpRequestRule {
            action: HttpRequestAction::SetHeader {
                name: "X-Set".into(),
                value: "v1".into(),
            },
            cond: Condition::always(),
        },
        HttpRequestRule {
            action: HttpRequestAction::DelHeader {
                name: "X-Secret".into(),
            },
            cond: Condition::always(),
        },
    ];
    let p = start(Config {
        frontends: vec![fe],
        backends: vec![backend("app", &[s])],
        ..Config::default()
    });
    // Byte for byte what HAProxy 2.6 sends for the same rules.
    let deny = raw(
        p.addr("fe"),
        b"GET /admin HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        T,
    )
    .await;
    assert_eq!(deny, "HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n");
    let red = raw(
        p.addr("fe"),
        b"GET /old HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        T,
    )
    .await;
    assert_eq!(red, "HTTP/1.1 302 Found\r\ncontent-length: 0\r\nlocation: /new\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n");
    let pre = raw(
        p.addr("fe"),
        b"GET /pre/x?q=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        T,
    )
    .await;
    assert_eq!(pre, "HTTP/1.1 301 Moved Permanently\r\ncontent-length: 0\r\nlocation: /p/pre/x?q=1\r\nconnection: close\r\n\r\n");
    let ret = raw(
        p.addr("fe"),
        b"GET /ret HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        T,
    )
    .await;
    assert_eq!(ret, "HTTP/1.1 201 Created\r\nx-a: b\r\ncontent-length: 5\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nhello");
    let out = curl(&["-H", "X-Secret: s", "-H", "X-Set: old", &url(&p, "/")]).await;
    assert!(
        out.contains("h:x-set=v1\n") && !out.contains("old"),
        "{out}"
    );
    assert!(!out.contains("x-secret"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_pages_503_502_504() {
    let silent = http_server("silent", Behaviour::Silent).await;
    let garbage = http_server("garbage", Behaviour::Garbage).await;
    let mut fe = frontend();
    fe.use_backends = vec![
        UseBackend {
            backend: "slow".into(),
            cond: acl(Fetch::Path, &["/slow"]),
        },
        UseBackend {
            backend: "bad".into(),
            cond: acl(Fetch::Path, &["/bad"]),
        },
    ];
    let mut dead = backend("app", &[dead_addr()]);
    dead.retries = 1;
    dead.timeouts.connect = Some(Duration::from_millis(100));
    let mut slow = backend("slow", &[silent]);
    slow.timeouts.server = Some(Duration::from_millis(300));
    let p = start(Config {
        frontends: vec![fe],
        backends: vec![dead, slow, backend("bad", &[garbage])],
        ..Config::default()
    });
    let req = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    let out = raw(p.addr("fe"), req("/").as_bytes(), T).await;
    assert_eq!(out, "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n");
    let t0 = Instant::now();
    let out = raw(p.addr("fe"), req("/slow").as_bytes(), T).await;
    assert!(
        out.starts_with("HTTP/1.1 504 Gateway Time-out\r\n"),
        "{out}"
    );
    assert!(out.ends_with("<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n"), "{out}");
    assert!(
        t0.elapsed() >= Duration::from_millis(280),
        "{:?}",
        t0.elapsed()
    );
    let out = raw(p.addr("fe"), req("/bad").as_bytes(), T).await;
    assert!(
        out.starts_with("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 107\r\n"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_timeout_gives_503() {
    let silent = http_server("silent", Behaviour::Silent).await;
    let mut be = backend("app", &[silent]);
    be.servers[0].maxconn = 1;
    be.timeouts.queue = Some(Duration::from_millis(200));
    be.timeouts.server = Some(Duration::from_secs(2));
    let p = start(Config {
        frontends: vec![frontend()],
        backends: vec![be],
        ..Config::default()
    });
    let addr = p.addr("fe");
    // The first request holds the only slot (its server never answers).
    let first =
        tokio::spawn(async move { raw(addr, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", T).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t0 = Instant::now();
    let out = raw(
        addr,
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
        T,
    )
    .await;
    assert!(
        out.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{out}"
    );
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(180) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    let first = first.await.unwrap_or_default();
    assert!(first.starts_with("HTTP/1.1 504"), "{first}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_http_request_answers_408() {
    let s = http_server("a", Behaviour::Echo).await;
    let mut fe = frontend();
    fe.timeouts.http_request = Some(Duration::from_millis(300));
    let p = start(Config {
        frontends: vec![fe],
        backends: vec![backend("app", &[s])],
        ..Config::default()
    });
    let want = "HTTP/1.1 408 Request Time-out\r\nContent-length: 110\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n";
    // Slowloris: half a request, then nothing.
    let t0 = Instant::now();
    let out = raw(p.addr("fe"), b"GET / HTTP/1.1\r\nHost", T).await;
    assert_eq!(out, want);
    assert!(
        t0.elapsed() >= Duration::from_millis(280),
        "{:?}",
        t0.elapsed()
    );
    // A connection that sends nothing at all gets the same, as HAProxy.
    assert_eq!(raw(p.addr("fe"), b"", T).await, want);
    // After a complete exchange an idle keep-alive connection is closed
    // silently (http-keep-alive falls back to http-request).
    let out = raw(p.addr("fe"), b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", T).await;
    assert!(
        out.starts_with("HTTP/1.1 200 OK\r\n") && !out.contains("408"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_responses_match_real_haproxy() {
    let Some(bin) = haproxy_binary() else { return };
    let silent = http_server("silent", Behaviour::Silent).await;
    let garbage = http_server("garbage", Behaviour::Garbage).await;
    let echo = http_server("echo", Behaviour::Echo).await;
    let dead = dead_addr();
    let port = free_port();
    let cfg = format!(
        "defaults\n  mode http\n  timeout connect 100ms\n  timeout client 5s\n  timeout server 300ms\n\
         frontend fe\n  bind 127.0.0.1:{port}\n  option forwardfor\n\
         \x20 http-request deny if {{ path_beg /admin }}\n\
         \x20 http-request redirect location /new if {{ path /old }}\n\
         \x20 http-request redirect prefix /p code 301 if {{ path_beg /pre }}\n\
         \x20 http-request return status 201 content-type text/plain string hello hdr x-a b if {{ path /ret }}\n\
         \x20 use_backend dead if {{ path /dead }}\n  use_backend slow if {{ path /slow }}\n  use_backend bad if {{ path /bad }}\n\
         \x20 default_backend app\n\
         backend app\n  server s1 {echo}\n\
         backend dead\n  retries 1\n  server s1 {dead}\n\
         backend slow\n  server s1 {silent}\n\
         backend bad\n  server s1 {garbage}\n"
    );
    let _h = start_haproxy(bin, &cfg, port).await;
    let path = |p: &str| acl(Fetch::PathBeg, &[p]);
    let exact = |p: &str| acl(Fetch::Path, &[p]);
    let mut fe = frontend();
    fe.forwardfor = true;
    fe.http_request = vec![
        HttpRequestRule {
            action: HttpRequestAction::Deny { status: 403 },
            cond: path("/admin"),
        },
        HttpRequestRule {
            action: HttpRequestAction::Redirect(Redirect {
                kind: RedirectKind::Location,
                target: "/new".into(),
                code: 302,
            }),
            cond: exact("/old"),
        },
        HttpRequestRule {
            action: HttpRequestAction::Redirect(Redirect {
                kind: RedirectKind::Prefix,
                target: "/p".into(),
                code: 301,
            }),
            cond: path("/pre"),
        },
        HttpRequestRule {
            action: HttpRequestAction::Return {
                status: 201,
                content_type: Some("text/plain".into()),
                body: "hello".into(),
                headers: vec![("x-a".into(), "b".into())],
            },
            cond: exact("/ret"),
        },
    ];
    fe.use_backends = vec![
        UseBackend {
            backend: "dead".into(),
            cond: exact("/dead"),
        },
        UseBackend {
            backend: "slow".into(),
            cond: exact("/slow"),
        },
        UseBackend {
            backend: "bad".into(),
            cond: exact("/bad"),
        },
    ];
    let with_timeouts = |mut b: Backend| {
        b.timeouts.connect = Some(Duration::from_millis(100));
        b.timeouts.server = Some(Duration::from_millis(300));
        b
    };
    let mut dead_be = with_timeouts(backend("dead", &[dead]));
    dead_be.retries = 1;
    let p = start(Config {
        frontends: vec![fe],
        backends: vec![
            with_timeouts(backend("app", &[echo])),
            dead_be,
            with_timeouts(backend("slow", &[silent])),
            with_timeouts(backend("bad", &[garbage])),
        ],
        ..Config::default()
    });
    let theirs: SocketAddr = ([127, 0, 0, 1], port).into();
    for path in [
        "/admin",
        "/old",
        "/pre/x?q=1",
        "/ret",
        "/dead",
        "/slow",
        "/bad",
    ] {
        for close in [true, false] {
            let conn = if close { "Connection: close\r\n" } else { "" };
            let req = format!("GET {path} HTTP/1.1\r\nHost: a\r\n{conn}\r\n");
            let limit = Duration::from_millis(if close { 1500 } else { 600 });
            let (a, b) = tokio::join!(
                raw(p.addr("fe"), req.as_bytes(), limit),
                raw(theirs, req.as_bytes(), limit)
            );
            assert_eq!(a, b, "{path} (close: {close})");
        }
    }
    // Forwarded: the same headers reach the server (x-forwarded-for added).
    let req = b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    let (a, b) = tokio::join!(raw(p.addr("fe"), req, T), raw(theirs, req, T));
    let headers = |s: &str| {
        s.lines()
            .filter(|l| l.starts_with("h:"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(headers(&a), headers(&b), "{a}\n---\n{b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalls_in_bodies_end_with_timeout_server_as_in_haproxy() {
    let silent = http_server("silent", Behaviour::Silent).await;
    let stall = http_server("stall", Behaviour::StallBody).await;
    let timeouts = |mut b: Backend| {
        b.timeouts.connect = Some(Duration::from_secs(1));
        b.timeouts.server = Some(Duration::from_millis(400));
        b
    };
    let mut fe = frontend();
    fe.timeouts.client = Some(Duration::from_secs(5));
    fe.use_backends = vec![UseBackend {
        backend: "stall".into(),
        cond: acl(Fetch::Path, &["/stall"]),
    }];
    let p = start(Config {
        frontends: vec![fe],
        backends: vec![
            timeouts(backend("app", &[silent])),
            timeouts(backend("stall", &[stall])),
        ],
        ..Config::default()
    });
    // A client stalling in its body: the request waits for the server,
    // and `timeout server` answers 504.
    let slow_body = b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc";
    let t0 = Instant::now();
    let ours = raw(p.addr("fe"), slow_body, T).await;
    let took = t0.elapsed();
    assert!(
        ours.starts_with("HTTP/1.1 504 Gateway Time-out\r\n"),
        "{ours}"
    );
    assert!(
        took >= Duration::from_millis(380) && took < Duration::from_millis(2000),
        "{took:?}"
    );
    // A server stalling in its body: the client gets what came, then the
    // connection closes after `timeout server`.
    let t0 = Instant::now();
    let cut = raw(p.addr("fe"), b"GET /stall HTTP/1.1\r\nHost: a\r\n\r\n", T).await;
    let took = t0.elapsed();
    assert!(
        cut.starts_with("HTTP/1.1 200 OK\r\n") && cut.ends_with("\r\n\r\nabc"),
        "{cut}"
    );
    assert!(
        took >= Duration::from_millis(380) && took < Duration::from_millis(2000),
        "{took:?}"
    );
    if let Some(bin) = haproxy_binary() {
        let port = free_port();
        let cfg = format!(
            "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 400ms\n\
             frontend fe\n  bind 127.0.0.1:{port}\n  use_backend stall if {{ path /stall }}\n  default_backend app\n\
             backend app\n  server s1 {silent}\nbackend stall\n  server s1 {stall}\n"
        );
        let _h = start_haproxy(bin, &cfg, port).await;
        let theirs: SocketAddr = ([127, 0, 0, 1], port).into();
        assert_eq!(raw(theirs, slow_body, T).await, ours);
        let their_cut = raw(theirs, b"GET /stall HTTP/1.1\r\nHost: a\r\n\r\n", T).await;
        assert!(their_cut.ends_with("\r\n\r\nabc"), "{their_cut}");
    }
}
