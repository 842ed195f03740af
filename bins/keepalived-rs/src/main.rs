//! keepalived-rs: runs an existing `keepalived.conf`.
//!
//! This first slice reads keepalived 2.2.7's command line and implements
//! its configuration test, `keepalived-rs -t -f FILE`, with keepalived's
//! exit statuses, plus lbkit's `fmt` and `check [--json]` subcommands. The
//! daemon's options are accepted; running the daemon is refused clearly.

mod cli;
mod commands;
mod config;
mod info;
mod status;

use clap::{CommandFactory, Parser};
use cli::{Cli, Command, KeepalivedArgs};
use config::Request;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
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
    let Some(log) = &args.config_test else {
        eprintln!(
            "keepalived-rs: running the daemon is not implemented yet; \
             use -t to test the configuration"
        );
        return status::FATAL;
    };
    let path = args
        .use_file
        .clone()
        .unwrap_or_else(|| PathBuf::from(cli::DEFAULT_CONFIG_FILE));
    let req = Request {
        path: &path,
        config_id: args.config_id.as_deref(),
        strict: args.strict,
    };
    let log_file = (!log.is_empty()).then(|| Path::new(log.as_str()));
    commands::config_test(&req, log_file, args.all_config)
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
