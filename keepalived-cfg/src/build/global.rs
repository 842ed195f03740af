//! `global_defs { ... }`.

use super::values::{spanned_text, Cx};
use super::{block_words, codes, keywords, other};
use crate::model::{GlobalDefs, SmtpServer, Spanned};
use crate::Node;
use std::net::IpAddr;
use std::time::Duration;

/// The most whole seconds keepalived accepts for its second-based timers
/// (`UINT_MAX / TIMER_HZ`).
const MAX_WHOLE_SECONDS: u64 = 4294;

/// Every keyword of one `global_defs` block, into `g`.
pub(super) fn global_defs(cx: &mut Cx<'_>, nodes: &[Node], g: &mut GlobalDefs) {
    super::repeated(cx, nodes);
    for n in nodes {
        keyword(cx, n, g);
    }
}

/// One `global_defs` keyword.
fn keyword(cx: &mut Cx<'_>, n: &Node, g: &mut GlobalDefs) {
    match n.keyword.text.as_str() {
        "notification_email" => {
            let words = block_words(cx, n);
            g.notification_email
                .extend(words.into_iter().map(spanned_text));
        }
        "notification_email_from" => g.notification_email_from = cx.string(n, 0),
        "smtp_server" => g.smtp_server = smtp_server(cx, n),
        "smtp_helo_name" => g.smtp_helo_name = cx.string(n, 0),
        "smtp_connect_timeout" => {
            if let Some(v) = cx.unsigned(n, 0, 0, MAX_WHOLE_SECONDS) {
                let secs = if v.value == 0 {
                    cx.error(
                        codes::INVALID_NUMBER,
                        v.span,
                        "smtp_connect_timeout must be greater than 0".to_string(),
                        "keepalived uses 1",
                    );
                    1
                } else {
                    v.value
                };
                g.smtp_connect_timeout = Some(Spanned::new(Duration::from_secs(secs), v.span));
            }
        }
        "smtp_alert" => g.smtp_alert = cx.flag(n),
        "smtp_alert_vrrp" => g.smtp_alert_vrrp = cx.flag(n),
        "smtp_alert_checker" => g.smtp_alert_checker = cx.flag(n),
        "router_id" => g.router_id = cx.string(n, 0),
        "enable_script_security" => g.enable_script_security = Some(cx.bare_flag(n)),
        "script_user" => g.script_user = cx.user_group(n),
        "startup_script" => cx.once_script(n, &mut g.startup_script),
        "shutdown_script" => cx.once_script(n, &mut g.shutdown_script),
        "default_interface" => g.default_interface = cx.string(n, 0),
        "dynamic_interfaces" => g.dynamic_interfaces = dynamic_interfaces(cx, n),
        "max_auto_priority" => {
            g.max_auto_priority = match n.args.first() {
                None => Some(Spanned::new(99, n.keyword.span)),
                Some(_) => cx
                    .int(n, 0, -1, 99)
                    .map(|v| Spanned::new(v.value as i32, v.span)),
            }
        }
        "vrrp_version" => {
            g.vrrp_version = cx
                .int(n, 0, 2, 3)
                .map(|v| Spanned::new(v.value as u8, v.span));
        }
        "vrrp_strict" => g.vrrp_strict = Some(cx.bare_flag(n)),
        "vrrp_mcast_group4" => g.vrrp_mcast_group4 = mcast_group(cx, n, false),
        "vrrp_mcast_group6" => g.vrrp_mcast_group6 = mcast_group(cx, n, true),
        "vrrp_garp_master_delay" => {
            g.vrrp_garp_master_delay = cx.whole_seconds(n, 0, 0, MAX_WHOLE_SECONDS);
        }
        "vrrp_garp_master_repeat" => g.vrrp_garp_master_repeat = count(cx, n),
        "vrrp_garp_master_refresh" => {
            g.vrrp_garp_master_refresh = cx.whole_seconds(n, 0, 0, u64::from(u32::MAX));
        }
        "vrrp_garp_master_refresh_repeat" => g.vrrp_garp_master_refresh_repeat = count(cx, n),
        "vrrp_garp_lower_prio_delay" => {
            g.vrrp_garp_lower_prio_delay = cx.whole_seconds(n, 0, 0, MAX_WHOLE_SECONDS);
        }
        "vrrp_garp_lower_prio_repeat" => g.vrrp_garp_lower_prio_repeat = count(cx, n),
        "vrrp_garp_interval" => {
            g.vrrp_garp_interval = cx.seconds(n, 0, 1, u64::from(u32::MAX));
        }
        "vrrp_gna_interval" => {
            g.vrrp_gna_interval = cx.seconds(n, 0, 1, u64::from(u32::MAX));
        }
        "vrrp_lower_prio_no_advert" => g.vrrp_lower_prio_no_advert = cx.flag(n),
        "vrrp_higher_prio_send_advert" => g.vrrp_higher_prio_send_advert = cx.flag(n),
        "vrrp_check_unicast_src" => g.vrrp_check_unicast_src = Some(cx.bare_flag(n)),
        "vrrp_skip_check_adv_addr" => g.vrrp_skip_check_adv_addr = Some(cx.bare_flag(n)),
        "vrrp_iptables" => {
            if already(cx, n, g.vrrp_iptables.as_ref()) {
                g.vrrp_iptables = Some(words(n));
            }
        }
        "lvs_sync_daemon" => {
            if already(cx, n, g.lvs_sync_daemon.as_ref()) && cx.arg(n, 0).is_some() {
                g.lvs_sync_daemon = Some(words(n));
            }
        }
        "lvs_timeouts" => g.lvs_timeouts = Some(words(n)),
        "lvs_flush" => g.lvs_flush = Some(cx.bare_flag(n)),
        "lvs_flush_on_stop" | "lvs_flush_onstop" => g.lvs_flush_on_stop = Some(words(n)),
        _ => other(
            cx,
            n,
            "`global_defs`",
            &[keywords::GLOBAL_DEFS],
            &mut g.other,
        ),
    }
}

