//! Real traffic through the real kernel (inside the VM): a client
//! namespace, the VM's own namespace as the director, three real-server
//! namespaces running busybox httpd; NAT and direct-routing services set
//! up with lbkit-ipvs; connections counted per server and compared with
//! the scheduler's expectation, the kernel's counters, and lbkit-sched's
//! picks for the same sequence (the scheduler differential).

#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stdout)]

mod vm;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lbkit_ipvs::*;
use lbkit_sched::ipvs::Scheduler as SimScheduler;
use lbkit_sched::{Protocol as SimProtocol, RequestKey, ServerConfig, ServerId};
use vm::{fresh_client, in_vm, sh};

/// iproute2 (busybox's `ip` comes first on the guest's PATH).
const IP: &str = "/usr/sbin/ip";
/// The NAT service's address (on the director's client side).
const VIP_NAT: &str = "203.0.113.100";
/// The direct-routing services' addresses are `198.51.100.100 + n` (on
/// the servers' segment), one per round: destinations of a deleted
/// service that still has connections wait in the kernel's trash and come
/// back, counters included, when the same service is added again.
const DR_VIPS: u8 = 4;

/// The lab: namespaces, links, addresses and the server processes,
/// removed on drop (failures included).
struct Lab {
    servers: Vec<Child>,
}

