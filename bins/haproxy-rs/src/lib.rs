//! The `haproxy-rs` engine as a library: [`proxy`] runs listeners, TCP and
//! HTTP proxying, balancing and limits from a resolved runtime configuration.

pub mod ops;
pub mod proxy;
