//! The formatter's contract on real text: reading the formatted text of a
//! configuration gives back the same model, for the seed configurations
//! and for generated models.

use lbkit_keepalived_cfg::{format, load_str, model, Diagnostic, Options, Severity, Span};
use proptest::prelude::*;

#[path = "../src/format/gen.rs"]
mod gen;

/// The Red Hat guide's §4.1 configuration (LB1, NAT).
const SEED_NAT: &str = include_str!("data/seed/lb1.conf");

/// The guide's §4.2 configuration (active router, direct routing).
const SEED_DR: &str = include_str!("data/seed/dr-master.conf");

/// The guide's Appendix A configuration (HAProxy pair).
const SEED_HAPROXY: &str = include_str!("data/seed/appendix-a.conf");

/// The model builder's own errors (`E01xx`): the semantic checks
/// (`E02xx`) judge the configuration, not the round trip.
fn builder_errors(d: &[Diagnostic]) -> Vec<&Diagnostic> {
    d.iter()
        .filter(|d| d.severity == Severity::Error && d.code.starts_with("E01"))
        .collect()
}

/// Reads `text`, formats it, reads that: same model, and formatting is
/// stable.
fn assert_round_trip(name: &str, text: &str) {
    let first = load_str(name, text, &Options::new());
    assert!(
        builder_errors(&first.diagnostics).is_empty(),
        "{:#?}",
        first.diagnostics
    );
    let formatted = format(&first.config);
    let second = load_str(name, &formatted, &Options::new());
    assert!(
        builder_errors(&second.diagnostics).is_empty(),
        "{:#?}\n{formatted}",
        second.diagnostics
    );
    assert_eq!(second.config, first.config, "{formatted}");
    assert_eq!(format(&second.config), formatted);
}

#[test]
fn seed_nat_configuration_round_trips() {
    assert_round_trip("nat.conf", SEED_NAT);
}

#[test]
fn seed_direct_routing_configuration_round_trips() {
    assert_round_trip("dr.conf", SEED_DR);
}

#[test]
fn seed_haproxy_configuration_round_trips() {
    assert_round_trip("haproxy.conf", SEED_HAPROXY);
    let c = load_str("haproxy.conf", SEED_HAPROXY, &Options::new()).config;
    let script = c.vrrp_scripts[0].script.as_ref().map(|s| s.value.as_str());
    assert_eq!(script, Some("killall -0 haproxy"));
    let formatted = format(&c);
    assert!(
        formatted.contains("    script \"killall -0 haproxy\"\n"),
        "{formatted}"
    );
}

#[test]
fn formatted_text_is_canonical() {
    let c = load_str("haproxy.conf", SEED_HAPROXY, &Options::new()).config;
    assert_eq!(
        format(&c),
        "vrrp_script chk_haproxy {\n    script \"killall -0 haproxy\"\n    interval 2\n    weight 2\n}\n\n\
         vrrp_instance VI_1 {\n    state MASTER\n    interface eth0\n    virtual_router_id 51\n    priority 101\n    \
         virtual_ipaddress {\n        192.168.0.100\n    }\n    track_script {\n        chk_haproxy\n    }\n}\n"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Generated models: format, read back through the real parser, same
    /// model.
    #[test]
    fn generated_models_round_trip_through_the_parser(c in gen::config()) {
        let text = format(&c);
        let loaded = load_str("gen.conf", &text, &Options::new());
        let errors = builder_errors(&loaded.diagnostics);
        prop_assert!(errors.is_empty(), "{errors:#?}\n{text}");
        prop_assert_eq!(&loaded.config, &c, "{}", text);
        prop_assert_eq!(format(&loaded.config), text);
    }
}

/// `gen` names spans through the crate root.
#[test]
fn spans_do_not_affect_equality() {
    let a = model::Spanned::new(1, Span::default());
    let b = model::Spanned::new(
        1,
        Span {
            line: 9,
            ..Span::default()
        },
    );
    assert_eq!(a, b);
    assert_ne!(a, model::Spanned::new(2, Span::default()));
}

/// Inputs the fuzz target found breaking the round trip, kept as
/// regressions (the fuzz target's own check: no errors, same model).
#[test]
fn fuzz_findings_round_trip() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    assert!(!files.is_empty(), "no files in {}", dir.display());
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let first = load_str("fuzz.conf", &text, &Options::new());
        if first.has_errors() {
            continue;
        }
        let formatted = format(&first.config);
        let second = load_str("formatted.conf", &formatted, &Options::new());
        assert!(
            !second.has_errors(),
            "{}: {}",
            path.display(),
            second.render()
        );
        assert_eq!(
            second.config,
            first.config,
            "{}:\n{formatted}",
            path.display()
        );
    }
}
