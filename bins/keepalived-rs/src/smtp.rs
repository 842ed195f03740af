//! SMTP alerts (`smtp_alert`): a mail to every `notification_email` on a
//! state change, with keepalived 2.2.7's subject, headers and body
//! (`smtp_alert()` and its command table in `core/smtp.c`).
//!
//! The client is the small dialogue keepalived has: greeting 220, `HELO`
//! 250, `MAIL FROM` 250, one `RCPT TO` 250 per recipient, `DATA` 354, the
//! message 250, `QUIT` 221. Connecting and each reply are bounded by
//! `smtp_connect_timeout`.

use crate::settings::Smtp;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Longest reply line read (keepalived's buffer is 1 KiB).
const MAX_REPLY_LINE: usize = 1024;

/// Lines of a multi-line reply read before giving up.
const MAX_REPLY_LINES: usize = 64;

/// What went wrong sending a mail.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SmtpError {
    /// Connecting, reading or writing failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The server took longer than `smtp_connect_timeout`.
    #[error("timed out")]
    Timeout,
    /// The server answered a command with another code.
    #[error("{command}: expected {expected}, got {got:?}")]
    Refused {
        /// The command (`HELO`, `MAIL`, ...).
        command: &'static str,
        /// The code expected.
        expected: u16,
        /// The reply line received.
        got: String,
    },
}

/// One alert: subject and body as keepalived words them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Alert {
    /// `[ROUTER_ID] VRRP Instance NAME - Entering MASTER state`.
    pub(crate) subject: String,
    /// `=> VRRP Instance is now owning VRRP VIPs <=`.
    pub(crate) body: String,
}

/// The alert for an instance entering `state` (MASTER, BACKUP, FAULT,
/// STOP), keepalived's `send_instance_notifies()` wording; `None` for
/// other states.
pub(crate) fn instance_alert(router_id: &str, name: &str, state: &str) -> Option<Alert> {
    let (what, body) = match state {
        "MASTER" => (
            "Entering MASTER state",
            "=> VRRP Instance is now owning VRRP VIPs <=",
        ),
        "BACKUP" => (
            "Entering BACKUP state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        "FAULT" => (
            "Entering FAULT state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        "STOP" => ("Stopping", "=> VRRP Instance stopping <="),
        _ => return None,
    };
    Some(Alert {
        subject: format!("[{router_id}] VRRP Instance {name} - {what}"),
        body: body.to_owned(),
    })
}

/// The alert for a sync group entering `state`.
pub(crate) fn group_alert(router_id: &str, name: &str, state: &str) -> Option<Alert> {
    let (what, body) = match state {
        "MASTER" => (
            "Entering MASTER state",
            "=> All VRRP group instances are now in MASTER state <=",
        ),
        "BACKUP" => (
            "Entering BACKUP state",
            "=> All VRRP group instances are now in BACKUP state <=",
        ),
        "FAULT" => (
            "Entering FAULT state",
            "=> All VRRP group instances are now in FAULT state <=",
        ),
        "STOP" => (
            "Stopping",
            "=> All VRRP group instances are now stopping <=",
        ),
        _ => return None,
    };
    Some(Alert {
        subject: format!("[{router_id}] VRRP Group {name} - {what}"),
        body: body.to_owned(),
    })
}

/// The DATA part: keepalived's headers, the body, the final dot.
pub(crate) fn message(smtp: &Smtp, alert: &Alert, date: &str) -> String {
    let mut body = String::new();
    for line in alert.body.lines() {
        // Dot-stuffing (RFC 5321 §4.5.2).
        if line.starts_with('.') {
            body.push('.');
        }
        body.push_str(line);
        body.push_str("\r\n");
    }
    format!(
        "Date: {date}\r\nFrom: {}\r\nSubject: {}\r\nX-Mailer: Keepalived\r\nTo: {}\r\n\r\n{body}\r\n.\r\n",
        smtp.from,
        alert.subject,
        smtp.to.join(", ")
    )
}

/// Sends `alert` to every recipient through `smtp`'s server.
pub(crate) async fn send(smtp: &Smtp, alert: &Alert) -> Result<(), SmtpError> {
    let limit = smtp.connect_timeout;
    let stream = within(limit, TcpStream::connect((smtp.host.as_str(), smtp.port))).await??;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    expect(&mut read, limit, "connect", 220).await?;
    let mut steps: Vec<(String, &'static str, u16)> = vec![
        (format!("HELO {}\r\n", smtp.helo), "HELO", 250),
        (format!("MAIL FROM:<{}>\r\n", smtp.from), "MAIL", 250),
    ];
    for to in &smtp.to {
        steps.push((format!("RCPT TO:<{to}>\r\n"), "RCPT", 250));
    }
    steps.push(("DATA\r\n".to_owned(), "DATA", 354));
    steps.push((message(smtp, alert, &rfc822_now()), "message", 250));
    steps.push(("QUIT\r\n".to_owned(), "QUIT", 221));
    for (text, name, code) in steps {
        within(limit, write.write_all(text.as_bytes())).await??;
        expect(&mut read, limit, name, code).await?;
    }
    Ok(())
}

/// Runs `f` for at most `limit`.
async fn within<T>(
    limit: Duration,
    f: impl std::future::Future<Output = T>,
) -> Result<T, SmtpError> {
    tokio::time::timeout(limit, f)
        .await
        .map_err(|_| SmtpError::Timeout)
}

/// Reads one reply (all its lines) and checks its code.
async fn expect<R: tokio::io::AsyncBufRead + Unpin>(
    read: &mut R,
    limit: Duration,
    command: &'static str,
    expected: u16,
) -> Result<(), SmtpError> {
    for _ in 0..MAX_REPLY_LINES {
        let mut line = String::new();
        let mut limited = (&mut *read).take(MAX_REPLY_LINE as u64);
        let n = within(limit, limited.read_line(&mut line)).await??;
        if n == 0 {
            return Err(SmtpError::Refused {
                command,
                expected,
                got: "connection closed".to_owned(),
            });
        }
        // "250-..." continues, "250 ..." ends the reply.
        if line.as_bytes().get(3) == Some(&b'-') {
            continue;
        }
        let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
        if code == Some(expected) {
            return Ok(());
        }
        return Err(SmtpError::Refused {
            command,
            expected,
            got: line.trim_end().to_owned(),
        });
    }
    Err(SmtpError::Refused {
        command,
        expected,
        got: "too many reply lines".to_owned(),
    })
}

/// Now as an RFC 822 date, in UTC: `Wed, 25 Nov 2026 17:41:15 +0000`.
fn rfc822_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc822(secs)
}

