//! The command line: keepalived 2.2.7's options (`keepalived --help`), plus
//! lbkit's `fmt` and `check` subcommands.
//!
//! All of keepalived's options are accepted (so that existing unit files
//! and scripts parse); the daemon honours `-f`, `-P`, `-C`, `-l`, `-D`,
//! `-p` and runs in the foreground.

use clap::{ArgAction, Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

/// keepalived's default configuration file.
pub(crate) const DEFAULT_CONFIG_FILE: &str = "/etc/keepalived/keepalived.conf";

/// `keepalived-rs [OPTION...]`, or `keepalived-rs fmt|check ...`.
#[derive(Debug, Parser)]
#[command(
    name = "keepalived-rs",
    about = "A keepalived-compatible daemon built from the lbkit crates \
             (so far: the configuration test, formatter, checker and the VRRP daemon)",
    disable_help_flag = true,
    disable_version_flag = true,
    args_conflicts_with_subcommands = true,
    args_override_self = true
)]
pub(crate) struct Cli {
    /// lbkit's subcommands; none means keepalived's own command line.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    /// keepalived's options.
    #[command(flatten)]
    pub(crate) keepalived: KeepalivedArgs,
}

/// lbkit's subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print the configuration in canonical form (`--check`: only compare).
    Fmt(FmtArgs),
    /// Check the configuration: rustc-style diagnostics, or JSON.
    Check(CheckArgs),
}

/// Where the configuration comes from, shared by `fmt` and `check`.
#[derive(Debug, Args)]
pub(crate) struct Input {
    /// The configuration file (`-` reads standard input)
    /// [default: /etc/keepalived/keepalived.conf].
    #[arg(value_name = "FILE", conflicts_with = "use_file")]
    pub(crate) file: Option<PathBuf>,
    /// The configuration file, as keepalived's `-f`.
    #[arg(short = 'f', long = "use-file", value_name = "FILE")]
    pub(crate) use_file: Option<PathBuf>,
    /// Keep lines starting `@ID`, drop lines starting `@^ID`
    /// [default: the node name up to its first dot].
    #[arg(short = 'i', long = "config-id", value_name = "ID")]
    pub(crate) config_id: Option<String>,
    /// Print help.
    #[arg(short = 'h', long = "help", action = ArgAction::Help)]
    pub(crate) help: Option<bool>,
}

impl Input {
    /// The file named on the command line, or keepalived's default.
    pub(crate) fn path(&self) -> PathBuf {
        self.file
            .clone()
            .or_else(|| self.use_file.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE))
    }
}

/// `keepalived-rs fmt`.
#[derive(Debug, Args)]
pub(crate) struct FmtArgs {
    /// The configuration.
    #[command(flatten)]
    pub(crate) input: Input,
    /// Print nothing; exit 1 when the file is not in canonical form.
    #[arg(long)]
    pub(crate) check: bool,
}

/// `keepalived-rs check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The configuration.
    #[command(flatten)]
    pub(crate) input: Input,
    /// Print the diagnostics as one JSON array on standard output.
    #[arg(long)]
    pub(crate) json: bool,
    /// Treat warnings as errors.
    #[arg(long)]
    pub(crate) strict: bool,
    /// Error if any configuration file is missing (keepalived's `-e`).
    #[arg(short = 'e', long = "all-config")]
    pub(crate) all_config: bool,
}

/// keepalived 2.2.7's options (`parse_cmdline()` in keepalived/core/main.c).
#[derive(Debug, Args)]
pub(crate) struct KeepalivedArgs {
    /// Use the specified configuration file
    /// [default: /etc/keepalived/keepalived.conf].
    #[arg(short = 'f', long = "use-file", value_name = "FILE")]
    pub(crate) use_file: Option<PathBuf>,
    /// Check the configuration for errors; output to stderr, or appended
    /// to LOG_FILE.
    #[arg(
        short = 't',
        long = "config-test",
        value_name = "LOG_FILE",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = ""
    )]
    pub(crate) config_test: Option<String>,
    /// Skip configuration lines beginning `@` that don't match ID, and lines
    /// beginning `@^` that do [default: the node name].
    #[arg(short = 'i', long = "config-id", value_name = "ID")]
    pub(crate) config_id: Option<String>,
    /// Error if any configuration file is missing.
    #[arg(short = 'e', long = "all-config")]
    pub(crate) all_config: bool,
    /// lbkit: treat warnings as errors.
    #[arg(long)]
    pub(crate) strict: bool,
    /// Return the signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR
    /// or JSON.
    #[arg(long, value_name = "SIGFUNC")]
    pub(crate) signum: Option<String>,
    /// Display the version number.
    #[arg(short = 'v', long)]
    pub(crate) version: bool,
    /// Display this help message.
    #[arg(short = 'h', long)]
    pub(crate) help: bool,
    /// The daemon's options: accepted, not yet acted upon.
    #[command(flatten)]
    pub(crate) daemon: DaemonArgs,
}

