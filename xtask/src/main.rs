//! lbkit's developer tasks.

fn main() {}
