//! Reading files into the syntax tree: lines, conditional blocks,
//! message directives and section headers, as HAProxy 2.6's
//! `readcfgfile()` does.
//!
//! Each file starts outside any section and with no open `.if`. Lines are
//! split by [`crate::lex`]; a line whose first word starts with `.` is a
//! directive. Inside a block whose condition is false only `.if`, `.elif`,
//! `.else` and `.endif` are looked at (to follow nesting), yet every line
//! is still split, so a broken quote there is still an error.

use crate::cond;
use crate::diag::Diagnostic;
use crate::lex::{self, LexErrorKind, LineContext, LinePos, Word, MAX_WORDS};
use crate::source::{FileId, Span};
use crate::tree::{Line, Section, SectionKind};
use crate::Options;

/// Deepest `.if` nesting; the 100th nested `.if` is an error, as in
/// HAProxy 2.6.
pub(crate) const MAX_NESTED_IFS: usize = 99;

/// The state of one open `.if` block.
#[derive(Clone, Copy, Debug)]
struct Block {
    /// The `.if` line, for "non-terminated" errors.
    span: Span,
    /// Lines of the current branch are read.
    active: bool,
    /// A branch was already taken (later `.elif`/`.else` are skipped).
    taken: bool,
    /// `.else` was seen.
    in_else: bool,
    /// The enclosing block was active.
    parent_active: bool,
}

/// Reads the text of one file into `tree`, adding what it finds to
/// `diags`.
#[cfg(test)]
pub(crate) fn read_text(
    file: FileId,
    name: &str,
    text: &str,
    opts: &Options,
    tree: &mut crate::tree::Tree,
    diags: &mut Vec<Diagnostic>,
) {
    read_sections(
        file,
        name,
        text,
        opts,
        &mut |s| {
            tree.sections.push(s);
            None
        },
        diags,
    );
}

/// What a section sink does with each section read: keeps it (and
/// returns `None`), or uses it and hands it back so that its vectors
/// serve the next sections.
pub(crate) type Sink<'a> = dyn FnMut(Section) -> Option<Section> + 'a;

/// Reads the text of one file, handing each section to `sink` once its
/// last line is read, and adding what it finds to `diags`.
pub(crate) fn read_sections(
    file: FileId,
    name: &str,
    text: &str,
    opts: &Options,
    sink: &mut Sink<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    // A file starts outside any section.
    let mut state = Reader::default();
    read_lines(file, name, text, opts, &mut state, sink, diags);
    if let Some(last) = state.current {
        sink(last);
    }
}

/// The section being read and the vectors handed back by the sink.
#[derive(Default)]
struct Reader {
    /// The section being read, if any.
    current: Option<Section>,
    /// Vectors for the next lines and sections.
    spare: Spare,
}

/// The vectors of sections a sink handed back, for the next lines and
/// sections: a check that drops each section once built allocates them
/// once instead of once per line.
#[derive(Default)]
struct Spare {
    /// Emptied word vectors.
    words: Vec<Vec<Word>>,
    /// An emptied line vector.
    lines: Vec<Line>,
}

impl Spare {
    /// Takes back the vectors of a section a sink is done with.
    fn recycle(&mut self, mut section: Section) {
        let mut header = section.header.words;
        header.clear();
        self.words.push(header);
        for line in section.lines.drain(..) {
            let mut words = line.words;
            words.clear();
            self.words.push(words);
        }
        if section.lines.capacity() > self.lines.capacity() {
            self.lines = section.lines;
        }
    }
}

