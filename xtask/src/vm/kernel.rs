//! The guest kernel: Debian's `linux-image-<version>-amd64`, fetched with
//! `apt-get download` and unpacked with `dpkg-deb -x` into the cache (no
//! installation into `/boot`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// An unpacked kernel package.
pub(crate) struct Kernel {
    /// Where the package is unpacked (holds `boot/` and `lib/modules/`).
    pub(crate) root: PathBuf,
    /// Its release, e.g. `6.1.0-56-amd64`.
    pub(crate) release: String,
    /// The bzImage.
    pub(crate) image: PathBuf,
}

impl Kernel {
    /// `lib/modules/<release>` of the package.
    pub(crate) fn moddir(&self) -> PathBuf {
        self.root.join("lib/modules").join(&self.release)
    }
}

/// Runs a command and returns its stdout, failing with its stderr.
pub(crate) fn output(command: &mut Command) -> Result<String, String> {
    let shown = format!("{command:?}").replace('"', "");
    let out = command
        .output()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{shown} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The kernel to boot: one already unpacked in `cache/kernel`, else the
/// package `linux-image-amd64` currently depends on, downloaded.
pub(crate) fn obtain(cache: &Path) -> Result<Kernel, String> {
    let dir = cache.join("kernel");
    if let Some(k) = find_unpacked(&dir) {
        return Ok(k);
    }
    let package = current_package()?;
    let debs = cache.join("deb");
    std::fs::create_dir_all(&debs).map_err(|e| format!("{}: {e}", debs.display()))?;
    eprintln!("xtask vm: downloading {package} (apt-get download)");
    let download = || {
        output(
            Command::new("apt-get")
                .current_dir(&debs)
                .args(["download", "-q"])
                .arg(&package),
        )
    };
    if download().is_err() {
        output(Command::new("apt-get").args(["update", "-qq"]))?;
        download()?;
    }
    let deb = std::fs::read_dir(&debs)
        .map_err(|e| format!("{}: {e}", debs.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{package}_")) && n.ends_with(".deb"))
        })
        .ok_or_else(|| {
            format!(
                "apt-get download left no {package}_*.deb in {}",
                debs.display()
            )
        })?;
    let root = dir.join(&package);
    let partial = dir.join(format!("{package}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).map_err(|e| format!("{}: {e}", partial.display()))?;
    output(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&partial))?;
    std::fs::rename(&partial, &root).map_err(|e| format!("{}: {e}", root.display()))?;
    let _ = std::fs::remove_file(&deb);
    find_unpacked(&dir).ok_or_else(|| format!("no kernel with IPVS modules in {}", root.display()))
}

/// The binary package `linux-image-amd64` depends on.
fn current_package() -> Result<String, String> {
    let deps = output(Command::new("apt-cache").args(["depends", "linux-image-amd64"]))?;
    deps.lines()
        .filter_map(|l| l.trim().strip_prefix("Depends:"))
        .map(str::trim)
        .find(|p| p.starts_with("linux-image-"))
        .map(str::to_string)
        .ok_or_else(|| {
            "apt-cache depends linux-image-amd64 names no linux-image package".to_string()
        })
}

/// The newest unpacked kernel under `dir` that has IPVS modules, with
/// `modules.dep` generated.
fn find_unpacked(dir: &Path) -> Option<Kernel> {
    let mut found: Vec<Kernel> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| !p.to_string_lossy().ends_with(".partial"))
        .filter_map(|root| {
            let modules = std::fs::read_dir(root.join("lib/modules")).ok()?;
            modules.filter_map(Result::ok).find_map(|m| {
                let release = m.file_name().to_string_lossy().into_owned();
                let image = root.join("boot").join(format!("vmlinuz-{release}"));
                let ipvs = m.path().join("kernel/net/netfilter/ipvs");
                (image.is_file() && ipvs.is_dir()).then(|| Kernel {
                    root: root.clone(),
                    release,
                    image,
                })
            })
        })
        .collect();
    found.sort_by(|a, b| a.release.cmp(&b.release));
    let k = found.pop()?;
    if !k.moddir().join("modules.dep").is_file() {
        output(
            Command::new("depmod")
                .arg("-b")
                .arg(&k.root)
                .arg(&k.release),
        )
        .ok()?;
    }
    Some(k)
}

/// The uncompressed ELF `vmlinux` inside an XZ bzImage, cached: under TCG
/// the guest would spend seconds decompressing the bzImage itself.
pub(crate) fn vmlinux(k: &Kernel, cache: &Path) -> Option<PathBuf> {
    let path = cache.join(format!("vmlinux-{}", k.release));
    if path.is_file() {
        return Some(path);
    }
    let image = std::fs::read(&k.image).ok()?;
    let magic = [0xfd, b'7', b'z', b'X', b'Z', 0];
    let start = image.windows(magic.len()).position(|w| w == magic)?;
    let tmp = cache.join(format!("vmlinux-{}.partial", k.release));
    std::fs::write(&tmp, &image[start..]).ok()?;
    // xz stops with an error at the bzImage's trailing bytes: keep what
    // it decompressed and check it is an ELF file.
    let out = Command::new("xz").args(["-dcq"]).arg(&tmp).output().ok()?;
    let _ = std::fs::remove_file(&tmp);
    if !out.stdout.starts_with(b"\x7fELF") {
        return None;
    }
    std::fs::write(&path, &out.stdout).ok()?;
    Some(path)
}
