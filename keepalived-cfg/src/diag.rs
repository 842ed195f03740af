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
    /// `--> file:line:col`, the source line with a caret span, `help:`.
    pub fn render(&self, sources: &Sources) -> String {
        let _ = sources;
        todo!("rustc-style rendering")
    }

    /// The diagnostic as one JSON object (severity, code, message, file,
    /// line, column, length, label, labels, help, notes).
    pub fn to_json(&self, sources: &Sources) -> String {
        let _ = sources;
        todo!("JSON rendering")
    }
}
