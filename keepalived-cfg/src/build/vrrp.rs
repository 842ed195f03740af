//! `vrrp_instance`, `vrrp_sync_group`, `vrrp_script`, `track_file`.

use super::values::{spanned_text, Cx};
use super::{address, block, block_name, block_words, codes, keywords, other, repeated, unknown};
use crate::model::{
    AuthType, Authentication, Config, InitialState, Spanned, SyncGroup, TrackFile, TrackedName,
    VrrpInstance, VrrpScript, Weight,
};
use crate::{Diagnostic, Node, Token};
use std::time::Duration;

/// Microseconds in a second.
const SEC: u64 = 1_000_000;

/// `vrrp_instance NAME { ... }`.
pub(super) fn instance(cx: &mut Cx<'_>, node: &Node, config: &mut Config) {
    let Some(name) = block_name(cx, node) else {
        return;
    };
    if let Some(&prev_span) = cx.instances.get(&name.value) {
        cx.push(
            Diagnostic::error(
                codes::DUPLICATE,
                format!("vrrp instance `{}` already defined", name.value),
            )
            .at(name.span, "defined again here")
            .with_label(prev_span, "first defined here")
            .with_note("keepalived skips the second block"),
        );
        return;
    }
    cx.instances.insert(name.value.clone(), name.span);
    let mut inst = VrrpInstance {
        name,
        ..VrrpInstance::default()
    };
    let nodes = block(cx, node);
    repeated(cx, nodes);
    for n in nodes {
        instance_keyword(cx, n, &mut inst);
    }
    config.vrrp_instances.push(inst);
}

