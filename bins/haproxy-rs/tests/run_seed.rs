//! `haproxy-rs -f FILE` on the seed's configurations, with only their
//! addresses changed to loopback ones and free ports: real HTTP and HTTPS
//! clients (curl), health checks taking a stopped server out after `fall`
//! failures and back after `rise` successes, the backup server taking over
//! when every active one is down, and a syslog line over UDP.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::{AbortHandle, JoinHandle};

/// The seed's files, copied from the guide.
fn seed(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/seed")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A port free on `ip` (bound then released).
fn free_port(ip: &str) -> u16 {
    let l = std::net::TcpListener::bind((ip, 0)).expect("bind");
    l.local_addr().expect("addr").port()
}

/// A directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("haproxy-rs-run-{tag}-{}", std::process::id()));
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

/// A small HTTP/1.1 server answering `NAME\n` to every request, keeping
/// connections open; it can be stopped (listener and every connection
/// closed) and started again on the same address.
struct Backend {
    name: &'static str,
    addr: SocketAddr,
    accept: Option<JoinHandle<()>>,
    conns: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Backend {
    async fn start(name: &'static str, ip: &str) -> Backend {
        let l = TcpListener::bind((ip, 0)).await.expect("bind");
        let addr = l.local_addr().expect("addr");
        let mut b = Backend {
            name,
            addr,
            accept: None,
            conns: Arc::default(),
        };
        b.serve(l);
        b
    }

    fn serve(&mut self, l: TcpListener) {
        let (name, conns) = (self.name, Arc::clone(&self.conns));
        self.accept = Some(tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                let task = tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    loop {
                        let Ok(n) = s.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            buf.drain(..end + 4);
                            let body = format!("{name}\n");
                            let resp = format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n{body}",
                                body.len()
                            );
                            if s.write_all(resp.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                        if buf.len() > 65536 {
                            return;
                        }
                    }
                });
                conns.lock().unwrap().push(task.abort_handle());
            }
        }));
    }

    /// Closes the listener and every connection.
    async fn stop(&mut self) {
        if let Some(a) = self.accept.take() {
            a.abort();
            let _ = a.await;
        }
        for c in self.conns.lock().unwrap().drain(..) {
            c.abort();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    /// Listens again on the same address.
    async fn restart(&mut self) {
        for _ in 0..50 {
            if let Ok(l) = TcpListener::bind(self.addr).await {
                self.serve(l);
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("cannot listen again on {}", self.addr);
    }
}

/// `haproxy-rs -d -V -f FILE`, its standard error read line by line with
/// the time each line arrived; killed by its PID on drop.
struct Proxy {
    child: Child,
    lines: mpsc::Receiver<(Instant, String)>,
    seen: Vec<String>,
}

impl Proxy {
    async fn start(cfg: &Path, wait_for: SocketAddr) -> Proxy {
        let mut child = Command::new(env!("CARGO_BIN_EXE_haproxy-rs"))
            .args(["-d", "-V", "-f"])
            .arg(cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start haproxy-rs");
        let err = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send((Instant::now(), line)).is_err() {
                    return;
                }
            }
        });
        let mut p = Proxy {
            child,
            lines,
            seen: Vec::new(),
        };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(wait_for).await.is_ok() {
                return p;
            }
            if let Ok(Some(status)) = p.child.try_wait() {
                p.drain();
                panic!("haproxy-rs exited with {status}: {:?}", p.seen);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("haproxy-rs does not listen on {wait_for}");
    }

    fn drain(&mut self) {
        while let Ok((_, l)) = self.lines.try_recv() {
            self.seen.push(l);
        }
    }

    /// Waits (at most `limit`) for a line containing `text`; when it came.
    async fn wait_line(&mut self, text: &str, limit: Duration) -> Instant {
        let deadline = Instant::now() + limit;
        loop {
            while let Ok((at, l)) = self.lines.try_recv() {
                let hit = l.contains(text);
                self.seen.push(l);
                if hit {
                    return at;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no line with {text:?} within {limit:?}; seen: {:#?}",
                self.seen
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// curl's status code and body (`-k` never used: TLS is verified).
async fn curl(args: Vec<String>) -> (String, String) {
    let out = tokio::task::spawn_blocking(move || {
        Command::new("curl")
            .args(["-s", "--max-time", "8", "-w", "\n%{http_code}"])
            .args(&args)
            .output()
    })
    .await
    .expect("join")
    .expect("curl must be installed (apt-get install curl)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    (code.to_string(), body.trim().to_string())
}

async fn get(url: &str) -> (String, String) {
    curl(vec![url.to_string()]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn section_5_seed_serves_curl_and_checks_take_servers_out_and_backup_over() {
    let mut app1 = Backend::start("app1", "127.0.0.11").await;
    let mut app2 = Backend::start("app2", "127.0.0.12").await;
    let mut app3 = Backend::start("app3", "127.0.0.13").await;
    let app4 = Backend::start("app4", "127.0.0.14").await;
    let syslog = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
    syslog
        .set_read_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    let front: SocketAddr = format!("127.0.0.10:{}", free_port("127.0.0.10"))
        .parse()
        .unwrap();
    // Only addresses change: the frontend, the four servers and the
    // syslog target (a test listener instead of port 514).
    let text = seed("section-5.cfg")
        .replace("192.168.0.10:80", &front.to_string())
        .replace("192.168.1.1:80", &app1.addr.to_string())
        .replace("192.168.1.2:80", &app2.addr.to_string())
        .replace("192.168.1.3:80", &app3.addr.to_string())
        .replace("192.168.1.4:80", &app4.addr.to_string())
        .replace(
            "log 127.0.0.1 local2",
            &format!("log {} local2", syslog.local_addr().unwrap()),
        );
    assert!(text.contains("check inter 2s rise 4 fall 3") && text.contains("backup"));
    let dir = TempDir::new("s5");
    let cfg = dir.0.join("haproxy.cfg");
    std::fs::write(&cfg, &text).unwrap();
    let mut proxy = Proxy::start(&cfg, front).await;
    let url = format!("http://{front}/");

    // Round robin over the three active servers, never the backup.
    let mut served = Vec::new();
    for _ in 0..6 {
        let (code, body) = get(&url).await;
        assert_eq!(code, "200");
        served.push(body);
    }
    for name in ["app1", "app2", "app3"] {
        assert_eq!(
            served.iter().filter(|s| *s == name).count(),
            2,
            "{served:?}"
        );
    }

    // One `option httplog` line per request, facility local2 (18), level
    // info (6): priority 150, frontend, backend/server, status, request.
    let mut buf = [0u8; 2048];
    let n = syslog.recv(&mut buf).expect("a log line");
    let line = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(line.starts_with("<150>"), "{line}");
    assert!(line.contains(" main app/app"), "{line}");
    assert!(line.contains(" 200 "), "{line}");
    assert!(line.contains("\"GET / HTTP/1.1\""), "{line}");

    // Let app1 (rise 2 fall 3, inter 2s) reach full health: started at
    // `rise`, two more successes.
    tokio::time::sleep(Duration::from_millis(4500)).await;
    app1.stop().await;
    let stopped = Instant::now();
    let down = proxy
        .wait_line("Server app/app1 is DOWN", Duration::from_secs(10))
        .await;
    let took = down.duration_since(stopped);
    // Three failed checks 2 s apart: more than 4 s, at most 6 s (+ slack);
    // `fall 1` would take at most 2 s.
    assert!(
        took > Duration::from_millis(3900) && took < Duration::from_millis(7500),
        "app1 down after {took:?}"
    );
    for _ in 0..4 {
        let (code, body) = get(&url).await;
        assert_eq!(code, "200");
        assert!(body == "app2" || body == "app3", "{body}");
    }

    // Every active server down: the backup takes over.
    app2.stop().await;
    app3.stop().await;
    proxy
        .wait_line("Server app/app2 is DOWN", Duration::from_secs(10))
        .await;
    proxy
        .wait_line("Server app/app3 is DOWN", Duration::from_secs(10))
        .await;
    for _ in 0..3 {
        assert_eq!(get(&url).await, ("200".to_string(), "app4".to_string()));
    }

    // app1 back: up after `rise 2` successful checks, and the backup is
    // left again.
    app1.restart().await;
    let back = Instant::now();
    let up = proxy
        .wait_line("Server app/app1 is UP", Duration::from_secs(8))
        .await;
    let took = up.duration_since(back);
    assert!(
        took > Duration::from_millis(1900) && took < Duration::from_millis(5500),
        "app1 up after {took:?}"
    );
    for _ in 0..3 {
        assert_eq!(get(&url).await, ("200".to_string(), "app1".to_string()));
    }
}

/// A CA and a certificate for `example.com` it signs, written as the
/// guide builds the frontend's file: `cat example.com.crt example.com.key >
/// example.com.pem`.
fn certificates(dir: &Path) -> (PathBuf, PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().expect("key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "seed test CA");
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let key = KeyPair::generate().expect("key");
    let cert = CertificateParams::new(vec!["example.com".to_string()])
        .expect("params")
        .signed_by(&key, &ca, &ca_key)
        .expect("sign");
    let certs = dir.join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    let pem = certs.join("example.com.pem");
    std::fs::write(&pem, format!("{}{}", cert.pem(), key.serialize_pem())).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    (pem, ca_file)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appendix_a_seed_serves_http_and_https_with_round_robin_and_checks() {
    let mut rgw1 = Backend::start("rgw1", "127.0.0.22").await;
    let rgw2 = Backend::start("rgw2", "127.0.0.23").await;
    let http: SocketAddr = format!("127.0.0.20:{}", free_port("127.0.0.20"))
        .parse()
        .unwrap();
    let https: SocketAddr = format!("127.0.0.21:{}", free_port("127.0.0.21"))
        .parse()
        .unwrap();
    let dir = TempDir::new("appa");
    let (pem, ca) = certificates(&dir.0);
    assert_eq!(pem, dir.0.join("certs/example.com.pem"));
    let text = seed("appendix-a-haproxy26.cfg")
        .replace("@DATA@", &dir.0.display().to_string())
        .replace("bind *:80", &format!("bind {http}"))
        .replace("192.0.2.10:443", &https.to_string())
        .replace("10.0.0.71:80", &rgw1.addr.to_string())
        .replace("10.0.0.80:80", &rgw2.addr.to_string())
        // The syslog target moves to a port nothing listens on.
        .replace(
            "log 127.0.0.1 local2",
            &format!("log 127.0.0.1:{} local2", free_port("127.0.0.1")),
        );
    let cfg = dir.0.join("haproxy.cfg");
    std::fs::write(&cfg, &text).unwrap();
    let mut proxy = Proxy::start(&cfg, https).await;

    // Plain HTTP on `frontend http_web`, round robin over rgw1 and rgw2.
    let mut served = Vec::new();
    for _ in 0..4 {
        let (code, body) = get(&format!("http://{http}/")).await;
        assert_eq!(code, "200");
        served.push(body);
    }
    assert_eq!(
        served.iter().filter(|s| *s == "rgw1").count(),
        2,
        "{served:?}"
    );
    assert_eq!(
        served.iter().filter(|s| *s == "rgw2").count(),
        2,
        "{served:?}"
    );

    // HTTPS on `frontend rgw-https`, the certificate verified against the CA.
    let https_get = || {
        curl(vec![
            "--cacert".into(),
            ca.display().to_string(),
            "--resolve".into(),
            format!("example.com:{}:{}", https.port(), https.ip()),
            format!("https://example.com:{}/", https.port()),
        ])
    };
    let mut served = Vec::new();
    for _ in 0..4 {
        let (code, body) = https_get().await;
        assert_eq!(code, "200", "{body}");
        served.push(body);
    }
    assert!(served.iter().any(|s| s == "rgw1"), "{served:?}");
    assert!(served.iter().any(|s| s == "rgw2"), "{served:?}");

    // rgw1 stopped: the checks take it out, both frontends keep serving.
    rgw1.stop().await;
    proxy
        .wait_line("Server rgw/rgw1 is DOWN", Duration::from_secs(10))
        .await;
    for _ in 0..3 {
        assert_eq!(
            get(&format!("http://{http}/")).await,
            ("200".to_string(), "rgw2".to_string())
        );
        assert_eq!(https_get().await, ("200".to_string(), "rgw2".to_string()));
    }
}

/// The real HAProxy, if installed; under `CI=true` its absence fails.
fn haproxy_binary() -> Option<&'static str> {
    let path = "/usr/sbin/haproxy";
    if Path::new(path).exists() {
        return Some(path);
    }
    assert_ne!(
        std::env::var("CI").as_deref(),
        Ok("true"),
        "{path} is missing: install the haproxy package"
    );
    eprintln!("skipping the comparison with HAProxy: {path} is not installed");
    None
}

/// A log line's fields from the client address on (the syslog header and
/// the process name differ between the two programs).
fn log_fields(line: &str) -> Vec<String> {
    let body = line.split_once("]: ").map_or(line, |(_, b)| b);
    body.split_whitespace().map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn section_5_seed_answers_and_logs_as_haproxy_does() {
    let Some(haproxy) = haproxy_binary() else {
        return;
    };
    let mut apps = Vec::new();
    for (name, ip) in [
        ("app1", "127.0.0.31"),
        ("app2", "127.0.0.32"),
        ("app3", "127.0.0.33"),
        ("app4", "127.0.0.34"),
    ] {
        apps.push(Backend::start(name, ip).await);
    }
    let dir = TempDir::new("s5cmp");
    let mut fronts = Vec::new();
    let mut logs = Vec::new();
    let mut cfgs = Vec::new();
    for tag in ["ref", "rs"] {
        let front: SocketAddr = format!("127.0.0.30:{}", free_port("127.0.0.30"))
            .parse()
            .unwrap();
        let log = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        log.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let text = seed("section-5.cfg")
            .replace("192.168.0.10:80", &front.to_string())
            .replace("192.168.1.1:80", &apps[0].addr.to_string())
            .replace("192.168.1.2:80", &apps[1].addr.to_string())
            .replace("192.168.1.3:80", &apps[2].addr.to_string())
            .replace("192.168.1.4:80", &apps[3].addr.to_string())
            .replace(
                "log 127.0.0.1 local2",
                &format!("log {} local2", log.local_addr().unwrap()),
            );
        let cfg = dir.0.join(format!("{tag}.cfg"));
        std::fs::write(&cfg, text).unwrap();
        fronts.push(front);
        logs.push(log);
        cfgs.push(cfg);
    }
    let reference = Command::new(haproxy)
        .arg("-db")
        .arg("-f")
        .arg(&cfgs[0])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start haproxy");
    let _reference = KillOnDrop(reference);
    let _ours = Proxy::start(&cfgs[1], fronts[1]).await;
    let end = Instant::now() + Duration::from_secs(5);
    while tokio::net::TcpStream::connect(fronts[0]).await.is_err() {
        assert!(Instant::now() < end, "haproxy does not listen");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // Wait for the first check round (HAProxy spreads the first checks
    // over `inter`), then drain the lines of the readiness probes.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut buf = [0u8; 2048];
    for log in &logs {
        log.set_nonblocking(true).unwrap();
        while log.recv(&mut buf).is_ok() {}
        log.set_nonblocking(false).unwrap();
    }

    // The same answers, in the same round-robin order.
    let mut answers = [Vec::new(), Vec::new()];
    for _ in 0..3 {
        for (i, front) in fronts.iter().enumerate() {
            answers[i].push(get(&format!("http://{front}/")).await);
        }
    }
    assert_eq!(answers[0], answers[1]);
    assert!(answers[0].iter().all(|(code, _)| code == "200"));

    // One log line per request with the same fields where the two must
    // agree: frontend, backend/server, status, captured cookies,
    // termination state, connection and queue counters and the request
    // line; the same number of fields. (Timers may differ by load; the
    // byte count differs: HAProxy logs 76 where haproxy-rs logs 69, the
    // size of the response as the server sends it.)
    for _ in 0..3 {
        let mut lines = Vec::new();
        for log in &logs {
            let n = log.recv(&mut buf).expect("a log line");
            lines.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        assert!(lines[0].starts_with("<150>") && lines[1].starts_with("<150>"));
        let (a, b) = (log_fields(&lines[0]), log_fields(&lines[1]));
        assert_eq!(a.len(), b.len(), "\n{}\n{}", lines[0], lines[1]);
        for i in [2, 3, 5, 7, 8, 9, 10, 11] {
            assert_eq!(a.get(i), b.get(i), "field {i}:\n{}\n{}", lines[0], lines[1]);
        }
        assert_eq!(
            a[a.len() - 3..],
            b[b.len() - 3..],
            "\n{}\n{}",
            lines[0],
            lines[1]
        );
    }

    // Every active server stopped: both send everything to the backup.
    for app in apps.iter_mut().take(3) {
        app.stop().await;
    }
    for front in &fronts {
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            let (code, body) = get(&format!("http://{front}/")).await;
            if code == "200" && body == "app4" {
                break;
            }
            assert!(Instant::now() < end, "{front}: no backup after 20 s");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// A child killed (by its PID) on drop.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
