//! # lbkit-ipvs
//!
//! The Linux kernel's IPVS (LVS) configuration interface, spoken over
//! generic netlink: services, destinations, statistics, timeouts, the
//! connection sync daemon, and a desired-state reconcile.
