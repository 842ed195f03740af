//! `global_defs`.

use super::writer::Writer;
use super::{bare, duration, flag, list_block, raw_nodes, script, value};
use crate::model::GlobalDefs;

/// The `global_defs` block, when anything is set.
pub(super) fn global_defs(w: &mut Writer, g: &GlobalDefs) {
    if *g == GlobalDefs::default() {
        return;
    }
    w.open(&["global_defs"]);
    list_block(w, "notification_email", &g.notification_email);
    value(w, "notification_email_from", &g.notification_email_from);
    if let Some(s) = &g.smtp_server {
        match s.value.port {
            Some(p) => w.line(&["smtp_server", &s.value.host, &p.to_string()]),
            None => w.line(&["smtp_server", &s.value.host]),
        }
    }
    value(w, "smtp_helo_name", &g.smtp_helo_name);
    duration(w, "smtp_connect_timeout", &g.smtp_connect_timeout);
    flag(w, "smtp_alert", &g.smtp_alert);
    flag(w, "smtp_alert_vrrp", &g.smtp_alert_vrrp);
    flag(w, "smtp_alert_checker", &g.smtp_alert_checker);
    value(w, "router_id", &g.router_id);
    bare(w, "enable_script_security", &g.enable_script_security);
    if let Some(u) = &g.script_user {
        match &u.value.group {
            Some(gr) => w.line(&["script_user", &u.value.user.value, &gr.value]),
            None => w.line(&["script_user", &u.value.user.value]),
        }
    }
    script(w, "startup_script", &g.startup_script);
    script(w, "shutdown_script", &g.shutdown_script);
    value(w, "default_interface", &g.default_interface);
    match &g.dynamic_interfaces {
        Some(d) if d.value => w.line(&["dynamic_interfaces", "allow_if_changes"]),
        Some(_) => w.line(&["dynamic_interfaces"]),
        None => {}
    }
    value(w, "max_auto_priority", &g.max_auto_priority);
    value(w, "vrrp_version", &g.vrrp_version);
    bare(w, "vrrp_strict", &g.vrrp_strict);
    value(w, "vrrp_mcast_group4", &g.vrrp_mcast_group4);
    value(w, "vrrp_mcast_group6", &g.vrrp_mcast_group6);
    duration(w, "vrrp_garp_master_delay", &g.vrrp_garp_master_delay);
    value(w, "vrrp_garp_master_repeat", &g.vrrp_garp_master_repeat);
    duration(w, "vrrp_garp_master_refresh", &g.vrrp_garp_master_refresh);
    value(
        w,
        "vrrp_garp_master_refresh_repeat",
        &g.vrrp_garp_master_refresh_repeat,
    );
    duration(
        w,
        "vrrp_garp_lower_prio_delay",
        &g.vrrp_garp_lower_prio_delay,
    );
    value(
        w,
        "vrrp_garp_lower_prio_repeat",
        &g.vrrp_garp_lower_prio_repeat,
    );
    duration(w, "vrrp_garp_interval", &g.vrrp_garp_interval);
    duration(w, "vrrp_gna_interval", &g.vrrp_gna_interval);
    flag(w, "vrrp_lower_prio_no_advert", &g.vrrp_lower_prio_no_advert);
    flag(
        w,
        "vrrp_higher_prio_send_advert",
        &g.vrrp_higher_prio_send_advert,
    );
    bare(w, "vrrp_check_unicast_src", &g.vrrp_check_unicast_src);
    bare(w, "vrrp_skip_check_adv_addr", &g.vrrp_skip_check_adv_addr);
    for (kw, words) in [
        ("vrrp_iptables", &g.vrrp_iptables),
        ("lvs_sync_daemon", &g.lvs_sync_daemon),
        ("lvs_timeouts", &g.lvs_timeouts),
    ] {
        if let Some(words) = words {
            let mut line = vec![kw.to_string()];
            line.extend(words.iter().map(|s| s.value.clone()));
            w.line_owned(&line);
        }
    }
    bare(w, "lvs_flush", &g.lvs_flush);
    if let Some(words) = &g.lvs_flush_on_stop {
        let mut line = vec!["lvs_flush_on_stop".to_string()];
        line.extend(words.iter().map(|s| s.value.clone()));
        w.line_owned(&line);
    }
    raw_nodes(w, &g.other);
    w.close();
}
