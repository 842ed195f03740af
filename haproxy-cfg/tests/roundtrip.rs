//! The formatter's round trip: `parse(format(parse(x))) == parse(x)`, on
//! the seed configurations, on every valid corpus file, and on generated
//! configurations (proptest).

// Test helpers: a failure to set a case up is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lbkit_haproxy_cfg::{format, load_str, quote, Loaded, Options};
use proptest::prelude::*;
use std::path::Path;

fn opts() -> Options {
    Options::new()
        .env([
            ("HOME", "/root"),
            ("LBKIT_HCFG_PORT", ":8230"),
            ("LBKIT_HCFG_SERVER", "192.0.2.202"),
            ("LBKIT_HCFG_WORDS", "a b c"),
            ("LBKIT_HCFG_MODE", "http"),
        ])
        .hosts(["localhost"])
}

/// The model's debug text without any span: what must survive formatting.
fn without_spans(loaded: &Loaded) -> String {
    let text = format!("{:?}", loaded.config);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("Span {") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let end = after.find('}').map_or(after.len(), |e| e + 1);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Formats, reads back, and compares words, model and verdict.
fn assert_round_trip(name: &str, text: &str) -> Loaded {
    let first = load_str(name, text, &opts());
    let formatted = format(&first.tree);
    let second = load_str("formatted.cfg", &formatted, &opts());
    assert_eq!(
        second.tree.words(),
        first.tree.words(),
        "{name}: words changed:\n{formatted}"
    );
    assert_eq!(
        without_spans(&second),
        without_spans(&first),
        "{name}: model changed:\n{formatted}"
    );
    assert_eq!(
        second.exit_code(),
        first.exit_code(),
        "{name}: verdict changed:\n{}",
        second.render()
    );
    assert_eq!(
        format(&second.tree),
        formatted,
        "{name}: formatting is not idempotent"
    );
    first
}

/// A data file with `@DATA@` filled in.
fn data_file(rel: &str) -> String {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    std::fs::read_to_string(data.join(rel))
        .unwrap()
        .replace("@DATA@", &data.display().to_string())
}

#[test]
fn seed_configurations_check_clean_and_round_trip() {
    for rel in ["seed/section-5.cfg", "seed/appendix-a-haproxy26.cfg"] {
        let loaded = assert_round_trip(rel, &data_file(rel));
        assert!(!loaded.has_errors(), "{rel}:\n{}", loaded.render());
        assert!(!loaded.has_warnings(), "{rel}:\n{}", loaded.render());
        assert_eq!(loaded.exit_code(), 0, "{rel}");
    }
    // As printed, Appendix A is refused by HAProxy 2.6 (an address on the
    // `frontend` line), and so by lbkit, on the same line.
    let printed = load_str("appendix-a.cfg", &data_file("seed/appendix-a.cfg"), &opts());
    let first = printed
        .diagnostics
        .iter()
        .find(|d| d.severity == lbkit_haproxy_cfg::Severity::Error)
        .unwrap();
    assert_eq!(first.span.unwrap().line, 23);
    assert_eq!(printed.exit_code(), 1);
    // Section 5.7's global and defaults alone: valid, but no listener.
    let logging = assert_round_trip("logging", &data_file("seed/logging-5.7.cfg"));
    assert_eq!(logging.exit_code(), 2);
}

#[test]
fn every_corpus_file_round_trips() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let rel = format!("corpus/{}", path.file_name().unwrap().to_string_lossy());
        if !rel.ends_with(".cfg") {
            continue;
        }
        let loaded = load_str(&rel, &data_file(&rel), &opts());
        if loaded.has_errors() {
            continue;
        }
        assert_round_trip(&rel, &data_file(&rel));
        n += 1;
    }
    assert!(n >= 50, "only {n} valid corpus files");
}

/// A generated server: name, last address byte, port, `check`.
type GenServer = (String, u8, u16, bool);
/// A generated frontend: name, port, `set-header` name and value pairs.
type GenFrontend = (String, u16, Vec<(String, String)>);

/// A generated configuration: sections of words.
#[derive(Debug, Clone)]
struct Generated {
    backends: Vec<(String, Vec<GenServer>)>,
    frontends: Vec<GenFrontend>,
    description: String,
    maxconn: u32,
    timeouts: (u32, &'static str),
}

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_.-]{0,8}"
}

fn generated() -> impl Strategy<Value = Generated> {
    let backend = (
        name(),
        prop::collection::vec((name(), 1u8..=254, 1u16..=65535, any::<bool>()), 1..5),
    );
    let header_value = "[ -~]{1,16}";
    let frontend = (
        name(),
        1u16..=65535,
        prop::collection::vec(("[A-Za-z][A-Za-z0-9-]{0,8}", header_value), 0..4),
    );
    (
        prop::collection::vec(backend, 1..4),
        prop::collection::vec(frontend, 0..3),
        "[ -~\\t]{1,24}",
        1u32..100_000,
        (
            1u32..500,
            prop::sample::select(vec!["us", "ms", "s", "m", "h", ""]),
        ),
    )
        .prop_map(
            |(backends, frontends, description, maxconn, timeouts)| Generated {
                backends,
                frontends,
                description,
                maxconn,
                timeouts,
            },
        )
}

/// The configuration as text, words quoted as needed.
fn text_of(g: &Generated) -> String {
    let mut t = format!(
        "global\n    maxconn {}\n    description {}\ndefaults\n    mode http\n    timeout connect {t}\n    timeout client {t}\n    timeout server {t}\n",
        g.maxconn,
        quote(&g.description),
        t = format!("{}{}", g.timeouts.0, g.timeouts.1),
    );
    let mut seen = std::collections::BTreeSet::new();
    let mut first_backend = None;
    for (bname, servers) in &g.backends {
        let bname = format!("be_{bname}");
        if !seen.insert(bname.clone()) {
            continue;
        }
        first_backend.get_or_insert(bname.clone());
        t.push_str(&format!("backend {bname}\n"));
        let mut names = std::collections::BTreeSet::new();
        for (s, host, port, check) in servers {
            if !names.insert(s.clone()) {
                continue;
            }
            let check = if *check { " check inter 2s" } else { "" };
            t.push_str(&format!("    server {s} 198.51.100.{host}:{port}{check}\n"));
        }
    }
    for (fname, port, headers) in &g.frontends {
        let fname = format!("fe_{fname}");
        if !seen.insert(fname.clone()) {
            continue;
        }
        t.push_str(&format!("frontend {fname}\n    bind :{port}\n"));
        for (h, v) in headers {
            t.push_str(&format!(
                "    http-request set-header {} {}\n",
                quote(h),
                quote(v)
            ));
        }
        if let Some(b) = &first_backend {
            t.push_str(&format!("    default_backend {b}\n"));
        }
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn generated_configurations_round_trip(g in generated()) {
        let text = text_of(&g);
        let loaded = load_str("gen.cfg", &text, &opts());
        prop_assert!(!loaded.has_errors(), "{}\n{}", loaded.render(), text);
        let again = load_str("formatted.cfg", &format(&loaded.tree), &opts());
        prop_assert_eq!(again.tree.words(), loaded.tree.words());
        prop_assert_eq!(without_spans(&again), without_spans(&loaded));
        prop_assert_eq!(again.exit_code(), loaded.exit_code());
        prop_assert_eq!(&loaded.config.global.other.iter().find(|l| l.words[0] == "description").map(|l| l.words[1].to_string()), &Some(g.description.clone()));
    }
}
