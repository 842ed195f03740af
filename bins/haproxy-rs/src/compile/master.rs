//! Master-worker mode (`-W`, `-Ws`, `master-worker` in `global`), as
//! HAProxy runs it: the master binds nothing and serves nothing; it starts
//! a worker (this program again, same arguments), and on SIGUSR2 checks the
//! configuration again: an invalid one is reported and the workers in
//! place keep serving; a valid one gets a new worker, and once that worker
//! listens the previous one is soft-stopped (SIGUSR1) and finishes its
//! connections. SIGTERM/SIGINT stop every worker at once, SIGUSR1 softly.
//!
//! The master binds the listening sockets itself and hands them to each
//! worker it starts (as HAProxy's master passes its listeners on): old
//! and new worker accept from the same sockets, so a reload resets no
//! connection waiting in an accept queue. They travel (`SCM_RIGHTS`) over
//! a socket pair given to the worker as standard input, on which the
//! worker then says that it listens. With
//! `NOTIFY_SOCKET` set (systemd's `Type=notify`) the master sends
//! `READY=1` once its first worker listens and around every reload.

// A command-line program: its alerts go to standard error.
#![allow(clippy::print_stderr)]

use super::compile;
use super::process::{signal, RunOptions};
use haproxy_rs::proxy::{listen_addrs, Inherited};
use lbkit_haproxy_cfg::{load_files, Options};
use rustix::process::Signal;
use std::io::Write;
use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncBufReadExt;
use tokio::process::{Child, Command};
use tokio::signal::unix::{signal as on_signal, SignalKind};
use tokio::task::JoinSet;

/// The environment variable marking a worker started by the master.
const WORKER_ENV: &str = "HAPROXY_RS_WORKER";

/// The line a worker sends once it listens.
const READY_LINE: &str = "READY";

/// Most listening sockets one hand-over carries (the kernel's
/// `SCM_MAX_FD`).
const MAX_LISTENERS: usize = 253;

/// Receives the listening sockets the master hands over (a worker's
/// first act); empty when there are none or the hand-over failed.
pub(crate) fn take_listeners() -> Inherited {
    use rustix::net::{recvmsg, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
    let mut inherited = Inherited::new();
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return inherited;
    };
    let mut text = vec![0u8; 64 * 1024];
    let mut space =
        vec![std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_LISTENERS))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let Ok(msg) = recvmsg(
        &fd,
        &mut [std::io::IoSliceMut::new(&mut text)],
        &mut control,
        RecvFlags::CMSG_CLOEXEC,
    ) else {
        return inherited;
    };
    let mut fds = Vec::new();
    for m in control.drain() {
        if let RecvAncillaryMessage::ScmRights(it) = m {
            fds.extend(it);
        }
    }
    let words = String::from_utf8_lossy(text.get(..msg.bytes).unwrap_or_default()).into_owned();
    for (word, fd) in words.split_whitespace().zip(fds) {
        if let Ok(addr) = word.parse::<SocketAddr>() {
            inherited.insert(addr, std::net::TcpListener::from(fd));
        }
    }
    inherited
}

/// Sends the listening sockets to a worker: their addresses as text, the
/// sockets alongside, in the same order.
fn hand_over(to: &std::os::unix::net::UnixStream, listeners: &Inherited) -> std::io::Result<()> {
    use rustix::net::{sendmsg, SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
    let mut words = String::new();
    let mut fds = Vec::new();
    for (addr, l) in listeners.iter().take(MAX_LISTENERS) {
        words.push_str(&format!("{addr} "));
        fds.push(l.as_fd());
    }
    words.push('\n');
    let mut space =
        vec![std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(fds.len().max(1)))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !fds.is_empty() && !control.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err(std::io::Error::other("too many listening sockets"));
    }
    sendmsg(
        to,
        &[std::io::IoSlice::new(words.as_bytes())],
        &mut control,
        SendFlags::empty(),
    )?;
    Ok(())
}

