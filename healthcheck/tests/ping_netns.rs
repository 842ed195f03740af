//! Ping failure modes, in a network namespace the test makes (loopback
//! and a veth pair inside it): a host that never answers (times out), a network with no route (unreachable), and
//! the raw-socket path (a new namespace allows no ping sockets:
//! `ping_group_range` is `1 0` there).
//!
//! The outer test creates the namespace and runs this same test binary
//! inside it (`ip netns exec`), selecting the inner test.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::net::IpAddr;
use std::process::Command;
use std::time::Duration;

use lbkit_healthcheck::checkers::ping::PingCheck;
use lbkit_healthcheck::Status;

const INNER: &str = "LBKIT_HC_INSIDE_NETNS";

/// Deletes the namespace, also when the test fails.
struct Netns(String);

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.0])
            .status();
    }
}

fn ip(args: &[&str]) {
    let st = Command::new("ip").args(args).status().unwrap();
    assert!(st.success(), "ip {args:?} failed");
}

#[test]
fn ping_failures_in_namespace() {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    let have_ip = Command::new("ip").arg("-V").output().is_ok();
    if !(root && have_ip) {
        assert!(!ci, "needs root and iproute2 to make a network namespace");
        eprintln!("skipping: needs root and iproute2");
        return;
    }
    let name = format!("lbkit-hc-{}", std::process::id());
    ip(&["netns", "add", &name]);
    let _ns = Netns(name.clone());
    for cmd in [
        vec!["link", "set", "lo", "up"],
        vec!["link", "add", "v0", "type", "veth", "peer", "name", "v1"],
        vec!["addr", "add", "192.0.2.1/24", "dev", "v0"],
        vec!["addr", "add", "2001:db8::1/64", "dev", "v0", "nodad"],
        vec!["link", "set", "v0", "up"],
        vec!["link", "set", "v1", "up"],
    ] {
        let mut args = vec!["-n", name.as_str()];
        args.extend(cmd);
        ip(&args);
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("ip")
        .args(["netns", "exec", &name])
        .arg(exe)
        .args(["inner_ping_checks", "--exact", "--ignored", "--nocapture"])
        .env(INNER, "1")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "inner test failed:\n{text}");
    assert!(text.contains("1 passed"), "inner test did not run:\n{text}");
}

/// Runs only inside the namespace made above.
#[tokio::test]
#[ignore = "run inside a network namespace by ping_failures_in_namespace"]
async fn inner_ping_checks() {
    assert_eq!(
        std::env::var(INNER).as_deref(),
        Ok("1"),
        "run by ping_failures_in_namespace"
    );
    let t = Duration::from_millis(300);
    let ping = |a: &str| PingCheck::new(a.parse::<IpAddr>().unwrap(), t);
    // Raw socket path (no ping sockets allowed here), loopback answers.
    let lo = ping("127.0.0.1").run().await;
    assert_eq!(lo.status, Status::L4Ok, "{lo}");
    let lo6 = ping("::1").run().await;
    assert_eq!(lo6.status, Status::L4Ok, "{lo6}");
    // On the veth link nothing answers (the peer end has no address): the
    // neighbour is never resolved and the check times out.
    let silent = ping("192.0.2.2").run().await;
    assert_eq!(silent.status, Status::L4Timeout, "{silent}");
    let silent6 = ping("2001:db8::2").run().await;
    assert_eq!(silent6.status, Status::L4Timeout, "{silent6}");
    // No route at all.
    let unreachable = ping("198.51.100.1").run().await;
    assert_eq!(unreachable.status, Status::L4Con, "{unreachable}");
    assert_eq!(unreachable.info.as_deref(), Some("Network is unreachable"));
}
