//! From the syntax tree to the typed model, reporting what HAProxy's
//! section parsers report while reading.

mod acl;
mod endpoint;
mod global;
mod proxy;

use crate::check::Summary;
use crate::diag::Diagnostic;
use crate::lex::Word;
use crate::model::{Config, OtherSection, ProxyKind, RawLine};
use crate::source::Span;
use crate::tree::{Line, Section, SectionKind, Tree};
use smol_str::SmolStr;

/// The ACL names a proxy declared so far: a hash set with a short FNV-1a
/// hash (names are short, and nothing here is exposed to hash flooding
/// that a configuration's author would not cause themselves).
pub(crate) type AclNames = std::collections::HashSet<SmolStr, std::hash::BuildHasherDefault<Fnv1a>>;

/// The FNV-1a hash, 64 bits.
pub(crate) struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv1a {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// What the builders need besides the tree.
pub(crate) struct Env<'a> {
    /// True when a host name resolves.
    pub(crate) resolve: &'a dyn Fn(&str) -> bool,
    /// True when a file (or directory) exists.
    pub(crate) exists: &'a dyn Fn(&str) -> bool,
}

/// The diagnostics being collected, with the helpers every builder uses.
pub(crate) struct Out<'a> {
    pub(crate) diags: &'a mut Vec<Diagnostic>,
}

impl Out<'_> {
    /// Adds an error at `span`.
    pub(crate) fn error(
        &mut self,
        code: &'static str,
        span: Span,
        message: impl Into<String>,
        label: &str,
    ) {
        self.diags
            .push(Diagnostic::error(code, message).at(span, label));
    }

    /// Adds a warning at `span`.
    pub(crate) fn warning(
        &mut self,
        code: &'static str,
        span: Span,
        message: impl Into<String>,
        label: &str,
    ) {
        self.diags
            .push(Diagnostic::warning(code, message).at(span, label));
    }

    /// Adds a prepared diagnostic.
    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// "cannot handle unexpected argument": true (and an error) when
    /// `line` has more than `max` arguments after its keyword words.
    pub(crate) fn too_many(&mut self, line: &Line, skip: usize, max: usize) -> bool {
        if let Some(extra) = line.words.get(skip + max) {
            let kw = line.words[..skip]
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            self.diags.push(
                Diagnostic::error(
                    "E0102",
                    format!("'{kw}' cannot handle unexpected argument '{}'", extra.text),
                )
                .at(extra.span, "unexpected argument")
                .with_help(format!("'{kw}' takes at most {max} argument(s)")),
            );
            return true;
        }
        false
    }
}

/// The model of `tree`.
pub(crate) fn build(tree: &Tree, env: &Env<'_>, diags: &mut Vec<Diagnostic>) -> Config {
    let mut builder = Builder::new();
    builder.config.proxies.reserve(
        tree.sections
            .iter()
            .filter(|s| {
                matches!(
                    s.kind,
                    SectionKind::Frontend | SectionKind::Backend | SectionKind::Listen
                )
            })
            .count(),
    );
    for section in &tree.sections {
        builder.section(section, env, diags);
    }
    builder.finish()
}

/// Builds the model one section at a time, in reading order, so that a
/// caller may drop each section once it is built.
pub(crate) struct Builder {
    /// The model so far.
    config: Config,
    /// The defaults a new proxy takes: the last one read, anonymous or not.
    last_defaults: Option<usize>,
    /// With `Some`, frontends, backends and listens are not kept in the
    /// model: only what the whole-configuration checks need of them.
    summaries: Option<Vec<Summary>>,
}

impl Builder {
    /// An empty model.
    pub(crate) fn new() -> Self {
        Builder {
            config: Config::default(),
            last_defaults: None,
            summaries: None,
        }
    }

    /// An empty model that keeps of each frontend, backend and listen
    /// only what the whole-configuration checks need.
    pub(crate) fn summarizing() -> Self {
        Builder {
            summaries: Some(Vec::new()),
            ..Builder::new()
        }
    }

