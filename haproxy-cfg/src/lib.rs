//! # lbkit-haproxy-cfg
//!
//! `haproxy.cfg` read exactly as HAProxy 2.6 reads it: word splitting with
//! quotes, escapes and environment variables, `.if` blocks, several files
//! and directories, a syntax tree where every word keeps its file, line and
//! column, a typed effective model (defaults applied), a checker whose
//! verdicts follow `haproxy -c` and whose diagnostics read like rustc's,
//! and a formatter.
//!
//! ```
//! use lbkit_haproxy_cfg::{load_str, Options};
//!
//! let text = "defaults\n  mode http\n  timeout client 30s\n  timeout server 30s\n  timeout connect 5s\n\
//!             frontend web\n  bind :80\n  default_backend app\n\
//!             backend app\n  server a1 192.0.2.10:8080 check\n";
//! let loaded = load_str("haproxy.cfg", text, &Options::new());
//! assert!(!loaded.has_errors(), "{}", loaded.render());
//! assert_eq!(loaded.tree.sections.len(), 3);
//! ```

mod addr;
mod build;
mod check;
mod cond;
mod diag;
mod format;
mod keywords;
mod lex;
mod load;
pub mod model;
mod parse;
mod source;
mod suggest;
mod tree;
mod units;

pub use addr::{AddrError, Host, Port, SockAddr};
pub use cond::Facts;
pub use diag::{Diagnostic, Label, Severity};
pub use format::{format, quote};
pub use lex::{
    split_line, split_line_into, LexError, LexErrorKind, LineContext, LinePos, Word, MAX_WORDS,
};
/// The inline string type of word values and model strings.
pub use smol_str::SmolStr;
pub use source::{FileId, SourceFile, Sources, Span};
pub use tree::{Line, Section, SectionKind, Tree};
pub use units::{parse_size, parse_time, SizeError, TimeError, TimeUnit};

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

use std::collections::BTreeMap;
use std::path::PathBuf;

/// How to read a configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The environment variables `"${NAME}"` and `defined(NAME)` see;
    /// `None` reads the process environment.
    pub env: Option<BTreeMap<String, String>>,
    /// What `.if` predicates know of the program (version, features).
    pub facts: Facts,
    /// Treat warnings as errors (HAProxy's `-dW`).
    pub strict: bool,
    /// The host names that resolve; `None` reads `/etc/hosts` (no DNS
    /// query is ever made).
    pub hosts: Option<Vec<String>>,
    /// Build the model section by section, dropping each section once it
    /// is built: [`Loaded::tree`] stays empty and memory is that of the
    /// model alone. For a caller that needs the model but no tree; the
    /// model and diagnostics are the same.
    pub discard_tree: bool,
    /// Only the verdict and the diagnostics, for a check (`haproxy-rs
    /// -c`): implies [`Options::discard_tree`], and each frontend, backend
    /// and listen is checked once built and then dropped, so that
    /// [`Loaded::config`] keeps no proxy (`proxies` stays empty; `global`,
    /// `defaults` and the other sections are kept) and memory stays that
    /// of the largest section. Diagnostics and [`Loaded::exit_code`] are
    /// the same as in a full read.
    pub verdict_only: bool,
}

impl Options {
    /// The defaults: the process environment, HAProxy 2.6.12's facts.
    pub fn new() -> Self {
        Options::default()
    }

    /// Uses exactly these environment variables.
    pub fn env<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        self.env = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Uses exactly these host names as the resolvable ones.
    pub fn hosts<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.hosts = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Builds the model without keeping the syntax tree (see
    /// [`Options::discard_tree`]).
    pub fn discard_tree(mut self, discard: bool) -> Self {
        self.discard_tree = discard;
        self
    }

    /// Keeps only the verdict and the diagnostics (see
    /// [`Options::verdict_only`]).
    pub fn verdict_only(mut self, only: bool) -> Self {
        self.verdict_only = only;
        self
    }

    /// True when the model is built section by section.
    fn lean(&self) -> bool {
        self.discard_tree || self.verdict_only
    }

    /// Sets strict mode.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// The value of an environment variable.
    pub fn lookup_env(&self, name: &str) -> Option<String> {
        match &self.env {
            Some(map) => map.get(name).cloned(),
            None => std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()),
        }
    }
}

