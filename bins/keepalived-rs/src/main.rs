//! keepalived-rs: runs an existing `keepalived.conf`.

fn main() {}
