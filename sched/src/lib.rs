//! # lbkit-sched
//!
//! The Linux kernel's IPVS schedulers and HAProxy's `balance` algorithms,
//! reproduced in plain Rust: the same server for the same server set,
//! weights, connection counts and request, with no I/O, no async and no
//! allocation per pick.
//!
//! * [`ipvs`]: `rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos`
//!   (`net/netfilter/ipvs/ip_vs_*.c`, Linux 6.1).
//! * [`haproxy`]: `roundrobin static-rr leastconn first source uri
//!   url_param hdr rdp-cookie random`, with `hash-type map-based |
//!   consistent` (HAProxy 2.6).
//! * [`Scheduler`]: either, built from the line a user wrote
//!   (`lb_algo wlc`, `balance uri len 12`).
//!
//! ```
//! use lbkit_sched::{RequestKey, Scheduler, ServerConfig, ServerId};
//!
//! let mut sched = Scheduler::from_config("lb_algo wrr")?;
//! sched.add(ServerId(1), ServerConfig::new(3))?;
//! sched.add(ServerId(2), ServerConfig::new(1))?;
//! let picks: Vec<u32> = (0..4)
//!     .map(|_| sched.pick(&RequestKey::new()).map(|id| id.0))
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(picks.iter().filter(|&&id| id == 1).count(), 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Threads
//!
//! A scheduler is `Send`: move it into the thread that owns the backend.
//! A multi-threaded proxy shares one per backend behind a lock, as HAProxy
//! itself does (its `lbprm` lock): [`SharedScheduler`] is that lock. A pick
//! costs tens of nanoseconds, so the lock is held only that long.

mod error;
pub mod haproxy;
pub mod ipvs;
mod key;
mod random;
mod scheduler;
mod server;
mod shared;
mod suggest;

pub use error::{Error, Family, PickError};
pub use key::{Protocol, RequestKey};
pub use random::{RandomSource, SplitMix64};
pub use scheduler::Scheduler;
pub use server::{ServerConfig, ServerId, ServerState};
pub use shared::SharedScheduler;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