/// [`read_sections`]' loop over the lines.
fn read_lines(
    file: FileId,
    name: &str,
    text: &str,
    opts: &Options,
    state: &mut Reader,
    sink: &mut Sink<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    let env = |n: &str| opts.lookup_env(n);
    let mut blocks: Vec<Block> = Vec::new();
    let mut section_kw: &'static str = "";
    let mut offset = 0usize;
    let mut scratch: Vec<Word> = Vec::with_capacity(MAX_WORDS);
    // What is left of the text: the pieces between `\n` bytes, as
    // `str::split('\n')` gives them (a text ending in `\n` ends with an
    // empty piece).
    let mut rest = Some(text);
    let mut index = 0usize;
    while let Some(chunk) = rest {
        index += 1;
        let line_no = u32::try_from(index).unwrap_or(u32::MAX);
        let pos = LinePos {
            file,
            offset: u32::try_from(offset).unwrap_or(u32::MAX),
            line: line_no,
        };
        let ctx = LineContext {
            file_name: name,
            section: section_kw,
            env: &env,
        };
        // A vector handed back by the sink, else the scratch vector.
        let mut words = state.spare.words.pop().unwrap_or_default();
        let into = if words.capacity() > 0 {
            &mut words
        } else {
            &mut scratch
        };
        // The line is found and split in one pass when it is plain.
        let (len, split) = lex::split_first_line(chunk, pos, &ctx, into);
        let raw = chunk.get(..len).unwrap_or("");
        rest = chunk.get(len + 1..);
        offset += len + 1;
        if let Err(e) = split {
            diags.push(lex_error(raw, pos, e));
            state.spare.words.push(words);
            continue;
        }
        if words.capacity() == 0 {
            // Exactly as long as the line: a tree keeps it for the whole
            // run. (`mem::take` would keep the scratch vector's 64-word
            // capacity.)
            #[allow(clippy::drain_collect)]
            let collected: Vec<Word> = scratch.drain(..).collect();
            words = collected;
        }
        let Some(first) = words.first() else {
            state.spare.words.push(words);
            continue;
        };
        let active = blocks.last().is_none_or(|b| b.active);
        if first.text.starts_with('.') {
            match directive(&words, &mut blocks, opts, &env, diags) {
                Flow::Next => {}
                Flow::Stop => return,
                Flow::NotConditional if !active => {}
                Flow::NotConditional => message_directive(&words, diags),
            }
            state.spare.words.push(words);
            continue;
        }
        if !active {
            state.spare.words.push(words);
            continue;
        }
        if let Some(kind) = SectionKind::from_keyword(&first.text) {
            section_kw = kind.keyword();
            let next = Section {
                kind,
                header: Line { words },
                lines: std::mem::take(&mut state.spare.lines),
            };
            if let Some(back) = state.current.replace(next).and_then(&mut *sink) {
                state.spare.recycle(back);
            }
            continue;
        }
        match &mut state.current {
            Some(section) => section.lines.push(Line { words }),
            _ => {
                diags.push(
                    Diagnostic::error(
                        "E0020",
                        format!("unknown keyword '{}' out of section", first.text),
                    )
                    .at(first.span, "not inside any section")
                    .with_help(format!(
                        "start a section first (`{}`)",
                        SectionKind::ALL.map(SectionKind::keyword).join("`, `")
                    )),
                );
                state.spare.words.push(words);
            }
        }
    }
    if let Some(b) = blocks.first() {
        // Where the file ends: counted only when an error needs it.
        let body = text.strip_suffix('\n').unwrap_or(text);
        let last_line = u32::try_from(body.split('\n').count().max(1)).unwrap_or(u32::MAX);
        let last_text = body.rsplit('\n').next().unwrap_or("");
        let end = Span {
            file,
            offset: u32::try_from(body.len()).unwrap_or(u32::MAX),
            len: 0,
            line: last_line,
            col: u32::try_from(last_text.chars().count() + 1).unwrap_or(u32::MAX),
        };
        diags.push(
            Diagnostic::error("E0013", "non-terminated '.if' block")
                .at(end, "end of file reached")
                .with_label(b.span, "this `.if` has no `.endif`")
                .with_help("add `.endif` at the end of the block"),
        );
    }
}

/// What to do after a directive line.
enum Flow {
    /// Handled: go on with the next line.
    Next,
    /// A fatal problem: stop reading this file.
    Stop,
    /// Not a conditional directive (`.warning`, ...).
    NotConditional,
}

