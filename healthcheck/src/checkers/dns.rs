//! DNS check (keepalived `DNS_CHECK`) and the small RFC 1035 codec it needs:
//! one question out, the answer section read back.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;

use super::{io_text, within};
use crate::status::{CheckResult, Status};

/// Largest UDP answer read (RFC 6891 common EDNS size).
const MAX_MESSAGE: usize = 4096;
/// Most compression pointers followed in one name.
const MAX_JUMPS: usize = 32;

/// Query types a check may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryType {
    /// IPv4 address.
    A,
    /// Name server.
    Ns,
    /// Canonical name.
    Cname,
    /// Start of authority.
    Soa,
    /// Pointer.
    Ptr,
    /// Mail exchanger.
    Mx,
    /// Text.
    Txt,
    /// IPv6 address.
    Aaaa,
}

impl QueryType {
    /// The wire value (RFC 1035 §3.2.2, RFC 3596).
    pub fn code(self) -> u16 {
        match self {
            Self::A => 1,
            Self::Ns => 2,
            Self::Cname => 5,
            Self::Soa => 6,
            Self::Ptr => 12,
            Self::Mx => 15,
            Self::Txt => 16,
            Self::Aaaa => 28,
        }
    }

    /// Parses a type name as written in keepalived's `type` keyword.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_uppercase().as_str() {
            "A" => Self::A,
            "NS" => Self::Ns,
            "CNAME" => Self::Cname,
            "SOA" => Self::Soa,
            "PTR" => Self::Ptr,
            "MX" => Self::Mx,
            "TXT" => Self::Txt,
            "AAAA" => Self::Aaaa,
            _ => return None,
        })
    }
}

/// Why a message could not be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    /// A label is empty or longer than 63 bytes, or the name exceeds 255.
    #[error("bad name {0:?}")]
    BadName(String),
    /// The message ends early or a pointer goes out of bounds or loops.
    #[error("malformed message")]
    Malformed,
    /// The answer is not a response to our query.
    #[error("answer does not match the query")]
    Mismatch,
}

/// One answer record, its data as text (addresses, names, strings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Record type.
    pub rtype: u16,
    /// The data: an address, a name (no trailing dot), TXT strings joined,
    /// MX as `preference name`, or hex for other types.
    pub data: String,
}

/// A decoded response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// RCODE (0 is NOERROR).
    pub rcode: u8,
    /// Whether the TC bit was set.
    pub truncated: bool,
    /// The answer section.
    pub answers: Vec<Record>,
}

