//! `script_user` and `enable_script_security` at run time, as keepalived
//! 2.2.7 applies them (`lib/notify.c`):
//!
//! - every script runs as `script_user` (its group: the one given, else
//!   the user's own); without it as `keepalived_script` if that user
//!   exists, else as the daemon's own user;
//! - a script run as root (uid or gid 0) must not be writable by anyone
//!   else: its file and every directory on its path (the path as written
//!   and the resolved one) must be owned by root, and not group-writable
//!   (unless the group is root) nor world-writable; a directory with the
//!   sticky bit (`/tmp`) passes. With `enable_script_security` an unsafe
//!   script is disabled ("Unsafe permissions found for script ... -
//!   disabling"); without it it runs, and keepalived's "SECURITY
//!   VIOLATION" warning is logged once.
//!
//! The verdicts are worked out when a configuration is loaded; the
//! process-wide policy they form is what the script launchers consult.

use lbkit_keepalived_cfg::model::GlobalDefs;
use nix::unistd::{Gid, Group, Uid, User};
use std::collections::HashSet;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// keepalived's default script user.
const DEFAULT_USER: &str = "keepalived_script";

/// The sticky bit.
const STICKY: u32 = 0o1000;

/// How scripts run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Policy {
    /// `enable_script_security`.
    pub(crate) enabled: bool,
    /// The user scripts run as.
    pub(crate) uid: u32,
    /// Their group.
    pub(crate) gid: u32,
    /// Commands refused (unsafe with security on, or not found).
    pub(crate) refused: HashSet<String>,
}

/// The policy in force; `None` before the first load (scripts then run
/// as the daemon's user).
static POLICY: RwLock<Option<Policy>> = RwLock::new(None);

/// Makes `policy` the one in force.
pub(crate) fn install(policy: Policy) {
    let mut slot = POLICY
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    *slot = Some(policy);
}

/// How to run `command`: `Some((uid, gid))`, or `None` when it is refused.
pub(crate) fn launch(command: &str) -> Option<(u32, u32)> {
    let slot = POLICY
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match &*slot {
        Some(p) if p.refused.contains(command) => None,
        Some(p) => Some((p.uid, p.gid)),
        None => Some((Uid::current().as_raw(), Gid::current().as_raw())),
    }
}

/// Makes `command` run as `user` (uid, gid) when that is not the
/// daemon's own user.
pub(crate) fn run_as(command: &mut tokio::process::Command, user: (u32, u32)) {
    let (uid, gid) = user;
    if gid != Gid::current().as_raw() {
        command.gid(gid);
    }
    if uid != Uid::current().as_raw() {
        command.uid(uid);
    }
}

/// The user and group scripts run as under `g`.
pub(crate) fn script_user(g: &GlobalDefs) -> (u32, u32) {
    let ours = (Uid::current().as_raw(), Gid::current().as_raw());
    if let Some(ug) = &g.script_user {
        let name = &ug.value.user.value;
        let Some(user) = User::from_name(name).ok().flatten() else {
            vrrp_log!("Script user '{name}' does not exist");
            return ours;
        };
        let gid = ug
            .value
            .group
            .as_ref()
            .and_then(|name| Group::from_name(&name.value).ok().flatten())
            .map_or(user.gid, |grp| grp.gid);
        return (user.uid.as_raw(), gid.as_raw());
    }
    match User::from_name(DEFAULT_USER).ok().flatten() {
        Some(user) => (user.uid.as_raw(), user.gid.as_raw()),
        None => ours,
    }
}

/// Works out the policy for `commands` under `g`, logging what keepalived
/// logs.
pub(crate) fn policy<'a>(g: &GlobalDefs, commands: impl IntoIterator<Item = &'a str>) -> Policy {
    let enabled = g.enable_script_security.as_ref().is_some_and(|b| b.value);
    let (uid, gid) = script_user(g);
    let mut refused = HashSet::new();
    let mut any_script = false;
    let mut insecure = false;
    for command in commands {
        match check(command, uid, gid) {
            Verdict::Safe => any_script = true,
            Verdict::Unprotected => any_script = true,
            Verdict::Unsafe(_) => {
                any_script = true;
                insecure = true;
                let tail = if enabled { " - disabling" } else { "" };
                let words = crate::daemon::split_words(command);
                let script = words.first().map_or(command, String::as_str);
                vrrp_log!("Unsafe permissions found for script '{script}'{tail}.");
                if enabled {
                    refused.insert(command.to_owned());
                }
            }
            Verdict::NotFound(why) => {
                vrrp_log!("Script {command} cannot be accessed - {why}");
                refused.insert(command.to_owned());
            }
        }
    }
    if !enabled && any_script && (uid == 0 || gid == 0) {
        let extra = if insecure {
            " There are insecure scripts."
        } else {
            ""
        };
        vrrp_log!(
            "SECURITY VIOLATION - scripts are being executed but script_security not enabled.{extra}"
        );
    }
    Policy {
        enabled,
        uid,
        gid,
        refused,
    }
}

