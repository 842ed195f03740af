//! The guest's initramfs: a cached base (busybox, ipvsadm, iproute2's
//! `ip`, the IPVS modules, veth, bridge, dummy and nlmon with their
//! dependencies, `/init`) and, per run,
//! an appended archive with the script and the files it needs.

use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::cpio::Cpio;
use super::kernel::{output, Kernel};

/// Printed by `/init` on the script's serial port once the guest is up.
pub(crate) const BOOTED: &str = "@@LBKIT-VM-BOOTED@@";
/// Printed after the script with its exit status: `@@LBKIT-VM-EXIT=<n>@@`.
pub(crate) const EXIT: &str = "@@LBKIT-VM-EXIT=";

/// The guest's `/init`. ttyS0 is the kernel console, ttyS1 the script's
/// output, so the two never mix.
const INIT: &str = r#"#!/bin/sh
export PATH=/payload:/bin:/sbin:/usr/bin:/usr/sbin HOME=/root LBKIT_IPVS_VM=1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mkdir -p /run /var/run /run/netns
mount -t tmpfs run /run
echo 1 >/proc/sys/kernel/printk
echo /sbin/modprobe >/proc/sys/kernel/modprobe
O=/dev/ttyS1
stty -F $O raw -echo 2>/dev/null
for m in $(ls /lib/modules/$(uname -r)/kernel/net/netfilter/ipvs | sed -n 's/^\(ip_vs[a-z_]*\)\.ko$/\1/p' | grep -v -e ftp -e pe_sip); do
  modprobe $m || echo "lbkit-vm(guest): modprobe $m failed" >$O
done
ip link set lo up
echo "@@LBKIT-VM-BOOTED@@ $(cut -d' ' -f1 /proc/uptime)" >$O
cd /payload
sh ./.script </dev/null >$O 2>&1
echo "@@LBKIT-VM-EXIT=$?@@" >$O
sleep 0.2
poweroff -f
"#;

/// Version of the base layout: bump when the code below changes what
/// goes into the base.
const LAYOUT: u32 = 2;

/// A host program copied into the guest.
struct Program {
    /// Where it is on the host.
    host: PathBuf,
    /// Where it goes in the guest.
    guest: &'static str,
}

/// The programs of the base image.
fn programs() -> Result<Vec<Program>, String> {
    let find = |names: &[&str]| -> Result<PathBuf, String> {
        names
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .ok_or_else(|| format!("none of {names:?} exists"))
    };
    Ok(vec![
        Program {
            host: find(&["/bin/busybox", "/usr/bin/busybox"])?,
            guest: "/bin/busybox",
        },
        Program {
            host: find(&["/usr/sbin/ipvsadm", "/sbin/ipvsadm"])?,
            guest: "/usr/sbin/ipvsadm",
        },
        Program {
            host: find(&["/usr/sbin/ip", "/sbin/ip", "/bin/ip", "/usr/bin/ip"])?,
            guest: "/usr/sbin/ip",
        },
    ])
}

/// The shared libraries (and loader) a dynamic ELF file needs, per `ldd`;
/// empty for static files and scripts.
pub(crate) fn libraries(file: &Path) -> Vec<PathBuf> {
    let Ok(out) = Command::new("ldd").arg(file).output() else {
        return Vec::new();
    };
    if !out.status.success() {
        return Vec::new();
    }
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter(|w| w.starts_with('/'))
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .collect()
}

