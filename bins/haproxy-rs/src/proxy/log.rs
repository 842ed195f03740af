//! Traffic logs as HAProxy writes them: `option tcplog` and `option
//! httplog` lines, field by field, sent as RFC 3164 syslog datagrams to UDP
//! targets and unix datagram sockets (`/dev/log`).
//!
//! Dates are written in UTC (HAProxy uses the local time zone; on a server
//! set to UTC they agree).

use super::config::{LogAddr, LogFormat, LogSettings};
use super::error::Error;
use std::fmt::Write as _;
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Syslog severity of traffic logs (`info`).
const INFO: u8 = 6;

/// An opened log destination.
#[derive(Debug)]
enum Sink {
    Udp(UdpSocket, SocketAddr),
    Unix(UnixDatagram, std::path::PathBuf),
}

/// Where and how a proxy logs.
#[derive(Debug)]
pub(crate) struct Logger {
    sinks: Vec<(Sink, u8, u8)>,
    /// The format of traffic lines.
    pub(crate) format: LogFormat,
    /// `option dontlognull`.
    pub(crate) dontlognull: bool,
}

impl Logger {
    /// Opens the sockets of a proxy's log settings (none when it logs
    /// nothing).
    pub(crate) fn open(settings: &LogSettings) -> Result<Option<Logger>, Error> {
        if settings.targets.is_empty() || settings.format == LogFormat::None {
            return Ok(None);
        }
        let mut sinks = Vec::new();
        for t in &settings.targets {
            let err = |source| Error::Log {
                target: format!("{:?}", t.addr),
                source,
            };
            let sink = match &t.addr {
                LogAddr::Udp(addr) => {
                    let local: SocketAddr = if addr.is_ipv4() {
                        ([0, 0, 0, 0], 0).into()
                    } else {
                        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
                    };
                    let s = UdpSocket::bind(local).map_err(err)?;
                    s.set_nonblocking(true).map_err(err)?;
                    Sink::Udp(s, *addr)
                }
                LogAddr::Unix(path) => {
                    let s = UnixDatagram::unbound().map_err(err)?;
                    s.set_nonblocking(true).map_err(err)?;
                    Sink::Unix(s, path.clone())
                }
            };
            sinks.push((sink, t.facility, t.level));
        }
        Ok(Some(Logger {
            sinks,
            format: settings.format,
            dontlognull: settings.dontlognull,
        }))
    }

    /// Sends one traffic line to every target whose level admits `info`.
    /// A full or absent receiver loses the line, never blocks the proxy.
    pub(crate) fn send(&self, line: &str) {
        let stamp = syslog_stamp(SystemTime::now());
        let pid = std::process::id();
        for (sink, facility, level) in &self.sinks {
            if *level < INFO {
                continue;
            }
            let pri = u16::from(*facility) * 8 + u16::from(INFO);
            let msg = format!("<{pri}>{stamp} haproxy[{pid}]: {line}\n");
            let _ = match sink {
                Sink::Udp(s, addr) => s.send_to(msg.as_bytes(), addr).map(|_| ()),
                Sink::Unix(s, path) => s.send_to(msg.as_bytes(), path).map(|_| ()),
            };
        }
    }
}

/// Days since 1970-01-01 to (year, month 1-12, day 1-31), proleptic
/// Gregorian (Howard Hinnant's civil-from-days).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

struct Parts {
    year: i64,
    month: &'static str,
    day: u32,
    h: u64,
    m: u64,
    s: u64,
    ms: u32,
}

fn parts(t: SystemTime) -> Parts {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = since.as_secs();
    let (year, month, day) = civil(i64::try_from(secs / 86_400).unwrap_or(0));
    let rem = secs % 86_400;
    Parts {
        year,
        month: MONTHS[(month as usize).saturating_sub(1) % 12],
        day,
        h: rem / 3600,
        m: rem % 3600 / 60,
        s: rem % 60,
        ms: since.subsec_millis(),
    }
}

