//! keepalived-rs's LVS side against a real IPVS kernel, inside the VM
//! `cargo xtask vm test` boots (it sets `LBKIT_IPVS_VM=1` and ships the
//! daemon as `/payload/keepalived-rs`).
//!
//! `checks_drive_the_ipvs_table`: two virtual servers whose real servers
//! are TCP listeners on the guest's loopback, one open (weight 3), one
//! closed port (weight 2):
//! - at start the closed one is removed from the plain service and kept
//!   at weight 0 in the `inhibit_on_failure` one; an IPVS service the
//!   configuration does not name is left alone;
//! - closing the open listener removes it (weight 0 with inhibit); the
//!   plain service, out of quorum, then holds its sorry server alone;
//! - listening again brings it back at weight 3 and the sorry server
//!   leaves;
//! - SIGUSR1 writes the state dump; SIGTERM removes both services and
//!   nothing else.
//!
//! The times from a listener's change to the table's are printed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use lbkit_ipvs::{Client, Destination, ForwardMethod, Service, ServiceKey};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
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

/// A TCP listener that accepts (and drops) connections until stopped.
struct Listener {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    fn open(addr: SocketAddr) -> Listener {
        let l = TcpListener::bind(addr).unwrap();
        l.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((s, _)) => drop(s),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Listener {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops accepting and closes the socket.
    fn close(mut self) {
        self.shut();
    }

    fn shut(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.shut();
    }
}

/// The daemon process, killed on drop if still running; its log kept.
struct Daemon {
    child: Child,
    log: PathBuf,
}

impl Daemon {
    fn start(config: &str, dir: &std::path::Path) -> Daemon {
        let conf = dir.join("keepalived.conf");
        std::fs::write(&conf, config).unwrap();
        let log = dir.join("daemon.log");
        let child = Command::new(daemon_binary())
            .args(["-n", "-l", "-C", "-f"])
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

/// A port on 127.0.0.1 nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn config(open: u16, closed: u16, sorry: u16) -> String {
    let check = "TCP_CHECK {\n            connect_timeout 1\n            warmup 0\n        }";
    format!(
        "virtual_server 192.0.2.10 80 {{
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    retry 1
    delay_before_retry 1
    sorry_server 127.0.0.1 {sorry}
    real_server 127.0.0.1 {open} {{
        weight 3
        {check}
    }}
    real_server 127.0.0.1 {closed} {{
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
    real_server 127.0.0.1 {open} {{
        weight 3
        {check}
    }}
    real_server 127.0.0.1 {closed} {{
        weight 2
        {check}
    }}
}}
"
    )
}

#[test]
#[ignore = "needs a real IPVS kernel: cargo xtask vm test"]
fn checks_drive_the_ipvs_table() {
    if !in_vm("checks_drive_the_ipvs_table") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("vm-lvs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut c = Client::connect().unwrap();
    c.flush().unwrap();
    // Someone else's service: must survive the daemon.
    let other = ServiceKey::tcp("192.0.2.99:80".parse().unwrap());
    c.add_service(&Service::new(other)).unwrap();
    c.add_dest(&other, &Destination::new("127.0.0.1:9".parse().unwrap()))
        .unwrap();

    let open = closed_port();
    let closed = closed_port();
    let sorry = closed_port();
    let a: SocketAddr = format!("127.0.0.1:{open}").parse().unwrap();
    let b: SocketAddr = format!("127.0.0.1:{closed}").parse().unwrap();
    let s: SocketAddr = format!("127.0.0.1:{sorry}").parse().unwrap();
    let plain = ServiceKey::tcp("192.0.2.10:80".parse().unwrap());
    let inhibit = ServiceKey::tcp("192.0.2.11:80".parse().unwrap());

    let listener = Listener::open(a);
    let started = Instant::now();
    let daemon = Daemon::start(&config(open, closed, sorry), &dir);

    // Start: the closed port fails its first check (keepalived: one
    // failure is enough initially) and leaves the plain service.
    wait_for(&mut c, &daemon, &plain, &[(a, 3)]);
    println!(
        "start to closed real server removed: {:.2} s",
        started.elapsed().as_secs_f64()
    );
    wait_for(&mut c, &daemon, &inhibit, &[(a, 3), (b, 0)]);
    let svc = c.service(&plain).unwrap().service;
    assert_eq!(svc.scheduler, "wrr");
    let dests = c.destinations(&plain).unwrap();
    assert_eq!(dests[0].destination.forward, ForwardMethod::Masquerade);

    // The open one closes: after its retry it is removed (weight 0 in
    // the inhibit service); the plain service holds the sorry server.
    listener.close();
    let t = wait_for(&mut c, &daemon, &plain, &[(s, 1)]);
    println!(
        "listener closed to real server removed and sorry server in: {:.2} s (delay_loop 1, retry 1, delay_before_retry 1)",
        t.as_secs_f64()
    );
    wait_for(&mut c, &daemon, &inhibit, &[(a, 0), (b, 0)]);

    // Back: weight 3 again, the sorry server leaves.
    let listener = Listener::open(a);
    let t = wait_for(&mut c, &daemon, &plain, &[(a, 3)]);
    println!(
        "listener back to real server added: {:.2} s",
        t.as_secs_f64()
    );
    wait_for(&mut c, &daemon, &inhibit, &[(a, 3), (b, 0)]);

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
    assert!(text.contains("VS = 192.0.2.10:80"), "{text}");
    assert!(
        text.contains(&format!("RS = {b}, Masq, weight = 2, FAILED")),
        "{text}"
    );

    // SIGTERM: both services gone, the other one kept.
    let mut daemon = daemon;
    daemon.signal(Signal::SIGTERM);
    let status = daemon.child.wait().unwrap();
    assert!(status.success(), "{status:?}\n{}", daemon.log());
    assert_eq!(table(&mut c, &plain), None, "{}", daemon.log());
    assert_eq!(table(&mut c, &inhibit), None);
    assert_eq!(
        table(&mut c, &other),
        Some(vec![("127.0.0.1:9".parse().unwrap(), 1)])
    );
    drop(listener);
    c.flush().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
