//! # lbkit-keepalived-cfg
//!
//! `keepalived.conf` read exactly as keepalived 2.2 reads it: a lexer and
//! preprocessor (`include`, `$NAME` definitions, `@name` conditional lines,
//! `~SEQ`), a syntax tree where every word keeps its file, line and byte
//! offset (its column is found from the text: [`Sources::column`]), a typed
//! model, a checker whose diagnostics read like rustc's, and a formatter.
//!
//! [`load_file`] and [`load_str`] build the model one top-level keyword at a
//! time and drop each keyword's tree once read; [`parse_tree`] gives the
//! whole tree.
//!
//! ```
//! use lbkit_keepalived_cfg::{format, load_str, Options};
//!
//! let text = "vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    192.0.2.10\n  }\n}\n";
//! let loaded = load_str("keepalived.conf", text, &Options::new());
//! assert!(!loaded.has_errors(), "{}", loaded.render());
//! let again = load_str("formatted.conf", &format(&loaded.config), &Options::new());
//! assert_eq!(again.config, loaded.config);
//! ```

mod build;
mod check;
mod diag;
mod format;
mod hash;
pub mod model;
mod parse;
mod source;
mod tree;

pub use diag::{Diagnostic, Label, Severity};
pub use format::format;
pub use parse::{parse_tree, parse_tree_file, scan_str, Parsed, Scan};
pub use smol_str::SmolStr;
pub use source::{FileId, SourceFile, Sources, Span};
pub use tree::{Block, Node, Token, Tree};

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

use std::path::Path;

/// How to read a configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// keepalived's `--config-id` (`-i`): lines starting `@ID` are kept,
    /// `@^ID` dropped. Defaults to the host name in keepalived; `None` here
    /// means no id (every `@name` line is dropped, every `@^name` kept).
    pub config_id: Option<String>,
    /// Treat warnings as errors.
    pub strict: bool,
    /// The network interfaces that exist where keepalived will run: when
    /// set, an `interface` or `track_interface` naming another one is an
    /// error, as `keepalived -t` reports it. `None`: not checked.
    pub interfaces: Option<Vec<String>>,
}

impl Options {
    /// The defaults.
    pub fn new() -> Self {
        Options::default()
    }

    /// Sets the config id.
    pub fn config_id(mut self, id: impl Into<String>) -> Self {
        self.config_id = Some(id.into());
        self
    }

    /// Sets strict mode.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Sets the interfaces that exist (see [`Options::interfaces`]).
    pub fn interfaces<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.interfaces = Some(names.into_iter().map(Into::into).collect());
        self
    }
}

/// A configuration read, built and checked. The syntax tree is not kept:
/// the model is built one top-level keyword at a time, each keyword's tree
/// dropped once read ([`parse_tree`] gives the tree).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Loaded {
    /// Every file read.
    pub sources: Sources,
    /// The typed model.
    pub config: model::Config,
    /// Everything found, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// True when a diagnostic is an error (keepalived `-t` would fail).
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// Every diagnostic rendered like rustc, one after the other.
    pub fn render(&self) -> String {
        self.diagnostics
            .iter()
            .map(|d| d.render(&self.sources))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Reads, builds and checks the configuration in `path`.
pub fn load_file(path: &Path, opts: &Options) -> Loaded {
    load(parse::Input::File(path), opts)
}

/// Reads, builds and checks configuration text named `name`.
pub fn load_str(name: &str, text: &str, opts: &Options) -> Loaded {
    load(parse::Input::Text { name, text }, opts)
}

/// Reads, builds and checks `input`.
fn load(input: parse::Input<'_>, opts: &Options) -> Loaded {
    let mut sources = Sources::new();
    let mut diagnostics = Vec::new();
    let (config, found) = parse::load(input, opts, &mut sources, &mut diagnostics);
    // Reading problems first, then the model's, as if read in two passes.
    diagnostics.extend(found);
    check::check(&config, &mut diagnostics);
    if let Some(existing) = &opts.interfaces {
        check::check_interfaces(&config, existing, &mut diagnostics);
    }
    if opts.strict {
        for d in &mut diagnostics {
            if d.severity == Severity::Warning {
                d.severity = Severity::Error;
            }
        }
    }
    diagnostics.sort_by_key(|d| d.span.map(|s| (s.file, s.offset)));
    Loaded {
        sources,
        config,
        diagnostics,
    }
}
