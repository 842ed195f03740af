//! `cargo xtask demo lvs`: the seed guide's section 4.1 (LVS-NAT behind
//! two directors, RH_EXT / RH_INT, TCP_CHECK) and section 4.2 (LVS-DR
//! with persistence), live in the IPVS VM (`cargo xtask vm`) with
//! keepalived-rs driving the kernel's IPVS.
//!
//! The host builds keepalived-rs, boots the VM once with the guest script
//! (`xtask/data/demo/lvs/guest.sh`) and the two director configurations,
//! and narrates what the script reports as it runs, on the guest's clock:
//! balanced client traffic, a real server failing and leaving the IPVS
//! table, the master director failing and the backup taking over (the
//! interruption the client sees is measured), then DR with persistence.
//! The VM is thrown away afterwards; qemu is killed on failure and on
//! Ctrl-C.

mod guest;

use std::path::PathBuf;
use std::process::Stdio;

use super::report::Narrator;
use super::signals;
use crate::vm;

/// The guest's half of the demo.
const GUEST_SCRIPT: &str = include_str!("../../data/demo/lvs/guest.sh");
/// Section 4.1's director configuration (a template, see the file).
const NAT_CONF: &str = include_str!("../../data/demo/lvs/nat-director.conf");
/// Section 4.2's director configuration (a template, see the file).
const DR_CONF: &str = include_str!("../../data/demo/lvs/dr-director.conf");

/// Runs `cargo xtask demo lvs`.
pub(crate) fn run() -> Result<(), String> {
    signals::watch()?;
    let mut n = Narrator::new();
    n.title("lbkit demo lvs: the seed guide's LVS-NAT (4.1) and LVS-DR (4.2), live");
    n.say("keepalived-rs drives the IPVS of a real Linux kernel, booted under qemu;");
    n.say("every host is a network namespace inside the VM (documentation addresses).");
    let mut guest = guest::Guest::new();
    let result = everything(&mut n, &mut guest);
    let released = signals::release();
    n.summary();
    guest.summary();
    result.and(released)
}

/// Every step; the first failure ends the demo.
fn everything(n: &mut Narrator, guest: &mut guest::Guest) -> Result<(), String> {
    n.section("preparing");
    n.step("check that we are root", |_| {
        if nix::unistd::geteuid().is_root() {
            Ok(())
        } else {
            Err("the demo boots a VM and loads its initramfs as root: run it as root".into())
        }
    })?;
    let daemon = n.step("build keepalived-rs", |n| {
        let path = build_daemon()?;
        n.detail(&path.display().to_string());
        Ok(path)
    })?;
    let payload = vm::TempDir::new("demo-lvs")?;
    let files = n.step(
        "write the guest script and the directors' configurations",
        |n| {
            let write = |name: &str, text: &str| {
                let path = payload.0.join(name);
                std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
                Ok::<PathBuf, String>(path)
            };
            let script = write("guest.sh", GUEST_SCRIPT)?;
            let nat = write("nat-director.conf", NAT_CONF)?;
            let dr = write("dr-director.conf", DR_CONF)?;
            let shipped = vm::stripped(std::slice::from_ref(&daemon), &payload.0);
            n.detail("guest.sh, nat-director.conf, dr-director.conf, keepalived-rs");
            Ok((
                script,
                [nat, dr].into_iter().chain(shipped).collect::<Vec<_>>(),
            ))
        },
    )?;
    n.section("in the VM");
    n.say("booting Debian's kernel under qemu; what follows is streamed from the guest");
    n.step("boot the VM and run both topologies", |n| {
        let status = vm::boot_script_live(
            &files.0,
            &files.1,
            &mut |line| {
                guest.line(line);
                Ok(())
            },
            &signals::check,
        )?;
        guest.verdict(status)?;
        n.detail("qemu exited, VM thrown away");
        Ok(())
    })
}

/// `cargo build -p keepalived-rs`: the daemon's path.
fn build_daemon() -> Result<PathBuf, String> {
    let out = crate::run::cargo()
        .args(["build", "-p", "keepalived-rs", "--bin", "keepalived-rs"])
        .arg("--message-format=json")
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err("cargo build -p keepalived-rs failed".into());
    }
    vm::test_executables(&String::from_utf8_lossy(&out.stdout))
        .into_iter()
        .find(|p| p.file_name().is_some_and(|f| f == "keepalived-rs"))
        .ok_or_else(|| "cargo did not report the keepalived-rs binary".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configurations_are_the_guides_with_documentation_addresses() {
        for conf in [NAT_CONF, DR_CONF] {
            assert!(conf.contains("state @STATE@"));
            assert!(conf.contains("priority @PRIORITY@"));
            let settings: String = conf
                .lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .collect();
            assert!(!settings.contains("10.0.0.1") && !settings.contains("192.168."));
        }
        // The guide's sync group: both instances move together.
        assert!(NAT_CONF.contains("vrrp_sync_group VG1"));
        assert!(NAT_CONF.contains("lb_kind NAT") && NAT_CONF.contains("virtual_router_id 2"));
        assert!(DR_CONF.contains("lb_kind DR") && DR_CONF.contains("persistence_timeout 9600"));
        for name in ["nat-director.conf", "dr-director.conf", "keepalived-rs"] {
            assert!(GUEST_SCRIPT.contains(name), "{name}");
        }
    }
}
