//! Against the references: keepalived's `genhash` digest, and HAProxy
//! 2.6's rise/fall timeline.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use lbkit_healthcheck::checkers::http::{parse_md5, Expect, HttpCheck};
use lbkit_healthcheck::checkers::tls::TlsOptions;
use lbkit_healthcheck::haproxy::{Config, Server};
use lbkit_healthcheck::{CheckResult, Status, TransitionKind};
use tokio::net::{TcpListener, UdpSocket};
use tokio::process::Command;

// ---- genhash ----

/// Runs genhash with `args` and returns the digest it prints last.
async fn genhash(args: &[&str]) -> String {
    let out = Command::new("/usr/bin/genhash")
        .args(args)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "genhash failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim()
        .to_owned()
}

async fn digest_check(addr: SocketAddr, tls: Option<TlsOptions>, expected: &str) {
    let md5 = parse_md5(expected).unwrap_or_else(|| panic!("genhash printed {expected:?}"));
    let mut c = HttpCheck::new(addr, Duration::from_secs(2));
    c.uri = "/blob".into();
    c.tls = tls;
    c.expect = Expect::Digest {
        md5,
        status: vec![],
    };
    let r = c.run().await;
    assert_eq!(r.status, Status::L7Ok, "{r}");
    // And the digest we compute is the one genhash printed.
    c.expect = Expect::Digest {
        md5: [0; 16],
        status: vec![],
    };
    let r = c.run().await;
    assert_eq!(
        r.info.unwrap(),
        format!("MD5 digest mismatch: got {expected}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_equals_genhash_http() {
    if !have_tool("/usr/bin/genhash") {
        return;
    }
    let addr = http_server(None).await;
    let port = addr.port().to_string();
    let expected = genhash(&["-s", "127.0.0.1", "-p", &port, "-u", "/blob"]).await;
    digest_check(addr, None, &expected).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digest_equals_genhash_https_with_sni() {
    if !have_tool("/usr/bin/genhash") {
        return;
    }
    let (cert, cfg) = tls_config();
    let addr = http_server(Some(cfg)).await;
    let port = addr.port().to_string();
    let expected = genhash(&[
        "-S",
        "-I",
        "-V",
        "localhost",
        "-s",
        "127.0.0.1",
        "-p",
        &port,
        "-u",
        "/blob",
    ])
    .await;
    let tls = TlsOptions::verified(&[cert], Some("localhost")).unwrap();
    digest_check(addr, Some(tls), &expected).await;
    let plain_tls = genhash(&["-S", "-s", "127.0.0.1", "-p", &port, "-u", "/blob"]).await;
    assert_eq!(plain_tls, expected);
}

// ---- HAProxy rise/fall timeline ----

/// A loopback TCP server the test turns on and off on a fixed port.
struct Toggle {
    addr: SocketAddr,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Toggle {
    async fn on(&mut self) {
        let l = TcpListener::bind(self.addr).await.unwrap();
        self.task = Some(tokio::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                drop(s);
            }
        }));
    }

    async fn off(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
            let _ = t.await;
        }
    }
}

/// Syslog lines HAProxy sends, with their arrival times.
type Log = Arc<Mutex<Vec<(Instant, String)>>>;

async fn syslog() -> (SocketAddr, Log) {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    let log: Log = Arc::default();
    let sink = log.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        while let Ok(n) = sock.recv(&mut buf).await {
            let line = String::from_utf8_lossy(&buf[..n]).into_owned();
            sink.lock().unwrap().push((Instant::now(), line));
        }
    });
    (addr, log)
}

/// One check HAProxy logged (`option log-health-checks`) or a transition.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Check {
        passed: bool,
        fraction: String,
        reason: String,
    },
    Up,
    Down(String),
}

/// Picks the lines about `server` out of the log.
fn events(log: &[(Instant, String)], server: &str, t0: Instant) -> Vec<(Duration, Seen)> {
    let mut out = Vec::new();
    for (t, line) in log {
        let at = t.duration_since(t0);
        if line.contains(&format!("Health check for server be/{server} ")) {
            let passed = line.contains(" succeeded");
            let fraction = line
                .split("status: ")
                .nth(1)
                .map(|s| s.trim().trim_end_matches('.').to_owned())
                .unwrap_or_default();
            let reason = line
                .split("reason: ")
                .nth(1)
                .and_then(|r| r.split(", status: ").next())
                .unwrap_or("")
                .to_owned();
            out.push((
                at,
                Seen::Check {
                    passed,
                    fraction,
                    reason,
                },
            ));
        } else if line.contains(&format!("Server be/{server} is DOWN")) {
            let reason = line.split("reason: ").nth(1).unwrap_or("").to_owned();
            out.push((at, Seen::Down(reason)));
        } else if line.contains(&format!("Server be/{server} is UP")) {
            out.push((at, Seen::Up));
        }
    }
    out
}

