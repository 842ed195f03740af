//! Running a configuration: load, compile, daemonize if asked, bind, serve
//! with health checks, stop on signals as HAProxy does (SIGTERM and SIGINT
//! stop at once; SIGUSR1 closes the listeners and waits for the
//! connections to servers to end).

// A command-line program: its alerts go to standard error.
#![allow(clippy::print_stderr)]

use super::{compile, health};
use haproxy_rs::ops::socket;
use haproxy_rs::proxy::{Handle, Proxy};
use lbkit_haproxy_cfg::{load_files, Options};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The environment variable marking the background copy of a daemon.
const DAEMON_CHILD: &str = "HAPROXY_RS_DAEMON_CHILD";

/// What the command line asks of a run.
#[derive(Debug, Default, Clone)]
pub(crate) struct RunOptions {
    /// `-D`: go to the background.
    pub(crate) daemon: bool,
    /// `-d`: stay in the foreground (wins over `daemon`).
    pub(crate) foreground: bool,
    /// `-p FILE`: write the process id there.
    pub(crate) pidfile: Option<PathBuf>,
    /// `-q`: print nothing.
    pub(crate) quiet: bool,
    /// `-V`: print warnings and state changes.
    pub(crate) verbose: bool,
}

/// Loads `files`, compiles and serves them until stopped; the exit status.
pub(crate) fn run(files: &[PathBuf], opts: &RunOptions) -> i32 {
    let loaded = load_files(files, &Options::new());
    if loaded.has_errors() {
        if !opts.quiet {
            eprint!("{}", loaded.render());
        }
        return 1;
    }
    if opts.verbose && loaded.has_warnings() {
        eprint!("{}", loaded.render());
    }
    let compiled = match compile(&loaded) {
        Ok(c) => c,
        Err(errors) => {
            if !opts.quiet {
                for e in errors {
                    eprintln!("[ALERT] (haproxy-rs) : {e}");
                }
            }
            return 1;
        }
    };
    drop(loaded);
    if !opts.quiet {
        for w in &compiled.warnings {
            eprintln!("[WARNING] (haproxy-rs) : {w}");
        }
    }
    let pidfile = opts.pidfile.clone().or(compiled.process.pidfile.clone());
    let daemon = (opts.daemon || compiled.process.daemon) && !opts.foreground;
    if daemon && std::env::var_os(DAEMON_CHILD).is_none() {
        return spawn_background(opts.quiet);
    }
    if let Some(path) = &pidfile {
        if let Err(e) = std::fs::write(path, format!("{}\n", std::process::id())) {
            eprintln!(
                "[ALERT] (haproxy-rs) : cannot write pidfile {}: {e}",
                path.display()
            );
            return 1;
        }
    }
    let threads = compiled
        .process
        .nbthread
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(1);
    // One thread: a current-thread runtime, as HAProxy's single thread
    // runs its own event loop (no worker hand-offs, no cross-thread wake-ups).
    let mut builder = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    };
    let runtime = match builder.enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("[ALERT] (haproxy-rs) : cannot start the runtime: {e}");
            return 1;
        }
    };
    let quiet = opts.quiet || !opts.verbose;
    let code = runtime.block_on(serve(compiled, quiet, opts.quiet));
    runtime.shutdown_timeout(Duration::from_millis(200));
    code
}

/// Binds and serves until a signal; the exit status.
async fn serve(compiled: super::Compiled, quiet_checks: bool, quiet: bool) -> i32 {
    let servers: Vec<(String, String)> = compiled
        .config
        .backends
        .iter()
        .flat_map(|b| b.servers.iter().map(|s| (b.name.clone(), s.name.clone())))
        .collect();
    let proxy = match Proxy::bind(compiled.config) {
        Ok(p) => p,
        Err(e) => {
            if !quiet {
                eprintln!("[ALERT] (haproxy-rs) : {e}");
            }
            return 1;
        }
    };
    let handle = proxy.handle();
    let mut api = Vec::new();
    for spec in compiled.process.stats_sockets {
        match socket::bind(&spec).await {
            Ok(listener) => {
                let engine = std::sync::Arc::new(handle.clone());
                api.push(tokio::spawn(socket::serve(listener, spec, engine)));
            }
            Err(e) => {
                if !quiet {
                    eprintln!(
                        "[ALERT] (haproxy-rs) : cannot bind 'stats socket' {:?}: {e}",
                        spec.address
                    );
                }
                return 1;
            }
        }
    }
    let checks = tokio::spawn(health::run(compiled.checks, handle.clone(), quiet_checks));
    let (soft_tx, soft_rx) = tokio::sync::oneshot::channel::<bool>();
    let stop = async move {
        let soft = wait_signal().await;
        let _ = soft_tx.send(soft);
    };
    proxy.serve(stop).await;
    if soft_rx.await.unwrap_or(false) {
        // Soft stop: listeners are closed; let the exchanges in progress
        // finish, unless a hard stop comes first.
        tokio::select! {
            () = drained(&handle, &servers) => {}
            _ = wait_signal() => {}
        }
    }
    checks.abort();
    for task in api {
        task.abort();
    }
    0
}

/// Waits for SIGTERM or SIGINT (true: false) or SIGUSR1 (soft: true).
async fn wait_signal() -> bool {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int), Ok(mut usr1)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::user_defined1()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => false,
        _ = int.recv() => false,
        _ = usr1.recv() => true,
    }
}

/// Returns once no server has a connection open.
async fn drained(handle: &Handle, servers: &[(String, String)]) {
    loop {
        let busy = servers
            .iter()
            .any(|(b, s)| handle.server_status(b, s).is_ok_and(|st| st.current > 0));
        if !busy {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts the same command in the background, detached from the terminal
/// and its process group; the parent exits at once.
fn spawn_background(quiet: bool) -> i32 {
    use std::os::unix::process::CommandExt;
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("[ALERT] (haproxy-rs) : cannot find the program to start: {e}");
            return 1;
        }
    };
    let null = std::process::Stdio::null;
    let spawned = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(DAEMON_CHILD, "1")
        .current_dir(Path::new("/"))
        .stdin(null())
        .stdout(null())
        .stderr(if quiet {
            null()
        } else {
            std::process::Stdio::inherit()
        })
        .process_group(0)
        .spawn();
    match spawned {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("[ALERT] (haproxy-rs) : cannot go to the background: {e}");
            1
        }
    }
}
