//! The guest script's report lines (`@@lvs KIND [UPTIME] TEXT`), parsed,
//! narrated with the guest's clock, and kept for the summary.

use std::io::IsTerminal;

/// One line of the guest's output.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Line<'a> {
    /// A section heading.
    Section(&'a str),
    /// An explanatory line.
    Say(&'a str),
    /// A step begins at guest uptime `.0`.
    Step(f64, &'a str),
    /// Something happened at guest uptime `.0`.
    Event(f64, &'a str),
    /// A result worth highlighting, at guest uptime `.0`.
    Good(f64, &'a str),
    /// The running step's summary detail.
    Detail(&'a str),
    /// The running step succeeded at guest uptime `.0`.
    Ok(f64),
    /// The running step failed at guest uptime `.0`, for the reason `.1`.
    Fail(f64, &'a str),
    /// Anything else (tables, log tails), shown as it is.
    Plain(&'a str),
}

/// The prefix of a report line.
const PREFIX: &str = "@@lvs ";

/// Parses one line; a malformed report line is shown as plain text.
pub(crate) fn parse(line: &str) -> Line<'_> {
    let Some(rest) = line.strip_prefix(PREFIX) else {
        return Line::Plain(line);
    };
    let (kind, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let timed = || -> Option<(f64, &str)> {
        let (t, text) = rest.split_once(' ').unwrap_or((rest, ""));
        Some((t.parse().ok()?, text))
    };
    let parsed = match kind {
        "section" => Some(Line::Section(rest)),
        "say" => Some(Line::Say(rest)),
        "detail" => Some(Line::Detail(rest)),
        "step" => timed().map(|(t, s)| Line::Step(t, s)),
        "event" => timed().map(|(t, s)| Line::Event(t, s)),
        "good" => timed().map(|(t, s)| Line::Good(t, s)),
        "ok" => timed().map(|(t, _)| Line::Ok(t)),
        "fail" => timed().map(|(t, s)| Line::Fail(t, s)),
        _ => None,
    };
    parsed.unwrap_or(Line::Plain(line))
}

/// One step run in the guest.
#[derive(Debug, Clone, PartialEq)]
struct Step {
    name: String,
    /// Guest uptime at its start.
    at: f64,
    /// Seconds it took (when it ended).
    took: Option<f64>,
    /// `Some(true)` ok, `Some(false)` failed, `None` still running.
    ok: Option<bool>,
    detail: String,
}

/// The guest's narration and steps.
pub(crate) struct Guest {
    color: bool,
    steps: Vec<Step>,
    /// Why the failed step failed.
    failure: Option<String>,
}

impl Guest {
    /// A report with colours only on a terminal (and not under `NO_COLOR`).
    pub(crate) fn new() -> Guest {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Guest {
            color,
            steps: Vec::new(),
            failure: None,
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn stamp(&self, t: f64) -> String {
        self.paint("2", &format!("[vm {t:>8.2}s]"))
    }

    /// Narrates one line of the guest's output and records steps.
    pub(crate) fn line(&mut self, line: &str) {
        let out = match parse(line) {
            Line::Section(s) => format!("\n{}", self.paint("1;36", &format!("== {s}"))),
            Line::Say(s) => format!("               {}", self.paint("2", s)),
            Line::Step(t, name) => {
                self.steps.push(Step {
                    name: name.to_string(),
                    at: t,
                    took: None,
                    ok: None,
                    detail: String::new(),
                });
                format!(
                    "{} {}",
                    self.stamp(t),
                    self.paint("1", &format!("▸ {name}"))
                )
            }
            Line::Event(t, s) => format!("{} {s}", self.stamp(t)),
            Line::Good(t, s) => format!("{} {}", self.stamp(t), self.paint("1;32", s)),
            Line::Detail(s) => {
                if let Some(step) = self.running() {
                    step.detail = s.to_string();
                }
                return;
            }
            Line::Ok(t) => {
                self.end(t, true);
                return;
            }
            Line::Fail(t, why) => {
                self.end(t, false);
                self.failure = Some(why.to_string());
                format!(
                    "{} {}",
                    self.stamp(t),
                    self.paint("1;31", &format!("✗ {why}"))
                )
            }
            Line::Plain(s) => format!("               {s}"),
        };
        println!("{out}");
    }

    fn running(&mut self) -> Option<&mut Step> {
        self.steps.last_mut().filter(|s| s.ok.is_none())
    }

    fn end(&mut self, t: f64, ok: bool) {
        if let Some(step) = self.running() {
            step.took = Some((t - step.at).max(0.0));
            step.ok = Some(ok);
        }
    }

    /// The guest's verdict from its exit status: an error naming the step
    /// that failed (or was running when the guest stopped).
    pub(crate) fn verdict(&self, status: i32) -> Result<(), String> {
        let failed = self.steps.iter().find(|s| s.ok != Some(true));
        match (status, failed) {
            (0, None) if !self.steps.is_empty() => Ok(()),
            (_, Some(step)) => Err(format!(
                "step `{}` failed in the VM: {}",
                step.name,
                self.failure
                    .as_deref()
                    .unwrap_or("the guest stopped before it ended")
            )),
            (status, None) => Err(format!(
                "the guest script exited with status {status} after {} steps",
                self.steps.len()
            )),
        }
    }

    /// The summary table of the guest's steps (guest clock).
    pub(crate) fn summary(&self) {
        if self.steps.is_empty() {
            return;
        }
        let width = self
            .steps
            .iter()
            .map(|s| s.name.chars().count())
            .max()
            .unwrap_or(4);
        println!("\n  {}", self.paint("1", "in the VM (guest clock):"));
        println!(
            "  {:<width$}  {:>9}  {:>8}  {:<6}  detail",
            "step", "at", "took", "result"
        );
        for s in &self.steps {
            let result = match s.ok {
                Some(true) => self.paint("32", "ok    "),
                Some(false) => self.paint("1;31", "FAILED"),
                None => self.paint("1;31", "ABORT "),
            };
            let took = s
                .took
                .map_or_else(|| "-".to_string(), |t| format!("{t:.2}s"));
            println!(
                "  {:<width$}  {:>8.2}s  {took:>8}  {result}  {}",
                s.name, s.at, s.detail
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_lines_parse_and_others_stay_plain() {
        assert_eq!(
            parse("@@lvs step 12.34 start it"),
            Line::Step(12.34, "start it")
        );
        assert_eq!(parse("@@lvs ok 13.5"), Line::Ok(13.5));
        assert_eq!(parse("@@lvs fail 14.00 no VIP"), Line::Fail(14.0, "no VIP"));
        assert_eq!(parse("@@lvs detail a b"), Line::Detail("a b"));
        assert_eq!(
            parse("@@lvs event x text"),
            Line::Plain("@@lvs event x text")
        );
        assert_eq!(
            parse("TCP  203.0.113.100:80 rr"),
            Line::Plain("TCP  203.0.113.100:80 rr")
        );
    }

    #[test]
    fn the_failed_step_is_named_in_the_verdict() {
        let mut g = Guest::new();
        assert!(g.verdict(0).is_err(), "no steps is not a success");
        g.line("@@lvs step 1.00 first");
        g.line("@@lvs detail fine");
        g.line("@@lvs ok 2.50");
        assert_eq!(g.verdict(0), Ok(()));
        assert_eq!(g.steps[0].took, Some(1.5));
        assert_eq!(g.steps[0].detail, "fine");
        g.line("@@lvs step 3.00 second");
        g.line("@@lvs fail 4.00 no answer");
        assert_eq!(
            g.verdict(1),
            Err("step `second` failed in the VM: no answer".to_string())
        );
        g.line("@@lvs step 5.00 third");
        let mut h = Guest::new();
        h.line("@@lvs step 1.00 cut short");
        assert_eq!(
            h.verdict(0),
            Err("step `cut short` failed in the VM: the guest stopped before it ended".to_string())
        );
    }
}
