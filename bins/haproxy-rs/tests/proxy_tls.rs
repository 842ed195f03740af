//! TLS with real clients: termination from `cat crt key` PEM files and a
//! directory of them with SNI selection, ALPN with HTTP/2 (curl), `ssl_fc`,
//! server-side `ssl verify none|required ca-file`, garbage and stalled
//! handshakes.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod support;

use haproxy_rs::proxy::config::*;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::*;

const T: Duration = Duration::from_secs(3);

struct Pki {
    dir: TempDir,
    ca: rcgen::Certificate,
    ca_key: KeyPair,
}

impl Pki {
    fn new() -> Pki {
        let ca_key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "lbkit test CA");
        let ca = params.self_signed(&ca_key).expect("ca");
        let dir = TempDir::new("tls");
        std::fs::write(dir.0.join("ca.pem"), ca.pem()).expect("write");
        Pki { dir, ca, ca_key }
    }

    fn ca_file(&self) -> PathBuf {
        self.dir.0.join("ca.pem")
    }

    /// Issues a certificate for `names` and writes `crt + CA + key` into
    /// `sub/file` (as `cat site.crt ca.crt site.key > site.pem`).
    fn issue(&self, names: &[&str], sub: &str, file: &str) -> (PathBuf, String, String) {
        let key = KeyPair::generate().expect("key");
        let params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .expect("params");
        let cert = params
            .signed_by(&key, &self.ca, &self.ca_key)
            .expect("sign");
        let dir = self.dir.0.join(sub);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join(file);
        std::fs::write(
            &path,
            format!("{}{}{}", cert.pem(), self.ca.pem(), key.serialize_pem()),
        )
        .expect("write");
        (path, cert.pem(), key.serialize_pem())
    }
}

fn tls_frontend(crt: &Path, alpn: &[&str]) -> Frontend {
    Frontend {
        name: "fe".into(),
        mode: Mode::Http,
        binds: vec![Bind {
            addr: "127.0.0.1:0".parse().expect("addr"),
            tls: Some(BindTls {
                crt: vec![crt.to_path_buf()],
                alpn: alpn.iter().map(|a| a.to_string()).collect(),
            }),
        }],
        default_backend: Some("app".into()),
        timeouts: FrontendTimeouts {
            client: Some(Duration::from_millis(500)),
            ..FrontendTimeouts::default()
        },
        ..Frontend::default()
    }
}

fn backend(name: &str, server: SocketAddr) -> Backend {
    let mut b = Backend::new(name, Mode::Http);
    b.servers.push(Server::new("s1", 1, server));
    b.timeouts.connect = Some(Duration::from_millis(500));
    b
}

