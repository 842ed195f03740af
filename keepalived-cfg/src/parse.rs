//! From text to [`Tree`]: keepalived's line reader, word splitter and
//! preprocessor (`include`, `$NAME`, `@name`, `~SEQ`, continuations).
//!
//! This follows keepalived 2.2.7's `lib/parser.c` (`read_line`,
//! `decomment`, `alloc_strvec_r`, `check_definition`, `replace_param`,
//! `add_seq`, `check_include`): a file is read in `fgets` pieces of at most
//! 1023 bytes; comments start at any `#` or `!` outside double quotes; a
//! line is cut before its first `{` or `}` outside quotes and the rest read
//! as the next line; only `$NAME=` definitions continue over a trailing
//! `\`. Each token keeps where it was written; a substituted word keeps
//! where its `$NAME` was.

mod builder;
mod defs;
mod glob;
mod line;
mod plain;
mod seq;

use crate::build::Model;
use crate::model::Config;
use crate::{Diagnostic, FileId, Options, Sources, Span, Token, Tree};
use builder::Builder;
use defs::{Defs, Kind, Random, LINE_END};
use line::{Line, SUBSTITUTED};
use smol_str::SmolStr;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// keepalived reads lines with `fgets` into 1024 bytes: longer lines are
/// read as several.
const MAX_PIECE: usize = 1023;
/// keepalived's buffer size: a substitution may not make a line this long.
const MAX_LINE: usize = 1024;
/// The longest word a [`SmolStr`] holds inline.
const INLINE_WORD: usize = 23;
/// Files included inside included files, at most this deep.
const MAX_INCLUDE_DEPTH: usize = 32;
/// `$NAME` substitutions in one line (and the text after its braces), at
/// most: keepalived loops forever on `$A=$A`.
const MAX_SUBSTITUTIONS: usize = 1024;
/// Files read for one configuration, at most (includes fan out: a glob
/// in a file matched by its own glob reads files again and again).
const MAX_FILES: usize = 1024;
/// Lines made by `~SEQ` and multi-line definitions, at most.
const MAX_GENERATED_LINES: usize = 100_000;

/// `include` checks (keepalived's `INCLUDE_R`, `_M`, `_W`, `_B`).
const INCLUDE_R: u8 = 1;
const INCLUDE_M: u8 = 2;
const INCLUDE_W: u8 = 4;
const INCLUDE_B: u8 = 8;

/// A configuration read into its syntax tree only: no model, no checks.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Parsed {
    /// Every file read.
    pub sources: Sources,
    /// The syntax tree.
    pub tree: Tree,
    /// The problems found while reading, in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads configuration text named `name` into its syntax tree.
pub fn parse_tree(name: &str, text: &str, opts: &Options) -> Parsed {
    parsed(Input::Text { name, text }, opts)
}

/// Reads the configuration in `path` (and what it includes) into its
/// syntax tree.
pub fn parse_tree_file(path: &Path, opts: &Options) -> Parsed {
    parsed(Input::File(path), opts)
}

/// The syntax tree of `input`.
fn parsed(input: Input<'_>, opts: &Options) -> Parsed {
    let mut sources = Sources::new();
    let mut diagnostics = Vec::new();
    let mut parser = Parser::new(opts, &mut sources, &mut diagnostics);
    parser.open_input(input);
    let (tree, _) = parser.run();
    Parsed {
        sources,
        tree,
        diagnostics,
    }
}

/// What the lexer alone found in a text: its lines and words, each word
/// located (file, line, offset), no tree built.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Scan {
    /// Keyword lines (`{` and `}` lines not counted).
    pub lines: usize,
    /// Words, keywords included.
    pub words: usize,
    /// The problems found, in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

/// Runs only the lexer and preprocessor over `text`: lines, comments,
/// quotes, braces, definitions, conditions, `~SEQ`, includes, and the
/// position of every word; the tree is not built.
pub fn scan_str(name: &str, text: &str, opts: &Options) -> Scan {
    let mut sources = Sources::new();
    let mut diagnostics = Vec::new();
    let mut parser = Parser::new(opts, &mut sources, &mut diagnostics);
    parser.scan = Some((0, 0));
    parser.open_input(Input::Text { name, text });
    let (lines, words) = parser.run_scan();
    Scan {
        lines,
        words,
        diagnostics,
    }
}

/// Where a configuration is read from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Input<'t> {
    /// A file (and what it includes).
    File(&'t Path),
    /// Text already in memory, named `name`; relative `include`s resolve
    /// against the current directory.
    Text {
        /// The name diagnostics give it.
        name: &'t str,
        /// The text.
        text: &'t str,
    },
}

/// Reads `input` and everything it includes into `sources`, and builds the
/// typed model one top-level keyword at a time, without keeping the tree.
/// Reading problems are pushed to `diags`; the model's own come back with
/// it.
pub(crate) fn load(
    input: Input<'_>,
    opts: &Options,
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
) -> (Config, Vec<Diagnostic>) {
    let mut parser = Parser::new(opts, sources, diags);
    parser.builder.model = Some(Model::default());
    parser.open_input(input);
    let (_, model) = parser.run();
    model.unwrap_or_default().finish()
}

/// The files of one `include` (or the main file): read one after the
/// other.
#[derive(Debug)]
struct Frame {
    /// Matches not opened yet.
    pending: VecDeque<PathBuf>,
    /// The file being read.
    active: Option<Active>,
    /// Which problems are errors (`INCLUDE_*`).
    kind: u8,
    /// The `include` line.
    from: Option<Span>,
}