impl Lab {
    /// Builds the lab.
    fn up() -> Lab {
        Lab::down_quietly();
        let mut lab = Lab {
            servers: Vec::new(),
        };
        let dr_last = 100 + DR_VIPS - 1;
        sh(&format!(
            "set -e
            echo 1 >/proc/sys/net/ipv4/ip_forward
            {IP} link add br-back type bridge
            {IP} addr add 198.51.100.1/24 dev br-back
            for n in $(seq 100 {dr_last}); do {IP} addr add 198.51.100.$n/32 dev br-back; done
            {IP} link set br-back up
            {IP} netns add lvs-c
            {IP} link add d-front type veth peer name eth0 netns lvs-c
            {IP} addr add 203.0.113.1/24 dev d-front
            {IP} addr add {VIP_NAT}/32 dev d-front
            {IP} link set d-front up
            {IP} -n lvs-c link set lo up
            {IP} -n lvs-c addr add 203.0.113.2/24 dev eth0
            {IP} -n lvs-c link set eth0 up
            {IP} -n lvs-c route add default via 203.0.113.1
            {IP} link add c-back type veth peer name eth1 netns lvs-c
            {IP} link set c-back master br-back up
            {IP} -n lvs-c addr add 198.51.100.2/24 dev eth1
            {IP} -n lvs-c link set eth1 up
            for i in $(seq 10 29); do {IP} -n lvs-c addr add 203.0.113.$i/24 dev eth0; done"
        ));
        for i in 1..=3 {
            sh(&format!(
                "set -e
                {IP} netns add lvs-s{i}
                {IP} link add s{i}-d type veth peer name eth0 netns lvs-s{i}
                {IP} link set s{i}-d master br-back up
                {IP} -n lvs-s{i} link set lo up
                {IP} -n lvs-s{i} addr add 198.51.100.1{i}/24 dev eth0
                {IP} -n lvs-s{i} link set eth0 up
                {IP} -n lvs-s{i} route add default via 198.51.100.1
                for n in $(seq 100 {dr_last}); do {IP} -n lvs-s{i} addr add 198.51.100.$n/32 dev lo; done
                {IP} netns exec lvs-s{i} sh -c 'echo 1 >/proc/sys/net/ipv4/conf/all/arp_ignore; echo 2 >/proc/sys/net/ipv4/conf/all/arp_announce'
                mkdir -p /tmp/lvs-s{i}
                echo s{i} >/tmp/lvs-s{i}/index.html"
            ));
            let child = Command::new(IP)
                .args(["netns", "exec", &format!("lvs-s{i}")])
                .args(["busybox", "httpd", "-f", "-p", "80", "-h"])
                .arg(format!("/tmp/lvs-s{i}"))
                .stdin(Stdio::null())
                .spawn()
                .unwrap();
            lab.servers.push(child);
        }
        for i in 1..=3 {
            let deadline = Instant::now() + Duration::from_secs(10);
            let direct = sa(&format!("198.51.100.1{i}:80"));
            while get(direct).as_deref() != Some(&format!("s{i}")) {
                assert!(Instant::now() < deadline, "server s{i} did not come up");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        lab
    }

    /// Removes what a previous run may have left.
    fn down_quietly() {
        let _ = Command::new("/bin/sh")
            .arg("-c")
            .arg(format!(
                "for l in s1-d s2-d s3-d c-back d-front br-back; do {IP} link del $l; done; for n in lvs-c lvs-s1 lvs-s2 lvs-s3; do {IP} netns del $n; done"
            ))
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for child in &mut self.servers {
            let _ = child.kill();
            let _ = child.wait();
        }
        Lab::down_quietly();
    }
}

/// One HTTP GET from the client namespace (busybox nc: the static
/// busybox's wget crashes without NSS); the body, trimmed.
fn get(to: SocketAddr) -> Option<String> {
    use std::io::Write;
    let mut child = Command::new(IP)
        .args([
            "netns",
            "exec",
            "lvs-c",
            "busybox",
            "nc",
            "-w",
            "5",
            &to.ip().to_string(),
            &to.port().to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()?
        .write_all(b"GET / HTTP/1.0\r\n\r\n")
        .ok()?;
    let out = child.wait_with_output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let (head, body) = text.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200")
        .then(|| body.trim().to_string())
}

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// The real servers, in the order they are added.
fn servers(port: u16) -> Vec<SocketAddr> {
    (1..=3)
        .map(|i| SocketAddr::new(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 10 + i)), port))
        .collect()
}

/// A fresh service on `vip` with the three servers on port 80 (weights
/// 3, 2, 1).
fn service(c: &mut Client, vip: SocketAddr, sched: &str, forward: ForwardMethod) -> ServiceKey {
    let key = ServiceKey::tcp(vip);
    let _ = c.del_service(&key);
    c.add_service(&Service::new(key).scheduler(sched)).unwrap();
    for (addr, w) in servers(80).into_iter().zip([3, 2, 1]) {
        c.add_dest(&key, &Destination::new(addr).forward(forward).weight(w))
            .unwrap();
    }
    // Destinations come back from the kernel's trash with their old
    // counters: start from zero.
    c.zero(Some(&key)).unwrap();
    let order: Vec<_> = c
        .destinations(&key)
        .unwrap()
        .iter()
        .map(|d| d.destination.addr)
        .collect();
    println!("{sched}: kernel list order {order:?}");
    key
}

/// lbkit-sched with the same servers, added in the same order.
fn simulator(sched: &str) -> SimScheduler {
    let mut s = SimScheduler::from_name(sched).unwrap();
    for (i, (addr, w)) in servers(80).into_iter().zip([3, 2, 1]).enumerate() {
        s.add(ServerId(i as u32 + 1), ServerConfig::new(w).addr(addr))
            .unwrap();
    }
    s
}

/// `n` sequential requests; how many each server answered.
fn spread(vip: SocketAddr, n: usize) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for _ in 0..n {
        let body = get(vip).unwrap_or_else(|| panic!("request to {vip} failed"));
        *counts.entry(body).or_insert(0) += 1;
    }
    counts
}

/// Per-server counts as a map `s1 -> n`.
fn named(counts: [usize; 3]) -> BTreeMap<String, usize> {
    counts
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(|(i, &n)| (format!("s{}", i + 1), n))
        .collect()
}

/// What lbkit-sched picks for `n` sequential, closed connections from one
/// client (each left inactive in the kernel's table afterwards).
fn simulate_closed(sched: &str, src: &str, dst: SocketAddr, n: usize) -> BTreeMap<String, usize> {
    let mut sim = simulator(sched);
    let mut counts = [0usize; 3];
    let mut inactive = [0u32; 3];
    for _ in 0..n {
        let key = RequestKey::new()
            .src(sa(src))
            .dst(dst)
            .protocol(SimProtocol::Tcp);
        let id = sim.pick(&key).unwrap();
        let i = id.0 as usize - 1;
        counts[i] += 1;
        inactive[i] += 1;
        sim.set_connections(id, 0, inactive[i]).unwrap();
    }
    named(counts)
}

/// Kernel per-destination connection counters and the service's total,
/// once the total reached `expected` (the kernel folds its per-CPU
/// counters into what it reports every 2 s) or after 8 s.
fn kernel_conns(c: &mut Client, key: &ServiceKey, expected: u64) -> (BTreeMap<String, usize>, u64) {
    let deadline = Instant::now() + Duration::from_secs(8);
    while c.service(key).unwrap().stats64.unwrap().conns < expected && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    read_conns(c, key)
}

/// Kernel per-destination connection counters and the service's total.
fn read_conns(c: &mut Client, key: &ServiceKey) -> (BTreeMap<String, usize>, u64) {
    let mut counts = [0usize; 3];
    for d in c.destinations(key).unwrap() {
        let i = servers(80)
            .iter()
            .position(|a| *a == d.destination.addr)
            .unwrap();
        counts[i] = d.stats64.unwrap().conns as usize;
    }
    let total = c.service(key).unwrap().stats64.unwrap().conns;
    (named(counts), total)
}

#[test]
#[ignore = "needs a real IPVS kernel: cargo xtask vm test"]
fn nat_and_dr_traffic_follows_the_scheduler() {
    if !in_vm("nat_and_dr_traffic_follows_the_scheduler") {
        return;
    }
    let mut c = fresh_client();
    let _lab = Lab::up();
    for (label, forward, client_src) in [
        ("NAT", ForwardMethod::Masquerade, "203.0.113.2:0"),
        ("DR", ForwardMethod::Route, "198.51.100.2:0"),
    ] {
        for (round, sched) in ["rr", "wrr", "wlc", "sh"].into_iter().enumerate() {
            let vip = match forward {
                ForwardMethod::Masquerade => sa(&format!("{VIP_NAT}:{}", 8080 + round)),
                _ => sa(&format!("198.51.100.{}:80", 100 + round)),
            };
            let key = service(&mut c, vip, sched, forward);
            let seen = spread(vip, 12);
            let predicted = simulate_closed(sched, client_src, vip, 12);
            println!("{label} {sched}: per server {seen:?} (lbkit-sched: {predicted:?})");
            // Hand-derived: rr splits evenly, wrr and wlc by weight 3:2:1,
            // sh sends one source to one server.
            match sched {
                "rr" => assert_eq!(seen, named([4, 4, 4]), "{label} rr"),
                "wrr" | "wlc" => assert_eq!(seen, named([6, 4, 2]), "{label} {sched}"),
                _ => assert_eq!(seen.len(), 1, "{label} sh: {seen:?}"),
            }
            assert_eq!(seen, predicted, "{label} {sched}: kernel vs lbkit-sched");
            // The kernel's counters match the traffic.
            let (per_dest, total) = kernel_conns(&mut c, &key, 12);
            assert_eq!(per_dest, seen, "{label} {sched}: destination counters");
            assert_eq!(total, 12, "{label} {sched}: service counter");
            let stats = c.service(&key).unwrap().stats64.unwrap();
            assert!(stats.in_pkts >= 12 * 4, "{label} {sched}: {stats:?}");
            match forward {
                // NAT sees the replies, DR never does.
                ForwardMethod::Masquerade => assert!(stats.out_pkts >= 12 * 3, "{stats:?}"),
                _ => assert_eq!(stats.out_pkts, 0, "{stats:?}"),
            }
            // Zeroing the service zeroes it and its destinations.
            c.zero(Some(&key)).unwrap();
            let (per_dest, total) = read_conns(&mut c, &key);
            assert_eq!(
                (per_dest, total),
                (BTreeMap::new(), 0),
                "{label} {sched}: zero"
            );
            if sched == "rr" {
                // Weight 0 quiesces s3: new connections avoid it.
                c.edit_dest(
                    &key,
                    &Destination::new(servers(80)[2]).forward(forward).weight(0),
                )
                .unwrap();
                let after = spread(vip, 6);
                println!("{label} rr with s3 at weight 0: {after:?}");
                assert_eq!(after, named([3, 3, 0]), "{label} quiesce");
            }
            c.del_service(&key).unwrap();
        }
    }
}

/// Opens a connection from the client namespace with source `src` and
/// keeps it open (nc with an open stdin) until the child is killed.
fn hold_connection(src: &str, vip: SocketAddr) -> Child {
    let ip = vip.ip();
    sh(&format!(
        "{IP} -n lvs-c route replace {ip}/32 dev eth0 src {src}"
    ));
    Command::new(IP)
        .args(["netns", "exec", "lvs-c", "busybox", "nc"])
        .arg(ip.to_string())
        .arg(vip.port().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

/// Active connections over the service's destinations.
fn active(c: &mut Client, key: &ServiceKey) -> u32 {
    c.destinations(key)
        .unwrap()
        .iter()
        .map(|d| d.active_conns)
        .sum()
}

#[test]
#[ignore = "needs a real IPVS kernel: cargo xtask vm test"]
fn kernel_picks_equal_lbkit_sched() {
    if !in_vm("kernel_picks_equal_lbkit_sched") {
        return;
    }
    let mut c = fresh_client();
    let _lab = Lab::up();
    const N: usize = 12;
    for (round, sched) in ["rr", "wrr", "lc", "wlc", "sed", "nq", "dh", "sh", "mh"]
        .into_iter()
        .enumerate()
    {
        let vip = sa(&format!("{VIP_NAT}:{}", 9000 + round));
        let key = service(&mut c, vip, sched, ForwardMethod::Masquerade);
        let mut sim = simulator(sched);
        let mut predicted = [0usize; 3];
        let mut held = Vec::new();
        for i in 0..N {
            let src = format!("203.0.113.{}", 10 + i);
            held.push(hold_connection(&src, vip));
            // Wait until the kernel counts it established, so the next
            // pick sees it, as lbkit-sched will.
            let deadline = Instant::now() + Duration::from_secs(10);
            while active(&mut c, &key) < i as u32 + 1 {
                assert!(
                    Instant::now() < deadline,
                    "{sched}: connection {i} not established"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            let k = RequestKey::new()
                .src(sa(&format!("{src}:0")))
                .dst(vip)
                .protocol(SimProtocol::Tcp);
            let id = sim.pick(&k).unwrap();
            sim.connection_opened(id).unwrap();
            predicted[id.0 as usize - 1] += 1;
        }
        let (kernel, total) = kernel_conns(&mut c, &key, N as u64);
        for mut h in held {
            let _ = h.kill();
            let _ = h.wait();
        }
        println!(
            "{sched}: kernel {kernel:?}, lbkit-sched {:?}",
            named(predicted)
        );
        assert_eq!(total, N as u64, "{sched}");
        assert_eq!(kernel, named(predicted), "{sched}: kernel vs lbkit-sched");
        c.del_service(&key).unwrap();
    }
    println!("kernel picks identical to lbkit-sched for rr wrr lc wlc sed nq dh sh mh");
    sh(&format!("{IP} -n lvs-c route del {VIP_NAT}/32 || true"));
}
