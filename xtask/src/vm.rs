//! `cargo xtask vm`: a throw-away qemu VM running Debian's stock kernel
//! (IPVS as modules) from a small initramfs, for tests that need a real
//! IPVS kernel when the host's has none.
//!
//! * `cargo xtask vm run SCRIPT [FILES...]`: runs SCRIPT (busybox `sh`,
//!   in `/payload`, with FILES and their libraries) as root in the guest,
//!   prints its output, exits with its status.
//! * `cargo xtask vm test`: builds lbkit-ipvs's test binaries and
//!   keepalived-rs's `vm_*` tests with the daemon itself (and the host's
//!   keepalived as their reference), and runs their VM tests (the
//!   `#[ignore]`d ones) in one boot.
//! * `cargo xtask vm bench`: the same binaries, only the performance test
//!   (`vm_bench`), built with `--release`, with 2 GiB of guest memory.
//!
//! Environment: `LBKIT_VM_ACCEL` (`auto`|`kvm`|`tcg`), `LBKIT_VM_TIMEOUT`
//! (seconds, default 600), `LBKIT_VM_MEM` (MiB, default 1024),
//! `LBKIT_VM_CACHE` (default `/var/tmp/lbkit-ipvs-vm`).

mod cpio;
mod initramfs;
mod kernel;
mod qemu;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub(crate) use initramfs::TempDir;
use qemu::Accel;

/// Usage of `cargo xtask vm`.
const USAGE: &str = "\
usage: cargo xtask vm run SCRIPT [FILES...]
       cargo xtask vm test [TEST-FILTER...]
       cargo xtask vm bench";

/// Entry point of `cargo xtask vm ...`.
pub(crate) fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("run") => {
            let script = args
                .get(1)
                .ok_or_else(|| format!("missing SCRIPT\n{USAGE}"))?;
            let files: Vec<PathBuf> = args[2..].iter().map(PathBuf::from).collect();
            let outcome = boot_script(Path::new(script), &files)?;
            print!("{}", outcome.output);
            report_times(&outcome);
            match outcome.status {
                0 => Ok(()),
                n => Err(format!("the script exited with status {n}")),
            }
        }
        Some("test") => test(&args[1..], false),
        Some("bench") => test(&[], true),
        _ => Err(USAGE.to_string()),
    }
}

/// The cache directory.
fn cache_dir() -> Result<PathBuf, String> {
    let dir = std::env::var_os("LBKIT_VM_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/lbkit-ipvs-vm"));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// A numeric environment setting.
fn env_num(name: &str, default: u64) -> Result<u64, String> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map_err(|_| format!("{name} must be a number, not `{v}`")),
        Err(_) => Ok(default),
    }
}

/// Boots the VM once with `script` and `files`.
fn boot_script(script: &Path, files: &[PathBuf]) -> Result<qemu::Outcome, String> {
    boot_script_mem(script, files, 1024)
}

/// Boots the VM once with `script` and `files` and `mem_default` MiB
/// unless `LBKIT_VM_MEM` says otherwise.
fn boot_script_mem(
    script: &Path,
    files: &[PathBuf],
    mem_default: u64,
) -> Result<qemu::Outcome, String> {
    boot_script_streaming(script, files, mem_default, &mut |_| Ok(()), &|| Ok(()))
}

/// Boots the VM once with `script` and `files` (see [`boot_script_mem`]),
/// handing each line the script prints to `on_line` as it comes and
/// asking `keep_going` every few milliseconds; an error from either kills
/// the guest. Returns the script's exit status. (`cargo xtask demo lvs`.)
pub(crate) fn boot_script_live(
    script: &Path,
    files: &[PathBuf],
    on_line: &mut dyn FnMut(&str) -> Result<(), String>,
    keep_going: &dyn Fn() -> Result<(), String>,
) -> Result<i32, String> {
    let outcome = boot_script_streaming(script, files, 1024, on_line, keep_going)?;
    report_times(&outcome);
    Ok(outcome.status)
}

