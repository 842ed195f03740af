//! One failover repetition: master h1 (priority 150) and backup h2
//! (priority 100) run the same daemon; the client pings the VIP every
//! 5 ms while a packet socket records what reaches it; the master is
//! killed (SIGSTOP then SIGKILL of each of its processes, so keepalived's
//! VRRP child cannot send a priority-0 advert on its parent's death) or
//! stopped gracefully (SIGTERM to the main process) at a random phase of
//! its advert timer.

use super::daemon::{self, Kind};
use super::lab::{Lab, VIP};
use super::probe::{self, Capture, Sample};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How the master goes away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// SIGSTOP then SIGKILL of every process of the master (a crash).
    Kill,
    /// SIGTERM to the master's main process (graceful: priority 0).
    Term,
}

/// One scenario of the table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scenario {
    /// VRRP version.
    pub(crate) version: u8,
    /// advert_int as written in the configuration.
    pub(crate) advert: &'static str,
    /// advert_int in seconds.
    pub(crate) advert_s: f64,
    /// How the master goes away.
    pub(crate) fault: Fault,
}

impl Scenario {
    /// The name in tables: `v2 advert 1 s, kill -9`.
    pub(crate) fn name(&self) -> String {
        let fault = match self.fault {
            Fault::Kill => "kill -9",
            Fault::Term => "SIGTERM",
        };
        format!("v{} advert {} s, {fault}", self.version, self.advert)
    }

    /// What RFC 5798 predicts for the detection interval, ms
    /// (Master_Down_Interval after a kill, Skew_Time after priority 0),
    /// for the backup's priority 100.
    pub(crate) fn rfc_detection_ms(&self) -> f64 {
        let skew = (256.0 - 100.0) / 256.0 * self.advert_s;
        let ms = match self.fault {
            Fault::Kill => 3.0 * self.advert_s + skew,
            Fault::Term => skew,
        };
        ms * 1e3
    }
}

/// The four scenarios the issue asks for.
pub(crate) const SCENARIOS: [Scenario; 4] = [
    Scenario {
        version: 2,
        advert: "1",
        advert_s: 1.0,
        fault: Fault::Kill,
    },
    Scenario {
        version: 3,
        advert: "0.1",
        advert_s: 0.1,
        fault: Fault::Kill,
    },
    Scenario {
        version: 2,
        advert: "1",
        advert_s: 1.0,
        fault: Fault::Term,
    },
    Scenario {
        version: 3,
        advert: "0.1",
        advert_s: 0.1,
        fault: Fault::Term,
    },
];

/// Polls `done` every 10 ms for up to `limit`; whether it came true.
fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    done()
}

/// A fraction in [0, 1) from the clock's nanoseconds (the fault's phase).
fn phase() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    f64::from(nanos) / 1e9
}

/// Runs one repetition of `scenario` with daemon `kind`; files go to `dir`.
pub(crate) fn repetition(
    lab: &Lab,
    kind: Kind,
    binary: &Path,
    dir: &Path,
    scenario: &Scenario,
) -> Result<Sample, String> {
    let conf = |node: &str, priority| {
        daemon::failover_conf(node, scenario.version, scenario.advert, priority)
    };
    let master = daemon::start(kind, binary, lab, "h1", dir, &conf("h1", 150))?;
    let backup = daemon::start(kind, binary, lab, "h2", dir, &conf("h2", 100))?;
    let result = measure(lab, &master, dir, scenario);
    match scenario.fault {
        Fault::Kill => master.reap(),
        Fault::Term => master.stop(lab, "h1"),
    }
    backup.stop(lab, "h2");
    lab.flush_vips("h1");
    lab.flush_vips("h2");
    result.map_err(|e| {
        format!(
            "{} {}: {e} (logs in {})",
            kind.name(),
            scenario.name(),
            dir.display()
        )
    })
}

/// Waits for the master, starts the probe, injects the fault and reads
/// the capture.
fn measure(
    lab: &Lab,
    master: &daemon::Running,
    dir: &Path,
    scenario: &Scenario,
) -> Result<Sample, String> {
    let advert = Duration::from_secs_f64(scenario.advert_s);
    if !wait_until(Duration::from_secs(30), || lab.has_vip("h1")) {
        return Err("h1 never became master".into());
    }
    // the backup has heard the master for at least two adverts
    std::thread::sleep((advert * 2).max(Duration::from_millis(500)));
    if lab.has_vip("h2") {
        return Err("h2 holds the VIP before the fault".into());
    }
    let backup_mac = lab.mac("h2")?;
    let capture = Capture::start(&lab.ns("client"))?;
    let deadline = (scenario.advert_s * 7.0 + 8.0).ceil().to_string();
    let ping_log = std::fs::File::create(dir.join("ping.log")).map_err(|e| e.to_string())?;
    let mut ping = Command::new("ip")
        .args(["netns", "exec", &lab.ns("client")])
        .args([
            "ping", "-n", "-q", "-i", "0.005", "-W", "1", "-w", &deadline,
        ])
        .arg(VIP.to_string())
        .stdin(Stdio::null())
        .stdout(ping_log)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start ping: {e}"))?;
    std::thread::sleep(Duration::from_secs(1) + advert.mul_f64(phase()));
    let victims = lab.pids("h1");
    let t0 = Instant::now();
    match scenario.fault {
        Fault::Kill => {
            for signal in [Signal::SIGSTOP, Signal::SIGKILL] {
                for &pid in &victims {
                    let _ = kill(Pid::from_raw(pid), signal);
                }
            }
        }
        Fault::Term => {
            let _ = kill(Pid::from_raw(master.pid()), Signal::SIGTERM);
        }
    }
    let took_over = wait_until(advert * 6 + Duration::from_secs(5), || lab.has_vip("h2"));
    std::thread::sleep(Duration::from_millis(300));
    if let Ok(pid) = i32::try_from(ping.id()) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGINT);
    }
    let _ = ping.wait();
    let seen = capture.finish()?;
    if !took_over {
        return Err("h2 did not take the VIP".into());
    }
    probe::analyse(&seen, t0, backup_mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_detection_intervals_match_the_recipe_table() {
        // the recipe's table: 3609 ms (v2 1 s kill), 361 (v3 0.1 kill),
        // 609 (v2 1 s term), 61 (v3 0.1 term)
        let want = [3609.4, 360.9, 609.4, 60.9];
        for (s, w) in SCENARIOS.iter().zip(want) {
            assert!((s.rfc_detection_ms() - w).abs() < 0.1, "{}", s.name());
        }
        assert_eq!(SCENARIOS[1].name(), "v3 advert 0.1 s, kill -9");
    }

    #[test]
    fn waiting_ends_when_the_condition_holds_or_the_time_is_up() {
        let start = Instant::now();
        assert!(!wait_until(Duration::from_millis(50), || false));
        assert!(start.elapsed() >= Duration::from_millis(50));
        let mut n = 0;
        assert!(wait_until(Duration::from_secs(5), || {
            n += 1;
            n == 3
        }));
        assert!(start.elapsed() < Duration::from_secs(1));
    }
}