/// Builds a query with recursion desired for `name` and `qtype`, class IN.
pub fn encode_query(id: u16, name: &str, qtype: QueryType) -> Result<Vec<u8>, DnsError> {
    let mut out = Vec::with_capacity(18 + name.len());
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    encode_name(name, &mut out)?;
    out.extend_from_slice(&qtype.code().to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    Ok(out)
}

fn encode_name(name: &str, out: &mut Vec<u8>) -> Result<(), DnsError> {
    let bad = || DnsError::BadName(name.into());
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    let start = out.len();
    if !trimmed.is_empty() {
        for label in trimmed.split('.') {
            let len = u8::try_from(label.len()).map_err(|_| bad())?;
            if len == 0 || len > 63 {
                return Err(bad());
            }
            out.push(len);
            out.extend_from_slice(label.as_bytes());
        }
    }
    out.push(0);
    if out.len() - start > 255 {
        return Err(bad());
    }
    Ok(())
}

/// Decodes a response to query `id`.
pub fn decode_response(msg: &[u8], id: u16) -> Result<Response, DnsError> {
    let header = msg.get(..12).ok_or(DnsError::Malformed)?;
    let got_id = u16::from_be_bytes([header[0], header[1]]);
    if got_id != id || header[2] & 0x80 == 0 {
        return Err(DnsError::Mismatch);
    }
    let truncated = header[2] & 0x02 != 0;
    let rcode = header[3] & 0x0f;
    let qd = u16::from_be_bytes([header[4], header[5]]);
    let an = u16::from_be_bytes([header[6], header[7]]);
    let mut pos = 12;
    for _ in 0..qd {
        pos = skip_name(msg, pos)?
            .checked_add(4)
            .ok_or(DnsError::Malformed)?;
    }
    let mut answers = Vec::new();
    for _ in 0..an {
        pos = skip_name(msg, pos)?;
        let fixed = msg.get(pos..pos + 10).ok_or(DnsError::Malformed)?;
        let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
        let rdlen = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        let rstart = pos + 10;
        let rdata = msg.get(rstart..rstart + rdlen).ok_or(DnsError::Malformed)?;
        answers.push(Record {
            rtype,
            data: rdata_text(msg, rtype, rstart, rdata)?,
        });
        pos = rstart + rdlen;
    }
    Ok(Response {
        rcode,
        truncated,
        answers,
    })
}

fn rdata_text(msg: &[u8], rtype: u16, start: usize, rdata: &[u8]) -> Result<String, DnsError> {
    Ok(match (rtype, rdata.len()) {
        (1, 4) => Ipv4Addr::new(rdata[0], rdata[1], rdata[2], rdata[3]).to_string(),
        (28, 16) => {
            let mut b = [0u8; 16];
            b.copy_from_slice(rdata);
            Ipv6Addr::from(b).to_string()
        }
        (2 | 5 | 12, _) => read_name(msg, start)?,
        (15, 3..) => format!(
            "{} {}",
            u16::from_be_bytes([rdata[0], rdata[1]]),
            read_name(msg, start + 2)?
        ),
        (16, _) => {
            let mut text = String::new();
            let mut i = 0;
            while let Some(&len) = rdata.get(i) {
                let s = rdata
                    .get(i + 1..i + 1 + usize::from(len))
                    .ok_or(DnsError::Malformed)?;
                text.push_str(&String::from_utf8_lossy(s));
                i += 1 + usize::from(len);
            }
            text
        }
        _ => super::http::hex(rdata),
    })
}

/// Skips a name at `pos`, returning the position after it.
fn skip_name(msg: &[u8], mut pos: usize) -> Result<usize, DnsError> {
    loop {
        let len = *msg.get(pos).ok_or(DnsError::Malformed)?;
        match len {
            0 => return Ok(pos + 1),
            l if l & 0xc0 == 0xc0 => {
                msg.get(pos + 1).ok_or(DnsError::Malformed)?;
                return Ok(pos + 2);
            }
            l if l & 0xc0 == 0 => pos += 1 + usize::from(l),
            _ => return Err(DnsError::Malformed),
        }
    }
}

/// Reads a possibly compressed name at `pos` as dotted text.
fn read_name(msg: &[u8], mut pos: usize) -> Result<String, DnsError> {
    let mut name = String::new();
    let mut jumps = 0;
    loop {
        let len = *msg.get(pos).ok_or(DnsError::Malformed)?;
        if len == 0 {
            return Ok(name);
        }
        if len & 0xc0 == 0xc0 {
            jumps += 1;
            if jumps > MAX_JUMPS {
                return Err(DnsError::Malformed);
            }
            let low = *msg.get(pos + 1).ok_or(DnsError::Malformed)?;
            pos = usize::from(len & 0x3f) << 8 | usize::from(low);
            continue;
        }
        if len & 0xc0 != 0 {
            return Err(DnsError::Malformed);
        }
        let label = msg
            .get(pos + 1..pos + 1 + usize::from(len))
            .ok_or(DnsError::Malformed)?;
        if !name.is_empty() {
            name.push('.');
        }
        name.push_str(&String::from_utf8_lossy(label));
        if name.len() > 255 {
            return Err(DnsError::Malformed);
        }
        pos += 1 + usize::from(len);
    }
}

/// Asks a server one question over UDP; passes on NOERROR with at least one
/// answer of the asked type (and the expected data, if given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsCheck {
    /// Server address.
    pub addr: SocketAddr,
    /// `type` (default A).
    pub qtype: QueryType,
    /// `name` (default the root, as keepalived).
    pub name: String,
    /// Data one answer must carry (an address, a name...).
    pub expect: Option<String>,
    /// Limit for the whole check.
    pub timeout: Duration,
}

impl DnsCheck {
    /// Runs the check.
    pub async fn run(&self) -> CheckResult {
        let start = Instant::now();
        within(start, self.timeout, Status::L7Timeout, self.exchange(start)).await
    }

