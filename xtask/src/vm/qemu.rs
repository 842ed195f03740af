//! Booting the guest with qemu-system-x86_64 and reading back what the
//! script printed and its exit status.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::initramfs::{BOOTED, EXIT};

/// Hardware acceleration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accel {
    /// KVM (`-enable-kvm -cpu host`), booting the bzImage.
    Kvm,
    /// TCG emulation (`-accel tcg -cpu max`), booting the ELF vmlinux.
    Tcg,
}

impl Accel {
    /// `LBKIT_VM_ACCEL` (`auto`, `kvm`, `tcg`); `auto` takes KVM when
    /// `/dev/kvm` opens read-write and is not the nested `kvm_pvm` kind,
    /// which only runs PVM-patched guests (a stock kernel hangs there).
    pub(crate) fn choose() -> Result<Self, String> {
        match std::env::var("LBKIT_VM_ACCEL").as_deref() {
            Ok("kvm") => Ok(Accel::Kvm),
            Ok("tcg") => Ok(Accel::Tcg),
            Ok("auto") | Err(_) => {
                let usable = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open("/dev/kvm")
                    .is_ok();
                let pvm = Path::new("/sys/module/kvm_pvm").exists();
                Ok(if usable && !pvm {
                    Accel::Kvm
                } else {
                    Accel::Tcg
                })
            }
            Ok(other) => Err(format!(
                "LBKIT_VM_ACCEL must be auto, kvm or tcg, not `{other}`"
            )),
        }
    }
}

/// What a boot brought back.
pub(crate) struct Outcome {
    /// The script's exit status.
    pub(crate) status: i32,
    /// What the script printed (stdout and stderr).
    pub(crate) output: String,
    /// Host time from starting qemu to the guest's "booted" line.
    pub(crate) boot: Option<Duration>,
    /// Host time from starting qemu to its exit.
    pub(crate) total: Duration,
}

/// qemu, killed by its PID when dropped (every exit path, panics
/// included).
struct Qemu(Child);

impl Drop for Qemu {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// Boot parameters.
pub(crate) struct Boot<'a> {
    /// Kernel image (bzImage or ELF vmlinux).
    pub(crate) kernel: &'a Path,
    /// Initramfs.
    pub(crate) initrd: &'a Path,
    /// Acceleration.
    pub(crate) accel: Accel,
    /// Guest memory in MiB.
    pub(crate) mem_mib: u32,
    /// Guest CPUs.
    pub(crate) smp: u32,
    /// Time after which the guest is killed.
    pub(crate) timeout: Duration,
    /// Directory for the serial logs.
    pub(crate) workdir: &'a Path,
}

/// Boots, waits for power-off (or the timeout), returns the outcome.
/// Hands each complete line the script prints to `on_line` as it comes;
/// `keep_going` is asked every few milliseconds. An error from either
/// kills the guest and is returned.
pub(crate) fn boot_streaming(
    b: &Boot<'_>,
    on_line: &mut dyn FnMut(&str) -> Result<(), String>,
    keep_going: &dyn Fn() -> Result<(), String>,
) -> Result<Outcome, String> {
    let console = b.workdir.join("console.log");
    let out = b.workdir.join("out.log");
    std::fs::write(&out, "").map_err(|e| format!("{}: {e}", out.display()))?;
    let mut cmd = Command::new("qemu-system-x86_64");
    match b.accel {
        Accel::Kvm => cmd.args(["-enable-kvm", "-cpu", "host"]),
        Accel::Tcg => cmd.args(["-accel", "tcg", "-cpu", "max"]),
    };
    cmd.args(["-m", &format!("{}M", b.mem_mib)])
        .args(["-smp", &b.smp.to_string()])
        .args(["-nodefaults", "-no-reboot", "-display", "none"])
        .args(["-monitor", "none", "-nic", "none"])
        .arg("-serial")
        .arg(serial(&console))
        .arg("-serial")
        .arg(serial(&out))
        .arg("-kernel")
        .arg(b.kernel)
        .arg("-initrd")
        .arg(b.initrd)
        .args(["-append", "console=ttyS0 quiet panic=-1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot start qemu-system-x86_64: {e}"))?;
    let mut qemu = Qemu(child);
    let mut booted = None;
    let mut stream = Stream::default();
    let status = loop {
        if let Some(status) = qemu.0.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        let text = read_lossy(&out);
        if booted.is_none() && text.contains(BOOTED) {
            booted = Some(started.elapsed());
        }
        stream.feed(&text, false, on_line)?;
        keep_going()?;
        if started.elapsed() > b.timeout {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let total = started.elapsed();
    let text = read_lossy(&out);
    stream.feed(&text, status.is_some(), on_line)?;
    if booted.is_none() && text.contains(BOOTED) {
        booted = Some(total);
    }
    let Some(qemu_status) = status else {
        drop(qemu);
        return Err(format!(
            "the guest did not finish within {:?}; its output so far:\n{}",
            b.timeout,
            script_output(&text)
        ));
    };
    let mut stderr = String::new();
    if let Some(mut e) = qemu.0.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut stderr);
    }
    let Some(script_status) = exit_status(&text) else {
        return Err(format!(
            "the guest ended without an exit status (qemu: {qemu_status}; {stderr})\nkernel console:\n{}",
            tail(&read_lossy(&console), 60)
        ));
    };
    Ok(Outcome {
        status: script_status,
        output: script_output(&text),
        boot: booted,
        total,
    })
}

