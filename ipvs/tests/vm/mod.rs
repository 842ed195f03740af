//! Helpers of the tests that need a real IPVS kernel: they run inside the
//! VM `cargo xtask vm test` boots (which sets `LBKIT_IPVS_VM=1`), are
//! `#[ignore]`d so that a host's `cargo test` leaves them out, and
//! refuse to pass silently in CI outside the VM.

#![allow(dead_code, clippy::unwrap_used, clippy::panic, clippy::print_stdout)]

use std::process::Command;

use lbkit_ipvs::Client;

/// Whether the test may run; outside the VM it says why it is skipped
/// (and fails under `CI=true`).
pub(crate) fn in_vm(test: &str) -> bool {
    if std::env::var("LBKIT_IPVS_VM").as_deref() == Ok("1") {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test} needs a real IPVS kernel: run it with `cargo xtask vm test`");
    }
    eprintln!("skipped {test}: not inside the IPVS VM (run `cargo xtask vm test`)");
    false
}

/// Runs ipvsadm, which must succeed, and returns what it printed.
pub(crate) fn ipvsadm(args: &[&str]) -> String {
    let out = Command::new("/usr/sbin/ipvsadm")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ipvsadm {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a shell command line in the guest, which must succeed.
pub(crate) fn sh(line: &str) -> String {
    let out = Command::new("/bin/sh").args(["-c", line]).output().unwrap();
    assert!(
        out.status.success(),
        "`{line}`: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A client on an empty IPVS table.
pub(crate) fn fresh_client() -> Client {
    let mut c = Client::connect().unwrap();
    c.flush().unwrap();
    c
}

/// The block ipvsadm printed for a golden command (ipvsadm-output.log).
pub(crate) fn golden_output(name: &str) -> String {
    let log = include_str!("../data/golden/ipvsadm-output.log");
    let mut out = String::new();
    let mut inside = false;
    for line in log.lines() {
        if let Some(head) = line.strip_prefix("### ") {
            inside = head.starts_with(&format!("{name} "));
            continue;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
