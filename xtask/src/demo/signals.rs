//! Ctrl-C (and SIGTERM, SIGHUP) during the demo: the signals are blocked
//! in every thread and taken by one watcher thread, which raises a flag
//! that every wait of the demo checks; the demo then unwinds through its
//! clean-up as after any failure.

use nix::sys::signal::{SigSet, Signal};
use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Blocks SIGINT, SIGTERM and SIGHUP and starts the watcher. Call it
/// before any other thread starts: threads inherit the blocked set, and
/// so do processes started with `std::process::Command` (see
/// [`unblock`]).
pub(crate) fn watch() -> Result<(), String> {
    let mut set = SigSet::empty();
    for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        set.add(signal);
    }
    set.thread_block()
        .map_err(|e| format!("cannot block signals: {e}"))?;
    std::thread::spawn(move || {
        while let Ok(signal) = set.wait() {
            let first = !INTERRUPTED.swap(true, Ordering::SeqCst);
            if first {
                eprintln!("\n{signal} received: stopping the demo and cleaning up");
            } else {
                eprintln!("{signal} received: still cleaning up, please wait");
            }
        }
    });
    Ok(())
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