/// A file being read.
#[derive(Debug)]
struct Active {
    /// Its id.
    id: FileId,
    /// The next byte to read.
    pos: usize,
    /// Relative includes resolve against this directory (keepalived
    /// changes into the directory of every file it opens).
    dir: PathBuf,
    /// The canonical path, to find include loops.
    canonical: Option<PathBuf>,
}

/// The remaining lines of a multi-line definition being expanded.
#[derive(Clone, Debug)]
struct Pending {
    /// The value.
    text: Vec<u8>,
    /// Where the next line starts in it.
    pos: usize,
    /// The `$NAME` that is expanded.
    at: Span,
    /// The `~SEQ` depth to come back to.
    seq_floor: usize,
}

/// A `~SEQ` being expanded.
#[derive(Clone, Debug)]
struct Seq {
    /// The variable.
    var: Vec<u8>,
    /// The values left.
    range: seq::Range,
    /// Values in hex.
    hex: bool,
    /// The text read once per value.
    text: Line,
}

/// Line number tables, for positions of tokens.
#[derive(Debug, Default)]
struct Positions {
    /// Per file, the offsets where lines start.
    starts: Vec<Vec<u32>>,
}

impl Positions {
    /// Notes that a line of `file` starts at `offset`.
    fn line_start(&mut self, file: FileId, offset: u32) {
        let index = file.0 as usize;
        if self.starts.len() <= index {
            self.starts.resize_with(index + 1, Vec::new);
        }
        let starts = &mut self.starts[index];
        if starts.last().is_none_or(|&last| last < offset) || starts.is_empty() {
            starts.push(offset);
        }
    }

    /// The 1-based line of `offset` in `file`.
    fn line(&self, file: FileId, offset: u32) -> u32 {
        let starts = self
            .starts
            .get(file.0 as usize)
            .map_or(&[][..], Vec::as_slice);
        // Most positions asked for are on the line read last.
        let line = match starts.last() {
            Some(&last) if last <= offset => starts.len(),
            _ => starts.partition_point(|&s| s <= offset).max(1),
        };
        line as u32
    }
}

/// The reader's state: keepalived's `read_line` statics, explicit.
struct Parser<'a> {
    opts: &'a Options,
    sources: &'a mut Sources,
    diags: &'a mut Vec<Diagnostic>,
    /// The include stack, innermost last.
    frames: Vec<Frame>,
    positions: Positions,
    /// The text after a `{` or `}`, read as the next line.
    residue: Option<Line>,
    /// `~SEQ`s being expanded, innermost last.
    seqs: Vec<Seq>,
    /// Only `~SEQ`s above this depth advance (keepalived's
    /// `multiline_seq_depth`).
    seq_floor: usize,
    /// The multi-line definition being expanded, and the ones it
    /// interrupted.
    multiline: Option<Pending>,
    multiline_stack: Vec<Pending>,
    defs: Defs,
    /// A multi-line definition being read.
    defining: Option<usize>,
    random: Random,
    /// Lines made so far by `~SEQ` and multi-line definitions.
    generated: usize,
    /// The origin of the last unterminated quote reported.
    quote_reported: Option<(FileId, u32)>,
    /// Substitutions made in the current line and its brace residues.
    substitutions: usize,
    /// Line buffers to reuse.
    spares: Vec<Line>,
    /// Scanning only: lines and words counted so far.
    scan: Option<(usize, usize)>,
    /// The words of the line being emitted (a buffer to reuse).
    words: Vec<line::Word>,
    /// A too long substitution was reported for the current line.
    long_reported: bool,
    /// The words and braces of a plain line (a buffer to reuse).
    events: Vec<plain::Event>,
    /// Plain lines are read by [`Parser::plain_line`] (tests compare with
    /// the full reader).
    plain_lines: bool,
    builder: Builder,
}

impl<'a> Parser<'a> {
    fn new(opts: &'a Options, sources: &'a mut Sources, diags: &'a mut Vec<Diagnostic>) -> Self {
        Parser {
            opts,
            sources,
            diags,
            frames: Vec::new(),
            positions: Positions::default(),
            residue: None,
            seqs: Vec::new(),
            seq_floor: 0,
            multiline: None,
            multiline_stack: Vec::new(),
            defs: Defs::new(),
            defining: None,
            random: Random::from_clock(),
            generated: 0,
            quote_reported: None,
            substitutions: 0,
            spares: Vec::new(),
            scan: None,
            words: Vec::new(),
            long_reported: false,
            events: Vec::new(),
            plain_lines: true,
            builder: Builder::default(),
        }
    }

    /// Starts reading `input`.
    fn open_input(&mut self, input: Input<'_>) {
        let frame = match input {
            Input::File(path) => Frame {
                pending: VecDeque::from([path.to_path_buf()]),
                active: None,
                kind: INCLUDE_R | INCLUDE_M | INCLUDE_W,
                from: None,
            },
            Input::Text { name, text } => Frame {
                pending: VecDeque::new(),
                active: Some(Active {
                    id: self.sources.add(name, text.to_string(), None),
                    pos: 0,
                    dir: PathBuf::new(),
                    canonical: None,
                }),
                kind: INCLUDE_R | INCLUDE_M | INCLUDE_W,
                from: None,
            },
        };
        self.frames.push(frame);
    }