/// Makes `held` hold exactly the listening sockets `wanted`: the ones
/// already there are kept (the same sockets go to the next worker), new
/// addresses are bound, the others dropped (workers keep their copies).
fn sync_listeners(
    held: &mut Inherited,
    wanted: &[(SocketAddr, u32)],
) -> Result<(), haproxy_rs::proxy::Error> {
    for &(addr, backlog) in wanted {
        if let std::collections::hash_map::Entry::Vacant(slot) = held.entry(addr) {
            slot.insert(haproxy_rs::proxy::listen(addr, backlog)?);
        }
    }
    held.retain(|addr, _| wanted.iter().any(|(a, _)| a == addr));
    Ok(())
}

/// How long a new worker may take to bind its listeners.
const START_LIMIT: Duration = Duration::from_secs(30);

/// Whether this process is a worker started by a master.
pub(crate) fn is_worker() -> bool {
    std::env::var_os(WORKER_ENV).is_some()
}

/// Tells the master that this worker listens (standard input is the
/// master's end of a socket pair).
pub(crate) fn tell_ready() {
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return;
    };
    let mut to_master = std::os::unix::net::UnixStream::from(fd);
    let _ = to_master.write_all(format!("{READY_LINE}\n").as_bytes());
}

/// Returns when the master is gone (its end of the worker's standard
/// input closed); never for a process that is no worker.
pub(crate) async fn master_gone() {
    use tokio::io::AsyncReadExt;
    let link = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .map(std::os::unix::net::UnixStream::from)
        .and_then(|s| {
            s.set_nonblocking(true)?;
            tokio::net::UnixStream::from_std(s)
        });
    let Ok(mut link) = link else {
        return std::future::pending().await;
    };
    let mut buf = [0u8; 64];
    // The master sends nothing after the hand-over: only its end counts.
    while let Ok(n) = link.read(&mut buf).await {
        if n == 0 {
            return;
        }
    }
}

/// A worker the master started.
struct Worker {
    child: Child,
    pid: u32,
    /// The master's end of the worker's standard input, kept open while
    /// the worker lives.
    _link: tokio::net::UnixStream,
}

/// Why a worker could not be started.
#[derive(Debug, thiserror::Error)]
enum StartError {
    /// The program could not be started.
    #[error("cannot start a worker: {0}")]
    Spawn(#[from] std::io::Error),
    /// The worker ended before it listened.
    #[error("the new worker exited ({0}) before listening")]
    Exited(std::process::ExitStatus),
    /// The worker did not report in time.
    #[error("the new worker did not listen within {0:?}")]
    Timeout(Duration),
}

/// Runs the master until its workers are stopped; the exit status.
pub(crate) fn run(files: &[PathBuf], opts: &RunOptions, wanted: &[(SocketAddr, u32)]) -> i32 {
    let mut held = Inherited::new();
    if let Err(e) = sync_listeners(&mut held, wanted) {
        eprintln!("[ALERT] (haproxy-rs) : {e}");
        return 1;
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("[ALERT] (haproxy-rs) : cannot start the runtime: {e}");
            return 1;
        }
    };
    runtime.block_on(master(files, opts.quiet, held))
}

/// The master's loop: signals in, workers out.
async fn master(files: &[PathBuf], quiet: bool, mut held: Inherited) -> i32 {
    let (Ok(mut usr2), Ok(mut usr1), Ok(mut term), Ok(mut int)) = (
        on_signal(SignalKind::user_defined2()),
        on_signal(SignalKind::user_defined1()),
        on_signal(SignalKind::terminate()),
        on_signal(SignalKind::interrupt()),
    ) else {
        eprintln!("[ALERT] (haproxy-rs) : cannot watch signals");
        return 1;
    };
    let mut current = match start_worker(&held).await {
        Ok(w) => w,
        Err(e) => {
            eprintln!("[ALERT] (haproxy-rs) : {e}");
            return 1;
        }
    };
    super::notify::send("READY=1");
    let mut old: JoinSet<u32> = JoinSet::new();
    let mut old_pids: Vec<u32> = Vec::new();
    loop {
        tokio::select! {
            _ = usr2.recv() => {
                super::notify::send("RELOADING=1");
                if let Some(new) = reload(files, quiet, &mut held).await {
                    let previous = std::mem::replace(&mut current, new);
                    let _ = signal(previous.pid, Signal::USR1);
                    old_pids.push(previous.pid);
                    old.spawn(async move {
                        let Worker { mut child, pid, _link } = previous;
                        let _ = child.wait().await;
                        pid
                    });
                }
                super::notify::send("READY=1");
            }
            _ = term.recv() => return stop_all(current, old, &old_pids, Signal::TERM).await,
            _ = int.recv() => return stop_all(current, old, &old_pids, Signal::TERM).await,
            _ = usr1.recv() => return stop_all(current, old, &old_pids, Signal::USR1).await,
            Some(Ok(pid)) = old.join_next() => old_pids.retain(|p| *p != pid),
            status = current.child.wait() => {
                eprintln!(
                    "[ALERT] (haproxy-rs) : current worker (pid {}) exited ({}); stopping",
                    current.pid,
                    status.map_or_else(|e| e.to_string(), |s| s.to_string())
                );
                for &pid in &old_pids {
                    let _ = signal(pid, Signal::TERM);
                }
                while old.join_next().await.is_some() {}
                return 1;
            }
        }
    }
}