/// Handles `.if`, `.elif`, `.else`, `.endif`.
fn directive(
    words: &[Word],
    blocks: &mut Vec<Block>,
    opts: &Options,
    env: &dyn Fn(&str) -> Option<String>,
    diags: &mut Vec<Diagnostic>,
) -> Flow {
    let first = &words[0];
    let active = blocks.last().is_none_or(|b| b.active);
    match first.text.as_str() {
        ".if" => {
            if blocks.len() >= MAX_NESTED_IFS {
                diags.push(
                    Diagnostic::error(
                        "E0014",
                        format!("too many nested '.if', max is {}", MAX_NESTED_IFS + 1),
                    )
                    .at(first.span, "one level too deep"),
                );
                return Flow::Stop;
            }
            let value = if active {
                match condition(words, opts, env) {
                    Ok(v) => v,
                    Err(d) => {
                        diags.push(*d);
                        false
                    }
                }
            } else {
                false
            };
            blocks.push(Block {
                span: first.span,
                active: active && value,
                taken: value,
                in_else: false,
                parent_active: active,
            });
            Flow::Next
        }
        ".elif" | ".else" | ".endif" => {
            if first.text != ".elif" {
                if let Some(extra) = words.get(1) {
                    diags.push(
                        Diagnostic::error(
                            "E0016",
                            format!("Unexpected argument '{}' for '{}'", extra.text, first.text),
                        )
                        .at(extra.span, "no argument expected"),
                    );
                }
            }
            let Some(block) = blocks.last_mut() else {
                diags.push(
                    Diagnostic::error(
                        "E0012",
                        format!("lone '{}' with no matching '.if'", first.text),
                    )
                    .at(first.span, "no `.if` is open here"),
                );
                return Flow::Next;
            };
            match first.text.as_str() {
                ".endif" => {
                    blocks.pop();
                }
                kw if block.in_else => {
                    diags.push(
                        Diagnostic::error(
                            "E0012",
                            format!("'{kw}' after '.else' is not permitted"),
                        )
                        .at(first.span, "the block already had its `.else`"),
                    );
                }
                ".else" => {
                    block.in_else = true;
                    block.active = block.parent_active && !block.taken;
                    block.taken = true;
                }
                _ => {
                    let value = if block.parent_active && !block.taken {
                        match condition(words, opts, env) {
                            Ok(v) => v,
                            Err(d) => {
                                diags.push(*d);
                                false
                            }
                        }
                    } else {
                        false
                    };
                    block.active = block.parent_active && !block.taken && value;
                    block.taken |= value;
                }
            }
            Flow::Next
        }
        _ => Flow::NotConditional,
    }
}