    /// Reads everything and builds the tree (or the model, when the builder
    /// has one).
    fn run(mut self) -> (Tree, Option<Model>) {
        let mut main_end = None;
        while let Some(line) = self.next_line() {
            self.emit(&line);
            self.give_back(line);
        }
        let first = self
            .sources
            .iter()
            .next()
            .map(|(id, f)| (id, f.text.trim_end().len() as u32));
        if let Some((id, len)) = first {
            main_end = Some(self.point(id, len));
        }
        let Parser { builder, diags, .. } = self;
        builder.finish(main_end, diags)
    }

    /// Reads everything, locating every word without building the tree;
    /// returns the lines and words seen.
    fn run_scan(mut self) -> (usize, usize) {
        while let Some(line) = self.next_line() {
            self.emit(&line);
            self.give_back(line);
        }
        self.scan.unwrap_or_default()
    }

    /// A zero-length span at `offset` of `file`.
    fn point(&self, file: FileId, offset: u32) -> Span {
        Span {
            file,
            offset,
            len: 0,
            line: self.positions.line(file, offset),
        }
    }

    /// Where bytes `a..b` of `line` were written.
    fn span(&self, line: &Line, a: usize, b: usize) -> Span {
        let (Some(&first), Some(&last)) = (line.origin.get(a), line.origin.get(b.max(a + 1) - 1))
        else {
            return line.refs.first().copied().unwrap_or_default();
        };
        let start = if first & SUBSTITUTED != 0 {
            line.refs
                .get((first & !SUBSTITUTED) as usize)
                .copied()
                .unwrap_or_default()
        } else {
            self.point(line.file, first)
        };
        let end = if last & SUBSTITUTED != 0 {
            line.refs
                .get((last & !SUBSTITUTED) as usize)
                .map_or(start.offset + start.len, |r| r.offset + r.len)
        } else if matches!(line.bytes.get(b.max(a + 1) - 1), Some(b'#' | b'!'))
            && self.is_escape(line.file, last)
        {
            // `\#` read as `#`: the `#` carries the backslash's place.
            last + 2
        } else {
            last + 1
        };
        Span {
            len: end.saturating_sub(start.offset).max(start.len),
            ..start
        }
    }

    /// True when `offset` of `file` holds a `\` (so the byte read there
    /// is the `#` or `!` it escaped).
    fn is_escape(&self, file: FileId, offset: u32) -> bool {
        self.sources
            .get(file)
            .and_then(|f| f.text.as_bytes().get(offset as usize))
            == Some(&b'\\')
    }

    /// Turns a finished line into a `{`, a `}` or a keyword line.
    fn emit(&mut self, line: &Line) {
        match line.bytes.as_slice() {
            b"{" => {
                let at = self.span(line, 0, 1);
                if self.scan.is_none() {
                    self.builder.open(at, self.diags);
                }
                return;
            }
            b"}" => {
                let at = self.span(line, 0, 1);
                if self.scan.is_none() {
                    self.builder.close(at, self.diags);
                }
                return;
            }
            _ => {}
        }
        let mut words = std::mem::take(&mut self.words);
        let open_quote = line.words_into(&mut words);
        if let Some(q) = open_quote {
            let origin = (line.file, line.origin.get(q).copied().unwrap_or(0));
            if self.quote_reported != Some(origin) {
                let at = self.span(line, q, q + 1);
                self.diags.push(
                    Diagnostic::error("E0002", "unmatched quote")
                        .at(at, "this `\"` has no closing `\"`")
                        .with_help("keepalived does not escape quotes: a `\\\"` ends the string")
                        .with_note("keepalived: Unmatched quote, the rest of the line is dropped"),
                );
            }
        }
        if line.bytes.last() == Some(&b'\\')
            && line.origin.last().is_some_and(|o| o & SUBSTITUTED == 0)
        {
            let n = line.len();
            let at = self.span(line, n - 1, n);
            self.diags.push(
                Diagnostic::warning("W0003", "a trailing `\\` does not continue this line")
                    .at(at, "read as part of the last word")
                    .with_note(
                        "keepalived only continues `$NAME=` definitions over a trailing `\\`",
                    ),
            );
        }
        if let Some((lines, count)) = self.scan {
            let mut located = 0u64;
            for &w in &words {
                let at = self.span(line, w.start, w.end);
                located += u64::from(at.line) + u64::from(at.offset);
            }
            std::hint::black_box(located);
            self.scan = Some((lines + 1, count + words.len()));
            self.words = words;
            return;
        }
        let mut keyword = None;
        // Arguments only: no allocation for a line of one word, and no
        // shift when the keyword is taken out.
        let mut args = self.builder.args(words.len().saturating_sub(1));
        for &w in &words {
            let bytes = &line.bytes[w.text_range()];
            let text = match std::str::from_utf8(bytes) {
                Ok(t) => SmolStr::new(t),
                Err(_) => SmolStr::new(String::from_utf8_lossy(bytes)),
            };
            let span = self.span(line, w.start, w.end);
            let token = Token {
                text,
                span,
                quoted: w.quoted,
            };
            if keyword.is_none() {
                keyword = Some(token);
            } else {
                args.push(token);
            }
        }
        self.words = words;
        if let Some(keyword) = keyword {
            self.builder.keyword_line(keyword, args);
        }
    }

    /// keepalived's `read_line`: the next line with words, after
    /// definitions, conditions, substitutions, `~SEQ`, `include`, and the
    /// split at braces.
    fn next_line(&mut self) -> Option<Line> {
        loop {
            if self.plain_line() {
                continue;
            }
            let mut line = self.next_raw()?;
            if let Some(def) = self.defining {
                self.continue_definition(def, &line);
                continue;
            }
            if line.is_empty() || !self.preprocess(&mut line) || line.is_empty() {
                continue;
            }
            if self.include(&line) {
                continue;
            }
            let mut rest = self.spares.pop().unwrap_or_default();
            if line.split_at_brace(&mut rest) {
                self.residue = Some(rest);
            } else {
                self.give_back(rest);
            }
            return Some(line);
        }
    }