fn refused() -> CheckResult {
    CheckResult::new(Status::L4Con, Duration::ZERO).with_info("Connection refused")
}

fn passed() -> CheckResult {
    CheckResult::new(Status::L4Ok, Duration::ZERO)
}

/// Runs lbkit's machine on a simulated clock: checks at the times it
/// chooses, the server on except during `[off, on)`. Returns the times of
/// its DOWN and UP transitions, checking from `first`.
fn simulate(
    cfg: &Config,
    first: Duration,
    off: Duration,
    on: Duration,
    end: Duration,
) -> Vec<(Duration, TransitionKind)> {
    let base = Instant::now();
    let mut s = Server::new(cfg.clone(), base, base + first);
    let mut out = Vec::new();
    loop {
        let t = s.next_check();
        let at = t.duration_since(base);
        if at > end {
            return out;
        }
        let up = !(off..on).contains(&at);
        let result = if up { passed() } else { refused() };
        for tr in s.on_check(t, &result, 0) {
            if matches!(tr.kind, TransitionKind::Up | TransitionKind::Down) {
                out.push((at, tr.kind));
            }
        }
    }
}

fn transitions(seen: &[(Duration, Seen)]) -> Vec<(Duration, TransitionKind)> {
    seen.iter()
        .filter_map(|(t, e)| match e {
            Seen::Up => Some((*t, TransitionKind::Up)),
            Seen::Down(_) => Some((*t, TransitionKind::Down)),
            Seen::Check { .. } => None,
        })
        .collect()
}