/// Evaluates the condition of a `.if`/`.elif` line.
fn condition(
    words: &[Word],
    opts: &Options,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<bool, Box<Diagnostic>> {
    let rest = &words[1..];
    let text = rest
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    cond::eval(&text, &opts.facts, env).map_err(|e| {
        let span = place_in_words(rest, e.at).unwrap_or(words[0].span);
        Box::new(Diagnostic::error("E0011", format!("{} in '{}'", e.message, words[0].text))
            .at(span, "cannot be evaluated")
            .with_help(
                "terms are numbers, `(expr)`, `!term`, defined(), feature(), streq(), strneq(), version_atleast(), version_before(), joined by `&&` and `||`",
            ))
    })
}

/// The span of the character at `at` in the words joined by spaces.
fn place_in_words(words: &[Word], at: usize) -> Option<Span> {
    let mut start = 0usize;
    for w in words {
        let end = start + w.text.len();
        if at <= end {
            let within = at - start;
            let mut span = w.span;
            if w.span.len as usize == w.text.len() && within < w.text.len() {
                let chars = w.text.get(..within).map_or(0, |s| s.chars().count());
                span.offset += u32::try_from(within).unwrap_or(0);
                span.col += u32::try_from(chars).unwrap_or(0);
                span.len -= u32::try_from(within).unwrap_or(0);
            }
            return Some(span);
        }
        start = end + 1;
    }
    words.last().map(|w| w.span)
}

/// Handles `.diag`, `.notice`, `.warning`, `.alert` and unknown directives
/// on an active line.
fn message_directive(words: &[Word], diags: &mut Vec<Diagnostic>) {
    let first = &words[0];
    let kw = first.text.as_str();
    if !matches!(kw, ".diag" | ".notice" | ".warning" | ".alert") {
        diags.push(
            Diagnostic::error("E0010", format!("unknown directive '{kw}'"))
                .at(first.span, "not a directive")
                .with_help("directives are .if .elif .else .endif .diag .notice .warning .alert"),
        );
        return;
    }
    if let Some(extra) = words.get(2) {
        diags.push(
            Diagnostic::error(
                "E0016",
                format!(
                    "Unexpected argument '{}' for '{kw}'. Use quotes if the message should contain spaces",
                    extra.text
                ),
            )
            .at(extra.span, "second argument")
            .with_help(format!("quote the message: {kw} \"...\"")),
        );
        return;
    }
    let message = format!("'{}'", words.get(1).map_or("", |w| w.text.as_str()));
    let span = words.get(1).map_or(first.span, |w| w.span);
    match kw {
        ".alert" => diags.push(Diagnostic::error("E0015", message).at(span, "`.alert`")),
        ".warning" => diags.push(Diagnostic::warning("W0015", message).at(span, "`.warning`")),
        ".notice" => diags.push(Diagnostic::note("N0015", message).at(span, "`.notice`")),
        _ => {}
    }
}

/// The diagnostic of a line that could not be split.
fn lex_error(raw: &str, pos: LinePos, e: lex::LexError) -> Diagnostic {
    let (code, label, help) = match e.kind {
        LexErrorKind::UnmatchedQuote => ("E0001", "this quote is never closed", "close the quote on the same line"),
        LexErrorKind::BadHex => ("E0002", "`\\x` needs two hexadecimal digits", "write `\\x41` for `A`, or `\\\\x` for a backslash"),
        LexErrorKind::BadVarName => ("E0003", "not a variable name", "names start with a letter or `_`; only .FILE, .LINE and .SECTION start with `.`; write `\\$` for a dollar sign"),
        LexErrorKind::UnmatchedBrace => ("E0004", "this `${` has no `}`", "close the variable with `}`"),
        LexErrorKind::BadWordExpand => ("E0005", "only `[*]` may follow a variable name", "write `\"${NAME[*]}\"` to split the value into words"),
        LexErrorKind::TooManyWords => ("E0006", "the 64th word", "HAProxy reads at most 63 words on a line"),
        LexErrorKind::StrayNul => ("E0007", "a NUL byte", "remove the NUL byte"),
    };
    let at = e.at.min(raw.len());
    let col = raw.get(..at).map_or(at, |s| s.chars().count()) + 1;
    let len = raw
        .get(at..)
        .and_then(|s| s.chars().next())
        .map_or(0, char::len_utf8);
    let span = Span {
        file: pos.file,
        offset: pos.offset + u32::try_from(at).unwrap_or(0),
        len: u32::try_from(len).unwrap_or(0),
        line: pos.line,
        col: u32::try_from(col).unwrap_or(u32::MAX),
    };
    Diagnostic::error(code, e.kind.to_string())
        .at(span, label)
        .with_help(help)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::Tree;

    fn read(text: &str) -> (Tree, Vec<Diagnostic>) {
        let mut tree = Tree::default();
        let mut diags = Vec::new();
        let opts = Options::new().env([("HOME", "/root"), ("PORT", "8080")]);
        read_text(FileId(0), "t.cfg", text, &opts, &mut tree, &mut diags);
        (tree, diags)
    }

    fn codes(text: &str) -> Vec<(&'static str, u32)> {
        read(text)
            .1
            .iter()
            .map(|d| (d.code, d.span.map_or(0, |s| s.line)))
            .collect()
    }

    #[test]
    fn sections_and_lines() {
        let (tree, diags) = read("# c\nglobal\n  maxconn 10\n\nfrontend f\n  bind \"*:${PORT}\"\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            tree.words(),
            vec![
                vec![vec!["global"], vec!["maxconn", "10"]],
                vec![vec!["frontend", "f"], vec!["bind", "*:8080"]],
            ]
        );
        assert_eq!(tree.sections[1].lines[0].words[1].span.line, 6);
        assert_eq!(tree.sections[1].lines[0].words[1].span.col, 8);
    }

    #[test]
    fn lines_numbered_and_located_across_plain_and_quoted_lines() {
        // Line 2 is empty, line 3 has a quoted word, the last line has no
        // newline; offsets counted by hand.
        let text = "global\n\n    maxconn \"10\"\n  nbthread 2\nfrontend f";
        let (tree, diags) = read(text);
        assert!(diags.is_empty(), "{diags:?}");
        let place = |w: &Word| (w.text.to_string(), w.span.line, w.span.offset, w.span.col);
        let global: Vec<_> = tree.sections[0]
            .lines
            .iter()
            .flat_map(|l| l.words.iter().map(place))
            .collect();
        assert_eq!(
            global,
            [
                ("maxconn".to_string(), 3, 12, 5),
                ("10".to_string(), 3, 20, 13),
                ("nbthread".to_string(), 4, 27, 3),
                ("2".to_string(), 4, 36, 12),
            ]
        );
        let header: Vec<_> = tree.sections[1].header.words.iter().map(place).collect();
        assert_eq!(
            header,
            [
                ("frontend".to_string(), 5, 38, 1),
                ("f".to_string(), 5, 47, 10)
            ]
        );
        // A text ending in a newline, and one that is only newlines.
        assert_eq!(read("global\n").0.sections.len(), 1);
        assert!(read("\n\n").0.sections.is_empty());
        assert!(read("").0.sections.is_empty());
    }

    #[test]
    fn out_of_section() {
        assert_eq!(codes("foo bar\nglobal\n"), [("E0020", 1)]);
        assert_eq!(codes("GLOBAL\n"), [("E0020", 1)]);
    }

    #[test]
    fn conditionals() {
        let (tree, diags) = read(".if defined(HOME)\nglobal\n.else\nfrontend x\n.endif\n");
        assert!(diags.is_empty());
        assert_eq!(tree.sections.len(), 1);
        assert_eq!(tree.sections[0].kind, SectionKind::Global);
        let (tree, _) = read(
            ".if 0\nglobal\n.elif 1\nbackend b\n.elif 1\nfrontend f\n.else\nlisten l\n.endif\n",
        );
        assert_eq!(tree.words(), vec![vec![vec!["backend", "b"]]]);
        // Nested in a false branch: not evaluated, but followed.
        let (tree, diags) =
            read(".if 0\n.if foo\n.else\nglobal\n.endif\n.else\nbackend b\n.endif\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(tree.words(), vec![vec![vec!["backend", "b"]]]);
    }

    #[test]
    fn conditional_errors() {
        assert_eq!(codes(".endif\n"), [("E0012", 1)]);
        assert_eq!(codes(".else\n"), [("E0012", 1)]);
        assert_eq!(codes(".if 1\n.else\n.else\n.endif\n"), [("E0012", 3)]);
        assert_eq!(codes(".if 1\n.else\n.elif 1\n.endif\n"), [("E0012", 3)]);
        assert_eq!(codes(".if 1\n"), [("E0013", 1)]);
        assert_eq!(codes("global\n.if 1\n# c\n"), [("E0013", 3)]);
        assert_eq!(codes(".if 1\n.endif x\n"), [("E0016", 2)]);
        assert_eq!(codes(".if foo\n.endif\n"), [("E0011", 1)]);
        assert_eq!(codes(".foo\n"), [("E0010", 1)]);
        assert_eq!(codes(".if 0\n.foo\n.endif\n"), []);
        // A false branch still splits its lines.
        assert_eq!(codes(".if 0\n maxconn \"abc\n.endif\n"), [("E0001", 2)]);
        let deep = ".if 1\n".repeat(100) + &".endif\n".repeat(100);
        assert_eq!(codes(&deep), [("E0014", 100)]);
        let ok = ".if 1\n".repeat(99) + &".endif\n".repeat(99);
        assert_eq!(codes(&ok), []);
    }

    #[test]
    fn condition_error_points_at_the_term() {
        let (_, diags) = read(".if defined(HOME) || foo\n.endif\n");
        let span = diags[0].span.unwrap();
        assert_eq!((span.line, span.col), (1, 22));
    }

    #[test]
    fn messages() {
        assert_eq!(
            codes(".warning \"a b\"\n.notice hi\n.diag d\n.alert bad\n"),
            [("W0015", 1), ("N0015", 2), ("E0015", 4)]
        );
        assert_eq!(codes(".warning hello world\n"), [("E0016", 1)]);
        assert_eq!(codes(".if 0\n.alert x\n.endif\n"), []);
    }

    #[test]
    fn lexing_errors_are_located() {
        let (_, diags) = read("global\n  maxconn \"100\n");
        let d = &diags[0];
        assert_eq!(d.code, "E0001");
        let s = d.span.unwrap();
        assert_eq!((s.line, s.col, s.offset), (2, 11, 17));
    }
}
