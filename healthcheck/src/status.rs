//! Check outcomes and the reason text HAProxy prints for them.

use std::fmt;
use std::time::Duration;

/// What a single check concluded, named as HAProxy names its check
/// statuses (`check_statuses[]` in HAProxy's `src/check.c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// `SOCKERR`: the socket could not be created or configured.
    SockErr,
    /// `L4OK`: the TCP connection was accepted.
    L4Ok,
    /// `L4TOUT`: the connection did not complete in time.
    L4Timeout,
    /// `L4CON`: the connection was refused, reset or unreachable.
    L4Con,
    /// `L6OK`: the TLS handshake completed.
    L6Ok,
    /// `L6TOUT`: the TLS handshake did not complete in time.
    L6Timeout,
    /// `L6RSP`: the TLS handshake failed.
    L6Rsp,
    /// `L7TOUT`: no complete answer in time.
    L7Timeout,
    /// `L7RSP`: the answer was not understood.
    L7Rsp,
    /// `L7OK`: the answer was the expected one.
    L7Ok,
    /// `L7OKC`: the answer passes conditionally (HTTP 404 with
    /// `http-check disable-on-404`).
    L7OkCond,
    /// `L7STS`: a well-formed answer with the wrong status or content.
    L7Sts,
    /// `PROCERR`: an external program failed or could not run.
    ProcErr,
    /// `PROCTOUT`: an external program ran past its timeout.
    ProcTimeout,
    /// `PROCOK`: an external program exited with success.
    ProcOk,
    /// `HANA`: failure declared by the traffic observer (`observe`).
    Hana,
}

/// Whether a status counts for or against the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The check passed.
    Passed,
    /// The check passed conditionally (the server should stop taking new
    /// traffic but is not failed).
    CondPassed,
    /// The check failed.
    Failed,
}

impl Status {
    /// The short code HAProxy shows in its stats page (`L4CON`, `L7OK`...).
    pub fn code(self) -> &'static str {
        match self {
            Self::SockErr => "SOCKERR",
            Self::L4Ok => "L4OK",
            Self::L4Timeout => "L4TOUT",
            Self::L4Con => "L4CON",
            Self::L6Ok => "L6OK",
            Self::L6Timeout => "L6TOUT",
            Self::L6Rsp => "L6RSP",
            Self::L7Timeout => "L7TOUT",
            Self::L7Rsp => "L7RSP",
            Self::L7Ok => "L7OK",
            Self::L7OkCond => "L7OKC",
            Self::L7Sts => "L7STS",
            Self::ProcErr => "PROCERR",
            Self::ProcTimeout => "PROCTOUT",
            Self::ProcOk => "PROCOK",
            Self::Hana => "HANA",
        }
    }

    /// The sentence HAProxy logs after `reason:`.
    pub fn description(self) -> &'static str {
        match self {
            Self::SockErr => "Socket error",
            Self::L4Ok => "Layer4 check passed",
            Self::L4Timeout => "Layer4 timeout",
            Self::L4Con => "Layer4 connection problem",
            Self::L6Ok => "Layer6 check passed",
            Self::L6Timeout => "Layer6 timeout",
            Self::L6Rsp => "Layer6 invalid response",
            Self::L7Timeout => "Layer7 timeout",
            Self::L7Rsp => "Layer7 invalid response",
            Self::L7Ok => "Layer7 check passed",
            Self::L7OkCond => "Layer7 check conditionally passed",
            Self::L7Sts => "Layer7 wrong status",
            Self::ProcErr => "External check error",
            Self::ProcTimeout => "External check timeout",
            Self::ProcOk => "External check passed",
            Self::Hana => "Health analyze",
        }
    }

    /// Passed, conditionally passed or failed.
    pub fn verdict(self) -> Verdict {
        match self {
            Self::L4Ok | Self::L6Ok | Self::L7Ok | Self::ProcOk => Verdict::Passed,
            Self::L7OkCond => Verdict::CondPassed,
            _ => Verdict::Failed,
        }
    }

    /// True for statuses that carry data from the application layer: HAProxy
    /// counts only these against a server when they come from the agent
    /// (`HCHK_STATUS_L57DATA` and above).
    pub fn is_layer7_data(self) -> bool {
        matches!(self, Self::L7Ok | Self::L7OkCond | Self::L7Sts)
    }
}

/// The full result of one check: status, optional code and text, duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// What the check concluded.
    pub status: Status,
    /// A protocol code when there is one (HTTP status, SMTP reply code,
    /// process exit code).
    pub code: Option<u32>,
    /// Free text explaining the result (`Connection refused`, a reply line).
    pub info: Option<String>,
    /// How long the check took.
    pub duration: Duration,
}

impl CheckResult {
    /// A result with no code and no text.
    pub fn new(status: Status, duration: Duration) -> Self {
        Self {
            status,
            code: None,
            info: None,
            duration,
        }
    }

    /// Adds the protocol code.
    pub fn with_code(mut self, code: u32) -> Self {
        self.code = Some(code);
        self
    }

    /// Adds the explanation text.
    pub fn with_info(mut self, info: impl Into<String>) -> Self {
        self.info = Some(info.into());
        self
    }

    /// True when the check passed (fully or conditionally).
    pub fn passed(&self) -> bool {
        self.status.verdict() != Verdict::Failed
    }
}

/// Prints the reason as HAProxy's `check_append_info` does:
/// `Layer7 wrong status, code: 503, info: "Service Unavailable", check duration: 2ms`.
impl fmt::Display for CheckResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.status.description())?;
        if let Some(code) = self.code {
            write!(f, ", code: {code}")?;
        }
        if let Some(info) = &self.info {
            write!(f, ", info: \"{info}\"")?;
        }
        write!(f, ", check duration: {}ms", self.duration.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_refused_prints_like_haproxy() {
        let r = CheckResult::new(Status::L4Con, Duration::from_micros(300))
            .with_info("Connection refused");
        assert_eq!(
            r.to_string(),
            "Layer4 connection problem, info: \"Connection refused\", check duration: 0ms"
        );
    }

    #[test]
    fn wrong_status_prints_code_before_info() {
        let r = CheckResult::new(Status::L7Sts, Duration::from_millis(2))
            .with_code(503)
            .with_info("Service Unavailable");
        assert_eq!(
            r.to_string(),
            "Layer7 wrong status, code: 503, info: \"Service Unavailable\", check duration: 2ms"
        );
    }

    #[test]
    fn verdicts() {
        assert_eq!(Status::L4Ok.verdict(), Verdict::Passed);
        assert_eq!(Status::L7OkCond.verdict(), Verdict::CondPassed);
        assert_eq!(Status::L7Timeout.verdict(), Verdict::Failed);
        assert!(!Status::L7Timeout.is_layer7_data());
        assert!(Status::L7Sts.is_layer7_data());
    }
}
