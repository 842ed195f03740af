//! A backend at run time: its servers, their connection counts, the shared
//! scheduler, the queue of requests waiting for a free server, and
//! connecting with `retries` and `option redispatch`.

use super::config::{Backend, Server};
use super::error::Error;
use super::stats::{bump, Counters};
use lbkit_sched::haproxy::{Balance, Balancer};
use lbkit_sched::{
    PickError, RequestKey, Scheduler, ServerConfig, ServerId, ServerState, SharedScheduler,
};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio::sync::Notify;

/// HAProxy's turn-around delay between two connection attempts to the
/// same server (shortened to `timeout connect` when that is lower).
const TURN_AROUND: Duration = Duration::from_secs(1);

/// A running backend.
#[derive(Debug)]
pub(crate) struct BackendRt {
    /// Its configuration.
    pub(crate) cfg: Backend,
    sched: SharedScheduler,
    servers: Vec<ServerRt>,
    queue: Notify,
    queued: AtomicU32,
    /// Connections on its servers now.
    cur: AtomicU32,
    /// Its counters.
    pub(crate) stats: Counters,
}

/// Administrative flag: forced into maintenance (as HAProxy's 0x01).
pub(crate) const ADMIN_MAINT: u8 = 0x01;
/// Administrative flag: forced drain (as HAProxy's 0x08).
pub(crate) const ADMIN_DRAIN: u8 = 0x08;

/// A running server.
#[derive(Debug)]
pub(crate) struct ServerRt {
    /// Its configuration.
    pub(crate) cfg: Server,
    cur: AtomicU32,
    /// The state in effect (health and administrative flags combined).
    state: AtomicU8,
    /// The state health checks (or the configuration) gave it.
    health: AtomicU8,
    /// Administrative flags ([`ADMIN_MAINT`], [`ADMIN_DRAIN`]).
    admin: AtomicU8,
    weight: AtomicU32,
    /// `maxconn` now (0: no limit), settable at run time.
    maxconn: AtomicU32,
    /// The last health check's figures, when the server is checked.
    pub(crate) check: std::sync::Mutex<Option<crate::ops::snapshot::Check>>,
    /// When the state in effect last changed.
    pub(crate) last_change: std::sync::Mutex<Instant>,
    /// Its counters.
    pub(crate) stats: Counters,
    /// Idle keep-alive HTTP connections to it.
    pub(crate) idle: Arc<super::http::Idle>,
    /// `ssl`: how to speak TLS to it.
    pub(crate) tls: Option<super::tls::Connector>,
}

/// Why no server connection could be had.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ConnectError {
    /// No server is usable (all down, drained, weight 0, or none at all).
    #[error("no server available")]
    NoServer,
    /// Waited in the queue longer than `timeout queue`.
    #[error("queue timeout")]
    QueueTimeout,
    /// Every attempt failed (refused, reset or timed out).
    #[error("connection to server failed")]
    Failed,
}

/// A connection slot on a server, held while the connection is in use:
/// dropping it frees the slot and wakes one queued request.
#[derive(Debug)]
pub(crate) struct Slot {
    backend: Arc<BackendRt>,
    index: usize,
}

impl Slot {
    /// The index of the server holding the slot among the backend's.
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    /// The server holding the slot.
    pub(crate) fn server(&self) -> &ServerRt {
        &self.backend.servers[self.index]
    }

    /// Counts bytes sent to the client on the server and its backend.
    pub(crate) fn count_bytes(&self, to_client: u64) {
        self.server().stats.bytes(0, to_client);
        self.backend.stats.bytes(0, to_client);
    }

    /// Counts request bytes sent on to the server, on it and its backend.
    pub(crate) fn count_bytes_in(&self, from_client: u64) {
        self.server().stats.bytes(from_client, 0);
        self.backend.stats.bytes(from_client, 0);
    }

