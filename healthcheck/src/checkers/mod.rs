//! Async checkers: each runs one check against a server and returns a
//! [`CheckResult`] with a HAProxy-style status. Every check is bounded in
//! time (its `timeout`) and in memory (reads stop at fixed limits).

use std::future::Future;
use std::io;
use std::time::{Duration, Instant};

use crate::status::{CheckResult, Status};

pub mod agent;
pub mod dns;
pub mod file;
pub mod http;
pub mod misc;
pub mod ping;
pub mod smtp;
pub mod tcp;
pub mod tls;
pub mod udp;

/// Any of the checks, for callers (like the scheduler) that hold a mix.
#[derive(Debug, Clone)]
pub enum Check {
    /// TCP connect.
    Tcp(tcp::TcpCheck),
    /// HTTP or HTTPS request (boxed: it is several times the size of the
    /// others, and every configured check pays for the largest variant).
    Http(Box<http::HttpCheck>),
    /// SMTP greeting and HELO.
    Smtp(smtp::SmtpCheck),
    /// External program.
    Misc(misc::MiscCheck),
    /// DNS query.
    Dns(dns::DnsCheck),
    /// UDP payload and reply.
    Udp(udp::UdpCheck),
    /// ICMP echo.
    Ping(ping::PingCheck),
    /// Weight from a file.
    File(file::FileCheck),
    /// HAProxy agent.
    Agent(agent::AgentCheck),
}

/// A check's result with what some checks add: a weight (`misc_dynamic`,
/// `FILE_CHECK`) or an agent's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Passed or failed, and why.
    pub result: CheckResult,
    /// A new weight for the server.
    pub weight: Option<u32>,
    /// An agent's parsed reply.
    pub agent: Option<crate::haproxy::AgentReply>,
}

impl From<CheckResult> for Outcome {
    fn from(result: CheckResult) -> Self {
        Self {
            result,
            weight: None,
            agent: None,
        }
    }
}

impl Check {
    /// Runs the check once.
    pub async fn run(&self) -> Outcome {
        match self {
            Self::Tcp(c) => c.run().await.into(),
            Self::Http(c) => c.run().await.into(),
            Self::Smtp(c) => c.run().await.into(),
            Self::Misc(c) => {
                let o = c.run().await;
                Outcome {
                    result: o.result,
                    weight: o.weight,
                    agent: None,
                }
            }
            Self::Dns(c) => c.run().await.into(),
            Self::Udp(c) => c.run().await.into(),
            Self::Ping(c) => c.run().await.into(),
            Self::File(c) => {
                let o = c.run().await;
                Outcome {
                    result: o.result,
                    weight: o.weight,
                    agent: None,
                }
            }
            Self::Agent(c) => {
                let o = c.run().await;
                Outcome {
                    result: o.result,
                    weight: None,
                    agent: o.reply,
                }
            }
        }
    }
}

/// Runs `fut` until `deadline`; on expiry returns a result with `status`
/// and the info text `timeout`.
pub(crate) async fn within<F>(
    start: Instant,
    timeout: Duration,
    status: Status,
    fut: F,
) -> CheckResult
where
    F: Future<Output = CheckResult>,
{
    match tokio::time::timeout(timeout, fut).await {
        Ok(r) => r,
        Err(_) => CheckResult::new(status, start.elapsed()).with_info("timeout"),
    }
}

/// A failed-connection result with the error described as HAProxy does
/// ("Connection refused").
pub(crate) fn connect_error(start: Instant, err: &io::Error) -> CheckResult {
    let status = if err.kind() == io::ErrorKind::TimedOut {
        Status::L4Timeout
    } else {
        Status::L4Con
    };
    CheckResult::new(status, start.elapsed()).with_info(io_text(err))
}

/// The short text of an I/O error, without the "(os error N)" suffix.
pub(crate) fn io_text(err: &io::Error) -> String {
    let s = err.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// Reads one line ending in `\n` from `r`, at most `max` bytes; longer
/// lines are an error.
pub(crate) async fn read_line<R>(r: &mut R, buf: &mut Vec<u8>, max: usize) -> io::Result<String>
where
    R: tokio::io::AsyncBufRead + Unpin,
{
    use tokio::io::AsyncBufReadExt;
    buf.clear();
    loop {
        let avail = r.fill_buf().await?;
        if avail.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        let (take, done) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        if buf.len() + take > max {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
        }
        buf.extend_from_slice(&avail[..take]);
        r.consume(take);
        if done {
            return Ok(String::from_utf8_lossy(buf)
                .trim_end_matches(['\r', '\n'])
                .to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_text_strips_os_error() {
        let e = io::Error::from_raw_os_error(111);
        assert_eq!(io_text(&e), "Connection refused");
    }

    #[tokio::test]
    async fn read_line_bounds() {
        let mut data: &[u8] = b"220 hello\r\nrest";
        let mut r = tokio::io::BufReader::new(&mut data);
        let mut buf = Vec::new();
        assert_eq!(
            read_line(&mut r, &mut buf, 64).await.ok().as_deref(),
            Some("220 hello")
        );
        let mut long: &[u8] = &[b'a'; 100];
        let mut r = tokio::io::BufReader::new(&mut long);
        assert!(read_line(&mut r, &mut buf, 64).await.is_err());
    }
}
