//! Which files a list of `-f` arguments means, and reading them.
//!
//! As HAProxy 2.6 does: each `-f` names a file or a directory; a directory
//! stands for its regular files whose names end in `.cfg` and do not start
//! with `.`, sorted byte-wise (upper case before lower case), without
//! descending into subdirectories. Files are read in that order, each
//! starting outside any section.

use crate::diag::Diagnostic;
use std::path::{Path, PathBuf};

/// Largest file read (bytes); larger ones are refused, bounding memory.
pub(crate) const MAX_FILE_BYTES: u64 = 1 << 30;

/// The files `paths` stand for, in reading order, or the error HAProxy
/// gives for an argument that is neither a file nor a directory.
pub(crate) fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Box<Diagnostic>> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| cannot_open(path, &e))?;
        if !meta.is_dir() {
            out.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path).map_err(|e| cannot_open(path, &e))?;
        let mut names: Vec<Vec<u8>> = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.as_encoded_bytes();
            if name.starts_with(b".") || !name.ends_with(b".cfg") {
                continue;
            }
            let is_file = std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file());
            if is_file {
                names.push(name.to_vec());
            }
        }
        names.sort();
        for name in names {
            out.push(path.join(String::from_utf8_lossy(&name).as_ref()));
        }
    }
    Ok(out)
}

/// "Cannot open configuration file/directory".
fn cannot_open(path: &Path, e: &std::io::Error) -> Box<Diagnostic> {
    Box::new(Diagnostic::error(
        "E0030",
        format!(
            "Cannot open configuration file/directory {} : {}",
            path.display(),
            io_message(e)
        ),
    ))
}

/// The C library's wording of common errors.
fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "No such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "Permission denied".to_string(),
        _ => e.to_string(),
    }
}

/// Reads a file as text; invalid UTF-8 is replaced, with a warning saying
/// where the first bad byte was (HAProxy itself takes bytes as they are).
pub(crate) fn read(path: &Path) -> Result<(String, Option<usize>), Box<Diagnostic>> {
    let meta = std::fs::metadata(path).map_err(|e| cannot_open(path, &e))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(Box::new(Diagnostic::error(
            "E0031",
            format!(
                "{}: file too large ({} bytes, at most {MAX_FILE_BYTES})",
                path.display(),
                meta.len()
            ),
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| cannot_open(path, &e))?;
    Ok(decode(bytes))
}

/// Bytes as text, and the offset of the first invalid UTF-8 byte if any.
pub(crate) fn decode(bytes: Vec<u8>) -> (String, Option<usize>) {
    match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            (String::from_utf8_lossy(e.as_bytes()).into_owned(), Some(at))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_sorted_filtered_not_recursive() {
        let dir = std::env::temp_dir().join(format!("hcfg-load-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub.cfg")).unwrap();
        for name in ["b.cfg", "B.cfg", "a.txt", ".h.cfg", "a.cfg"] {
            std::fs::write(dir.join(name), "global\n").unwrap();
        }
        std::fs::write(dir.join("sub.cfg").join("x.cfg"), "").unwrap();
        let one = dir.join("b.cfg");
        let files = expand(&[dir.clone(), one.clone()]).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|p| p.strip_prefix(&dir).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["B.cfg", "a.cfg", "b.cfg", "b.cfg"]);
        let missing = expand(&[dir.join("nope.cfg")]).unwrap_err();
        assert!(
            missing.message.ends_with(": No such file or directory"),
            "{}",
            missing.message
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn invalid_utf8_is_replaced_and_located() {
        let (text, bad) = decode(b"global\n description \xff\xfe\n".to_vec());
        assert_eq!(bad, Some(20));
        assert!(text.contains('\u{fffd}'));
        assert_eq!(decode(b"ok".to_vec()), ("ok".to_string(), None));
    }
}
