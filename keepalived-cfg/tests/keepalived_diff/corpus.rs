//! The corpus: every `*.conf` directly in `tests/data/{seed,valid,invalid}`
//! (files elsewhere, such as `valid/inc/`, are only included by others).

use std::path::{Path, PathBuf};

/// The directories holding corpus files, relative to `tests/data`.
const DIRS: [&str; 3] = ["seed", "valid", "invalid"];

/// `keepalived-cfg/tests/data`.
pub(crate) fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
}

/// The corpus files, relative to `tests/data` with `/` separators, sorted.
pub(crate) fn files(data: &Path) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for dir in DIRS {
        let entries = std::fs::read_dir(data.join(dir))
            .map_err(|e| format!("reading {}/{dir}: {e}", data.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("reading {dir}: {e}"))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".conf") && entry.path().is_file() {
                out.push(format!("{dir}/{name}"));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Names `path` relative to `data` (with `/`), or shows it whole when it
/// lies elsewhere.
pub(crate) fn relative(data: &Path, path: &Path) -> String {
    let canon = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let base = data.canonicalize().unwrap_or_else(|_| data.to_path_buf());
    match canon.strip_prefix(&base) {
        Ok(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => path.display().to_string(),
    }
}

/// Every directory under `data` (itself included), for resolving the
/// relative paths keepalived prints for included files.
pub(crate) fn dirs_under(data: &Path) -> Vec<PathBuf> {
    let mut out = vec![data.to_path_buf()];
    let mut i = 0;
    // Breadth first over a list: no recursion, bounded by the tree's size.
    while let Some(dir) = out.get(i).cloned() {
        i += 1;
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut subdirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        subdirs.sort();
        out.extend(subdirs);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_is_large_enough_and_covers_the_seed() {
        let files = files(&data_dir()).unwrap();
        let count = |dir: &str| files.iter().filter(|f| f.starts_with(dir)).count();
        assert_eq!(count("seed/"), 5, "{files:?}");
        assert!(count("valid/") >= 40, "{} valid files", count("valid/"));
        assert!(
            count("invalid/") >= 80,
            "{} invalid files",
            count("invalid/")
        );
        assert!(files.contains(&"seed/appendix-a.conf".to_string()));
        assert!(!files.iter().any(|f| f.contains("/inc/")));
    }

    #[test]
    fn every_mutant_names_an_existing_source_and_differs_from_it() {
        let data = data_dir();
        let mut mutants = 0;
        for file in files(&data).unwrap() {
            let Some((_, name)) = file.split_once('/') else {
                continue;
            };
            if !name.contains("--") {
                continue;
            }
            mutants += 1;
            let text = std::fs::read(data.join(&file)).unwrap();
            let text = String::from_utf8_lossy(&text);
            let (first, body) = text.split_once('\n').unwrap();
            let source = first
                .strip_prefix("# mutant of ")
                .and_then(|rest| rest.split_once(':'))
                .map(|(src, _)| src)
                .unwrap_or_else(|| panic!("{file}: first line `{first}`"));
            let original = std::fs::read_to_string(data.join(source)).unwrap();
            assert_ne!(body, original, "{file} is its source unchanged");
        }
        assert!(mutants >= 3 * 40, "{mutants} mutants");
    }

    #[test]
    fn relative_names_files_under_the_data_dir() {
        let data = data_dir();
        assert_eq!(
            relative(
                &data,
                &data
                    .join("valid")
                    .join("inc")
                    .join("..")
                    .join("lex-seq.conf")
            ),
            "valid/lex-seq.conf"
        );
        assert_eq!(
            relative(&data, Path::new("/nonexistent/x")),
            "/nonexistent/x"
        );
        assert!(dirs_under(&data).contains(&data.join("valid").join("inc")));
    }
}
