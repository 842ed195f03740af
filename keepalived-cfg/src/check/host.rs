//! What keepalived looks up on the host while it checks a configuration:
//! whether a script's program exists, whether a user exists. The checks
//! take a [`Host`] so that tests can fix the answers.

use std::path::Path;

/// The host facts keepalived's verdict depends on.
pub(crate) trait Host {
    /// keepalived would find `program`: a path is looked at, a bare name
    /// searched in `PATH`.
    fn program_found(&self, program: &str) -> bool;
    /// The user `name` exists.
    fn user_exists(&self, name: &str) -> bool;
}

/// The machine the checker runs on.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ThisHost;

impl Host for ThisHost {
    fn program_found(&self, program: &str) -> bool {
        if program.is_empty() {
            return false;
        }
        if program.contains('/') {
            return Path::new(program).is_file();
        }
        // keepalived searches PATH, or /usr/bin:/bin without one.
        let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into());
        std::env::split_paths(&path).any(|dir| dir.join(program).is_file())
    }

    fn user_exists(&self, name: &str) -> bool {
        let Ok(passwd) = std::fs::read_to_string("/etc/passwd") else {
            return false;
        };
        passwd
            .lines()
            .any(|line| line.split(':').next() == Some(name))
    }
}

/// A host whose answers a test gives.
#[cfg(test)]
#[derive(Clone, Debug, Default)]
pub(crate) struct FakeHost {
    /// The programs found.
    pub(crate) programs: Vec<&'static str>,
    /// The users that exist.
    pub(crate) users: Vec<&'static str>,
}

#[cfg(test)]
impl Host for FakeHost {
    fn program_found(&self, program: &str) -> bool {
        self.programs.contains(&program)
    }

    fn user_exists(&self, name: &str) -> bool {
        self.users.contains(&name)
    }
}

#[cfg(test)]
mod tests {
    use super::{Host, ThisHost};

    #[test]
    fn programs_are_found_like_keepalived() {
        assert!(ThisHost.program_found("/bin/sh"));
        assert!(ThisHost.program_found("sh"));
        assert!(!ThisHost.program_found("/nonexistent/lbkit-check"));
        assert!(!ThisHost.program_found("lbkit-no-such-program"));
        assert!(!ThisHost.program_found(""));
    }

    #[test]
    fn users_are_read_from_passwd() {
        assert!(ThisHost.user_exists("root"));
        assert!(!ThisHost.user_exists("lbkit-no-such-user"));
    }
}
