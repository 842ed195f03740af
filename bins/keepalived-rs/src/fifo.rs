//! `notify_fifo` and `vrrp_notify_fifo`: each state change written as one
//! line, `INSTANCE "VI_1" MASTER 100` or `GROUP "VG1" BACKUP 0`, as
//! keepalived 2.2.7's `notify_fifo()` writes it.
//!
//! As keepalived does (`fifo_open()`), a missing FIFO is created (mode
//! 0644, removed again at exit), the `*_fifo_script` is started with the
//! FIFO's path as its last argument, and the FIFO is opened read-write and
//! non-blocking, so that writing never waits for a reader: a line that
//! does not fit is dropped.

use crate::settings::{Fifo, Settings};
use nix::sys::stat::Mode;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::PathBuf;

/// The open notify FIFOs.
#[derive(Debug, Default)]
pub(crate) struct Fifos {
    /// Open FIFOs, with their settings.
    open: Vec<(Fifo, File)>,
    /// FIFOs created here, removed on drop.
    created: Vec<PathBuf>,
}

impl Fifos {
    /// Opens the FIFOs `settings` name, keeping those already open with
    /// the same settings (a reload does not restart their scripts).
    pub(crate) fn update(&mut self, settings: &Settings) {
        let wanted: Vec<&Fifo> = [&settings.notify_fifo, &settings.vrrp_notify_fifo]
            .into_iter()
            .flatten()
            .collect();
        let mut kept = Vec::new();
        for (fifo, file) in std::mem::take(&mut self.open) {
            if wanted.contains(&&fifo) {
                kept.push((fifo, file));
            }
        }
        for fifo in wanted {
            if kept.iter().any(|(f, _)| f == fifo) {
                continue;
            }
            match self.open_one(fifo) {
                Ok(file) => kept.push((fifo.clone(), file)),
                Err(e) => vrrp_log!("Unable to open notify fifo {} - {e}", fifo.path.display()),
            }
        }
        self.open = kept;
    }

    /// Creates (if missing), starts the script of, and opens one FIFO.
    fn open_one(&mut self, fifo: &Fifo) -> std::io::Result<File> {
        let is_fifo = std::fs::symlink_metadata(&fifo.path)
            .map(|m| m.file_type().is_fifo())
            .ok();
        match is_fifo {
            Some(true) => {}
            Some(false) => {
                return Err(std::io::Error::other("exists and is not a FIFO"));
            }
            None => {
                nix::unistd::mkfifo(&fifo.path, Mode::from_bits_truncate(0o644))
                    .map_err(std::io::Error::from)?;
                self.created.push(fifo.path.clone());
            }
        }
        if let Some(script) = &fifo.script {
            let path = fifo.path.display().to_string();
            crate::daemon::spawn_script(script, &[&path]);
        }
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
            .open(&fifo.path)
    }

    /// Writes an instance's state change.
    pub(crate) fn instance(&mut self, name: &str, state: &str, priority: u8) {
        self.write(&line("INSTANCE", name, state, priority));
    }

    /// Writes a sync group's state change.
    pub(crate) fn group(&mut self, name: &str, state: &str) {
        self.write(&line("GROUP", name, state, 0));
    }

    /// Writes one line to every open FIFO (dropped where it does not fit).
    fn write(&mut self, line: &str) {
        for (_, file) in &mut self.open {
            let _ = file.write_all(line.as_bytes());
        }
    }
}

impl Drop for Fifos {
    fn drop(&mut self) {
        for path in &self.created {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// One FIFO line: `TYPE "NAME" STATE PRIORITY`.
pub(crate) fn line(kind: &str, name: &str, state: &str, priority: u8) -> String {
    format!("{kind} \"{name}\" {state} {priority}\n")
}

/// This process's `uid:gid`, as keepalived's dump prints them.
pub(crate) fn uid_gid() -> String {
    format!(
        "{}:{}",
        nix::unistd::getuid().as_raw(),
        nix::unistd::getgid().as_raw()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn lines_are_keepalived_s() {
        assert_eq!(
            line("INSTANCE", "VI_1", "MASTER", 100),
            "INSTANCE \"VI_1\" MASTER 100\n"
        );
        assert_eq!(
            line("GROUP", "VG1", "BACKUP", 0),
            "GROUP \"VG1\" BACKUP 0\n"
        );
    }

    #[test]
    fn creates_writes_and_removes_the_fifo() {
        let dir = std::env::temp_dir().join(format!("kars-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify.fifo");
        let settings = Settings {
            vrrp_notify_fifo: Some(Fifo {
                path: path.clone(),
                script: None,
            }),
            ..Settings::default()
        };
        let mut fifos = Fifos::default();
        fifos.update(&settings);
        assert!(std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_fifo());
        // A reader opened after the daemon still gets the lines (the
        // daemon holds the FIFO open read-write).
        let mut reader = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
            .open(&path)
            .unwrap();
        fifos.instance("VI_1", "MASTER", 100);
        fifos.group("VG1", "MASTER");
        let mut got = String::new();
        let _ = reader.read_to_string(&mut got);
        assert_eq!(
            got,
            "INSTANCE \"VI_1\" MASTER 100\nGROUP \"VG1\" MASTER 0\n"
        );
        drop(fifos);
        assert!(!path.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
