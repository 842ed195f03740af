//! Tracked objects' status: `vrrp_script`s run every `interval` (a run
//! longer than `timeout` is killed and fails; `rise` successes in a row
//! bring a failed script up, `fall` failures in a row bring it down), and
//! interfaces whose link state is read from `/sys/class/net/IF/operstate`.
//!
//! Each runs as a small tokio task and reports changes on a channel.

use crate::compile::ScriptPlan;
use lbkit_vrrp::machine::TrackKind;
use std::time::Duration;
use tokio::sync::mpsc;

/// A change of a tracked object's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    /// A script or an interface.
    pub(crate) kind: TrackKind,
    /// `vrrp_script` or interface name.
    pub(crate) name: String,
    /// Whether it is now up.
    pub(crate) up: bool,
}

/// The rise / fall debounce of one script's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Debounce {
    up: bool,
    streak: u32,
    rise: u32,
    fall: u32,
}

impl Debounce {
    /// Starts `up` (or failed, with `init_fail`).
    pub(crate) fn new(up: bool, rise: u32, fall: u32) -> Self {
        Debounce {
            up,
            streak: 0,
            rise: rise.max(1),
            fall: fall.max(1),
        }
    }

    /// One run's result; returns the new status when it changes.
    pub(crate) fn record(&mut self, ok: bool) -> Option<bool> {
        if ok == self.up {
            self.streak = 0;
            return None;
        }
        self.streak += 1;
        let needed = if ok { self.rise } else { self.fall };
        if self.streak < needed {
            return None;
        }
        self.up = ok;
        self.streak = 0;
        Some(ok)
    }
}

/// Runs `script` forever, sending each change of its debounced status.
pub(crate) async fn run_script(script: ScriptPlan, initially_up: bool, tx: mpsc::Sender<Change>) {
    let mut state = Debounce::new(initially_up, script.rise, script.fall);
    let mut ticks = tokio::time::interval(script.interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let ok = run_once(&script.command, script.timeout).await;
        if let Some(up) = state.record(ok) {
            let change = Change {
                kind: TrackKind::Script,
                name: script.name.clone(),
                up,
            };
            if tx.send(change).await.is_err() {
                return;
            }
        }
    }
}

/// Runs a command line once: true when it exits 0 within `timeout`.
pub(crate) async fn run_once(command: &str, timeout: Duration) -> bool {
    let words = crate::daemon::split_words(command);
    let Some((program, args)) = words.split_first() else {
        return false;
    };
    let Some(user) = crate::security::launch(command) else {
        return false;
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    crate::security::run_as(&mut cmd, user);
    let child = cmd.spawn();
    let Ok(mut child) = child else {
        return false;
    };
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => status.success(),
        // Timed out: dropping the child kills it; reap it.
        Err(_) => {
            let _ = child.kill().await;
            false
        }
        Ok(Err(_)) => false,
    }
}

/// Polls an interface's link state every `every`, sending each change.
/// A tracked interface is assumed up until told otherwise, so a link down
/// at the first poll is reported too.
pub(crate) async fn poll_interface(name: String, every: Duration, tx: mpsc::Sender<Change>) {
    let mut last = true;
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        let now = link_up(&name);
        if now != last {
            last = now;
            if tx
                .send(Change {
                    kind: TrackKind::Interface,
                    name: name.clone(),
                    up: now,
                })
                .await
                .is_err()
            {
                return;
            }
        }
    }
}

/// Whether `/sys/class/net/IF/operstate` says the link is usable. Like
/// keepalived, "unknown" (loopback, some virtual links) counts as up.
pub(crate) fn link_up(name: &str) -> bool {
    std::fs::read_to_string(format!("/sys/class/net/{name}/operstate"))
        .is_ok_and(|s| operstate_up(&s))
}

/// See [`link_up`].
fn operstate_up(text: &str) -> bool {
    matches!(text.trim(), "up" | "unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fall_failures_in_a_row_bring_it_down_and_rise_successes_back_up() {
        let mut d = Debounce::new(true, 2, 3);
        assert_eq!(d.record(false), None);
        assert_eq!(d.record(false), None);
        // A success in between starts the count again.
        assert_eq!(d.record(true), None);
        assert_eq!(d.record(false), None);
        assert_eq!(d.record(false), None);
        assert_eq!(d.record(false), Some(false));
        assert!(!d.up);
        assert_eq!(d.record(true), None);
        assert_eq!(d.record(true), Some(true));
        assert_eq!(d.record(true), None);
    }

    #[test]
    fn rise_and_fall_of_one_change_at_once() {
        let mut d = Debounce::new(false, 1, 1);
        assert_eq!(d.record(false), None);
        assert_eq!(d.record(true), Some(true));
        assert_eq!(d.record(false), Some(false));
    }

    #[test]
    fn operstate_words() {
        assert!(operstate_up("up\n"));
        assert!(operstate_up("unknown\n"));
        assert!(!operstate_up("down\n"));
        assert!(!operstate_up("lowerlayerdown\n"));
        assert!(!link_up("no-such-interface-kars"));
    }

    #[test]
    fn a_script_passes_fails_and_times_out() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let second = Duration::from_secs(1);
            assert!(run_once("/bin/sh -c 'exit 0'", second).await);
            assert!(!run_once("/bin/sh -c 'exit 1'", second).await);
            assert!(!run_once("/nonexistent/script", second).await);
            let start = std::time::Instant::now();
            assert!(!run_once("/bin/sleep 5", Duration::from_millis(200)).await);
            assert!(start.elapsed() < Duration::from_secs(2));
        });
    }

    #[test]
    fn the_script_task_reports_changes_only() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (tx, mut rx) = mpsc::channel(4);
            let script = ScriptPlan {
                name: "chk".into(),
                command: "/bin/sh -c 'exit 1'".into(),
                interval: Duration::from_millis(20),
                timeout: Duration::from_secs(1),
                rise: 1,
                fall: 2,
                init_fail: false,
            };
            let task = tokio::spawn(run_script(script, true, tx));
            let first = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await;
            assert_eq!(
                first.unwrap(),
                Some(Change {
                    kind: TrackKind::Script,
                    name: "chk".into(),
                    up: false
                })
            );
            // Still failing: nothing more.
            let more = tokio::time::timeout(Duration::from_millis(150), rx.recv()).await;
            assert!(more.is_err(), "{more:?}");
            task.abort();
        });
    }
}
