//! A scheduler shared by the threads of a proxy.

use crate::{Error, PickError, RequestKey, Scheduler, ServerConfig, ServerId, ServerState};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// A [`Scheduler`] behind a mutex, for proxies whose worker threads all
/// pick from one backend (HAProxy serialises its picks the same way).
///
/// ```
/// use lbkit_sched::{RequestKey, Scheduler, ServerConfig, ServerId, SharedScheduler};
/// use std::sync::Arc;
///
/// let shared = Arc::new(SharedScheduler::new(Scheduler::from_config("lb_algo rr")?));
/// shared.add(ServerId(1), ServerConfig::new(1))?;
/// let worker = {
///     let shared = Arc::clone(&shared);
///     std::thread::spawn(move || shared.pick(&RequestKey::new()))
/// };
/// assert_eq!(worker.join().unwrap(), Ok(ServerId(1)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SharedScheduler {
    inner: Mutex<Scheduler>,
}

impl SharedScheduler {
    /// Shares `scheduler`.
    pub fn new(scheduler: Scheduler) -> Self {
        SharedScheduler {
            inner: Mutex::new(scheduler),
        }
    }

    /// Locks the scheduler for several changes at once. A panic in another
    /// holder does not poison it: every change is applied whole or not at all.
    pub fn lock(&self) -> MutexGuard<'_, Scheduler> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// See [`Scheduler::add`].
    pub fn add(&self, id: ServerId, cfg: ServerConfig) -> Result<(), Error> {
        self.lock().add(id, cfg)
    }

    /// See [`Scheduler::remove`].
    pub fn remove(&self, id: ServerId) -> Result<(), Error> {
        self.lock().remove(id)
    }

    /// See [`Scheduler::set_weight`].
    pub fn set_weight(&self, id: ServerId, weight: u32) -> Result<(), Error> {
        self.lock().set_weight(id, weight)
    }

    /// See [`Scheduler::set_state`].
    pub fn set_state(&self, id: ServerId, state: ServerState) -> Result<(), Error> {
        self.lock().set_state(id, state)
    }

    /// See [`Scheduler::connection_opened`].
    pub fn connection_opened(&self, id: ServerId) -> Result<(), Error> {
        self.lock().connection_opened(id)
    }

    /// See [`Scheduler::connection_closed`].
    pub fn connection_closed(&self, id: ServerId) -> Result<(), Error> {
        self.lock().connection_closed(id)
    }

    /// See [`Scheduler::pick`].
    pub fn pick(&self, key: &RequestKey<'_>) -> Result<ServerId, PickError> {
        self.lock().pick(key)
    }
}