/// A configuration read and checked.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Loaded {
    /// Every file read.
    pub sources: Sources,
    /// The syntax tree.
    pub tree: Tree,
    /// The typed, effective model.
    pub config: model::Config,
    /// Everything found: in file order for what reading finds, then what
    /// the whole-configuration checks find.
    pub diagnostics: Vec<Diagnostic>,
    /// With [`Options::verdict_only`], the listening addresses of the
    /// proxies that `config` does not keep.
    proxy_listeners: Option<usize>,
}

impl Loaded {
    /// True when a diagnostic is an error (`haproxy -c` would fail).
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// True when a diagnostic is a warning.
    pub fn has_warnings(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Warning)
    }

    /// The exit status `haproxy -c` would give: 1 on errors, 2 when the
    /// configuration is valid but opens no listener, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.has_errors() {
            1
        } else if self.listeners() == 0 && !check::master_worker(&self.config) {
            2
        } else {
            0
        }
    }

    /// The number of listening sockets: addresses of `bind` lines and
    /// `stats socket` lines.
    fn listeners(&self) -> usize {
        match self.proxy_listeners {
            Some(n) => n + self.config.global.stats_sockets.len(),
            None => check::listeners(&self.config),
        }
    }

    /// Every diagnostic rendered like rustc, one after the other.
    pub fn render(&self) -> String {
        self.diagnostics
            .iter()
            .map(|d| d.render(&self.sources))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Every diagnostic as a JSON array.
    pub fn to_json(&self) -> String {
        let items: Vec<String> = self
            .diagnostics
            .iter()
            .map(|d| d.to_json(&self.sources))
            .collect();
        format!("[{}]", items.join(","))
    }
}

/// Reads and checks the files and directories given as `-f` arguments.
pub fn load_files(paths: &[PathBuf], opts: &Options) -> Loaded {
    let mut reading = Reading::new(opts);
    match load::expand(paths) {
        Err(d) => reading.diagnostics.push(*d),
        Ok(files) => {
            for path in files {
                match load::read(&path) {
                    Err(d) => reading.diagnostics.push(*d),
                    Ok((text, bad)) => {
                        let name = path.display().to_string();
                        let id = reading.sources.add(path, text);
                        if let Some(at) = bad {
                            let d = invalid_utf8(&reading.sources, id, at);
                            reading.diagnostics.push(d);
                        }
                        reading.read(id, &name, opts);
                    }
                }
            }
        }
    }
    reading.finish(opts)
}

/// Reads and checks configuration text named `name`.
pub fn load_str(name: &str, text: &str, opts: &Options) -> Loaded {
    let mut reading = Reading::new(opts);
    let id = reading.sources.add(name, text.to_string());
    reading.read(id, name, opts);
    reading.finish(opts)
}

/// Reads configuration bytes named `name` (invalid UTF-8 is replaced and
/// warned about).
pub fn load_bytes(name: &str, bytes: &[u8], opts: &Options) -> Loaded {
    let (text, bad) = load::decode(bytes.to_vec());
    let mut reading = Reading::new(opts);
    let id = reading.sources.add(name, text);
    if let Some(at) = bad {
        let d = invalid_utf8(&reading.sources, id, at);
        reading.diagnostics.push(d);
    }
    reading.read(id, name, opts);
    reading.finish(opts)
}

