//! The syntax tree: sections of keyword lines, every word located.

use crate::lex::Word;
use crate::source::Span;

/// The kinds of section HAProxy 2.6 knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SectionKind {
    /// `global`
    Global,
    /// `defaults [NAME] [from NAME]`
    Defaults,
    /// `frontend NAME`
    Frontend,
    /// `backend NAME`
    Backend,
    /// `listen NAME`
    Listen,
    /// `resolvers NAME`
    Resolvers,
    /// `peers NAME`
    Peers,
    /// `userlist NAME`
    Userlist,
    /// `mailers NAME`
    Mailers,
    /// `program NAME`
    Program,
    /// `http-errors NAME`
    HttpErrors,
    /// `ring NAME`
    Ring,
    /// `cache NAME`
    Cache,
    /// `log-forward NAME`
    LogForward,
}

impl SectionKind {
    /// Every kind, in the order the keyword list shows them.
    pub const ALL: [SectionKind; 14] = [
        SectionKind::Global,
        SectionKind::Defaults,
        SectionKind::Frontend,
        SectionKind::Backend,
        SectionKind::Listen,
        SectionKind::Resolvers,
        SectionKind::Peers,
        SectionKind::Userlist,
        SectionKind::Mailers,
        SectionKind::Program,
        SectionKind::HttpErrors,
        SectionKind::Ring,
        SectionKind::Cache,
        SectionKind::LogForward,
    ];

    /// The section keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            SectionKind::Global => "global",
            SectionKind::Defaults => "defaults",
            SectionKind::Frontend => "frontend",
            SectionKind::Backend => "backend",
            SectionKind::Listen => "listen",
            SectionKind::Resolvers => "resolvers",
            SectionKind::Peers => "peers",
            SectionKind::Userlist => "userlist",
            SectionKind::Mailers => "mailers",
            SectionKind::Program => "program",
            SectionKind::HttpErrors => "http-errors",
            SectionKind::Ring => "ring",
            SectionKind::Cache => "cache",
            SectionKind::LogForward => "log-forward",
        }
    }

    /// The kind a section keyword starts (case-sensitive, as HAProxy).
    pub fn from_keyword(word: &str) -> Option<SectionKind> {
        // A `match` on the text: one length test for nearly every line.
        Some(match word {
            "global" => SectionKind::Global,
            "defaults" => SectionKind::Defaults,
            "frontend" => SectionKind::Frontend,
            "backend" => SectionKind::Backend,
            "listen" => SectionKind::Listen,
            "resolvers" => SectionKind::Resolvers,
            "peers" => SectionKind::Peers,
            "userlist" => SectionKind::Userlist,
            "mailers" => SectionKind::Mailers,
            "program" => SectionKind::Program,
            "http-errors" => SectionKind::HttpErrors,
            "ring" => SectionKind::Ring,
            "cache" => SectionKind::Cache,
            "log-forward" => SectionKind::LogForward,
            _ => return None,
        })
    }

    /// True for the proxy sections (`defaults`, `frontend`, `backend`,
    /// `listen`), read by the same keyword parsers.
    pub fn is_proxy(self) -> bool {
        matches!(
            self,
            SectionKind::Defaults
                | SectionKind::Frontend
                | SectionKind::Backend
                | SectionKind::Listen
        )
    }
}

/// One keyword line inside a section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The words; never empty.
    pub words: Vec<Word>,
}

impl Line {
    /// The first word's value (with a `no` or `default` prefix, that
    /// prefix).
    pub fn keyword(&self) -> &str {
        self.words.first().map_or("", |w| w.as_str())
    }

    /// The word at `i`, if any.
    pub fn word(&self, i: usize) -> Option<&str> {
        self.words.get(i).map(Word::as_str)
    }

    /// From the first word to the last.
    pub fn span(&self) -> Span {
        match (self.words.first(), self.words.last()) {
            (Some(a), Some(b)) if a.span.file == b.span.file && a.span.line == b.span.line => {
                a.span.to(b.span)
            }
            (Some(a), _) => a.span,
            _ => Span::default(),
        }
    }
}

/// A section: its header line and its keyword lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// What kind.
    pub kind: SectionKind,
    /// The header line (`backend app`), keyword first.
    pub header: Line,
    /// The keyword lines, in order.
    pub lines: Vec<Line>,
}

impl Section {
    /// The section's name (second header word), if any.
    pub fn name(&self) -> Option<&Word> {
        self.header.words.get(1)
    }
}

/// A whole configuration: the sections of every file, in reading order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    /// The sections.
    pub sections: Vec<Section>,
}

impl Tree {
    /// The words of the tree, without their places: what two trees read
    /// from different text must share to mean the same.
    pub fn words(&self) -> Vec<Vec<Vec<String>>> {
        self.sections
            .iter()
            .map(|s| {
                std::iter::once(&s.header)
                    .chain(&s.lines)
                    .map(|l| l.words.iter().map(|w| w.text.to_string()).collect())
                    .collect()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_keywords() {
        for kind in SectionKind::ALL {
            assert_eq!(SectionKind::from_keyword(kind.keyword()), Some(kind));
        }
        assert_eq!(SectionKind::from_keyword("GLOBAL"), None);
        assert_eq!(
            SectionKind::from_keyword("http-errors"),
            Some(SectionKind::HttpErrors)
        );
        assert!(SectionKind::Listen.is_proxy());
        assert!(!SectionKind::Peers.is_proxy());
    }
}
