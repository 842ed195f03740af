//! What the program does: the configuration test (`-t`), `fmt` and
//! `check`. Each returns the process exit status.

use crate::config::{main_text, Request};
use crate::status::{self, Required, FATAL};
use lbkit_keepalived_cfg::{Loaded, Severity};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

/// `keepalived-rs -t [-f FILE]`: diagnostics on standard error (or appended
/// to `log_file`), keepalived's `-t` exit status.
pub(crate) fn config_test(req: &Request<'_>, log_file: Option<&Path>, all_config: bool) -> u8 {
    let mut sink: Box<dyn Write> = match log_file {
        None => Box::new(std::io::stderr().lock()),
        Some(path) => match open_log(path) {
            Ok(file) => Box::new(file),
            Err(e) => {
                eprintln!(
                    "Unable to open config-test log file {} - {e}",
                    path.display()
                );
                return FATAL;
            }
        },
    };
    let loaded = match req.load() {
        Ok(loaded) => loaded,
        Err(e) => return fail(&e),
    };
    let report = rendered(&loaded, req.path);
    // A log file that cannot be written to loses the report, not the verdict.
    let _ = sink.write_all(report.as_bytes());
    let _ = sink.flush();
    let required = Required {
        all: all_config,
        main: false,
    };
    let code = status::config_test(&loaded.diagnostics, required);
    exit_soon(loaded);
    code
}

/// `keepalived-rs check [--json] [--strict] FILE`: like `-t`, or one JSON
/// array of diagnostics on standard output. Unlike keepalived's `-t`, a
/// missing main file fails (4) even without `-e`.
pub(crate) fn check(req: &Request<'_>, json: bool, all_config: bool) -> u8 {
    let loaded = match req.load() {
        Ok(loaded) => loaded,
        Err(e) => return fail(&e),
    };
    let required = Required {
        all: all_config,
        main: true,
    };
    let status = status::config_test(&loaded.diagnostics, required);
    if json {
        if let Err(e) = write_stdout(&json_array(&loaded)) {
            return fail(&e);
        }
    } else {
        eprint!("{}", rendered(&loaded, req.path));
    }
    exit_soon(loaded);
    status
}

/// Leaves the configuration to the operating system: the process exits
/// right after, and freeing a large model piece by piece is wasted time
/// (it is measured: `cargo xtask bench-keepalived`).
fn exit_soon(loaded: Loaded) {
    std::mem::forget(loaded);
}

/// `keepalived-rs fmt [--check] FILE`: the canonical text on standard
/// output; with `check`, exit 1 when the file differs from it. A
/// configuration with errors is not formatted (its model is incomplete):
/// the diagnostics are shown and the `-t` status returned.
pub(crate) fn fmt(req: &Request<'_>, check: bool) -> u8 {
    let loaded = match req.load() {
        Ok(loaded) => loaded,
        Err(e) => return fail(&e),
    };
    eprint!("{}", rendered(&loaded, req.path));
    if loaded.has_errors() {
        // Missing files alone pass keepalived's test, but still leave no
        // complete model to format.
        return status::config_test(&loaded.diagnostics, Required::default()).max(FATAL);
    }
    if loaded.sources.iter().count() > 1 {
        eprintln!(
            "keepalived-rs: note: {} includes other files; the canonical form \
             inlines them",
            req.path.display()
        );
    }
    let canonical = lbkit_keepalived_cfg::format(&loaded.config);
    if check {
        if main_text(&loaded) == Some(canonical.as_str()) {
            return 0;
        }
        eprintln!(
            "keepalived-rs: {} is not in canonical form (run `keepalived-rs fmt` to see it)",
            req.path.display()
        );
        return 1;
    }
    match write_stdout(&canonical) {
        Ok(()) => 0,
        Err(e) => fail(&e),
    }
}

/// Every diagnostic rendered, then a one-line count (nothing when clean).
fn rendered(loaded: &Loaded, path: &Path) -> String {
    if loaded.diagnostics.is_empty() {
        return String::new();
    }
    let mut out = loaded.render();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push('\n');
    let count = |severity| {
        loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    };
    out.push_str(&format!(
        "{}: {}, {}\n",
        path.display(),
        plural(count(Severity::Error), "error"),
        plural(count(Severity::Warning), "warning"),
    ));
    out
}

/// `1 error`, `2 errors`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The diagnostics as one JSON array, one object per line.
fn json_array(loaded: &Loaded) -> String {
    let items: Vec<String> = loaded
        .diagnostics
        .iter()
        .map(|d| d.to_json(&loaded.sources))
        .collect();
    if items.is_empty() {
        "[]\n".to_owned()
    } else {
        format!("[\n{}\n]\n", items.join(",\n"))
    }
}

/// Opens the `-t` log file as keepalived does: append, create, and never
/// through a symbolic link.
fn open_log(path: &Path) -> std::io::Result<std::fs::File> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_symlink() {
            return Err(std::io::Error::other("is a symbolic link"));
        }
    }
    OpenOptions::new().append(true).create(true).open(path)
}

/// Writes to standard output; a closed pipe is not an error.
fn write_stdout(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write to standard output: {e}")),
    }
}

/// Reports a failure of the program itself and gives keepalived's fatal
/// status.
fn fail(message: &str) -> u8 {
    eprintln!("keepalived-rs: {message}");
    FATAL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals() {
        assert_eq!(plural(0, "error"), "0 errors");
        assert_eq!(plural(1, "warning"), "1 warning");
        assert_eq!(plural(3, "warning"), "3 warnings");
    }

    #[test]
    fn log_file_refuses_symlinks() {
        let dir = std::env::temp_dir().join(format!("kars-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = dir.join("target");
        let link = dir.join("link");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(open_log(&link).is_err());
        assert!(open_log(&target).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
