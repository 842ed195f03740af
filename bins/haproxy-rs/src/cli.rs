//! The command line and what each mode does.

// A command-line tool: printing is the point.
#![allow(clippy::print_stdout)]

use clap::{ArgAction, Parser};
use lbkit_haproxy_cfg::{format, load_files, Options};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

/// The version line, worded like HAProxy's.
pub(crate) const VERSION: &str = concat!(
    "haproxy-rs version ",
    env!("CARGO_PKG_VERSION"),
    " (configuration language of HAProxy 2.6)"
);

/// HAProxy's options that this slice implements.
#[derive(Debug, Parser)]
#[command(
    name = "haproxy-rs",
    about = "An HAProxy-compatible proxy built from the lbkit crates",
    disable_version_flag = true
)]
pub(crate) struct Cli {
    /// Check the configuration and exit (0 valid, 1 errors, 2 no listener).
    #[arg(short = 'c')]
    pub(crate) check: bool,
    /// A configuration file or directory (its `*.cfg` files, sorted); may
    /// be repeated, read in order.
    #[arg(short = 'f', value_name = "FILE|DIR", action = ArgAction::Append)]
    pub(crate) files: Vec<PathBuf>,
    /// Go to the background (`daemon`).
    #[arg(short = 'D')]
    pub(crate) daemon: bool,
    /// Stay in the foreground whatever `daemon` says.
    #[arg(short = 'd')]
    pub(crate) foreground: bool,
    /// Write the process id to this file.
    #[arg(short = 'p', value_name = "PIDFILE")]
    pub(crate) pidfile: Option<PathBuf>,
    /// Verbose: print warnings and server state changes.
    #[arg(short = 'V')]
    pub(crate) verbose: bool,
    /// Master-worker mode: a master process starts workers and reloads
    /// them on SIGUSR2.
    #[arg(short = 'W')]
    pub(crate) master_worker: bool,
    /// `-Ws`: master-worker mode for systemd (the master notifies
    /// readiness whenever `NOTIFY_SOCKET` is set, with `-W` too).
    #[arg(long = "master-worker-systemd", hide = true)]
    pub(crate) master_worker_systemd: bool,
    /// `-sf PID...`: once listening, soft-stop these processes (SIGUSR1).
    #[arg(long = "sf", value_name = "PID", num_args = 1.., action = ArgAction::Append)]
    pub(crate) soft_stop: Vec<u32>,
    /// `-st PID...`: once listening, stop these processes (SIGTERM).
    #[arg(long = "st", value_name = "PID", num_args = 1.., action = ArgAction::Append)]
    pub(crate) hard_stop: Vec<u32>,
    /// Print the version and exit.
    #[arg(short = 'v')]
    pub(crate) version: bool,
    /// Quiet: print no diagnostic, only the exit status tells.
    #[arg(short = 'q')]
    pub(crate) quiet: bool,
    /// Print diagnostics as a JSON array on standard output.
    #[arg(long = "json")]
    pub(crate) json: bool,
    /// Warnings count as errors (HAProxy's `-dW`).
    #[arg(long = "strict")]
    pub(crate) strict: bool,
    /// Print the configuration in canonical form.
    #[arg(long = "format")]
    pub(crate) format: bool,
    /// More configuration files, after `--`.
    #[arg(last = true, value_name = "FILE")]
    pub(crate) rest: Vec<PathBuf>,
}

/// Runs the command line; returns the exit status.
pub(crate) fn run(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args.into_iter().map(haproxy_spelling)) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    if cli.version {
        println!("{VERSION}");
        return 0;
    }
    let mut files = cli.files.clone();
    files.extend(cli.rest.iter().cloned());
    if files.is_empty() {
        eprintln!("haproxy-rs: no configuration file given (use -f FILE|DIR)");
        return 1;
    }
    if !cli.check && !cli.format {
        let opts = crate::compile::process::RunOptions {
            daemon: cli.daemon,
            foreground: cli.foreground,
            pidfile: cli.pidfile.clone(),
            quiet: cli.quiet,
            verbose: cli.verbose,
            master_worker: cli.master_worker || cli.master_worker_systemd,
            soft_stop: cli.soft_stop.clone(),
            hard_stop: cli.hard_stop.clone(),
        };
        return crate::compile::process::run(&files, &opts);
    }
    // A check needs the verdict only: each section is dropped once built,
    // each proxy once checked.
    let opts = Options::new().strict(cli.strict).verdict_only(!cli.format);
    let loaded = load_files(&files, &opts);
    if cli.format {
        if loaded.has_errors() {
            eprint!("{}", loaded.render());
            return 1;
        }
        print!("{}", format(&loaded.tree));
        return 0;
    }
    let code = loaded.exit_code();
    report(&cli, &loaded, code);
    // The process ends next: freeing a large model one allocation at a
    // time would only cost time.
    std::mem::forget(loaded);
    code
}

/// HAProxy's multi-letter single-dash options (`-sf`, `-st`, `-Ws`) in
/// the spelling the parser knows.
fn haproxy_spelling(arg: OsString) -> OsString {
    match arg.to_str() {
        Some("-sf") => "--sf".into(),
        Some("-st") => "--st".into(),
        Some("-Ws") => "--master-worker-systemd".into(),
        _ => arg,
    }
}

/// Prints what the check found.
fn report(cli: &Cli, loaded: &lbkit_haproxy_cfg::Loaded, code: i32) {
    if cli.json {
        println!("{}", loaded.to_json());
        return;
    }
    if !cli.quiet {
        let mut err = std::io::stderr().lock();
        for d in &loaded.diagnostics {
            let _ = writeln!(err, "{}", d.render(&loaded.sources));
        }
        match code {
            0 => println!("Configuration file is valid"),
            2 => println!(
                "Configuration file has no error but will not start (no listener) => exit(2)."
            ),
            _ => {
                let n = loaded
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == lbkit_haproxy_cfg::Severity::Error)
                    .count();
                let _ = writeln!(
                    err,
                    "error: could not check the configuration due to {n} previous error{}",
                    if n == 1 { "" } else { "s" }
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_files_and_flags() {
        let cli =
            Cli::try_parse_from(["haproxy-rs", "-c", "-f", "a.cfg", "-f", "conf.d", "-q"]).unwrap();
        assert!(cli.check && cli.quiet);
        assert_eq!(cli.files, [PathBuf::from("a.cfg"), PathBuf::from("conf.d")]);
    }

    #[test]
    fn haproxy_reload_options() {
        let args = [
            "haproxy-rs",
            "-Ws",
            "-f",
            "a.cfg",
            "-sf",
            "12",
            "34",
            "-st",
            "5",
        ];
        let cli = Cli::try_parse_from(args.map(|a| haproxy_spelling(a.into()))).unwrap();
        assert!(cli.master_worker_systemd && !cli.master_worker);
        assert_eq!(cli.soft_stop, [12, 34]);
        assert_eq!(cli.hard_stop, [5]);
        assert_eq!(cli.files, [PathBuf::from("a.cfg")]);
    }
}
