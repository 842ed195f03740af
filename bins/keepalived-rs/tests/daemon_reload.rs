//! SIGHUP reloads in a network-namespace lab: two keepalived-rs nodes on
//! a bridge (h1 master at priority 150, h2 backup at 100), and in the
//! traffic test a third host pinging the VIP.
//!
//! - `reload_keeps_what_did_not_change`: a reload with the same file
//!   changes nothing (no transition, the VIP stays); a reload adding a
//!   VIP adds it on the master without a transition; a new priority is
//!   taken in place (no transition, the VIP stays); an invalid file is
//!   reported and the running configuration stays; removing an instance
//!   stops it as keepalived does (priority 0: the backup takes over within
//!   its Skew_Time, not its Master_Down_Interval; the VIP is removed);
//!   an IPv6 instance added then removed starts and stops a router of
//!   its own, VI_1 untouched.
//! - `reload_keeps_tracked_script_status`: a `vrrp_script` whose interval
//!   changes keeps its failed status across the reload, so its recovery
//!   right after is seen.
//! - `reload_under_traffic`: 20 SIGHUPs on both nodes (the backup, then
//!   the master), 500 ms apart, with the configuration alternating
//!   between one VIP and two, while h3
//!   pings the VIP every 10 ms: no ping is lost, the VIP never leaves h1,
//!   no instance changes state.
//!
//! They need root and iproute2: under `CI=true` a
//! missing one fails the test, elsewhere it is skipped with the reason
//! printed.

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
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_keepalived-rs");
const VIP: &str = "192.0.2.100/24";
const EXTRA: &str = "192.0.2.110/24";
const VIP2: &str = "192.0.2.120/24";
const VIP6: &str = "2001:db8::100/64";

/// VI_1 (VRID 51) with `vips`, and VI_2 (VRID 52, VIP2) when `second`.
fn conf(state: &str, priority: u8, vips: &[&str], second: bool) -> String {
    let vips: String = vips.iter().map(|v| format!("    {v}\n")).collect();
    let mut text = format!(
        "vrrp_instance VI_1 {{
  interface eth0
  state {state}
  virtual_router_id 51
  priority {priority}
  advert_int 1
  virtual_ipaddress {{
{vips}  }}
}}
"
    );
    if second {
        text.push_str(&format!(
            "vrrp_instance VI_2 {{
  interface eth0
  state {state}
  virtual_router_id 52
  priority {priority}
  advert_int 1
  virtual_ipaddress {{
    {VIP2}
  }}
}}
"
        ));
    }
    text
}

/// Polls `cond` every 10 ms until it holds (its time) or `limit` passes.
fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

/// The configuration file of node `name`.
fn conf_path(lab: &Lab, name: &str) -> PathBuf {
    lab.dir().join(format!("{name}.conf"))
}

/// Starts keepalived-rs in host `i` with `text` as its configuration.
fn start_rs(lab: &mut Lab, i: usize, name: &str, text: &str) {
    let path = conf_path(lab, name);
    std::fs::write(&path, text).unwrap();
    let ns = lab.host(i);
    let path = path.display().to_string();
    lab.spawn(&ns, name, &[BIN, "-n", "-l", "-P", "-f", &path]);
}

/// Rewrites node `name`'s file and sends it SIGHUP.
fn reload(lab: &Lab, name: &str, text: &str) {
    std::fs::write(conf_path(lab, name), text).unwrap();
    lab.signal(name, Signal::SIGHUP);
}

/// How many times `name` logged `what`.
fn count(lab: &Lab, name: &str, what: &str) -> usize {
    lab.log(name).matches(what).count()
}

/// Waits until `name` logged its `n`th finished or refused reload.
fn reloaded(lab: &Lab, name: &str, n: usize) {
    let done = wait_for(Duration::from_secs(3), || {
        count(lab, name, "Reload finished") + count(lab, name, "running one is kept") >= n
    });
    assert!(done.is_some(), "reload {n} not done: {}", lab.log(name));
}

/// Both nodes up: h1 master with `vips`, h2 backup.
fn two_nodes(tag: &str, vips: &[&str], second: bool) -> Lab {
    let mut lab = Lab::up(tag, 3);
    start_rs(&mut lab, 1, "h1", &conf("MASTER", 150, vips, second));
    start_rs(&mut lab, 2, "h2", &conf("BACKUP", 100, vips, second));
    let up = wait_for(Duration::from_secs(5), || lab.addr_show(1).contains(VIP));
    assert!(up.is_some(), "h1 never took the VIP: {}", lab.log("h1"));
    // h2 has heard h1 (its down timer would run out after 3.61 s).
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!lab.addr_show(2).contains(VIP), "{}", lab.log("h2"));
    lab
}

