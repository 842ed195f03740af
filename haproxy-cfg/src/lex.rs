//! Word splitting of one configuration line, as HAProxy 2.6 does it.
//!
//! A line is split on unquoted blanks into at most 63 words. Double quotes
//! group blanks and allow `$NAME`, `${NAME}`, `${NAME-default}` and
//! `${NAME[*]}` (the last splits the value into several words) environment
//! expansion; single quotes group blanks and disable every escape and
//! expansion. Outside single quotes a backslash escapes a blank, `\`, `#`,
//! `'`, `"` (and `$` inside double quotes), and `\t`, `\n`, `\r`, `\xHH`
//! stand for those bytes; any other backslash is kept as it is. An unquoted
//! `#` starts a comment, a carriage return ends the line. Undefined
//! variables expand to nothing; a last word that ends up empty is dropped.

use crate::source::{FileId, Span};
use smol_str::SmolStr;

/// Most words on one line. HAProxy counts separators: a blank after the
/// 64th word (even before a comment) is already one too many.
pub const MAX_WORDS: usize = 64;

/// One word of a line, after unquoting, unescaping and expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The word's value (inline up to 23 bytes: no allocation for nearly
    /// every word).
    pub text: SmolStr,
    /// Where the word's source text is (for several words from one
    /// `${NAME[*]}` expansion, the whole source word).
    pub span: Span,
}

impl Word {
    /// The value.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Why a line could not be split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LexErrorKind {
    /// A quote opened and not closed.
    #[error("unmatched quote")]
    UnmatchedQuote,
    /// `\x` not followed by two hexadecimal digits.
    #[error("truncated or invalid hexadecimal sequence")]
    BadHex,
    /// `$` followed by a character that cannot start a variable name, or
    /// an unknown `.NAME` pseudo-variable.
    #[error("forbidden first char in environment variable name")]
    BadVarName,
    /// `${` without its `}`.
    #[error("unmatched brace in environment variable name")]
    UnmatchedBrace,
    /// `${NAME[` not followed by `*]`.
    #[error("truncated or invalid word expansion sequence")]
    BadWordExpand,
    /// More than [`MAX_WORDS`] words.
    #[error("too many words, truncating after word 64")]
    TooManyWords,
    /// A NUL byte in the line.
    #[error("stray NUL character")]
    StrayNul,
}

/// A line that could not be split, and where (byte index in the line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LexError {
    /// What is wrong.
    pub kind: LexErrorKind,
    /// Byte index in the line where the problem starts.
    pub at: usize,
}

/// What the line's `${.FILE}`, `${.LINE}` and `${.SECTION}` stand for, and
/// how to look environment variables up.
pub struct LineContext<'a> {
    /// The file being read, for `${.FILE}`.
    pub file_name: &'a str,
    /// The current section keyword, for `${.SECTION}`.
    pub section: &'a str,
    /// Looks an environment variable up.
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// Where the line is: to give each word its span.
#[derive(Clone, Copy, Debug)]
pub struct LinePos {
    /// The file.
    pub file: FileId,
    /// Byte offset of the line's first byte in the file.
    pub offset: u32,
    /// 1-based line number.
    pub line: u32,
}

/// Bytes that end, quote, escape or expand a word, as a table.
const SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut k = 0;
    let set = b"\n\r#\"'\\$ \t\x0b\x0c";
    while k < set.len() {
        t[set[k] as usize] = true;
        k += 1;
    }
    t
};

/// Bytes that end, quote, escape or expand a word.
fn is_special(b: u8) -> bool {
    SPECIAL[usize::from(b)]
}

/// The length of the leading run of ordinary (not [`is_special`]) bytes,
/// eight bytes at a time: every special byte is below 0x28 or a
/// backslash, and the lowest byte a word-wide "below" or "equal" test
/// flags is a true match (borrows only run upwards), so bytes before it
/// are ordinary; from there the table decides.
fn ordinary_run(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let mut i = 0usize;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let below = x.wrapping_sub(ONES * 0x28) & !x & TOPS;
        let y = x ^ (ONES * u64::from(b'\\'));
        let backslash = y.wrapping_sub(ONES) & !y & TOPS;
        let flagged = below | backslash;
        if flagged != 0 {
            let first = i + (flagged.trailing_zeros() / 8) as usize;
            if let Some(k) = chunk
                .get(first - i..)
                .and_then(|rest| rest.iter().position(|&c| is_special(c)))
            {
                return first + k;
            }
        }
        i += 8;
    }
    let tail = bytes.get(i..).unwrap_or_default();
    i + tail
        .iter()
        .position(|&c| is_special(c))
        .unwrap_or(tail.len())
}

