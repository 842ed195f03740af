//! Lines of words to [`Tree`]: a `{` line opens the block of the line
//! before it, a `}` line closes it. Nesting is kept in an explicit stack
//! and bounded: deeper blocks are reported and flattened, never recursed.

use crate::build::Model;
use crate::{Block, Diagnostic, Node, Span, Token, Tree};

/// Blocks nested deeper than this are flattened (keepalived's deepest
/// real nesting is 4: `virtual_server` / `real_server` / `HTTP_GET` /
/// `url`).
pub(super) const MAX_DEPTH: usize = 32;

/// A block being filled.
#[derive(Debug)]
struct Open {
    /// Its `{`.
    open: Span,
    /// The lines read so far.
    nodes: Vec<Node>,
    /// False when the block has no keyword (or is too deep): its lines go
    /// straight to the enclosing owned block.
    owned: bool,
}

/// Builds the tree line by line.
#[derive(Debug, Default)]
pub(super) struct Builder {
    /// The top level.
    top: Vec<Node>,
    /// The open blocks, innermost last.
    open: Vec<Open>,
    /// The last line was a keyword line (so a `{` may open its block).
    can_open: bool,
    /// Indexes in `open` of the owned blocks.
    owned: Vec<usize>,
    /// Nesting was already reported too deep.
    reported_deep: bool,
    /// Emptied line buffers of closed blocks, kept (with their room) for
    /// the next blocks; at most [`MAX_SPARES`].
    spares: Vec<Vec<Node>>,
    /// When set, every top-level keyword goes to the model as soon as it
    /// is complete, and is dropped: the tree is never held whole.
    pub(super) model: Option<Model>,
    /// With a model: the argument lists of dropped lines, emptied, for the
    /// next lines (at most [`MAX_POOL`]).
    args_pool: Vec<Vec<Token>>,
    /// With a model: the blocks of dropped lines, emptied, for the next
    /// blocks (at most [`MAX_POOL`]). The boxes are what is reused: a
    /// node's block is boxed.
    #[allow(clippy::vec_box)]
    block_pool: Vec<Box<Block>>,
}

/// How many emptied block buffers [`Builder`] keeps without a model.
const MAX_SPARES: usize = 8;

/// How many emptied buffers of each kind [`Builder`] keeps with a model:
/// enough for the largest usual top-level block (a `virtual_server` with
/// its real servers and checkers).
const MAX_POOL: usize = 256;

impl Builder {
    /// The lines of the innermost open block.
    fn current(&mut self) -> &mut Vec<Node> {
        match self.owned.last().and_then(|&i| self.open.get_mut(i)) {
            Some(o) => &mut o.nodes,
            None => &mut self.top,
        }
    }

    /// A keyword line.
    #[cfg(test)]
    pub(super) fn line(&mut self, mut words: Vec<Token>) {
        if words.is_empty() {
            return;
        }
        let keyword = words.remove(0);
        self.keyword_line(keyword, words);
    }

    /// A keyword line, its first word already apart from the others.
    pub(super) fn keyword_line(&mut self, keyword: Token, args: Vec<Token>) {
        if self.owned.is_empty() {
            // The top-level keywords read so far can no longer change.
            self.stream_top();
        }
        self.current().push(Node {
            keyword,
            args,
            block: None,
        });
        self.can_open = true;
    }

    /// Hands the top-level keywords read so far to the model, if any, and
    /// keeps their emptied buffers for the next lines.
    fn stream_top(&mut self) {
        let Some(mut model) = self.model.take() else {
            return;
        };
        let mut top = std::mem::take(&mut self.top);
        for node in top.drain(..) {
            model.node(&node);
            self.recycle(node, 0);
        }
        self.top = top;
        self.model = Some(model);
    }

    /// Empties a dropped line into the pools (a block's lines too, down to
    /// the nesting limit: the rest is simply dropped).
    fn recycle(&mut self, node: Node, depth: usize) {
        let Node { args, block, .. } = node;
        self.keep_args(args);
        let Some(mut block) = block else {
            return;
        };
        let mut nodes = std::mem::take(&mut block.nodes);
        if depth < MAX_DEPTH {
            for inner in nodes.drain(..) {
                self.recycle(inner, depth + 1);
            }
        }
        nodes.clear();
        if self.spares.len() < MAX_POOL {
            self.spares.push(nodes);
        }
        if self.block_pool.len() < MAX_POOL {
            self.block_pool.push(block);
        }
    }

    /// Keeps an argument list for a later line.
    fn keep_args(&mut self, mut args: Vec<Token>) {
        if args.capacity() > 0 && self.args_pool.len() < MAX_POOL {
            args.clear();
            self.args_pool.push(args);
        }
    }

    /// An empty argument list with room for `n` words: a kept one when
    /// there is one (the tree is dropped line by line with a model),
    /// otherwise exactly sized (the tree is kept).
    pub(super) fn args(&mut self, n: usize) -> Vec<Token> {
        match self.args_pool.pop() {
            Some(mut args) => {
                args.reserve(n);
                args
            }
            None => Vec::with_capacity(n),
        }
    }

