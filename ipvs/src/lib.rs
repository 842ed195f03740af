//! # lbkit-ipvs
//!
//! The Linux kernel's IPVS (LVS) configuration interface, spoken over
//! generic netlink (family `"IPVS"`, resolved at run time) with
//! [neli](https://docs.rs/neli): services, destinations, statistics,
//! timeouts, the connection sync daemon, and a desired-state reconcile.
//!
//! * [`model`]: plain structs with builder-style setters for every object
//!   of `include/uapi/linux/ip_vs.h` ([`Service`], [`Destination`],
//!   [`Stats`], [`Stats64`], [`Daemon`], [`Timeouts`], [`Info`]).
//! * [`codec`]: the commands and attributes, a [`Request`] per operation
//!   and a [`Message`] decoder that never panics on any input.
//! * [`wire`]: netlink framing with neli's generic-netlink types.
//! * [`Client`]: a blocking client; kernel errors arrive as matchable
//!   [`Error`] variants ([`Error::ServiceExists`], [`Error::NoSuchService`],
//!   [`Error::NoSuchDestination`], [`Error::InvalidScheduler`],
//!   [`Error::NotLoaded`], [`Error::PermissionDenied`], ...).
//! * [`reconcile`]: desired state → the fewest ordered operations
//!   ([`plan`] is pure; [`Client::reconcile`] applies it, or not on a dry
//!   run).
//!
//! Planning needs no kernel:
//!
//! ```
//! use lbkit_ipvs::{plan, CurrentService, DesiredService, Destination, Op, Service, ServiceKey};
//!
//! let key = ServiceKey::tcp("192.0.2.10:80".parse()?);
//! let web = DesiredService::new(Service::new(key).scheduler("wrr"))
//!     .destination(Destination::new("198.51.100.1:80".parse()?).weight(3));
//! // From nothing: the service, then its destination.
//! assert_eq!(plan(&[], &[web.clone()])?.ops.len(), 2);
//!
//! // The kernel has it with weight 1: one in-place edit.
//! let mut current = web.clone();
//! current.destinations[0].weight = 1;
//! let now = CurrentService { service: current.service, destinations: current.destinations };
//! let p = plan(&[now], &[web.clone()])?;
//! assert_eq!(p.ops, [Op::EditDest(key, web.destinations[0].clone())]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Talking to the kernel (needs `CAP_NET_ADMIN` and the `ip_vs` module):
//!
//! ```no_run
//! use lbkit_ipvs::{Client, Destination, ForwardMethod, Service, ServiceKey};
//!
//! let mut ipvs = Client::connect()?;
//! let key = ServiceKey::tcp("192.0.2.10:80".parse()?);
//! ipvs.add_service(&Service::new(key).scheduler("wlc").persistent(300))?;
//! ipvs.add_dest(&key, &Destination::new("198.51.100.1:8080".parse()?)
//!     .forward(ForwardMethod::Masquerade)
//!     .weight(3))?;
//! for d in ipvs.destinations(&key)? {
//!     println!("{} active={}", d.destination.addr, d.active_conns);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod attr;
mod client;
pub mod codec;
mod error;
pub mod model;
pub mod reconcile;
pub mod wire;

pub use client::{map_errno, Client};
pub use codec::{Command, Message, Request};
pub use error::{DecodeError, Error};
pub use model::*;
pub use reconcile::{plan, CurrentService, DesiredService, Op, Plan, ReconcileError};
