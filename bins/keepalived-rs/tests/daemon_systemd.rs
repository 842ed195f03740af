//! Running under systemd: the unit file, `sd_notify` readiness and the
//! syslog lines.
//!
//! The daemon runs in a network-namespace lab with a test-owned datagram
//! socket as `NOTIFY_SOCKET` and another as its syslog socket
//! (`KEEPALIVED_RS_SYSLOG_SOCKET`): it must say READY=1 once running,
//! RELOADING=1 then READY=1 around a SIGHUP, STOPPING=1 on SIGTERM, and
//! log keepalived's lines as `<PRI>Keepalived_vrrp[PID]: ...` in the `-S`
//! facility; without `-l` nothing of that goes to standard error.
//!
//! It needs root, iproute2 and systemd-analyze: under `CI=true` a missing
//! one fails the test, elsewhere it is skipped with the reason printed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

#[allow(dead_code)]
// The network-namespace lab of lbkit-vrrp's interop tests, shared as a file.
#[path = "../../../vrrp/tests/interop/lab.rs"]
mod lab;

use lab::Lab;
use nix::sys::signal::Signal;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_keepalived-rs");
const UNIT: &str = include_str!("../keepalived-rs.service");

/// The value of `key` in the unit (its last assignment).
fn unit_value(key: &str) -> Option<&'static str> {
    UNIT.lines()
        .rev()
        .filter_map(|l| l.trim().strip_prefix(key)?.strip_prefix('='))
        .next()
}

#[test]
fn the_unit_file_is_a_notify_service_like_debian_s() {
    assert_eq!(unit_value("Type"), Some("notify"));
    assert_eq!(
        unit_value("ExecStart"),
        Some("/usr/sbin/keepalived-rs --dont-fork $DAEMON_ARGS")
    );
    assert_eq!(unit_value("ExecReload"), Some("/bin/kill -HUP $MAINPID"));
    assert_eq!(unit_value("KillMode"), Some("process"));
    assert_eq!(unit_value("After"), Some("network-online.target"));
    assert_eq!(unit_value("Wants"), Some("network-online.target"));
    assert_eq!(unit_value("WantedBy"), Some("multi-user.target"));
    let sections: Vec<&str> = UNIT.lines().filter(|l| l.starts_with('[')).collect();
    assert_eq!(sections, ["[Unit]", "[Service]", "[Install]"]);
}

/// What `systemd-analyze verify` says of `unit` (its ExecStart pointed at
/// the built binary, which verify requires to exist), or `None` when the
/// tool is missing outside CI.
fn verify(dir: &Path, name: &str, unit: &str) -> Option<String> {
    let path = dir.join(name);
    std::fs::write(&path, unit.replace("/usr/sbin/keepalived-rs", BIN)).unwrap();
    let out = match Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
    {
        Ok(out) => out,
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            println!("skipped: systemd-analyze: {e}");
            return None;
        }
        Err(e) => panic!("systemd-analyze: {e}"),
    };
    let mut said = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        said.push_str(&format!("\nexit status {}", out.status));
    }
    Some(said)
}