#[test]
fn reload_keeps_what_did_not_change() {
    if !lab::usable(&[]) {
        return;
    }
    let lab = two_nodes("r", &[VIP], true);
    let entering = |lab: &Lab, n: &str| count(lab, n, "Entering");
    let (e1, e2) = (entering(&lab, "h1"), entering(&lab, "h2"));

    // The same file: nothing changes, the VIP stays throughout.
    reload(&lab, "h1", &conf("MASTER", 150, &[VIP], true));
    reloaded(&lab, "h1", 1);
    let lost = wait_for(Duration::from_millis(1500), || {
        !lab.addr_show(1).contains(VIP)
    });
    assert!(lost.is_none(), "VIP gone after reload: {}", lab.log("h1"));
    assert_eq!(entering(&lab, "h1"), e1, "{}", lab.log("h1"));
    assert_eq!(entering(&lab, "h2"), e2, "{}", lab.log("h2"));

    // A VIP more, on both nodes: the master adds it, nobody transits.
    let wider = |state, prio| conf(state, prio, &[VIP, EXTRA], true);
    reload(&lab, "h1", &wider("MASTER", 150));
    reload(&lab, "h2", &wider("BACKUP", 100));
    let added = wait_for(Duration::from_secs(2), || lab.addr_show(1).contains(EXTRA));
    assert!(added.is_some(), "VIP not added: {}", lab.log("h1"));
    println!("added VIP in place after {:?}", added.unwrap());
    std::thread::sleep(Duration::from_millis(1500));
    assert!(lab.addr_show(1).contains(VIP));
    assert!(!lab.addr_show(2).contains(EXTRA), "{}", lab.log("h2"));
    assert_eq!(entering(&lab, "h1"), e1, "{}", lab.log("h1"));
    assert_eq!(entering(&lab, "h2"), e2, "{}", lab.log("h2"));

    // A lower priority (still above h2's): taken in place, no transition,
    // the VIP stays, h2 stays backup.
    reload(&lab, "h1", &wider("MASTER", 120));
    reloaded(&lab, "h1", 3);
    let changed = wait_for(Duration::from_secs(2), || {
        count(
            &lab,
            "h1",
            "(VI_1) Changing effective priority from 150 to 120",
        ) == 1
    });
    assert!(changed.is_some(), "{}", lab.log("h1"));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(lab.addr_show(1).contains(VIP));
    assert!(!lab.addr_show(2).contains(VIP), "{}", lab.log("h2"));
    assert_eq!(entering(&lab, "h1"), e1, "{}", lab.log("h1"));
    assert_eq!(entering(&lab, "h2"), e2, "{}", lab.log("h2"));

    // An invalid file: diagnostics, and everything keeps running.
    reload(
        &lab,
        "h1",
        "vrrp_instance VI_1 {\n  interface eth0\n  priority 300\n",
    );
    reloaded(&lab, "h1", 4);
    let h1 = lab.log("h1");
    assert!(h1.contains("running one is kept"), "{h1}");
    std::thread::sleep(Duration::from_millis(1500));
    let addrs = lab.addr_show(1);
    assert!(addrs.contains(VIP) && addrs.contains(EXTRA), "{addrs}");
    assert!(!lab.addr_show(2).contains(VIP), "{}", lab.log("h2"));
    assert_eq!(entering(&lab, "h1"), e1, "{}", lab.log("h1"));

    // VI_2 removed from h1 only: it sends priority 0 and removes its VIP;
    // h2 takes VI_2 over within its Skew_Time ((256 - 100) / 256 s =
    // 0.61 s), far sooner than its Master_Down_Interval (3.61 s).
    assert!(lab.addr_show(1).contains(VIP2));
    let start = Instant::now();
    reload(&lab, "h1", &conf("MASTER", 150, &[VIP, EXTRA], false));
    let took = wait_for(Duration::from_secs(5), || lab.addr_show(2).contains(VIP2))
        .map(|_| start.elapsed());
    let took = took.unwrap_or_else(|| panic!("h2 did not take VI_2: {}", lab.log("h2")));
    println!("removed instance: backup took over after {took:?} (Skew_Time 0.61 s)");
    assert!(took < Duration::from_millis(610 + 1000), "{took:?}");
    assert!(!lab.addr_show(1).contains(VIP2), "{}", lab.log("h1"));
    // VI_1 did not move.
    assert!(lab.addr_show(1).contains(VIP));
    assert!(!lab.addr_show(2).contains(VIP), "{}", lab.log("h2"));

    // An IPv6 instance runs on a router (socket) of its own: adding it
    // starts one, removing it stops it and removes its VIP; VI_1 stays.
    let base = conf("MASTER", 150, &[VIP, EXTRA], false);
    let v6 = format!(
        "{base}vrrp_instance VI_6 {{
  interface eth0
  state MASTER
  version 3
  virtual_router_id 56
  priority 150
  virtual_ipaddress {{
    {VIP6}
  }}
}}
"
    );
    let vi1 = count(&lab, "h1", "(VI_1) Entering");
    reload(&lab, "h1", &v6);
    let up = wait_for(Duration::from_secs(5), || lab.addr_show(1).contains(VIP6));
    assert!(up.is_some(), "no IPv6 VIP: {}", lab.log("h1"));
    reload(&lab, "h1", &base);
    let gone = wait_for(Duration::from_secs(3), || !lab.addr_show(1).contains(VIP6));
    assert!(gone.is_some(), "IPv6 VIP left: {}", lab.log("h1"));
    assert!(lab.addr_show(1).contains(VIP));
    assert_eq!(
        count(&lab, "h1", "(VI_1) Entering"),
        vi1,
        "{}",
        lab.log("h1")
    );
}

