//! keepalived-rs's LVS side against a real IPVS kernel, inside the VM
//! `cargo xtask vm test` boots (it sets `LBKIT_IPVS_VM=1` and ships the
//! daemon as `/payload/keepalived-rs`).
//!
//! `checks_drive_the_ipvs_table`: two virtual servers whose real servers
//! are TCP ports of a namespace behind a veth pair, one served by busybox
//! httpd (weight 3), one closed (weight 2):
//! - at start the closed one is removed from the plain service and kept
//!   at weight 0 in the `inhibit_on_failure` one; an IPVS service the
//!   configuration does not name is left alone;
//! - closing the open listener removes it (weight 0 with inhibit); the
//!   plain service, out of quorum, then holds its sorry server alone;
//! - listening again brings it back at weight 3 and the sorry server
//!   leaves;
//! - each reconcile only holds what changed (14 operations in all);
//! - SIGUSR1 writes the state dump; SIGTERM removes both services and
//!   nothing else.
//!
//! `sync_daemon_follows_vrrp`: with `lvs_sync_daemon` following a
//! MASTER instance, the master sync daemon runs once the instance is
//! master, next to the virtual server; SIGTERM stops it and removes the
//! service. With `-P` (VRRP only) the sync daemon runs but no service is
//! created.
//!
//! `keepalived_reaches_the_same_tables`: the first scenario with the real
//! keepalived 2.2.7 (`-C`) reaches the same tables at each step.
//!
//! The times from a listener's change to the table's are printed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use lbkit_ipvs::{Client, DaemonState, Destination, ForwardMethod, Service, ServiceKey};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long any expected change may take (the VM is emulated: slow).
const WAIT: Duration = Duration::from_secs(40);

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

/// iproute2 (busybox's `ip` comes first on the guest's PATH).
const IP: &str = "/usr/sbin/ip";
/// The real servers' namespace.
const NS: &str = "ka-rs";
/// The real servers' address (in [`NS`]); the director side is .1.
const RS_IP: &str = "198.51.100.2";
/// The sorry server (never checked: it need not exist).
const SORRY_IP: &str = "198.51.100.3";

