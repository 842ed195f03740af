//! The Debian packages the tasks need, installed when we are root.

use std::process::Command;

/// A command-line tool and the Debian package that provides it.
pub(crate) struct Tool {
    /// The executable looked up on `PATH` (or an absolute path).
    pub(crate) command: &'static str,
    /// The Debian package to install.
    pub(crate) package: &'static str,
}

/// Tools the tests run against: the real HAProxy and keepalived are the
/// references (keepalived also ships `genhash`, the digest reference of the
/// health checks); `ip` makes the namespaces keepalived is judged in; the
/// seed's Appendix A script (`killall`) must exist for keepalived's verdict
/// on it; `dnsmasq` and `aiosmtpd` are the real DNS and SMTP servers the
/// health checkers are tested against, unprivileged on loopback; `tshark`
/// dissects what lbkit-vrrp sends in its interop tests; `curl` is the real
/// HTTP/1.1, HTTP/2 and TLS client of haproxy-rs's proxy tests; headless
/// `chromium` renders haproxy-rs's stats page in its screenshot test.
pub(crate) const TEST_TOOLS: &[Tool] = &[
    Tool {
        command: "haproxy",
        package: "haproxy",
    },
    Tool {
        command: "keepalived",
        package: "keepalived",
    },
    Tool {
        command: "ip",
        package: "iproute2",
    },
    Tool {
        command: "killall",
        package: "psmisc",
    },
    Tool {
        command: "tshark",
        package: "tshark",
    },
    Tool {
        command: "curl",
        package: "curl",
    },
    // keepalived-rs's unit file is checked with `systemd-analyze verify`.
    Tool {
        command: "systemd-analyze",
        package: "systemd",
    },
    Tool {
        command: "dnsmasq",
        package: "dnsmasq-base",
    },
    Tool {
        command: "aiosmtpd",
        package: "python3-aiosmtpd",
    },
    Tool {
        command: "chromium",
        package: "chromium",
    },
];

/// Tools `cargo xtask vm` needs: qemu, a static busybox, ipvsadm and
/// iproute2 for the guest, kmod (modprobe -D, depmod), xz for compressed
/// modules and kernels, dpkg-deb and apt-get for the kernel package.
pub(crate) const VM_TOOLS: &[Tool] = &[
    Tool {
        command: "qemu-system-x86_64",
        package: "qemu-system-x86",
    },
    Tool {
        command: "busybox",
        package: "busybox-static",
    },
    Tool {
        command: "ipvsadm",
        package: "ipvsadm",
    },
    Tool {
        command: "ip",
        package: "iproute2",
    },
    Tool {
        command: "depmod",
        package: "kmod",
    },
    Tool {
        command: "xz",
        package: "xz-utils",
    },
];

/// Makes sure every tool is installed: as root, installs what is missing
/// with apt-get and says so; otherwise prints the exact command and fails.
pub(crate) fn ensure(tools: &[Tool]) -> Result<(), String> {
    let missing: Vec<&str> = tools
        .iter()
        .filter(|t| !on_path(t.command))
        .map(|t| t.package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let line = format!("apt-get install -y {}", missing.join(" "));
    if !is_root() {
        return Err(format!(
            "missing Debian packages: {}\n  run as root: apt-get update && {line}",
            missing.join(", ")
        ));
    }
    eprintln!("xtask: installing Debian packages: {}", missing.join(" "));
    crate::run::cmd(Command::new("apt-get").args(["update", "-qq"]))?;
    let mut install = Command::new("apt-get");
    install
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-qq", "--no-install-recommends"])
        .args(&missing);
    crate::run::cmd(&mut install)
}

fn on_path(command: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .any(|dir| dir.join(command).is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}