#[test]
fn reload_under_traffic() {
    if !lab::usable(&[]) {
        return;
    }
    let lab = two_nodes("t", &[VIP], false);
    let (e1, e2) = (count(&lab, "h1", "Entering"), count(&lab, "h2", "Entering"));
    // 1,100 pings, 10 ms apart (about 11 s), from h3 to the VIP.
    let vip: Ipv4Addr = VIP.split('/').next().unwrap().parse().unwrap();
    let client = lab.host(3);
    let pinger =
        std::thread::spawn(move || LabNs(client).ping(vip, 1100, Duration::from_millis(10)));
    std::thread::sleep(Duration::from_millis(300));
    // 20 reloads of both nodes, 500 ms apart, alternating between one VIP
    // and two; the VIP is watched every 10 ms in between.
    let mut absent = 0;
    for n in 1..=20 {
        let vips: &[&str] = if n % 2 == 1 { &[VIP, EXTRA] } else { &[VIP] };
        // The backup first, then the master, as an operator rolls a
        // change out: adverts listing other VIPs than a node's own are
        // discarded (keepalived does the same), so the master's adverts
        // must not run ahead of the backup's configuration for long.
        let until = Instant::now() + Duration::from_millis(500);
        reload(&lab, "h2", &conf("BACKUP", 100, vips, false));
        reloaded(&lab, "h2", n);
        reload(&lab, "h1", &conf("MASTER", 150, vips, false));
        while Instant::now() < until {
            if !lab.addr_show(1).contains(VIP) {
                absent += 1;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    let (sent, received) = pinger.join().unwrap();
    reloaded(&lab, "h1", 20);
    reloaded(&lab, "h2", 20);
    println!(
        "reload under traffic: 20 SIGHUPs on each node; pings sent {sent}, received {received}, \
         lost {}; VIP absent in {absent} samples; transitions h1 {}, h2 {}",
        sent - received,
        count(&lab, "h1", "Entering") - e1,
        count(&lab, "h2", "Entering") - e2
    );
    assert_eq!(sent, 1100);
    assert_eq!(received, sent);
    assert_eq!(absent, 0);
    assert_eq!(count(&lab, "h1", "Entering"), e1, "{}", lab.log("h1"));
    assert_eq!(count(&lab, "h2", "Entering"), e2, "{}", lab.log("h2"));
    // The last configuration had one VIP: the extra one is gone.
    assert!(!lab.addr_show(1).contains(EXTRA), "{}", lab.log("h1"));
}

/// A network namespace to ping from.
struct LabNs(String);

impl LabNs {
    /// Sends `count` ICMP echo requests to `dst`, `every` apart, from a raw
    /// socket in the namespace; returns (sent, distinct replies) counting
    /// replies up to 1 s after the last request.
    fn ping(&self, dst: Ipv4Addr, count: u16, every: Duration) -> (u32, u32) {
        let path = format!("/run/netns/{}", self.0);
        let file = std::fs::File::open(path).unwrap();
        nix::sched::setns(file, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        let socket = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4)).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let receiver = socket.try_clone().unwrap();
        let id = (std::process::id() & 0xffff) as u16;
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop = done.clone();
        let replies = std::thread::spawn(move || {
            let mut seen = vec![false; usize::from(count)];
            let mut buf = [0u8; 1500];
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let Ok(n) = (&receiver).read(&mut buf) else {
                    continue;
                };
                if let Some(seq) = echo_reply_seq(&buf[..n], id) {
                    if let Some(s) = seen.get_mut(usize::from(seq)) {
                        *s = true;
                    }
                }
            }
            seen.iter().filter(|s| **s).count() as u32
        });
        let to = SockAddr::from(SocketAddrV4::new(dst, 0));
        let start = Instant::now();
        let mut sent = 0;
        for seq in 0..count {
            let at = start + every * u32::from(seq);
            if let Some(wait) = at.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            if socket.send_to(&echo_request(id, seq), &to).is_ok() {
                sent += 1;
            }
        }
        std::thread::sleep(Duration::from_secs(1));
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        (sent, replies.join().unwrap())
    }
}

/// An ICMP echo request with identifier `id` and sequence `seq`.
fn echo_request(id: u16, seq: u16) -> Vec<u8> {
    let mut p = vec![8, 0, 0, 0];
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(b"lbkit-reload-test");
    let sum = checksum(&p);
    p[2..4].copy_from_slice(&sum.to_be_bytes());
    p
}

/// The Internet checksum (RFC 1071).
fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The sequence number of an echo reply to `id` (IPv4 header included).
fn echo_reply_seq(packet: &[u8], id: u16) -> Option<u16> {
    let ihl = usize::from(packet.first()? & 0x0f) * 4;
    let icmp = packet.get(ihl..)?;
    if icmp.len() < 8 || icmp[0] != 0 || u16::from_be_bytes([icmp[4], icmp[5]]) != id {
        return None;
    }
    Some(u16::from_be_bytes([icmp[6], icmp[7]]))
}

#[test]
fn reload_keeps_tracked_script_status() {
    if !lab::usable(&[]) {
        return;
    }
    let mut lab = Lab::up("s", 1);
    let dir = lab.dir().to_path_buf();
    let flag = dir.join("fail");
    let chk = dir.join("chk");
    std::fs::write(&chk, format!("#!/bin/sh\ntest ! -e {}\n", flag.display())).unwrap();
    std::fs::set_permissions(&chk, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(&flag, "").unwrap();
    let tracked = |interval: u32| {
        format!(
            "vrrp_script chk {{
  script \"{}\"
  interval {interval}
  weight -20
}}
vrrp_instance VI_1 {{
  interface eth0
  state MASTER
  virtual_router_id 51
  priority 150
  virtual_ipaddress {{
    {VIP}
  }}
  track_script {{
    chk
  }}
}}
",
            chk.display()
        )
    };
    // Interval 3 s: the first run (at once) fails, the next is 3 s away.
    start_rs(&mut lab, 1, "h1", &tracked(3));
    let down = wait_for(Duration::from_secs(5), || {
        count(&lab, "h1", "Changing effective priority from 150 to 130") == 1
    });
    assert!(down.is_some(), "{}", lab.log("h1"));

    // The script recovers and, before its next run, the reload changes its
    // interval: its new task starts from the status it had (failed), so
    // its first run, a success, brings the priority back. (Started as if
    // up, it would see no change and leave the instance at 130.)
    std::fs::remove_file(&flag).unwrap();
    reload(&lab, "h1", &tracked(1));
    reloaded(&lab, "h1", 1);
    let up = wait_for(Duration::from_secs(3), || {
        count(&lab, "h1", "Changing effective priority from 130 to 150") == 1
    });
    assert!(up.is_some(), "{}", lab.log("h1"));
    // Not restarted: it entered BACKUP once, at start.
    assert_eq!(
        count(&lab, "h1", "(VI_1) Entering BACKUP"),
        1,
        "{}",
        lab.log("h1")
    );
}
