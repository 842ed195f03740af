//! A throwaway L2 lab in network namespaces: a "switch" namespace holding
//! a bridge, and host namespaces joined to it by veth pairs. Only
//! documentation addresses are used, the root namespace's network is
//! never touched, and everything (namespaces, processes started here) is
//! removed when the [`Lab`] is dropped, test failures included.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sched::{setns, CloneFlags};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// Host `i` (1-based) has 192.0.2.(10+i)/24 and 2001:db8::(10+i)/64.
pub(crate) fn host_v4(i: usize) -> String {
    format!("192.0.2.{}", 10 + i)
}

/// See [`host_v4`].
pub(crate) fn host_v6(i: usize) -> String {
    format!("2001:db8::{}", 10 + i)
}

/// Whether the lab can run here: root, `ip`, and the named tools. When it
/// cannot, tests fail under `CI=true` and skip (saying why) elsewhere.
pub(crate) fn usable(tools: &[&str]) -> bool {
    let mut missing: Vec<String> = Vec::new();
    if !is_root() {
        missing.push("root".into());
    }
    for tool in ["ip"].iter().chain(tools) {
        if !on_path(tool) {
            missing.push((*tool).to_string());
        }
    }
    if missing.is_empty() {
        return true;
    }
    let why = format!("the netns lab needs {}", missing.join(", "));
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{why} (CI=true: failing)"
    );
    eprintln!("skipped: {why}");
    false
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

fn on_path(tool: &str) -> bool {
    let dirs = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&dirs)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .any(|d| d.join(tool).is_file())
}

/// One lab: namespaces `<prefix>-sw`, `<prefix>-h1` … `<prefix>-hN`, a
/// scratch directory, and the processes started in it.
pub(crate) struct Lab {
    prefix: String,
    hosts: usize,
    dir: PathBuf,
    children: Vec<(String, Child)>,
}

impl Lab {
    /// Builds the lab: `tag` keeps concurrent labs apart (namespace names
    /// carry the test process id too).
    pub(crate) fn up(tag: &str, hosts: usize) -> Lab {
        let prefix = format!("lab{}{tag}", std::process::id() % 100_000);
        let dir = std::env::temp_dir().join(&prefix);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let lab = Lab {
            prefix,
            hosts,
            dir,
            children: Vec::new(),
        };
        lab.build();
        lab
    }

    /// The switch namespace.
    pub(crate) fn switch(&self) -> String {
        format!("{}-sw", self.prefix)
    }

    /// Host `i`'s namespace (1-based).
    pub(crate) fn host(&self, i: usize) -> String {
        format!("{}-h{i}", self.prefix)
    }

