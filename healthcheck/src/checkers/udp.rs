//! UDP check (keepalived `UDP_CHECK`): send a payload; an ICMP
//! port-unreachable fails the check; an expected reply may be required.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;

use super::io_text;
use crate::status::{CheckResult, Status};

/// Largest reply read.
const MAX_REPLY: usize = 2048;

/// A UDP check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpCheck {
    /// Server address.
    pub addr: SocketAddr,
    /// Local address to bind.
    pub bind: Option<SocketAddr>,
    /// Datagram sent (`payload`).
    pub payload: Vec<u8>,
    /// `require_reply`: the reply must begin with these bytes. Without it,
    /// silence until the timeout passes (no ICMP error came back).
    pub expect: Option<Vec<u8>>,
    /// Limit for the whole check.
    pub timeout: Duration,
}

impl UdpCheck {
    /// Runs the check. On a connected socket Linux reports an ICMP port
    /// unreachable as `ECONNREFUSED` on the next receive.
    pub async fn run(&self) -> CheckResult {
        let start = Instant::now();
        let fail = |status, info: String| CheckResult::new(status, start.elapsed()).with_info(info);
        let local = self.bind.unwrap_or(match self.addr.ip() {
            IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        });
        let sock = match UdpSocket::bind(local).await {
            Ok(s) => s,
            Err(e) => return fail(Status::SockErr, io_text(&e)),
        };
        if let Err(e) = sock.connect(self.addr).await {
            return fail(Status::L4Con, io_text(&e));
        }
        if let Err(e) = sock.send(&self.payload).await {
            return fail(Status::L4Con, io_text(&e));
        }
        let mut buf = vec![0u8; MAX_REPLY];
        match tokio::time::timeout(self.timeout, sock.recv(&mut buf)).await {
            Err(_) => match self.expect {
                None => CheckResult::new(Status::L4Ok, start.elapsed()).with_info("no ICMP error"),
                Some(_) => fail(Status::L7Timeout, "no reply".into()),
            },
            Ok(Err(e)) => fail(Status::L4Con, io_text(&e)),
            Ok(Ok(n)) => match &self.expect {
                Some(want) if !buf[..n].starts_with(want) => {
                    fail(Status::L7Rsp, "unexpected reply".into())
                }
                _ => CheckResult::new(Status::L7Ok, start.elapsed()),
            },
        }
    }
}
