//! HTTP and HTTPS checks: keepalived `HTTP_GET`/`SSL_GET` (status codes,
//! MD5 `digest` of the body) and HAProxy `option httpchk` with
//! `http-check expect status|string|rstring`.

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::{Method, Request, Version};
use hyper_util::rt::TokioIo;
use md5::{Digest, Md5};
use regex::bytes::Regex;
use tokio::io::{AsyncRead, AsyncWrite};

use super::tcp::connect;
use super::tls::TlsOptions;
use super::{connect_error, io_text};
use crate::status::{CheckResult, Status};

/// HAProxy looks at this much of the body for string matches
/// (`tune.chksize` default).
pub const DEFAULT_MAX_BODY: usize = 16 * 1024;

/// What the answer must satisfy.
#[derive(Debug, Clone)]
pub enum Expect {
    /// HAProxy's default: any 2xx or 3xx status.
    Default,
    /// The status is in one of these ranges (`http-check expect status`,
    /// keepalived `status_code`).
    Status(Vec<RangeInclusive<u16>>),
    /// The first `max_body` bytes of the body contain this text
    /// (`http-check expect string`).
    String(String),
    /// The first `max_body` bytes match this expression
    /// (`http-check expect rstring`).
    Rstring(Regex),
    /// keepalived `digest`: the MD5 of the whole body, with the status in
    /// `status` (keepalived's default is 200-299 when no status is given).
    Digest {
        /// Expected MD5.
        md5: [u8; 16],
        /// Accepted status ranges.
        status: Vec<RangeInclusive<u16>>,
    },
}

/// An HTTP or HTTPS check.
#[derive(Debug, Clone)]
pub struct HttpCheck {
    /// Server address.
    pub addr: SocketAddr,
    /// Local address to bind first.
    pub bind: Option<SocketAddr>,
    /// TLS settings for HTTPS; `None` for plain HTTP.
    pub tls: Option<TlsOptions>,
    /// Request method (`option httpchk GET`).
    pub method: Method,
    /// Request path.
    pub uri: String,
    /// HTTP/1.0 (HAProxy's default) or HTTP/1.1.
    pub version: Version,
    /// `Host` header (keepalived `virtualhost`); the address when absent
    /// and the version is 1.1.
    pub host: Option<String>,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// What the answer must satisfy.
    pub expect: Expect,
    /// Limit for the whole check.
    pub timeout: Duration,
    /// Most body bytes kept for string matches.
    pub max_body: usize,
    /// `http-check disable-on-404`: a 404 passes conditionally (`L7OKC`).
    pub disable_on_404: bool,
}

impl HttpCheck {
    /// `GET /` over HTTP/1.0 expecting 2xx/3xx, HAProxy's `option httpchk`.
    pub fn new(addr: SocketAddr, timeout: Duration) -> Self {
        Self {
            addr,
            bind: None,
            tls: None,
            method: Method::GET,
            uri: "/".into(),
            version: Version::HTTP_10,
            host: None,
            headers: Vec::new(),
            expect: Expect::Default,
            timeout,
            max_body: DEFAULT_MAX_BODY,
            disable_on_404: false,
        }
    }

    /// Runs the check.
    pub async fn run(&self) -> CheckResult {
        let start = Instant::now();
        let phase = AtomicU8::new(PHASE_CONNECT);
        match tokio::time::timeout(self.timeout, self.run_inner(start, &phase)).await {
            Ok(r) => r,
            Err(_) => {
                let status = match phase.load(Ordering::Relaxed) {
                    PHASE_CONNECT => Status::L4Timeout,
                    PHASE_TLS => Status::L6Timeout,
                    _ => Status::L7Timeout,
                };
                CheckResult::new(status, start.elapsed()).with_info("timeout")
            }
        }
    }

    async fn run_inner(&self, start: Instant, phase: &AtomicU8) -> CheckResult {
        let tcp = match connect(self.addr, self.bind).await {
            Ok(s) => s,
            Err(e) => return connect_error(start, &e),
        };
        match &self.tls {
            None => {
                phase.store(PHASE_HTTP, Ordering::Relaxed);
                self.exchange(tcp, start).await
            }
            Some(tls) => {
                phase.store(PHASE_TLS, Ordering::Relaxed);
                let stream = match tls.connect(tcp, self.addr.ip()).await {
                    Ok(s) => s,
                    Err(e) => {
                        return CheckResult::new(Status::L6Rsp, start.elapsed())
                            .with_info(io_text(&e))
                    }
                };
                phase.store(PHASE_HTTP, Ordering::Relaxed);
                self.exchange(stream, start).await
            }
        }
    }