/// keepalived's options that only matter to the running daemon. They are
/// parsed so that existing command lines are accepted; `-t` ignores them, as
/// keepalived does for nearly all of them.
#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)]
pub(crate) struct DaemonArgs {
    /// Only run with VRRP subsystem.
    #[arg(short = 'P', long = "vrrp")]
    pub(crate) vrrp: bool,
    /// Only run with Health-checker subsystem.
    #[arg(short = 'C', long = "check")]
    pub(crate) check: bool,
    /// Don't run BFD subsystem.
    #[arg(short = 'B', long = "no_bfd")]
    pub(crate) no_bfd: bool,
    /// Force all child processes to run, even if they have no configuration.
    #[arg(long = "all")]
    pub(crate) all: bool,
    /// Log messages to local console.
    #[arg(short = 'l', long = "log-console")]
    pub(crate) log_console: bool,
    /// Detailed log messages.
    #[arg(short = 'D', long = "log-detail")]
    pub(crate) log_detail: bool,
    /// Set syslog facility to LOG_LOCAL[0-7], user or daemon.
    #[arg(short = 'S', long = "log-facility", value_name = "FACILITY")]
    pub(crate) log_facility: Option<String>,
    /// Log to FILE.
    #[arg(
        short = 'g',
        long = "log-file",
        value_name = "FILE",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = ""
    )]
    pub(crate) log_file: Option<String>,
    /// Flush the log file after each write.
    #[arg(long = "flush-log-file")]
    pub(crate) flush_log_file: bool,
    /// Don't log via syslog.
    #[arg(short = 'G', long = "no-syslog")]
    pub(crate) no_syslog: bool,
    /// umask for file creation (in numeric form).
    #[arg(short = 'u', long = "umask", value_name = "MASK")]
    pub(crate) umask: Option<String>,
    /// Drop VIP on transition from signal.
    #[arg(short = 'X', long = "release-vips")]
    pub(crate) release_vips: bool,
    /// Don't remove VRRP VIPs and VROUTEs on daemon stop.
    #[arg(short = 'V', long = "dont-release-vrrp")]
    pub(crate) dont_release_vrrp: bool,
    /// Don't remove IPVS topology on daemon stop.
    #[arg(short = 'I', long = "dont-release-ipvs")]
    pub(crate) dont_release_ipvs: bool,
    /// Don't respawn child processes.
    #[arg(short = 'R', long = "dont-respawn")]
    pub(crate) dont_respawn: bool,
    /// Don't fork the daemon process.
    #[arg(short = 'n', long = "dont-fork")]
    pub(crate) dont_fork: bool,
    /// Dump the configuration data.
    #[arg(short = 'd', long = "dump-conf")]
    pub(crate) dump_conf: bool,
    /// Use specified pidfile for parent process.
    #[arg(short = 'p', long = "pid", value_name = "FILE")]
    pub(crate) pid: Option<PathBuf>,
    /// Use specified pidfile for VRRP child process.
    #[arg(short = 'r', long = "vrrp_pid", value_name = "FILE")]
    pub(crate) vrrp_pid: Option<PathBuf>,
    /// Enter into genhash utility mode (not supported).
    #[arg(short = 'T', long = "genhash")]
    pub(crate) genhash: bool,
    /// Use specified pidfile for checkers child process.
    #[arg(short = 'c', long = "checkers_pid", value_name = "FILE")]
    pub(crate) checkers_pid: Option<PathBuf>,
    /// Report all address additions/deletions notified via netlink.
    #[arg(short = 'a', long = "address-monitoring")]
    pub(crate) address_monitoring: bool,
    /// Use specified pidfile for BFD child process.
    #[arg(short = 'b', long = "bfd_pid", value_name = "FILE")]
    pub(crate) bfd_pid: Option<PathBuf>,
    /// Enable SNMP subsystem.
    #[arg(short = 'x', long = "snmp")]
    pub(crate) snmp: bool,
    /// Use the specified socket for master agent.
    #[arg(short = 'A', long = "snmp-agent-socket", value_name = "FILE")]
    pub(crate) snmp_agent_socket: Option<String>,
    /// Run in network namespace NAME (overrides config).
    #[arg(short = 's', long = "namespace", value_name = "NAME")]
    pub(crate) namespace: Option<String>,
    /// Produce core dump if terminate abnormally.
    #[arg(short = 'm', long = "core-dump")]
    pub(crate) core_dump: bool,
    /// Also set /proc/sys/kernel/core_pattern to PATN.
    #[arg(
        short = 'M',
        long = "core-dump-pattern",
        value_name = "PATN",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = ""
    )]
    pub(crate) core_dump_pattern: Option<String>,
    /// Read the configuration from file descriptor FD (internal to keepalived).
    #[arg(long = "config-fd", value_name = "FD", hide = true)]
    pub(crate) config_fd: Option<String>,
    /// Performance profiling (keepalived debug builds).
    #[arg(
        long = "perf",
        value_name = "TYPE",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "",
        hide = true
    )]
    pub(crate) perf: Option<String>,
    /// Debug options (keepalived debug builds).
    #[arg(
        long = "debug",
        value_name = "OPTS",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "",
        hide = true
    )]
    pub(crate) debug: Option<String>,
    /// Don't check memory (keepalived memory-check builds).
    #[arg(long = "no-mem-check", hide = true)]
    pub(crate) no_mem_check: bool,
    /// Log memory checks (keepalived memory-check builds).
    #[arg(short = 'L', long = "mem-check-log", hide = true)]
    pub(crate) mem_check_log: bool,
}

