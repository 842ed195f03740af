//! Names one block gives and another uses: `track_script` and
//! `track_file` entries must name a block read before them (keepalived
//! looks names up as it reads), and a name that does not resolve gets a
//! "did you mean" suggestion.

use super::index::Index;
use crate::hash::HashMap;
use crate::model::{Spanned, TrackedName, VrrpScript};
use crate::{Diagnostic, Span};

/// What a tracking list refers to.
#[derive(Clone, Copy, Debug)]
pub(super) struct Refers {
    /// The code when the name is not defined (yet).
    code: &'static str,
    /// The list keyword (`track_script`).
    list: &'static str,
    /// The defining block keyword (`vrrp_script`).
    block: &'static str,
    /// A minimal body for the help line.
    body: &'static str,
}

/// `track_script` entries name `vrrp_script` blocks.
pub(super) const SCRIPTS: Refers = Refers {
    code: "E0222",
    list: "track_script",
    block: "vrrp_script",
    body: "script \"...\"",
};

/// `track_file` entries name `track_file` blocks.
pub(super) const FILES: Refers = Refers {
    code: "E0229",
    list: "track_file",
    block: "track_file",
    body: "file \"...\"",
};

/// Each `track_script` entry must name a `vrrp_script` defined before it,
/// once. Shared by instances and sync groups.
pub(super) fn check_track_script_names(
    tracked: &[TrackedName],
    ix: &Index<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    let lookup = |name: &str| ix.scripts.get(name).map(|s| &s.name);
    let known = || ix.script_names.iter().copied();
    check_references(tracked, &lookup, &known, SCRIPTS, diags);
}

/// Each `track_file` entry must name a `track_file` block defined before
/// it, once.
pub(super) fn check_track_file_names(
    tracked: &[TrackedName],
    ix: &Index<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    let lookup = |name: &str| ix.files.get(name).map(|f| &f.name);
    let known = || ix.file_names.iter().copied();
    check_references(tracked, &lookup, &known, FILES, diags);
}

/// Each entry of `tracked` must name a definition `lookup` finds, written
/// before it (keepalived looks names up as it reads), and only once.
fn check_references<'a, K: Iterator<Item = &'a str>>(
    tracked: &[TrackedName],
    lookup: &dyn Fn(&str) -> Option<&'a Spanned<String>>,
    known: &dyn Fn() -> K,
    what: Refers,
    diags: &mut Vec<Diagnostic>,
) {
    let mut seen: HashMap<&str, Span> = HashMap::default();
    for t in tracked {
        let name = &t.name;
        match lookup(&name.value) {
            None => diags.push(
                Diagnostic::error(what.code, format!("{} `{}` is not defined", what.list, name.value))
                    .at(name.span, format!("no {} has this name", what.block))
                    .with_help(format!(
                        "define `{} {} {{ {} }}` before its use{}",
                        what.block,
                        name.value,
                        what.body,
                        suggestion(&name.value, known())
                    )),
            ),
            Some(def) if !defined_before(def.span, name.span) => diags.push(
                Diagnostic::error(
                    what.code,
                    format!("{} `{}` is defined after its use", what.list, name.value),
                )
                .at(name.span, "not defined yet here")
                .with_label(def.span, "defined here")
                .with_help(format!(
                    "keepalived reads the file once, top to bottom: move the {} block above its first use",
                    what.block
                )),
            ),
            Some(_) => {
                if let Some(first) = seen.get(name.value.as_str()) {
                    diags.push(
                        Diagnostic::error("E0223", format!("`{}` is tracked twice", name.value))
                            .at(name.span, "keepalived ignores this entry")
                            .with_label(*first, "first tracked here")
                            .with_help("remove one of the two lines"),
                    );
                } else {
                    seen.insert(&name.value, name.span);
                }
            }
        }
    }
}

/// The `vrrp_script` a tracking entry resolves to: named so, and read
/// before the entry.
pub(super) fn resolve_script<'a>(ix: &Index<'a>, entry: &TrackedName) -> Option<&'a VrrpScript> {
    ix.scripts
        .get(entry.name.value.as_str())
        .copied()
        .filter(|s| defined_before(s.name.span, entry.name.span))
}

/// Whether `def` was read before `used`. Only known within one file: the
/// order of included files is not in a span, so a definition in another
/// file counts as earlier.
pub(super) fn defined_before(def: Span, used: Span) -> bool {
    def.file != used.file || def.offset < used.offset
}

/// The most names compared for a suggestion.
const MAX_CANDIDATES: usize = 1000;

/// "; did you mean `x`?" when a known name is close to `name` (among the
/// first names offered, so the search stays bounded).
pub(super) fn suggestion<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> String {
    let best = known
        .take(MAX_CANDIDATES)
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3) && *d > 0)
        .min_by_key(|(d, _)| *d);
    match best {
        Some((_, k)) => format!("; did you mean `{k}`?"),
        None => String::new(),
    }
}

/// Levenshtein distance between two short names (strsim's), bounded:
/// long names are compared on their first 64 characters.
fn edit_distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(prefix(a, 64), prefix(b, 64))
}

/// The first `n` characters of `s`.
fn prefix(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(at, _)| &s[..at])
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggestions_only_for_close_names() {
        let known = ["chk_haproxy", "other"];
        assert_eq!(
            super::suggestion("chk_haproxi", known.iter().copied()),
            "; did you mean `chk_haproxy`?"
        );
        assert_eq!(super::suggestion("zzz", known.iter().copied()), "");
    }

    #[test]
    fn order_is_known_within_a_file_only() {
        use super::super::testutil::sp;
        assert!(super::defined_before(sp(1), sp(2)));
        assert!(!super::defined_before(sp(2), sp(1)));
        let other_file = crate::Span {
            file: crate::FileId(1),
            ..sp(9)
        };
        assert!(super::defined_before(other_file, sp(1)));
    }
}