/// [`boot_script_mem`] with the output streamed (see [`boot_script_live`]).
fn boot_script_streaming(
    script: &Path,
    files: &[PathBuf],
    mem_default: u64,
    on_line: &mut dyn FnMut(&str) -> Result<(), String>,
    keep_going: &dyn Fn() -> Result<(), String>,
) -> Result<qemu::Outcome, String> {
    for f in std::iter::once(&script.to_path_buf()).chain(files) {
        if !f.is_file() {
            return Err(format!("{} is not a file", f.display()));
        }
    }
    crate::deps::ensure(crate::deps::VM_TOOLS)?;
    let cache = cache_dir()?;
    let kernel = kernel::obtain(&cache)?;
    let base = initramfs::base(&kernel, &cache)?;
    let accel = Accel::choose()?;
    let image = match accel {
        Accel::Kvm => kernel.image.clone(),
        Accel::Tcg => {
            eprintln!("xtask vm: no usable KVM here, emulating with TCG (slower)");
            kernel::vmlinux(&kernel, &cache).unwrap_or_else(|| kernel.image.clone())
        }
    };
    let tmp = TempDir::new("run")?;
    let mut initrd = std::fs::read(&base).map_err(|e| format!("{}: {e}", base.display()))?;
    initrd.extend_from_slice(&initramfs::overlay(script, files)?);
    let initrd_path = tmp.0.join("initrd");
    std::fs::write(&initrd_path, &initrd).map_err(|e| format!("{}: {e}", initrd_path.display()))?;
    eprintln!(
        "xtask vm: booting {} ({accel:?}, initramfs {} MiB)",
        kernel.release,
        initrd.len() >> 20
    );
    qemu::boot_streaming(
        &qemu::Boot {
            kernel: &image,
            initrd: &initrd_path,
            accel,
            mem_mib: u32::try_from(env_num("LBKIT_VM_MEM", mem_default)?).unwrap_or(1024),
            smp: 1,
            timeout: Duration::from_secs(env_num("LBKIT_VM_TIMEOUT", 600)?),
            workdir: &tmp.0,
        },
        on_line,
        keep_going,
    )
}

/// Prints the boot and total times.
fn report_times(o: &qemu::Outcome) {
    match o.boot {
        Some(b) => eprintln!(
            "xtask vm: boot {:.2} s (qemu start to guest ready), total {:.2} s",
            b.as_secs_f64(),
            o.total.as_secs_f64()
        ),
        None => eprintln!("xtask vm: total {:.2} s", o.total.as_secs_f64()),
    }
}

/// The reference keepalived shipped into the guest.
const KEEPALIVED: &str = "/usr/sbin/keepalived";

/// keepalived-rs's tests that run in the VM (`tests/vm_*.rs`).
const KEEPALIVED_VM_TESTS: &[&str] = &["vm_lvs", "vm_lvs_topology"];

/// Builds lbkit-ipvs's test binaries (and keepalived-rs's VM tests with
/// the daemon) and runs their VM tests in one boot (or, for `bench`, only
/// lbkit-ipvs's performance test).
pub(crate) fn test(filters: &[String], bench: bool) -> Result<(), String> {
    let mut binaries = build_test_binaries("lbkit-ipvs", &[], bench)?;
    if binaries.is_empty() {
        return Err("cargo built no lbkit-ipvs test binaries".into());
    }
    if !bench {
        let args: Vec<&str> = KEEPALIVED_VM_TESTS
            .iter()
            .flat_map(|t| ["--test", t])
            .collect();
        let daemon = build_test_binaries("keepalived-rs", &args, false)?;
        if !daemon.iter().any(|b| is_tool(b)) {
            return Err("cargo did not report the keepalived-rs binary".into());
        }
        binaries.extend(daemon);
        // The reference keepalived, for the side-by-side VM test.
        let reference = PathBuf::from(KEEPALIVED);
        if reference.is_file() {
            binaries.push(reference);
        } else {
            eprintln!(
                "xtask vm: {KEEPALIVED} is missing: the keepalived reference test will fail in CI"
            );
        }
    }
    let tmp = TempDir::new("test")?;
    let script = tmp.0.join("run-tests.sh");
    // The ipvsadm example would shadow the real ipvsadm on PATH.
    let mut text = String::from("rc=0\n[ -f ipvsadm ] && mv ipvsadm lbkit-ipvsadm\n");
    if bench {
        text.push_str("export LBKIT_IPVS_BENCH=1\n");
        for name in ["LBKIT_IPVS_BENCH_SERVICES", "LBKIT_IPVS_BENCH_DESTS"] {
            if let Ok(v) = std::env::var(name) {
                let v: String = v.chars().filter(char::is_ascii_digit).collect();
                text.push_str(&format!("export {name}={v}\n"));
            }
        }
    }
    let wanted = |b: &&PathBuf| {
        let is_bench = b
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("vm_bench-"));
        !is_tool(b) && (!bench || is_bench)
    };
    for b in binaries.iter().filter(wanted) {
        let name = b
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        text.push_str(&format!(
            "echo \"== {name}\"\n./{name} --ignored --test-threads=1 --show-output {} || rc=1\n",
            filters.join(" ")
        ));
    }
    text.push_str("exit $rc\n");
    std::fs::write(&script, text).map_err(|e| e.to_string())?;
    let mem = if bench { 2048 } else { 1024 };
    let shipped = stripped(&binaries, &tmp.0);
    let outcome = boot_script_mem(&script, &shipped, mem)?;
    print!("{}", outcome.output);
    report_times(&outcome);
    match outcome.status {
        0 => Ok(()),
        n => Err(format!("VM tests failed (status {n})")),
    }
}

