//! `script_user` and `enable_script_security` at run time, two
//! keepalived-rs nodes each alone on its VRID:
//!
//! - h1: `enable_script_security`, `script_user nobody`: its
//!   `notify_master` script runs as nobody (it writes `id -u`);
//! - h2: `enable_script_security`, `script_user root`, its
//!   `notify_master` script in a world-writable directory: the script is
//!   disabled ("Unsafe permissions found for script ... - disabling") and
//!   never runs, while a safe one next to it in a root-only directory
//!   runs (as root).
//!
//! It needs root and iproute2: under `CI=true` a missing one fails the
//! test, elsewhere it is skipped with the reason printed.

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
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_keepalived-rs");

/// Polls `cond` every 20 ms until it holds or `limit` passes.
fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A script that writes its uid to `out/NAME`.
fn whoami(dir: &Path, name: &str, out: &Path) -> String {
    let path = dir.join(format!("{name}.sh"));
    std::fs::write(
        &path,
        format!("#!/bin/sh\nid -u > {}/{name}\n", out.display()),
    )
    .unwrap();
    mode(&path, 0o755);
    path.display().to_string()
}

fn conf(user: &str, vrid: u8, master: &str, backup: &str) -> String {
    format!(
        "global_defs {{
  enable_script_security
  script_user {user}
}}
vrrp_instance VI_1 {{
  interface eth0
  state MASTER
  virtual_router_id {vrid}
  priority 150
  virtual_ipaddress {{
    192.0.2.{vrid}/24
  }}
  notify_master \"{master}\"
  notify_backup \"{backup}\"
}}
"
    )
}

#[test]
fn scripts_run_as_script_user_and_unsafe_ones_are_refused() {
    if !lab::usable(&[]) {
        return;
    }
    let mut lab = Lab::up("s", 2);
    let dir = lab.dir().to_path_buf();
    let out = dir.join("out");
    let safe = dir.join("safe");
    let open = dir.join("open");
    for d in [&out, &safe, &open] {
        std::fs::create_dir_all(d).unwrap();
    }
    mode(&dir, 0o755);
    mode(&out, 0o777);
    mode(&safe, 0o755);
    mode(&open, 0o777);

    let h1_master = whoami(&safe, "h1-master", &out);
    let h1_backup = whoami(&safe, "h1-backup", &out);
    let h2_master = whoami(&open, "h2-master", &out);
    let h2_backup = whoami(&safe, "h2-backup", &out);
    for (i, name, text) in [
        (1, "h1", conf("nobody", 61, &h1_master, &h1_backup)),
        (2, "h2", conf("root", 62, &h2_master, &h2_backup)),
    ] {
        let path = dir.join(format!("{name}.conf"));
        std::fs::write(&path, text).unwrap();
        let ns = lab.host(i);
        let path = path.display().to_string();
        lab.spawn(&ns, name, &[BIN, "-n", "-l", "-P", "-f", &path]);
    }
    let uid_of = |name: &str| {
        std::fs::read_to_string(out.join(name))
            .ok()
            .map(|t| t.trim().to_owned())
    };
    let ran = wait_for(Duration::from_secs(6), || {
        uid_of("h1-master").is_some() && uid_of("h2-backup").is_some()
    });
    assert!(ran, "{}\n{}", lab.log("h1"), lab.log("h2"));
    // h2 has become master too by now (alone on its VRID).
    let h2_master_state = wait_for(Duration::from_secs(3), || {
        lab.log("h2").contains("(VI_1) Entering MASTER STATE")
    });
    assert!(h2_master_state, "{}", lab.log("h2"));
    std::thread::sleep(Duration::from_millis(300));

    let nobody = std::process::Command::new("id")
        .args(["-u", "nobody"])
        .output()
        .unwrap();
    let nobody = String::from_utf8_lossy(&nobody.stdout).trim().to_owned();
    assert_eq!(uid_of("h1-master").as_deref(), Some(nobody.as_str()));
    assert_eq!(uid_of("h1-backup").as_deref(), Some(nobody.as_str()));
    assert_eq!(uid_of("h2-backup").as_deref(), Some("0"));
    assert_eq!(uid_of("h2-master"), None, "the unsafe script ran");
    let h2 = lab.log("h2");
    let refused = format!("Unsafe permissions found for script '{h2_master}' - disabling");
    assert!(h2.contains(&refused), "{h2}");
    // With security on there is no SECURITY VIOLATION warning.
    assert!(!h2.contains("SECURITY VIOLATION"), "{h2}");
}
