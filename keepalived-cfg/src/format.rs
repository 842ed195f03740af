//! The canonical text of a configuration: four-space indents, one keyword
//! per line, blocks in a fixed order (global settings, other top-level
//! blocks, static addresses, scripts and track files before the instances
//! that use them, sync groups, virtual server groups, virtual servers).

#[cfg(test)]
mod gen;
mod global;
mod ipvs;
mod vrrp;
mod writer;

use crate::model::{Config, RawNode, ScriptCommand, Spanned, VirtualAddress, Weight};
use std::time::Duration;
use writer::Writer;

#[cfg(test)]
use crate::{model, Span};

/// Pretty-prints `config` in canonical form: `parse(format(c)) == c`.
pub fn format(config: &Config) -> String {
    let mut w = Writer::default();
    global::global_defs(&mut w, &config.global_defs);
    raw_nodes(&mut w, &config.other);
    address_block(&mut w, "static_ipaddress", &config.static_ipaddress);
    word_block(
        &mut w,
        "static_routes",
        config.static_routes.iter().map(|r| &r.value.words),
    );
    word_block(
        &mut w,
        "static_rules",
        config.static_rules.iter().map(|r| &r.value.words),
    );
    for s in &config.vrrp_scripts {
        vrrp::script(&mut w, s);
    }
    for t in &config.track_files {
        vrrp::track_file(&mut w, t);
    }
    for i in &config.vrrp_instances {
        vrrp::instance(&mut w, i);
    }
    for g in &config.vrrp_sync_groups {
        vrrp::sync_group(&mut w, g);
    }
    for g in &config.virtual_server_groups {
        ipvs::group(&mut w, g);
    }
    for vs in &config.virtual_servers {
        ipvs::virtual_server(&mut w, vs);
    }
    w.finish()
}

/// A duration as keepalived reads it: decimal seconds.
fn secs(d: Duration) -> String {
    let us = d.as_micros();
    let whole = us / 1_000_000;
    let frac = us % 1_000_000;
    if frac == 0 {
        whole.to_string()
    } else {
        let f = format!("{frac:06}");
        format!("{whole}.{}", f.trim_end_matches('0'))
    }
}

/// `keyword SECS` when set.
fn duration(w: &mut Writer, kw: &str, d: &Option<Spanned<Duration>>) {
    if let Some(d) = d {
        w.line(&[kw, &secs(d.value)]);
    }
}

/// `keyword VALUE` when set.
fn value<T: ToString>(w: &mut Writer, kw: &str, v: &Option<Spanned<T>>) {
    if let Some(v) = v {
        w.line(&[kw, &v.value.to_string()]);
    }
}

/// `keyword` when set to true (keywords that take no argument).
fn bare(w: &mut Writer, kw: &str, v: &Option<Spanned<bool>>) {
    if v.as_ref().is_some_and(|v| v.value) {
        w.line(&[kw]);
    }
}

/// `keyword` for true, `keyword false` for false (keywords with an
/// optional boolean).
fn flag(w: &mut Writer, kw: &str, v: &Option<Spanned<bool>>) {
    match v {
        Some(v) if v.value => w.line(&[kw]),
        Some(_) => w.line(&[kw, "false"]),
        None => {}
    }
}

/// `keyword SCRIPT [USER [GROUP]]`.
fn script(w: &mut Writer, kw: &str, s: &Option<Box<Spanned<ScriptCommand>>>) {
    if let Some(s) = s {
        let mut words = vec![kw, s.value.command.value.as_str()];
        if let Some(u) = &s.value.user {
            words.push(&u.value);
            if let Some(g) = &s.value.group {
                words.push(&g.value);
            }
        }
        w.line(&words);
    }
}

/// `weight N [reverse]` words.
fn weight_words(wt: &Weight) -> Vec<String> {
    let mut v = vec!["weight".to_string(), wt.value.to_string()];
    if wt.reverse {
        v.push("reverse".to_string());
    }
    v
}

