//! Exit statuses, as keepalived 2.2.7 chooses them.
//!
//! `keepalived -t` ends in `config_test_exit()` (keepalived/core/main.c),
//! which maps the worst problem reported while reading the configuration to
//! one of the `KEEPALIVED_CHK_EXIT_*` values of lib/scheduler.h:
//!
//! | status | keepalived's name | problems |
//! |---|---|---|
//! | 0 | `KEEPALIVED_CHK_EXIT_OK` | none |
//! | 4 | `KEEPALIVED_CHK_EXIT_CONFIG` | only "cannot run" ones: with `-e`, a missing main file; an interface that does not exist; a fatal error |
//! | 5 | `KEEPALIVED_CHK_EXIT_CONFIG_TEST` | any other: syntax, unknown keyword, bad value, ... |
//! | 6 | `KEEPALIVED_CHK_EXIT_CONFIG_TEST_SECURITY` | scripts configured without `enable_script_security` |
//!
//! "Worst" is keepalived's order of `config_err_t` (lib/parser.h): it keeps
//! the highest value reported, and the cannot-run kinds come before the
//! others, so one syntax error next to a missing interface gives 5, and a
//! security violation anywhere gives 6.
//!
//! Missing files are the exception. keepalived only mentions a missing file
//! of a plain `include`, and `-t` still exits 0, unless `-e`
//! (`--all-config`) is given. A file it must find (`-e`, or `includer`,
//! `includem`, ... : lbkit then reports an error, not a warning) stops it
//! before any check: a missing main file gives 4 (`config_test_exit()` with
//! `CONFIG_FILE_NOT_FOUND`), a missing included one
//! `KEEPALIVED_EXIT_NO_CONFIG` (6, `had_config_file_error()`).
//!
//! lbkit's diagnostics follow keepalived's verdict by severity: an error is
//! something keepalived reports (so its `-t` fails), a warning is lbkit's
//! own advice (keepalived's verdict is unchanged). Only errors count here;
//! the codes below pick the status.

use lbkit_keepalived_cfg::{Diagnostic, Severity};

/// keepalived's "SECURITY VIOLATION - scripts are being executed but
/// script_security not enabled" (lbkit-keepalived-cfg's check/scripts.rs).
pub(crate) const SECURITY_CODES: &[&str] = &["E0280"];

/// Errors of keepalived's `-t` with which its daemon runs all the same:
/// the script security violation, and a script run as another user than
/// root (keepalived's configuration test kills itself checking it, the
/// daemon runs it as that user).
pub(crate) const DAEMON_RUNS_CODES: &[&str] = &["E0280", "E0287"];

/// Problems that keepalived counts as "cannot run the configuration"
/// (`CONFIG_BAD_IF`, `CONFIG_FATAL`) and lbkit reports. lbkit does not look
/// at the host's interfaces, so none for now.
pub(crate) const CANNOT_RUN_CODES: &[&str] = &[];

/// A configuration file (main or included) that cannot be found
/// (`E0009`/`W0009`) or read (`E0010`/`W0010`): errors when keepalived
/// must find it, warnings when it only logs it (lbkit-keepalived-cfg's
/// parse.rs).
pub(crate) const MISSING_FILE_CODES: &[&str] = &["E0009", "W0009", "E0010", "W0010"];

/// keepalived's `KEEPALIVED_EXIT_FATAL`: bad command line, or a request this
/// program cannot carry out.
pub(crate) const FATAL: u8 = 1;

/// keepalived's `KEEPALIVED_EXIT_NO_CONFIG`, given under `-e` when an
/// included file is missing.
const NO_CONFIG: u8 = 6;

/// The outcome of a configuration test, ordered from best to worst in
/// keepalived's own order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    /// Nothing keepalived would report.
    Valid,
    /// Only problems that stop keepalived from running the configuration.
    CannotRun,
    /// Configuration problems keepalived reports and runs despite.
    Problems,
    /// Scripts would run without script security.
    Security,
}

impl Verdict {
    /// keepalived's exit status for this outcome.
    fn code(self) -> u8 {
        match self {
            Verdict::Valid => 0,
            Verdict::CannotRun => 4,
            Verdict::Problems => 5,
            Verdict::Security => 6,
        }
    }
}

/// Which configuration files must exist for the test to pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Required {
    /// keepalived's `-e`: every file, main and included.
    pub(crate) all: bool,
    /// The main file (lbkit's `check`); keepalived's `-t` only checks it
    /// under `-e`.
    pub(crate) main: bool,
}