/// C's `isspace` in the C locale, without the line ends.
const fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | 0x0b | 0x0c)
}

/// Splits `line` (without its newline) into words.
pub fn split_line(line: &str, pos: LinePos, ctx: &LineContext<'_>) -> Result<Vec<Word>, LexError> {
    let mut words = Vec::new();
    split_line_into(line, pos, ctx, &mut words)?;
    Ok(words)
}

/// Splits `line` like [`split_line`], appending the words to `words`
/// (cleared first): a caller splitting many lines reuses one vector.
/// On error `words` holds what was split before the problem.
pub fn split_line_into(
    line: &str,
    pos: LinePos,
    ctx: &LineContext<'_>,
    words: &mut Vec<Word>,
) -> Result<(), LexError> {
    words.clear();
    if split_plain(line, pos, words, false).is_some() {
        return Ok(());
    }
    let bytes = line.as_bytes();
    // Columns are byte offsets on an ASCII line (nearly every line). One
    // pass tells an ASCII line without NUL; the others are looked at
    // closer.
    let ascii = if ascii_without_nul(bytes) {
        true
    } else {
        if let Some(at) = bytes.iter().position(|&b| b == 0) {
            return Err(LexError {
                kind: LexErrorKind::StrayNul,
                at,
            });
        }
        bytes.is_ascii()
    };
    // Only words with quotes, escapes or variables are built here; plain
    // words are taken from the line as they are.
    let mut cur: Vec<u8> = Vec::new();
    let mut start = None::<usize>;
    let mut squote = false;
    let mut dquote = false;
    let mut quote_at = 0usize;
    let mut i = 0usize;
    while i < bytes.len() && is_blank(bytes[i]) {
        i += 1;
    }
    let push = |words: &mut Vec<Word>, cur: &mut Vec<u8>, from: usize, to: usize| {
        words.push(Word {
            text: text_of(cur),
            span: span_at(line, ascii, pos, from, to),
        });
    };
    while i < bytes.len() {
        let b = bytes[i];
        if !is_special(b) {
            let run = ordinary_run(bytes.get(i..).unwrap_or_default());
            let end = i + run;
            let ends_word = match bytes.get(end) {
                None | Some(b'\n' | b'\r' | b'#') => true,
                Some(&c) => is_blank(c),
            };
            if start.is_none() && ends_word && !squote && !dquote {
                // A plain word: its text is the source text.
                words.push(Word {
                    text: word_text(line.get(i..end).unwrap_or("")),
                    span: span_at(line, ascii, pos, i, end),
                });
                i = end;
                if bytes.get(end).is_some_and(|&c| is_blank(c)) {
                    while i < bytes.len() && is_blank(bytes[i]) {
                        i += 1;
                    }
                    if words.len() >= MAX_WORDS {
                        return Err(LexError {
                            kind: LexErrorKind::TooManyWords,
                            at: end - run,
                        });
                    }
                }
                continue;
            }
            // A run of ordinary bytes is copied at once.
            start.get_or_insert(i);
            cur.extend_from_slice(&bytes[i..end]);
            i = end;
            continue;
        }
        if b == b'\n' || b == b'\r' {
            break;
        }
        if b == b'#' && !squote && !dquote {
            break;
        }
        if start.is_none() && !(is_blank(b) && !squote && !dquote) {
            start = Some(i);
        }
        match b {
            b'"' if !squote => {
                dquote = !dquote;
                quote_at = i;
                i += 1;
            }
            b'\'' if !dquote => {
                squote = !squote;
                quote_at = i;
                i += 1;
            }
            b'\\' if !squote => {
                i = unescape(bytes, i, dquote, &mut cur)?;
            }
            _ if is_blank(b) && !squote && !dquote => {
                let from = start.take().unwrap_or(i);
                push(words, &mut cur, from, i);
                while i < bytes.len() && is_blank(bytes[i]) {
                    i += 1;
                }
                if words.len() >= MAX_WORDS {
                    return Err(LexError {
                        kind: LexErrorKind::TooManyWords,
                        at: from,
                    });
                }
            }
            b'$' if dquote => {
                i = expand(line, i, pos, ctx, start.unwrap_or(i), words, &mut cur)?;
                if words.len() >= MAX_WORDS {
                    return Err(LexError {
                        kind: LexErrorKind::TooManyWords,
                        at: i,
                    });
                }
            }
            _ => {
                cur.push(b);
                i += 1;
            }
        }
    }
    if squote || dquote {
        return Err(LexError {
            kind: LexErrorKind::UnmatchedQuote,
            at: quote_at,
        });
    }
    if let Some(from) = start {
        if !cur.is_empty() {
            let to = end_of_word(bytes, i);
            push(words, &mut cur, from, to);
        }
    }
    Ok(())
}

