//! HAProxy's `balance` algorithms (HAProxy 2.6: `src/lb_*.c`, `src/backend.c`).
//!
//! [`Balancer`] is one backend's load-balancing state: its servers with
//! their weights, states and connection counts, and the algorithm's trees
//! or maps, updated the way HAProxy updates them, so that each pick is the
//! one HAProxy would make for the same sequence of requests and events.
//!
//! ```
//! use lbkit_sched::haproxy::{Balancer, BalancerConfig};
//! use lbkit_sched::{RequestKey, ServerConfig, ServerId};
//!
//! let mut backend = Balancer::new(BalancerConfig::from_balance("roundrobin")?)?;
//! backend.add(ServerId(1), ServerConfig::new(1))?;
//! backend.add(ServerId(2), ServerConfig::new(2))?;
//! let server = backend.pick(&RequestKey::new())?;
//! backend.connection_opened(server)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod balancer;
mod chash;
mod config;
mod fas;
mod fwlc;
mod fwrr;
mod grouptrees;
mod hash;
mod key;
mod map;
mod parse;
mod rdp;
mod server;

pub use balancer::{Balancer, ROUNDROBIN_MAX_SERVERS};
pub use config::{Balance, BalancerConfig, HashFunction, HashMethod, HashType, UriOptions};
pub use hash::hash_bytes;
pub use rdp::rdp_cookie;

/// The largest server weight HAProxy accepts.
pub const MAX_WEIGHT: u32 = 256;
