//! Checks configuration files the way `haproxy-rs -c -q` does (each
//! section dropped once built, each proxy once checked) and prints the
//! exit status `haproxy -c` would give: a small program to profile the
//! checker alone.
//!
//! `cargo run --release -p lbkit-haproxy-cfg --example check_file -- FILE...`

// An example program: printing is its output.
#![allow(clippy::print_stdout)]

use lbkit_haproxy_cfg::{load_files, Options};
use std::path::PathBuf;

fn main() {
    let files: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let loaded = load_files(&files, &Options::new().verdict_only(true));
    println!("{}", loaded.exit_code());
    // As `haproxy-rs -c`: the process ends next, nothing to free.
    std::mem::forget(loaded);
}