/// HAProxy 2.6 with `check inter 200 rise 4 fall 3`, one server with
/// `fastinter 100 downinter 300` and one without, against a server turned
/// off at 1.2 s and on at 3.2 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn haproxy_rise_fall_timeline() {
    if !have_tool("/usr/sbin/haproxy") {
        return;
    }
    let (log_addr, log) = syslog().await;
    let mut server = Toggle {
        addr: SocketAddr::from(([127, 0, 0, 1], free_port())),
        task: None,
    };
    server.on().await;
    let fe = free_port();
    let dir = std::env::temp_dir().join(format!("lbkit-hc-haproxy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg_path = dir.join("haproxy.cfg");
    let cfg = format!(
        "global\n  log {log_addr} local0\n\
         defaults\n  mode tcp\n  log global\n  option log-health-checks\n\
         \x20 timeout connect 150ms\n  timeout client 1s\n  timeout server 1s\n  timeout check 150ms\n\
         frontend fe\n  bind 127.0.0.1:{fe}\n  default_backend be\n\
         backend be\n\
         \x20 server fast {srv} check inter 200 fastinter 100 downinter 300 rise 4 fall 3\n\
         \x20 server plain {srv} check inter 200 rise 4 fall 3\n",
        srv = server.addr
    );
    std::fs::write(&cfg_path, cfg).unwrap();
    let t0 = Instant::now();
    let child = Command::new("/usr/sbin/haproxy")
        .arg("-db")
        .arg("-f")
        .arg(&cfg_path)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (off, on, end) = (
        Duration::from_millis(1200),
        Duration::from_millis(3200),
        Duration::from_millis(5200),
    );
    tokio::time::sleep_until((t0 + off).into()).await;
    server.off().await;
    tokio::time::sleep_until((t0 + on).into()).await;
    server.on().await;
    tokio::time::sleep_until((t0 + end).into()).await;
    drop(child);
    let _ = std::fs::remove_dir_all(&dir);
    let log = log.lock().unwrap().clone();
    assert!(!log.is_empty(), "HAProxy sent no log line");

    for (name, cfg) in [
        (
            "fast",
            Config {
                inter: Duration::from_millis(200),
                fastinter: Some(Duration::from_millis(100)),
                downinter: Some(Duration::from_millis(300)),
                rise: 4,
                fall: 3,
                ..Config::default()
            },
        ),
        (
            "plain",
            Config {
                inter: Duration::from_millis(200),
                rise: 4,
                fall: 3,
                ..Config::default()
            },
        ),
    ] {
        let seen = events(&log, name, t0);
        let haproxy = transitions(&seen);
        let kinds: Vec<_> = haproxy.iter().map(|(_, k)| *k).collect();
        eprintln!("{name}: {seen:?}");
        assert_eq!(
            kinds,
            vec![TransitionKind::Down, TransitionKind::Up],
            "{name}: {seen:#?}"
        );

        // 1. The same check results, fed to lbkit, give the same health
        //    fractions and the same transitions with the same reason.
        let base = Instant::now();
        let mut s = Server::new(cfg.clone(), base, base);
        let mut ours = Vec::new();
        let mut last_check: Option<(Duration, Duration)> = None;
        for (at, e) in &seen {
            let Seen::Check {
                passed: ok,
                fraction,
                reason: theirs,
            } = e
            else {
                continue;
            };
            let result = if *ok { passed() } else { refused() };
            let trs = s.on_check(base + *at, &result, 0);
            assert_eq!(&s.status_fraction(), fraction, "{name} at {at:?}");
            for tr in trs {
                if let TransitionKind::Down = tr.kind {
                    // Same text up to the measured duration.
                    let cut = |r: &str| r.split(", check duration").next().unwrap_or("").to_owned();
                    assert_eq!(cut(&tr.reason), cut(theirs), "{name}");
                    assert!(theirs.contains("check duration: "), "{theirs}");
                }
                if matches!(tr.kind, TransitionKind::Up | TransitionKind::Down) {
                    ours.push(tr.kind);
                }
            }
            // 2. While the server is between states every check changes its
            //    health and is logged: consecutive ones are one lbkit
            //    interval apart.
            if let Some((prev_at, interval)) = last_check {
                let gap = at.saturating_sub(prev_at);
                let diff = gap.abs_diff(interval);
                // Half an interval (at least 60 ms) of slack: enough to
                // tell fastinter (100) from inter (200) and downinter (300).
                let slack = (interval / 2).max(Duration::from_millis(60));
                assert!(
                    diff <= slack,
                    "{name}: gap {gap:?}, lbkit interval {interval:?}"
                );
            }
            let between = s.health() > 0 && s.health() < cfg.rise + cfg.fall - 1;
            last_check = between.then(|| (*at, s.interval()));
        }
        assert_eq!(ours, kinds, "{name}");

        // 3. Driven only by the on/off times, lbkit's timeline matches
        //    HAProxy's within one interval.
        let first = Duration::from_millis(50);
        let predicted = simulate(&cfg, first, off, on, end);
        assert_eq!(
            predicted.iter().map(|(_, k)| *k).collect::<Vec<_>>(),
            kinds,
            "{name}"
        );
        for ((theirs, k), (mine, _)) in haproxy.iter().zip(&predicted) {
            let tolerance = match k {
                TransitionKind::Up => cfg.downinter.unwrap_or(cfg.inter),
                _ => cfg.inter,
            };
            assert!(
                theirs.abs_diff(*mine) <= tolerance,
                "{name} {k:?}: HAProxy at {theirs:?}, lbkit at {mine:?}"
            );
            eprintln!("{name} {k:?}: HAProxy {theirs:?}, lbkit {mine:?}");
        }
    }
}

// ---- HAProxy agent replies and slow start ----

/// An agent that answers every connection with the current line.
async fn agent_server(reply: Arc<Mutex<String>>) -> SocketAddr {
    let (l, addr) = listener().await;
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let line = format!("{}\n", reply.lock().unwrap());
            tokio::spawn(async move {
                use tokio::io::AsyncWriteExt;
                let _ = s.write_all(line.as_bytes()).await;
            });
        }
    });
    addr
}

/// `show stat` for server `be/s1`: (status, weight).
async fn haproxy_stat(sock: &std::path::Path) -> Option<(String, u32)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::UnixStream::connect(sock).await.ok()?;
    s.write_all(b"show stat\n").await.ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).await.ok()?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next()?.trim_start_matches("# ").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (sv, st, w) = (col("svname")?, col("status")?, col("weight")?);
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f.get(sv) == Some(&"s1"))
        .and_then(|f| Some((f.get(st)?.to_string(), f.get(w)?.parse().ok()?)))
}