/// The plain configuration test, `-t` (or `--config-test[=LOG]`) with at
/// most one `-f FILE` (`--use-file FILE`, `--use-file=FILE`), read without
/// building clap's command: the test is run far more often than any other
/// command line (by scripts, by every configuration change), and clap's
/// start-up costs more than a small configuration's check. Anything else,
/// including these options repeated, combined (`-tf`) or with a value
/// starting with `-`, goes to clap, which then gives the same result.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct QuickTest {
    /// `-f FILE`, or keepalived's default file.
    pub(crate) path: PathBuf,
    /// `--config-test=LOG`: the log file; empty for standard error.
    pub(crate) log: String,
}

impl QuickTest {
    /// The test asked for by `args` (without the program name), when the
    /// command line is nothing else.
    pub(crate) fn from_args(args: impl IntoIterator<Item = OsString>) -> Option<QuickTest> {
        let mut test: Option<String> = None;
        let mut file: Option<PathBuf> = None;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let text = arg.to_str();
            match text {
                Some("-t" | "--config-test") if test.is_none() => test = Some(String::new()),
                Some("-f" | "--use-file") if file.is_none() => {
                    file = Some(PathBuf::from(plain_value(args.next()?)?));
                }
                Some(t) if t.starts_with("--config-test=") && test.is_none() => {
                    test = Some(t["--config-test=".len()..].to_owned());
                }
                Some(t) if t.starts_with("--use-file=") && file.is_none() => {
                    let value = OsString::from(&t["--use-file=".len()..]);
                    file = Some(PathBuf::from(plain_value(value)?));
                }
                _ => return None,
            }
        }
        Some(QuickTest {
            path: file.unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE)),
            log: test?,
        })
    }
}

