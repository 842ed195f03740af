//! VIP labels (`192.0.2.100/24 dev eth0 label eth0:vip`) in a
//! network-namespace lab: the master adds the address with its label (as
//! `ip addr add ... label` would), an unlabelled VIP next to it has none,
//! and SIGTERM removes both.
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
use nix::sys::signal::Signal;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_keepalived-rs");

#[test]
fn vip_labels_are_set() {
    if !lab::usable(&[]) {
        return;
    }
    let mut lab = Lab::up("l", 1);
    let conf = "vrrp_instance VI_1 {
  interface eth0
  state MASTER
  virtual_router_id 51
  priority 150
  virtual_ipaddress {
    192.0.2.100/24 dev eth0 label eth0:vip
    192.0.2.101/24
  }
}
";
    let path = lab.dir().join("l.conf");
    std::fs::write(&path, conf).unwrap();
    let ns = lab.host(1);
    let path = path.display().to_string();
    lab.spawn(&ns, "rs", &[BIN, "-n", "-l", "-P", "-f", &path]);
    let start = Instant::now();
    while !lab.addr_show(1).contains("192.0.2.101/24") && start.elapsed() < Duration::from_secs(6) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let addrs = lab.addr_show(1);
    // `ip addr` ends an address line with its label (the interface name
    // when it has none).
    let line = |addr: &str| {
        addrs
            .lines()
            .find(|l| l.contains(addr))
            .unwrap_or_else(|| panic!("no {addr} in:\n{addrs}\n{}", lab.log("rs")))
            .trim()
            .to_owned()
    };
    assert!(
        line("192.0.2.100/24").ends_with(" eth0:vip"),
        "{}",
        line("192.0.2.100/24")
    );
    assert!(
        line("192.0.2.101/24").ends_with(" eth0"),
        "{}",
        line("192.0.2.101/24")
    );
    let status = lab.stop("rs", Signal::SIGTERM);
    assert!(status.is_some_and(|s| s.success()), "{}", lab.log("rs"));
    let addrs = lab.addr_show(1);
    assert!(
        !addrs.contains("192.0.2.100") && !addrs.contains("192.0.2.101"),
        "{addrs}"
    );
}
