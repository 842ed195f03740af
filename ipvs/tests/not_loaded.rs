//! On a kernel without IPVS (this workspace's host), connecting reports
//! `Error::NotLoaded`, not a socket error.

#![allow(clippy::unwrap_used, clippy::panic)]

use lbkit_ipvs::{Client, Error};

#[test]
fn missing_family_is_not_loaded() {
    if std::path::Path::new("/proc/net/ip_vs").exists() {
        eprintln!("skipped missing_family_is_not_loaded: this kernel has IPVS loaded");
        return;
    }
    match Client::connect() {
        Err(Error::NotLoaded) => {}
        other => panic!("expected NotLoaded, got {other:?}"),
    }
}
