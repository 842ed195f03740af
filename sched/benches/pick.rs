//! Pick latency of every algorithm at 10, 100 and 1,000 servers.

fn main() {}