    /// Reads the next line of the file being read when it is plain (see
    /// [`plain`]): its words go straight to the tree. False, with nothing
    /// read, when the line needs the full reader, or when generated lines
    /// or the rest of a line come first.
    fn plain_line(&mut self) -> bool {
        if self.residue.is_some()
            || self.defining.is_some()
            || self.multiline.is_some()
            || self.seqs.len() > self.seq_floor
            || !self.plain_lines
        {
            return false;
        }
        let Some(active) = self.frames.last_mut().and_then(|f| f.active.as_mut()) else {
            return false;
        };
        let id = active.id;
        let start = active.pos;
        let Some(file) = self.sources.get(id) else {
            return false;
        };
        let text = file.text.as_bytes();
        if start >= text.len() || (start > 0 && text[start - 1] != b'\n') {
            return false;
        }
        let mut events = std::mem::take(&mut self.events);
        let Some(next) = plain::scan(text, start, MAX_PIECE, &mut events) else {
            self.events = events;
            return false;
        };
        active.pos = next;
        self.substitutions = 0;
        self.long_reported = false;
        self.positions.line_start(id, start as u32);
        let line = self.positions.line(id, start as u32);
        let at = |a: u32, b: u32| Span {
            file: id,
            offset: a,
            len: b - a,
            line,
        };
        let mut rest = &events[..];
        while let Some((&first, after)) = rest.split_first() {
            let plain::Event::Word(..) = first else {
                if let (plain::Event::Brace(i, brace), None) = (first, self.scan) {
                    if brace == b'{' {
                        self.builder.open(at(i, i + 1), self.diags);
                    } else {
                        self.builder.close(at(i, i + 1), self.diags);
                    }
                }
                rest = after;
                continue;
            };
            // A keyword line: the words up to the next brace.
            let n = rest
                .iter()
                .position(|e| matches!(e, plain::Event::Brace(..)))
                .unwrap_or(rest.len());
            let (words, after) = rest.split_at(n);
            rest = after;
            let ranges = words.iter().filter_map(|e| match *e {
                plain::Event::Word(x, y) => Some((x, y)),
                plain::Event::Brace(..) => None,
            });
            if let Some((lines, count)) = self.scan {
                let located: u64 = ranges
                    .map(|(x, y)| {
                        let span = at(x, y);
                        u64::from(span.line) + u64::from(span.offset)
                    })
                    .sum();
                std::hint::black_box(located);
                self.scan = Some((lines + 1, count + n));
                continue;
            }
            let mut tokens = ranges.map(|(x, y)| Token {
                text: match file.text.get(x as usize..y as usize) {
                    // Nearly every word: copied inline, nothing to decide.
                    Some(t) if t.len() <= INLINE_WORD => SmolStr::new_inline(t),
                    Some(t) => SmolStr::new(t),
                    None => SmolStr::new(String::from_utf8_lossy(&text[x as usize..y as usize])),
                },
                span: at(x, y),
                quoted: false,
            });
            let Some(keyword) = tokens.next() else {
                continue;
            };
            let mut args = self.builder.args(n - 1);
            args.extend(tokens);
            self.builder.keyword_line(keyword, args);
        }
        self.events = events;
        true
    }

    /// Keeps a line's buffers for a later line.
    fn give_back(&mut self, line: Line) {
        if self.spares.len() < 4 {
            self.spares.push(line);
        }
    }

    /// The next line from the text after a brace, a `~SEQ`, a multi-line
    /// definition or a file, in keepalived's order.
    fn next_raw(&mut self) -> Option<Line> {
        if let Some(line) = self.residue.take() {
            return Some(line);
        }
        self.substitutions = 0;
        self.long_reported = false;
        if self.seqs.len() > self.seq_floor && self.count_generated() {
            return self.next_seq_line();
        }
        if self.multiline.is_some() && self.count_generated() {
            return self.next_multiline_line();
        }
        self.next_file_line()
    }

    /// Counts a generated line; false (and reported) past the limit.
    fn count_generated(&mut self) -> bool {
        self.generated += 1;
        if self.generated <= MAX_GENERATED_LINES {
            return true;
        }
        let at = self
            .seqs
            .last()
            .and_then(|s| s.text.origin.first().map(|&o| (s.text.file, o)))
            .filter(|(_, o)| o & SUBSTITUTED == 0);
        let mut d = Diagnostic::error(
            "E0014",
            format!("`~SEQ` and multi-line definitions make more than {MAX_GENERATED_LINES} lines"),
        );
        if let Some((file, offset)) = at {
            let span = self.point(file, offset);
            d = d.at(span, "expanded here");
        } else if let Some(p) = &self.multiline {
            d = d.at(p.at, "expanded here");
        }
        self.diags
            .push(d.with_note("lbkit stops expanding to bound memory"));
        self.seqs.clear();
        self.multiline = None;
        self.multiline_stack.clear();
        self.seq_floor = 0;
        false
    }

