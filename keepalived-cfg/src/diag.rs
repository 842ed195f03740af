//! Diagnostics: what is wrong, where, and how to fix it, rendered the way
//! rustc renders its own.

use crate::{Sources, Span};

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// keepalived would refuse or misbehave: `keepalived -t` fails.
    Error,
    /// Suspicious, or ignored by keepalived; an error in strict mode.
    Warning,
    /// Extra information attached to another diagnostic.
    Note,
}

/// A secondary place shown with a diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What is there.
    pub message: String,
}

/// One problem found in a configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// Error, warning or note.
    pub severity: Severity,
    /// A stable code: `E` + 4 digits for errors, `W` + 4 digits for
    /// warnings. Syntax problems are `x0xx`, keyword and value problems
    /// `x1xx`, semantic checks `x2xx`.
    pub code: &'static str,
    /// One line saying what is wrong.
    pub message: String,
    /// The main place (none for whole-configuration problems).
    pub span: Option<Span>,
    /// What the caret under the main place says.
    pub label: Option<String>,
    /// Other places involved ("first defined here").
    pub labels: Vec<Label>,
    /// How to fix it ("did you mean `lb_algo`?").
    pub help: Option<String>,
    /// Further explanation.
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// A new error.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Error, code, message)
    }

    /// A new warning.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic::new(Severity::Warning, code, message)
    }

    fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            span: None,
            label: None,
            labels: Vec::new(),
            help: None,
            notes: Vec::new(),
        }
    }

    /// Sets the main place and what the caret says.
    pub fn at(mut self, span: Span, label: impl Into<String>) -> Self {
        self.span = Some(span);
        let label = label.into();
        self.label = (!label.is_empty()).then_some(label);
        self
    }

    /// Adds a secondary place.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Renders the diagnostic like rustc: `error[E0001]: message`,
    /// `--> file:line:col`, the source line with a caret span, secondary
    /// labels underlined with `-`, then `= help:` and `= note:` lines.
    pub fn render(&self, sources: &Sources) -> String {
        let mut out = format!(
            "{}[{}]: {}\n",
            self.severity.name(),
            self.code,
            self.message
        );
        let Some(main) = self.span else {
            for line in self.footer() {
                out.push_str(&format!(" {line}\n"));
            }
            return out;
        };
        let mut marks = vec![Mark {
            span: main,
            primary: true,
            message: self.label.as_deref().unwrap_or(""),
        }];
        marks.extend(self.labels.iter().map(|l| Mark {
            span: l.span,
            primary: false,
            message: &l.message,
        }));
        let width = marks.iter().map(|m| digits(m.span.line)).max().unwrap_or(1);
        let pad = " ".repeat(width);
        let mut files = vec![main.file];
        for m in &marks {
            if !files.contains(&m.span.file) {
                files.push(m.span.file);
            }
        }
        for (i, file) in files.iter().enumerate() {
            let mut here: Vec<&Mark<'_>> = marks.iter().filter(|m| m.span.file == *file).collect();
            here.sort_by_key(|m| (m.span.line, !m.primary, m.span.offset));
            let first = here.first().map_or(main, |m| m.span);
            let arrow = if i == 0 { "-->" } else { ":::" };
            out.push_str(&format!(
                "{pad}{arrow} {}:{}:{}\n{pad} |\n",
                sources.path(*file).display(),
                first.line,
                sources.column(first)
            ));
            let mut shown_line = None;
            for m in here {
                let Some(text) = line_of(sources, m.span) else {
                    continue;
                };
                if shown_line != Some(m.span.line) {
                    shown_line = Some(m.span.line);
                    out.push_str(&format!(
                        "{:>width$} | {}\n",
                        m.span.line,
                        text.shown.replace('\t', "    ")
                    ));
                }
                let mark = if m.primary { "^" } else { "-" };
                let underline = format!(
                    "{}{}",
                    " ".repeat(text.before),
                    mark.repeat(text.marked.max(1))
                );
                let line = if m.message.is_empty() {
                    underline
                } else {
                    format!("{underline} {}", m.message)
                };
                out.push_str(&format!("{pad} | {line}\n"));
            }
        }
        let footer = self.footer();
        if !footer.is_empty() {
            out.push_str(&format!("{pad} |\n"));
        }
        for line in footer {
            out.push_str(&format!("{pad} {line}\n"));
        }
        out
    }

    /// The `= help:` and `= note:` lines.
    fn footer(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.help.iter().map(|h| format!("= help: {h}")).collect();
        lines.extend(self.notes.iter().map(|n| format!("= note: {n}")));
        lines
    }

    /// The diagnostic as one JSON object (severity, code, message, file,
    /// line, column, length, label, labels, help, notes).
    pub fn to_json(&self, sources: &Sources) -> String {
        let mut out = format!(
            "{{\"severity\":{},\"code\":{},\"message\":{},",
            json_str(self.severity.name()),
            json_str(self.code),
            json_str(&self.message)
        );
        out.push_str(&json_place(sources, self.span));
        out.push_str(&format!(",\"label\":{}", json_opt(self.label.as_deref())));
        out.push_str(",\"labels\":[");
        for (i, l) in self.labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!(
                "{{{},\"message\":{}}}",
                json_place(sources, Some(l.span)),
                json_str(&l.message)
            ));
        }
        out.push_str(&format!(
            "],\"help\":{},\"notes\":[",
            json_opt(self.help.as_deref())
        ));
        let notes: Vec<String> = self.notes.iter().map(|n| json_str(n)).collect();
        out.push_str(&notes.join(","));
        out.push_str("]}");
        out
    }
}

