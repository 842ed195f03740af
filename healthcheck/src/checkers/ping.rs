//! ICMP echo check (keepalived `PING_CHECK`), IPv4 and IPv6, over an
//! unprivileged ping socket (`SOCK_DGRAM`, `IPPROTO_ICMP[V6]`; allowed for
//! groups in `/proc/sys/net/ipv4/ping_group_range`) or, failing that, a
//! raw socket (needs `CAP_NET_RAW`).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

use super::{io_text, within};
use crate::status::{CheckResult, Status};

/// Largest datagram read.
const MAX_REPLY: usize = 1500;

/// Sends one echo request and waits for the matching reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingCheck {
    /// Target.
    pub addr: IpAddr,
    /// Bytes of payload after the ICMP header.
    pub payload_len: usize,
    /// Limit for the whole check.
    pub timeout: Duration,
}

/// Which kind of socket carried the echo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dgram,
    Raw,
}

impl PingCheck {
    /// A 56-byte ping, as ping(8) sends by default.
    pub fn new(addr: IpAddr, timeout: Duration) -> Self {
        Self {
            addr,
            payload_len: 56,
            timeout,
        }
    }

    /// Runs the check.
    pub async fn run(&self) -> CheckResult {
        let start = Instant::now();
        within(start, self.timeout, Status::L4Timeout, self.echo(start)).await
    }

    async fn echo(&self, start: Instant) -> CheckResult {
        let fail = |status, info: String| CheckResult::new(status, start.elapsed()).with_info(info);
        let (sock, kind) = match open(self.addr) {
            Ok(s) => s,
            Err(e) => return fail(Status::SockErr, io_text(&e)),
        };
        // A ping or raw socket is driven like a UDP socket: datagrams in
        // and out, no stream state.
        let fd = match UdpSocket::from_std(std::net::UdpSocket::from(sock)) {
            Ok(f) => f,
            Err(e) => return fail(Status::SockErr, io_text(&e)),
        };
        let v6 = self.addr.is_ipv6();
        let ident = (std::process::id() & 0xffff) as u16;
        let seq = next_seq();
        let packet = echo_request(v6, ident, seq, self.payload_len.min(MAX_REPLY - 64));
        let dest = SocketAddr::new(self.addr, 0);
        if let Err(e) = fd.send_to(&packet, dest).await {
            return fail(Status::L4Con, io_text(&e));
        }
        let mut buf = [0u8; MAX_REPLY];
        loop {
            let n = match fd.recv_from(&mut buf).await {
                Ok((n, _)) => n,
                Err(e) => return fail(Status::L4Con, io_text(&e)),
            };
            let bytes = &buf[..n];
            let icmp = match (kind, v6) {
                // Raw IPv4 sockets deliver the IP header too.
                (Kind::Raw, false) => {
                    let ihl = usize::from(bytes.first().map_or(0, |b| b & 0x0f)) * 4;
                    bytes.get(ihl..).unwrap_or(&[])
                }
                _ => bytes,
            };
            match classify(icmp, v6, kind, ident, seq) {
                Reply::Echo => return CheckResult::new(Status::L4Ok, start.elapsed()),
                Reply::Unreachable => return fail(Status::L4Con, "destination unreachable".into()),
                Reply::Other => continue,
            }
        }
    }
}

/// Opens a ping socket, or a raw one when ping sockets are not allowed.
fn open(addr: IpAddr) -> io::Result<(Socket, Kind)> {
    let (domain, proto) = match addr {
        IpAddr::V4(_) => (Domain::IPV4, Protocol::ICMPV4),
        IpAddr::V6(_) => (Domain::IPV6, Protocol::ICMPV6),
    };
    let (sock, kind) = match Socket::new(domain, Type::DGRAM, Some(proto)) {
        Ok(s) => (s, Kind::Dgram),
        Err(dgram_err) => match Socket::new(domain, Type::RAW, Some(proto)) {
            Ok(s) => (s, Kind::Raw),
            Err(_) => return Err(dgram_err),
        },
    };
    sock.set_nonblocking(true)?;
    Ok((sock, kind))
}

fn next_seq() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static SEQ: AtomicU16 = AtomicU16::new(1);
    SEQ.fetch_add(1, Ordering::Relaxed)
}

/// Type 8 (IPv4) or 128 (IPv6) echo request. The checksum is computed for
/// IPv4; for IPv6 the kernel fills it in (it covers a pseudo-header).
fn echo_request(v6: bool, ident: u16, seq: u16, payload_len: usize) -> Vec<u8> {
    let mut p = vec![if v6 { 128 } else { 8 }, 0, 0, 0];
    p.extend_from_slice(&ident.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend((0..payload_len).map(|i| (i & 0xff) as u8));
    if !v6 {
        let sum = checksum(&p);
        p[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    p
}

/// RFC 1071 Internet checksum.
fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for chunk in data.chunks(2) {
        let word = match chunk {
            [a, b] => u16::from_be_bytes([*a, *b]),
            [a] => u16::from_be_bytes([*a, 0]),
            _ => 0,
        };
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

enum Reply {
    Echo,
    Unreachable,
    Other,
}

/// Recognises our echo reply (0 / 129) or an unreachable (3 / 1). Ping
/// sockets rewrite the identifier, so it is only compared on raw sockets.
fn classify(icmp: &[u8], v6: bool, kind: Kind, ident: u16, seq: u16) -> Reply {
    let (Some(&t), Some(id), Some(sq)) = (icmp.first(), icmp.get(4..6), icmp.get(6..8)) else {
        return Reply::Other;
    };
    let (echo_reply, unreachable) = if v6 { (129, 1) } else { (0, 3) };
    if t == unreachable {
        return Reply::Unreachable;
    }
    let id_ok = kind == Kind::Dgram || id == ident.to_be_bytes();
    if t == echo_reply && id_ok && sq == seq.to_be_bytes() {
        Reply::Echo
    } else {
        Reply::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1071 §3 example words: 0001 f203 f4f5 f6f7 sum to ddf2, so the
    /// checksum is its complement 220d.
    #[test]
    fn internet_checksum() {
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0x220d
        );
        let p = echo_request(false, 0x1234, 1, 5);
        assert_eq!(checksum(&p), 0, "a packet with its checksum sums to zero");
        assert_eq!(&p[..2], &[8, 0]);
        assert_eq!(echo_request(true, 1, 1, 0)[0], 128);
    }

    #[test]
    fn classify_replies() {
        let reply = [0u8, 0, 0, 0, 0x12, 0x34, 0, 7];
        assert!(matches!(
            classify(&reply, false, Kind::Raw, 0x1234, 7),
            Reply::Echo
        ));
        assert!(matches!(
            classify(&reply, false, Kind::Raw, 0x1235, 7),
            Reply::Other
        ));
        assert!(matches!(
            classify(&reply, false, Kind::Dgram, 0x1, 7),
            Reply::Echo
        ));
        assert!(matches!(
            classify(&reply, false, Kind::Dgram, 0x1, 8),
            Reply::Other
        ));
        assert!(matches!(
            classify(&[3, 1, 0, 0, 0, 0, 0, 0], false, Kind::Dgram, 1, 1),
            Reply::Unreachable
        ));
        assert!(matches!(
            classify(&[0, 0], false, Kind::Dgram, 1, 1),
            Reply::Other
        ));
    }
}
