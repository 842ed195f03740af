//! Every checker against real servers on loopback, and its failure modes.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use hyper::{Method, Version};
use lbkit_healthcheck::checkers::agent::AgentCheck;
use lbkit_healthcheck::checkers::dns::{DnsCheck, QueryType};
use lbkit_healthcheck::checkers::file::FileCheck;
use lbkit_healthcheck::checkers::http::{parse_md5, Expect, HttpCheck};
use lbkit_healthcheck::checkers::misc::MiscCheck;
use lbkit_healthcheck::checkers::ping::PingCheck;
use lbkit_healthcheck::checkers::smtp::SmtpCheck;
use lbkit_healthcheck::checkers::tcp::TcpCheck;
use lbkit_healthcheck::checkers::tls::TlsOptions;
use lbkit_healthcheck::checkers::udp::UdpCheck;
use lbkit_healthcheck::haproxy::AgentAdmin;
use lbkit_healthcheck::Status;

const T: Duration = Duration::from_millis(500);

// ---- TCP ----

#[tokio::test]
async fn tcp_connect_passes() {
    let (_l, addr) = listener().await;
    let r = TcpCheck::new(addr, T).run().await;
    assert_eq!(r.status, Status::L4Ok, "{r}");
}

#[tokio::test]
async fn tcp_ipv6_loopback() {
    let l = tokio::net::TcpListener::bind("[::1]:0").await.unwrap();
    let r = TcpCheck::new(l.local_addr().unwrap(), T).run().await;
    assert_eq!(r.status, Status::L4Ok, "{r}");
}

#[tokio::test]
async fn tcp_refused_reads_like_haproxy() {
    let r = TcpCheck::new(closed_port(), T).run().await;
    assert_eq!(r.status, Status::L4Con);
    assert!(
        r.to_string().starts_with(
            "Layer4 connection problem, info: \"Connection refused\", check duration: "
        ),
        "{r}"
    );
}

/// `bindto`: the server sees the connection come from 127.0.0.2.
#[tokio::test]
async fn tcp_bindto_sets_source() {
    let (l, addr) = listener().await;
    let peer = tokio::spawn(async move { l.accept().await.map(|(_, p)| p.ip()) });
    let mut c = TcpCheck::new(addr, T);
    c.bind = Some("127.0.0.2:0".parse().unwrap());
    assert_eq!(c.run().await.status, Status::L4Ok);
    assert_eq!(
        peer.await.unwrap().unwrap(),
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))
    );
}

/// A listener whose accept queue is full drops SYNs: the connect times out.
#[tokio::test]
async fn tcp_timeout_when_syns_dropped() {
    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    sock.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    sock.listen(0).unwrap();
    let addr = sock.local_addr().unwrap().as_socket().unwrap();
    let mut fill = Vec::new();
    for _ in 0..4 {
        if let Ok(Ok(s)) = tokio::time::timeout(
            Duration::from_millis(100),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            fill.push(s);
        }
    }
    let r = TcpCheck::new(addr, Duration::from_millis(300)).run().await;
    assert_eq!(r.status, Status::L4Timeout, "{r}");
    assert!(r.duration >= Duration::from_millis(300));
}

// ---- HTTP ----

fn http(addr: SocketAddr, uri: &str, expect: Expect) -> HttpCheck {
    let mut c = HttpCheck::new(addr, T);
    c.uri = uri.into();
    c.expect = expect;
    c
}

#[tokio::test]
async fn http_status_checks() {
    let addr = http_server(None).await;
    let ok = http(addr, "/", Expect::Default).run().await;
    assert_eq!((ok.status, ok.code), (Status::L7Ok, Some(200)), "{ok}");
    let bad = http(addr, "/503", Expect::Default).run().await;
    assert_eq!(bad.status, Status::L7Sts);
    assert!(
        bad.to_string()
            .starts_with("Layer7 wrong status, code: 503, info: \"Service Unavailable\""),
        "{bad}"
    );
    let listed = http(addr, "/503", Expect::Status(vec![500..=503]))
        .run()
        .await;
    assert_eq!(listed.status, Status::L7Ok);
    let missing = http(addr, "/nothing", Expect::Status(vec![200..=299]))
        .run()
        .await;
    assert_eq!(missing.code, Some(404));
}

