//! The Prometheus exposition: parsed here by a small reader of the text
//! format 0.0.4, then compared with HAProxy 2.6's exporter output on the
//! same configuration (`tests/data/ops/metrics.txt`).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod ops_support;

use std::collections::{BTreeMap, BTreeSet};

use haproxy_rs::ops::prometheus::render;
use ops_support::{golden, snapshot, snapshot_after_set};

/// One parsed exposition.
#[derive(Debug, Default)]
struct Exposition {
    /// Metric name -> type.
    types: BTreeMap<String, String>,
    /// Metric name -> help.
    helps: BTreeMap<String, String>,
    /// (name, sorted labels) -> value.
    samples: BTreeMap<(String, Vec<(String, String)>), f64>,
}

/// A parsed sample: name, sorted labels, value.
type Sample = (String, Vec<(String, String)>, f64);

/// Parses `name{k="v",...} value`, checking the grammar as it goes.
fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..name_end];
    let valid_name = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            && !s.starts_with(|c: char| c.is_ascii_digit())
    };
    if !valid_name(name) {
        return Err(format!("bad metric name {name:?}"));
    }
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(r) = rest.strip_prefix('{') {
        let mut r = r;
        loop {
            if let Some(after) = r.strip_prefix('}') {
                r = after;
                break;
            }
            let eq = r.find('=').ok_or("label without =")?;
            let key = &r[..eq];
            if !valid_name(key) || key.contains(':') {
                return Err(format!("bad label name {key:?}"));
            }
            let mut chars = r[eq + 1..].char_indices();
            if chars.next().map(|c| c.1) != Some('"') {
                return Err("label value not quoted".into());
            }
            let mut value = String::new();
            let mut end = None;
            let mut escaped = false;
            for (i, c) in chars {
                match (escaped, c) {
                    (true, 'n') => {
                        value.push('\n');
                        escaped = false
                    }
                    (true, c) => {
                        value.push(c);
                        escaped = false
                    }
                    (false, '\\') => escaped = true,
                    (false, '"') => {
                        end = Some(eq + 1 + i + 1);
                        break;
                    }
                    (false, c) => value.push(c),
                }
            }
            let end = end.ok_or("unterminated label value")?;
            labels.push((key.to_owned(), value));
            r = &r[end..];
            r = r.strip_prefix(',').unwrap_or(r);
        }
        rest = r;
    }
    let value = rest.strip_prefix(' ').ok_or("no space before value")?;
    let v = match value {
        "NaN" => f64::NAN,
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse::<f64>().map_err(|_| format!("bad value {v:?}"))?,
    };
    labels.sort();
    Ok((name.to_owned(), labels, v))
}

/// Parses a whole exposition; every sample must follow its TYPE line.
fn parse(text: &str) -> Exposition {
    let mut e = Exposition::default();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("# HELP ") {
            let (n, t) = h.split_once(' ').expect("HELP text");
            e.helps.insert(n.into(), t.into());
        } else if let Some(t) = line.strip_prefix("# TYPE ") {
            let (n, k) = t.split_once(' ').expect("TYPE kind");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&k),
                "{line}"
            );
            e.types.insert(n.into(), k.into());
        } else {
            assert!(!line.starts_with('#') && !line.is_empty(), "{line:?}");
            let (n, labels, v) = parse_sample(line).unwrap_or_else(|m| panic!("{line}: {m}"));
            assert!(e.types.contains_key(&n), "{n} sampled before its TYPE");
            for (k, _) in &labels {
                assert!(
                    ["proxy", "server", "state", "code", "version"].contains(&k.as_str()),
                    "{line}"
                );
            }
            assert!(
                e.samples.insert((n, labels), v).is_none(),
                "duplicate series {line}"
            );
        }
    }
    e
}

#[test]
fn exposition_parses_and_names_are_haproxys() {
    let ours = parse(&render(&snapshot()));
    let theirs = parse(&golden("metrics.txt"));
    assert_eq!(ours.types, theirs.types, "metric names and types");
    assert_eq!(ours.helps, theirs.helps, "HELP texts");
    let key_set = |e: &Exposition| e.samples.keys().cloned().collect::<BTreeSet<_>>();
    let (o, t) = (key_set(&ours), key_set(&theirs));
    let missing: Vec<_> = t.difference(&o).collect();
    let extra: Vec<_> = o.difference(&t).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nextra {extra:?}"
    );
    assert_eq!(ours.samples.len(), 1057 - 2 * 187);
}

#[test]
fn state_and_configuration_values_match_haproxy() {
    let ours = parse(&render(&snapshot()));
    let theirs = parse(&golden("metrics.txt"));
    let static_metric = |n: &str| {
        n.ends_with("_status")
            || n.ends_with("_weight")
            || n.ends_with("uweight")
            || n.ends_with("limit_sessions")
            || n.ends_with("_servers")
            || n.ends_with("queue_limit")
            || n == "haproxy_server_check_code"
            || n == "haproxy_process_build_info"
            || n == "haproxy_process_max_connections"
            || n == "haproxy_process_nbthread"
    };
    let mut checked = 0;
    for (k, tv) in &theirs.samples {
        if !static_metric(&k.0) {
            continue;
        }
        let ov = ours
            .samples
            .get(k)
            .unwrap_or_else(|| panic!("{k:?} missing"));
        assert!(
            (tv.is_nan() && ov.is_nan()) || tv == ov,
            "{k:?}: ours {ov}, HAProxy {tv}"
        );
        checked += 1;
    }
    assert!(checked > 100, "{checked}");
}

#[test]
fn maintenance_moves_the_server_state_label() {
    let e = parse(&render(&snapshot_after_set()));
    let get = |n: &str, s: &str, st: &str| {
        let mut l = vec![
            ("proxy".to_owned(), "be_app".to_owned()),
            ("server".to_owned(), s.to_owned()),
            ("state".to_owned(), st.to_owned()),
        ];
        l.sort();
        e.samples.get(&(n.to_owned(), l)).copied()
    };
    assert_eq!(get("haproxy_server_status", "s1", "MAINT"), Some(1.0));
    assert_eq!(get("haproxy_server_status", "s1", "UP"), Some(0.0));
    assert_eq!(get("haproxy_server_status", "s3", "DRAIN"), Some(1.0));
    // A paused check reports no check status.
    assert_eq!(get("haproxy_server_check_status", "s1", "L7OK"), None);
}

#[test]
fn the_reader_rejects_malformed_lines() {
    assert!(parse_sample("1bad 1").is_err());
    assert!(parse_sample("m{a=b} 1").is_err());
    assert!(parse_sample("m{a=\"b} 1").is_err());
    assert!(parse_sample("m x").is_err());
    assert!(parse_sample("m{a=\"b\",} 2").is_ok());
}