    async fn exchange(&self, start: Instant) -> CheckResult {
        let fail = |status, info: String| CheckResult::new(status, start.elapsed()).with_info(info);
        let id = query_id(start);
        let query = match encode_query(id, &self.name, self.qtype) {
            Ok(q) => q,
            Err(e) => return fail(Status::SockErr, e.to_string()),
        };
        let local: SocketAddr = match self.addr.ip() {
            IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        };
        let sock = match UdpSocket::bind(local).await {
            Ok(s) => s,
            Err(e) => return fail(Status::SockErr, io_text(&e)),
        };
        if let Err(e) = sock.connect(self.addr).await {
            return fail(Status::L4Con, io_text(&e));
        }
        if let Err(e) = sock.send(&query).await {
            return fail(Status::L4Con, io_text(&e));
        }
        let mut buf = vec![0u8; MAX_MESSAGE];
        loop {
            let n = match sock.recv(&mut buf).await {
                Ok(n) => n,
                Err(e) => return fail(Status::L4Con, io_text(&e)),
            };
            let resp = match decode_response(&buf[..n], id) {
                Ok(r) => r,
                // Not ours (stale or spoofed): keep waiting until the timeout.
                Err(DnsError::Mismatch) => continue,
                Err(e) => return fail(Status::L7Rsp, e.to_string()),
            };
            return self.judge(&resp, start);
        }
    }

    fn judge(&self, resp: &Response, start: Instant) -> CheckResult {
        let elapsed = start.elapsed();
        if resp.rcode != 0 {
            return CheckResult::new(Status::L7Sts, elapsed)
                .with_code(u32::from(resp.rcode))
                .with_info(rcode_name(resp.rcode));
        }
        let mut of_type = resp.answers.iter().filter(|r| r.rtype == self.qtype.code());
        let found = match &self.expect {
            None => of_type.next().map(|r| r.data.clone()),
            Some(want) => {
                let want = want.trim_end_matches('.');
                of_type
                    .find(|r| r.data.eq_ignore_ascii_case(want))
                    .map(|r| r.data.clone())
            }
        };
        match found {
            Some(data) => CheckResult::new(Status::L7Ok, elapsed).with_info(data),
            None => CheckResult::new(Status::L7Rsp, elapsed).with_info("no matching answer"),
        }
    }
}

/// A query id that changes from query to query (loopback health checks
/// do not need unpredictable ids).
fn query_id(start: Instant) -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed) ^ std::process::id();
    let t = start.elapsed().subsec_nanos();
    ((n ^ t) & 0xffff) as u16
}

fn rcode_name(rcode: u8) -> String {
    match rcode {
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED".into(),
        n => format!("RCODE {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 1035 §4.1: header, then QNAME labels, QTYPE, QCLASS.
    #[test]
    fn query_bytes() {
        let q = encode_query(0x1234, "a.bc", QueryType::Aaaa).unwrap_or_default();
        assert_eq!(
            q,
            vec![0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, b'a', 2, b'b', b'c', 0, 0, 28, 0, 1]
        );
        assert!(encode_query(1, "a..b", QueryType::A).is_err());
        assert!(encode_query(1, &"x".repeat(64), QueryType::A).is_err());
        assert_eq!(encode_query(1, ".", QueryType::Ns).map(|q| q.len()), Ok(17));
    }

    /// A hand-built answer with compression pointers back to the question.
    #[test]
    fn decode_answers() {
        let mut m = encode_query(7, "ex.org", QueryType::A).unwrap_or_default();
        m[2] = 0x81; // QR + RD
        m[3] = 0x80; // RA, NOERROR
        m[7] = 3; // ANCOUNT
                  // A 192.0.2.1, name = pointer to offset 12
        m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
        // CNAME www.<ptr 12>
        m.extend_from_slice(&[
            0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3, b'w', b'w', b'w', 0xc0, 12,
        ]);
        // TXT "hi" "yo"
        m.extend_from_slice(&[
            0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 6, 2, b'h', b'i', 2, b'y', b'o',
        ]);
        let r = decode_response(&m, 7);
        let r = r.unwrap_or(Response {
            rcode: 99,
            truncated: false,
            answers: vec![],
        });
        assert_eq!(r.rcode, 0);
        let data: Vec<_> = r
            .answers
            .iter()
            .map(|a| (a.rtype, a.data.as_str()))
            .collect();
        assert_eq!(
            data,
            vec![(1, "192.0.2.1"), (5, "www.ex.org"), (16, "hiyo")]
        );
        assert_eq!(decode_response(&m, 8), Err(DnsError::Mismatch));
    }

    #[test]
    fn decode_rejects_garbage_and_loops() {
        assert_eq!(decode_response(&[0; 5], 0), Err(DnsError::Malformed));
        let mut m = vec![0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        // answer whose CNAME points at itself
        m.extend_from_slice(&[0, 0, 5, 0, 1, 0, 0, 0, 0, 0, 2, 0xc0, 23]);
        assert_eq!(decode_response(&m, 1), Err(DnsError::Malformed));
        let truncated = [0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(decode_response(&truncated, 1), Err(DnsError::Malformed));
    }
}