#[tokio::test]
async fn http_expect_string_and_rstring() {
    let addr = http_server(None).await;
    assert_eq!(
        http(addr, "/", Expect::String("lo wo".into()))
            .run()
            .await
            .status,
        Status::L7Ok
    );
    let miss = http(addr, "/", Expect::String("bye".into())).run().await;
    assert_eq!(miss.status, Status::L7Rsp);
    assert_eq!(
        miss.info.as_deref(),
        Some("HTTP content check did not match")
    );
    let re = regex::bytes::Regex::new(r"^hel+o\s+w").unwrap();
    assert_eq!(
        http(addr, "/", Expect::Rstring(re)).run().await.status,
        Status::L7Ok
    );
    let re = regex::bytes::Regex::new(r"^world").unwrap();
    assert_eq!(
        http(addr, "/", Expect::Rstring(re)).run().await.status,
        Status::L7Rsp
    );
}

/// `option httpchk OPTIONS /echo HTTP/1.1` with a header.
#[tokio::test]
async fn http_method_version_headers() {
    let addr = http_server(None).await;
    let mut c = http(
        addr,
        "/echo",
        Expect::String("OPTIONS HTTP/1.1 x-check=yes".into()),
    );
    c.method = Method::OPTIONS;
    c.version = Version::HTTP_11;
    c.headers = vec![("X-Check".into(), "yes".into())];
    let r = c.run().await;
    assert_eq!(r.status, Status::L7Ok, "{r}");
    let mut c = http(
        addr,
        "/echo",
        Expect::String("GET HTTP/1.0 x-check=".into()),
    );
    c.version = Version::HTTP_10;
    assert_eq!(c.run().await.status, Status::L7Ok);
}

/// MD5("hello world") = 5eb63bbbe01eeed093cb22bb8f5acdc3 (well-known value).
#[tokio::test]
async fn http_digest() {
    let addr = http_server(None).await;
    let md5 = parse_md5("5eb63bbbe01eeed093cb22bb8f5acdc3").unwrap();
    let r = http(
        addr,
        "/",
        Expect::Digest {
            md5,
            status: vec![],
        },
    )
    .run()
    .await;
    assert_eq!(r.status, Status::L7Ok, "{r}");
    let other = parse_md5("00000000000000000000000000000000").unwrap();
    let r = http(
        addr,
        "/",
        Expect::Digest {
            md5: other,
            status: vec![],
        },
    )
    .run()
    .await;
    assert_eq!(r.status, Status::L7Rsp);
    assert_eq!(
        r.info.as_deref(),
        Some("MD5 digest mismatch: got 5eb63bbbe01eeed093cb22bb8f5acdc3")
    );
    // keepalived's default status range is 200-299: a 503 fails first.
    let r = http(
        addr,
        "/503",
        Expect::Digest {
            md5,
            status: vec![],
        },
    )
    .run()
    .await;
    assert_eq!(r.status, Status::L7Sts);
}

/// A 1 GB body: a string check reads 16 KiB and stops; a digest streams
/// until the timeout. Neither holds the body.
#[tokio::test]
async fn http_gigabyte_body() {
    let addr = http_server(None).await;
    let start = Instant::now();
    let r = http(addr, "/big", Expect::String("nope".into()))
        .run()
        .await;
    assert_eq!(r.status, Status::L7Rsp, "{r}");
    assert!(start.elapsed() < Duration::from_millis(400));
    let mut c = http(
        addr,
        "/big",
        Expect::Digest {
            md5: [0; 16],
            status: vec![],
        },
    );
    c.timeout = Duration::from_millis(300);
    let r = c.run().await;
    assert_eq!(r.status, Status::L7Timeout, "{r}");
}

#[tokio::test]
async fn http_bad_servers() {
    let silent = http(silent_server().await, "/", Expect::Default)
        .run()
        .await;
    assert_eq!(silent.status, Status::L7Timeout, "{silent}");
    let slow = http(http_server(None).await, "/slow", Expect::Default)
        .run()
        .await;
    assert_eq!(slow.status, Status::L7Timeout, "{slow}");
    let garbage = http(
        canned_server(b"garbage\r\n\r\n").await,
        "/",
        Expect::Default,
    )
    .run()
    .await;
    assert_eq!(garbage.status, Status::L7Rsp, "{garbage}");
    let reset = http(reset_server().await, "/", Expect::Default).run().await;
    assert_eq!(reset.status, Status::L7Rsp, "{reset}");
    let refused = http(closed_port(), "/", Expect::Default).run().await;
    assert_eq!(refused.status, Status::L4Con, "{refused}");
}