    /// Counts a response from the server on it and its backend.
    pub(crate) fn count_response(&self, status: u16) {
        self.server().stats.response(status);
        self.backend.stats.response(status);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let server = &self.backend.servers[self.index];
        server.cur.fetch_sub(1, Ordering::AcqRel);
        self.backend.cur.fetch_sub(1, Ordering::Relaxed);
        // The scheduler knows the server: ignoring the result is safe.
        let _ = self
            .backend
            .sched
            .connection_closed(ServerId(server.cfg.id));
        self.backend.queue.notify_one();
    }
}

fn state_code(state: ServerState) -> u8 {
    match state {
        ServerState::Down => 1,
        ServerState::Drain => 2,
        _ => 0,
    }
}

fn state_from_code(code: u8) -> ServerState {
    match code {
        1 => ServerState::Down,
        2 => ServerState::Drain,
        _ => ServerState::Up,
    }
}

impl ServerRt {
    /// Connections currently using the server.
    pub(crate) fn current(&self) -> u32 {
        self.cur.load(Ordering::Acquire)
    }

    /// The server's state as last set.
    pub(crate) fn state(&self) -> ServerState {
        state_from_code(self.state.load(Ordering::Acquire))
    }

    /// The server's weight as last set.
    pub(crate) fn weight(&self) -> u32 {
        self.weight.load(Ordering::Acquire)
    }

    /// The administrative flags ([`ADMIN_MAINT`], [`ADMIN_DRAIN`]).
    pub(crate) fn admin(&self) -> u8 {
        self.admin.load(Ordering::Acquire)
    }

    /// The state health checks gave it.
    pub(crate) fn health(&self) -> ServerState {
        state_from_code(self.health.load(Ordering::Acquire))
    }

    /// The state in effect for `health` under the administrative flags:
    /// maintenance wins, then down, then drain.
    fn effective(&self, health: ServerState) -> ServerState {
        let admin = self.admin();
        if admin & ADMIN_MAINT != 0 || health == ServerState::Down {
            ServerState::Down
        } else if admin & ADMIN_DRAIN != 0 {
            ServerState::Drain
        } else {
            health
        }
    }

    fn usable(&self) -> bool {
        self.state() == ServerState::Up && self.weight.load(Ordering::Acquire) > 0
    }

    /// `maxconn` now (0: no limit).
    pub(crate) fn maxconn(&self) -> u32 {
        self.maxconn.load(Ordering::Relaxed)
    }

    fn full(&self) -> bool {
        let max = self.maxconn();
        max > 0 && self.current() >= max
    }
}

/// Outcome of one try at assigning a server.
enum Assign {
    Got(usize),
    Full,
    NoServer,
}

impl BackendRt {
    /// Builds the backend and its scheduler.
    pub(crate) fn new(cfg: Backend) -> Result<Self, Error> {
        let balancer = Balancer::new(cfg.balance.clone()).map_err(|source| Error::Balance {
            backend: cfg.name.clone(),
            source,
        })?;
        let sched = SharedScheduler::new(Scheduler::Haproxy(balancer));
        let mut servers = Vec::with_capacity(cfg.servers.len());
        for server in &cfg.servers {
            let mut sc = ServerConfig::new(server.weight)
                .addr(server.addr)
                .maxconn(server.maxconn);
            if server.backup {
                sc = sc.backup();
            }
            let id = ServerId(server.id);
            let add = sched.add(id, sc).and_then(|()| {
                if server.disabled {
                    sched.set_state(id, ServerState::Down)
                } else {
                    Ok(())
                }
            });
            add.map_err(|source| Error::Server {
                backend: cfg.name.clone(),
                server: server.name.clone(),
                source,
            })?;
            let state = if server.disabled {
                ServerState::Down
            } else {
                ServerState::Up
            };
            servers.push(ServerRt {
                cfg: server.clone(),
                cur: AtomicU32::new(0),
                state: AtomicU8::new(state_code(state)),
                health: AtomicU8::new(state_code(state)),
                admin: AtomicU8::new(0),
                weight: AtomicU32::new(server.weight),
                maxconn: AtomicU32::new(server.maxconn),
                check: std::sync::Mutex::new(None),
                last_change: std::sync::Mutex::new(Instant::now()),
                stats: Counters::default(),
                idle: Arc::default(),
                tls: match &server.tls {
                    Some(t) => Some(super::tls::Connector::new(t, server.addr)?),
                    None => None,
                },
            });
        }
        Ok(BackendRt {
            cfg,
            sched,
            servers,
            queue: Notify::new(),
            queued: AtomicU32::new(0),
            cur: AtomicU32::new(0),
            stats: Counters::default(),
        })
    }

