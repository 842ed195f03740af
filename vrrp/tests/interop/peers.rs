//! The real peers of the interop tests: keepalived in a lab host, and a
//! tshark capture on a switch port whose packets are checked afterwards.

use std::process::Command;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::lab::Lab;

/// One keepalived VRRP instance's settings.
#[derive(Debug, Clone)]
pub(crate) struct KeepalivedConf {
    /// 2 or 3.
    pub(crate) version: u8,
    /// VRID.
    pub(crate) vrid: u8,
    /// Priority.
    pub(crate) priority: u8,
    /// `MASTER` or `BACKUP`.
    pub(crate) state: &'static str,
    /// `Some((auth_type, auth_pass))`: `PASS` or `AH`.
    pub(crate) auth: Option<(&'static str, &'static str)>,
    /// VIP with prefix, e.g. `192.0.2.1/24`.
    pub(crate) vip: &'static str,
    /// `Some((own address, peer))`: unicast instead of multicast.
    pub(crate) unicast: Option<(&'static str, &'static str)>,
}

impl KeepalivedConf {
    /// The configuration text.
    pub(crate) fn render(&self) -> String {
        let auth = match self.auth {
            Some((kind, p)) => format!(
                "    authentication {{\n        auth_type {kind}\n        auth_pass {p}\n    }}\n"
            ),
            None => String::new(),
        };
        let unicast = match self.unicast {
            Some((own, peer)) => {
                format!("    unicast_src_ip {own}\n    unicast_peer {{\n        {peer}\n    }}\n")
            }
            None => String::new(),
        };
        format!(
            "global_defs {{\n    router_id lbk-interop\n}}\n\
             vrrp_instance VI_1 {{\n    state {}\n    interface eth0\n    virtual_router_id {}\n    \
             priority {}\n    advert_int 1\n    version {}\n{auth}{unicast}    virtual_ipaddress {{\n        {}\n    }}\n}}\n",
            self.state, self.vrid, self.priority, self.version, self.vip
        )
    }
}

/// Starts keepalived (VRRP only, foreground, logging to its log file)
/// in host `host` of the lab, under the process name `name`.
pub(crate) fn start_keepalived(lab: &mut Lab, host: usize, name: &str, conf: &KeepalivedConf) {
    start_keepalived_with(lab, host, name, &conf.render());
}

/// [`start_keepalived`] with a whole configuration text.
pub(crate) fn start_keepalived_with(lab: &mut Lab, host: usize, name: &str, text: &str) {
    let dir = lab.dir().to_path_buf();
    let path = dir.join(format!("{name}.conf"));
    std::fs::write(&path, text).unwrap();
    let pid = dir.join(format!("{name}.pid"));
    let vrrp_pid = dir.join(format!("{name}.vrrp.pid"));
    let ns = lab.host(host);
    let (path, pid, vrrp_pid) = (
        path.display().to_string(),
        pid.display().to_string(),
        vrrp_pid.display().to_string(),
    );
    lab.spawn(
        &ns,
        name,
        &[
            "keepalived",
            "-n",
            "-l",
            "-D",
            "-P",
            // A killed VRRP child stays dead (the kill tests).
            "-R",
            "-f",
            &path,
            "-p",
            &pid,
            "-r",
            &vrrp_pid,
        ],
    );
}

/// The PID of keepalived's VRRP child process started as `name` (from
/// its PID file, waiting up to 5 s for it).
pub(crate) fn keepalived_vrrp_pid(lab: &Lab, name: &str) -> i32 {
    let path = lab.dir().join(format!("{name}.vrrp.pid"));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if let Ok(pid) = text.trim().parse() {
            return pid;
        }
        assert!(Instant::now() < deadline, "no VRRP child PID in {path:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running tshark capture of VRRP on one switch port.
pub(crate) struct Capture {
    name: String,
    file: String,
}

impl Capture {
    /// Starts capturing what host `host` sends (its switch port `hN`,
    /// ingress) with `filter`, and waits until tshark is capturing.
    pub(crate) fn start(lab: &mut Lab, host: usize, name: &str, filter: &str) -> Capture {
        let file = lab
            .dir()
            .join(format!("{name}.pcapng"))
            .display()
            .to_string();
        let port = format!("h{host}");
        let sw = lab.switch();
        // dumpcap only writes the packets; tshark dissects them afterwards.
        lab.spawn(
            &sw,
            name,
            &["dumpcap", "-q", "-i", &port, "-f", filter, "-w", &file],
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while !lab.log(name).contains("Capturing on") {
            assert!(
                Instant::now() < deadline,
                "tshark did not start: {}",
                lab.log(name)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // "Capturing on" comes a little before the first packet is kept.
        std::thread::sleep(Duration::from_secs(1));
        Capture {
            name: name.to_string(),
            file,
        }
    }

    /// Stops the capture and dissects it: one line of `fields` values
    /// (comma-separated) per packet.
    pub(crate) fn finish(self, lab: &mut Lab, fields: &[&str]) -> Vec<Vec<String>> {
        // Let the last packets reach the file.
        std::thread::sleep(Duration::from_millis(300));
        let _ = lab.stop(&self.name, Signal::SIGINT);
        let mut cmd = Command::new("tshark");
        cmd.args(["-n", "-r", &self.file, "-o", "ip.check_checksum:TRUE"])
            .args([
                "-o",
                "vrrp.v3_checksum_as_in_v2:FALSE",
                "-T",
                "fields",
                "-E",
                "separator=,",
            ]);
        for f in fields {
            cmd.args(["-e", f]);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "tshark -r: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect()
    }
}