/// Runs a shell command line in the guest, which must succeed.
fn sh(line: &str) {
    let out = Command::new("/bin/sh").args(["-c", line]).output().unwrap();
    assert!(
        out.status.success(),
        "`{line}`: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A namespace holding the real servers' address, joined to the guest by
/// a veth pair: a destination the kernel does not see as local (a local
/// one would be turned into a "Local" destination). Removed on drop.
struct Lab;

impl Lab {
    fn up() -> Lab {
        Lab::down_quietly();
        sh(&format!(
            "set -e
            {IP} netns add {NS}
            {IP} link add ka-d type veth peer name eth0 netns {NS}
            {IP} addr add 198.51.100.1/24 dev ka-d
            {IP} link set ka-d up
            {IP} -n {NS} link set lo up
            {IP} -n {NS} addr add {RS_IP}/24 dev eth0
            {IP} -n {NS} link set eth0 up
            mkdir -p /tmp/ka-www
            echo ok >/tmp/ka-www/index.html"
        ));
        Lab
    }

    fn down_quietly() {
        let _ = Command::new("/bin/sh")
            .arg("-c")
            .arg(format!("{IP} link del ka-d; {IP} netns del {NS}"))
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        Lab::down_quietly();
    }
}

/// A real server: busybox httpd in the namespace; killed on drop.
struct Listener(Child);

impl Listener {
    fn open(port: u16) -> Listener {
        let child = Command::new(IP)
            .args(["netns", "exec", NS, "busybox", "httpd", "-f", "-p"])
            .arg(port.to_string())
            .args(["-h", "/tmp/ka-www"])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let to: SocketAddr = format!("{RS_IP}:{port}").parse().unwrap();
        let start = Instant::now();
        while std::net::TcpStream::connect_timeout(&to, Duration::from_secs(1)).is_err() {
            assert!(start.elapsed() < WAIT, "httpd on {to} did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
        Listener(child)
    }

    /// Stops the server: its port is closed.
    fn close(self) {}
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The daemon process, killed on drop if still running; its log kept.
struct Daemon {
    child: Child,
    log: PathBuf,
}

impl Daemon {
    fn start(config: &str, dir: &std::path::Path, flags: &[&str]) -> Daemon {
        Daemon::start_program(&daemon_binary(), config, dir, flags)
    }

    fn start_program(
        program: &std::path::Path,
        config: &str,
        dir: &std::path::Path,
        flags: &[&str],
    ) -> Daemon {
        let conf = dir.join("keepalived.conf");
        std::fs::write(&conf, config).unwrap();
        let log = dir.join("daemon.log");
        let child = Command::new(program)
            .args(["-n", "-l"])
            .args(flags)
            .arg("-f")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Daemon { child, log }
    }

    fn signal(&self, sig: Signal) {
        kill(Pid::from_raw(self.child.id() as i32), sig).unwrap();
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The destinations of `key` as (address, weight), sorted; `None` when
/// the service is absent.
fn table(c: &mut Client, key: &ServiceKey) -> Option<Vec<(SocketAddr, u32)>> {
    let state = c.state().unwrap();
    let s = state.into_iter().find(|s| s.service.key == *key)?;
    let mut d: Vec<(SocketAddr, u32)> = s.destinations.iter().map(|d| (d.addr, d.weight)).collect();
    d.sort();
    Some(d)
}

/// Waits until `key`'s destinations are `want`; returns how long it took.
fn wait_for(
    c: &mut Client,
    daemon: &Daemon,
    key: &ServiceKey,
    want: &[(SocketAddr, u32)],
) -> Duration {
    let start = Instant::now();
    let mut want = want.to_vec();
    want.sort();
    loop {
        let got = table(c, key);
        if got.as_deref() == Some(&want[..]) {
            return start.elapsed();
        }
        if start.elapsed() > WAIT {
            panic!(
                "{key}: want {want:?}, have {got:?}\n--- daemon log ---\n{}",
                daemon.log()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn config(open: u16, closed: u16) -> String {
    let check = "TCP_CHECK {\n            connect_timeout 1\n            warmup 0\n        }";
    format!(
        "virtual_server 192.0.2.10 80 {{
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    retry 1
    delay_before_retry 1
    sorry_server {SORRY_IP} 8000
    real_server {RS_IP} {open} {{
        weight 3
        {check}
    }}
    real_server {RS_IP} {closed} {{
        weight 2
        {check}
    }}
}}
virtual_server 192.0.2.11 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    inhibit_on_failure
    real_server {RS_IP} {open} {{
        weight 3
        {check}
    }}
    real_server {RS_IP} {closed} {{
        weight 2
        {check}
    }}
}}
"
    )
}

/// The shared scenario's times: closed port removed after start, open
/// server removed (sorry server in) after its listener closed, back after
/// it listens again.
#[derive(Debug)]
struct Times {
    start: Duration,
    down: Duration,
    up: Duration,
}

/// The scenario of the module's documentation, with `start` starting the
/// daemon: checks the table at each step and stops the daemon with
/// SIGTERM; `during` runs before the SIGTERM (dump, log checks). Returns
/// the times and the daemon's log.
fn scenario(
    test: &str,
    start: impl FnOnce(&str, &std::path::Path) -> Daemon,
    during: impl FnOnce(&Daemon),
) -> (Times, String) {
    let dir = std::env::temp_dir().join(format!("vm-lvs-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut c = Client::connect().unwrap();
    c.flush().unwrap();
    // Someone else's service: must survive the daemon.
    let other = ServiceKey::tcp("192.0.2.99:80".parse().unwrap());
    c.add_service(&Service::new(other)).unwrap();
    c.add_dest(&other, &Destination::new("127.0.0.1:9".parse().unwrap()))
        .unwrap();

    let lab = Lab::up();
    let (open, closed) = (8080, 8081);
    let a: SocketAddr = format!("{RS_IP}:{open}").parse().unwrap();
    let b: SocketAddr = format!("{RS_IP}:{closed}").parse().unwrap();
    let s: SocketAddr = format!("{SORRY_IP}:8000").parse().unwrap();
    let plain = ServiceKey::tcp("192.0.2.10:80".parse().unwrap());
    let inhibit = ServiceKey::tcp("192.0.2.11:80".parse().unwrap());

    let listener = Listener::open(open);
    let started = Instant::now();
    let mut daemon = start(&config(open, closed), &dir);

    // Start: the closed port fails its first check (keepalived: one
    // failure is enough initially) and leaves the plain service.
    wait_for(&mut c, &daemon, &plain, &[(a, 3)]);
    let t_start = started.elapsed();
    wait_for(&mut c, &daemon, &inhibit, &[(a, 3), (b, 0)]);
    let svc = c.service(&plain).unwrap().service;
    assert_eq!(svc.scheduler, "wrr");
    let dests = c.destinations(&plain).unwrap();
    assert_eq!(dests[0].destination.forward, ForwardMethod::Masquerade);

    // The open one closes: after its retry it is removed (weight 0 in
    // the inhibit service); the plain service holds the sorry server.
    listener.close();
    let t_down = wait_for(&mut c, &daemon, &plain, &[(s, 1)]);
    wait_for(&mut c, &daemon, &inhibit, &[(a, 0), (b, 0)]);

    // Back: weight 3 again, the sorry server leaves.
    let listener = Listener::open(open);
    let t_up = wait_for(&mut c, &daemon, &plain, &[(a, 3)]);
    wait_for(&mut c, &daemon, &inhibit, &[(a, 3), (b, 0)]);

    during(&daemon);

    // SIGTERM: both services gone, the other one kept.
    daemon.signal(Signal::SIGTERM);
    let status = daemon.child.wait().unwrap();
    assert!(status.success(), "{status:?}\n{}", daemon.log());
    let deadline = Instant::now() + WAIT;
    while table(&mut c, &plain).is_some() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(table(&mut c, &plain), None, "{}", daemon.log());
    assert_eq!(table(&mut c, &inhibit), None);
    assert_eq!(
        table(&mut c, &other),
        Some(vec![("127.0.0.1:9".parse().unwrap(), 1)])
    );
    let log = daemon.log();
    drop(listener);
    drop(lab);
    c.flush().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let times = Times {
        start: t_start,
        down: t_down,
        up: t_up,
    };
    (times, log)
}

fn print_times(who: &str, t: &Times) {
    println!(
        "{who}: start to closed real server removed {:.2} s; listener closed to removed and sorry server in {:.2} s; listener back to added {:.2} s (delay_loop 1, retry 1, delay_before_retry 1)",
        t.start.as_secs_f64(),
        t.down.as_secs_f64(),
        t.up.as_secs_f64()
    );
}

#[test]
#[ignore = "needs a real IPVS kernel: cargo xtask vm test"]
fn checks_drive_the_ipvs_table() {
    if !in_vm("checks_drive_the_ipvs_table") {
        return;
    }
    let (times, log) = scenario(
        "rs",
        |config, dir| Daemon::start(config, dir, &["-C"]),
        |daemon| {
            // SIGUSR1: the state dump.
            let dump = std::path::Path::new("/tmp/keepalived_check.data");
            let _ = std::fs::remove_file(dump);
            daemon.signal(Signal::SIGUSR1);
            let start = Instant::now();
            while !dump.is_file() && start.elapsed() < WAIT {
                std::thread::sleep(Duration::from_millis(50));
            }
            std::thread::sleep(Duration::from_millis(200));
            let text = std::fs::read_to_string(dump).unwrap();
            assert!(text.contains("VS = [192.0.2.10]:tcp:80"), "{text}");
            let b = format!("{RS_IP}:8081");
            assert!(
                text.contains(&format!("RS = {b}, Masq, weight = 2, FAILED")),
                "{text}"
            );
            // Every reconcile changed only what the checks changed: 6
            // operations to start, then 2 (closed port), 3 (open one
            // gone, sorry in), 3 (back, sorry out); no service edited.
            let log = daemon.log();
            let ops: Vec<&str> = log.lines().filter(|l| l.contains(" IPVS: ")).collect();
            assert_eq!(ops.len(), 14, "{ops:#?}");
            assert!(!log.contains("IPVS: edit service"), "{log}");
        },
    );
    print_times("keepalived-rs", &times);
    println!("--- daemon log ---\n{log}");
}

/// The same scenario with keepalived 2.2.7's checker process (shipped
/// into the guest by `cargo xtask vm test` when the host has it): the
/// reference reaches the same tables, side by side times.
#[test]
#[ignore = "needs a real IPVS kernel: cargo xtask vm test"]
fn keepalived_reaches_the_same_tables() {
    if !in_vm("keepalived_reaches_the_same_tables") {
        return;
    }
    let program = PathBuf::from("/payload/keepalived");
    if !program.is_file() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("keepalived was not shipped into the VM (install keepalived)");
        }
        eprintln!("skipped keepalived_reaches_the_same_tables: no keepalived in the VM");
        return;
    }
    let (times, _) = scenario(
        "ka",
        |config, dir| {
            let pid = dir.join("k.pid");
            let cpid = dir.join("kc.pid");
            let flags = [
                "-C",
                "-p",
                pid.to_str().unwrap(),
                "-c",
                cpid.to_str().unwrap(),
            ];
            Daemon::start_program(&program, config, dir, &flags)
        },
        |_| {},
    );
    print_times("keepalived 2.2.7", &times);
}

/// VRRP on the veth towards the lab, a sync daemon following it, one
/// virtual server.
const SYNC_CONFIG: &str = "global_defs {
    lvs_sync_daemon ka-d VI_1 id 7
}
vrrp_instance VI_1 {
    state MASTER
    interface ka-d
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.0.2.200/32
    }
}
virtual_server 192.0.2.200 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.2 8080 {
        TCP_CHECK {
            connect_timeout 1
            warmup 0
        }
    }
}
";

/// Waits until the sync daemons running are `want` (role, interface, id).
fn wait_daemons(c: &mut Client, daemon: &Daemon, want: &[(DaemonState, &str, u32)]) -> Duration {
    let start = Instant::now();
    loop {
        let got: Vec<(DaemonState, String, u32)> = c
            .daemons()
            .unwrap()
            .into_iter()
            .map(|d| (d.state, d.interface, d.sync_id))
            .collect();
        let same = got.len() == want.len()
            && want
                .iter()
                .all(|(s, i, id)| got.iter().any(|g| g.0 == *s && g.1 == *i && g.2 == *id));
        if same {
            return start.elapsed();
        }
        if start.elapsed() > WAIT {
            panic!(
                "sync daemons: want {want:?}, have {got:?}\n--- daemon log ---\n{}",
                daemon.log()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[ignore = "needs a real IPVS kernel: cargo xtask vm test"]
fn sync_daemon_follows_vrrp() {
    if !in_vm("sync_daemon_follows_vrrp") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("vm-lvs-sync-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut c = Client::connect().unwrap();
    c.flush().unwrap();
    let lab = Lab::up();
    let listener = Listener::open(8080);
    let key = ServiceKey::tcp("192.0.2.200:80".parse().unwrap());
    let rs: SocketAddr = format!("{RS_IP}:8080").parse().unwrap();

    let started = Instant::now();
    let mut daemon = Daemon::start(SYNC_CONFIG, &dir, &[]);
    wait_daemons(&mut c, &daemon, &[(DaemonState::Master, "ka-d", 7)]);
    println!(
        "start to master sync daemon: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    wait_for(&mut c, &daemon, &key, &[(rs, 1)]);
    daemon.signal(Signal::SIGTERM);
    let status = daemon.child.wait().unwrap();
    assert!(status.success(), "{status:?}\n{}", daemon.log());
    wait_daemons(&mut c, &daemon, &[]);
    assert_eq!(table(&mut c, &key), None, "{}", daemon.log());

    // -P: VRRP (and its sync daemon) only.
    let mut daemon = Daemon::start(SYNC_CONFIG, &dir, &["-P"]);
    wait_daemons(&mut c, &daemon, &[(DaemonState::Master, "ka-d", 7)]);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(table(&mut c, &key), None, "{}", daemon.log());
    daemon.signal(Signal::SIGTERM);
    assert!(daemon.child.wait().unwrap().success());
    wait_daemons(&mut c, &daemon, &[]);

    drop(listener);
    drop(lab);
    c.flush().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
