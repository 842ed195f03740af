//! The demo's narration: timestamped lines, colours only on a terminal
//! (and not under `NO_COLOR`), and the summary table of the steps.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How a step ended.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Ok,
    Failed,
    /// Not a step: a heading of the summary.
    Group,
}

/// One step, for the summary.
#[derive(Clone, Debug)]
struct Step {
    name: String,
    at: Duration,
    took: Duration,
    outcome: Outcome,
    detail: String,
}

/// Prints the narration and keeps the steps.
pub(crate) struct Narrator {
    t0: Instant,
    color: bool,
    steps: Vec<Step>,
    detail: String,
}

impl Narrator {
    /// A narrator whose clock starts now.
    pub(crate) fn new() -> Narrator {
        let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Narrator {
            t0: Instant::now(),
            color,
            steps: Vec::new(),
            detail: String::new(),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// `+12.345s`: the time of `at` on the demo's clock.
    pub(crate) fn stamp(&self, at: Instant) -> String {
        let d = at.saturating_duration_since(self.t0);
        format!("+{:>7.3}s", d.as_secs_f64())
    }

    /// A title (bold).
    pub(crate) fn title(&self, text: &str) {
        println!("{}", self.paint("1", text));
    }

    /// A section heading, with a blank line before it.
    pub(crate) fn section(&self, text: &str) {
        println!("\n{}", self.paint("1;36", &format!("== {text}")));
    }

    /// A plain explanatory line (not timed).
    pub(crate) fn say(&self, text: &str) {
        println!("           {}", self.paint("2", text));
    }

    /// A timed line: something that happened at `at`.
    pub(crate) fn event(&self, at: Instant, text: &str) {
        println!(
            "{} {text}",
            self.paint("2", &format!("[{}]", self.stamp(at)))
        );
    }

    /// A timed line, now.
    pub(crate) fn note(&self, text: &str) {
        self.event(Instant::now(), text);
    }

    /// A highlighted result line (green).
    pub(crate) fn good(&self, text: &str) {
        self.note(&self.paint("1;32", text));
    }

    /// Sets the summary's detail column for the running step.
    pub(crate) fn detail(&mut self, text: &str) {
        self.detail = text.to_string();
    }

    /// Starts a group of steps in the summary.
    pub(crate) fn group(&mut self, name: &str) {
        self.steps.push(Step {
            name: name.to_string(),
            at: Duration::ZERO,
            took: Duration::ZERO,
            outcome: Outcome::Group,
            detail: String::new(),
        });
    }

    /// Runs one step: prints its name, runs it, records how it ended. A
    /// failure names the step.
    pub(crate) fn step<T>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut Narrator) -> Result<T, String>,
    ) -> Result<T, String> {
        let start = Instant::now();
        println!(
            "{} {}",
            self.paint("2", &format!("[{}]", self.stamp(start))),
            self.paint("1", &format!("▸ {name}"))
        );
        self.detail.clear();
        let result = super::signals::check().and_then(|()| f(self));
        let outcome = if result.is_ok() {
            Outcome::Ok
        } else {
            Outcome::Failed
        };
        self.steps.push(Step {
            name: name.to_string(),
            at: start.saturating_duration_since(self.t0),
            took: start.elapsed(),
            outcome,
            detail: std::mem::take(&mut self.detail),
        });
        result.map_err(|e| format!("step `{name}` failed: {e}"))
    }

    /// The summary table of every step so far.
    pub(crate) fn summary(&self) {
        self.section("summary");
        let width = self
            .steps
            .iter()
            .map(|s| s.name.chars().count())
            .max()
            .unwrap_or(4);
        println!(
            "  {:<width$}  {:>9}  {:>8}  {:<6}  detail",
            "step", "at", "took", "result"
        );
        for s in &self.steps {
            let result = match s.outcome {
                Outcome::Ok => self.paint("32", "ok    "),
                Outcome::Failed => self.paint("1;31", "FAILED"),
                Outcome::Group => {
                    println!("  {}", self.paint("1", &format!("{}:", s.name)));
                    continue;
                }
            };
            println!(
                "  {:<width$}  {:>8.3}s  {:>7.3}s  {result}  {}",
                s.name,
                s.at.as_secs_f64(),
                s.took.as_secs_f64(),
                s.detail
            );
        }
        println!(
            "  total {:.1} s",
            Instant::now()
                .saturating_duration_since(self.t0)
                .as_secs_f64()
        );
    }
}

/// `1.234 s`, or `-` when it did not happen.
pub(crate) fn secs(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".to_string(), |d| format!("{:.3} s", d.as_secs_f64()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_step_is_named_and_recorded() {
        let mut n = Narrator::new();
        n.color = false;
        let ok: Result<u8, String> = n.step("first", |n| {
            n.detail("fine");
            Ok(1)
        });
        assert_eq!(ok, Ok(1));
        let failed: Result<u8, String> = n.step("second", |_| Err("boom".into()));
        assert_eq!(failed, Err("step `second` failed: boom".to_string()));
        assert_eq!(n.steps.len(), 2);
        assert_eq!(n.steps[0].detail, "fine");
        assert_eq!(n.steps[1].outcome, Outcome::Failed);
        assert_eq!(n.paint("1", "x"), "x");
    }

    #[test]
    fn seconds_print_with_milliseconds() {
        assert_eq!(secs(Some(Duration::from_millis(4520))), "4.520 s");
        assert_eq!(secs(None), "-");
    }
}