async fn https(p: &Running, host: &str, ca: &Path, extra: &[&str]) -> String {
    let port = p.addr("fe").port();
    let resolve = format!("{host}:{port}:127.0.0.1");
    let url = format!("https://{host}:{port}/path");
    let ca = ca.display().to_string();
    let mut args = vec![
        "--cacert",
        &ca,
        "--resolve",
        &resolve,
        "-w",
        "\nversion=%{http_version}\n",
    ];
    args.extend_from_slice(extra);
    args.push(&url);
    curl(&args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sni_selects_the_certificate_and_alpn_brings_http2() {
    let pki = Pki::new();
    pki.issue(&["a.example"], "certs", "1-a.pem");
    pki.issue(&["b.example", "*.b.example"], "certs", "2-b.pem");
    let server = http_server("plain", Behaviour::Echo).await;
    let p = start(Config {
        frontends: vec![tls_frontend(&pki.dir.0.join("certs"), &["h2", "http/1.1"])],
        backends: vec![backend("app", server)],
        ..Config::default()
    });
    // curl checks the name in the certificate: each succeeds only if SNI
    // chose the right one.
    let a = https(&p, "a.example", &pki.ca_file(), &[]).await;
    assert!(
        a.contains("server=plain") && a.contains("version=2\n"),
        "{a}"
    );
    assert!(
        a.contains(&format!("h:host=a.example:{}\n", p.addr("fe").port())),
        "{a}"
    );
    assert!(a.contains("uri=/path\n"), "{a}");
    let b = https(&p, "www.b.example", &pki.ca_file(), &[]).await;
    assert!(
        b.contains("server=plain") && b.contains("version=2\n"),
        "{b}"
    );
    let one = https(&p, "a.example", &pki.ca_file(), &["--http1.1"]).await;
    assert!(one.contains("version=1.1\n"), "{one}");
    // An unknown name gets the default (first) certificate: curl refuses it.
    let c = https(&p, "c.example", &pki.ca_file(), &[]).await;
    assert!(!c.contains("server=plain"), "{c}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_pem_file_and_http1_only_alpn() {
    let pki = Pki::new();
    let (pem, _, _) = pki.issue(&["a.example"], "one", "site.pem");
    let server = http_server("plain", Behaviour::Echo).await;
    let mut fe = tls_frontend(&pem, &["http/1.1"]);
    // ssl_fc routes TLS traffic.
    fe.use_backends = vec![UseBackend {
        backend: "secure".into(),
        cond: Condition::when(Term {
            negate: false,
            acl: Acl {
                name: "tls".into(),
                any: vec![AclMatch {
                    fetch: Fetch::SslFc,
                    ignore_case: false,
                    patterns: vec![],
                }],
            },
        }),
    }];
    let secure = http_server("secure", Behaviour::Echo).await;
    let p = start(Config {
        frontends: vec![fe],
        backends: vec![backend("app", server), backend("secure", secure)],
        ..Config::default()
    });
    let out = https(&p, "a.example", &pki.ca_file(), &["--http2"]).await;
    assert!(
        out.contains("server=secure") && out.contains("version=1.1\n"),
        "{out}"
    );
}

/// An HTTPS test server (hyper over rustls) with a certificate for 127.0.0.1.
async fn tls_server(cert_pem: &str, key_pem: &str) -> SocketAddr {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .expect("certs");
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let plain = http_server("tls-backend", Behaviour::Echo).await;
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // Terminate TLS and relay to the plain echo server.
                if let Ok(mut tls) = acceptor.accept(s).await {
                    if let Ok(mut up) = tokio::net::TcpStream::connect(plain).await {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_tls_verify_required_and_none() {
    let pki = Pki::new();
    let (_, cert, key) = pki.issue(&["127.0.0.1"], "srv", "srv.pem");
    let srv = tls_server(&cert, &key).await;
    let other = Pki::new();
    let mut required = backend("app", srv);
    required.servers[0].tls = Some(ServerTls {
        verify: true,
        ca_file: Some(pki.ca_file()),
        sni: None,
    });
    let mut none = backend("none", srv);
    none.servers[0].tls = Some(ServerTls {
        verify: false,
        ca_file: None,
        sni: None,
    });
    let mut wrong = backend("wrong", srv);
    wrong.servers[0].tls = Some(ServerTls {
        verify: true,
        ca_file: Some(other.ca_file()),
        sni: None,
    });
    wrong.retries = 0;
    let path = |p: &str| {
        Condition::when(Term {
            negate: false,
            acl: Acl {
                name: String::new(),
                any: vec![AclMatch {
                    fetch: Fetch::PathBeg,
                    ignore_case: false,
                    patterns: vec![p.to_string()],
                }],
            },
        })
    };
    let fe = Frontend {
        name: "fe".into(),
        mode: Mode::Http,
        binds: vec![Bind::plain("127.0.0.1:0".parse().expect("addr"))],
        default_backend: Some("app".into()),
        use_backends: vec![
            UseBackend {
                backend: "none".into(),
                cond: path("/none"),
            },
            UseBackend {
                backend: "wrong".into(),
                cond: path("/wrong"),
            },
        ],
        ..Frontend::default()
    };
    let p = start(Config {
        frontends: vec![fe],
        backends: vec![required, none, wrong],
        ..Config::default()
    });
    let base = format!("http://{}", p.addr("fe"));
    let out = curl(&["-i", &format!("{base}/required")]).await;
    assert!(out.contains("server=tls-backend"), "{out}");
    let out = curl(&["-i", &format!("{base}/none")]).await;
    assert!(out.contains("server=tls-backend"), "{out}");
    let out = curl(&["-i", &format!("{base}/wrong")]).await;
    assert!(out.starts_with("HTTP/1.1 503 Service Unavailable"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_garbage_and_stalled_handshakes_are_dropped() {
    let pki = Pki::new();
    let (pem, _, _) = pki.issue(&["a.example"], "one", "site.pem");
    let server = http_server("plain", Behaviour::Echo).await;
    let p = start(Config {
        frontends: vec![tls_frontend(&pem, &["h2", "http/1.1"])],
        backends: vec![backend("app", server)],
        ..Config::default()
    });
    let got = raw(p.addr("fe"), b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", T).await;
    assert!(!got.contains("server=plain"), "{got}");
    let t0 = Instant::now();
    let got = raw(p.addr("fe"), b"", T).await;
    assert!(got.is_empty());
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_millis(2500),
        "{took:?}"
    );
    let ok = https(&p, "a.example", &pki.ca_file(), &[]).await;
    assert!(ok.contains("server=plain"), "{ok}");
}

/// A TLS client connection to the proxy offering only `h2`.
async fn h2_tls(p: &Running, ca: &Path) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_file_iter(ca).expect("ca") {
        roots.add(c.expect("cert")).expect("root");
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = tokio::net::TcpStream::connect(p.addr("fe"))
        .await
        .expect("connect");
    let name = rustls::pki_types::ServerName::try_from("a.example").expect("name");
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .expect("handshake")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_rapid_reset_and_continuation_flood_are_bounded() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let pki = Pki::new();
    let (pem, _, _) = pki.issue(&["a.example"], "one", "site.pem");
    let server = http_server("plain", Behaviour::Echo).await;
    let mut fe = tls_frontend(&pem, &["h2", "http/1.1"]);
    fe.timeouts.client = Some(Duration::from_secs(5));
    let p = start(Config {
        frontends: vec![fe],
        backends: vec![backend("app", server)],
        ..Config::default()
    });

    // Rapid reset: requests opened and cancelled at once, by the thousand.
    let io = hyper_util::rt::TokioIo::new(h2_tls(&p, &pki.ca_file()).await);
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
            .await
            .expect("h2");
    let driver = tokio::spawn(conn);
    let before = rss_kib();
    let mut refused = false;
    for _ in 0..5000 {
        let req = hyper::Request::get("https://a.example/")
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .expect("req");
        if sender.ready().await.is_err() {
            refused = true;
            break;
        }
        let fut = sender.send_request(req);
        drop(fut); // RST_STREAM right after HEADERS
    }
    // The server either absorbed the flood or closed the connection
    // (GOAWAY); either way memory stayed bounded and others are served.
    let grown = rss_kib().saturating_sub(before);
    assert!(grown < 64 * 1024, "grew {grown} KiB");
    drop(sender);
    let _ = tokio::time::timeout(T, driver).await;
    eprintln!("rapid reset: connection refused further streams: {refused}; RSS growth {grown} KiB");

    // CONTINUATION flood: one HEADERS without END_HEADERS, then endless
    // CONTINUATION frames. The proxy must stop reading and close.
    let mut tls = h2_tls(&p, &pki.ca_file()).await;
    tls.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .expect("preface");
    tls.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0])
        .await
        .expect("settings");
    let frame = |kind: u8, flags: u8, payload: &[u8]| {
        let len = payload.len();
        let mut f = vec![
            (len >> 16) as u8,
            (len >> 8) as u8,
            len as u8,
            kind,
            flags,
            0,
            0,
            0,
            1,
        ];
        f.extend_from_slice(payload);
        f
    };
    // :method GET (static index 2), :path / (4), :scheme https (7).
    tls.write_all(&frame(1, 0, &[0x82, 0x84, 0x87]))
        .await
        .expect("headers");
    // Each CONTINUATION adds a 1000-byte literal header `x-junk`.
    let mut block = vec![0x00, 6];
    block.extend_from_slice(b"x-junk");
    block.extend_from_slice(&[0x7f, 0xe9, 0x06]); // length 1000 (7-bit prefix integer)
    block.extend(std::iter::repeat_n(b'j', 1000));
    let cont = frame(9, 0, &block);
    let mut sent = 0usize;
    let flood = async {
        for _ in 0..20_000 {
            if tls.write_all(&cont).await.is_err() {
                break;
            }
            sent += 1;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), flood).await;
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(T, tls.read_to_end(&mut rest)).await;
    assert!(
        sent < 20_000,
        "the proxy kept reading {sent} CONTINUATION frames"
    );
    eprintln!("CONTINUATION flood cut after {sent} frames");

    // Meanwhile other clients are served.
    let ok = https(&p, "a.example", &pki.ca_file(), &[]).await;
    assert!(ok.contains("server=plain"), "{ok}");
}
