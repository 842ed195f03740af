//! Indented lines of words, quoted where keepalived would split them.

/// Indentation per block level.
const INDENT: &str = "    ";

/// Collects the formatted text.
#[derive(Default)]
pub(super) struct Writer {
    out: String,
    depth: usize,
    /// A top-level block just closed: the next top-level line gets a
    /// blank line before it.
    gap: bool,
}

impl Writer {
    /// One line of words.
    pub(super) fn line(&mut self, words: &[&str]) {
        self.start();
        for (i, w) in words.iter().enumerate() {
            if i > 0 {
                self.out.push(' ');
            }
            push_word(&mut self.out, w, i == 0);
        }
        self.out.push('\n');
    }

    /// [`Writer::line`] for owned words.
    pub(super) fn line_owned(&mut self, words: &[String]) {
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        self.line(&refs);
    }

    /// A line of words ending in `{`; the following lines are indented.
    pub(super) fn open(&mut self, words: &[&str]) {
        self.start();
        for (i, w) in words.iter().enumerate() {
            push_word(&mut self.out, w, i == 0);
            self.out.push(' ');
        }
        self.out.push_str("{\n");
        self.depth += 1;
    }

    /// [`Writer::open`] for owned words.
    pub(super) fn open_owned(&mut self, words: &[String]) {
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        self.open(&refs);
    }

    /// The `}` of the innermost open block.
    pub(super) fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str("}\n");
        if self.depth == 0 {
            self.gap = true;
        }
    }

    /// The text.
    pub(super) fn finish(self) -> String {
        self.out
    }

    /// Begins a line: the blank line after a top-level block, the indent.
    fn start(&mut self) {
        if self.depth == 0 && self.gap {
            self.out.push('\n');
            self.gap = false;
        }
        self.indent();
    }

    /// The indentation of the current depth.
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str(INDENT);
        }
    }
}

/// A word, in double quotes when it is empty or holds a character that
/// would end or change it unquoted (space, tab, `#`, `!`, braces, quote),
/// or, first on its line, starts with `@` (a conditional line's marker).
fn push_word(out: &mut String, w: &str, first: bool) {
    let needs_quotes = w.is_empty()
        || (first && w.starts_with('@'))
        || w.chars()
            .any(|c| c.is_whitespace() || matches!(c, '#' | '!' | '{' | '}' | '"'));
    if needs_quotes {
        out.push('"');
        out.push_str(w);
        out.push('"');
    } else {
        out.push_str(w);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_indent_by_four_and_top_level_blocks_are_separated() {
        let mut w = Writer::default();
        w.open(&["a", "x"]);
        w.line(&["b", "1"]);
        w.open(&["c"]);
        w.line(&["d"]);
        w.close();
        w.close();
        w.open(&["e"]);
        w.close();
        assert_eq!(
            w.finish(),
            "a x {\n    b 1\n    c {\n        d\n    }\n}\n\ne {\n}\n"
        );
    }

    #[test]
    fn words_with_spaces_or_comment_marks_are_quoted() {
        let mut w = Writer::default();
        w.line(&["script", "/bin/check arg", "a#b", "", "plain"]);
        assert_eq!(w.finish(), "script \"/bin/check arg\" \"a#b\" \"\" plain\n");
    }

    #[test]
    fn a_line_starting_with_at_is_quoted_not_read_as_conditional() {
        let mut w = Writer::default();
        w.line(&["@s", "@t"]);
        assert_eq!(w.finish(), "\"@s\" @t\n");
    }
}
