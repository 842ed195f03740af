//! What keepalived looks up on the host while it checks a configuration:
//! whether a script's program exists, whether a user exists. The checks
//! take a [`Host`] so that tests can fix the answers.

use crate::hash::HashMap;
use std::cell::RefCell;
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

/// Another host's answers, each looked up once: a configuration names
/// the same notify script in many instances.
#[derive(Debug)]
pub(crate) struct Cached<H> {
    /// Where answers come from.
    inner: H,
    /// Programs asked about, with the answer.
    programs: RefCell<HashMap<String, bool>>,
    /// Users asked about, with the answer.
    users: RefCell<HashMap<String, bool>>,
}

impl<H: Host> Cached<H> {
    /// Remembers the answers of `inner`.
    pub(crate) fn new(inner: H) -> Self {
        Cached {
            inner,
            programs: RefCell::default(),
            users: RefCell::default(),
        }
    }
}

/// The remembered answer for `key`, asking `ask` the first time.
fn remember(memo: &RefCell<HashMap<String, bool>>, key: &str, ask: impl FnOnce() -> bool) -> bool {
    if let Some(known) = memo.borrow().get(key) {
        return *known;
    }
    let answer = ask();
    memo.borrow_mut().insert(key.to_string(), answer);
    answer
}

impl<H: Host> Host for Cached<H> {
    fn program_found(&self, program: &str) -> bool {
        remember(&self.programs, program, || {
            self.inner.program_found(program)
        })
    }

    fn user_exists(&self, name: &str) -> bool {
        remember(&self.users, name, || self.inner.user_exists(name))
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
    use super::{Cached, FakeHost, Host, ThisHost};

    #[test]
    fn cached_answers_match_the_host() {
        let fake = FakeHost {
            programs: vec!["/bin/true"],
            users: vec!["root"],
        };
        let cached = Cached::new(fake);
        for _ in 0..2 {
            assert!(cached.program_found("/bin/true"));
            assert!(!cached.program_found("/bin/false"));
            assert!(cached.user_exists("root"));
            assert!(!cached.user_exists("nobody"));
        }
        assert_eq!(cached.programs.borrow().len(), 2);
    }

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
