//! Servers as the schedulers see them: identity, configuration and state.

use std::fmt;
use std::net::SocketAddr;

/// Identifies a server (an IPVS destination or an HAProxy server) in a scheduler.
///
/// For HAProxy algorithms the id is the server's numeric id (`id` keyword,
/// otherwise 1, 2, 3, ... in declaration order): HAProxy orders and hashes
/// servers by it, so it must be the same number HAProxy would use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerId(pub u32);

impl fmt::Display for ServerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

impl From<u32> for ServerId {
    fn from(id: u32) -> Self {
        ServerId(id)
    }
}

/// How a server is configured when it joins a scheduler.
///
/// Fields that one family does not use are ignored by it (IPVS has no backup
/// servers; HAProxy has no thresholds).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The configured weight: IPVS 0..=65535, HAProxy 0..=256. Default 1.
    pub weight: u32,
    /// The server's address and port. IPVS `mh` hashes it and requires it.
    pub addr: Option<SocketAddr>,
    /// HAProxy `backup`: used only when no active server is usable.
    pub backup: bool,
    /// HAProxy `maxconn` (0 = unlimited); `balance first` fills servers up to it.
    pub maxconn: u32,
    /// IPVS upper connection threshold (`-x`), 0 = none.
    pub u_threshold: u32,
    /// IPVS lower connection threshold (`-y`), 0 = none.
    pub l_threshold: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            weight: 1,
            addr: None,
            backup: false,
            maxconn: 0,
            u_threshold: 0,
            l_threshold: 0,
        }
    }
}

impl ServerConfig {
    /// A server with this weight and everything else default.
    pub fn new(weight: u32) -> Self {
        ServerConfig {
            weight,
            ..ServerConfig::default()
        }
    }

    /// Sets the server's address.
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = Some(addr);
        self
    }

    /// Marks the server as an HAProxy `backup` server.
    pub fn backup(mut self) -> Self {
        self.backup = true;
        self
    }

    /// Sets HAProxy's `maxconn`.
    pub fn maxconn(mut self, maxconn: u32) -> Self {
        self.maxconn = maxconn;
        self
    }

    /// Sets the IPVS upper and lower connection thresholds.
    pub fn thresholds(mut self, upper: u32, lower: u32) -> Self {
        self.u_threshold = upper;
        self.l_threshold = lower;
        self
    }
}

/// The administrative or health state of a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ServerState {
    /// Takes new connections.
    #[default]
    Up,
    /// Takes nothing. IPVS: removed from the service (as keepalived does);
    /// HAProxy: the server is down.
    Down,
    /// Keeps its connections but takes no new ones. IPVS: weight 0
    /// (quiesced, keepalived's `inhibit_on_failure`); HAProxy: `drain`.
    Drain,
}