/// Copies of `binaries` without debug information (a smaller initramfs
/// boots faster), in `dir`; a binary `strip` fails on is shipped as is.
pub(crate) fn stripped(binaries: &[PathBuf], dir: &Path) -> Vec<PathBuf> {
    binaries
        .iter()
        .map(|b| {
            let Some(name) = b.file_name() else {
                return b.clone();
            };
            let out = dir.join(name);
            let ok = Command::new("strip")
                .arg("--strip-debug")
                .arg("-o")
                .arg(&out)
                .arg(b)
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                out
            } else {
                b.clone()
            }
        })
        .collect()
}

/// Whether `path` is a program the tests use rather than a test: the
/// ipvsadm example, the keepalived-rs daemon, the reference keepalived.
fn is_tool(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == "ipvsadm" || n == "keepalived-rs" || n == "keepalived")
}

/// `cargo test -p PACKAGE --no-run --message-format=json ARGS`: the
/// paths of the test executables it reports, and of the examples and
/// binaries it built (the ipvsadm example, the keepalived-rs daemon).
fn build_test_binaries(
    package: &str,
    args: &[&str],
    release: bool,
) -> Result<Vec<PathBuf>, String> {
    let profile: &[&str] = if release { &["--release"] } else { &[] };
    eprintln!(
        "xtask vm: $ cargo test -p {package} --no-run --message-format=json {} {}",
        args.join(" "),
        profile.join(" ")
    );
    let out = crate::run::cargo()
        .args(["test", "-p", package, "--no-run"])
        .arg("--message-format=json")
        .args(args)
        .args(profile)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!("building the {package} tests failed"));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(test_executables(&text))
}

/// The `executable` of every compiler artifact built as a test, an
/// example or a binary.
pub(crate) fn test_executables(json_lines: &str) -> Vec<PathBuf> {
    json_lines
        .lines()
        .filter(|l| {
            l.contains("\"reason\":\"compiler-artifact\"")
                && (l.contains("\"test\":true")
                    || l.contains("\"kind\":[\"example\"]")
                    || l.contains("\"kind\":[\"bin\"]"))
        })
        .filter_map(|l| {
            let start = l.find("\"executable\":\"")? + "\"executable\":\"".len();
            let end = l[start..].find('"')? + start;
            Some(PathBuf::from(&l[start..end]))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executables_are_read_from_cargo_json() {
        let lines = concat!(
            r#"{"reason":"compiler-artifact","profile":{"test":true},"executable":"/t/deps/golden-1"}"#,
            "\n",
            r#"{"reason":"compiler-artifact","profile":{"test":false},"executable":null}"#,
            "\n",
            r#"{"reason":"compiler-artifact","target":{"kind":["bin"],"name":"keepalived-rs"},"profile":{"test":false},"executable":"/t/keepalived-rs"}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#
        );
        assert_eq!(
            test_executables(lines),
            [
                PathBuf::from("/t/deps/golden-1"),
                PathBuf::from("/t/keepalived-rs")
            ]
        );
        assert!(is_tool(Path::new("/t/keepalived-rs")));
        assert!(!is_tool(Path::new("/t/deps/vm_lvs-0123")));
    }
}