/// How much of the script's output has been handed out line by line.
#[derive(Default)]
struct Stream {
    /// Bytes of the script's output (after the "booted" line) handed out.
    done: usize,
    /// Whether the exit marker was seen.
    ended: bool,
}

impl Stream {
    /// Hands the complete lines of `text` (the whole log so far) not yet
    /// handed out to `on_line`; with `last`, also a final unterminated
    /// line before the exit marker.
    fn feed(
        &mut self,
        text: &str,
        last: bool,
        on_line: &mut dyn FnMut(&str) -> Result<(), String>,
    ) -> Result<(), String> {
        let Some(at) = text.find(BOOTED) else {
            return Ok(());
        };
        let Some((_, body)) = text[at..].split_once('\n') else {
            return Ok(());
        };
        while !self.ended {
            let rest = body.get(self.done..).unwrap_or("");
            let (line, used) = match rest.find('\n') {
                Some(end) => (&rest[..end], end + 1),
                None if last && !rest.is_empty() => (rest, rest.len()),
                None => break,
            };
            self.done += used;
            let line = line.trim_end_matches('\r');
            let line = match line.find(EXIT) {
                Some(marker) => {
                    self.ended = true;
                    &line[..marker]
                }
                None => line,
            };
            if !(self.ended && line.is_empty()) {
                on_line(line)?;
            }
        }
        Ok(())
    }
}

/// A `-serial` argument writing to `path`.
fn serial(path: &Path) -> String {
    format!("file:{}", path.display())
}

/// A file's text, empty if unreadable.
fn read_lossy(path: &PathBuf) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// The last `n` lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// What the script printed: after the "booted" line, before the exit
/// marker (which may follow an unterminated line).
fn script_output(text: &str) -> String {
    let text = text.replace('\r', "");
    let body = match text.find(BOOTED) {
        Some(at) => text[at..]
            .split_once('\n')
            .map(|(_, rest)| rest)
            .unwrap_or(""),
        None => &text[..],
    };
    match body.rfind(EXIT) {
        Some(at) => body[..at].to_string(),
        None => body.to_string(),
    }
}

/// The status in the exit marker.
fn exit_status(text: &str) -> Option<i32> {
    let at = text.rfind(EXIT)?;
    let rest = &text[at + EXIT.len()..];
    rest.split("@@").next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_and_status_come_from_between_the_markers() {
        let log = "noise\n@@LBKIT-VM-BOOTED@@ 1.23\nhello\nworld@@LBKIT-VM-EXIT=3@@\n";
        assert_eq!(script_output(log), "hello\nworld");
        assert_eq!(exit_status(log), Some(3));
        assert_eq!(exit_status("@@LBKIT-VM-BOOTED@@ 1\n"), None);
    }

    #[test]
    fn lines_are_streamed_once_each_as_they_complete() {
        let mut seen = Vec::new();
        let mut stream = Stream::default();
        let mut push = |l: &str| {
            seen.push(l.to_string());
            Ok(())
        };
        stream
            .feed("noise\n@@LBKIT-VM-BOOTED@@ 1\nhel", false, &mut push)
            .unwrap();
        stream
            .feed(
                "noise\n@@LBKIT-VM-BOOTED@@ 1\nhello\r\nwor",
                false,
                &mut push,
            )
            .unwrap();
        let all = "noise\n@@LBKIT-VM-BOOTED@@ 1\nhello\r\nworld@@LBKIT-VM-EXIT=0@@\nafter\n";
        stream.feed(all, true, &mut push).unwrap();
        assert_eq!(seen, ["hello", "world"]);
        let mut stop = Stream::default();
        let err = stop.feed(all, true, &mut |_| Err("stop".to_string()));
        assert_eq!(err, Err("stop".to_string()));
    }
}