    /// The scratch directory (configs, captures, logs).
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    fn build(&self) {
        let sw = self.switch();
        self.add_ns(&sw);
        ip(&[
            "-n",
            &sw,
            "link",
            "add",
            "br0",
            "type",
            "bridge",
            "stp_state",
            "0",
            "forward_delay",
            "0",
        ]);
        ip(&[
            "-n",
            &sw,
            "link",
            "set",
            "br0",
            "type",
            "bridge",
            "mcast_snooping",
            "0",
        ]);
        ip(&["-n", &sw, "link", "set", "br0", "up"]);
        for i in 1..=self.hosts {
            let ns = self.host(i);
            let port = format!("h{i}");
            self.add_ns(&ns);
            ip(&[
                "-n", &sw, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns",
                &ns,
            ]);
            ip(&["-n", &sw, "link", "set", &port, "master", "br0", "up"]);
            ip(&["-n", &ns, "link", "set", "eth0", "up"]);
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("{}/24", host_v4(i)),
                "dev",
                "eth0",
            ]);
            ip(&[
                "-n",
                &ns,
                "-6",
                "addr",
                "add",
                &format!("{}/64", host_v6(i)),
                "dev",
                "eth0",
                "nodad",
            ]);
        }
        // Link-local addresses come with the link; wait until each host has one.
        for i in 1..=self.hosts {
            let deadline = Instant::now() + Duration::from_secs(5);
            while !self.addr_show(i).contains("fe80::") {
                assert!(
                    Instant::now() < deadline,
                    "no link-local address on {}",
                    self.host(i)
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    fn add_ns(&self, ns: &str) {
        ip(&["netns", "add", ns]);
        let sysctl = [
            "net.ipv6.conf.all.accept_dad=0",
            "net.ipv6.conf.default.accept_dad=0",
            "net.ipv6.conf.all.dad_transmits=0",
            "net.ipv6.conf.default.dad_transmits=0",
        ];
        let out = Command::new("ip")
            .args(["netns", "exec", ns, "sysctl", "-qw"])
            .args(sysctl)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "sysctl in {ns}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        ip(&["-n", ns, "link", "set", "lo", "up"]);
    }

    /// Adds a second network: a bridge `br1` in the switch and, in every
    /// host `i`, `eth1` on it with 198.51.100.(10 + i)/24.
    pub(crate) fn second_network(&self) {
        let sw = self.switch();
        ip(&["-n", &sw, "link", "add", "br1", "type", "bridge"]);
        ip(&[
            "-n",
            &sw,
            "link",
            "set",
            "br1",
            "type",
            "bridge",
            "stp_state",
            "0",
            "forward_delay",
            "0",
            "mcast_snooping",
            "0",
        ]);
        ip(&["-n", &sw, "link", "set", "br1", "up"]);
        for i in 1..=self.hosts {
            let ns = self.host(i);
            let port = format!("h{i}b");
            ip(&[
                "-n", &sw, "link", "add", &port, "type", "veth", "peer", "name", "eth1", "netns",
                &ns,
            ]);
            ip(&["-n", &sw, "link", "set", &port, "master", "br1", "up"]);
            ip(&["-n", &ns, "link", "set", "eth1", "up"]);
            let addr = format!("198.51.100.{}/24", 10 + i);
            ip(&["-n", &ns, "addr", "add", &addr, "dev", "eth1"]);
        }
    }

    /// `ip addr show dev DEV` in host `i`.
    pub(crate) fn addr_show_dev(&self, i: usize, dev: &str) -> String {
        let out = Command::new("ip")
            .args(["-n", &self.host(i), "addr", "show", "dev", dev])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `ip addr show dev eth0` in host `i`.
    pub(crate) fn addr_show(&self, i: usize) -> String {
        let out = Command::new("ip")
            .args(["-n", &self.host(i), "addr", "show", "dev", "eth0"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts `cmd` inside namespace `ns`, output to `<dir>/<name>.log`.
    pub(crate) fn spawn(&mut self, ns: &str, name: &str, cmd: &[&str]) -> u32 {
        let log = File::create(self.dir.join(format!("{name}.log"))).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .args(cmd)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let pid = child.id();
        self.children.push((name.to_string(), child));
        pid
    }

    /// Sends `signal` to the process started as `name`, and waits for it
    /// (up to 5 s, then SIGKILL); returns its exit status.
    pub(crate) fn stop(&mut self, name: &str, signal: Signal) -> Option<ExitStatus> {
        let at = self.children.iter().position(|(n, _)| n == name)?;
        let (_, mut child) = self.children.remove(at);
        stop_child(&mut child, signal)
    }

    /// Sends `signal` to the process started as `name` without waiting
    /// for it (it is reaped when the lab is dropped).
    pub(crate) fn signal(&self, name: &str, signal: Signal) {
        let child = self.children.iter().find(|(n, _)| n == name);
        let pid = child.and_then(|(_, c)| i32::try_from(c.id()).ok());
        let pid = pid.unwrap_or_else(|| panic!("no process {name}"));
        kill(Pid::from_raw(pid), signal).unwrap();
    }

    /// Runs `f` on a thread inside namespace `ns` and returns its result
    /// (sockets it opens live in that namespace).
    pub(crate) fn in_ns<R, F>(&self, ns: &str, f: F) -> R
    where
        R: Send + 'static,
        F: FnOnce() -> R + Send + 'static,
    {
        let path = format!("/run/netns/{ns}");
        let handle = std::thread::spawn(move || {
            let file = File::open(&path).unwrap();
            setns(file, CloneFlags::CLONE_NEWNET).unwrap();
            f()
        });
        match handle.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// The log of the process started as `name`.
    pub(crate) fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("{name}.log"))).unwrap_or_default()
    }
}

fn stop_child(child: &mut Child, signal: Signal) -> Option<ExitStatus> {
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = kill(Pid::from_raw(pid), signal);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

impl Drop for Lab {
    fn drop(&mut self) {
        for (_, mut child) in std::mem::take(&mut self.children) {
            let _ = stop_child(&mut child, Signal::SIGTERM);
        }
        let mut namespaces: Vec<String> = (1..=self.hosts).map(|i| self.host(i)).collect();
        namespaces.push(self.switch());
        for ns in &namespaces {
            // Whatever still runs inside our own namespaces was started by
            // this lab (keepalived's VRRP child, for one).
            if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    if let Ok(pid) = pid.parse::<i32>() {
                        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                    }
                }
            }
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Runs `ip ARGS`, panicking with its error output on failure.
pub(crate) fn ip(args: &[&str]) -> Output {
    let out = Command::new("ip").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