    async fn exchange<S>(&self, io: S, start: Instant) -> CheckResult
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let request = match self.request() {
            Ok(r) => r,
            Err(e) => {
                return CheckResult::new(Status::SockErr, start.elapsed()).with_info(e.to_string())
            }
        };
        let (mut sender, conn) = match hyper::client::conn::http1::handshake(TokioIo::new(io)).await
        {
            Ok(pair) => pair,
            Err(e) => {
                return CheckResult::new(Status::L7Rsp, start.elapsed()).with_info(e.to_string())
            }
        };
        let driver = AbortOnDrop(tokio::spawn(conn));
        let response = match sender.send_request(request).await {
            Ok(r) => r,
            Err(e) => {
                return CheckResult::new(Status::L7Rsp, start.elapsed()).with_info(hyper_text(&e))
            }
        };
        let code = response.status().as_u16();
        let reason = response
            .status()
            .canonical_reason()
            .unwrap_or("")
            .to_owned();
        let result = self.judge(code, &reason, response.into_body(), start).await;
        drop(driver);
        result
    }

    fn request(&self) -> Result<Request<Empty<Bytes>>, hyper::http::Error> {
        let mut b = Request::builder()
            .method(self.method.clone())
            .uri(self.uri.as_str())
            .version(self.version);
        match &self.host {
            Some(h) => b = b.header(hyper::header::HOST, h.as_str()),
            None if self.version == Version::HTTP_11 => {
                b = b.header(hyper::header::HOST, self.addr.to_string())
            }
            None => {}
        }
        for (k, v) in &self.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        b.body(Empty::new())
    }

    async fn judge(
        &self,
        code: u16,
        reason: &str,
        body: hyper::body::Incoming,
        start: Instant,
    ) -> CheckResult {
        let status_fail = || {
            CheckResult::new(Status::L7Sts, start.elapsed())
                .with_code(u32::from(code))
                .with_info(reason)
        };
        let ok = || {
            CheckResult::new(Status::L7Ok, start.elapsed())
                .with_code(u32::from(code))
                .with_info(reason)
        };
        if self.disable_on_404 && code == 404 {
            return CheckResult::new(Status::L7OkCond, start.elapsed())
                .with_code(404)
                .with_info(reason);
        }
        match &self.expect {
            Expect::Default => {
                if (200..400).contains(&code) {
                    ok()
                } else {
                    status_fail()
                }
            }
            Expect::Status(ranges) => {
                if in_ranges(ranges, code) {
                    ok()
                } else {
                    status_fail()
                }
            }
            Expect::String(_) | Expect::Rstring(_) => {
                let head = match read_prefix(body, self.max_body).await {
                    Ok(h) => h,
                    Err(e) => return CheckResult::new(Status::L7Rsp, start.elapsed()).with_info(e),
                };
                let found = match &self.expect {
                    Expect::String(s) => contains(&head, s.as_bytes()),
                    Expect::Rstring(re) => re.is_match(&head),
                    _ => false,
                };
                if found {
                    ok()
                } else {
                    CheckResult::new(Status::L7Rsp, start.elapsed())
                        .with_info("HTTP content check did not match")
                }
            }
            Expect::Digest { md5, status } => {
                let statuses = if status.is_empty() {
                    &[200..=299][..]
                } else {
                    &status[..]
                };
                if !in_ranges(statuses, code) {
                    return status_fail();
                }
                match body_md5(body).await {
                    Ok(got) if &got == md5 => ok(),
                    Ok(got) => CheckResult::new(Status::L7Rsp, start.elapsed())
                        .with_code(u32::from(code))
                        .with_info(format!("MD5 digest mismatch: got {}", hex(&got))),
                    Err(e) => CheckResult::new(Status::L7Rsp, start.elapsed()).with_info(e),
                }
            }
        }
    }
}

const PHASE_CONNECT: u8 = 0;
const PHASE_TLS: u8 = 1;
const PHASE_HTTP: u8 = 2;

/// Aborts the connection task when the check ends, whatever way it ends.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn in_ranges(ranges: &[RangeInclusive<u16>], code: u16) -> bool {
    ranges.iter().any(|r| r.contains(&code))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

fn hyper_text(e: &hyper::Error) -> String {
    use std::error::Error;
    match e.source() {
        Some(s) => format!("{e}: {s}"),
        None => e.to_string(),
    }
}

/// Reads at most `max` bytes of the body, then stops reading.
async fn read_prefix(mut body: hyper::body::Incoming, max: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while out.len() < max {
        match body.frame().await {
            None => break,
            Some(Err(e)) => return Err(hyper_text(&e)),
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    let take = data.len().min(max - out.len());
                    out.extend_from_slice(&data[..take]);
                }
            }
        }
    }
    Ok(out)
}

/// MD5 of the whole body, streamed (constant memory).
async fn body_md5(mut body: hyper::body::Incoming) -> Result<[u8; 16], String> {
    let mut h = Md5::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| hyper_text(&e))?;
        if let Some(data) = frame.data_ref() {
            h.update(data);
        }
    }
    Ok(h.finalize().into())
}

/// Lower-case hex, as keepalived and `genhash` print digests.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Parses a 32-digit hex MD5 (keepalived's `digest` value).
pub fn parse_md5(text: &str) -> Option<[u8; 16]> {
    let text = text.trim();
    if text.len() != 32 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_hex_round_trip() {
        // RFC 1321 test suite: MD5("abc").
        let d: [u8; 16] = Md5::digest(b"abc").into();
        assert_eq!(hex(&d), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(parse_md5("900150983cd24fb0d6963f7d28e17f72"), Some(d));
        assert_eq!(parse_md5("90015"), None);
        assert_eq!(parse_md5("zz0150983cd24fb0d6963f7d28e17f72"), None);
    }

    #[test]
    fn substring() {
        assert!(contains(b"hello world", b"o w"));
        assert!(!contains(b"hello", b"hello!"));
    }
}