    /// Requests waiting in the queue.
    pub(crate) fn queued(&self) -> u32 {
        self.queued.load(Ordering::Acquire)
    }

    /// Connections on all the backend's servers.
    pub(crate) fn current(&self) -> u32 {
        self.cur.load(Ordering::Relaxed)
    }

    /// The servers, in declaration order.
    pub(crate) fn servers(&self) -> &[ServerRt] {
        &self.servers
    }

    fn index_of(&self, id: ServerId) -> Option<usize> {
        self.servers.iter().position(|s| s.cfg.id == id.0)
    }

    /// Sets the state health checks give a server; the administrative
    /// flags still apply on top. Returns the state in effect before.
    pub(crate) fn set_state(
        &self,
        index: usize,
        state: ServerState,
    ) -> Result<ServerState, lbkit_sched::Error> {
        let Some(server) = self.servers.get(index) else {
            return Ok(state);
        };
        server.health.store(state_code(state), Ordering::Release);
        self.apply(server)
    }

    /// Sets a server's administrative flags ([`ADMIN_MAINT`],
    /// [`ADMIN_DRAIN`]). Returns the state in effect before.
    pub(crate) fn set_admin(
        &self,
        index: usize,
        flags: u8,
    ) -> Result<ServerState, lbkit_sched::Error> {
        let Some(server) = self.servers.get(index) else {
            return Ok(ServerState::Down);
        };
        server.admin.store(flags, Ordering::Release);
        self.apply(server)
    }

    /// Applies an administrative change as the runtime API words it.
    pub(crate) fn set_admin_state(
        &self,
        index: usize,
        admin: super::AdminState,
    ) -> Result<ServerState, lbkit_sched::Error> {
        let current = self.servers.get(index).map_or(0, ServerRt::admin);
        let flags = match admin {
            super::AdminState::Ready => 0,
            super::AdminState::Drain => ADMIN_DRAIN,
            super::AdminState::Maint => ADMIN_MAINT,
            super::AdminState::Enable => current & !ADMIN_MAINT,
        };
        self.set_admin(index, flags)
    }

    /// Hands the state in effect to the scheduler; the one before.
    fn apply(&self, server: &ServerRt) -> Result<ServerState, lbkit_sched::Error> {
        let state = server.effective(server.health());
        self.sched.set_state(ServerId(server.cfg.id), state)?;
        let before = state_from_code(server.state.swap(state_code(state), Ordering::AcqRel));
        if before != state {
            *server
                .last_change
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
        }
        self.queue.notify_waiters();
        Ok(before)
    }

    /// Sets a server's `maxconn` (0: no limit) and wakes the queue.
    pub(crate) fn set_maxconn(&self, index: usize, maxconn: u32) {
        if let Some(server) = self.servers.get(index) {
            server.maxconn.store(maxconn, Ordering::Relaxed);
            self.queue.notify_waiters();
        }
    }

    /// Sets how far a server is into its `slowstart` ramp.
    pub(crate) fn set_slowstart(
        &self,
        index: usize,
        elapsed: Duration,
        slowstart: Duration,
    ) -> Result<(), lbkit_sched::Error> {
        let Some(server) = self.servers.get(index) else {
            return Ok(());
        };
        let mut sched = self.sched.lock();
        if let Scheduler::Haproxy(b) = &mut *sched {
            b.set_slowstart(ServerId(server.cfg.id), elapsed, slowstart)?;
        }
        Ok(())
    }

