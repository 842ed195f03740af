//! Running a configuration: load, compile, daemonize if asked, bind, serve
//! with health checks, stop on signals as HAProxy does (SIGTERM and SIGINT
//! stop at once; SIGUSR1 is a soft stop: the listeners close, each client
//! connection ends after its current request, and the process exits when
//! none is left or `hard-stop-after` expires). `-sf`/`-st` stop the
//! processes replaced once this one listens.

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
    /// `-W` (or `-Ws`): run as a master that starts and reloads workers.
    pub(crate) master_worker: bool,
    /// `-sf PID...`: processes to soft-stop (SIGUSR1) once bound.
    pub(crate) soft_stop: Vec<u32>,
    /// `-st PID...`: processes to stop (SIGTERM) once bound.
    pub(crate) hard_stop: Vec<u32>,
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
    let worker = super::master::is_worker();
    let pidfile = opts.pidfile.clone().or(compiled.process.pidfile.clone());
    let daemon = (opts.daemon || compiled.process.daemon) && !opts.foreground;
    if !worker && daemon && std::env::var_os(DAEMON_CHILD).is_none() {
        return spawn_background(opts.quiet);
    }
    if !worker {
        if let Some(path) = &pidfile {
            if let Err(e) = write_pidfile(path) {
                eprintln!(
                    "[ALERT] (haproxy-rs) : cannot write pidfile {}: {e}",
                    path.display()
                );
                return 1;
            }
        }
    }
    if !worker && (opts.master_worker || compiled.process.master_worker) {
        let wanted = haproxy_rs::proxy::listen_addrs(&compiled.config);
        drop(compiled);
        return super::master::run(files, opts, &wanted);
    }
    let inherited = if worker {
        super::master::take_listeners()
    } else {
        haproxy_rs::proxy::Inherited::new()
    };
    // A worker's `-sf`/`-st` were the master's to apply.
    let ready = Ready {
        tell_master: worker,
        soft_stop: if worker {
            Vec::new()
        } else {
            opts.soft_stop.clone()
        },
        hard_stop: if worker {
            Vec::new()
        } else {
            opts.hard_stop.clone()
        },
    };
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
    let code = runtime.block_on(serve(compiled, quiet, opts.quiet, ready, inherited));
    runtime.shutdown_timeout(Duration::from_millis(200));
    code
}

/// Writes the process id into `path`.
pub(crate) fn write_pidfile(path: &Path) -> std::io::Result<()> {
    std::fs::write(path, format!("{}\n", std::process::id()))
}

/// What to do once every listener is bound.
#[derive(Debug, Default)]
struct Ready {
    /// Tell the master (this process is one of its workers).
    tell_master: bool,
    /// `-sf`: processes to soft-stop.
    soft_stop: Vec<u32>,
    /// `-st`: processes to stop.
    hard_stop: Vec<u32>,
}

impl Ready {
    /// Hands over: the processes replaced are told to stop, the master
    /// learns that this worker serves.
    fn announce(&self, quiet: bool) {
        use rustix::process::Signal;
        for (pids, sig) in [
            (&self.soft_stop, Signal::USR1),
            (&self.hard_stop, Signal::TERM),
        ] {
            for &pid in pids {
                if let Err(e) = signal(pid, sig) {
                    if !quiet {
                        eprintln!("[WARNING] (haproxy-rs) : cannot signal process {pid}: {e}");
                    }
                }
            }
        }
        if self.tell_master {
            super::master::tell_ready();
        }
    }
}

/// Sends `sig` to process `pid`.
pub(crate) fn signal(pid: u32, sig: rustix::process::Signal) -> std::io::Result<()> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    rustix::process::kill_process(pid, sig).map_err(std::io::Error::from)
}

/// Binds and serves until a signal; the exit status.
async fn serve(
    compiled: super::Compiled,
    quiet_checks: bool,
    quiet: bool,
    ready: Ready,
    mut inherited: haproxy_rs::proxy::Inherited,
) -> i32 {
    let hard_stop_after = compiled.process.hard_stop_after;
    let proxy = match Proxy::bind_inherited(compiled.config, &mut inherited) {
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
    ready.announce(quiet);
    let (soft_tx, soft_rx) = tokio::sync::oneshot::channel::<bool>();
    let worker = ready.tell_master;
    let stop = async move {
        let master_gone = async {
            if worker {
                super::master::master_gone().await;
                if !quiet {
                    eprintln!("[ALERT] (haproxy-rs) : the master is gone; stopping");
                }
            } else {
                std::future::pending::<()>().await;
            }
        };
        let soft = tokio::select! {
            soft = wait_signal() => soft,
            () = master_gone => false,
        };
        let _ = soft_tx.send(soft);
    };
    proxy.serve(stop).await;
    if soft_rx.await.unwrap_or(false) {
        // Soft stop: listeners are closed; let the connections in progress
        // finish, unless a hard stop or `hard-stop-after` comes first.
        handle.soft_stop();
        let limit = async {
            match hard_stop_after {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = drained(&handle) => {}
            () = limit => {}
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

/// Returns once no client connection is left.
async fn drained(handle: &Handle) {
    while handle.connections() > 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
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
