//! HAProxy agent check: connect, optionally send `agent-send`, read one
//! line such as `75% drain` or `down #reason`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncWriteExt, BufReader};

use super::tcp::{abort, connect};
use super::{connect_error, io_text, read_line, within};
use crate::haproxy::AgentReply;
use crate::status::{CheckResult, Status};

/// HAProxy reads at most one check buffer; a line is far shorter.
const MAX_LINE: usize = 1024;

/// An agent check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCheck {
    /// Agent address (`agent-addr`, `agent-port`).
    pub addr: SocketAddr,
    /// Text sent first (`agent-send`).
    pub send: Option<String>,
    /// Limit for the whole check.
    pub timeout: Duration,
}

/// The agent's parsed reply, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentOutcome {
    /// `L7OK` with the line as info when parsed; a failure otherwise.
    pub result: CheckResult,
    /// The parsed reply.
    pub reply: Option<AgentReply>,
}

impl AgentCheck {
    /// Runs the check.
    pub async fn run(&self) -> AgentOutcome {
        let start = Instant::now();
        let mut reply = None;
        let result = within(start, self.timeout, Status::L7Timeout, async {
            let tcp = match connect(self.addr, None).await {
                Ok(s) => s,
                Err(e) => return connect_error(start, &e),
            };
            let mut io = BufReader::new(tcp);
            if let Some(s) = &self.send {
                if let Err(e) = io.get_mut().write_all(s.as_bytes()).await {
                    return CheckResult::new(Status::L7Rsp, start.elapsed()).with_info(io_text(&e));
                }
            }
            let mut buf = Vec::new();
            let line = read_line(&mut io, &mut buf, MAX_LINE).await;
            abort(io.into_inner());
            let line = match line {
                Ok(l) => l,
                // HAProxy accepts a reply ended by the close instead of a newline.
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !buf.is_empty() => {
                    String::from_utf8_lossy(&buf).trim().to_owned()
                }
                Err(e) => {
                    return CheckResult::new(Status::L7Rsp, start.elapsed()).with_info(io_text(&e))
                }
            };
            match AgentReply::parse(&line) {
                Ok(r) => {
                    reply = Some(r);
                    CheckResult::new(Status::L7Ok, start.elapsed()).with_info(line)
                }
                Err(e) => CheckResult::new(Status::L7Rsp, start.elapsed()).with_info(e.to_string()),
            }
        })
        .await;
        AgentOutcome { result, reply }
    }
}