    /// Sets a server's weight.
    pub(crate) fn set_weight(&self, index: usize, weight: u32) -> Result<(), lbkit_sched::Error> {
        let Some(server) = self.servers.get(index) else {
            return Ok(());
        };
        self.sched.set_weight(ServerId(server.cfg.id), weight)?;
        server.weight.store(weight, Ordering::Release);
        self.queue.notify_waiters();
        Ok(())
    }

    fn try_assign(&self, key: &RequestKey<'_>) -> Assign {
        let mut sched = self.sched.lock();
        match sched.pick(key) {
            Ok(id) => {
                let Some(index) = self.index_of(id) else {
                    return Assign::NoServer;
                };
                let server = &self.servers[index];
                if server.full() {
                    return Assign::Full;
                }
                let on_server = server.cur.fetch_add(1, Ordering::AcqRel) + 1;
                let on_backend = self.cur.fetch_add(1, Ordering::Relaxed) + 1;
                // The id came from this scheduler.
                let _ = sched.connection_opened(id);
                drop(sched);
                server.stats.session(u64::from(on_server));
                bump(&server.stats.lbtot);
                self.stats.session(u64::from(on_backend));
                bump(&self.stats.lbtot);
                Assign::Got(index)
            }
            Err(PickError::Unavailable) if self.servers.iter().any(|s| s.usable() && s.full()) => {
                Assign::Full
            }
            Err(_) => Assign::NoServer,
        }
    }

    /// Assigns a server, waiting in the queue while every usable server is
    /// at its `maxconn`, for at most `timeout queue` (or `timeout connect`).
    pub(crate) async fn assign(
        self: &Arc<Self>,
        key: &RequestKey<'_>,
    ) -> Result<Slot, ConnectError> {
        let wait = self.cfg.timeouts.queue.or(self.cfg.timeouts.connect);
        let deadline = wait.map(|d| tokio::time::Instant::now() + d);
        loop {
            let notified = self.queue.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.try_assign(key) {
                Assign::Got(index) => {
                    return Ok(Slot {
                        backend: Arc::clone(self),
                        index,
                    })
                }
                Assign::NoServer => return Err(ConnectError::NoServer),
                Assign::Full => {}
            }
            self.queued.fetch_add(1, Ordering::AcqRel);
            let waited = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, notified).await.is_ok(),
                None => {
                    notified.await;
                    true
                }
            };
            self.queued.fetch_sub(1, Ordering::AcqRel);
            if !waited {
                return Err(ConnectError::QueueTimeout);
            }
        }
    }

    /// Whether HAProxy waits its turn-around delay after a refused
    /// connection: always when retrying the same server; after a redispatch
    /// only for non-round-robin algorithms or with at most one active server.
    fn waits_before_retry(&self, redispatched: bool) -> bool {
        let rr = matches!(
            self.cfg.balance.balance,
            Balance::RoundRobin | Balance::StaticRr
        );
        let active = self
            .servers
            .iter()
            .filter(|s| !s.cfg.backup && s.usable())
            .count();
        !redispatched || !rr || active <= 1
    }

    /// Whether retry number `done` (1-based) goes to another server.
    fn redispatch_on(&self, done: u32, server_down: bool) -> bool {
        let Some(every) = self.cfg.redispatch else {
            return false;
        };
        if server_down {
            return true;
        }
        let retries = i64::from(self.cfg.retries);
        let period = if every > 0 {
            i64::from(every)
        } else {
            retries + 1 + i64::from(every)
        };
        period > 0 && i64::from(done) % period == 0
    }

    /// Connects to a server: assigns one (queueing if needed), then tries
    /// up to `retries` more times on failure, moving to another server when
    /// `option redispatch` says so.
    pub(crate) async fn connect(
        self: &Arc<Self>,
        key: &RequestKey<'_>,
    ) -> Result<(TcpStream, Slot, ConnectInfo), ConnectError> {
        let started = Instant::now();
        let slot = self.assign(key).await?;
        let queued = started.elapsed();
        let (stream, slot, mut info) = self.connect_from(slot, key).await?;
        info.queue_time = queued;
        Ok((stream, slot, info))
    }

    /// Connects to the server of an assigned slot, with the retries and
    /// redispatches [`BackendRt::connect`] describes.
    pub(crate) async fn connect_from(
        self: &Arc<Self>,
        mut slot: Slot,
        key: &RequestKey<'_>,
    ) -> Result<(TcpStream, Slot, ConnectInfo), ConnectError> {
        let started = Instant::now();
        let mut done = 0u32;
        loop {
            let addr = slot.server().cfg.addr;
            let attempt = connect_once(addr, self.cfg.timeouts.connect).await;
            match attempt {
                Ok(stream) => {
                    let info = ConnectInfo {
                        retries: done,
                        queue_time: Duration::ZERO,
                        connect_time: started.elapsed(),
                    };
                    return Ok((stream, slot, info));
                }
                Err(timed_out) => {
                    if done >= self.cfg.retries {
                        bump(&slot.server().stats.errors_conn);
                        bump(&self.stats.errors_conn);
                        return Err(ConnectError::Failed);
                    }
                    done += 1;
                    let down = slot.server().state() != ServerState::Up;
                    let redispatched = self.redispatch_on(done, down);
                    if redispatched {
                        bump(&slot.server().stats.redispatches);
                        bump(&self.stats.redispatches);
                    } else {
                        bump(&slot.server().stats.retries);
                        bump(&self.stats.retries);
                    }
                    if redispatched {
                        drop(slot);
                        slot = self.assign(key).await?;
                    }
                    if !timed_out && self.waits_before_retry(redispatched) {
                        let delay = self
                            .cfg
                            .timeouts
                            .connect
                            .map_or(TURN_AROUND, |c| c.min(TURN_AROUND));
                        tokio::time::sleep(delay).await;
                    }
                }
            }
        }
    }
}

