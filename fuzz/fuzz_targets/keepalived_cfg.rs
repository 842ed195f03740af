//! Arbitrary bytes as a keepalived configuration: the lexer and parser
//! never panic, every diagnostic renders, and a configuration read without
//! errors formats to text that reads back to the same model.

#![no_main]

use lbkit_keepalived_cfg::{parse_tree, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let opts = Options::new().config_id("fuzz");
    let parsed = parse_tree("fuzz.conf", &text, &opts);
    for d in &parsed.diagnostics {
        let _ = d.render(&parsed.sources);
        let _ = d.to_json(&parsed.sources);
    }
    #[cfg(feature = "model")]
    round_trip(&text, &opts);
});

/// `load_str(format(config)).config == config` for configurations without
/// errors.
#[cfg(feature = "model")]
fn round_trip(text: &str, opts: &Options) {
    use lbkit_keepalived_cfg::{format, load_str};
    let loaded = load_str("fuzz.conf", text, opts);
    let _ = loaded.render();
    if loaded.has_errors() {
        return;
    }
    let formatted = format(&loaded.config);
    let again = load_str("formatted.conf", &formatted, opts);
    assert!(
        !again.has_errors(),
        "the formatted configuration has errors:\n{}\n{formatted}",
        again.render()
    );
    assert_eq!(
        again.config, loaded.config,
        "round trip changed the model:\n{formatted}"
    );
}