    /// The next value of the innermost `~SEQ`.
    fn next_seq_line(&mut self) -> Option<Line> {
        let seq = self.seqs.last_mut()?;
        let value = seq::value_text(seq.range.next, seq.hex);
        let var = seq.var.clone();
        let line = seq.text.clone();
        match seq.range.next.checked_add(seq.range.step) {
            Some(next) => seq.range.next = next,
            None => seq.range.step = 0,
        }
        if seq.range.done() || seq.range.step == 0 {
            self.seqs.pop();
        }
        self.defs.set(&var, value);
        Some(line)
    }

    /// The next line of the multi-line definition being expanded.
    fn next_multiline_line(&mut self) -> Option<Line> {
        let p = self.multiline.as_mut()?;
        let rest = &p.text[p.pos.min(p.text.len())..];
        let (piece, done) = match rest.iter().position(|&b| b == LINE_END) {
            Some(i) => {
                let piece = rest[..i].to_vec();
                p.pos += i + 1;
                (piece, false)
            }
            None => (rest.to_vec(), true),
        };
        let at = p.at;
        if done {
            self.multiline = self.multiline_stack.pop();
            self.seq_floor = self.multiline.as_ref().map_or(0, |p| p.seq_floor);
        }
        let mut line = Line {
            file: at.file,
            origin: vec![SUBSTITUTED; piece.len()],
            bytes: piece,
            refs: vec![at],
        };
        line.refs.truncate(1);
        Some(line)
    }

    /// The next non-empty line of the files, comments removed.
    fn next_file_line(&mut self) -> Option<Line> {
        loop {
            let frame = self.frames.last_mut()?;
            let Some(active) = frame.active.as_mut() else {
                if !self.open_next() {
                    self.frames.pop();
                }
                continue;
            };
            let id = active.id;
            let text_str = self.sources.get(id).map_or("", |f| f.text.as_str());
            let text = text_str.as_bytes();
            let start = active.pos;
            if start >= text.len() {
                frame.active = None;
                continue;
            }
            let at_line_start = start == 0 || text[start - 1] == b'\n';
            let limit = (start + MAX_PIECE).min(text.len());
            // Lines are short: a plain byte loop beats `memchr`'s setup.
            let newline = text
                .get(start..limit)
                .and_then(|t| t.iter().position(|&b| b == b'\n'));
            let (end, next, cut) = match newline {
                Some(i) => (start + i, start + i + 1, false),
                None => {
                    let mut e = limit;
                    while e > start + 1 && e < text.len() && (text[e] & 0xC0) == 0x80 {
                        e -= 1;
                    }
                    (e, e, limit < text.len())
                }
            };
            active.pos = next;
            let mut piece = &text[start..end];
            while let Some((&last, head)) = piece.split_last() {
                if last == b'\r' || last == b'\n' {
                    piece = head;
                } else {
                    break;
                }
            }
            let mut line = self.spares.pop().unwrap_or_default();
            line.set_from_file(id, start as u32, piece);
            if at_line_start {
                self.positions.line_start(id, start as u32);
                if cut {
                    let at = self.span(&line, 0, line.len());
                    self.diags.push(
                        Diagnostic::warning("W0002", format!("line longer than {MAX_PIECE} bytes"))
                            .at(Span { len: at.len.min(MAX_PIECE as u32), ..at }, "")
                            .with_note(format!(
                                "keepalived reads it in pieces of {MAX_PIECE} bytes, each as a line of its own"
                            )),
                    );
                }
            }
            if line.is_empty() {
                if let Some(def) = self.defining.take() {
                    self.end_definition(def);
                }
                continue;
            }
            let found = line.decomment();
            if let Some(q) = found.open_quote {
                let at = self.span(&line, q, q + 1);
                self.quote_reported = Some((line.file, line.origin.get(q).copied().unwrap_or(0)));
                self.diags.push(
                    Diagnostic::error("E0001", "unterminated quote")
                        .at(at, "this `\"` is never closed")
                        .with_help("add a `\"` at the end of the string")
                        .with_note("keepalived: Unterminated quote"),
                );
            }
            if !line.is_empty() {
                return Some(line);
            }
        }
    }

