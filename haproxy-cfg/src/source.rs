//! Source files and positions in them.

use std::path::{Path, PathBuf};

/// Identifies a file in a [`Sources`] set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A place in a source file: where a token or construct starts, and how
/// long it is.
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
    /// 1-based column, in characters.
    pub col: u32,
}

impl Span {
    /// A span from `self` to the end of `other` (both on one line).
    pub fn to(self, other: Span) -> Span {
        let end = (other.offset + other.len).max(self.offset + self.len);
        Span {
            len: end - self.offset,
            ..self
        }
    }
}

/// One file read: a `-f` argument or a file of a `-f` directory.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as it was opened.
    pub path: PathBuf,
    /// The text (invalid UTF-8 replaced, and reported).
    pub text: String,
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
    pub fn add(&mut self, path: impl Into<PathBuf>, text: String) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile {
            path: path.into(),
            text,
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

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> Option<&str> {
        let text = &self.get(span.file)?.text;
        text.get(span.offset as usize..(span.offset + span.len) as usize)
    }

    /// Every file, in the order they were read.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }

    /// How many files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when no file was read.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_and_joins() {
        let mut s = Sources::new();
        let id = s.add("a.cfg", "global\n  maxconn 10\n".into());
        let a = Span {
            file: id,
            offset: 9,
            len: 7,
            line: 2,
            col: 3,
        };
        let b = Span {
            file: id,
            offset: 17,
            len: 2,
            line: 2,
            col: 11,
        };
        assert_eq!(s.slice(a), Some("maxconn"));
        assert_eq!(s.slice(a.to(b)), Some("maxconn 10"));
        assert_eq!(s.path(FileId(7)), Path::new("?"));
    }
}