/// keepalived's `-t` exit status for `diags`.
pub(crate) fn config_test(diags: &[Diagnostic], required: Required) -> u8 {
    let (missing, others): (Vec<&Diagnostic>, Vec<&Diagnostic>) = diags
        .iter()
        .partition(|d| MISSING_FILE_CODES.contains(&d.code));
    // A missing main file has no place to point at: keepalived's
    // check_conf_file() only fails on it under -e. An included one points
    // at its `include` line, and counts when it is an error (includem...).
    let main_missing = missing.iter().any(|d| d.span.is_none());
    let include_missing =
        |d: &&&Diagnostic| d.span.is_some() && (required.all || d.severity == Severity::Error);
    if missing.iter().any(|d| include_missing(&d)) {
        return NO_CONFIG;
    }
    if main_missing && (required.all || required.main) {
        return Verdict::CannotRun.code();
    }
    others
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| verdict(d))
        .max()
        .unwrap_or(Verdict::Valid)
        .code()
}

/// What one error makes of the test.
fn verdict(diag: &Diagnostic) -> Verdict {
    if SECURITY_CODES.contains(&diag.code) {
        Verdict::Security
    } else if CANNOT_RUN_CODES.contains(&diag.code) {
        Verdict::CannotRun
    } else {
        Verdict::Problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lbkit_keepalived_cfg::{FileId, Span};

    const NONE: Required = Required {
        all: false,
        main: false,
    };
    const ALL: Required = Required {
        all: true,
        main: false,
    };

    fn error(code: &'static str) -> Diagnostic {
        Diagnostic::error(code, "e")
    }

    /// A missing file: `warning` for a plain include, `at` the include line
    /// (none for the main file).
    fn missing(warning: bool, at_include: bool) -> Diagnostic {
        let d = if warning {
            Diagnostic::warning("W0009", "no such file")
        } else {
            Diagnostic::error("E0009", "no such file")
        };
        if !at_include {
            return d;
        }
        let include_line = Span {
            file: FileId(0),
            offset: 0,
            len: 7,
            line: 1,
        };
        d.at(include_line, "")
    }

    #[test]
    fn nothing_is_valid() {
        assert_eq!(config_test(&[], NONE), 0);
    }

    #[test]
    fn warnings_keep_the_test_valid() {
        // W codes are lbkit's own advice: keepalived -t passes.
        let diags = [
            Diagnostic::warning("W0203", "w"),
            Diagnostic::warning("W0101", "w"),
        ];
        assert_eq!(config_test(&diags, NONE), 0);
    }

    #[test]
    fn any_error_is_a_configuration_problem() {
        assert_eq!(config_test(&[error("E0101")], NONE), 5);
        assert_eq!(config_test(&[error("E0003")], ALL), 5);
    }

    #[test]
    fn security_violation_wins_over_everything() {
        let diags = [error("E0101"), error(SECURITY_CODES[0]), error("E0226")];
        assert_eq!(config_test(&diags, NONE), 6);
    }

    #[test]
    fn cannot_run_alone_is_4_but_other_problems_win() {
        // config_err keeps the highest config_err_t: CONFIG_BAD_IF loses to
        // CONFIG_INVALID_NUMBER and the like.
        assert_eq!(Verdict::CannotRun.code(), 4);
        assert!(Verdict::CannotRun < Verdict::Problems);
        assert!(Verdict::Problems < Verdict::Security);
    }

    #[test]
    fn missing_main_file_passes_unless_all_config() {
        // keepalived -t -f /nonexistent: 0; with -e: 4.
        let diags = [missing(true, false)];
        assert_eq!(config_test(&diags, NONE), 0);
        assert_eq!(config_test(&diags, ALL), 4);
    }

    #[test]
    fn missing_include_passes_unless_all_config() {
        // `include /nonexistent/x.conf`: 0; with -e: 6 (no config), whatever
        // else is wrong.
        let diags = [missing(true, true), error("E0101")];
        assert_eq!(config_test(&diags, NONE), 5);
        assert_eq!(config_test(&diags[..1], NONE), 0);
        assert_eq!(config_test(&diags, ALL), 6);
        assert_eq!(config_test(&diags[..1], ALL), 6);
    }

    #[test]
    fn missing_file_keepalived_must_find_stops_it() {
        // `includem` of a missing file: error E0009, exit 6 without -e too.
        assert_eq!(config_test(&[missing(false, true)], NONE), 6);
        // The main file: keepalived's -t passes whatever the severity,
        // unless -e; lbkit's `check` requires it.
        assert_eq!(config_test(&[missing(false, false)], NONE), 0);
        let main = Required {
            all: false,
            main: true,
        };
        assert_eq!(config_test(&[missing(false, false)], main), 4);
        assert_eq!(config_test(&[missing(true, false)], main), 4);
    }
}