/// A byte that separates words.
const BLANK: u8 = 1;
/// A byte a plain line does not hold: quotes, escapes, variables,
/// comments, carriage returns, NUL, and every non-ASCII byte.
const NOT_PLAIN: u8 = 2;
/// `\n`: the end of a line when splitting the first line of a text,
/// else as [`NOT_PLAIN`].
const LINE_END: u8 = 3;

/// The class of each byte for [`split_plain`]: [`BLANK`], [`NOT_PLAIN`]
/// or 0 (a byte of a word).
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut k = 0;
    while k < 256 {
        let b = k as u8;
        t[k] = if is_blank(b) {
            BLANK
        } else if b == b'\n' {
            LINE_END
        } else if SPECIAL[k] || b == 0 || b >= 0x80 {
            NOT_PLAIN
        } else {
            0
        };
        k += 1;
    }
    t
};

/// Splits a plain line (ASCII words separated by blanks, nothing else)
/// in one pass; returns the line's length. With `newline_ends`, the
/// line is the text up to its first `\n` (else a `\n` makes the line
/// not plain). Anything else, and a line of [`MAX_WORDS`] words or more,
/// is left to the general path (`None`, `words` empty).
fn split_plain(
    text: &str,
    pos: LinePos,
    words: &mut Vec<Word>,
    newline_ends: bool,
) -> Option<usize> {
    let bytes = text.as_bytes();
    let class = |i: usize| bytes.get(i).map(|&b| CLASS[usize::from(b)]);
    let mut i = 0usize;
    loop {
        while class(i) == Some(BLANK) {
            i += 1;
        }
        let start = i;
        i += word_run(bytes.get(i..).unwrap_or_default());
        let end = loop {
            match class(i) {
                Some(0) => i += 1,
                None => break true,
                Some(BLANK) => break false,
                Some(LINE_END) if newline_ends => break true,
                Some(_) => {
                    words.clear();
                    return None;
                }
            }
        };
        if start < i {
            words.push(Word {
                text: word_text(text.get(start..i).unwrap_or("")),
                span: span_at(text, true, pos, start, i),
            });
            if words.len() >= MAX_WORDS {
                words.clear();
                return None;
            }
        }
        if end {
            return Some(i);
        }
    }
}

/// The length of the leading run of word bytes (class 0 in [`CLASS`]),
/// eight bytes at a time: every other byte is below 0x28, a backslash,
/// or above 0x7f, and the lowest byte a word-wide test flags is a true
/// match of that test (borrows only run upwards), so bytes before it are
/// word bytes; from there the table decides.
fn word_run(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let mut i = 0usize;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let below = x.wrapping_sub(ONES * 0x28) & !x & TOPS;
        let y = x ^ (ONES * u64::from(b'\\'));
        let backslash = y.wrapping_sub(ONES) & !y & TOPS;
        let flagged = below | backslash | (x & TOPS);
        if flagged != 0 {
            let first = i + (flagged.trailing_zeros() / 8) as usize;
            if let Some(k) = chunk
                .get(first - i..)
                .and_then(|rest| rest.iter().position(|&c| CLASS[usize::from(c)] != 0))
            {
                return first + k;
            }
        }
        i += 8;
    }
    let tail = bytes.get(i..).unwrap_or_default();
    i + tail
        .iter()
        .position(|&c| CLASS[usize::from(c)] != 0)
        .unwrap_or(tail.len())
}