#[test]
fn systemd_analyze_accepts_the_unit() {
    let dir = std::env::temp_dir().join(format!("ka-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let Some(said) = verify(&dir, "keepalived-rs.service", UNIT) else {
        return;
    };
    // verify only warns of a bad line: the same check on a misspelt
    // unit must say something, or the first proves nothing.
    let bad = UNIT.replace("Type=notify", "Type=notfy");
    let bad_said = verify(&dir, "bad.service", &bad).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(said, "", "systemd-analyze verify complained");
    assert!(bad_said.contains("notfy"), "{bad_said}");
}

/// The datagrams received on `socket` until `done` holds for the list
/// or `limit` passes.
fn receive_until(
    socket: &UnixDatagram,
    got: &mut Vec<String>,
    limit: Duration,
    done: impl Fn(&[String]) -> bool,
) {
    let start = Instant::now();
    let mut buf = vec![0u8; 8192];
    while !done(got) && start.elapsed() < limit {
        if let Ok(n) = socket.recv(&mut buf) {
            got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }
}

#[test]
fn the_daemon_notifies_systemd_and_logs_to_syslog() {
    if !lab::usable(&[]) {
        return;
    }
    let mut lab = Lab::up("sd", 1);
    let conf = "vrrp_instance VI_1 {
  interface eth0
  state MASTER
  virtual_router_id 52
  priority 150
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
";
    let path = lab.dir().join("sd.conf");
    std::fs::write(&path, conf).unwrap();
    // Filesystem sockets: reachable from the lab's namespace.
    let notify_path = lab.dir().join("notify");
    let syslog_path = lab.dir().join("log");
    let notify = UnixDatagram::bind(&notify_path).unwrap();
    let syslog = UnixDatagram::bind(&syslog_path).unwrap();
    for s in [&notify, &syslog] {
        s.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
    }
    let env_notify = format!("NOTIFY_SOCKET={}", notify_path.display());
    let env_syslog = format!("KEEPALIVED_RS_SYSLOG_SOCKET={}", syslog_path.display());
    let ns = lab.host(1);
    let path = path.display().to_string();
    let cmd = [
        "env",
        &env_notify,
        &env_syslog,
        BIN,
        "-n",
        "-P",
        "-S",
        "local3",
        "-f",
        &path,
    ];
    // `ip netns exec` and `env` exec the daemon: the pid is its own.
    let pid = lab.spawn(&ns, "rs", &cmd);

    let mut states = Vec::new();
    receive_until(&notify, &mut states, Duration::from_secs(10), |s| {
        !s.is_empty()
    });
    assert_eq!(states, ["READY=1"], "{}", lab.log("rs"));

    // local3.info: 19 * 8 + 6.
    let master = format!("<158>Keepalived_vrrp[{pid}]: (VI_1) Entering MASTER STATE");
    let mut lines = Vec::new();
    receive_until(&syslog, &mut lines, Duration::from_secs(10), |l| {
        l.contains(&master)
    });
    assert!(lines.contains(&master), "{lines:#?}\n{}", lab.log("rs"));

    lab.signal("rs", Signal::SIGHUP);
    receive_until(&notify, &mut states, Duration::from_secs(10), |s| {
        s.len() >= 3
    });
    assert_eq!(
        states,
        ["READY=1", "RELOADING=1", "READY=1"],
        "{}",
        lab.log("rs")
    );

    let status = lab.stop("rs", Signal::SIGTERM);
    assert!(status.is_some_and(|s| s.success()), "{}", lab.log("rs"));
    receive_until(&notify, &mut states, Duration::from_secs(1), |s| {
        s.len() >= 4
    });
    assert_eq!(states, ["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"]);

    let stopped = format!("<158>Keepalived_vrrp[{pid}]: Stopped");
    receive_until(&syslog, &mut lines, Duration::from_secs(2), |l| {
        l.contains(&stopped)
    });
    let tag = format!("<158>Keepalived_vrrp[{pid}]: ");
    let texts: Vec<&str> = lines.iter().filter_map(|l| l.strip_prefix(&tag)).collect();
    for text in ["Reloading", "Reload finished", "Stopping", "Stopped"] {
        assert!(texts.contains(&text), "no {text:?} in {lines:#?}");
    }
    // Without -l the console stays quiet.
    let console = lab.log("rs");
    assert!(!console.contains("Keepalived_vrrp:"), "{console}");
}

#[test]
fn without_dont_fork_the_daemon_goes_to_the_background() {
    if !lab::usable(&[]) {
        return;
    }
    let lab = Lab::up("bg", 1);
    let conf = "vrrp_instance VI_1 {
  interface eth0
  state MASTER
  virtual_router_id 53
  priority 150
  virtual_ipaddress {
    192.0.2.100/24
  }
}
";
    let path = lab.dir().join("bg.conf");
    std::fs::write(&path, conf).unwrap();
    let syslog_path = lab.dir().join("log");
    let syslog = UnixDatagram::bind(&syslog_path).unwrap();
    syslog
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let pid_file = lab.dir().join("bg.pid");
    let start = Instant::now();
    let mut parent = Command::new("ip")
        .args(["netns", "exec", &lab.host(1), BIN, "-P", "-f"])
        .arg(&path)
        .arg("-p")
        .arg(&pid_file)
        .env("KEEPALIVED_RS_SYSLOG_SOCKET", &syslog_path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The command returns at once, successfully, having said nothing (a
    // daemon staying in the foreground is killed after 3 s).
    let mut status = None;
    while status.is_none() && start.elapsed() < Duration::from_secs(3) {
        status = parent.try_wait().unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    if status.is_none() {
        let _ = parent.kill();
    }
    let out = parent.wait_with_output().unwrap();
    assert!(status.is_some_and(|s| s.success()), "{out:?}");
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");

    // The daemon runs on: its pid in the pid file, its lines in syslog.
    let mut pid = None;
    while pid.is_none() && start.elapsed() < Duration::from_secs(5) {
        let text = std::fs::read_to_string(&pid_file).unwrap_or_default();
        pid = text.trim().parse::<i32>().ok();
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = pid.expect("no pid file");
    let master = format!("<30>Keepalived_vrrp[{pid}]: (VI_1) Entering MASTER STATE");
    let mut lines = Vec::new();
    receive_until(&syslog, &mut lines, Duration::from_secs(10), |l| {
        l.contains(&master)
    });
    assert!(lines.contains(&master), "{lines:#?}");
    let start = Instant::now();
    while !lab.addr_show(1).contains("192.0.2.100/24") && start.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(lab.addr_show(1).contains("192.0.2.100/24"));

    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), Signal::SIGTERM).unwrap();
    let start = Instant::now();
    while pid_file.exists() && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!pid_file.exists(), "the daemon did not stop");
    assert!(!lab.addr_show(1).contains("192.0.2.100"));
}