/// One keyword inside `vrrp_instance`.
fn instance_keyword(cx: &mut Cx<'_>, n: &Node, inst: &mut VrrpInstance) {
    match n.keyword.text.as_str() {
        "state" => state(cx, n, inst),
        "interface" => {
            if let Some(s) = cx.string(n, 0) {
                if s.value.len() >= 16 {
                    cx.error(
                        codes::INVALID_VALUE,
                        s.span,
                        format!("interface name `{}` too long", s.value),
                        "interface names have at most 15 characters",
                    );
                } else {
                    inst.interface = Some(s);
                }
            }
        }
        "virtual_router_id" => {
            if let Some(v) = cx.unsigned(n, 0, 1, 255) {
                inst.virtual_router_id = Some(Spanned::new(v.value as u8, v.span));
            }
        }
        "priority" => {
            if let Some(v) = cx.unsigned(n, 0, 1, 255) {
                inst.priority = Some(Spanned::new(v.value as u8, v.span));
            }
        }
        "advert_int" => inst.advert_int = cx.seconds(n, 0, SEC / 100, 255 * SEC),
        "version" => {
            if let Some(v) = cx.int(n, 0, 2, 3) {
                inst.version = Some(Spanned::new(v.value as u8, v.span));
            }
        }
        "authentication" => inst.authentication = Some(authentication(cx, n)),
        "virtual_ipaddress" => {
            let nodes = block(cx, n);
            let addrs = address::addresses(cx, nodes, false);
            if inst.virtual_ipaddress.is_empty() {
                inst.virtual_ipaddress = addrs;
            } else {
                inst.virtual_ipaddress.extend(addrs);
            }
        }
        "virtual_ipaddress_excluded" => {
            let nodes = block(cx, n);
            inst.virtual_ipaddress_excluded
                .extend(address::addresses(cx, nodes, false));
        }
        "virtual_routes" => {
            let nodes = block(cx, n);
            inst.virtual_routes.extend(address::routes(cx, nodes));
        }
        "virtual_rules" => {
            let nodes = block(cx, n);
            inst.virtual_rules.extend(address::rules(cx, nodes));
        }
        "track_interface" => inst.track_interface.extend(tracked(cx, n)),
        "track_script" => inst.track_script.extend(tracked(cx, n)),
        "track_file" => inst.track_file.extend(tracked(cx, n)),
        "dont_track_primary" => inst.dont_track_primary = Some(cx.bare_flag(n)),
        "preempt" => inst.preempt = Some(cx.bare_flag(n)),
        "nopreempt" => inst.preempt = Some(Spanned::new(false, n.keyword.span)),
        "preempt_delay" => inst.preempt_delay = cx.seconds(n, 0, 0, 1000 * SEC),
        "garp_master_delay" => inst.garp_master_delay = cx.whole_seconds(n, 0, 0, 4294),
        "garp_master_repeat" => inst.garp_master_repeat = repeat(cx, n),
        "garp_master_refresh" => {
            inst.garp_master_refresh = cx.whole_seconds(n, 0, 0, u64::from(u32::MAX));
        }
        "garp_master_refresh_repeat" => inst.garp_master_refresh_repeat = repeat(cx, n),
        "garp_lower_prio_delay" => inst.garp_lower_prio_delay = cx.whole_seconds(n, 0, 0, 4294),
        "garp_lower_prio_repeat" => inst.garp_lower_prio_repeat = repeat(cx, n),
        "mcast_src_ip" => inst.mcast_src_ip = cx.ip_arg(n, 0),
        "unicast_src_ip" => inst.unicast_src_ip = cx.ip_arg(n, 0),
        "unicast_peer" => {
            for line in block(cx, n) {
                if let Some(ip) = cx.ip(&line.keyword) {
                    inst.unicast_peer.push(ip);
                }
                peer_options(cx, line);
            }
        }
        "use_vmac" => {
            inst.use_vmac = Some(Spanned::new(
                n.args.first().map(|t| t.text.to_string()),
                n.keyword.span,
            ));
        }
        "vmac_xmit_base" => inst.vmac_xmit_base = Some(cx.bare_flag(n)),
        "native_ipv6" => inst.native_ipv6 = Some(cx.bare_flag(n)),
        "accept" => inst.accept = Some(cx.bare_flag(n)),
        "no_accept" => inst.accept = Some(Spanned::new(false, n.keyword.span)),
        "strict_mode" => inst.strict_mode = cx.flag(n),
        "notify_master" => cx.once_script(n, &mut inst.notify_master),
        "notify_backup" => cx.once_script(n, &mut inst.notify_backup),
        "notify_fault" => cx.once_script(n, &mut inst.notify_fault),
        "notify_stop" => cx.once_script(n, &mut inst.notify_stop),
        "notify" => cx.once_script(n, &mut inst.notify),
        "smtp_alert" => inst.smtp_alert = cx.flag(n),
        _ => other(
            cx,
            n,
            "`vrrp_instance`",
            &[keywords::VRRP_INSTANCE],
            &mut inst.other,
        ),
    }
}

/// `state MASTER|BACKUP` (exact case): anything else is reported and
/// means BACKUP; BACKUP after MASTER is reported and ignored.
fn state(cx: &mut Cx<'_>, n: &Node, inst: &mut VrrpInstance) {
    let Some(tok) = cx.arg(n, 0) else { return };
    let value = match tok.text.as_str() {
        "MASTER" => InitialState::Master,
        "BACKUP" => {
            if inst
                .state
                .as_ref()
                .is_some_and(|s| s.value == InitialState::Master)
            {
                cx.error(
                    codes::DUPLICATE,
                    tok.span,
                    "state previously set as MASTER: keepalived ignores BACKUP".to_string(),
                    "ignored",
                );
                return;
            }
            InitialState::Backup
        }
        other => {
            let mut d = Diagnostic::error(codes::INVALID_VALUE, format!("unknown state `{other}`"))
                .at(tok.span, "expected MASTER or BACKUP")
                .with_note("keepalived defaults to BACKUP");
            if other.eq_ignore_ascii_case("master") || other.eq_ignore_ascii_case("backup") {
                d = d.with_help(format!(
                    "write it in capitals: `{}`",
                    other.to_ascii_uppercase()
                ));
            }
            cx.push(d);
            InitialState::Backup
        }
    };
    inst.state = Some(Spanned::new(value, tok.span));
}