/// Waits (at most 3 s) until HAProxy's status starts with `status`
/// (`DRAIN (agent)`); returns the time and weight.
async fn wait_status(sock: &std::path::Path, status: &str) -> (Instant, u32) {
    for _ in 0..60 {
        if let Some((st, w)) = haproxy_stat(sock).await {
            if st == status || st.starts_with(&format!("{status} ")) {
                return (Instant::now(), w);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "HAProxy never showed {status}: {:?}",
        haproxy_stat(sock).await
    );
}

/// The real HAProxy and lbkit fed the same agent replies agree on weight
/// and state; after the agent's `up`, the slow-start ramp matches within
/// one second of ramp (HAProxy counts it in whole seconds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn haproxy_agent_and_slowstart() {
    if !have_tool("/usr/sbin/haproxy") {
        return;
    }
    let (_srv, srv_addr) = listener().await;
    let reply = Arc::new(Mutex::new(String::from("50%")));
    let agent = agent_server(reply.clone()).await;
    let dir = std::env::temp_dir().join(format!("lbkit-hc-agent-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sock = dir.join("stats.sock");
    let cfg_path = dir.join("haproxy.cfg");
    let fe = free_port();
    std::fs::write(
        &cfg_path,
        format!(
            "global\n  stats socket {} level admin\n\
             defaults\n  mode tcp\n  timeout connect 150ms\n  timeout client 1s\n  timeout server 1s\n\
             frontend fe\n  bind 127.0.0.1:{fe}\n  default_backend be\n\
             backend be\n  balance roundrobin\n\
             \x20 server s1 {srv_addr} weight 40 check inter 100 rise 1 fall 1 slowstart 4s \
             agent-check agent-addr 127.0.0.1 agent-port {} agent-inter 100\n",
            sock.display(),
            agent.port()
        ),
    )
    .unwrap();
    let _child = Command::new("/usr/sbin/haproxy")
        .arg("-db")
        .arg("-f")
        .arg(&cfg_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let base = Instant::now();
    let mut ours = Server::new(
        Config {
            inter: Duration::from_millis(100),
            rise: 1,
            fall: 1,
            weight: 40,
            slowstart: Duration::from_secs(4),
            agent: true,
            ..Config::default()
        },
        base,
        base,
    );
    let feed = |s: &mut Server, line: &str| {
        let r = lbkit_healthcheck::haproxy::AgentReply::parse(line).unwrap();
        s.on_agent(Instant::now(), Ok(&r))
    };
    let say = |line: &str| *reply.lock().unwrap() = line.to_owned();

    // 50%: weight 40 -> 20.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (_, w) = wait_status(&sock, "UP").await;
    feed(&mut ours, "50%");
    assert_eq!((w, ours.effective_weight(Instant::now())), (20, 20));

    // drain: up, no traffic. HAProxy keeps showing the weight (20) and
    // skips draining servers when picking; lbkit's effective weight says 0.
    say("drain");
    let (_, w) = wait_status(&sock, "DRAIN").await;
    feed(&mut ours, "drain");
    assert!(ours.is_up() && ours.draining());
    assert_eq!(
        (w, ours.user_weight(), ours.effective_weight(Instant::now())),
        (20, 20, 0)
    );

    // ready: back to 20.
    say("ready");
    let (_, w) = wait_status(&sock, "UP").await;
    feed(&mut ours, "ready");
    assert_eq!((w, ours.effective_weight(Instant::now())), (20, 20));

    // down: the agent alone takes the server down.
    say("down");
    wait_status(&sock, "DOWN").await;
    let tr = feed(&mut ours, "down");
    assert_eq!(tr[0].kind, TransitionKind::Down);

    // up: back, ramping over 4 s.
    say("up");
    let (up_at, w0) = wait_status(&sock, "UP").await;
    let ours_up = Instant::now();
    let tr = feed(&mut ours, "up");
    assert_eq!(tr[0].kind, TransitionKind::Up);
    let ramp = |elapsed: Duration| ours.effective_weight(ours_up + elapsed);
    assert!(
        w0 <= ramp(Duration::from_secs(1)),
        "HAProxy {w0} at the start of the ramp"
    );
    tokio::time::sleep_until((up_at + Duration::from_millis(2000)).into()).await;
    let (_, w2) = haproxy_stat(&sock).await.unwrap();
    let elapsed = up_at.elapsed();
    let (lo, hi) = (
        ramp(elapsed.saturating_sub(Duration::from_secs(1))),
        ramp(elapsed + Duration::from_secs(1)),
    );
    assert!(
        lo <= w2 && w2 <= hi,
        "HAProxy {w2} after {elapsed:?}, lbkit between {lo} and {hi}"
    );
    assert!(w2 > w0 && w2 < 20, "mid-ramp weight {w2}");
    eprintln!("slowstart: HAProxy {w0} at up, {w2} after {elapsed:?}; lbkit {lo}..{hi}");
    let _ = std::fs::remove_dir_all(&dir);
}
