//! Ctrl-C (and SIGTERM, SIGHUP) during the demo: the signals are blocked
//! in every thread and taken by one watcher thread, which raises a flag
//! that every wait of the demo checks; the demo then unwinds through its
//! clean-up as after any failure.

use nix::sys::pthread::{pthread_kill, pthread_self, Pthread};
use nix::sys::signal::{SigSet, Signal};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::thread::JoinHandle;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Tells the watcher to end (see [`release`]).
static DONE: AtomicBool = AtomicBool::new(false);
/// The watcher thread, to end it.
static WATCHER: Mutex<Option<(JoinHandle<()>, Pthread)>> = Mutex::new(None);

/// The signals the demo takes over.
fn taken() -> SigSet {
    let mut set = SigSet::empty();
    for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        set.add(signal);
    }
    set
}

/// Blocks SIGINT, SIGTERM and SIGHUP and starts the watcher. Call it
/// before any other thread starts: threads inherit the blocked set, and
/// so do processes started with `std::process::Command` (see
/// [`unblock`]). [`release`] undoes it.
pub(crate) fn watch() -> Result<(), String> {
    let set = taken();
    set.thread_block()
        .map_err(|e| format!("cannot block signals: {e}"))?;
    DONE.store(false, Ordering::SeqCst);
    let (id_tx, id_rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let _ = id_tx.send(pthread_self());
        while let Ok(signal) = set.wait() {
            if DONE.load(Ordering::SeqCst) {
                return;
            }
            let first = !INTERRUPTED.swap(true, Ordering::SeqCst);
            if first {
                eprintln!("\n{signal} received: stopping the demo and cleaning up");
            } else {
                eprintln!("{signal} received: still cleaning up, please wait");
            }
        }
    });
    let id = id_rx
        .recv()
        .map_err(|_| "the signal watcher did not start".to_string())?;
    if let Ok(mut w) = WATCHER.lock() {
        *w = Some((thread, id));
    }
    Ok(())
}

/// Ends the watcher and unblocks the signals again, so that what runs
/// after the demo (`cargo xtask test` goes on) stops on Ctrl-C as usual.
pub(crate) fn release() -> Result<(), String> {
    let watcher = WATCHER.lock().ok().and_then(|mut w| w.take());
    if let Some((thread, id)) = watcher {
        DONE.store(true, Ordering::SeqCst);
        pthread_kill(id, Signal::SIGHUP).map_err(|e| format!("cannot end the watcher: {e}"))?;
        let _ = thread.join();
    }
    taken()
        .thread_unblock()
        .map_err(|e| format!("cannot unblock signals: {e}"))
}

/// Unblocks every signal in the calling thread: the node agent calls it
/// first, so that its daemons start with the usual empty set (blocked,
/// SIGTERM would not stop them).
pub(crate) fn unblock() -> Result<(), String> {
    SigSet::empty()
        .thread_set_mask()
        .map_err(|e| format!("cannot unblock signals: {e}"))
}

/// Whether a signal came.
pub(crate) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Fails once a signal came.
pub(crate) fn check() -> Result<(), String> {
    if interrupted() {
        Err("interrupted (signal received)".to_string())
    } else {
        Ok(())
    }
}

/// Sleeps `ms` milliseconds, then [`check`]s.
pub(crate) fn pause(ms: u64) -> Result<(), String> {
    std::thread::sleep(std::time::Duration::from_millis(ms));
    check()
}