/// An option's value that clap takes as it is: not empty, not starting
/// with `-`.
fn plain_value(value: OsString) -> Option<OsString> {
    let first = value.as_encoded_bytes().first().copied();
    (first.is_some() && first != Some(b'-')).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("keepalived-rs").chain(args.iter().copied()))
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn config_test_without_log_file() {
        let cli = parse(&["-t", "-f", "a.conf"]).unwrap();
        assert_eq!(cli.keepalived.config_test.as_deref(), Some(""));
        assert_eq!(cli.keepalived.use_file, Some(PathBuf::from("a.conf")));
    }

    #[test]
    fn config_test_log_file_needs_equals() {
        // getopt's optional argument `t::`: `--config-test=LOG` takes it,
        // `-t FILE` does not (FILE is then an unexpected argument).
        let cli = parse(&["--config-test=/tmp/log", "-f", "a.conf"]).unwrap();
        assert_eq!(cli.keepalived.config_test.as_deref(), Some("/tmp/log"));
        assert!(parse(&["-t", "a.conf"]).is_err());
    }

    #[test]
    fn combined_short_flags() {
        let cli = parse(&["-tf", "a.conf"]).unwrap();
        assert!(cli.keepalived.config_test.is_some());
        assert_eq!(cli.keepalived.use_file, Some(PathBuf::from("a.conf")));
    }

    #[test]
    fn daemon_flags_are_accepted() {
        let cli = parse(&[
            "-P",
            "-C",
            "-B",
            "-D",
            "-S",
            "local1",
            "-n",
            "-l",
            "-x",
            "-p",
            "/run/k.pid",
            "-c",
            "/run/c.pid",
            "-r",
            "/run/v.pid",
            "-a",
            "--dont-fork",
            "--log-file=/tmp/k.log",
            "-s",
            "ns1",
            "-u",
            "022",
        ])
        .unwrap();
        let d = &cli.keepalived.daemon;
        assert!(d.vrrp && d.check && d.no_bfd && d.log_detail && d.dont_fork);
        assert_eq!(d.log_facility.as_deref(), Some("local1"));
        assert_eq!(d.log_file.as_deref(), Some("/tmp/k.log"));
        assert_eq!(d.pid, Some(PathBuf::from("/run/k.pid")));
        assert!(cli.keepalived.config_test.is_none());
    }

    #[test]
    fn repeated_options_are_accepted_last_wins() {
        // getopt accepts an option twice; the last value is used.
        let cli = parse(&["-n", "-n", "-f", "a.conf", "--use-file=b.conf"]).unwrap();
        assert_eq!(cli.keepalived.use_file, Some(PathBuf::from("b.conf")));
    }

    #[test]
    fn subcommands() {
        let cli = parse(&["fmt", "--check", "x.conf"]).unwrap();
        match cli.command {
            Some(Command::Fmt(f)) => {
                assert!(f.check);
                assert_eq!(f.input.path(), PathBuf::from("x.conf"));
            }
            other => panic!("{other:?}"),
        }
        let cli = parse(&["check", "--json", "-f", "y.conf", "-i", "lb1"]).unwrap();
        match cli.command {
            Some(Command::Check(c)) => {
                assert!(c.json && !c.strict);
                assert_eq!(c.input.path(), PathBuf::from("y.conf"));
                assert_eq!(c.input.config_id.as_deref(), Some("lb1"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn default_file_is_keepalived_s() {
        let cli = parse(&["check"]).unwrap();
        match cli.command {
            Some(Command::Check(c)) => {
                assert_eq!(c.input.path(), PathBuf::from(DEFAULT_CONFIG_FILE))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_option_is_an_error() {
        assert!(parse(&["-Z"]).is_err());
        assert!(parse(&["--use-file"]).is_err());
    }

    /// Every command line the quick path takes, read by clap as well:
    /// both must agree, and clap must leave every other option unset.
    #[test]
    fn quick_test_agrees_with_clap() {
        let cases: &[&[&str]] = &[
            &["-t"],
            &["-t", "-f", "a.conf"],
            &["-f", "a.conf", "-t"],
            &["--config-test", "--use-file", "b.conf"],
            &["--config-test=/tmp/log", "--use-file=c.conf"],
            &["--config-test=", "-f", "d e.conf"],
            &["-t", "-f", "/etc/keepalived/keepalived.conf"],
        ];
        for args in cases {
            let quick = QuickTest::from_args(args.iter().map(OsString::from))
                .unwrap_or_else(|| panic!("{args:?} not taken"));
            let cli = parse(args).unwrap();
            assert!(cli.command.is_none(), "{args:?}");
            let k = &cli.keepalived;
            assert_eq!(
                k.config_test.as_deref(),
                Some(quick.log.as_str()),
                "{args:?}"
            );
            let path = k
                .use_file
                .clone()
                .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE));
            assert_eq!(path, quick.path, "{args:?}");
            assert!(
                k.config_id.is_none() && !k.all_config && !k.strict,
                "{args:?}"
            );
            assert!(k.signum.is_none() && !k.version && !k.help, "{args:?}");
            assert!(!k.daemon.genhash, "{args:?}");
        }
    }

    #[test]
    fn quick_test_leaves_the_rest_to_clap() {
        let cases: &[&[&str]] = &[
            &[],
            &["-f", "a.conf"],
            &["-t", "-t"],
            &["-tf", "a.conf"],
            &["-t", "-f"],
            &["-t", "-f", ""],
            &["-t", "-f", "-"],
            &["-t", "-f", "-e"],
            &["-t", "-f", "a.conf", "-f", "b.conf"],
            &["-t", "-e", "-f", "a.conf"],
            &["-t", "--strict"],
            &["-t", "a.conf"],
            &["-t", "-i", "lb1"],
            &["check", "-t"],
            &["--version"],
        ];
        for args in cases {
            assert_eq!(
                QuickTest::from_args(args.iter().map(OsString::from)),
                None,
                "{args:?}"
            );
        }
    }

    #[test]
    fn quick_test_takes_paths_that_are_not_utf8() {
        use std::os::unix::ffi::OsStringExt;
        let name = OsString::from_vec(b"k\xffa.conf".to_vec());
        let args = [OsString::from("-t"), OsString::from("-f"), name.clone()];
        let quick = QuickTest::from_args(args);
        assert_eq!(quick.map(|q| q.path), Some(PathBuf::from(name)));
    }
}