impl Severity {
    /// `error`, `warning` or `note`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// A place to underline.
struct Mark<'a> {
    span: Span,
    primary: bool,
    message: &'a str,
}

/// A source line as shown, and where the underline goes in it.
struct Shown {
    /// The line's text.
    shown: String,
    /// Display columns before the span (tabs count 4).
    before: usize,
    /// Display columns of the span on this line.
    marked: usize,
}

/// The line a span starts on, and the span's place in it.
fn line_of(sources: &Sources, span: Span) -> Option<Shown> {
    let text = sources.get(span.file)?.text.as_str();
    let offset = (span.offset as usize).min(text.len());
    let start = text[..floor(text, offset)].rfind('\n').map_or(0, |i| i + 1);
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = text[start..end].trim_end_matches('\r');
    let at = floor(text, offset).clamp(start, start + line.len());
    let stop = floor(text, (offset + span.len as usize).min(start + line.len())).max(at);
    let width = |s: &str| {
        s.chars()
            .map(|c| if c == '\t' { 4 } else { 1 })
            .sum::<usize>()
    };
    Some(Shown {
        shown: line.to_string(),
        before: width(&text[start..at]),
        marked: width(&text[at..stop]),
    })
}

/// The largest char boundary not after `i`.
fn floor(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Number of decimal digits.
fn digits(n: u32) -> usize {
    n.max(1).ilog10() as usize + 1
}

/// `"file":…,"line":…,"column":…,"length":…` (nulls without a span).
fn json_place(sources: &Sources, span: Option<Span>) -> String {
    match span {
        Some(s) => format!(
            "\"file\":{},\"line\":{},\"column\":{},\"length\":{}",
            json_str(&sources.path(s.file).display().to_string()),
            s.line,
            sources.column(s),
            s.len
        ),
        None => "\"file\":null,\"line\":null,\"column\":null,\"length\":null".to_string(),
    }
}

/// A JSON string or `null`.
fn json_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "null".to_string(), json_str)
}

/// A JSON string literal.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes() {
        assert_eq!(json_str("a\"b\\c\nd\u{1}"), r#""a\"b\\c\nd\u0001""#);
    }

    #[test]
    fn digits_of_line_numbers() {
        assert_eq!(digits(0), 1);
        assert_eq!(digits(9), 1);
        assert_eq!(digits(10), 2);
        assert_eq!(digits(1000), 4);
    }
}
