//! `haproxy-rs`: an HAProxy-compatible proxy built from the lbkit crates.

fn main() {}
