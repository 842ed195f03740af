//! # lbkit-ipvs
//!
//! The Linux kernel's IPVS (LVS) configuration interface, spoken over
//! generic netlink: services, destinations, statistics, timeouts, the
//! connection sync daemon, and a desired-state reconcile.

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
