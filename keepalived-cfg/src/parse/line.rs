//! One logical line while it is being processed: its bytes, and for every
//! byte where it was written. Comment removal, the `{`/`}` split and the
//! word split work on it the way keepalived's `decomment`, `read_line` and
//! `alloc_strvec_r` work on their buffer.

use crate::{FileId, Span};

/// Marks an origin that is not a file offset but an index into
/// [`Line::refs`]: the byte came from a substituted `$NAME`.
pub(super) const SUBSTITUTED: u32 = 1 << 31;

/// keepalived's word separators (`WHITE_SPACE_STR`).
pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Space or tab (`isblank`).
pub(super) fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// A line of text with the origin of each byte.
#[derive(Clone, Debug, Default)]
pub(super) struct Line {
    /// The file the unsubstituted bytes come from.
    pub(super) file: FileId,
    /// The text.
    pub(super) bytes: Vec<u8>,
    /// For each byte: its offset in `file`, or `SUBSTITUTED | i` for a byte
    /// that replaced the reference `refs[i]`.
    pub(super) origin: Vec<u32>,
    /// Where substituted text was referenced.
    pub(super) refs: Vec<Span>,
}

/// What [`Line::decomment`] found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Decommented {
    /// A `"` was left open (keepalived: "Unterminated quote").
    pub(super) open_quote: Option<usize>,
    /// The line ended with a lone `\`.
    pub(super) continued: bool,
}

/// A word of a line: its byte range and whether it was quoted (the range
/// then includes the quotes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Word {
    /// First byte (the opening quote for a quoted word).
    pub(super) start: usize,
    /// One past the last byte (past the closing quote).
    pub(super) end: usize,
    /// Written in double quotes.
    pub(super) quoted: bool,
}

impl Word {
    /// The range of the word's text, quotes excluded.
    pub(super) fn text_range(&self) -> std::ops::Range<usize> {
        if self.quoted {
            self.start + 1..self.end.saturating_sub(1).max(self.start + 1)
        } else {
            self.start..self.end
        }
    }
}

impl Line {
    /// Replaces the contents with `bytes` read at `offset` of `file`.
    pub(super) fn set_from_file(&mut self, file: FileId, offset: u32, bytes: &[u8]) {
        self.file = file;
        self.bytes.clear();
        self.bytes.extend_from_slice(bytes);
        self.origin.clear();
        self.origin.extend(offset..offset + bytes.len() as u32);
        self.refs.clear();
    }

    /// Number of bytes.
    pub(super) fn len(&self) -> usize {
        self.bytes.len()
    }

    /// True when empty.
    pub(super) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Removes `range`.
    pub(super) fn remove(&mut self, range: std::ops::Range<usize>) {
        self.bytes.drain(range.clone());
        self.origin.drain(range);
    }

    /// Keeps the first `len` bytes.
    pub(super) fn truncate(&mut self, len: usize) {
        self.bytes.truncate(len);
        self.origin.truncate(len);
    }

    /// Removes trailing bytes for which `f` holds.
    pub(super) fn trim_end_by(&mut self, f: impl Fn(u8) -> bool) {
        let keep = self.bytes.iter().rposition(|&b| !f(b)).map_or(0, |i| i + 1);
        self.truncate(keep);
    }

    /// Removes leading spaces and tabs.
    pub(super) fn trim_start_blanks(&mut self) {
        let n = self.bytes.iter().take_while(|&&b| is_blank(b)).count();
        if n > 0 {
            self.remove(0..n);
        }
    }

    /// The bytes from `start` on, as a new line with the same origins.
    pub(super) fn split_off(&mut self, start: usize) -> Line {
        Line {
            file: self.file,
            bytes: self.bytes.split_off(start),
            origin: self.origin.split_off(start),
            refs: self.refs.clone(),
        }
    }