/// Splits the first line of `text` (up to its first `\n`, or all of it)
/// as [`split_line_into`] splits it; returns the line's length (without
/// the `\n`) with the result. A plain line is split in the same pass
/// that finds its end.
pub(crate) fn split_first_line(
    text: &str,
    pos: LinePos,
    ctx: &LineContext<'_>,
    words: &mut Vec<Word>,
) -> (usize, Result<(), LexError>) {
    words.clear();
    if let Some(len) = split_plain(text, pos, words, true) {
        return (len, Ok(()));
    }
    let len = text.bytes().position(|b| b == b'\n').unwrap_or(text.len());
    let line = text.get(..len).unwrap_or("");
    (len, split_line_into(line, pos, ctx, words))
}

/// Longest word kept inline by [`SmolStr`].
const INLINE_CAP: usize = 23;

/// A plain word's text: short words copied byte by byte into the inline
/// form (cheaper than the general constructor's copy for words of a few
/// bytes), longer ones by the general constructor.
fn word_text(text: &str) -> SmolStr {
    if text.len() <= INLINE_CAP {
        SmolStr::new_inline(text)
    } else {
        SmolStr::new(text)
    }
}

/// True when no byte is NUL or above 0x7f: `b | (b - 1)` has its top bit
/// set exactly for those bytes. A loop without early exit, over
/// fixed-size chunks, that the compiler turns into vector code.
fn ascii_without_nul(bytes: &[u8]) -> bool {
    let flag = |acc: u8, b: &u8| acc | *b | b.wrapping_sub(1);
    let mut chunks = bytes.chunks_exact(16);
    let mut acc = 0u8;
    for chunk in &mut chunks {
        acc |= chunk.iter().fold(0u8, flag);
    }
    acc |= chunks.remainder().iter().fold(0u8, flag);
    acc & 0x80 == 0
}

/// Takes the bytes collected for a word as its text (invalid UTF-8, only
/// possible through `\x` escapes, replaced).
fn text_of(cur: &mut Vec<u8>) -> SmolStr {
    let text = match std::str::from_utf8(cur) {
        Ok(s) => word_text(s),
        Err(_) => SmolStr::new(String::from_utf8_lossy(cur)),
    };
    cur.clear();
    text
}

/// Where the last word ends: before trailing blanks and line ends.
fn end_of_word(bytes: &[u8], mut i: usize) -> usize {
    while i > 0 && (is_blank(bytes[i - 1]) || bytes[i - 1] == b'\r') {
        i -= 1;
    }
    i
}

/// The span of `line[from..to]`; `ascii` tells that the line is ASCII,
/// so that columns are byte offsets.
fn span_at(line: &str, ascii: bool, pos: LinePos, from: usize, to: usize) -> Span {
    if !ascii {
        return span_of(line, pos, from, to);
    }
    Span {
        file: pos.file,
        offset: pos
            .offset
            .saturating_add(u32::try_from(from).unwrap_or(u32::MAX)),
        len: u32::try_from(to.saturating_sub(from)).unwrap_or(u32::MAX),
        line: pos.line,
        col: u32::try_from(from.saturating_add(1)).unwrap_or(u32::MAX),
    }
}

/// The span of `line[from..to]`.
fn span_of(line: &str, pos: LinePos, from: usize, to: usize) -> Span {
    let before = line.as_bytes().get(..from).unwrap_or_default();
    let col = if before.is_ascii() {
        from
    } else {
        line.get(..from).map_or(from, |s| s.chars().count())
    }
    .saturating_add(1);
    Span {
        file: pos.file,
        offset: pos
            .offset
            .saturating_add(u32::try_from(from).unwrap_or(u32::MAX)),
        len: u32::try_from(to.saturating_sub(from)).unwrap_or(u32::MAX),
        line: pos.line,
        col: u32::try_from(col).unwrap_or(u32::MAX),
    }
}