    /// Adds one section to the model.
    pub(crate) fn section(
        &mut self,
        section: &Section,
        env: &Env<'_>,
        diags: &mut Vec<Diagnostic>,
    ) {
        let mut out = Out { diags };
        let config = &mut self.config;
        match section.kind {
            SectionKind::Global => global::build(section, &mut config.global, &mut out),
            SectionKind::Defaults
            | SectionKind::Frontend
            | SectionKind::Backend
            | SectionKind::Listen => {
                let Some(mut p) = proxy::header(section, config, self.last_defaults, &mut out)
                else {
                    return;
                };
                let servers = section
                    .lines
                    .iter()
                    .filter(|l| l.keyword() == "server")
                    .count();
                p.servers.reserve_exact(servers);
                let mut acls = AclNames::default();
                for line in &section.lines {
                    proxy::line(&mut p, &mut acls, line, env, &mut out);
                }
                proxy::finish_section(&mut p, &mut out);
                if p.kind == ProxyKind::Defaults {
                    config.defaults.push(p);
                    self.last_defaults = Some(config.defaults.len() - 1);
                } else if let Some(summaries) = &mut self.summaries {
                    // Checked once built, then dropped.
                    summaries.push(Summary::of(&p));
                } else {
                    config.proxies.push(p);
                }
            }
            _ => config.others.push(other(section, &mut out)),
        }
    }

    /// The model.
    pub(crate) fn finish(self) -> Config {
        self.config
    }

    /// The model, and the summaries of its proxies when they were not
    /// kept in it.
    pub(crate) fn finish_with_summaries(self) -> (Config, Option<Vec<Summary>>) {
        (self.config, self.summaries)
    }
}

/// A section kept as raw lines.
fn other(section: &Section, out: &mut Out<'_>) -> OtherSection {
    let name = section.name().map(|w| w.text.clone()).unwrap_or_default();
    if section.name().is_none() && section.kind != SectionKind::Program {
        out.error(
            "E0101",
            section.header.span(),
            format!("missing name for {} section", section.kind.keyword()),
            "a name is required here",
        );
    }
    OtherSection {
        keyword: section.kind.keyword().into(),
        name,
        lines: section.lines.iter().map(raw).collect(),
        span: section.header.span(),
    }
}

/// A line as raw words.
pub(crate) fn raw(line: &Line) -> RawLine {
    RawLine {
        words: line.words.iter().map(|w| w.text.clone()).collect(),
        span: line.span(),
    }
}

/// Characters HAProxy allows in proxy, server and ACL names.
pub(crate) fn bad_name_char(name: &str) -> Option<char> {
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
}

/// The word at `i`, or a point just after the line's end.
pub(crate) fn word_or_end(line: &Line, i: usize) -> (Option<&Word>, Span) {
    match line.words.get(i) {
        Some(w) => (Some(w), w.span),
        None => {
            let last = line.words.last().map(|w| w.span).unwrap_or_default();
            (
                None,
                Span {
                    offset: last.offset + last.len,
                    len: 0,
                    col: last.col + last.len,
                    ..last
                },
            )
        }
    }
}

/// The proxy kind of a section kind.
pub(crate) fn proxy_kind(kind: SectionKind) -> Option<ProxyKind> {
    match kind {
        SectionKind::Defaults => Some(ProxyKind::Defaults),
        SectionKind::Frontend => Some(ProxyKind::Frontend),
        SectionKind::Backend => Some(ProxyKind::Backend),
        SectionKind::Listen => Some(ProxyKind::Listen),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hasher;

    #[test]
    fn fnv1a_reference_values() {
        // The published FNV-1a 64-bit test vectors.
        let hash = |bytes: &[u8]| {
            let mut h = Fnv1a::default();
            h.write(bytes);
            h.finish()
        };
        assert_eq!(hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn acl_names_find_what_was_inserted() {
        let mut names = AclNames::default();
        assert!(names.insert(SmolStr::from("host_1")));
        assert!(!names.insert(SmolStr::from("host_1")));
        assert!(names.contains("host_1"));
        assert!(!names.contains("host_2"));
    }
}
