//! One backend's load balancing: servers, state, and the algorithm's structures.

use super::server::Srv;
use super::BalancerConfig;
use crate::{Error, PickError, RandomSource, RequestKey, ServerConfig, ServerId, ServerState};

/// A backend's balancer.
pub struct Balancer {
    config: BalancerConfig,
    servers: Vec<Srv>,
    rng: Box<dyn RandomSource>,
}

impl std::fmt::Debug for Balancer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Balancer")
            .field("config", &self.config)
            .field("servers", &self.servers)
            .finish_non_exhaustive()
    }
}

impl Balancer {
    /// A balancer with no servers.
    pub fn new(config: BalancerConfig) -> Result<Self, Error> {
        Ok(Balancer {
            config,
            servers: Vec::new(),
            rng: Box::new(crate::SplitMix64::from_entropy()),
        })
    }

    /// Replaces the randomness (`balance random`).
    pub fn with_random(mut self, rng: impl RandomSource + 'static) -> Self {
        self.rng = Box::new(rng);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &BalancerConfig {
        &self.config
    }

    /// Adds a server; its id is its HAProxy `id`.
    pub fn add(&mut self, id: ServerId, cfg: ServerConfig) -> Result<(), Error> {
        let _ = (id, cfg);
        todo!()
    }

    /// Removes a server.
    pub fn remove(&mut self, id: ServerId) -> Result<(), Error> {
        let _ = id;
        todo!()
    }

    /// Changes a server's weight (`set weight` on the runtime API).
    pub fn set_weight(&mut self, id: ServerId, weight: u32) -> Result<(), Error> {
        let _ = (id, weight);
        todo!()
    }

    /// Sets a server up, down or drained.
    pub fn set_state(&mut self, id: ServerId, state: ServerState) -> Result<(), Error> {
        let _ = (id, state);
        todo!()
    }

    /// A connection was assigned to the server.
    pub fn connection_opened(&mut self, id: ServerId) -> Result<(), Error> {
        let _ = id;
        todo!()
    }

    /// A connection of the server ended.
    pub fn connection_closed(&mut self, id: ServerId) -> Result<(), Error> {
        let _ = id;
        todo!()
    }

    /// The server HAProxy would pick for this request.
    pub fn pick(&mut self, key: &RequestKey<'_>) -> Result<ServerId, PickError> {
        let _ = key;
        todo!()
    }
}
