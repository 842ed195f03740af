//! Exit statuses, as keepalived 2.2.7 chooses them.
//!
//! `keepalived -t` ends in `config_test_exit()` (keepalived/core/main.c),
//! which maps the worst problem reported while reading the configuration to
//! one of the `KEEPALIVED_CHK_EXIT_*` values of lib/scheduler.h:
//!
//! | status | keepalived's name | problems |
//! |---|---|---|
//! | 0 | `KEEPALIVED_CHK_EXIT_OK` | none |
//! | 4 | `KEEPALIVED_CHK_EXIT_CONFIG` | only "cannot run" ones: a missing file (with `-e`), an interface that does not exist, a fatal error |
//! | 5 | `KEEPALIVED_CHK_EXIT_CONFIG_TEST` | any other: syntax, unknown keyword, bad value, ... |
//! | 6 | `KEEPALIVED_CHK_EXIT_CONFIG_TEST_SECURITY` | scripts configured without `enable_script_security` |
//!
//! "Worst" is keepalived's order of `config_err_t` (lib/parser.h): it keeps
//! the highest value reported, and the cannot-run kinds come before the
//! others, so one syntax error next to a missing interface gives 5, and a
//! security violation anywhere gives 6.
//!
//! lbkit's diagnostics map onto this by severity and code: every error
//! counts; a warning counts only when its code is one keepalived reports
//! too (an unknown keyword: keepalived says so and `-t` exits 5), so that
//! lbkit's own extra advice does not change the verdict.

use lbkit_keepalived_cfg::{Diagnostic, Severity};

/// The diagnostic code lbkit gives keepalived's "SECURITY VIOLATION -
/// scripts are being executed but script_security not enabled".
pub(crate) const SECURITY_CODES: &[&str] = &["E0290"];

/// Codes of problems that keepalived counts as "cannot run the
/// configuration" (`CONFIG_FILE_NOT_FOUND`, `CONFIG_BAD_IF`, `CONFIG_FATAL`).
pub(crate) const CANNOT_RUN_CODES: &[&str] = &["E0010"];

/// Codes of a missing configuration file (main or included). keepalived
/// only says so, and `-t` still passes, unless `-e` (`--all-config`) is
/// given: then it is a cannot-run problem.
pub(crate) const MISSING_FILE_CODES: &[&str] = &["W0010"];

/// Warning codes for things keepalived reports as well, so that its `-t`
/// fails on them (unknown keywords, deprecated keywords, ignored values).
pub(crate) const REPORTED_WARNING_CODES: &[&str] = &["W0100"];

/// The outcome of a configuration test, ordered from best to worst in
/// keepalived's own order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TestStatus {
    /// Nothing keepalived would report.
    Valid,
    /// Only problems that stop keepalived from running the configuration.
    CannotRun,
    /// Configuration problems keepalived reports and runs despite.
    Problems,
    /// Scripts would run without script security.
    Security,
}

impl TestStatus {
    /// The worst status among `diags`; `all_config` is keepalived's `-e`.
    pub(crate) fn of(diags: &[Diagnostic], all_config: bool) -> TestStatus {
        diags
            .iter()
            .map(|d| TestStatus::of_one(d, all_config))
            .max()
            .unwrap_or(TestStatus::Valid)
    }

    /// What one diagnostic makes of the test.
    fn of_one(diag: &Diagnostic, all_config: bool) -> TestStatus {
        if MISSING_FILE_CODES.contains(&diag.code) {
            return if all_config {
                TestStatus::CannotRun
            } else {
                TestStatus::Valid
            };
        }
        let counts = match diag.severity {
            Severity::Error => true,
            Severity::Warning => REPORTED_WARNING_CODES.contains(&diag.code),
            Severity::Note => false,
        };
        if !counts {
            TestStatus::Valid
        } else if SECURITY_CODES.contains(&diag.code) {
            TestStatus::Security
        } else if CANNOT_RUN_CODES.contains(&diag.code) {
            TestStatus::CannotRun
        } else {
            TestStatus::Problems
        }
    }

    /// keepalived's exit status for this outcome.
    pub(crate) fn code(self) -> u8 {
        match self {
            TestStatus::Valid => 0,
            TestStatus::CannotRun => 4,
            TestStatus::Problems => 5,
            TestStatus::Security => 6,
        }
    }
}

/// keepalived's `KEEPALIVED_EXIT_FATAL`: bad command line, or a request this
/// program cannot carry out.
pub(crate) const FATAL: u8 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: &'static str) -> Diagnostic {
        Diagnostic::error(code, "e")
    }

    fn warning(code: &'static str) -> Diagnostic {
        Diagnostic::warning(code, "w")
    }

    #[test]
    fn nothing_is_valid() {
        assert_eq!(TestStatus::of(&[], false).code(), 0);
    }

    #[test]
    fn lbkit_only_warnings_keep_the_test_valid() {
        assert_eq!(TestStatus::of(&[warning("W0299")], false).code(), 0);
    }

    #[test]
    fn warnings_keepalived_reports_fail_the_test() {
        assert_eq!(
            TestStatus::of(&[warning(REPORTED_WARNING_CODES[0])], false).code(),
            5
        );
    }

    #[test]
    fn any_error_is_a_configuration_problem() {
        assert_eq!(TestStatus::of(&[error("E0101")], false).code(), 5);
    }

    #[test]
    fn cannot_run_alone_is_4_but_other_problems_win() {
        // config_err keeps the highest config_err_t: CONFIG_BAD_IF (2) loses
        // to CONFIG_INVALID_NUMBER and friends.
        let cannot = error(CANNOT_RUN_CODES[0]);
        assert_eq!(
            TestStatus::of(std::slice::from_ref(&cannot), false).code(),
            4
        );
        assert_eq!(TestStatus::of(&[cannot, error("E0101")], false).code(), 5);
    }

    #[test]
    fn missing_files_count_only_with_all_config() {
        // file_config_error(): CONFIG_OK unless -e made it CONFIG_FILE_NOT_FOUND.
        let missing = [warning(MISSING_FILE_CODES[0])];
        assert_eq!(TestStatus::of(&missing, false).code(), 0);
        assert_eq!(TestStatus::of(&missing, true).code(), 4);
        let missing = [error(MISSING_FILE_CODES[0])];
        assert_eq!(TestStatus::of(&missing, false).code(), 0);
        assert_eq!(TestStatus::of(&missing, true).code(), 4);
    }

    #[test]
    fn security_violation_wins_over_everything() {
        let diags = [
            error("E0101"),
            error(SECURITY_CODES[0]),
            error(CANNOT_RUN_CODES[0]),
        ];
        assert_eq!(TestStatus::of(&diags, false).code(), 6);
    }
}