/// `Nov 25 15:40:00`: the RFC 3164 timestamp (day padded with a space).
fn syslog_stamp(t: SystemTime) -> String {
    let p = parts(t);
    format!("{} {:>2} {:02}:{:02}:{:02}", p.month, p.day, p.h, p.m, p.s)
}

/// `25/Nov/2026:15:40:00.123`: HAProxy's accept date (`%t`, `%tr`).
pub(crate) fn haproxy_date(t: SystemTime) -> String {
    let p = parts(t);
    format!(
        "{:02}/{}/{}:{:02}:{:02}:{:02}.{:03}",
        p.day, p.month, p.year, p.h, p.m, p.s, p.ms
    )
}

/// A duration in milliseconds as HAProxy logs timers, `-1` when the step
/// was never reached.
pub(crate) fn ms(d: Option<Duration>) -> String {
    match d {
        Some(d) => d.as_millis().to_string(),
        None => "-1".to_owned(),
    }
}

/// The connection counters at log time.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counters {
    /// `%ac`: connections on the whole process.
    pub(crate) ac: u32,
    /// `%fc`: connections on the frontend.
    pub(crate) fc: u32,
    /// `%bc`: connections on the backend.
    pub(crate) bc: u32,
    /// `%sc`: connections on the server.
    pub(crate) sc: u32,
    /// `%rc`: connection retries.
    pub(crate) rc: u32,
    /// `%sq`: requests queued on the server.
    pub(crate) sq: u32,
    /// `%bq`: requests queued on the backend.
    pub(crate) bq: u32,
}

impl Counters {
    fn write(&self, out: &mut String) {
        let _ = write!(
            out,
            "{}/{}/{}/{}/{} {}/{}",
            self.ac, self.fc, self.bc, self.sc, self.rc, self.sq, self.bq
        );
    }
}

/// Everything a `tcplog` line holds.
#[derive(Clone, Debug)]
pub(crate) struct TcpLine<'a> {
    /// Client address.
    pub(crate) client: SocketAddr,
    /// Accept date.
    pub(crate) accepted: SystemTime,
    /// Frontend name (`~` appended for TLS).
    pub(crate) frontend: &'a str,
    /// Backend name.
    pub(crate) backend: &'a str,
    /// Server name, `<NOSRV>` when none was reached.
    pub(crate) server: &'a str,
    /// `%Tw`, `%Tc`, `%Tt`.
    pub(crate) tw: Option<Duration>,
    /// Connect time.
    pub(crate) tc: Option<Duration>,
    /// Total time.
    pub(crate) tt: Duration,
    /// `%B`: bytes sent to the client.
    pub(crate) bytes: u64,
    /// `%ts`: two-character termination state.
    pub(crate) ts: [char; 2],
    /// Counters.
    pub(crate) counters: Counters,
}

impl TcpLine<'_> {
    /// `%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq`
    pub(crate) fn render(&self) -> String {
        let mut out = format!(
            "{}:{} [{}] {} {}/{} {}/{}/{} {} {}{} ",
            self.client.ip().to_canonical(),
            self.client.port(),
            haproxy_date(self.accepted),
            self.frontend,
            self.backend,
            self.server,
            ms(self.tw),
            ms(self.tc),
            self.tt.as_millis(),
            self.bytes,
            self.ts[0],
            self.ts[1],
        );
        self.counters.write(&mut out);
        out
    }
}

