//! `vrrp_script`, `track_file`, `vrrp_instance`, `vrrp_sync_group`.

use super::writer::Writer;
use super::{
    address_block, bare, duration, flag, raw_nodes, script as script_line, value, weight_words,
    word_block,
};
use crate::model::{
    AuthType, InitialState, Spanned, SyncGroup, TrackFile, TrackedName, VrrpInstance, VrrpScript,
    Weight,
};

/// `vrrp_script NAME { ... }`.
pub(super) fn script(w: &mut Writer, s: &VrrpScript) {
    w.open(&["vrrp_script", &s.name.value]);
    value(w, "script", &s.script);
    duration(w, "interval", &s.interval);
    duration(w, "timeout", &s.timeout);
    weight_line(w, &s.weight);
    value(w, "rise", &s.rise);
    value(w, "fall", &s.fall);
    if let Some(u) = &s.user {
        match &u.value.group {
            Some(g) => w.line(&["user", &u.value.user.value, &g.value]),
            None => w.line(&["user", &u.value.user.value]),
        }
    }
    bare(w, "init_fail", &s.init_fail);
    raw_nodes(w, &s.other);
    w.close();
}

/// `weight N [reverse]` as a line.
fn weight_line(w: &mut Writer, wt: &Option<Spanned<Weight>>) {
    if let Some(wt) = wt {
        w.line_owned(&weight_words(&wt.value));
    }
}

/// `track_file NAME { ... }`.
pub(super) fn track_file(w: &mut Writer, t: &TrackFile) {
    let kw = if t.legacy_keyword {
        "vrrp_track_file"
    } else {
        "track_file"
    };
    w.open(&[kw, &t.name.value]);
    value(w, "file", &t.file);
    weight_line(w, &t.weight);
    if let Some(words) = &t.init_file {
        let mut line = vec!["init_file".to_string()];
        line.extend(words.iter().map(|s| s.value.clone()));
        w.line_owned(&line);
    }
    raw_nodes(w, &t.other);
    w.close();
}

/// A `track_*` block.
fn tracked(w: &mut Writer, kw: &str, names: &[TrackedName]) {
    if names.is_empty() {
        return;
    }
    w.open(&[kw]);
    for t in names {
        let mut line = vec![t.name.value.clone()];
        if let Some(wt) = &t.weight {
            line.extend(weight_words(&wt.value));
        }
        w.line_owned(&line);
    }
    w.close();
}

/// `vrrp_instance NAME { ... }`.
pub(super) fn instance(w: &mut Writer, i: &VrrpInstance) {
    w.open(&["vrrp_instance", &i.name.value]);
    if let Some(s) = &i.state {
        let word = match s.value {
            InitialState::Master => "MASTER",
            InitialState::Backup => "BACKUP",
        };
        w.line(&["state", word]);
    }
    value(w, "interface", &i.interface);
    value(w, "virtual_router_id", &i.virtual_router_id);
    value(w, "priority", &i.priority);
    duration(w, "advert_int", &i.advert_int);
    value(w, "version", &i.version);
    if let Some(a) = &i.authentication {
        w.open(&["authentication"]);
        if let Some(t) = &a.auth_type {
            let word = match t.value {
                AuthType::Pass => "PASS",
                AuthType::Ah => "AH",
            };
            w.line(&["auth_type", word]);
        }
        value(w, "auth_pass", &a.auth_pass);
        w.close();
    }
    address_block(w, "virtual_ipaddress", &i.virtual_ipaddress);
    address_block(
        w,
        "virtual_ipaddress_excluded",
        &i.virtual_ipaddress_excluded,
    );
    word_block(
        w,
        "virtual_routes",
        i.virtual_routes.iter().map(|r| &r.value.words),
    );
    word_block(
        w,
        "virtual_rules",
        i.virtual_rules.iter().map(|r| &r.value.words),
    );
    tracked(w, "track_interface", &i.track_interface);
    tracked(w, "track_script", &i.track_script);
    tracked(w, "track_file", &i.track_file);
    bare(w, "dont_track_primary", &i.dont_track_primary);
    match &i.preempt {
        Some(p) if p.value => w.line(&["preempt"]),
        Some(_) => w.line(&["nopreempt"]),
        None => {}
    }
    duration(w, "preempt_delay", &i.preempt_delay);
    duration(w, "garp_master_delay", &i.garp_master_delay);
    value(w, "garp_master_repeat", &i.garp_master_repeat);
    duration(w, "garp_master_refresh", &i.garp_master_refresh);
    value(
        w,
        "garp_master_refresh_repeat",
        &i.garp_master_refresh_repeat,
    );
    duration(w, "garp_lower_prio_delay", &i.garp_lower_prio_delay);
    value(w, "garp_lower_prio_repeat", &i.garp_lower_prio_repeat);
    value(w, "mcast_src_ip", &i.mcast_src_ip);
    value(w, "unicast_src_ip", &i.unicast_src_ip);
    if !i.unicast_peer.is_empty() {
        w.open(&["unicast_peer"]);
        for p in &i.unicast_peer {
            w.line(&[&p.value.to_string()]);
        }
        w.close();
    }
    match &i.use_vmac {
        Some(Spanned {
            value: Some(name), ..
        }) => w.line(&["use_vmac", name]),
        Some(_) => w.line(&["use_vmac"]),
        None => {}
    }
    bare(w, "vmac_xmit_base", &i.vmac_xmit_base);
    bare(w, "native_ipv6", &i.native_ipv6);
    match &i.accept {
        Some(a) if a.value => w.line(&["accept"]),
        Some(_) => w.line(&["no_accept"]),
        None => {}
    }
    flag(w, "strict_mode", &i.strict_mode);
    script_line(w, "notify_master", &i.notify_master);
    script_line(w, "notify_backup", &i.notify_backup);
    script_line(w, "notify_fault", &i.notify_fault);
    script_line(w, "notify_stop", &i.notify_stop);
    script_line(w, "notify", &i.notify);
    flag(w, "smtp_alert", &i.smtp_alert);
    raw_nodes(w, &i.other);
    w.close();
}

/// `vrrp_sync_group NAME { ... }`.
pub(super) fn sync_group(w: &mut Writer, g: &SyncGroup) {
    w.open(&["vrrp_sync_group", &g.name.value]);
    super::list_block(w, "group", &g.group);
    tracked(w, "track_interface", &g.track_interface);
    tracked(w, "track_script", &g.track_script);
    tracked(w, "track_file", &g.track_file);
    script_line(w, "notify_master", &g.notify_master);
    script_line(w, "notify_backup", &g.notify_backup);
    script_line(w, "notify_fault", &g.notify_fault);
    script_line(w, "notify_stop", &g.notify_stop);
    script_line(w, "notify", &g.notify);
    flag(w, "smtp_alert", &g.smtp_alert);
    bare(w, "global_tracking", &g.global_tracking);
    raw_nodes(w, &g.other);
    w.close();
}
