//! The syntax tree: keepalived's configuration as nested keyword lines,
//! before any keyword is interpreted.
//!
//! Every line becomes a [`Node`]: its first word is the keyword, the other
//! words its arguments, and a `{ ... }` after them its block. Words inside
//! a block opened and closed on the same line (`group { A B }`) become one
//! node per line as well: the builder of the typed model decides whether a
//! block is a list of values or of keywords.

use crate::Span;
use smol_str::SmolStr;

/// One word, after comments, quotes, `$NAME` substitution and `~SEQ`
/// expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The word's text (quotes removed). Words of up to 23 bytes (nearly
    /// all) are stored inline, without a heap allocation.
    pub text: SmolStr,
    /// Where it was written (for a substituted word: where the `$NAME` was).
    pub span: Span,
    /// It was written in double quotes.
    pub quoted: bool,
}

/// A keyword line with its arguments and optional block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// The first word.
    pub keyword: Token,
    /// The other words before the block.
    pub args: Vec<Token>,
    /// The `{ ... }` block, if any (boxed: most lines have none, and a
    /// line without one stays small).
    pub block: Option<Box<Block>>,
}

/// A `{ ... }` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The `{`.
    pub open: Span,
    /// The `}` (None when the file ended first; reported).
    pub close: Option<Span>,
    /// The lines inside.
    pub nodes: Vec<Node>,
}

/// A whole configuration, all included files spliced in place.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    /// The top-level lines.
    pub nodes: Vec<Node>,
}

impl Node {
    /// The span from the keyword to the last argument (the block excluded).
    pub fn head_span(&self) -> Span {
        let start = self.keyword.span;
        match self.args.last() {
            Some(last) if last.span.file == start.file && last.span.line == start.line => Span {
                len: (last.span.offset + last.span.len).saturating_sub(start.offset),
                ..start
            },
            _ => start,
        }
    }
}