/// Seconds since the epoch as an RFC 822 date in UTC.
fn rfc822(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil(days);
    let weekday = DAYS.get((days % 7) as usize).copied().unwrap_or("Thu");
    let month = MONTHS
        .get(m.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("Jan");
    format!(
        "{weekday}, {d:02} {month} {y} {:02}:{:02}:{:02} +0000",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Year, month (1-12) and day of the `days`th day after 1970-01-01
/// (Howard Hinnant's days-to-civil algorithm).
fn civil(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc_822() {
        assert_eq!(rfc822(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        // 2026-11-25 17:41:15 UTC (the day keepalived's dump was taken).
        assert_eq!(rfc822(1_795_628_475), "Wed, 25 Nov 2026 17:41:15 +0000");
        // A leap day.
        assert_eq!(rfc822(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn wording_is_keepalived_s() {
        let a = instance_alert("lb1", "VI_1", "MASTER").unwrap();
        assert_eq!(
            a.subject,
            "[lb1] VRRP Instance VI_1 - Entering MASTER state"
        );
        assert_eq!(a.body, "=> VRRP Instance is now owning VRRP VIPs <=");
        let g = group_alert("lb1", "VG1", "BACKUP").unwrap();
        assert_eq!(g.subject, "[lb1] VRRP Group VG1 - Entering BACKUP state");
        assert!(instance_alert("lb1", "VI_1", "INIT").is_none());
        let smtp = Smtp {
            host: "127.0.0.1".to_owned(),
            port: 25,
            helo: "lb1".to_owned(),
            from: "lb1@example.com".to_owned(),
            to: vec!["a@example.com".to_owned(), "b@example.com".to_owned()],
            connect_timeout: Duration::from_secs(1),
        };
        assert_eq!(
            message(&smtp, &a, "Thu, 01 Jan 1970 00:00:00 +0000"),
            "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\nFrom: lb1@example.com\r\n\
             Subject: [lb1] VRRP Instance VI_1 - Entering MASTER state\r\n\
             X-Mailer: Keepalived\r\nTo: a@example.com, b@example.com\r\n\r\n\
             => VRRP Instance is now owning VRRP VIPs <=\r\n\r\n.\r\n"
        );
    }
}