/// How a server connection was obtained (for logs).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ConnectInfo {
    /// Retries made.
    pub(crate) retries: u32,
    /// Time spent in the queue.
    pub(crate) queue_time: Duration,
    /// Time spent connecting (retries included).
    pub(crate) connect_time: Duration,
}

/// One connection attempt; `Err(true)` when it timed out.
async fn connect_once(addr: SocketAddr, timeout: Option<Duration>) -> Result<TcpStream, bool> {
    let attempt = TcpStream::connect(addr);
    let result = match timeout {
        Some(t) => match tokio::time::timeout(t, attempt).await {
            Ok(r) => r,
            Err(_) => return Err(true),
        },
        None => attempt.await,
    };
    match result {
        Ok(stream) => {
            let _ = stream.set_nodelay(true);
            Ok(stream)
        }
        Err(_) => Err(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::config::Mode;

    fn backend(retries: u32, redispatch: Option<i32>) -> BackendRt {
        let mut cfg = Backend::new("b", Mode::Tcp);
        cfg.retries = retries;
        cfg.redispatch = redispatch;
        match BackendRt::new(cfg) {
            Ok(b) => b,
            Err(e) => unreachable!("{e}"),
        }
    }

    #[test]
    fn redispatch_interval_follows_haproxy() {
        // Default interval -1 with retries 3: only the third retry.
        let b = backend(3, Some(-1));
        let on: Vec<bool> = (1..=3).map(|n| b.redispatch_on(n, false)).collect();
        assert_eq!(on, [false, false, true]);
        // Interval 1: every retry.
        let b = backend(3, Some(1));
        assert!((1..=3).all(|n| b.redispatch_on(n, false)));
        // Interval 2: retries 2 and 4.
        let b = backend(4, Some(2));
        let on: Vec<bool> = (1..=4).map(|n| b.redispatch_on(n, false)).collect();
        assert_eq!(on, [false, true, false, true]);
        // No redispatch: never, even when the server went down.
        let b = backend(3, None);
        assert!(!b.redispatch_on(3, true));
    }
}