/// `authentication { auth_type PASS|AH; auth_pass WORD }`.
fn authentication(cx: &mut Cx<'_>, n: &Node) -> Authentication {
    let mut auth = Authentication {
        span: n.keyword.span,
        ..Authentication::default()
    };
    let nodes = block(cx, n);
    repeated(cx, nodes);
    for k in nodes {
        match k.keyword.text.as_str() {
            "auth_type" => {
                let Some(tok) = cx.arg(k, 0) else { continue };
                match tok.text.as_str() {
                    "PASS" => auth.auth_type = Some(Spanned::new(AuthType::Pass, tok.span)),
                    "AH" => auth.auth_type = Some(Spanned::new(AuthType::Ah, tok.span)),
                    t => cx.error(
                        codes::INVALID_VALUE,
                        tok.span,
                        format!("unknown authentication type `{t}`"),
                        "expected PASS or AH",
                    ),
                }
            }
            "auth_pass" => {
                let Some(tok) = cx.arg(k, 0) else { continue };
                if tok.text.len() > 8 {
                    cx.push(
                        Diagnostic::error(
                            codes::INVALID_VALUE,
                            "auth_pass longer than 8 characters".to_string(),
                        )
                        .at(tok.span, "keepalived keeps only the first 8 characters")
                        .with_note("keepalived reports the truncation and `-t` exits 5"),
                    );
                }
                auth.auth_pass = Some(spanned_text(tok));
            }
            _ => unknown(cx, k, "`authentication`", &[keywords::AUTHENTICATION]),
        }
    }
    auth
}

/// A `garp_*_repeat` count: 0 is reported and read as 1.
fn repeat(cx: &mut Cx<'_>, n: &Node) -> Option<Spanned<u32>> {
    let v = cx.unsigned(n, 0, 0, u64::from(u32::MAX))?;
    if v.value == 0 {
        cx.error(
            codes::INVALID_NUMBER,
            v.span,
            format!("`{}` must be greater than 0", n.keyword.text),
            "keepalived uses 1",
        );
        return Some(Spanned::new(1, v.span));
    }
    Some(Spanned::new(v.value as u32, v.span))
}

/// `unicast_peer` lines may carry `min_ttl N` / `max_ttl N`.
fn peer_options(cx: &mut Cx<'_>, line: &Node) {
    let mut words = line.args.iter();
    while let Some(w) = words.next() {
        match w.text.as_str() {
            "min_ttl" | "max_ttl" => match words.next() {
                Some(v) => {
                    cx.unsigned_token(v, 0, 255);
                }
                None => cx.error(
                    codes::MISSING_PARAMETER,
                    w.span,
                    format!("`{}` is missing a value", w.text),
                    "a TTL is expected after this",
                ),
            },
            other => cx.error(
                codes::INVALID_VALUE,
                w.span,
                format!("unknown unicast peer option `{other}`"),
                "expected min_ttl or max_ttl",
            ),
        }
    }
}

/// A `track_*` block: `NAME [weight N [reverse]]` per line.
fn tracked(cx: &mut Cx<'_>, n: &Node) -> Vec<TrackedName> {
    let mut out = Vec::new();
    for line in block(cx, n) {
        let name = spanned_text(&line.keyword);
        let weight = match line.args.first() {
            None => None,
            Some(w) if w.text == "weight" => weight_words(cx, w, &line.args[1..], -254, 254),
            Some(w) => {
                cx.error(
                    codes::INVALID_VALUE,
                    w.span,
                    format!("unknown option `{}` for `{}`", w.text, name.value),
                    "only `weight N [reverse]` may follow the name",
                );
                None
            }
        };
        out.push(TrackedName { name, weight });
    }
    out
}

