//! notify_fifo and SMTP alerts in a network-namespace lab: one
//! keepalived-rs node (h1) with a sync group VG1 (`smtp_alert`; members
//! VI_1 with `smtp_alert` and VI_3 without) and an instance VI_2 without
//! it, `vrrp_notify_fifo` with
//! a `vrrp_notify_fifo_script` that copies the FIFO to a file, and
//! `smtp_server 127.0.0.1 PORT` where aiosmtpd (Debian's python3-aiosmtpd,
//! a real SMTP server) listens in the same namespace.
//!
//! - the FIFO carries keepalived's lines: `INSTANCE "VI_1" BACKUP 150`,
//!   `INSTANCE "VI_1" MASTER 150`, `GROUP "VG1" MASTER 0`, and on
//!   SIGTERM `INSTANCE "VI_1" STOP 150`; the FIFO the daemon created is
//!   removed at exit;
//! - aiosmtpd receives keepalived's mails for VI_1 and VG1 (subject,
//!   `X-Mailer: Keepalived`, sender and recipients, body) and none for VI_2.
//!
//! It needs root, iproute2 and aiosmtpd: under `CI=true` a missing one
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
use nix::sys::signal::Signal;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_keepalived-rs");
const PORT: u16 = 2525;

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

#[test]
fn fifo_lines_and_smtp_alerts() {
    if !lab::usable(&["aiosmtpd"]) {
        return;
    }
    let mut lab = Lab::up("n", 1);
    let dir = lab.dir().to_path_buf();
    let ns = lab.host(1);
    let listen = format!("127.0.0.1:{PORT}");
    lab.spawn(&ns, "smtp", &["aiosmtpd", "-n", "-l", &listen]);
    // aiosmtpd listens once it answers.
    let up = wait_for(Duration::from_secs(10), || {
        let out = std::process::Command::new("ip")
            .args(["netns", "exec", &ns, "ss", "-ltn"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).contains(&listen)
    });
    assert!(up, "aiosmtpd did not start: {}", lab.log("smtp"));

    let fifo = dir.join("vrrp.fifo");
    let copy = dir.join("fifo.txt");
    let reader = dir.join("reader.sh");
    std::fs::write(
        &reader,
        format!("#!/bin/sh\nexec cat \"$1\" >> {}\n", copy.display()),
    )
    .unwrap();
    std::fs::set_permissions(&reader, std::fs::Permissions::from_mode(0o755)).unwrap();
    let conf = format!(
        "global_defs {{
  router_id lab-notify
  notification_email {{
    ops@example.com
    oncall@example.com
  }}
  notification_email_from lb1@example.com
  smtp_server 127.0.0.1 {PORT}
  smtp_connect_timeout 5
  vrrp_notify_fifo {fifo}
  vrrp_notify_fifo_script {reader}
}}
vrrp_sync_group VG1 {{
  group {{
    VI_1
    VI_3
  }}
  smtp_alert
}}
vrrp_instance VI_1 {{
  interface eth0
  state MASTER
  virtual_router_id 51
  priority 150
  smtp_alert
  virtual_ipaddress {{
    192.0.2.100/24
  }}
}}
vrrp_instance VI_3 {{
  interface eth0
  state MASTER
  virtual_router_id 53
  priority 150
  virtual_ipaddress {{
    192.0.2.102/24
  }}
}}
vrrp_instance VI_2 {{
  interface eth0
  state MASTER
  virtual_router_id 52
  priority 150
  virtual_ipaddress {{
    192.0.2.101/24
  }}
}}
",
        fifo = fifo.display(),
        reader = reader.display()
    );
    let path = dir.join("n.conf");
    std::fs::write(&path, conf).unwrap();
    let path = path.display().to_string();
    lab.spawn(&ns, "rs", &[BIN, "-n", "-l", "-P", "-f", &path]);

    let fifo_text = || std::fs::read_to_string(&copy).unwrap_or_default();
    let mastered = wait_for(Duration::from_secs(6), || {
        fifo_text().contains("GROUP \"VG1\" MASTER 0\n")
    });
    assert!(mastered, "fifo: {:?}\n{}", fifo_text(), lab.log("rs"));
    // Three mails: VI_1 BACKUP, VI_1 MASTER, VG1 MASTER.
    let mailed = wait_for(Duration::from_secs(5), || {
        lab.log("smtp").matches("X-Mailer: Keepalived").count() >= 3
    });
    assert!(mailed, "smtp: {}\nrs: {}", lab.log("smtp"), lab.log("rs"));

    let status = lab.stop("rs", Signal::SIGTERM);
    assert!(status.is_some_and(|s| s.success()), "{}", lab.log("rs"));
    let stopped = wait_for(Duration::from_secs(2), || {
        fifo_text().contains("INSTANCE \"VI_1\" STOP 150\n")
    });
    assert!(stopped, "fifo: {:?}", fifo_text());
    assert!(!fifo.exists(), "the FIFO the daemon created is left behind");

    let lines = fifo_text();
    println!("fifo:\n{lines}");
    let vi1: Vec<&str> = lines
        .lines()
        .filter(|l| l.starts_with("INSTANCE \"VI_1\""))
        .collect();
    assert_eq!(
        vi1,
        [
            "INSTANCE \"VI_1\" BACKUP 150",
            "INSTANCE \"VI_1\" MASTER 150",
            "INSTANCE \"VI_1\" STOP 150"
        ],
        "{lines}"
    );
    assert!(lines.contains("INSTANCE \"VI_2\" MASTER 150\n"), "{lines}");

    // Give the STOP mail a moment; it may or may not make it before exit.
    std::thread::sleep(Duration::from_millis(300));
    let mail = lab.log("smtp");
    println!("smtp:\n{mail}");
    for line in [
        "Subject: [lab-notify] VRRP Instance VI_1 - Entering BACKUP state",
        "Subject: [lab-notify] VRRP Instance VI_1 - Entering MASTER state",
        "Subject: [lab-notify] VRRP Group VG1 - Entering MASTER state",
        "From: lb1@example.com",
        "To: ops@example.com, oncall@example.com",
        "X-Mailer: Keepalived",
        "=> VRRP Instance is now owning VRRP VIPs <=",
        "=> All VRRP group instances are now in MASTER state <=",
    ] {
        assert!(
            mail.lines().any(|l| l.trim_end() == line),
            "{line:?} not in:\n{mail}"
        );
    }
    assert!(!mail.contains("VI_2"), "VI_2 has no smtp_alert:\n{mail}");
    assert!(!mail.contains("VI_3"), "VI_3 has no smtp_alert:\n{mail}");
}
