//! keepalived-rs: runs an existing `keepalived.conf`.
//!
//! It reads keepalived 2.2.7's command line. `-t -f FILE` is keepalived's
//! configuration test with its exit statuses; `fmt` and `check [--json]`
//! are lbkit's. Without them, the VRRP daemon runs the configuration's
//! `vrrp_instance`s and `vrrp_sync_group`s (see [`daemon`]) and its
//! `virtual_server`s through IPVS with their checks (see [`lvs`]), with
//! keepalived's signals: SIGHUP reloads ([`reload`]), SIGUSR1 and SIGUSR2
//! write the state dump and the statistics ([`dump`]), SIGTERM stops.

#[macro_use]
mod logging;
mod cli;
mod commands;
mod compile;
mod config;
mod daemon;
mod dump;
mod fifo;
mod info;
mod lvs;
mod notify;
mod reload;
mod security;
mod settings;
mod smtp;
mod status;
mod track;

use clap::{CommandFactory, Parser};
use cli::{Cli, Command, KeepalivedArgs, QuickTest};
use config::Request;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    if let Some(test) = QuickTest::from_args(std::env::args_os().skip(1)) {
        // The plain `-t [-f FILE]`, without clap's start-up.
        let req = Request {
            path: &test.path,
            config_id: None,
            strict: false,
        };
        let log_file = (!test.log.is_empty()).then(|| Path::new(test.log.as_str()));
        return ExitCode::from(commands::config_test(&req, log_file, false));
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help asked for goes to standard output; a bad command line
            // exits 1 as keepalived's does (clap would say 2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { status::FATAL } else { 0 });
        }
    };
    ExitCode::from(run(&cli))
}

/// Does what the command line asks; returns the exit status.
fn run(cli: &Cli) -> u8 {
    match &cli.command {
        Some(Command::Fmt(args)) => commands::fmt(
            &Request {
                path: &args.input.path(),
                config_id: args.input.config_id.as_deref(),
                strict: false,
            },
            args.check,
        ),
        Some(Command::Check(args)) => commands::check(
            &Request {
                path: &args.input.path(),
                config_id: args.input.config_id.as_deref(),
                strict: args.strict,
            },
            args.json,
            args.all_config,
        ),
        None => keepalived(&cli.keepalived),
    }
}

/// keepalived's own command line.
fn keepalived(args: &KeepalivedArgs) -> u8 {
    if args.help {
        let help = Cli::command().render_help();
        // keepalived prints its usage on standard error.
        eprint!("{help}");
        return 0;
    }
    if args.version {
        eprint!("{}", info::version_text());
        return 0;
    }
    if let Some(func) = &args.signum {
        return signum(func);
    }
    if args.daemon.genhash {
        eprintln!("keepalived-rs: genhash mode (-T) is not supported");
        return status::FATAL;
    }
    let path = args
        .use_file
        .clone()
        .unwrap_or_else(|| PathBuf::from(cli::DEFAULT_CONFIG_FILE));
    let req = Request {
        path: &path,
        config_id: args.config_id.as_deref(),
        strict: args.strict,
    };
    let Some(log) = &args.config_test else {
        return run_daemon(args, &req);
    };
    let log_file = (!log.is_empty()).then(|| Path::new(log.as_str()));
    commands::config_test(&req, log_file, args.all_config)
}

/// Loads and compiles the configuration, then runs the VRRP instances in
/// the foreground (`-n` or not) until SIGTERM.
fn run_daemon(args: &KeepalivedArgs, req: &Request<'_>) -> u8 {
    logging::install(&log_setup(args));
    let loaded = match req.load() {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{e}");
            return status::FATAL;
        }
    };
    // keepalived runs the scripts anyway when script security is off, and
    // says so: those errors are warnings for the daemon.
    let fatal = loaded.diagnostics.iter().any(|d| {
        d.severity == lbkit_keepalived_cfg::Severity::Error
            && !status::DAEMON_RUNS_CODES.contains(&d.code)
    });
    if !loaded.diagnostics.is_empty() {
        eprint!("{}", loaded.render());
    }
    if fatal {
        let required = status::Required {
            all: args.all_config,
            main: true,
        };
        return status::config_test(&loaded.diagnostics, required).max(status::FATAL);
    }
    let (plan, warnings) = match daemon::prepare(&loaded) {
        Ok(p) => p,
        Err(errors) => {
            eprint!("{errors}");
            return status::FATAL;
        }
    };
    // `-P`: VRRP only; `-C`: checkers and LVS only; neither or both: all.
    let (vrrp_only, check_only) = (args.daemon.vrrp, args.daemon.check);
    let run_vrrp = vrrp_only || !check_only;
    let plan = if run_vrrp { plan } else { Default::default() };
    let opts = daemon::Options {
        detail: args.daemon.log_detail,
        pid_file: args.daemon.pid.as_deref(),
        config: Some(&loaded.config),
        vrrp: run_vrrp,
        lvs: check_only || !vrrp_only,
        source: daemon::Source {
            path: req.path.to_path_buf(),
            config_id: req.config_id.map(str::to_owned),
            strict: req.strict,
        },
    };
    if !args.daemon.dont_fork {
        // The configuration is good: the daemon goes on in the background.
        return background(args.daemon.log_console);
    }
    let settings = settings::Settings::with_plan(&loaded.config, &plan);
    daemon::run(plan, settings, &warnings, &opts)
}

/// Without `-n`: starts this program again with `--dont-fork`, in a
/// process group of its own and detached from the terminal's input and
/// output (standard error stays with `-l`), and returns at once, as
/// keepalived's parent returns after forking.
fn background(console: bool) -> u8 {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("Keepalived: cannot find the program to run in the background: {e}");
            return status::FATAL;
        }
    };
    let stderr = if console {
        Stdio::inherit()
    } else {
        Stdio::null()
    };
    let started = Command::new(exe)
        .args(std::env::args_os().skip(1))
        .arg("--dont-fork")
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn();
    match started {
        // The daemon is not waited for: it lives on after this process.
        Ok(_daemon) => 0,
        Err(e) => {
            eprintln!("Keepalived: cannot start in the background: {e}");
            status::FATAL
        }
    }
}

/// Where the daemon logs: `-l` on standard error, syslog unless `-G`, in
/// the `-S` facility (an unknown one is reported and `daemon` used).
fn log_setup(args: &KeepalivedArgs) -> logging::Setup {
    let name = args.daemon.log_facility.as_deref();
    let facility = name.map_or(Some(logging::DAEMON), logging::facility);
    if facility.is_none() {
        eprintln!("Invalid log facility '{}'", name.unwrap_or_default());
    }
    logging::Setup {
        console: args.daemon.log_console,
        syslog: !args.daemon.no_syslog,
        facility: facility.unwrap_or(logging::DAEMON),
    }
}

/// `--signum=SIGFUNC`: prints the signal number on standard output.
fn signum(func: &str) -> u8 {
    match info::signum(func) {
        Some(n) => {
            let _ = writeln!(std::io::stdout(), "{n}");
            0
        }
        None => {
            eprintln!("Unknown sigfunc {func}");
            status::FATAL
        }
    }
}