    /// Opens the next match of the innermost include; false when none is
    /// left.
    fn open_next(&mut self) -> bool {
        let Some(frame) = self.frames.last_mut() else {
            return false;
        };
        let kind = frame.kind;
        let from = frame.from;
        while let Some(path) = self.frames.last_mut().and_then(|f| f.pending.pop_front()) {
            let shown = path.display().to_string();
            if self.sources.iter().count() >= MAX_FILES {
                self.too_many_files(from);
                return false;
            }
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    self.file_problem(kind, from, format!("cannot read `{shown}`: {e}"));
                    continue;
                }
            };
            if meta.is_dir() {
                self.file_problem(kind, from, format!("`{shown}` is a directory: skipped"));
                continue;
            }
            if !meta.is_file() || is_executable(&meta) {
                self.file_problem(
                    kind,
                    from,
                    format!("`{shown}` is not a regular non-executable file: skipped"),
                );
                continue;
            }
            let canonical = std::fs::canonicalize(&path).ok();
            if let Some(c) = &canonical {
                if self.is_open(c) {
                    self.loop_error(from, &shown);
                    continue;
                }
            }
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    self.file_problem(kind, from, format!("cannot read `{shown}`: {e}"));
                    continue;
                }
            };
            let (text, bad) = match String::from_utf8(bytes) {
                Ok(t) => (t, None),
                Err(e) => {
                    let at = e.utf8_error().valid_up_to();
                    (String::from_utf8_lossy(e.as_bytes()).into_owned(), Some(at))
                }
            };
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let id = self.sources.add(path, text, from);
            if let Some(at) = bad {
                self.invalid_utf8(id, at);
            }
            if let Some(frame) = self.frames.last_mut() {
                frame.active = Some(Active {
                    id,
                    pos: 0,
                    dir,
                    canonical,
                });
            }
            return true;
        }
        false
    }

    /// Reports that the file limit is reached, and stops including.
    fn too_many_files(&mut self, from: Option<Span>) {
        let mut d = Diagnostic::error("E0015", format!("more than {MAX_FILES} files included"));
        if let Some(at) = from {
            d = d.at(at, "one too many");
        }
        self.diags
            .push(d.with_note("lbkit stops including files to bound time and memory"));
        for frame in &mut self.frames {
            frame.pending.clear();
        }
    }

    /// True when `canonical` is being read already.
    fn is_open(&self, canonical: &Path) -> bool {
        self.frames
            .iter()
            .filter_map(|f| f.active.as_ref())
            .any(|a| a.canonical.as_deref() == Some(canonical))
    }

    /// Reports a file that includes itself, directly or not.
    fn loop_error(&mut self, from: Option<Span>, shown: &str) {
        let mut d = Diagnostic::error(
            "E0007",
            format!("include loop: `{shown}` is already being read"),
        );
        if let Some(at) = from {
            d = d.at(at, "included again here");
        }
        self.diags.push(d.with_help("remove this `include`").with_note(
            "keepalived would include the file again and again until it runs out of file descriptors",
        ));
    }

    /// Reports invalid UTF-8 (replaced by U+FFFD) in a file.
    fn invalid_utf8(&mut self, id: FileId, valid_up_to: usize) {
        // The replaced text starts where the valid prefix ends; line starts
        // are not known yet, so find the line here.
        let text = self.sources.get(id).map_or(&[][..], |f| f.text.as_bytes());
        let line_start = text[..valid_up_to.min(text.len())]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let line = 1 + text[..line_start].iter().filter(|&&b| b == b'\n').count();
        let span = Span {
            file: id,
            offset: valid_up_to as u32,
            len: 3,
            line: line as u32,
        };
        self.diags.push(
            Diagnostic::warning("W0001", "invalid UTF-8")
                .at(span, "not UTF-8")
                .with_note(
                    "lbkit reads such bytes as U+FFFD; keepalived passes them through unchanged",
                ),
        );
    }

    /// A problem opening an included file: an error when the include kind
    /// checks for it (keepalived's `file_config_error`), else a warning.
    fn file_problem(&mut self, kind: u8, from: Option<Span>, message: String) {
        self.include_problem(kind & INCLUDE_R != 0, "E0010", "W0010", from, message);
    }

    /// Pushes an include problem as error or warning.
    fn include_problem(
        &mut self,
        error: bool,
        error_code: &'static str,
        warning_code: &'static str,
        from: Option<Span>,
        message: String,
    ) {
        let mut d = if error {
            Diagnostic::error(error_code, message)
        } else {
            Diagnostic::warning(warning_code, message)
                .with_note("keepalived only logs this for a plain `include`; `includer`/`includem`/`includew`/`includea` make it an error")
        };
        if let Some(at) = from {
            d = d.at(at, "included here");
        }
        self.diags.push(d);
    }

    /// Handles an `include` line; false when the line is not one.
    fn include(&mut self, line: &Line) -> bool {
        let b = &line.bytes;
        if !b.starts_with(b"include") || b.len() <= 7 {
            return false;
        }
        let (kind, skip) = if b[7].is_ascii_whitespace() || b[7] == 0x0b {
            (0, 8)
        } else if b.len() > 8 && (b[8].is_ascii_whitespace() || b[8] == 0x0b) {
            match b[7] {
                b'r' => (INCLUDE_R, 9),
                b'a' => (INCLUDE_R | INCLUDE_M | INCLUDE_B | INCLUDE_W, 9),
                b'w' => (INCLUDE_R | INCLUDE_M | INCLUDE_W, 9),
                b'm' => (INCLUDE_R | INCLUDE_M, 9),
                b'b' => (INCLUDE_R | INCLUDE_B, 9),
                _ => return false,
            }
        } else {
            return false;
        };
        let pattern_start = skip
            + b[skip.min(b.len())..]
                .iter()
                .take_while(|&&c| line::is_blank(c))
                .count();
        let pattern = String::from_utf8_lossy(&b[pattern_start.min(b.len())..]).into_owned();
        let at = self.span(line, 0, line.len());
        if self.frames.len() >= MAX_INCLUDE_DEPTH {
            self.diags.push(
                Diagnostic::error("E0008", "includes nested too deeply")
                    .at(at, format!("more than {MAX_INCLUDE_DEPTH} files deep"))
                    .with_help("is there an include loop through a glob or a symbolic link?"),
            );
            return true;
        }
        let full = self.resolve(&pattern);
        let found = glob::glob(&full);
        if found.paths.is_empty() {
            let (check, what) = if found.missing > 0 && !found.wildcards {
                (
                    if found.braces { INCLUDE_B } else { INCLUDE_M },
                    "no such file",
                )
            } else {
                (INCLUDE_W, "no file matches")
            };
            self.include_problem(
                kind & check != 0,
                "E0009",
                "W0009",
                Some(at),
                format!("{what}: `{pattern}`"),
            );
            return true;
        }
        if found.braces && found.missing > 0 {
            self.include_problem(
                kind & INCLUDE_B != 0,
                "E0009",
                "W0009",
                Some(at),
                format!("some alternatives of `{pattern}` match no file"),
            );
            if kind & INCLUDE_B != 0 {
                return true;
            }
        }
        self.frames.push(Frame {
            pending: found.paths.into(),
            active: None,
            kind,
            from: Some(at),
        });
        true
    }

    /// The directory relative includes resolve against.
    fn current_dir(&self) -> PathBuf {
        self.frames
            .iter()
            .rev()
            .find_map(|f| f.active.as_ref().map(|a| a.dir.clone()))
            .unwrap_or_default()
    }

    /// A pattern made relative to the including file's directory.
    fn resolve(&self, pattern: &str) -> String {
        if pattern.starts_with('/') {
            return pattern.to_string();
        }
        let dir = self.current_dir();
        if dir.as_os_str().is_empty() {
            pattern.to_string()
        } else {
            format!("{}/{}", dir.display(), pattern)
        }
    }

    /// keepalived's processing of one line: `@id` conditions, `$NAME=`
    /// definitions, `~SEQ`, `$NAME` substitution, again while something
    /// changed. False when the line is consumed.
    fn preprocess(&mut self, line: &mut Line) -> bool {
        loop {
            if line.bytes.first() == Some(&b'@') && !self.condition(line) {
                return false;
            }
            if line.bytes.first() == Some(&b'$') {
                if let Some(def) = self.defs.define(&line.bytes) {
                    if self.defs.get(def).is_some_and(|d| d.multiline) {
                        self.defining = Some(def);
                    }
                    return false;
                }
            }
            if line.bytes.starts_with(b"~SEQ") {
                self.add_seq(line);
                return false;
            }
            if line.bytes.starts_with(b"~LST") {
                let at = self.span(line, 0, 4);
                self.diags.push(
                    Diagnostic::error("E0012", "`~LST` is not supported by lbkit")
                        .at(at, "this line is skipped")
                        .with_help("write the lines out, or use `~SEQ`"),
                );
                return false;
            }
            if line.bytes.first() == Some(&b'~') || !line.bytes.contains(&b'$') {
                return true;
            }
            if !self.substitute(line) {
                return true;
            }
            line.decomment();
            if !(line.bytes.first() == Some(&b'@') || line.bytes.contains(&b'$')) {
                return true;
            }
        }
    }

    /// `@id line` / `@^id line`: keeps the line (without the prefix) when
    /// the config id matches (does not match, for `@^`).
    fn condition(&mut self, line: &mut Line) -> bool {
        let reverse = line.bytes.get(1) == Some(&b'^');
        let from = if reverse { 2 } else { 1 };
        let Some(len) = line
            .bytes
            .get(from..)
            .and_then(|b| b.iter().position(|&c| line::is_blank(c)))
        else {
            return false;
        };
        let id = &line.bytes[from..from + len];
        let matched = self.opts.config_id.as_deref().map(str::as_bytes) == Some(id);
        if matched == reverse {
            return false;
        }
        let mut cut = from + len;
        cut += line.bytes[cut..]
            .iter()
            .take_while(|&&c| line::is_blank(c))
            .count();
        line.remove(0..cut);
        true
    }

    /// One more line of a multi-line definition.
    fn continue_definition(&mut self, def: usize, line: &Line) {
        let mut piece = line.bytes.clone();
        let more = piece.last() == Some(&b'\\');
        if more {
            piece.pop();
            while piece.last().is_some_and(|&b| line::is_blank(b)) {
                piece.pop();
            }
            piece.push(LINE_END);
        }
        if let Some(d) = self.defs.get_mut(def) {
            if piece.len() >= 2 || (!piece.is_empty() && !more) {
                d.value.extend_from_slice(&piece);
            }
        }
        if !more {
            self.end_definition(def);
        }
    }

    /// A multi-line definition is complete.
    fn end_definition(&mut self, def: usize) {
        self.defining = None;
        if let Some(d) = self.defs.get_mut(def) {
            if d.value.is_empty() {
                d.multiline = false;
            }
        }
    }

    /// keepalived's `replace_param`: replaces each `$NAME` / `${NAME}` that
    /// names a definition, rescanning the replaced text. True when
    /// something was replaced.
    fn substitute(&mut self, line: &mut Line) -> bool {
        let mut found = false;
        let mut cur = 0;
        while let Some(rel) = line
            .bytes
            .get(cur..)
            .and_then(|b| b.iter().position(|&c| c == b'$'))
        {
            let at = cur + rel;
            if at + 1 >= line.len() {
                break;
            }
            let Some(reference) = self.defs.find(&line.bytes[at + 1..]) else {
                cur = at + 1;
                continue;
            };
            self.substitutions += 1;
            if self.substitutions > MAX_SUBSTITUTIONS {
                let span = self.span(line, at, at + reference.len);
                self.diags.push(
                    Diagnostic::error("E0013", "definition expands forever")
                        .at(
                            span,
                            format!("still expanding after {MAX_SUBSTITUTIONS} substitutions"),
                        )
                        .with_help("a definition refers to itself, directly or through others")
                        .with_note("keepalived never finishes reading this line"),
                );
                line.truncate(0);
                return false;
            }
            let Some(def) = self.defs.get(reference.def) else {
                cur = at + 1;
                continue;
            };
            let multiline = def.multiline;
            let value = match def.kind {
                Kind::Text => def.value.clone(),
                Kind::Pwd => self.pwd(),
                Kind::Instance => self.opts.config_id.clone().unwrap_or_default().into_bytes(),
                Kind::Random => {
                    let (min, max) = reference.params.unwrap_or((0, Some(32767)));
                    let max = max.unwrap_or(32767);
                    self.random.between(min, max).to_string().into_bytes()
                }
            };
            let (first, rest) = match (multiline, value.iter().position(|&b| b == LINE_END)) {
                (true, Some(i)) => (value[..i].to_vec(), Some(value[i + 1..].to_vec())),
                _ => (value.clone(), None),
            };
            if line.len() + first.len() - reference.len >= MAX_LINE {
                if std::mem::replace(&mut self.long_reported, true) {
                    return false;
                }
                let span = self.span(line, at, at + reference.len);
                self.diags.push(
                    Diagnostic::warning("W0012", "substitution makes the line too long")
                        .at(span, format!("the line would reach {MAX_LINE} bytes"))
                        .with_note("keepalived stops substituting and reads the line as it is"),
                );
                return false;
            }
            found = true;
            let span = self.span(line, at, at + reference.len);
            let index = line.refs.len() as u32;
            line.refs.push(span);
            let marks = vec![SUBSTITUTED | index; first.len()];
            line.bytes.splice(at..at + reference.len, first);
            line.origin.splice(at..at + reference.len, marks);
            if let Some(text) = rest {
                if let Some(previous) = self.multiline.take() {
                    self.multiline_stack.push(previous);
                }
                self.multiline = Some(Pending {
                    text,
                    pos: 0,
                    at: span,
                    seq_floor: self.seq_floor,
                });
                self.seq_floor = self.seqs.len();
            }
            let lead = value.iter().take_while(|&&b| line::is_blank(b)).count();
            if value.get(lead) == Some(&b'~') {
                break;
            }
            cur = at;
        }
        found
    }

    /// `$_PWD`: the directory of the file being read, absolute.
    fn pwd(&self) -> Vec<u8> {
        let dir = self.current_dir();
        let cwd = std::env::current_dir().unwrap_or_default();
        let full = if dir.as_os_str().is_empty() {
            cwd
        } else {
            cwd.join(dir)
        };
        full.display().to_string().into_bytes()
    }

    /// Reads a `~SEQ` line and starts expanding it.
    fn add_seq(&mut self, line: &Line) {
        let whole = self.span(line, 0, line.len());
        let invalid = |this: &mut Self, why: &str| {
            this.diags.push(
                Diagnostic::error("E0011", format!("invalid `~SEQ`: {why}"))
                    .at(whole, "")
                    .with_help("write `~SEQ(var, end)`, `~SEQ(var, start, end)` or `~SEQ(var, start, step, end)` followed by the line to repeat")
                    .with_note("keepalived: Invalid ~SEQ specification"),
            );
        };
        let Some(header) = seq::header(&line.bytes) else {
            invalid(self, "malformed");
            return;
        };
        if header.params.len() + 1 > 3 * 20 + 3 + 1 {
            invalid(self, "parameters too long");
            return;
        }
        let mut params = line.clone();
        params.truncate(header.params.end);
        params.remove(0..header.params.start);
        let had_multiline = self.multiline.is_some();
        self.substitute(&mut params);
        if !had_multiline && self.multiline.is_some() {
            self.multiline = self.multiline_stack.pop();
            invalid(self, "a parameter is a multi-line definition");
            return;
        }
        let range = match seq::range(&params.bytes, header.hex) {
            Ok(r) => r,
            Err(why) => {
                invalid(self, why);
                return;
            }
        };
        let mut text = line.clone();
        text.remove(0..header.text.min(text.len()));
        self.seqs.push(Seq {
            var: line.bytes[header.var].to_vec(),
            range,
            hex: header.hex,
            text,
        });
    }
}