/// What a script's permissions allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Run as root and writable by root only.
    Safe,
    /// Not run as root: nothing to check.
    Unprotected,
    /// Run as root, and this file or directory is writable by others.
    Unsafe(PathBuf),
    /// It cannot be found.
    NotFound(String),
}

/// Checks the program of `command` (its first word, looked up in `PATH`
/// when it has no slash) for a script run as `uid`:`gid`.
pub(crate) fn check(command: &str, uid: u32, gid: u32) -> Verdict {
    let words = crate::daemon::split_words(command);
    let Some(program) = words.first() else {
        return Verdict::NotFound("empty command".to_owned());
    };
    let Some(path) = locate(program) else {
        return Verdict::NotFound("not found in PATH".to_owned());
    };
    let real = match std::fs::canonicalize(&path) {
        Ok(p) => p,
        Err(e) => return Verdict::NotFound(e.to_string()),
    };
    let meta = match std::fs::metadata(&real) {
        Ok(m) => m,
        Err(e) => return Verdict::NotFound(e.to_string()),
    };
    let mode = meta.permissions().mode();
    let setuid_root = meta.uid() == 0 && mode & 0o4100 == 0o4100;
    let setgid_root = meta.gid() == 0 && mode & 0o2010 == 0o2010;
    if uid != 0 && gid != 0 && !setuid_root && !setgid_root {
        return Verdict::Unprotected;
    }
    for p in [path.as_path(), real.as_path()] {
        if let Some(bad) = unsafe_component(p) {
            return Verdict::Unsafe(bad);
        }
    }
    Verdict::Safe
}

/// The program's path: as written when it has a slash, else the first
/// `PATH` entry holding it.
fn locate(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// The first component of `path` (from `/` down, links not followed)
/// that someone other than root may write, if any.
fn unsafe_component(path: &Path) -> Option<PathBuf> {
    let mut at = PathBuf::new();
    for part in path.components() {
        at.push(part);
        let Ok(meta) = std::fs::symlink_metadata(&at) else {
            return Some(at);
        };
        let mode = meta.permissions().mode();
        let ft = meta.file_type();
        let checked = (ft.is_dir() && mode & STICKY == 0) || ft.is_file();
        let writable = (meta.gid() != 0 && mode & 0o020 != 0) || mode & 0o002 != 0;
        if meta.uid() != 0 || (checked && writable) {
            return Some(at);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory under the system temporary directory, removed on drop.
    struct Scratch(PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn script_in(mode: u32, tag: &str) -> (Scratch, String) {
        let dir = std::env::temp_dir().join(format!("kars-sec-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
        let file = dir.join("s.sh");
        std::fs::write(&file, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        let cmd = format!("{} arg", file.display());
        (Scratch(dir), cmd)
    }

    #[test]
    fn root_scripts_must_be_root_writable_only() {
        if !Uid::current().is_root() {
            // Ownership by root is what is checked; other users cannot
            // create root-owned files.
            return;
        }
        let (_a, safe) = script_in(0o755, "safe");
        assert_eq!(check(&safe, 0, 0), Verdict::Safe);
        let (b, open) = script_in(0o777, "open");
        assert_eq!(check(&open, 0, 0), Verdict::Unsafe(b.0.clone()));
        // Not run as root: not checked.
        assert_eq!(check(&open, 65534, 65534), Verdict::Unprotected);
        assert!(matches!(
            check("/nonexistent/x.sh", 0, 0),
            Verdict::NotFound(_)
        ));
    }

    #[test]
    fn policy_refuses_unsafe_scripts_only_with_security_on() {
        if !Uid::current().is_root() {
            return;
        }
        let (_b, open) = script_in(0o777, "pol");
        let globals = |text: &str| {
            let opts = lbkit_keepalived_cfg::Options::new();
            lbkit_keepalived_cfg::load_str("t.conf", text, &opts)
                .config
                .global_defs
        };
        let off = globals("global_defs {\n  router_id a\n}\n");
        let p = policy(&off, [open.as_str()]);
        assert!(p.refused.is_empty());
        let on = globals("global_defs {\n  enable_script_security\n  script_user nobody\n}\n");
        // Run as nobody: nothing to protect, it runs.
        let p = policy(&on, [open.as_str()]);
        assert!(p.refused.is_empty());
        assert_ne!(p.uid, 0);
        let root = globals("global_defs {\n  enable_script_security\n  script_user root\n}\n");
        let p = policy(&root, [open.as_str()]);
        assert!(p.refused.contains(&open));
        assert_eq!((p.uid, p.gid), (0, 0));
    }
}