/// Handles the backslash at `bytes[i]`; returns the index after it.
fn unescape(bytes: &[u8], i: usize, dquote: bool, cur: &mut Vec<u8>) -> Result<usize, LexError> {
    let next = bytes.get(i + 1).copied();
    match next {
        Some(c @ (b' ' | b'\\' | b'#' | b'\'' | b'"')) => {
            cur.push(c);
            Ok(i + 2)
        }
        Some(b'$') if dquote => {
            cur.push(b'$');
            Ok(i + 2)
        }
        Some(b't') => {
            cur.push(b'\t');
            Ok(i + 2)
        }
        Some(b'n') => {
            cur.push(b'\n');
            Ok(i + 2)
        }
        Some(b'r') => {
            cur.push(b'\r');
            Ok(i + 2)
        }
        Some(b'x') => {
            let hex = |k: usize| bytes.get(k).and_then(|&c| (c as char).to_digit(16));
            match (hex(i + 2), hex(i + 3)) {
                (Some(h), Some(l)) => {
                    cur.push(u8::try_from(h * 16 + l).unwrap_or(0));
                    Ok(i + 4)
                }
                _ => Err(LexError {
                    kind: LexErrorKind::BadHex,
                    at: i,
                }),
            }
        }
        _ => {
            cur.push(b'\\');
            Ok(i + 1)
        }
    }
}