/// `N [reverse]` after a `weight` word.
fn weight_words(
    cx: &mut Cx<'_>,
    at: &Token,
    rest: &[Token],
    min: i64,
    max: i64,
) -> Option<Spanned<Weight>> {
    let Some(num) = rest.first() else {
        cx.error(
            codes::MISSING_PARAMETER,
            at.span,
            "`weight` without a value".to_string(),
            "a number is expected after this",
        );
        return None;
    };
    let value = cx.int_token(num, min, max)?;
    let mut reverse = false;
    if let Some(r) = rest.get(1) {
        if r.text == "reverse" {
            reverse = true;
        } else {
            cx.error(
                codes::INVALID_VALUE,
                r.span,
                format!("unknown weight option `{}`", r.text),
                "expected `reverse`",
            );
        }
    }
    Some(Spanned::new(
        Weight {
            value: value.value as i32,
            reverse,
        },
        num.span,
    ))
}

/// `weight N [reverse]` as a keyword line.
fn weight_line(cx: &mut Cx<'_>, n: &Node, min: i64, max: i64) -> Option<Spanned<Weight>> {
    weight_words(cx, &n.keyword, &n.args, min, max)
}

/// `vrrp_sync_group NAME { ... }`.
pub(super) fn sync_group(cx: &mut Cx<'_>, node: &Node, config: &mut Config) {
    let Some(name) = block_name(cx, node) else {
        return;
    };
    if let Some(&prev_span) = cx.sync_groups.get(&name.value) {
        cx.push(
            Diagnostic::error(
                codes::DUPLICATE,
                format!("vrrp sync group `{}` already defined", name.value),
            )
            .at(name.span, "defined again here")
            .with_label(prev_span, "first defined here"),
        );
        return;
    }
    cx.sync_groups.insert(name.value.clone(), name.span);
    let mut g = SyncGroup {
        name,
        ..SyncGroup::default()
    };
    let mut group_seen = false;
    for n in block(cx, node) {
        match n.keyword.text.as_str() {
            "group" => {
                if group_seen {
                    cx.error(
                        codes::DUPLICATE,
                        n.keyword.span,
                        format!("group list already given for sync group `{}`", g.name.value),
                        "second list ignored",
                    );
                    continue;
                }
                group_seen = true;
                g.group = block_words(cx, n).into_iter().map(spanned_text).collect();
                if g.group.is_empty() {
                    // keepalived reports it once the block is read: at its `}`.
                    let at = n.block.as_ref().and_then(|b| b.close);
                    cx.error(
                        codes::INVALID_VALUE,
                        at.unwrap_or(n.keyword.span),
                        format!("sync group `{}` has an empty group block", g.name.value),
                        "no instance listed",
                    );
                }
            }
            "track_interface" => g.track_interface.extend(tracked(cx, n)),
            "track_script" => g.track_script.extend(tracked(cx, n)),
            "track_file" => g.track_file.extend(tracked(cx, n)),
            "notify_master" => cx.once_script(n, &mut g.notify_master),
            "notify_backup" => cx.once_script(n, &mut g.notify_backup),
            "notify_fault" => cx.once_script(n, &mut g.notify_fault),
            "notify_stop" => cx.once_script(n, &mut g.notify_stop),
            "notify" => cx.once_script(n, &mut g.notify),
            "smtp_alert" => g.smtp_alert = cx.flag(n),
            "global_tracking" => g.global_tracking = Some(cx.bare_flag(n)),
            _ => other(
                cx,
                n,
                "`vrrp_sync_group`",
                &[keywords::SYNC_GROUP],
                &mut g.other,
            ),
        }
    }
    config.vrrp_sync_groups.push(g);
}

