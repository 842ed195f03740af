//! External program check (keepalived `MISC_CHECK`, `misc_dynamic`).

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::Command;

use crate::status::{CheckResult, Status};

/// Runs a program; exit 0 passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiscCheck {
    /// Program and arguments (`misc_path`), split on whitespace and run
    /// directly, without a shell.
    pub command: Vec<String>,
    /// Limit (`misc_timeout`); the program is killed (SIGKILL) after it.
    /// keepalived sends SIGTERM to the process group first and SIGKILL two
    /// seconds later; here only the program itself is killed, at once.
    pub timeout: Duration,
    /// `misc_dynamic`: exit codes 2..=255 pass and set the weight to
    /// `code - 2`.
    pub dynamic: bool,
}

/// The result of a program check, with the weight `misc_dynamic` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiscOutcome {
    /// Passed or failed, and why.
    pub result: CheckResult,
    /// The new weight, for `misc_dynamic` exit codes 2..=255 (`code - 2`,
    /// so 0..=253). With `misc_dynamic`, keepalived puts the configured
    /// weight back after an exit 0 (`misc_check_child_thread()`): callers
    /// do that when `result` passed and this is `None`.
    pub weight: Option<u32>,
}

impl MiscCheck {
    /// A check running `command_line` (split on whitespace).
    pub fn new(command_line: &str, timeout: Duration) -> Self {
        Self {
            command: command_line.split_whitespace().map(str::to_owned).collect(),
            timeout,
            dynamic: false,
        }
    }

    /// Runs the program once.
    pub async fn run(&self) -> MiscOutcome {
        let start = Instant::now();
        let no_weight = |result| MiscOutcome {
            result,
            weight: None,
        };
        let Some((program, args)) = self.command.split_first() else {
            return no_weight(
                CheckResult::new(Status::ProcErr, start.elapsed()).with_info("empty command"),
            );
        };
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                return no_weight(
                    CheckResult::new(Status::ProcErr, start.elapsed())
                        .with_info(super::io_text(&e)),
                )
            }
        };
        let status = match tokio::time::timeout(self.timeout, child.wait()).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                return no_weight(
                    CheckResult::new(Status::ProcErr, start.elapsed())
                        .with_info(super::io_text(&e)),
                )
            }
            Err(_) => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                return no_weight(
                    CheckResult::new(Status::ProcTimeout, start.elapsed()).with_info("timeout"),
                );
            }
        };
        let elapsed = start.elapsed();
        let Some(code) = status.code() else {
            return no_weight(
                CheckResult::new(Status::ProcErr, elapsed).with_info("killed by a signal"),
            );
        };
        let code = u32::try_from(code).unwrap_or(255);
        match (code, self.dynamic) {
            (0, _) => no_weight(CheckResult::new(Status::ProcOk, elapsed).with_code(0)),
            (2..=255, true) => MiscOutcome {
                result: CheckResult::new(Status::ProcOk, elapsed).with_code(code),
                weight: Some(code - 2),
            },
            _ => no_weight(
                CheckResult::new(Status::ProcErr, elapsed)
                    .with_code(code)
                    .with_info(format!("exit code {code}")),
            ),
        }
    }
}
