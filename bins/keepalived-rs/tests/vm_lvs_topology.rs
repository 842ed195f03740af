//! The seed's §4.1 topology inside the IPVS VM (`cargo xtask vm test`),
//! with documentation addresses: a client, two directors running
//! keepalived-rs (VRRP instances RH_EXT on the public side and RH_INT, the
//! real servers' gateway, on the private side; a NAT virtual server with
//! TCP_CHECKs), four real servers running busybox httpd.
//! Every host is a network namespace on one of two bridges.
//!
//! `nat_directors_balance_check_and_fail_over`:
//! - traffic to the VIP is spread round robin over the four servers;
//! - killing a server's httpd removes it from the table after its check
//!   fails, and traffic goes to the other three;
//! - killing the master director (kill -9 and its links down, a machine
//!   gone) moves both VIPs to the backup, and the service continues
//!   through it;
//! - SIGTERM on the backup removes its VIPs and its IPVS service.
//!
//! The times are printed. §4.1's `delay_loop 6` / `connect_timeout 10`
//! are 1 / 1 here to keep the emulated VM run short. Its
//! `vrrp_sync_group VG1` spans eth0 and eth1: both instances move as
//! one.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// iproute2 (busybox's `ip` comes first on the guest's PATH).
const IP: &str = "/usr/sbin/ip";
/// The real ipvsadm (the ipvsadm example is renamed in the guest).
const IPVSADM: &str = "/usr/sbin/ipvsadm";
/// Longest wait for any expected change (the VM is emulated: slow).
const WAIT: Duration = Duration::from_secs(60);
/// The public VIP.
const VIP: &str = "203.0.113.100";

/// Whether the test may run; outside the VM it says why it is skipped
/// (and fails under `CI=true`).
fn in_vm(test: &str) -> bool {
    if std::env::var("LBKIT_IPVS_VM").as_deref() == Ok("1") {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test} needs a real IPVS kernel: run it with `cargo xtask vm test`");
    }
    eprintln!("skipped {test}: not inside the IPVS VM (run `cargo xtask vm test`)");
    false
}

/// The daemon: shipped into the guest's `/payload`, else cargo's build.
fn daemon_binary() -> PathBuf {
    let shipped = PathBuf::from("/payload/keepalived-rs");
    if shipped.is_file() {
        shipped
    } else {
        PathBuf::from(env!("CARGO_BIN_EXE_keepalived-rs"))
    }
}