/// What reading files gathers before the whole-configuration checks.
struct Reading {
    /// Every file read.
    sources: Sources,
    /// The syntax tree (stays empty with [`Options::discard_tree`]).
    tree: Tree,
    /// The model built section by section (with
    /// [`Options::discard_tree`]).
    builder: build::Builder,
    /// The host names that resolve.
    hosts: Vec<String>,
    /// What reading found, in reading order.
    diagnostics: Vec<Diagnostic>,
    /// What the section builders found, in section order: after what
    /// reading found, as when the model is built from the whole tree.
    built: Vec<Diagnostic>,
}

impl Reading {
    /// Nothing read yet.
    fn new(opts: &Options) -> Self {
        Reading {
            sources: Sources::new(),
            tree: Tree::default(),
            builder: if opts.verdict_only {
                build::Builder::summarizing()
            } else {
                build::Builder::new()
            },
            hosts: opts.hosts.clone().unwrap_or_else(addr::hosts_file_names),
            diagnostics: Vec::new(),
            built: Vec::new(),
        }
    }

    /// Reads file `id` of the sources.
    fn read(&mut self, id: FileId, name: &str, opts: &Options) {
        let Reading {
            sources,
            tree,
            builder,
            hosts,
            diagnostics,
            built,
        } = self;
        let Some(file) = sources.get(id) else {
            return;
        };
        let resolve = |name: &str| hosts.iter().any(|h| h.eq_ignore_ascii_case(name));
        let exists = |path: &str| std::path::Path::new(path).exists();
        let env = build::Env {
            resolve: &resolve,
            exists: &exists,
        };
        let mut sink = |section: Section| {
            if opts.lean() {
                builder.section(&section, &env, built);
                // Built: its vectors serve the next sections.
                Some(section)
            } else {
                tree.sections.push(section);
                None
            }
        };
        parse::read_sections(id, name, &file.text, opts, &mut sink, diagnostics);
    }

    /// The model, the whole-configuration checks, and strict mode.
    fn finish(self, opts: &Options) -> Loaded {
        let Reading {
            sources,
            tree,
            builder,
            hosts,
            mut diagnostics,
            built,
        } = self;
        let (config, summaries) = if opts.lean() {
            diagnostics.extend(built);
            builder.finish_with_summaries()
        } else {
            let resolve = |name: &str| hosts.iter().any(|h| h.eq_ignore_ascii_case(name));
            let exists = |path: &str| std::path::Path::new(path).exists();
            let env = build::Env {
                resolve: &resolve,
                exists: &exists,
            };
            (build::build(&tree, &env, &mut diagnostics), None)
        };
        // What reading finds comes in file order, as HAProxy reports it line
        // by line; then what the whole-configuration checks find.
        diagnostics.sort_by_key(|d| d.span.map(|s| (s.file, s.offset)));
        let proxy_listeners = match &summaries {
            Some(proxies) => {
                check::check_summaries(&config, proxies, &mut diagnostics);
                Some(proxies.iter().map(|p| p.listeners).sum())
            }
            None => {
                check::check(&config, &mut diagnostics);
                None
            }
        };
        if opts.strict {
            for d in &mut diagnostics {
                if d.severity == Severity::Warning {
                    d.severity = Severity::Error;
                }
            }
        }
        Loaded {
            sources,
            tree,
            config,
            diagnostics,
            proxy_listeners,
        }
    }
}

/// The warning for a file that is not UTF-8.
fn invalid_utf8(sources: &Sources, id: FileId, at: usize) -> Diagnostic {
    let text = sources.get(id).map_or("", |f| f.text.as_str());
    let before = text.get(..at).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let span = Span {
        file: id,
        offset: u32::try_from(at).unwrap_or(0),
        len: 1,
        line: u32::try_from(line).unwrap_or(u32::MAX),
        col: u32::try_from(col).unwrap_or(u32::MAX),
    };
    Diagnostic::warning("W0001", "file is not valid UTF-8")
        .at(span, "first invalid byte")
        .with_note("invalid bytes are read as U+FFFD; HAProxy takes them as they are")
}