/// A header that never ends: hyper's bounded read buffer gives up long
/// before the timeout, so memory stays bounded.
#[tokio::test]
async fn http_endless_header() {
    static HEAD: [u8; 1 << 20] = {
        let mut b = [b'a'; 1 << 20];
        let start = b"HTTP/1.1 200 OK\r\nX-Long: ";
        let mut i = 0;
        while i < start.len() {
            b[i] = start[i];
            i += 1;
        }
        b
    };
    let start = Instant::now();
    let r = http(canned_server(&HEAD).await, "/", Expect::Default)
        .run()
        .await;
    assert_eq!(r.status, Status::L7Rsp, "{r}");
    assert_eq!(r.info.as_deref(), Some("message head is too large"));
    assert!(start.elapsed() < T, "{:?}", start.elapsed());
}

// ---- HTTPS ----

#[tokio::test]
async fn https_verification_and_sni() {
    let (cert, cfg) = tls_config();
    let addr = http_server(Some(cfg)).await;
    let run = |tls: TlsOptions| {
        let mut c = http(addr, "/", Expect::String(PAGE.into()));
        c.tls = Some(tls);
        async move { c.run().await }
    };
    let good =
        run(TlsOptions::verified(std::slice::from_ref(&cert), Some("localhost")).unwrap()).await;
    assert_eq!(good.status, Status::L7Ok, "{good}");
    let wrong_name =
        run(TlsOptions::verified(std::slice::from_ref(&cert), Some("other.test")).unwrap()).await;
    assert_eq!(wrong_name.status, Status::L6Rsp, "{wrong_name}");
    assert!(
        wrong_name
            .info
            .as_deref()
            .unwrap_or("")
            .contains("certificate"),
        "{wrong_name}"
    );
    let by_ip = run(TlsOptions::verified(&[cert], None).unwrap()).await;
    assert_eq!(by_ip.status, Status::L6Rsp, "{by_ip}");
    let untrusted = run(TlsOptions::verified(&[], Some("localhost")).unwrap()).await;
    assert_eq!(untrusted.status, Status::L6Rsp, "{untrusted}");
    let unverified = run(TlsOptions::unverified(None).unwrap()).await;
    assert_eq!(unverified.status, Status::L7Ok, "{unverified}");
}

#[tokio::test]
async fn https_stalled_and_garbage_handshakes() {
    let mut c = http(silent_server().await, "/", Expect::Default);
    c.tls = Some(TlsOptions::unverified(Some("localhost")).unwrap());
    let r = c.run().await;
    assert_eq!(r.status, Status::L6Timeout, "{r}");
    c.addr = canned_server(b"HTTP/1.0 400 Bad\r\n\r\n").await;
    let r = c.run().await;
    assert_eq!(r.status, Status::L6Rsp, "{r}");
}

// ---- SMTP ----