    /// A `{` line.
    pub(super) fn open(&mut self, at: Span, diags: &mut Vec<Diagnostic>) {
        let mut owned = self.can_open;
        if !owned {
            diags.push(
                Diagnostic::error("E0005", "`{` without a keyword before it")
                    .at(at, "this block belongs to no keyword")
                    .with_help("a block opens on the keyword's line or the line after it")
                    .with_note("keepalived: Unexpected '{' - ignoring"),
            );
        } else if self.owned.len() >= MAX_DEPTH {
            owned = false;
            if !self.reported_deep {
                self.reported_deep = true;
                diags.push(
                    Diagnostic::error("E0006", "blocks nested too deeply")
                        .at(at, format!("more than {MAX_DEPTH} blocks deep"))
                        .with_note(
                            "lbkit reads the lines of deeper blocks as part of the enclosing block",
                        ),
                );
            }
        }
        if owned {
            self.owned.push(self.open.len());
        }
        let nodes = self.spares.pop().unwrap_or_default();
        self.open.push(Open {
            open: at,
            nodes,
            owned,
        });
        self.can_open = false;
    }

    /// A `}` line.
    pub(super) fn close(&mut self, at: Span, diags: &mut Vec<Diagnostic>) {
        self.can_open = false;
        let Some(done) = self.open.pop() else {
            diags.push(
                Diagnostic::error("E0004", "unexpected `}`")
                    .at(at, "no block is open here")
                    .with_help("remove it, or add the `{` it was meant to close")
                    .with_note("keepalived: Extra '}' found"),
            );
            return;
        };
        self.attach(done, Some(at));
    }

    /// Gives a finished block to its keyword (the lines of a block without
    /// one are in the enclosing block already).
    fn attach(&mut self, done: Open, close: Option<Span>) {
        let mut buffer = done.nodes;
        if done.owned {
            self.owned.pop();
            let streaming = self.model.is_some();
            let mut kept = if streaming {
                self.block_pool.pop()
            } else {
                None
            };
            let parent = self.current();
            match parent.last_mut() {
                Some(node) if node.block.is_none() && streaming => {
                    // The tree is dropped line by line: the block takes
                    // the buffer as it is, and buffers come back when
                    // their lines are dropped.
                    let block = Block {
                        open: done.open,
                        close,
                        nodes: std::mem::take(&mut buffer),
                    };
                    node.block = Some(match kept.take() {
                        Some(mut reused) => {
                            *reused = block;
                            reused
                        }
                        None => Box::new(block),
                    });
                }
                Some(node) if node.block.is_none() => {
                    // The block keeps an exactly sized copy; the grown
                    // buffer serves the next block.
                    let mut nodes = Vec::with_capacity(buffer.len());
                    nodes.append(&mut buffer);
                    node.block = Some(Box::new(Block {
                        open: done.open,
                        close,
                        nodes,
                    }));
                }
                _ => parent.append(&mut buffer),
            }
            if let Some(unused) = kept {
                self.block_pool.push(unused);
            }
        }
        if buffer.is_empty() && buffer.capacity() > 0 && self.spares.len() < MAX_SPARES {
            self.spares.push(buffer);
        }
    }

    /// The tree (empty when the keywords went to a model) and the model;
    /// blocks still open are reported at their `{`.
    pub(super) fn finish(
        mut self,
        end: Option<Span>,
        diags: &mut Vec<Diagnostic>,
    ) -> (Tree, Option<Model>) {
        if let Some(outer) = self.open.first() {
            let count = self.open.len();
            let mut d = Diagnostic::error("E0003", "unterminated block")
                .at(outer.open, "this `{` is never closed");
            for inner in self.open.iter().skip(1) {
                d = d.with_label(inner.open, "neither is this one");
            }
            if let Some(end) = end {
                d = d.with_label(end, "the configuration ends here");
            }
            let s = if count == 1 { "" } else { "s" };
            d = d
                .with_help(format!("add {count} `}}`{s} where the block{s} should end"))
                .with_note(format!(
                    "keepalived: There are {count} missing '}}'s or extra '{{'s"
                ));
            diags.push(d);
        }
        while let Some(done) = self.open.pop() {
            self.attach(done, None);
        }
        self.stream_top();
        (Tree { nodes: self.top }, self.model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(text: &str, offset: u32) -> Token {
        Token {
            text: text.into(),
            span: Span {
                offset,
                len: text.len() as u32,
                line: 1,
                ..Span::default()
            },
            quoted: false,
        }
    }

    #[test]
    fn block_goes_to_previous_keyword() {
        let mut b = Builder::default();
        let mut d = Vec::new();
        b.line(vec![tok("a", 0)]);
        b.open(Span::default(), &mut d);
        b.line(vec![tok("b", 4), tok("c", 6)]);
        b.close(Span::default(), &mut d);
        let (t, _) = b.finish(None, &mut d);
        assert!(d.is_empty());
        assert_eq!(t.nodes.len(), 1);
        let block = t.nodes[0].block.as_ref().map(|b| b.nodes.len());
        assert_eq!(block, Some(1));
    }

    #[test]
    fn too_deep_is_flattened_once() {
        let mut b = Builder::default();
        let mut d = Vec::new();
        for _ in 0..100_000 {
            b.line(vec![tok("x", 0)]);
            b.open(Span::default(), &mut d);
        }
        for _ in 0..100_000 {
            b.close(Span::default(), &mut d);
        }
        let (t, _) = b.finish(None, &mut d);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "E0006");
        let mut depth = 0;
        let mut nodes = &t.nodes;
        while let Some(block) = nodes.last().and_then(|n| n.block.as_ref()) {
            depth += 1;
            nodes = &block.nodes;
        }
        assert_eq!(depth, MAX_DEPTH);
    }
}
