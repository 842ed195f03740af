//! Source files and positions in them.

use std::path::{Path, PathBuf};

/// Identifies a file in a [`Sources`] set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A place in a source file: where a token or construct starts, and how
/// long it is.
///
/// Spans are kept small (every word and every value of the model has one):
/// the column is not stored but found from the text when a diagnostic is
/// shown, with [`Sources::column`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The file.
    pub file: FileId,
    /// Byte offset of the start in the file's text.
    pub offset: u32,
    /// Length in bytes (0 for a point, e.g. end of file).
    pub len: u32,
    /// 1-based line number.
    pub line: u32,
}

/// One file read while parsing: the main configuration or an included one.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as it was opened.
    pub path: PathBuf,
    /// The text (invalid UTF-8 replaced, and reported).
    pub text: String,
    /// The span of the `include` line that brought it in, if any.
    pub included_from: Option<Span>,
}

/// Every file of one configuration, indexed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// An empty set.
    pub fn new() -> Self {
        Sources::default()
    }

    /// Adds a file and returns its id.
    pub fn add(
        &mut self,
        path: impl Into<PathBuf>,
        text: String,
        included_from: Option<Span>,
    ) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile {
            path: path.into(),
            text,
            included_from,
        });
        id
    }

    /// The file with this id.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The path of a file, or `?` when unknown.
    pub fn path(&self, id: FileId) -> &Path {
        self.get(id).map_or(Path::new("?"), |f| f.path.as_path())
    }

    /// The text of the line a span starts on (without its newline).
    pub fn line_text(&self, span: Span) -> Option<&str> {
        let file = self.get(span.file)?;
        file.text.lines().nth(span.line.checked_sub(1)? as usize)
    }

    /// The 1-based column of a span's start, in characters (1 when the
    /// file is unknown).
    pub fn column(&self, span: Span) -> u32 {
        let Some(file) = self.get(span.file) else {
            return 1;
        };
        let text = file.text.as_bytes();
        let end = (span.offset as usize).min(text.len());
        let start = text[..end]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let chars = text[start..end]
            .iter()
            .filter(|&&b| (b & 0xC0) != 0x80)
            .count();
        1 + chars as u32
    }

    /// Every file, in the order they were read.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_from_the_line_start() {
        let mut sources = Sources::new();
        let id = sources.add("a.conf", "ab\nc\u{e9} d\n".to_owned(), None);
        let at = |offset| Span {
            file: id,
            offset,
            len: 1,
            line: 2,
        };
        assert_eq!(sources.column(at(0)), 1);
        assert_eq!(sources.column(at(3)), 1);
        assert_eq!(sources.column(at(7)), 4);
        assert_eq!(sources.column(at(99)), 1);
        assert_eq!(
            sources.column(Span {
                file: FileId(5),
                ..at(7)
            }),
            1
        );
    }
}