/// Everything an `httplog` line holds.
#[derive(Clone, Debug)]
pub(crate) struct HttpLine<'a> {
    /// Client address.
    pub(crate) client: SocketAddr,
    /// Date the request started (`%tr`).
    pub(crate) started: SystemTime,
    /// Frontend name (`~` appended for TLS).
    pub(crate) frontend: &'a str,
    /// Backend name (the frontend's own name when none was chosen).
    pub(crate) backend: &'a str,
    /// Server name, `<NOSRV>` when none.
    pub(crate) server: &'a str,
    /// `%TR`: time to receive the request headers.
    pub(crate) treq: Option<Duration>,
    /// `%Tw`: time queued.
    pub(crate) tw: Option<Duration>,
    /// `%Tc`: time to connect.
    pub(crate) tc: Option<Duration>,
    /// `%Tr`: server response time.
    pub(crate) tr: Option<Duration>,
    /// `%Ta`: active time of the request.
    pub(crate) ta: Duration,
    /// `%ST`: status code.
    pub(crate) status: u16,
    /// `%B`: bytes sent to the client.
    pub(crate) bytes: u64,
    /// `%tsc`: first two termination-state characters (cookie flags are
    /// always `--`).
    pub(crate) ts: [char; 2],
    /// Counters.
    pub(crate) counters: Counters,
    /// The request line, `METHOD URI VERSION`.
    pub(crate) request: &'a str,
}

impl HttpLine<'_> {
    /// `%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc
    /// %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r` (no captured headers:
    /// `%hr %hs` are empty and take no room).
    pub(crate) fn render(&self) -> String {
        let mut out = format!(
            "{}:{} [{}] {} {}/{} {}/{}/{}/{}/{} {} {} - - {}{}-- ",
            self.client.ip().to_canonical(),
            self.client.port(),
            haproxy_date(self.started),
            self.frontend,
            self.backend,
            self.server,
            ms(self.treq),
            ms(self.tw),
            ms(self.tc),
            ms(self.tr),
            self.ta.as_millis(),
            self.status,
            self.bytes,
            self.ts[0],
            self.ts[1],
        );
        self.counters.write(&mut out);
        out.push_str(" \"");
        // `+Q`: quoted, with quotes and control characters escaped.
        for c in self.request.chars() {
            match c {
                '"' => out.push_str("#22"),
                c if c.is_control() => {
                    let _ = write!(out, "#{:02X}", u32::from(c));
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_haproxy_and_syslog_write_them() {
        // 2026-11-25 15:40:07.089 UTC.
        let t = UNIX_EPOCH + Duration::from_millis(1_795_621_207_089);
        assert_eq!(haproxy_date(t), "25/Nov/2026:15:40:07.089");
        assert_eq!(syslog_stamp(t), "Nov 25 15:40:07");
        let feb = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(syslog_stamp(feb), "Feb 29 00:00:00");
    }

    #[test]
    fn tcplog_field_order() {
        let line = TcpLine {
            client: "192.0.2.7:40000".parse().unwrap_or_else(|_| unreachable!()),
            accepted: UNIX_EPOCH + Duration::from_millis(1_795_621_207_089),
            frontend: "main",
            backend: "app",
            server: "s1",
            tw: Some(Duration::ZERO),
            tc: Some(Duration::from_millis(1)),
            tt: Duration::from_millis(5007),
            bytes: 212,
            ts: ['-', '-'],
            counters: Counters {
                ac: 1,
                fc: 1,
                bc: 1,
                sc: 1,
                ..Counters::default()
            },
        };
        assert_eq!(
            line.render(),
            "192.0.2.7:40000 [25/Nov/2026:15:40:07.089] main app/s1 0/1/5007 212 -- 1/1/1/1/0 0/0"
        );
    }

    #[test]
    fn httplog_field_order() {
        let line = HttpLine {
            client: "192.0.2.7:40000".parse().unwrap_or_else(|_| unreachable!()),
            started: UNIX_EPOCH + Duration::from_millis(1_795_621_207_089),
            frontend: "fe",
            backend: "app",
            server: "<NOSRV>",
            treq: Some(Duration::ZERO),
            tw: None,
            tc: None,
            tr: None,
            ta: Duration::from_millis(3),
            status: 403,
            bytes: 192,
            ts: ['P', 'R'],
            counters: Counters::default(),
            request: "GET /a\"b HTTP/1.1",
        };
        assert_eq!(
            line.render(),
            "192.0.2.7:40000 [25/Nov/2026:15:40:07.089] fe app/<NOSRV> 0/-1/-1/-1/3 403 192 - - PR-- 0/0/0/0/0 0/0 \"GET /a#22b HTTP/1.1\""
        );
    }
}
