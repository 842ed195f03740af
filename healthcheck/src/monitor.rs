//! HAProxy-style monitoring: the [`scheduler`] runs the checks, each
//! server's [`Server`] judges the results and picks
//! the next check time (`inter`, `fastinter`, `downinter`, `spread-checks`).

use std::collections::HashMap;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::checkers::Check;
use crate::haproxy::{Config, Server};
use crate::scheduler::{self, CheckId, Completed, Handle, Options, Stopped};
use crate::transition::Transition;

/// What one finished check changed.
#[derive(Debug, Clone)]
pub struct Update {
    /// Which server.
    pub id: CheckId,
    /// The check's outcome.
    pub completed: Completed,
    /// State changes it caused (often none).
    pub transitions: Vec<Transition>,
}

/// Runs health checks for a set of servers with HAProxy's semantics.
#[derive(Debug)]
pub struct Monitor {
    handle: Handle,
    results: mpsc::Receiver<Completed>,
    servers: HashMap<CheckId, Server>,
    rng: u64,
}

impl Monitor {
    /// Starts the scheduler underneath (on the current tokio runtime).
    pub fn new(options: Options) -> Self {
        let (handle, results) = scheduler::spawn(options);
        Self {
            handle,
            results,
            servers: HashMap::new(),
            rng: options.seed | 1,
        }
    }

    /// Adds a server checked by `check`; its first check runs at `first`
    /// (see [`Server::first_check_offset`] to spread many servers).
    pub fn add(
        &mut self,
        id: CheckId,
        check: Check,
        cfg: Config,
        first: Instant,
    ) -> Result<(), Stopped> {
        let interval = cfg.inter;
        let server = Server::new(cfg, Instant::now().into_std(), first.into_std());
        self.servers.insert(id, server);
        self.handle.add(id, check, interval, first)
    }

    /// The state machine of server `id`.
    pub fn server(&self, id: CheckId) -> Option<&Server> {
        self.servers.get(&id)
    }

    /// Waits for the next finished check, feeds it to its server and
    /// schedules that server's next check. `None` once the scheduler stops.
    pub async fn next(&mut self) -> Option<Update> {
        loop {
            let completed = self.results.recv().await?;
            let Some(server) = self.servers.get_mut(&completed.id) else {
                continue;
            };
            let random = xorshift(&mut self.rng);
            let transitions = server.on_check(
                completed.finished.into_std(),
                &completed.outcome.result,
                random,
            );
            let next = Instant::from_std(server.next_check());
            if self.handle.reschedule(completed.id, next).is_err() {
                return None;
            }
            return Some(Update {
                id: completed.id,
                completed,
                transitions,
            });
        }
    }
}

fn xorshift(state: &mut u64) -> u32 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    (*state >> 32) as u32
}
