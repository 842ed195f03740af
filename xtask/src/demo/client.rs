//! The client's side: curl for the fetches the demo shows (HTTP and
//! HTTPS through the VIP, the certificate verified), and a probe thread
//! in the client's namespace that sends a request every 50 ms over a new
//! connection and records what came back, to measure the interruption.

use super::gateway::ANSWER;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What came back for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reply {
    /// The HTTP status.
    pub(crate) status: u16,
    /// The gateway that answered (`x-served-by`).
    pub(crate) rgw: String,
    /// The load-balancer node the request came through (from `x-peer`).
    pub(crate) via: String,
    /// Whether the body is the guide's document.
    pub(crate) body_ok: bool,
}

impl Reply {
    /// Whether this is a good answer that came through node `via`.
    pub(crate) fn good_via(&self, via: &str) -> bool {
        self.status == 200 && self.body_ok && self.via == via
    }
}

/// Parses a whole HTTP/1.1 response (head and body).
pub(crate) fn parse(text: &str) -> Result<Reply, String> {
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no response head in {:?}", short(text)))?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("no status line in {:?}", short(text)))?;
    let header = |name: &str| {
        head.lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    };
    let rgw = header("x-served-by").unwrap_or_else(|| "?".into());
    let via = header("x-peer")
        .and_then(|p| match p.parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) => super::lab::host_of(a).map(str::to_string),
            _ => None,
        })
        .unwrap_or_else(|| "?".into());
    Ok(Reply {
        status,
        rgw,
        via,
        body_ok: body == ANSWER,
    })
}

fn short(text: &str) -> String {
    text.chars().take(120).collect()
}

/// One GET over a new connection (from the calling thread's namespace).
pub(crate) fn get(addr: SocketAddr) -> Result<Reply, String> {
    let mut s =
        TcpStream::connect_timeout(&addr, Duration::from_millis(300)).map_err(|e| describe(&e))?;
    s.set_read_timeout(Some(Duration::from_millis(1000)))
        .map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(Duration::from_millis(300)))
        .map_err(|e| e.to_string())?;
    let request = format!("GET / HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).map_err(|e| describe(&e))?;
    let mut bytes = Vec::new();
    s.take(64 * 1024)
        .read_to_end(&mut bytes)
        .map_err(|e| describe(&e))?;
    if bytes.is_empty() {
        return Err("closed without an answer".into());
    }
    parse(&String::from_utf8_lossy(&bytes))
}

fn describe(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection refused".into(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => "timed out".into(),
        std::io::ErrorKind::ConnectionReset => "connection reset".into(),
        _ => e.to_string(),
    }
}

/// One probe request.
#[derive(Clone, Debug)]
pub(crate) struct Attempt {
    /// When it was sent.
    pub(crate) sent: Instant,
    /// When its answer (or failure) came.
    pub(crate) done: Instant,
    /// The answer, or why there was none.
    pub(crate) outcome: Result<Reply, String>,
}

/// At most this many attempts are kept (50 ms apart: 10 minutes).
const MAX_ATTEMPTS: usize = 12_000;
/// The probe's period.
pub(crate) const PERIOD: Duration = Duration::from_millis(50);

/// The probe thread and what it recorded.
pub(crate) struct Probe {
    stop: Arc<AtomicBool>,
    paused: Arc<AtomicBool>,
    idle: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    attempts: Arc<Mutex<Vec<Attempt>>>,
}