/// True when `slot` is still free; otherwise reports the repeat, which
/// keepalived ignores.
fn already(cx: &mut Cx<'_>, n: &Node, slot: Option<&Vec<Spanned<String>>>) -> bool {
    if slot.is_none() {
        return true;
    }
    cx.error(
        codes::DUPLICATE,
        n.keyword.span,
        format!("`{}` already given", n.keyword.text),
        "keepalived ignores this one",
    );
    false
}

/// The arguments as written.
fn words(n: &Node) -> Vec<Spanned<String>> {
    n.args.iter().map(spanned_text).collect()
}

/// A repeat count: any unsigned 32-bit number.
fn count(cx: &mut Cx<'_>, n: &Node) -> Option<Spanned<u32>> {
    cx.unsigned(n, 0, 0, u64::from(u32::MAX))
        .map(|v| Spanned::new(v.value as u32, v.span))
}

/// `smtp_server HOST [PORT]`: an address, or a name (not checked here:
/// keepalived resolves it).
fn smtp_server(cx: &mut Cx<'_>, n: &Node) -> Option<Spanned<SmtpServer>> {
    let host = cx.string(n, 0)?;
    // A word that can only be an address (digits and dots, or with a
    // colon) is not looked up by name: it must be a valid one.
    let numeric = host.value.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let bad_v4 = numeric && super::ipvs::inet_aton(&host.value).is_none();
    let bad_v6 = host.value.contains(':') && host.value.parse::<std::net::Ipv6Addr>().is_err();
    if bad_v4 || bad_v6 {
        cx.error(
            codes::INVALID_ADDRESS,
            host.span,
            format!("invalid smtp server `{}`", host.value),
            "not a valid address",
        );
        return None;
    }
    let port = match n.args.get(1) {
        Some(p) => Some(cx.unsigned_token(p, 1, 65535)?.value as u16),
        None => None,
    };
    Some(Spanned::new(
        SmtpServer {
            host: host.value,
            port,
        },
        host.span,
    ))
}

/// `dynamic_interfaces [allow_if_changes]`.
fn dynamic_interfaces(cx: &mut Cx<'_>, n: &Node) -> Option<Spanned<bool>> {
    match n.args.first() {
        None => Some(Spanned::new(false, n.keyword.span)),
        Some(t) if t.text == "allow_if_changes" => Some(Spanned::new(true, n.keyword.span)),
        Some(t) => {
            cx.error(
                codes::INVALID_VALUE,
                t.span,
                format!("unknown dynamic_interfaces option `{}`", t.text),
                "expected `allow_if_changes`",
            );
            Some(Spanned::new(false, n.keyword.span))
        }
    }
}

/// `vrrp_mcast_group4|6 ADDR`: the right family, and multicast.
fn mcast_group(cx: &mut Cx<'_>, n: &Node, v6: bool) -> Option<Spanned<IpAddr>> {
    let ip = cx.ip_arg(n, 0)?;
    let family_ok = ip.value.is_ipv6() == v6;
    if !family_ok || !ip.value.is_multicast() {
        let want = if v6 { "an IPv6" } else { "an IPv4" };
        cx.error(
            codes::INVALID_ADDRESS,
            ip.span,
            format!("`{}` must be {want} multicast address", n.keyword.text),
            "keepalived skips this setting",
        );
        return None;
    }
    Some(ip)
}