/// True when any execute bit is set.
#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o111 != 0
}

/// No execute bits elsewhere.
#[cfg(not(unix))]
fn is_executable(_meta: &std::fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The tree and diagnostics of `text`, plain lines read by the fast
    /// path or not.
    fn both(text: &str) -> [(Tree, Vec<Diagnostic>); 2] {
        [true, false].map(|plain| {
            let opts = Options::new().config_id("lb1");
            let mut sources = Sources::new();
            let mut diags = Vec::new();
            let mut parser = Parser::new(&opts, &mut sources, &mut diags);
            parser.plain_lines = plain;
            parser.open_input(Input::Text {
                name: "t.conf",
                text,
            });
            let (tree, _) = parser.run();
            (tree, diags)
        })
    }

    #[test]
    fn plain_lines_read_as_the_full_reader_reads_them() {
        let text = "global_defs {\r\n  router_id A # c\n}\nvrrp_instance VI_1 {\n\tstate MASTER\n  virtual_ipaddress { 192.0.2.1/24 dev eth0 }\n}\n}\n{ x\n$A=1\nb $A\n@lb1 c\nnotify /etc/keepalived/a-rather-long-script-name.sh x\n";
        let [fast, full] = both(text);
        assert_eq!(fast, full);
        assert_eq!(fast.0.nodes.len(), 6);
        let long = &fast.0.nodes[5].args[0].text;
        assert_eq!(long, "/etc/keepalived/a-rather-long-script-name.sh");
    }

    proptest! {
        #[test]
        fn plain_and_full_readers_agree(
            text in "([ \t\r]|[a-z]{1,3}|[{}]|#|!|\"|\\\\|\\$A|\\$A=x|@lb1 |~SEQ\\(i,2\\) |include x|\n){0,80}"
        ) {
            let [fast, full] = both(&text);
            prop_assert_eq!(fast, full);
        }
    }
}
