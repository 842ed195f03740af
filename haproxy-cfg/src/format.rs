//! The canonical text of a configuration: one section after the other,
//! separated by a blank line, section headers at the margin, keyword
//! lines indented by four spaces, words separated by one space and quoted
//! only when they must be. Comments, blank lines and `.if` blocks are not
//! kept (the tree holds the lines that were in force).
//!
//! Reading the output again gives the same words: `parse(format(t))` has
//! the words of `t`.

use crate::tree::{Line, Tree};

/// Formats a whole tree.
pub fn format(tree: &Tree) -> String {
    let mut out = String::new();
    for (i, section) in tree.sections.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        line(&mut out, &section.header, "");
        for l in &section.lines {
            line(&mut out, l, "    ");
        }
    }
    out
}

/// One line, with its indentation and newline.
fn line(out: &mut String, l: &Line, indent: &str) {
    out.push_str(indent);
    for (i, w) in l.words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&quote(&w.text));
    }
    // A trailing empty word only counts when a blank follows it.
    if l.words.last().is_some_and(|w| w.text.is_empty()) {
        out.push(' ');
    }
    out.push('\n');
}

/// A word as it must be written to read back as itself.
pub fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word.chars().all(|c| {
            !c.is_control() && !matches!(c, ' ' | '#' | '"' | '\'' | '\\' | '$' | '\u{b}' | '\u{c}')
        });
    if plain {
        return word.to_string();
    }
    let needs_double = word.chars().any(|c| c == '\'' || c.is_control());
    if !needs_double {
        return format!("'{word}'");
    }
    let mut out = String::with_capacity(word.len() + 2);
    out.push('"');
    for c in word.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lex::{split_line, LineContext, LinePos};
    use crate::source::FileId;

    fn back(word: &str) -> Vec<String> {
        let env = |_: &str| None;
        let ctx = LineContext {
            file_name: "f",
            section: "",
            env: &env,
        };
        let pos = LinePos {
            file: FileId(0),
            offset: 0,
            line: 1,
        };
        let line = format!("kw {} end", quote(word));
        split_line(&line, pos, &ctx)
            .unwrap()
            .into_iter()
            .map(|w| w.text.to_string())
            .collect()
    }

    #[test]
    fn quoting_round_trips() {
        for w in [
            "plain",
            "",
            "a b",
            "#x",
            "it's",
            "\"q\"",
            "back\\slash",
            "${HOME}",
            "tab\there",
            "nl\nx",
            "\u{1}",
            "mixé",
            "a'b c\"d $e",
        ] {
            assert_eq!(back(w), ["kw", w, "end"], "{w:?} as {}", quote(w));
        }
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "\"it's\"");
    }

    proptest::proptest! {
        #[test]
        fn any_word_round_trips(w in "[ -~\\t\\n\\r\\u{1}\\u{e9}]{0,24}") {
            proptest::prop_assert_eq!(back(&w), vec!["kw".to_string(), w.clone(), "end".to_string()]);
        }
    }
}
