//! # lbkit-healthcheck
//!
//! Health checks as keepalived and HAProxy run them: sans-IO rise/fall state
//! machines (time is passed in) and async checkers.
//!
//! * [`haproxy`]: HAProxy 2.6 server health (`inter fastinter downinter
//!   rise fall slowstart observe error-limit on-error agent-check
//!   spread-checks`).
//! * [`keepalived`]: keepalived 2.2.7 checker and virtual-server logic
//!   (`delay_loop retry delay_before_retry warmup alpha inhibit_on_failure
//!   quorum hysteresis ha_suspend omega`).
//! * `checkers`, `scheduler` and `monitor` (feature `tokio`, on by
//!   default): TCP, HTTP(S), SMTP, MISC, DNS, UDP, PING, FILE and agent
//!   checks, a scheduler running many of them with bounded concurrency, and
//!   a monitor feeding their results to the HAProxy state machines.

#[cfg(feature = "tokio")]
pub mod checkers;
pub mod haproxy;
pub mod keepalived;
mod later;
#[cfg(feature = "tokio")]
pub mod monitor;
#[cfg(feature = "tokio")]
pub mod scheduler;
mod status;
mod transition;

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub use status::{CheckResult, Status, Verdict};
pub use transition::{Transition, TransitionKind};