/// The cached base archive for `kernel`, built when missing.
pub(crate) fn base(kernel: &Kernel, cache: &Path) -> Result<PathBuf, String> {
    let programs = programs()?;
    if !libraries(&programs[0].host).is_empty() {
        return Err("busybox is dynamically linked: apt-get install busybox-static".into());
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (LAYOUT, INIT, &kernel.release).hash(&mut hasher);
    for p in programs.iter().map(|p| &p.host).chain([&kernel.image]) {
        let modified = std::fs::metadata(p).and_then(|m| m.modified()).ok();
        (p, modified).hash(&mut hasher);
    }
    let path = cache.join(format!(
        "base-{}-{:016x}.cpio",
        kernel.release,
        hasher.finish()
    ));
    if path.is_file() {
        return Ok(path);
    }
    eprintln!("xtask vm: building the base initramfs ({})", path.display());
    let bytes = build_base(kernel, &programs)?;
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    remove_stale(cache, &kernel.release, &path);
    Ok(path)
}

/// Deletes older base archives of the same kernel.
fn remove_stale(cache: &Path, release: &str, keep: &Path) {
    let prefix = format!("base-{release}-");
    if let Ok(entries) = std::fs::read_dir(cache) {
        for e in entries.filter_map(Result::ok) {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(&prefix) && e.path() != keep {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// A temporary directory removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    /// A fresh directory under the system's temp dir.
    pub(crate) fn new(tag: &str) -> Result<Self, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("lbkit-vm-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Lays out the base tree on disk (depmod needs one), then archives it.
fn build_base(kernel: &Kernel, programs: &[Program]) -> Result<Vec<u8>, String> {
    let tmp = TempDir::new("base")?;
    let root = &tmp.0;
    let io = |e: std::io::Error| e.to_string();
    for d in [
        "bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "run", "var", "payload", "root",
        "usr/bin", "usr/sbin",
    ] {
        std::fs::create_dir_all(root.join(d)).map_err(io)?;
    }
    for p in programs {
        copy_with_libraries(root, &p.host, p.guest)?;
    }
    std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").map_err(io)?;
    std::fs::write(root.join("etc/group"), "root:x:0:\n").map_err(io)?;
    std::fs::write(root.join("init"), INIT).map_err(io)?;
    std::fs::set_permissions(root.join("init"), std::fs::Permissions::from_mode(0o755))
        .map_err(io)?;
    copy_modules(kernel, root)?;
    output(
        Command::new("depmod")
            .arg("-b")
            .arg(root)
            .arg(&kernel.release),
    )?;
    let applets = output(Command::new(root.join("bin/busybox")).arg("--list"))?;
    let mut cpio = Cpio::default();
    archive_tree(&mut cpio, root, root)?;
    for applet in applets.lines().map(str::trim).filter(|a| !a.is_empty()) {
        let at = format!("bin/{applet}");
        if !root.join(&at).exists() {
            cpio.symlink(&at, "busybox");
        }
    }
    cpio.symlink("sbin/modprobe", "../bin/busybox");
    Ok(cpio.finish())
}

/// Copies `host` to `guest` under `root`, with its libraries at their
/// host paths.
fn copy_with_libraries(root: &Path, host: &Path, guest: &str) -> Result<(), String> {
    let copy = |from: &Path, to: &Path| -> Result<(), String> {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::copy(from, to)
            .map(|_| ())
            .map_err(|e| format!("copy {} -> {}: {e}", from.display(), to.display()))
    };
    copy(host, &root.join(guest.trim_start_matches('/')))?;
    for lib in libraries(host) {
        let to = root.join(lib.to_string_lossy().trim_start_matches('/'));
        if !to.exists() {
            copy(&lib, &to)?;
        }
    }
    Ok(())
}

/// The IPVS modules, nlmon, dummy and veth with their dependencies
/// (`modprobe -D`), decompressed.
fn copy_modules(kernel: &Kernel, root: &Path) -> Result<(), String> {
    let ipvs_dir = kernel.moddir().join("kernel/net/netfilter/ipvs");
    let mut names: Vec<String> = vec![
        "nlmon".into(),
        "dummy".into(),
        "veth".into(),
        "bridge".into(),
    ];
    for e in std::fs::read_dir(&ipvs_dir)
        .map_err(|e| format!("{}: {e}", ipvs_dir.display()))?
        .filter_map(Result::ok)
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.split(".ko").next() {
            names.push(stem.to_string());
        }
    }
    let mut files = BTreeSet::new();
    for name in &names {
        let plan = output(Command::new("modprobe").arg("-d").arg(&kernel.root).args([
            "-S",
            &kernel.release,
            "-D",
            name,
        ]))?;
        for line in plan.lines() {
            // `insmod PATH [OPTIONS]` (options from the host's modprobe.d).
            if let Some(path) = line
                .strip_prefix("insmod ")
                .and_then(|rest| rest.split_whitespace().next())
            {
                files.insert(PathBuf::from(path));
            }
        }
    }
    let decompressors: HashMap<&str, &[&str]> = [
        ("xz", &["xz", "-dc"][..]),
        ("zst", &["zstd", "-qdc"][..]),
        ("gz", &["gzip", "-dc"][..]),
    ]
    .into_iter()
    .collect();
    for file in files {
        let rel = file
            .strip_prefix(&kernel.root)
            .map_err(|_| format!("{} is outside the kernel package", file.display()))?;
        let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        let (dest, bytes) = match decompressors.get(ext) {
            Some(cmd) => {
                let out = Command::new(cmd[0])
                    .args(&cmd[1..])
                    .arg(&file)
                    .output()
                    .map_err(|e| format!("{}: {e} (install xz-utils/zstd)", cmd[0]))?;
                (root.join(rel).with_extension(""), out.stdout)
            }
            None => (
                root.join(rel),
                std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?,
            ),
        };
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&dest, bytes).map_err(|e| format!("{}: {e}", dest.display()))?;
    }
    for f in [
        "modules.order",
        "modules.builtin",
        "modules.builtin.modinfo",
    ] {
        let from = kernel.moddir().join(f);
        let to = root.join("lib/modules").join(&kernel.release).join(f);
        let _ = std::fs::copy(from, to);
    }
    Ok(())
}

/// Adds everything under `dir` to the archive (paths relative to `root`),
/// directories before their contents.
fn archive_tree(cpio: &mut Cpio, root: &Path, dir: &Path) -> Result<(), String> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let rel = path
            .strip_prefix(root)
            .map_err(|e| e.to_string())?
            .to_string_lossy()
            .into_owned();
        let meta = std::fs::symlink_metadata(&path).map_err(|e| e.to_string())?;
        if meta.is_dir() {
            cpio.dir(&rel);
            archive_tree(cpio, root, &path)?;
        } else if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).map_err(|e| e.to_string())?;
            cpio.symlink(&rel, &target.to_string_lossy());
        } else {
            let data = std::fs::read(&path).map_err(|e| e.to_string())?;
            cpio.file(&rel, &data, meta.permissions().mode() & 0o111 != 0);
        }
    }
    Ok(())
}

/// The per-run archive: the script as `/payload/.script`, the files in
/// `/payload`, their libraries at their host paths.
pub(crate) fn overlay(script: &Path, files: &[PathBuf]) -> Result<Vec<u8>, String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let mut cpio = Cpio::default();
    cpio.dir("payload");
    cpio.file("payload/.script", &read(script)?, true);
    let mut dirs = BTreeSet::new();
    let mut libs = BTreeSet::new();
    for f in files {
        let name = f
            .file_name()
            .ok_or_else(|| format!("{} has no file name", f.display()))?
            .to_string_lossy()
            .into_owned();
        cpio.file(&format!("payload/{name}"), &read(f)?, true);
        libs.extend(libraries(f));
    }
    for lib in &libs {
        let mut parent = lib.parent();
        while let Some(p) = parent.filter(|p| p != &Path::new("/")) {
            dirs.insert(p.to_path_buf());
            parent = p.parent();
        }
    }
    for d in &dirs {
        cpio.dir(&d.to_string_lossy());
    }
    for lib in &libs {
        cpio.file(&lib.to_string_lossy(), &read(lib)?, true);
    }
    Ok(cpio.finish())
}