/// `vrrp_script NAME { ... }`.
pub(super) fn script(cx: &mut Cx<'_>, node: &Node, config: &mut Config) {
    let Some(name) = cx.string(node, 0) else {
        return;
    };
    let mut s = VrrpScript {
        name,
        ..VrrpScript::default()
    };
    let nodes = block(cx, node);
    repeated(cx, nodes);
    for n in nodes {
        match n.keyword.text.as_str() {
            "script" => s.script = joined(cx, n),
            "interval" => s.interval = positive_seconds(cx, n),
            "timeout" => s.timeout = positive_seconds(cx, n),
            "weight" => s.weight = weight_line(cx, n, -253, 253),
            "rise" => s.rise = count(cx, n),
            "fall" => s.fall = count(cx, n),
            "user" => s.user = cx.user_group(n),
            "init_fail" => s.init_fail = Some(cx.bare_flag(n)),
            _ => other(
                cx,
                n,
                "`vrrp_script`",
                &[keywords::VRRP_SCRIPT],
                &mut s.other,
            ),
        }
    }
    config.vrrp_scripts.push(s);
}

/// The arguments of a command keyword (`script`, `misc_path`) as one
/// command line: a quoted argument stays one word.
pub(super) fn joined(cx: &mut Cx<'_>, n: &Node) -> Option<Spanned<String>> {
    let first = cx.arg(n, 0)?;
    let text = n
        .args
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    Some(Spanned::new(text, first.span))
}

/// Whole seconds, where 0 is reported and read as 1.
fn positive_seconds(cx: &mut Cx<'_>, n: &Node) -> Option<Spanned<Duration>> {
    let v = cx.whole_seconds(n, 0, 0, 4294)?;
    if v.value.is_zero() {
        cx.error(
            codes::INVALID_NUMBER,
            v.span,
            format!("`{}` must be greater than 0", n.keyword.text),
            "keepalived uses 1",
        );
        return Some(Spanned::new(Duration::from_secs(1), v.span));
    }
    Some(v)
}

/// `rise` / `fall`: 1..=i32::MAX.
fn count(cx: &mut Cx<'_>, n: &Node) -> Option<Spanned<u32>> {
    let v = cx.unsigned(n, 0, 1, i32::MAX as u64)?;
    Some(Spanned::new(v.value as u32, v.span))
}

/// `track_file NAME { ... }` / `vrrp_track_file NAME { ... }`.
pub(super) fn track_file(cx: &mut Cx<'_>, node: &Node, config: &mut Config) {
    let legacy = node.keyword.text == "vrrp_track_file";
    if legacy {
        cx.push(
            Diagnostic::warning(
                codes::DEPRECATED,
                "`vrrp_track_file` is deprecated".to_string(),
            )
            .at(node.keyword.span, "deprecated synonym")
            .with_help("use `track_file`"),
        );
    }
    let Some(name) = cx.string(node, 0) else {
        return;
    };
    let mut t = TrackFile {
        name,
        legacy_keyword: legacy,
        ..TrackFile::default()
    };
    for n in block(cx, node) {
        match n.keyword.text.as_str() {
            "file" => {
                if t.file.is_some() {
                    cx.error(
                        codes::DUPLICATE,
                        n.keyword.span,
                        format!("file already set for track file `{}`", t.name.value),
                        "ignored",
                    );
                } else {
                    t.file = cx.string(n, 0);
                }
            }
            "weight" => {
                // keepalived refuses a second weight unless the first was 1.
                if let Some(w) = t.weight.filter(|w| w.value.value != 1) {
                    cx.push(
                        Diagnostic::error(
                            codes::DUPLICATE,
                            format!("weight already set for track file `{}`", t.name.value),
                        )
                        .at(n.keyword.span, "keepalived ignores this one")
                        .with_label(w.span, "the weight keepalived keeps"),
                    );
                } else {
                    t.weight = weight_line(cx, n, -254, 254);
                }
            }
            "init_file" => t.init_file = Some(n.args.iter().map(spanned_text).collect()),
            _ => other(cx, n, "`track_file`", &[keywords::TRACK_FILE], &mut t.other),
        }
    }
    config.track_files.push(t);
}