/// Runs a shell command line in the guest, which must succeed; its output.
fn sh(line: &str) -> String {
    let out = Command::new("/bin/sh").args(["-c", line]).output().unwrap();
    assert!(
        out.status.success(),
        "`{line}`: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Namespaces `ka-c`, `ka-d1`, `ka-d2`, `ka-s1`..`ka-s4`, two bridges,
/// the httpd servers and the daemons; all removed on drop.
struct Lab {
    servers: Vec<Option<Child>>,
    directors: Vec<Option<Child>>,
    dir: PathBuf,
}

const NAMESPACES: [&str; 7] = ["ka-c", "ka-d1", "ka-d2", "ka-s1", "ka-s2", "ka-s3", "ka-s4"];

impl Lab {
    fn up() -> Lab {
        Lab::down_quietly();
        let dir = std::env::temp_dir().join(format!("ka-topo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut script = format!(
            "set -e
            {IP} link add ka-front type bridge
            {IP} link set ka-front up
            {IP} link add ka-back type bridge
            {IP} link set ka-back up
            for n in {ns}; do {IP} netns add $n; {IP} -n $n link set lo up; done
            {IP} link add kc type veth peer name eth0 netns ka-c
            {IP} link set kc master ka-front up
            {IP} -n ka-c addr add 203.0.113.2/24 dev eth0
            {IP} -n ka-c link set eth0 up
",
            ns = NAMESPACES.join(" ")
        );
        for d in 1..=2 {
            script.push_str(&format!(
                "{IP} link add kd{d}f type veth peer name eth0 netns ka-d{d}
                {IP} link set kd{d}f master ka-front up
                {IP} link add kd{d}b type veth peer name eth1 netns ka-d{d}
                {IP} link set kd{d}b master ka-back up
                {IP} -n ka-d{d} addr add 203.0.113.1{d}/24 dev eth0
                {IP} -n ka-d{d} addr add 198.51.100.{a}/24 dev eth1
                {IP} -n ka-d{d} link set eth0 up
                {IP} -n ka-d{d} link set eth1 up
                {IP} netns exec ka-d{d} sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
",
                a = d + 1
            ));
        }
        for s in 1..=4 {
            script.push_str(&format!(
                "{IP} link add ks{s} type veth peer name eth0 netns ka-s{s}
                {IP} link set ks{s} master ka-back up
                {IP} -n ka-s{s} addr add 198.51.100.1{s}/24 dev eth0
                {IP} -n ka-s{s} link set eth0 up
                {IP} -n ka-s{s} route add default via 198.51.100.1
                mkdir -p {dir}/www{s}
                echo s{s} >{dir}/www{s}/index.html
",
                dir = dir.display()
            ));
        }
        sh(&script);
        let mut lab = Lab {
            servers: Vec::new(),
            directors: Vec::new(),
            dir,
        };
        for s in 1..=4 {
            let child = Command::new(IP)
                .args(["netns", "exec", &format!("ka-s{s}")])
                .args(["busybox", "httpd", "-f", "-p", "80", "-h"])
                .arg(lab.dir.join(format!("www{s}")))
                .stdin(Stdio::null())
                .spawn()
                .unwrap();
            lab.servers.push(Some(child));
        }
        lab
    }

    /// Starts keepalived-rs in director `d` (1 or 2).
    fn start_director(&mut self, d: usize, state: &str, priority: u8) {
        let conf = self.dir.join(format!("d{d}.conf"));
        std::fs::write(&conf, config(state, priority)).unwrap();
        let log = std::fs::File::create(self.dir.join(format!("d{d}.log"))).unwrap();
        let child = Command::new(IP)
            .args(["netns", "exec", &format!("ka-d{d}")])
            .arg(daemon_binary())
            .args(["-n", "-l", "-f"])
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        self.directors.push(Some(child));
    }

    /// Both directors' logs, for failure messages.
    fn logs(&self) -> String {
        (1..=2)
            .map(|d| {
                let text =
                    std::fs::read_to_string(self.dir.join(format!("d{d}.log"))).unwrap_or_default();
                format!("--- d{d} ---\n{text}")
            })
            .collect()
    }

    fn down_quietly() {
        let mut line = format!("{IP} link del ka-front; {IP} link del ka-back;");
        for n in NAMESPACES {
            line.push_str(&format!(" {IP} netns del {n};"));
        }
        let _ = Command::new("/bin/sh")
            .arg("-c")
            .arg(line)
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for child in self.servers.iter_mut().chain(&mut self.directors).flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
        Lab::down_quietly();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// §4.1's configuration with documentation addresses and short timers.
fn config(state: &str, priority: u8) -> String {
    let auth = "authentication {\n        auth_type PASS\n        auth_pass passw123\n    }";
    let mut servers = String::new();
    for s in 1..=4 {
        servers.push_str(&format!(
            "    real_server 198.51.100.1{s} 80 {{
        TCP_CHECK {{
            connect_timeout 1
            warmup 0
        }}
    }}
"
        ));
    }
    format!(
        "vrrp_sync_group VG1 {{
    group {{
        RH_EXT
        RH_INT
    }}
}}
vrrp_instance RH_EXT {{
    state {state}
    interface eth0
    virtual_router_id 50
    priority {priority}
    advert_int 1
    {auth}
    virtual_ipaddress {{
        {VIP}
    }}
}}
vrrp_instance RH_INT {{
    state {state}
    interface eth1
    virtual_router_id 2
    priority {priority}
    advert_int 1
    {auth}
    virtual_ipaddress {{
        198.51.100.1
    }}
}}
virtual_server {VIP} 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
{servers}}}
"
    )
}