#[tokio::test]
async fn smtp_against_aiosmtpd() {
    if !have_tool("/usr/bin/aiosmtpd") {
        return;
    }
    let port = free_port();
    let child = Command::new("/usr/bin/aiosmtpd")
        .args(["-n", "-l", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = Child(child);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    wait_tcp(addr).await;
    let r = SmtpCheck::new(addr, "lbkit.test", Duration::from_secs(2))
        .run()
        .await;
    assert_eq!((r.status, r.code), (Status::L7Ok, Some(250)), "{r}");
}

#[tokio::test]
async fn smtp_failures() {
    let c = |addr| SmtpCheck::new(addr, "lbkit.test", T);
    let busy = c(canned_server(b"554 go away\r\n").await).run().await;
    assert_eq!(
        (busy.status, busy.code),
        (Status::L7Sts, Some(554)),
        "{busy}"
    );
    let http = c(canned_server(b"HTTP/1.0 200 OK\r\n").await).run().await;
    assert_eq!(http.status, Status::L7Rsp, "{http}");
    let silent = c(silent_server().await).run().await;
    assert_eq!(silent.status, Status::L7Timeout, "{silent}");
    let multi = c(canned_server(b"220-first\r\n220-second\r\n").await)
        .run()
        .await;
    assert_eq!(
        multi.status,
        Status::L7Timeout,
        "continuation lines only: {multi}"
    );
    let long = c(canned_server(&[b'2'; 4096]).await).run().await;
    assert_eq!(long.status, Status::L7Rsp, "{long}");
}

// ---- MISC ----

/// A scratch directory of test scripts, removed on drop (also when the
/// test fails).
struct Scripts(std::path::PathBuf);

impl Scripts {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("lbkit-hc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scripts(dir)
    }

    /// Writes an executable `sh` script; its path.
    fn script(&self, name: &str, body: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        Command::new("chmod").arg("+x").arg(&p).status().unwrap();
        p.to_string_lossy().into_owned()
    }
}

impl Drop for Scripts {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn misc_exit_codes_and_timeout() {
    let scripts = Scripts::new();
    let script = |name: &str, body: &str| scripts.script(name, body);
    let ok = MiscCheck::new(&script("ok.sh", "exit 0"), T).run().await;
    assert_eq!(ok.result.status, Status::ProcOk);
    let bad = MiscCheck::new(&script("bad.sh", "exit 1"), T).run().await;
    assert_eq!(
        (bad.result.status, bad.result.code),
        (Status::ProcErr, Some(1))
    );
    let mut dynamic = MiscCheck::new(&script("dyn.sh", "exit 7"), T);
    dynamic.dynamic = true;
    let d = dynamic.run().await;
    assert_eq!((d.result.status, d.weight), (Status::ProcOk, Some(5)));
    let mut dyn_down = MiscCheck::new(&script("dyn1.sh", "exit 1"), T);
    dyn_down.dynamic = true;
    assert_eq!(dyn_down.run().await.result.status, Status::ProcErr);
    let args = MiscCheck::new(&format!("{} 3", script("args.sh", "exit $1")), T)
        .run()
        .await;
    assert_eq!(args.result.code, Some(3));
    let start = Instant::now();
    let slow = MiscCheck::new(
        &script("slow.sh", "exec sleep 10"),
        Duration::from_millis(200),
    )
    .run()
    .await;
    assert_eq!(slow.result.status, Status::ProcTimeout);
    assert!(start.elapsed() < Duration::from_secs(2));
    let missing = MiscCheck::new("/nonexistent/check", T).run().await;
    assert_eq!(missing.result.status, Status::ProcErr);
}

// ---- DNS ----

#[tokio::test]
async fn dns_against_dnsmasq() {
    if !have_tool("/usr/sbin/dnsmasq") {
        return;
    }
    let port = free_port();
    let child = Command::new("/usr/sbin/dnsmasq")
        .args([
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            &format!("--port={port}"),
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--no-resolv",
            "--no-hosts",
            "--pid-file",
            "--local=/test/",
            "--address=/example.test/192.0.2.10",
            "--address=/v6.test/2001:db8::1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = Child(child);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let check = |qtype, name: &str, expect: Option<&str>| DnsCheck {
        addr,
        qtype,
        name: name.into(),
        expect: expect.map(str::to_owned),
        timeout: Duration::from_millis(300),
    };
    let mut r = check(QueryType::A, "example.test", Some("192.0.2.10"))
        .run()
        .await;
    for _ in 0..20 {
        if r.status == Status::L7Ok {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        r = check(QueryType::A, "example.test", Some("192.0.2.10"))
            .run()
            .await;
    }
    assert_eq!(r.status, Status::L7Ok, "{r}");
    let v6 = check(QueryType::Aaaa, "v6.test", Some("2001:db8::1"))
        .run()
        .await;
    assert_eq!(v6.status, Status::L7Ok, "{v6}");
    let wrong = check(QueryType::A, "example.test", Some("192.0.2.11"))
        .run()
        .await;
    assert_eq!(wrong.status, Status::L7Rsp, "{wrong}");
    let nx = check(QueryType::A, "nope.test", None).run().await;
    assert_eq!((nx.status, nx.code), (Status::L7Sts, Some(3)), "{nx}");
}

#[tokio::test]
async fn dns_bad_servers() {
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    let c = DnsCheck {
        addr,
        qtype: QueryType::A,
        name: "example.test".into(),
        expect: None,
        timeout: Duration::from_millis(200),
    };
    assert_eq!(c.run().await.status, Status::L7Timeout);
    tokio::spawn(async move {
        let mut buf = [0u8; 512];
        while let Ok((_, from)) = silent.recv_from(&mut buf).await {
            // Same id, QR set, then a truncated header.
            let _ = silent.send_to(&[buf[0], buf[1], 0x80, 0, 0], from).await;
        }
    });
    let r = c.run().await;
    assert_eq!(r.status, Status::L7Rsp, "{r}");
    let mut refused = c.clone();
    refused.addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    assert_eq!(refused.run().await.status, Status::L4Con);
}

// ---- UDP ----

#[tokio::test]
async fn udp_reply_and_unreachable() {
    let echo = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = echo.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = echo.recv_from(&mut buf).await {
            let _ = echo.send_to(&buf[..n], from).await;
        }
    });
    let c = |addr, expect: Option<&[u8]>| UdpCheck {
        addr,
        bind: None,
        payload: b"ping".to_vec(),
        expect: expect.map(<[u8]>::to_vec),
        timeout: Duration::from_millis(200),
    };
    assert_eq!(c(addr, Some(b"pi")).run().await.status, Status::L7Ok);
    assert_eq!(c(addr, Some(b"zz")).run().await.status, Status::L7Rsp);
    let closed = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let r = c(closed, None).run().await;
    assert_eq!(r.status, Status::L4Con);
    assert_eq!(r.info.as_deref(), Some("Connection refused"));
    let quiet = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let r = c(quiet.local_addr().unwrap(), None).run().await;
    assert_eq!(
        r.status,
        Status::L4Ok,
        "silence without ICMP error passes: {r}"
    );
    assert_eq!(
        c(quiet.local_addr().unwrap(), Some(b"x"))
            .run()
            .await
            .status,
        Status::L7Timeout
    );
}

// ---- PING ----

#[tokio::test]
async fn ping_loopback_v4_v6() {
    let v4 = PingCheck::new(IpAddr::V4(Ipv4Addr::LOCALHOST), T)
        .run()
        .await;
    let v6 = PingCheck::new(IpAddr::V6(Ipv6Addr::LOCALHOST), T)
        .run()
        .await;
    if v4.status == Status::SockErr && std::env::var("CI").as_deref() != Ok("true") {
        eprintln!("skipping: no ping or raw socket allowed: {v4}");
        return;
    }
    assert_eq!(v4.status, Status::L4Ok, "{v4}");
    assert_eq!(v6.status, Status::L4Ok, "{v6}");
}

// ---- FILE ----

#[tokio::test]
async fn file_check_weights() {
    let dir = std::env::temp_dir().join(format!("lbkit-hc-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("w");
    std::fs::write(&p, "3\n").unwrap();
    let mut c = FileCheck {
        path: p.clone(),
        weight: 2,
        reverse: false,
        base_weight: 10,
    };
    assert_eq!(c.run().await.weight, Some(16));
    c.weight = 0;
    assert!(!c.run().await.result.passed());
    std::fs::write(&p, "0").unwrap();
    assert!(c.run().await.result.passed());
    std::fs::write(&p, "garbage").unwrap();
    assert!(
        c.run().await.result.passed(),
        "unreadable value counts as 0"
    );
    c.path = dir.join("missing");
    assert!(c.run().await.result.passed());
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- AGENT ----

#[tokio::test]
async fn agent_replies() {
    let c = |addr| AgentCheck {
        addr,
        send: Some("hello\n".into()),
        timeout: T,
    };
    let ok = c(canned_server(b"75% drain #busy\n").await).run().await;
    assert_eq!(ok.result.status, Status::L7Ok, "{}", ok.result);
    let reply = ok.reply.unwrap();
    assert_eq!(
        (reply.weight_percent, reply.admin),
        (Some(75), Some(AgentAdmin::Drain))
    );
    let garbage = c(canned_server(b"what?\n").await).run().await;
    assert_eq!(garbage.result.status, Status::L7Rsp);
    let silent = c(silent_server().await).run().await;
    assert_eq!(silent.result.status, Status::L7Timeout);
    let refused = c(closed_port()).run().await;
    assert_eq!(refused.result.status, Status::L4Con);
    let endless = c(canned_server(&[b'u'; 8192]).await).run().await;
    assert_eq!(endless.result.status, Status::L7Rsp, "{}", endless.result);
}
