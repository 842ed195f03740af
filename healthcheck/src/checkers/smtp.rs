//! SMTP check (keepalived `SMTP_CHECK`): greeting 220, `HELO`, reply 250,
//! then `QUIT`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncWriteExt, BufReader};

use super::tcp::{abort, connect};
use super::{connect_error, io_text, read_line, within};
use crate::status::{CheckResult, Status};

/// RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets.
const MAX_LINE: usize = 512;
/// Most lines accepted in one multi-line reply.
const MAX_LINES: usize = 32;

/// An SMTP check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpCheck {
    /// Server address.
    pub addr: SocketAddr,
    /// Local address to bind first.
    pub bind: Option<SocketAddr>,
    /// The name sent with `HELO` (`helo_name`).
    pub helo_name: String,
    /// Limit for the whole check.
    pub timeout: Duration,
}

impl SmtpCheck {
    /// A check sending `HELO helo_name`.
    pub fn new(addr: SocketAddr, helo_name: impl Into<String>, timeout: Duration) -> Self {
        Self {
            addr,
            bind: None,
            helo_name: helo_name.into(),
            timeout,
        }
    }

    /// Runs the check.
    pub async fn run(&self) -> CheckResult {
        let start = Instant::now();
        within(start, self.timeout, Status::L7Timeout, self.dialog(start)).await
    }

    async fn dialog(&self, start: Instant) -> CheckResult {
        let tcp = match connect(self.addr, self.bind).await {
            Ok(s) => s,
            Err(e) => return connect_error(start, &e),
        };
        let mut io = BufReader::new(tcp);
        let mut buf = Vec::new();
        let fail = |status, code: Option<u16>, info: String| {
            let r = CheckResult::new(status, start.elapsed()).with_info(info);
            match code {
                Some(c) => r.with_code(u32::from(c)),
                None => r,
            }
        };
        match read_reply(&mut io, &mut buf).await {
            Ok((220, _)) => {}
            Ok((code, text)) => return fail(Status::L7Sts, Some(code), text),
            Err(e) => return fail(Status::L7Rsp, None, e),
        }
        let helo = format!("HELO {}\r\n", self.helo_name);
        if let Err(e) = io.get_mut().write_all(helo.as_bytes()).await {
            return fail(Status::L7Rsp, None, io_text(&e));
        }
        let result = match read_reply(&mut io, &mut buf).await {
            Ok((250, text)) => CheckResult::new(Status::L7Ok, start.elapsed())
                .with_code(250)
                .with_info(text),
            Ok((code, text)) => fail(Status::L7Sts, Some(code), text),
            Err(e) => fail(Status::L7Rsp, None, e),
        };
        let _ = io.get_mut().write_all(b"QUIT\r\n").await;
        abort(io.into_inner());
        result
    }
}

/// Reads one (possibly multi-line) reply: `NNN-text` lines then `NNN text`.
async fn read_reply<R>(r: &mut R, buf: &mut Vec<u8>) -> Result<(u16, String), String>
where
    R: tokio::io::AsyncBufRead + Unpin,
{
    for _ in 0..MAX_LINES {
        let line = read_line(r, buf, MAX_LINE).await.map_err(|e| io_text(&e))?;
        let (code, more, text) =
            parse_line(&line).ok_or_else(|| format!("not an SMTP reply: {:?}", truncate(&line)))?;
        if !more {
            return Ok((code, text.to_owned()));
        }
    }
    Err("reply has too many lines".into())
}

/// Splits `250-text` / `250 text` / `250` into code, continuation, text.
fn parse_line(line: &str) -> Option<(u16, bool, &str)> {
    let digits = line.get(..3)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code = digits.parse().ok()?;
    match line.as_bytes().get(3) {
        None => Some((code, false, "")),
        Some(b'-') => Some((code, true, line.get(4..)?)),
        Some(b' ') => Some((code, false, line.get(4..)?)),
        Some(_) => None,
    }
}

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(40) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_lines() {
        assert_eq!(
            parse_line("220 mail ESMTP"),
            Some((220, false, "mail ESMTP"))
        );
        assert_eq!(
            parse_line("250-PIPELINING"),
            Some((250, true, "PIPELINING"))
        );
        assert_eq!(parse_line("250"), Some((250, false, "")));
        assert_eq!(parse_line("HTTP/1.1 400"), None);
        assert_eq!(parse_line("22"), None);
        assert_eq!(parse_line("220x"), None);
    }
}