/// Checks the configuration again and starts a worker on it; `None`
/// (reported) keeps the workers in place.
async fn reload(files: &[PathBuf], quiet: bool, held: &mut Inherited) -> Option<Worker> {
    let loaded = load_files(files, &Options::new());
    if loaded.has_errors() {
        if !quiet {
            eprint!("{}", loaded.render());
            eprintln!("[ALERT] (haproxy-rs) : reload refused: configuration has errors; the current worker keeps serving");
        }
        return None;
    }
    let wanted = match compile(&loaded) {
        Ok(compiled) => listen_addrs(&compiled.config),
        Err(errors) => {
            if !quiet {
                for e in errors {
                    eprintln!("[ALERT] (haproxy-rs) : {e}");
                }
                eprintln!(
                    "[ALERT] (haproxy-rs) : reload refused; the current worker keeps serving"
                );
            }
            return None;
        }
    };
    drop(loaded);
    if let Err(e) = sync_listeners(held, &wanted) {
        eprintln!("[ALERT] (haproxy-rs) : reload refused: {e}; the current worker keeps serving");
        return None;
    }
    match start_worker(held).await {
        Ok(w) => Some(w),
        Err(e) => {
            eprintln!(
                "[ALERT] (haproxy-rs) : reload failed: {e}; the current worker keeps serving"
            );
            None
        }
    }
}

/// Starts a worker with this process's arguments and waits until it
/// listens.
async fn start_worker(listeners: &Inherited) -> Result<Worker, StartError> {
    let exe = std::env::current_exe()?;
    let (mine, theirs) = std::os::unix::net::UnixStream::pair()?;
    let mut child = Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(WORKER_ENV, "1")
        .env_remove("NOTIFY_SOCKET")
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .spawn()?;
    let pid = child.id().unwrap_or(0);
    if let Err(e) = hand_over(&mine, listeners) {
        let _ = child.start_kill();
        let _ = child.wait().await;
        return Err(e.into());
    }
    mine.set_nonblocking(true)?;
    let link = tokio::net::UnixStream::from_std(mine)?;
    let mut lines = tokio::io::BufReader::new(link);
    let mut line = String::new();
    let waited = tokio::time::timeout(START_LIMIT, async {
        tokio::select! {
            read = lines.read_line(&mut line) => match read {
                Ok(_) if line.trim_end() == READY_LINE => Ok(()),
                // The worker closed its end: it is exiting.
                _ => Err(StartError::Exited(child.wait().await?)),
            },
            status = child.wait() => Err(StartError::Exited(status?)),
        }
    })
    .await;
    match waited {
        Ok(Ok(())) => Ok(Worker {
            child,
            pid,
            _link: lines.into_inner(),
        }),
        Ok(Err(e)) => Err(e),
        Err(_) => {
            let _ = child.start_kill();
            let _ = child.wait().await;
            Err(StartError::Timeout(START_LIMIT))
        }
    }
}

/// Sends `sig` to every worker and waits for all of them; exit status 0.
async fn stop_all(current: Worker, mut old: JoinSet<u32>, old_pids: &[u32], sig: Signal) -> i32 {
    let Worker {
        mut child,
        pid,
        _link,
    } = current;
    let _ = signal(pid, sig);
    for &p in old_pids {
        let _ = signal(p, sig);
    }
    let _ = child.wait().await;
    while old.join_next().await.is_some() {}
    0
}