/// A block of address lines.
fn address_block(w: &mut Writer, kw: &str, addrs: &[Spanned<VirtualAddress>]) {
    if addrs.is_empty() {
        return;
    }
    w.open(&[kw]);
    for a in addrs {
        let words = address_words(&a.value);
        w.line_owned(&words);
    }
    w.close();
}

/// The words of one address line.
fn address_words(a: &VirtualAddress) -> Vec<String> {
    let mut v = vec![prefix_text(&a.addr.value)];
    let o = a.options();
    let mut opt = |k: &str, x: &Option<Spanned<String>>| {
        if let Some(x) = x {
            v.push(k.to_string());
            v.push(x.value.clone());
        }
    };
    opt(
        "brd",
        &o.brd.map(|b| Spanned::new(b.value.to_string(), b.span)),
    );
    opt("brd", &o.brd_word);
    opt("dev", &a.dev);
    opt("scope", &o.scope);
    opt("label", &o.label);
    opt(
        "peer",
        &o.peer.map(|p| Spanned::new(prefix_text(&p.value), p.span)),
    );
    opt("preferred_lft", &o.preferred_lft);
    opt("track_group", &o.track_group);
    for (set, word) in [
        (a.home, "home"),
        (a.no_dad, "-nodad"),
        (a.mngtmpaddr, "mngtmpaddr"),
        (a.noprefixroute, "noprefixroute"),
        (a.autojoin, "autojoin"),
        (a.no_track, "no_track"),
        (a.use_vmac, "use_vmac"),
    ] {
        if set {
            v.push(word.to_string());
        }
    }
    v
}

/// `ADDR[/LEN]`.
fn prefix_text(p: &crate::model::IpPrefix) -> String {
    match p.prefix {
        Some(l) => format!("{}/{l}", p.addr),
        None => p.addr.to_string(),
    }
}

/// A block whose lines are kept word for word.
fn word_block<'a>(
    w: &mut Writer,
    kw: &str,
    lines: impl ExactSizeIterator<Item = &'a Vec<Spanned<String>>>,
) {
    if lines.len() == 0 {
        return;
    }
    w.open(&[kw]);
    for l in lines {
        let words: Vec<String> = l.iter().map(|s| s.value.clone()).collect();
        w.line_owned(&words);
    }
    w.close();
}

/// A value block: `kw { A B C }` written one value per line.
fn list_block(w: &mut Writer, kw: &str, values: &[Spanned<String>]) {
    if values.is_empty() {
        return;
    }
    w.open(&[kw]);
    for v in values {
        w.line(&[&v.value]);
    }
    w.close();
}

/// Keywords kept as written.
fn raw_nodes(w: &mut Writer, nodes: &[RawNode]) {
    for n in nodes {
        let mut words = vec![n.keyword.value.clone()];
        words.extend(n.args.iter().map(|a| a.value.clone()));
        match &n.block {
            Some(b) => {
                w.open_owned(&words);
                raw_nodes(w, b);
                w.close();
            }
            None => w.line_owned(&words),
        }
    }
}

#[cfg(test)]
mod roundtrip_tests {
    use super::gen;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Any generated model, formatted and read back, is the same model;
        /// formatting that again gives the same text.
        #[test]
        fn formatted_models_build_back_equal(c in gen::config()) {
            let text = super::format(&c);
            let (again, diags) = crate::build::tests::built(&text);
            let errors: Vec<_> = diags
                .iter()
                .filter(|d| d.severity == crate::Severity::Error)
                .collect();
            prop_assert!(errors.is_empty(), "{errors:#?}\n{text}");
            prop_assert_eq!(&again, &c, "{}", text);
            prop_assert_eq!(super::format(&again), text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_short_decimals() {
        assert_eq!(secs(Duration::from_secs(3)), "3");
        assert_eq!(secs(Duration::from_millis(1500)), "1.5");
        assert_eq!(secs(Duration::from_micros(10_000)), "0.01");
    }

    #[test]
    fn empty_config_formats_to_nothing() {
        assert_eq!(format(&Config::default()), "");
    }
}