impl Probe {
    /// Starts probing `addr` from namespace `ns`.
    pub(crate) fn start(ns: String, addr: SocketAddr) -> Result<Probe, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let paused = Arc::new(AtomicBool::new(false));
        let attempts = Arc::new(Mutex::new(Vec::new()));
        let (flag, log) = (Arc::clone(&stop), Arc::clone(&attempts));
        let pause = Arc::clone(&paused);
        let idle = Arc::new(AtomicBool::new(false));
        let is_idle = Arc::clone(&idle);
        let (ready, started) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            if let Err(e) = super::lab::enter(&ns) {
                let _ = ready.send(Err(e));
                return;
            }
            let _ = ready.send(Ok(()));
            let mut next = Instant::now();
            while !flag.load(Ordering::SeqCst) {
                let hold = pause.load(Ordering::SeqCst);
                is_idle.store(hold, Ordering::SeqCst);
                if hold {
                    std::thread::sleep(Duration::from_millis(5));
                    next = Instant::now();
                    continue;
                }
                let sent = Instant::now();
                let outcome = get(addr);
                let attempt = Attempt {
                    sent,
                    done: Instant::now(),
                    outcome,
                };
                if let Ok(mut log) = log.lock() {
                    if log.len() < MAX_ATTEMPTS {
                        log.push(attempt);
                    }
                }
                next += PERIOD;
                let now = Instant::now();
                if next > now {
                    std::thread::sleep(next - now);
                } else {
                    next = now;
                }
            }
        });
        let probe = Probe {
            stop,
            paused,
            idle,
            thread: Some(thread),
            attempts,
        };
        match started.recv_timeout(Duration::from_secs(5)) {
            Ok(Ok(())) => Ok(probe),
            Ok(Err(e)) => Err(e),
            Err(_) => Err("the probe did not start".into()),
        }
    }

    /// Pauses the probe until the returned guard is dropped (waits for a
    /// request in flight to end).
    pub(crate) fn pause(&self) -> Paused {
        self.idle.store(false, Ordering::SeqCst);
        self.paused.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(3);
        while !self.idle.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        Paused(Arc::clone(&self.paused))
    }

    /// The attempts so far.
    pub(crate) fn attempts(&self) -> Vec<Attempt> {
        self.attempts.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Keeps the probe paused while alive.
pub(crate) struct Paused(Arc<AtomicBool>);

impl Drop for Paused {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// What the client lived through from `since` on: the first failure,
/// and the outage around it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Outage {
    /// The last good answer before the first failure (its arrival).
    pub(crate) last_good: Option<Instant>,
    /// When the first failed request was sent.
    pub(crate) first_failed: Instant,
    /// The first good answer after it (its arrival).
    pub(crate) back: Option<Instant>,
    /// Failed requests in between.
    pub(crate) failed: usize,
    /// The first failure's reason.
    pub(crate) reason: String,
}

impl Outage {
    /// Without answers: from the last good answer (or the first failed
    /// request) to the first good answer after the failures.
    pub(crate) fn length(&self) -> Option<Duration> {
        let from = self.last_good.unwrap_or(self.first_failed);
        self.back.map(|b| b.saturating_duration_since(from))
    }
}

/// The first outage after `since`: `None` when every request sent since
/// then was answered.
pub(crate) fn outage(attempts: &[Attempt], since: Instant) -> Option<Outage> {
    let good = |a: &Attempt| {
        a.outcome
            .as_ref()
            .is_ok_and(|r| r.status == 200 && r.body_ok)
    };
    let first = attempts.iter().position(|a| a.sent >= since && !good(a))?;
    let last_good = attempts[..first]
        .iter()
        .rev()
        .find(|a| good(a))
        .map(|a| a.done);
    let after = &attempts[first..];
    let back_at = after.iter().position(good);
    let failed = back_at.unwrap_or(after.len());
    let reason = match &after[0].outcome {
        Ok(r) => format!("status {}", r.status),
        Err(e) => e.clone(),
    };
    Some(Outage {
        last_good,
        first_failed: after[0].sent,
        back: back_at.map(|i| after[i].done),
        failed,
        reason,
    })
}

/// Fetches `/` with curl from the client's namespace: over HTTPS to
/// `example.com` (resolved to `vip`, verified against `ca`) or over HTTP
/// to `vip`.
pub(crate) fn curl(ns: &str, vip: IpAddr, https: Option<&Path>) -> Result<Reply, String> {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns, "curl", "-sS", "-i", "--max-time", "5"]);
    match https {
        Some(ca) => {
            let name = super::cert::NAME;
            cmd.arg("--cacert")
                .arg(ca)
                .arg("--resolve")
                .arg(format!("{name}:443:{vip}"))
                .arg(format!("https://{name}/"));
        }
        None => {
            cmd.arg(format!("http://{vip}/"));
        }
    }
    let out = cmd.output().map_err(|e| format!("cannot run curl: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "curl: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    parse(&String::from_utf8_lossy(&out.stdout))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(via: &str) -> String {
        format!("HTTP/1.1 200 OK\r\nX-Served-By: rgw2\r\nx-peer: {via}\r\n\r\n{ANSWER}")
    }

    #[test]
    fn parse_names_the_gateway_and_the_node() {
        let r = parse(&reply("192.0.2.12")).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.rgw, "rgw2");
        assert_eq!(r.via, "haproxy2");
        assert!(r.body_ok && r.good_via("haproxy2") && !r.good_via("haproxy"));
        let other = parse("HTTP/1.1 503 Service Unavailable\r\n\r\nno").unwrap();
        assert_eq!(other.status, 503);
        assert!(!other.body_ok);
        assert!(parse("garbage").is_err());
    }

    fn attempt(t0: Instant, ms: u64, ok: bool) -> Attempt {
        let outcome = if ok {
            parse(&reply("192.0.2.11"))
        } else {
            Err("connection refused".into())
        };
        Attempt {
            sent: t0 + Duration::from_millis(ms),
            done: t0 + Duration::from_millis(ms + 2),
            outcome,
        }
    }

    #[test]
    fn the_outage_runs_from_the_last_good_answer_to_the_next() {
        let t0 = Instant::now();
        let a: Vec<Attempt> = [
            (0, true),
            (50, true),
            (100, false),
            (150, false),
            (200, true),
        ]
        .iter()
        .map(|&(ms, ok)| attempt(t0, ms, ok))
        .collect();
        let o = outage(&a, t0 + Duration::from_millis(60)).unwrap();
        assert_eq!(o.failed, 2);
        assert_eq!(o.reason, "connection refused");
        assert_eq!(o.last_good, Some(t0 + Duration::from_millis(52)));
        assert_eq!(o.length(), Some(Duration::from_millis(150)));
        assert_eq!(outage(&a, t0 + Duration::from_millis(160)), None);
    }

    #[test]
    fn an_outage_without_recovery_has_no_length() {
        let t0 = Instant::now();
        let a = vec![attempt(t0, 0, true), attempt(t0, 50, false)];
        let o = outage(&a, t0).unwrap();
        assert_eq!(o.failed, 1);
        assert_eq!(o.length(), None);
    }
}
