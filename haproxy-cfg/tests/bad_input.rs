//! Hostile input: invalid UTF-8, broken quotes, undefined variables, a
//! 100 MB file, absurd `.if` nesting. Clear located errors, no panic.

// Test helpers: a failure to set a case up is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lbkit_haproxy_cfg::{load_bytes, load_files, load_str, Options, Severity};
use std::fmt::Write as _;

fn opts() -> Options {
    Options::new().env([("HOME", "/root")]).hosts(["localhost"])
}

fn codes(loaded: &lbkit_haproxy_cfg::Loaded) -> Vec<(&'static str, u32)> {
    loaded
        .diagnostics
        .iter()
        .map(|d| (d.code, d.span.map_or(0, |s| s.line)))
        .collect()
}

#[test]
fn invalid_utf8_is_a_warning_as_haproxy_reads_bytes() {
    let loaded = load_bytes(
        "u.cfg",
        b"global\n    description \xff\xfe caf\xc3\xa9\n",
        &opts(),
    );
    assert_eq!(codes(&loaded), [("W0001", 2)]);
    assert_eq!(loaded.exit_code(), 2, "HAProxy accepts it (no listener)");
    let d = &loaded.diagnostics[0];
    assert_eq!(d.span.unwrap().col, 17);
}

#[test]
fn unterminated_quotes_are_located() {
    let loaded = load_str(
        "q.cfg",
        "global\n    description 'abc\n    maxconn \"1\n",
        &opts(),
    );
    assert_eq!(codes(&loaded), [("E0001", 2), ("E0001", 3)]);
    assert_eq!(loaded.diagnostics[0].span.unwrap().col, 17);
    assert_eq!(loaded.diagnostics[1].span.unwrap().col, 13);
}

#[test]
fn undefined_variables_expand_to_nothing() {
    // As the only argument, nothing is left: maxconn lacks its value.
    let loaded = load_str("e.cfg", "global\n    maxconn \"${LBKIT_NOPE}\"\n", &opts());
    assert_eq!(codes(&loaded), [("E0101", 2)]);
    // Followed by another word, the empty word stays.
    let loaded = load_str(
        "e.cfg",
        "global\n    description a \"${LBKIT_NOPE}\" b\n",
        &opts(),
    );
    assert!(loaded.diagnostics.is_empty());
    let words = loaded.tree.words();
    assert_eq!(words[0][1], ["description", "a", "", "b"]);
}

#[test]
fn absurd_nesting_stops_at_the_hundredth_if() {
    let text = ".if 1\n".repeat(100_000) + &".endif\n".repeat(100_000);
    let loaded = load_str("n.cfg", &text, &opts());
    assert_eq!(codes(&loaded), [("E0014", 100)]);
    let parens = format!(
        ".if {}1{}\n.endif\n",
        "(".repeat(50_000),
        ")".repeat(50_000)
    );
    let loaded = load_str("p.cfg", &parens, &opts());
    assert_eq!(codes(&loaded), [("E0011", 1)]);
}

#[test]
fn a_hundred_megabyte_file() {
    let mut text = String::with_capacity(100 << 20);
    text.push_str("defaults\n    timeout connect 5s\n    timeout client 5s\n    timeout server 5s\nlisten big\n    bind :8080\n");
    let mut i = 0u32;
    while text.len() < 100 << 20 {
        let _ = writeln!(
            text,
            "    # {i:08} padding padding padding padding padding padding padding padding padding padding padding padding"
        );
        i += 1;
    }
    text.push_str("    server last 192.0.2.1:80 bogus\n");
    let path = std::env::temp_dir().join(format!("lbkit-hcfg-big-{}.cfg", std::process::id()));
    std::fs::write(&path, &text).unwrap();
    drop(text);
    let loaded = load_files(std::slice::from_ref(&path), &opts());
    let _ = std::fs::remove_file(&path);
    let errors: Vec<_> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, "E0100");
    assert_eq!(errors[0].span.unwrap().line, i + 7);
    assert!(loaded.render().contains("bogus"));
}
