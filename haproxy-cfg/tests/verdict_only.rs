//! `Options::verdict_only`: each proxy is checked once built and then
//! dropped; the whole-configuration checks (references between proxies,
//! names, tracked servers and tables, listeners) find the same things, in
//! the same order, as when the whole model is kept.

// Test helpers: a failure to set a case up is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lbkit_haproxy_cfg::{load_str, Loaded, Options};

/// Every whole-configuration check finds something here.
const BROKEN: &str = "defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 5s

frontend fe
    bind :8080
    use_backend be_tcp if TRUE
    default_backend be_nowhere

backend be_tcp
    mode tcp
    server s1 192.0.2.1:80 track be_web/w1
    server s2 192.0.2.2:80 track nowhere/x

backend be_web
    server w1 192.0.2.3:80
    http-request track-sc0 src table nosuch

backend be_web
    server w2 192.0.2.4 check
";

/// Reads `text` keeping the model, and keeping only the verdict.
fn both(text: &str) -> (Loaded, Loaded) {
    let opts = Options::new().env([("X", "1")]).hosts(["localhost"]);
    let full = load_str("t.cfg", text, &opts);
    let lean = load_str("t.cfg", text, &opts.clone().verdict_only(true));
    (full, lean)
}

/// The codes and lines of the diagnostics.
fn codes(loaded: &Loaded) -> Vec<(&'static str, u32)> {
    loaded
        .diagnostics
        .iter()
        .map(|d| (d.code, d.span.map_or(0, |s| s.line)))
        .collect()
}

#[test]
fn same_findings_in_the_same_order() {
    let (full, lean) = both(BROKEN);
    // The second `be_web`; then for `fe` its default_backend (unknown)
    // before its use_backend (a tcp backend for an http frontend); the
    // two `track` lines of `be_tcp` (an unchecked server, an unknown
    // proxy); the table `be_web` tracks into; the second `be_web`'s
    // checked server without a port.
    let expected = vec![
        ("E0202", 21),
        ("E0200", 10),
        ("E0201", 9),
        ("E0210", 14),
        ("E0210", 15),
        ("E0209", 19),
        ("E0204", 22),
    ];
    assert_eq!(codes(&full), expected, "{}", full.render());
    assert_eq!(lean.diagnostics, full.diagnostics);
    assert_eq!((lean.exit_code(), full.exit_code()), (1, 1));
    assert!(lean.config.proxies.is_empty());
    assert_eq!(full.config.proxies.len(), 4);
}

#[test]
fn listeners_counted_without_the_proxies() {
    let listening = "frontend fe\n    bind :80,:81\n    timeout client 5s\n";
    let (full, lean) = both(listening);
    assert_eq!((full.exit_code(), lean.exit_code()), (0, 0));
    // No listener: exit status 2, in both readings.
    let silent = "backend be\n    timeout server 5s\n    timeout connect 5s\n";
    let (full, lean) = both(silent);
    assert_eq!((full.exit_code(), lean.exit_code()), (2, 2));
    // A `stats socket` is a listener.
    let socket = "global\n    stats socket /run/haproxy.sock\n";
    let (full, lean) = both(socket);
    assert_eq!((full.exit_code(), lean.exit_code()), (0, 0));
}
