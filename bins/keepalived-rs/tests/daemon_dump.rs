//! SIGUSR1 / SIGUSR2 in a network-namespace lab, side by side with
//! keepalived 2.2.7: keepalived-rs (h1, MASTER, priority 150) and
//! keepalived (h2, BACKUP, priority 100) run the same instance, each with
//! its own `TMPDIR`. Both get SIGUSR1 and SIGUSR2:
//!
//! - `keepalived.stats`: the same lines in the same order (values aside);
//!   keepalived-rs counts its one transition to MASTER and its adverts,
//!   keepalived counts the adverts it received;
//! - `keepalived.data`: every line keepalived-rs writes is a line
//!   keepalived writes too (by its key, in the same order), and the
//!   instance's state, VIP and priority are right.
//!
//! It needs root, iproute2 and keepalived: under `CI=true` a missing one
//! fails the test, elsewhere it is skipped with the reason printed.

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
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::path::Path;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_keepalived-rs");
const VIP: &str = "192.0.2.100/24";

fn conf(state: &str, priority: u8) -> String {
    format!(
        "global_defs {{
  router_id lab-dump
}}
vrrp_instance VI_1 {{
  interface eth0
  state {state}
  virtual_router_id 51
  priority {priority}
  advert_int 1
  virtual_ipaddress {{
    {VIP}
  }}
}}
"
    )
}

/// Polls `cond` every 10 ms until it holds or `limit` passes.
fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// A line's key: up to " = " or ": ", an address line of a list as one
/// key, else the whole line.
fn key(line: &str) -> &str {
    let item = line.strip_prefix("     ").unwrap_or_default();
    if item.starts_with(|c: char| c.is_ascii_digit()) {
        return "     ADDRESS";
    }
    match line.find(" = ").or_else(|| line.find(": ")) {
        Some(at) => &line[..at],
        None => line,
    }
}

/// Sends `signal` to `pid` and waits for `file` in `dir` to be written.
fn dump(pid: i32, signal: Signal, dir: &Path, file: &str) -> String {
    let path = dir.join(file);
    let _ = std::fs::remove_file(&path);
    kill(Pid::from_raw(pid), signal).unwrap();
    let written = wait_for(Duration::from_secs(3), || {
        std::fs::read_to_string(&path).is_ok_and(|t| t.ends_with('\n'))
    });
    assert!(written, "{} not written", path.display());
    // keepalived writes in several calls: let it finish.
    std::thread::sleep(Duration::from_millis(200));
    std::fs::read_to_string(&path).unwrap()
}

#[test]
fn dumps_match_keepalived_s() {
    if !lab::usable(&["keepalived"]) {
        return;
    }
    let mut lab = Lab::up("d", 2);
    let dir = lab.dir().to_path_buf();
    let (rs_tmp, ka_tmp) = (dir.join("rs-tmp"), dir.join("ka-tmp"));
    std::fs::create_dir_all(&rs_tmp).unwrap();
    std::fs::create_dir_all(&ka_tmp).unwrap();

    let rs_conf = dir.join("rs.conf");
    std::fs::write(&rs_conf, conf("MASTER", 150)).unwrap();
    let ns1 = lab.host(1);
    let env_rs = format!("TMPDIR={}", rs_tmp.display());
    let rs_pid = lab.spawn(
        &ns1,
        "rs",
        &["env", &env_rs, BIN, "-n", "-l", "-P", "-f", &s(&rs_conf)],
    );
    let ka_conf = dir.join("ka.conf");
    std::fs::write(&ka_conf, conf("BACKUP", 100)).unwrap();
    let ns2 = lab.host(2);
    let env_ka = format!("TMPDIR={}", ka_tmp.display());
    let ka_vrrp_pid = dir.join("ka.vrrp.pid");
    lab.spawn(
        &ns2,
        "ka",
        &[
            "env",
            &env_ka,
            "keepalived",
            "-n",
            "-l",
            "-P",
            "-R",
            "-f",
            &s(&ka_conf),
            "-p",
            &s(&dir.join("ka.pid")),
            "-r",
            &s(&ka_vrrp_pid),
        ],
    );
    assert!(
        wait_for(Duration::from_secs(5), || lab.addr_show(1).contains(VIP)),
        "keepalived-rs never took the VIP: {}",
        lab.log("rs")
    );
    // A few adverts go by.
    std::thread::sleep(Duration::from_millis(2500));
    let ka_pid: i32 = std::fs::read_to_string(&ka_vrrp_pid)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let rs_pid = i32::try_from(rs_pid).unwrap();

    // Statistics: same lines, same order.
    let ours = dump(rs_pid, Signal::SIGUSR2, &rs_tmp, "keepalived.stats");
    let theirs = dump(ka_pid, Signal::SIGUSR2, &ka_tmp, "keepalived.stats");
    let our_keys: Vec<&str> = ours.lines().map(key).collect();
    let their_keys: Vec<&str> = theirs.lines().map(key).collect();
    assert_eq!(our_keys, their_keys, "ours:\n{ours}\ntheirs:\n{theirs}");
    assert!(ours.contains("  Became master: 1\n"), "{ours}");
    assert!(theirs.contains("  Became master: 0\n"), "{theirs}");
    let sent = value_after(&ours, "  Advertisements:", "    Sent: ");
    let received = value_after(&theirs, "  Advertisements:", "    Received: ");
    println!("adverts: keepalived-rs sent {sent}, keepalived received {received}");
    assert!(sent >= 3 && received >= 2, "{ours}\n{theirs}");

    // State dump: our lines are keepalived's, in its order.
    let ours = dump(rs_pid, Signal::SIGUSR1, &rs_tmp, "keepalived.data");
    let theirs = dump(ka_pid, Signal::SIGUSR1, &ka_tmp, "keepalived.data");
    let their_keys: Vec<&str> = theirs.lines().map(key).collect();
    let mut at = 0;
    for line in ours.lines() {
        let found = their_keys[at..].iter().position(|k| *k == key(line));
        let found = found.unwrap_or_else(|| {
            panic!("{line:?} not in keepalived's dump (in order):\n{theirs}\nours:\n{ours}")
        });
        at += found + 1;
    }
    for line in [
        " Router ID = lab-dump",
        " VRRP Instance = VI_1",
        "   State = MASTER",
        "   Interface = eth0",
        "   Using src_ip = 192.0.2.11",
        "   Virtual Router ID = 51",
        "   Priority = 150",
        "   Effective priority = 150",
        "   Virtual IP (1):",
        // keepalived marks the addresses it added with "set".
        "     192.0.2.100/24 dev eth0 scope global set",
    ] {
        assert!(ours.lines().any(|l| l == line), "{line:?} missing:\n{ours}");
    }
    // keepalived, the backup, names the master it hears.
    assert!(theirs.contains("   State = BACKUP"), "{theirs}");
    assert!(theirs.contains("   Master router = 192.0.2.11"), "{theirs}");
    assert!(theirs.contains("   Master priority = 150"), "{theirs}");
}

/// The number after `prefix` on the first such line after `section`.
fn value_after(text: &str, section: &str, prefix: &str) -> u64 {
    let rest = &text[text.find(section).unwrap()..];
    let line = rest.lines().find(|l| l.starts_with(prefix)).unwrap();
    line[prefix.len()..].trim().parse().unwrap()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}