/// One HTTP GET of the VIP from the client (busybox nc); the body.
fn get() -> Option<String> {
    let mut child = Command::new(IP)
        .args([
            "netns", "exec", "ka-c", "busybox", "nc", "-w", "3", VIP, "80",
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

/// `n` GETs; answers counted by server.
fn spread(n: usize) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for _ in 0..n {
        let who = get().unwrap_or_else(|| "failed".into());
        *out.entry(who).or_insert(0) += 1;
    }
    out
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// The real servers in director `d`'s IPVS table.
fn table(d: usize) -> Vec<String> {
    sh(&format!("{IP} netns exec ka-d{d} {IPVSADM} -Ln"))
        .lines()
        .filter_map(|l| l.trim().strip_prefix("-> 198.51.100."))
        .map(|l| format!("198.51.100.{}", l.split_whitespace().next().unwrap_or("")))
        .collect::<std::collections::BTreeSet<String>>()
        .into_iter()
        .collect()
}

/// Whether director `d` holds the address on `dev`.
fn holds(d: usize, dev: &str, addr: &str) -> bool {
    sh(&format!("{IP} -n ka-d{d} -4 addr show dev {dev}")).contains(&format!("inet {addr}/"))
}

/// Waits for `cond`; returns the time it took.
fn wait(lab: &Lab, what: &str, mut cond: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !cond() {
        if start.elapsed() > WAIT {
            panic!("timed out waiting for {what}\n{}", lab.logs());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    start.elapsed()
}

fn all4() -> Vec<String> {
    (1..=4).map(|s| format!("198.51.100.1{s}:80")).collect()
}

#[test]
#[ignore = "needs a real IPVS kernel: cargo xtask vm test"]
fn nat_directors_balance_check_and_fail_over() {
    if !in_vm("nat_directors_balance_check_and_fail_over") {
        return;
    }
    let mut lab = Lab::up();
    lab.start_director(1, "MASTER", 100);
    lab.start_director(2, "BACKUP", 99);
    let t = wait(&lab, "d1 to hold both VIPs", || {
        holds(1, "eth0", VIP) && holds(1, "eth1", "198.51.100.1")
    });
    println!("d1 master with both VIPs after {:.2} s", t.as_secs_f64());
    wait(&lab, "both tables with four servers", || {
        table(1) == all4() && table(2) == all4()
    });
    assert!(!holds(2, "eth0", VIP), "{}", lab.logs());

    // Round robin over four servers.
    assert_eq!(
        spread(8),
        counts(&[("s1", 2), ("s2", 2), ("s3", 2), ("s4", 2)]),
        "{}",
        lab.logs()
    );

    // s4's httpd dies: its check fails (retry 1, delay_before_retry 1).
    if let Some(mut s4) = lab.servers[3].take() {
        s4.kill().unwrap();
        s4.wait().unwrap();
    }
    let three: Vec<String> = all4().into_iter().take(3).collect();
    let t = wait(&lab, "s4 out of d1's table", || table(1) == three);
    println!(
        "s4 killed to removed from the master's table: {:.2} s",
        t.as_secs_f64()
    );
    wait(&lab, "s4 out of d2's table", || table(2) == three);
    assert_eq!(
        spread(6),
        counts(&[("s1", 2), ("s2", 2), ("s3", 2)]),
        "{}",
        lab.logs()
    );

    // The master director dies (process and links).
    if let Some(mut d1) = lab.directors[0].take() {
        d1.kill().unwrap();
        d1.wait().unwrap();
    }
    sh(&format!(
        "{IP} -n ka-d1 link set eth0 down; {IP} -n ka-d1 link set eth1 down"
    ));
    let t = wait(&lab, "d2 to hold both VIPs", || {
        holds(2, "eth0", VIP) && holds(2, "eth1", "198.51.100.1")
    });
    println!(
        "master gone to backup holding both VIPs: {:.2} s",
        t.as_secs_f64()
    );
    let t = wait(&lab, "service through d2", || get().is_some());
    println!(
        "first answer through d2 after {:.2} s more",
        t.as_secs_f64()
    );
    let served = spread(6);
    assert_eq!(served.get("failed"), None, "{served:?}\n{}", lab.logs());
    assert_eq!(served.values().sum::<usize>(), 6);
    assert!(served
        .keys()
        .all(|k| ["s1", "s2", "s3"].contains(&k.as_str())));

    // SIGTERM: d2 removes its VIPs and its service.
    if let Some(mut d2) = lab.directors[1].take() {
        sh(&format!("kill -TERM {}", d2.id()));
        let status = d2.wait().unwrap();
        assert!(status.success(), "{status:?}\n{}", lab.logs());
    }
    assert!(!holds(2, "eth0", VIP), "{}", lab.logs());
    assert!(table(2).is_empty(), "{}", lab.logs());
    let services = sh(&format!("{IP} netns exec ka-d2 {IPVSADM} -Ln"));
    assert!(!services.contains("TCP"), "{services}");
}
