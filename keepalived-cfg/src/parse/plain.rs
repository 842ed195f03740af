//! Plain lines: the lines of a real configuration are nearly all words,
//! blanks, braces and perhaps a comment. Such a line is read straight from
//! the file's text, without the byte-by-byte origin bookkeeping the full
//! reader needs for substitutions, quotes and escapes. Whatever a plain
//! line gives is exactly what the full reader would give for it.

/// What a plain line holds, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Event {
    /// A word: its byte range in the text.
    Word(u32, u32),
    /// A `{` or `}` at this offset (it ends the keyword line before it).
    Brace(u32, u8),
}

/// Byte classes for [`scan`].
const ORDINARY: u8 = 0;
/// Space or tab.
const BLANK: u8 = 1;
/// `{` or `}`.
const BRACE: u8 = 2;
/// `#` or `!`.
const COMMENT: u8 = 3;
/// The line end.
const NEWLINE: u8 = 4;
/// A carriage return: ends the line when a line end follows.
const RETURN: u8 = 5;
/// Needs the full reader.
const SPECIAL: u8 = 6;

/// The class of every byte: quotes, escapes, definitions and
/// substitutions, `@id` conditions, `~SEQ` and control characters other
/// than tab (some of them separate words, some do not) need the full
/// reader.
const fn classes() -> [u8; 256] {
    let mut table = [ORDINARY; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = SPECIAL;
        b += 1;
    }
    table[b'\t' as usize] = BLANK;
    table[b' ' as usize] = BLANK;
    table[b'\n' as usize] = NEWLINE;
    table[b'\r' as usize] = RETURN;
    table[b'{' as usize] = BRACE;
    table[b'}' as usize] = BRACE;
    table[b'#' as usize] = COMMENT;
    table[b'!' as usize] = COMMENT;
    table[b'"' as usize] = SPECIAL;
    table[b'\\' as usize] = SPECIAL;
    table[b'$' as usize] = SPECIAL;
    table[b'@' as usize] = SPECIAL;
    table[b'~' as usize] = SPECIAL;
    table
}

/// See [`classes`].
static CLASS: [u8; 256] = classes();

/// Reads the physical line of `text` starting at `start` (a line start)
/// when it is plain: its words and braces go to `events` (cleared first),
/// and the offset of the next line is returned. `None` when the line needs
/// the full reader: a special byte, an `include` line (also after a
/// brace), a line longer than `max` bytes, or a `\` ending the line after
/// a comment (keepalived keeps it).
pub(super) fn scan(
    text: &[u8],
    start: usize,
    max: usize,
    events: &mut Vec<Event>,
) -> Option<usize> {
    events.clear();
    let mut i = start;
    // The next word is the first of its keyword line.
    let mut first = true;
    let end = loop {
        let Some(&b) = text.get(i) else {
            break i;
        };
        match CLASS[b as usize] {
            ORDINARY => {
                if first && text[i..].starts_with(b"include") {
                    return None;
                }
                first = false;
                // The whole word at once: it ends at the first byte of
                // another class.
                let len = text[i..]
                    .iter()
                    .position(|&c| CLASS[c as usize] != ORDINARY)
                    .unwrap_or(text.len() - i);
                events.push(Event::Word(i as u32, (i + len) as u32));
                i += len;
                continue;
            }
            BLANK => {}
            BRACE => {
                events.push(Event::Brace(i as u32, b));
                first = true;
            }
            NEWLINE => break i,
            RETURN if matches!(text.get(i + 1), None | Some(b'\n' | b'\r')) => {}
            COMMENT => {
                let stop = text[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(text.len(), |n| i + n);
                let mut last = stop;
                while last > i && text[last - 1] == b'\r' {
                    last -= 1;
                }
                if text[last - 1] == b'\\' {
                    return None;
                }
                break stop;
            }
            _ => return None,
        }
        i += 1;
    };
    // keepalived reads at most `max` bytes at a time (the line end
    // included when it fits).
    if end - start >= max && !(end == text.len() && end - start == max) {
        return None;
    }
    Some(if end < text.len() { end + 1 } else { end })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines of `text` as the plain reader sees them: keyword lines
    /// joined with `|`, braces on their own, `<full>` for a line refused.
    fn split(text: &str) -> Vec<String> {
        let b = text.as_bytes();
        let mut out = Vec::new();
        let mut events = Vec::new();
        let mut pos = 0;
        while pos < b.len() {
            let Some(next) = scan(b, pos, 1023, &mut events) else {
                out.push("<full>".into());
                pos = b[pos..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |n| pos + n + 1);
                continue;
            };
            let mut line: Vec<&str> = Vec::new();
            for e in &events {
                match *e {
                    Event::Word(x, y) => line.push(&text[x as usize..y as usize]),
                    Event::Brace(_, c) => {
                        if !line.is_empty() {
                            out.push(line.join("|"));
                            line.clear();
                        }
                        out.push((c as char).to_string());
                    }
                }
            }
            if !line.is_empty() {
                out.push(line.join("|"));
            }
            pos = next;
        }
        out
    }

    #[test]
    fn braces_split_like_keepalived() {
        assert_eq!(
            split("  vrrp_instance VI_1 {  \n"),
            ["vrrp_instance|VI_1", "{"]
        );
        assert_eq!(split("a { b c }"), ["a", "{", "b|c", "}"]);
        assert_eq!(split("}\r\n"), ["}"]);
        assert_eq!(split("x{y}z"), ["x", "{", "y", "}", "z"]);
        assert_eq!(split("{ {\n\n   \n"), ["{", "{"]);
    }

    #[test]
    fn comments_are_cut_and_special_lines_refused() {
        assert_eq!(split("a b # c $d \"e\n"), ["a|b"]);
        assert_eq!(split("a!b\nc"), ["a", "c"]);
        assert_eq!(split("# only\n"), Vec::<String>::new());
        for full in [
            "a \"b\"",
            "$A=1",
            "a $A",
            "@id a",
            "~SEQ(i,2) a",
            "a\\#",
            "a # b \\",
            "a # b \\\r",
            "a\x0bb",
            "a\rb",
            "include x",
            "a { include x }",
        ] {
            assert_eq!(split(full), ["<full>"], "{full:?}");
        }
    }

    #[test]
    fn tabs_separate_words_and_long_lines_are_refused() {
        assert_eq!(split("\ta\t b\t\nincluded_not x"), ["a|b", "<full>"]);
        let long = "a".repeat(1023);
        assert_eq!(split(&format!("{long}\nb")), ["<full>", "b"]);
        assert_eq!(split(&"a".repeat(1022)).len(), 1);
        assert_eq!(split(&long), [long.as_str()]);
        assert_eq!(
            split(&format!("{}\n", "a".repeat(1022))),
            ["a".repeat(1022)]
        );
    }
}