    /// keepalived's `decomment`: drops leading blanks, a comment (`#` or
    /// `!` outside double quotes), the backslash of `\#` and `\!` outside
    /// quotes, and trailing blanks (also before a final lone `\`).
    pub(super) fn decomment(&mut self) -> Decommented {
        self.trim_start_blanks();
        let mut quote: Option<usize> = None;
        let mut comment: Option<usize> = None;
        let mut continued = false;
        let mut i = 0;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'"' => {
                    if comment.is_none() {
                        quote = if quote.is_some() { None } else { Some(i) };
                    }
                    i += 1;
                }
                b'\\' => {
                    let Some(&next) = self.bytes.get(i + 1) else {
                        self.truncate(i);
                        continued = true;
                        break;
                    };
                    if quote.is_none() && (next == b'#' || next == b'!') {
                        // The `#` keeps the backslash's place, so that the
                        // word's span covers what was written.
                        let backslash = self.origin[i];
                        self.remove(i..i + 1);
                        self.origin[i] = backslash;
                        i += 1;
                    } else {
                        i += 2;
                    }
                }
                b'#' | b'!' if quote.is_none() && comment.is_none() => {
                    comment = Some(i);
                    i += 1;
                }
                _ => i += 1,
            }
        }
        // The backslash removed above was the last byte; remember it.
        let backslash_origin = continued.then(|| self.origin_after_end());
        if let Some(at) = comment {
            self.truncate(at);
        }
        self.trim_end_by(is_blank);
        if let (true, Some(origin)) = (continued, backslash_origin) {
            self.bytes.push(b'\\');
            self.origin.push(origin);
        }
        Decommented {
            open_quote: quote,
            continued,
        }
    }

    /// The origin just past the last byte (for a byte re-appended there).
    fn origin_after_end(&self) -> u32 {
        match self.origin.last() {
            Some(&o) if o & SUBSTITUTED == 0 => o + 1,
            Some(&o) => o,
            None => 0,
        }
    }

    /// keepalived's split of a line at its first `{` or `}` outside double
    /// quotes: a line starting with a brace keeps just the brace, any other
    /// keeps the text before it; the rest (blanks trimmed) is returned to be
    /// read as the next line.
    pub(super) fn split_at_brace(&mut self) -> Option<Line> {
        let at = self.find_brace()?;
        let cut = if at == 0 {
            1 + self.bytes[1..].iter().take_while(|&&b| is_blank(b)).count()
        } else {
            at
        };
        let rest = if cut < self.bytes.len() {
            let mut rest = self.split_off(cut);
            rest.trim_end_by(is_blank);
            Some(rest)
        } else {
            None
        };
        self.trim_end_by(is_blank);
        rest.filter(|r| !r.is_empty())
    }

    /// The first `{` or `}` outside double quotes.
    fn find_brace(&self) -> Option<usize> {
        let first = *self.bytes.first()?;
        if first == b'{' || first == b'}' {
            return Some(0);
        }
        let mut i = 0;
        while i < self.bytes.len() {
            match self.bytes[i] {
                b'{' | b'}' => return Some(i),
                b'"' => {
                    let close = self.bytes[i + 1..].iter().position(|&b| b == b'"')?;
                    i += close + 2;
                }
                _ => i += 1,
            }
        }
        None
    }

    /// keepalived's `alloc_strvec_r`: words separated by white space; a word
    /// starting with `"` runs to the next `"` (no escapes). Returns the
    /// words and, when a quote is never closed, where it opened (the words
    /// after it are lost, as in keepalived).
    pub(super) fn words(&self) -> (Vec<Word>, Option<usize>) {
        let b = &self.bytes;
        let mut words = Vec::new();
        let mut i = 0;
        loop {
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            if i >= b.len() {
                return (words, None);
            }
            let start = i;
            if b[i] == b'"' {
                match b[i + 1..].iter().position(|&c| c == b'"') {
                    Some(close) => {
                        i += close + 2;
                        words.push(Word {
                            start,
                            end: i,
                            quoted: true,
                        });
                    }
                    None => return (words, Some(start)),
                }
            } else {
                while i < b.len() && !is_space(b[i]) && b[i] != b'"' {
                    i += 1;
                }
                words.push(Word {
                    start,
                    end: i,
                    quoted: false,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &str) -> Line {
        let mut l = Line::default();
        l.set_from_file(FileId(0), 0, s.as_bytes());
        l
    }

    fn text(l: &Line) -> &str {
        std::str::from_utf8(&l.bytes).unwrap_or("<bad>")
    }

    #[test]
    fn decomment_cuts_comments_outside_quotes_only() {
        let mut l = line("  a \"b # c\" d # e");
        let d = l.decomment();
        assert_eq!(text(&l), "a \"b # c\" d");
        assert_eq!(d, Decommented::default());
        assert_eq!(l.origin[0], 2);
    }

    #[test]
    fn decomment_comment_inside_word_and_escapes() {
        let mut l = line("ab!cd");
        l.decomment();
        assert_eq!(text(&l), "ab");
        let mut l = line("a\\#b \\!c");
        l.decomment();
        assert_eq!(text(&l), "a#b !c");
        assert_eq!(l.origin, vec![0, 1, 3, 4, 5, 7]);
    }

    #[test]
    fn decomment_trailing_backslash_and_open_quote() {
        let mut l = line("x = y   \\");
        let d = l.decomment();
        assert_eq!(text(&l), "x = y\\");
        assert!(d.continued);
        assert_eq!(*l.origin.last().unwrap_or(&0), 8);
        let mut l = line("a \"b");
        assert_eq!(l.decomment().open_quote, Some(2));
    }

    #[test]
    fn brace_split_follows_keepalived() {
        let mut l = line("group{ A B }");
        let rest = l.split_at_brace();
        assert_eq!(text(&l), "group");
        let mut rest = rest.unwrap_or_default();
        assert_eq!(text(&rest), "{ A B }");
        let rest2 = rest.split_at_brace().unwrap_or_default();
        assert_eq!(text(&rest), "{");
        assert_eq!(text(&rest2), "A B }");
        let mut l = line("a \"{\" }");
        let rest = l.split_at_brace().unwrap_or_default();
        assert_eq!(text(&l), "a \"{\"");
        assert_eq!(text(&rest), "}");
    }

    #[test]
    fn words_split_at_quotes() {
        let l = line("a\"b c\"  \"\" d");
        let (w, open) = l.words();
        let got: Vec<_> = w.iter().map(|w| &l.bytes[w.text_range()]).collect();
        assert_eq!(got, vec![&b"a"[..], b"b c", b"", b"d"]);
        assert_eq!(open, None);
        let l = line("x \"y");
        assert_eq!(l.words().1, Some(2));
    }
}