/// Expands the variable whose `$` is at `line[i]`; returns the index after
/// it. With `[*]` the value's blanks end words.
fn expand(
    line: &str,
    i: usize,
    pos: LinePos,
    ctx: &LineContext<'_>,
    word_start: usize,
    words: &mut Vec<Word>,
    cur: &mut Vec<u8>,
) -> Result<usize, LexError> {
    let bytes = line.as_bytes();
    let mut j = i + 1;
    let brace = bytes.get(j) == Some(&b'{');
    let brace_at = j;
    if brace {
        j += 1;
    }
    let first = bytes.get(j).copied().unwrap_or(0);
    if !(first.is_ascii_alphabetic() || first == b'_' || first == b'.') {
        return Err(LexError {
            kind: LexErrorKind::BadVarName,
            at: j,
        });
    }
    let name_start = j;
    if first == b'.' {
        j += 1;
    }
    while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
        j += 1;
    }
    let name = &line[name_start..j];
    let mut value = match name {
        ".LINE" => Some(pos.line.to_string()),
        ".FILE" => Some(ctx.file_name.to_string()),
        ".SECTION" => Some(ctx.section.to_string()),
        _ if name.starts_with('.') => {
            return Err(LexError {
                kind: LexErrorKind::BadVarName,
                at: name_start,
            })
        }
        _ => (ctx.env)(name),
    };
    let mut split = false;
    if brace && bytes.get(j) == Some(&b'[') {
        if bytes.get(j + 1) != Some(&b'*') || bytes.get(j + 2) != Some(&b']') {
            return Err(LexError {
                kind: LexErrorKind::BadWordExpand,
                at: j,
            });
        }
        split = true;
        j += 3;
    }
    if brace {
        if bytes.get(j) == Some(&b'-') {
            let Some(close) = line[j..].find('}') else {
                return Err(LexError {
                    kind: LexErrorKind::UnmatchedBrace,
                    at: brace_at,
                });
            };
            if value.is_none() {
                value = Some(line[j + 1..j + close].to_string());
            }
            j += close;
        }
        if bytes.get(j) != Some(&b'}') {
            return Err(LexError {
                kind: LexErrorKind::UnmatchedBrace,
                at: brace_at,
            });
        }
        j += 1;
    }
    let value = value.unwrap_or_default();
    if !split {
        cur.extend_from_slice(value.as_bytes());
        return Ok(j);
    }
    let vb = value.as_bytes();
    let mut k = 0;
    while k < vb.len() {
        if vb[k].is_ascii_whitespace() || vb[k] == 0x0b {
            words.push(Word {
                text: text_of(cur),
                span: span_of(line, pos, word_start, j),
            });
            while k < vb.len() && (vb[k].is_ascii_whitespace() || vb[k] == 0x0b) {
                k += 1;
            }
        } else {
            cur.push(vb[k]);
            k += 1;
        }
    }
    Ok(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOST" => Some("192.0.2.1".into()),
            "LIST" => Some("a  b c".into()),
            _ => None,
        }
    }

    fn split(line: &str) -> Result<Vec<String>, LexError> {
        let ctx = LineContext {
            file_name: "t.cfg",
            section: "global",
            env: &env,
        };
        let pos = LinePos {
            file: FileId(0),
            offset: 0,
            line: 7,
        };
        split_line(line, pos, &ctx).map(|w| w.into_iter().map(|w| w.text.to_string()).collect())
    }

    fn err(line: &str) -> (LexErrorKind, usize) {
        match split(line) {
            Err(e) => (e.kind, e.at),
            Ok(w) => (LexErrorKind::StrayNul, usize::MAX - w.len()),
        }
    }

    #[test]
    fn word_run_agrees_with_the_table() {
        let by_table = |b: &[u8]| {
            b.iter()
                .position(|&c| CLASS[usize::from(c)] != 0)
                .unwrap_or(b.len())
        };
        for len in 0..20usize {
            for at in 0..len {
                for b in 0u8..=255 {
                    let mut line = vec![b'a'; len];
                    line[at] = b;
                    assert_eq!(word_run(&line), by_table(&line), "{b:#x} at {at} of {len}");
                }
            }
        }
        let samples: [&[u8]; 4] = [
            b"abc!%&def\x7fghi jkl",
            b"!!!!!!!!!!!!!!!!\x80x",
            b"&&&&&&&&&&&&&&&&&&&&&&\\",
            b"0123456789abcdef0123456789abcdef\n",
        ];
        for line in samples {
            for from in 0..line.len() {
                assert_eq!(word_run(&line[from..]), by_table(&line[from..]));
            }
        }
    }

    #[test]
    fn first_line_of_a_text() {
        let pos = LinePos {
            file: FileId(0),
            offset: 0,
            line: 1,
        };
        let env = |_: &str| None;
        let ctx = LineContext {
            file_name: "t.cfg",
            section: "",
            env: &env,
        };
        let mut words = Vec::new();
        let text_of = |w: &Vec<Word>| w.iter().map(|w| w.text.to_string()).collect::<Vec<_>>();
        // Plain: split in the pass that finds the end.
        assert_eq!(
            split_first_line("  a b \nc d\n", pos, &ctx, &mut words).0,
            6
        );
        assert_eq!(text_of(&words), ["a", "b"]);
        assert_eq!(split_first_line("\nc", pos, &ctx, &mut words).0, 0);
        assert!(words.is_empty());
        assert_eq!(split_first_line("x y", pos, &ctx, &mut words).0, 3);
        assert_eq!(text_of(&words), ["x", "y"]);
        // Not plain: the general path, on the first line only.
        let (len, r) = split_first_line("a 'b c'\n'", pos, &ctx, &mut words);
        assert_eq!((len, r), (7, Ok(())));
        assert_eq!(text_of(&words), ["a", "b c"]);
        let (len, r) = split_first_line("a 'b\nc'", pos, &ctx, &mut words);
        assert_eq!(len, 4);
        assert_eq!(r.unwrap_err().kind, LexErrorKind::UnmatchedQuote);
        let (len, r) = split_first_line("a\0\nb", pos, &ctx, &mut words);
        assert_eq!(len, 2);
        assert_eq!(r.unwrap_err().kind, LexErrorKind::StrayNul);
    }

    #[test]
    fn plain_lines_split_as_the_general_path_splits_them() {
        let pos = LinePos {
            file: FileId(0),
            offset: 100,
            line: 7,
        };
        let general = |line: &str| {
            // The general path alone: a word vector split word by word.
            let mut words = Vec::new();
            assert!(split_plain(&format!("{line}#"), pos, &mut words, false).is_none());
            assert!(words.is_empty());
            let env = |_: &str| None;
            let ctx = LineContext {
                file_name: "t.cfg",
                section: "",
                env: &env,
            };
            split_line(&format!("{line}#"), pos, &ctx).unwrap()
        };
        for line in [
            "",
            "   ",
            "server s1 192.0.2.1:80 check weight 1",
            "\t  acl host_1 hdr(host) -i app1.example.com  \x0b",
            "a\x0cb",
            "averyveryverylongwordofmorethantwentythreebytes x",
        ] {
            let mut words = Vec::new();
            assert_eq!(
                split_plain(line, pos, &mut words, false),
                Some(line.len()),
                "{line:?}"
            );
            assert_eq!(words, general(line), "{line:?}");
        }
        let mut words = Vec::new();
        for line in [
            "a 'b'",
            "a \"b\"",
            "a\\ b",
            "a $b",
            "a # b",
            "a\rb",
            "caf\u{e9}",
            "a\0b",
        ] {
            assert_eq!(split_plain(line, pos, &mut words, false), None, "{line:?}");
            assert!(words.is_empty());
        }
        let many = vec!["w"; MAX_WORDS].join(" ");
        assert_eq!(split_plain(&many, pos, &mut words, false), None);
        assert!(words.is_empty());
        let fewer = vec!["w"; MAX_WORDS - 1].join(" ");
        assert_eq!(
            split_plain(&fewer, pos, &mut words, false),
            Some(fewer.len())
        );
        assert_eq!(words.len(), MAX_WORDS - 1);
    }

    #[test]
    fn ordinary_run_agrees_with_the_table() {
        let by_table = |b: &[u8]| b.iter().position(|&c| is_special(c)).unwrap_or(b.len());
        // Every byte value at every place of lines of 0 to 20 bytes whose
        // other bytes are ordinary, and lines mixing near misses ('!',
        // '%', '&', '[', ']', control bytes) with special bytes.
        for len in 0..20usize {
            for at in 0..len {
                for b in 0u8..=255 {
                    let mut line = vec![b'a'; len];
                    line[at] = b;
                    assert_eq!(
                        ordinary_run(&line),
                        by_table(&line),
                        "{b:#x} at {at} of {len}"
                    );
                }
            }
        }
        let samples: [&[u8]; 6] = [
            b"abc!%&def ghi",
            b"!!!!!!!!!!!!!!!!\\x",
            b"\x01\x02&&&&&&&&&&&&&&&'",
            b"[]^_`{|}~[]^_`{|}~ end",
            b"0123456789abcdef0123456789abcdef",
            b"%%%%%%%%%%%%%%%%%%%%%%%%%\"",
        ];
        for line in samples {
            for from in 0..line.len() {
                assert_eq!(ordinary_run(&line[from..]), by_table(&line[from..]));
            }
        }
    }

    #[test]
    fn ascii_without_nul_sees_every_byte() {
        assert!(ascii_without_nul(b""));
        assert!(ascii_without_nul(
            b"server s1 192.0.2.1:80 check weight 1 ~\x7f"
        ));
        for bad in [0u8, 0x80, 0xc3, 0xff] {
            for at in [0usize, 5, 15, 16, 17, 40] {
                let mut line = vec![b'a'; 41];
                line[at] = bad;
                assert!(!ascii_without_nul(&line), "byte {bad:#x} at {at}");
            }
        }
        for b in 1u8..0x80 {
            assert!(ascii_without_nul(&[b; 20]), "byte {b:#x}");
        }
    }

    #[test]
    fn blanks_quotes_and_comments() {
        assert_eq!(
            split("  bind  :80\tssl # c").unwrap(),
            ["bind", ":80", "ssl"]
        );
        assert_eq!(split("a \"b c\" 'd e'").unwrap(), ["a", "b c", "d e"]);
        assert_eq!(split("a\"b\"'c'd").unwrap(), ["abcd"]);
        assert_eq!(split("nbthread 2#y").unwrap(), ["nbthread", "2"]);
        assert_eq!(split("a '#' \"#\"").unwrap(), ["a", "#", "#"]);
        assert_eq!(split("a\rb").unwrap(), ["a"]);
        assert_eq!(split("").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn empty_words() {
        // An empty quoted word in the middle counts, a trailing one not.
        assert_eq!(split("a \"\" b").unwrap(), ["a", "", "b"]);
        assert_eq!(split("a \"\"").unwrap(), ["a"]);
        assert_eq!(split("a ''   ").unwrap(), ["a", ""]);
    }

    #[test]
    fn escapes() {
        assert_eq!(split(r"a\ b c\\d \#e").unwrap(), ["a b", r"c\d", "#e"]);
        assert_eq!(split(r"\x41\x6a \y").unwrap(), ["Aj", r"\y"]);
        assert_eq!(split(r"'\x41' \'").unwrap(), [r"\x41", "'"]);
        assert_eq!(split(r#""\$HOST" \$HOST"#).unwrap(), ["$HOST", r"\$HOST"]);
        assert_eq!(split(r"\t\n\r").unwrap(), ["\t\n\r"]);
        assert_eq!(err(r"a \x4"), (LexErrorKind::BadHex, 2));
        assert_eq!(err(r"a \xg0"), (LexErrorKind::BadHex, 2));
    }

    #[test]
    fn environment() {
        assert_eq!(
            split("\"$HOST:80\" $HOST").unwrap(),
            ["192.0.2.1:80", "$HOST"]
        );
        assert_eq!(
            split("\"${HOST}x\" '${HOST}'").unwrap(),
            ["192.0.2.1x", "${HOST}"]
        );
        assert_eq!(split("a \"${NOPE}\" b").unwrap(), ["a", "", "b"]);
        assert_eq!(split("a \"${NOPE}\"").unwrap(), ["a"]);
        assert_eq!(
            split("\"${NOPE-d f}\" \"${HOST-x}\"").unwrap(),
            ["d f", "192.0.2.1"]
        );
        assert_eq!(
            split("x \"${LIST[*]}\" y").unwrap(),
            ["x", "a", "b", "c", "y"]
        );
        assert_eq!(split("\"${LIST}\"").unwrap(), ["a  b c"]);
        assert_eq!(
            split("\"${.LINE}\" \"${.FILE}\" \"${.SECTION}\"").unwrap(),
            ["7", "t.cfg", "global"]
        );
        assert_eq!(err("a \"$1\""), (LexErrorKind::BadVarName, 4));
        assert_eq!(err("a \"${.FOO}\""), (LexErrorKind::BadVarName, 5));
        assert_eq!(err("a \"${NOPE"), (LexErrorKind::UnmatchedBrace, 4));
        assert_eq!(err("a \"${NOPE[x]}\""), (LexErrorKind::BadWordExpand, 9));
    }

    #[test]
    fn quotes_and_limits() {
        assert_eq!(err("maxconn \"100"), (LexErrorKind::UnmatchedQuote, 8));
        assert_eq!(err("a 'b"), (LexErrorKind::UnmatchedQuote, 2));
        assert_eq!(err("a\0b"), (LexErrorKind::StrayNul, 1));
        let ok = vec!["w"; 64].join(" ");
        assert_eq!(split(&ok).unwrap().len(), 64);
        assert_eq!(
            split(&format!("{} ''", vec!["w"; 63].join(" ")))
                .unwrap()
                .len(),
            63
        );
        assert_eq!(err(&format!("{ok} ")).0, LexErrorKind::TooManyWords);
        assert_eq!(
            err(&format!("{ok} # comment")).0,
            LexErrorKind::TooManyWords
        );
        assert_eq!(err(&format!("{ok} w")).0, LexErrorKind::TooManyWords);
    }

    #[test]
    fn spans() {
        let ctx = LineContext {
            file_name: "t.cfg",
            section: "",
            env: &env,
        };
        let pos = LinePos {
            file: FileId(0),
            offset: 100,
            line: 3,
        };
        let words = split_line("  é \"b c\" d  ", pos, &ctx).unwrap();
        let spans: Vec<(u32, u32, u32)> = words
            .iter()
            .map(|w| (w.span.offset, w.span.len, w.span.col))
            .collect();
        assert_eq!(spans, [(102, 2, 3), (105, 5, 5), (111, 1, 11)]);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_spans_stay_in_the_line(line in "[ -~\t\u{e9}\u{1f600}]{0,120}") {
            let ctx = LineContext { file_name: "p.cfg", section: "global", env: &env };
            let pos = LinePos { file: FileId(0), offset: 0, line: 1 };
            if let Ok(words) = split_line(&line, pos, &ctx) {
                proptest::prop_assert!(words.len() <= MAX_WORDS);
                for w in words {
                    proptest::prop_assert!((w.span.offset + w.span.len) as usize <= line.len());
                    proptest::prop_assert!(line.is_char_boundary(w.span.offset as usize));
                }
            }
        }

        #[test]
        fn plain_words_split_back(words in proptest::collection::vec("[a-zA-Z0-9_.:/-]{1,12}", 0..20)) {
            let line = words.join(" \t ");
            proptest::prop_assert_eq!(split(&line).unwrap(), words);
        }
    }
}
