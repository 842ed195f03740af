//! Arbitrary bytes as an haproxy.cfg: the lexer, the `.if` blocks, the
//! model builder and the checker never panic, every diagnostic renders
//! (text and JSON), building without the tree gives the same model and
//! diagnostics, and a configuration read without errors formats to
//! text that reads back to the same words, again without errors.

#![no_main]

use lbkit_haproxy_cfg::{format, load_bytes, load_str, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = Options::new()
        .env([("HOME", "/root"), ("PORT", "8080")])
        .hosts(["localhost"]);
    let loaded = load_bytes("fuzz.cfg", data, &opts);
    for d in &loaded.diagnostics {
        let _ = d.render(&loaded.sources);
        let _ = d.to_json(&loaded.sources);
    }
    let _ = loaded.exit_code();
    // Built section by section without the tree (`haproxy-rs -c`): the
    // same model and the same diagnostics.
    let lean = load_bytes("fuzz.cfg", data, &opts.clone().discard_tree(true));
    assert_eq!(lean.config, loaded.config, "discard_tree changed the model");
    assert_eq!(
        lean.diagnostics, loaded.diagnostics,
        "discard_tree changed the diagnostics"
    );
    if loaded.has_errors() {
        return;
    }
    let formatted = format(&loaded.tree);
    let again = load_str("formatted.cfg", &formatted, &opts);
    assert!(
        !again.has_errors(),
        "the formatted configuration has errors:\n{}\n{formatted}",
        again.render()
    );
    assert_eq!(
        again.tree.words(),
        loaded.tree.words(),
        "round trip changed the words:\n{formatted}"
    );
});
