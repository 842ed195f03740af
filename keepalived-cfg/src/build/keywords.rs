//! The keywords keepalived 2.2.7 accepts in each block, and the
//! "did you mean" search over them.

/// Top-level keywords.
pub(crate) const ROOT: &[&str] = &[
    "global_defs",
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "track_group",
    "vrrp_sync_group",
    "garp_group",
    "linkbeat_interfaces",
    "vrrp_instance",
    "vrrp_script",
    "vrrp_track_process",
    "interface_up_down_delays",
    "track_file",
    "vrrp_track_file",
    "virtual_server_group",
    "virtual_server",
    "SSL",
    "bfd_instance",
    "net_namespace",
    "net_namespace_ipvs",
    "namespace_with_ipsets",
    "use_pid_dir",
    "instance",
    "child_wait_time",
    "linkbeat_use_polling",
];

/// `global_defs` keywords.
pub(crate) const GLOBAL_DEFS: &[&str] = &[
    "process_names",
    "process_name",
    "vrrp_process_name",
    "checker_process_name",
    "bfd_process_name",
    "router_id",
    "notification_email_from",
    "smtp_server",
    "smtp_helo_name",
    "smtp_connect_timeout",
    "notification_email",
    "smtp_alert",
    "startup_script",
    "startup_script_timeout",
    "shutdown_script",
    "shutdown_script_timeout",
    "max_auto_priority",
    "min_auto_priority_delay",
    "smtp_alert_vrrp",
    "smtp_alert_checker",
    "checker_log_all_failures",
    "dynamic_interfaces",
    "no_email_faults",
    "default_interface",
    "disable_local_igmp",
    "lvs_timeouts",
    "lvs_flush",
    "lvs_flush_on_stop",
    "lvs_flush_onstop",
    "lvs_sync_daemon",
    "vrrp_mcast_group4",
    "vrrp_mcast_group6",
    "vrrp_garp_master_delay",
    "vrrp_garp_master_repeat",
    "vrrp_garp_master_refresh",
    "vrrp_garp_master_refresh_repeat",
    "vrrp_garp_lower_prio_delay",
    "vrrp_garp_lower_prio_repeat",
    "vrrp_down_timer_adverts",
    "vrrp_garp_interval",
    "vrrp_gna_interval",
    "vrrp_min_garp",
    "vrrp_garp_extra_if",
    "vrrp_vmac_garp_intvl",
    "vrrp_lower_prio_no_advert",
    "vrrp_higher_prio_send_advert",
    "vrrp_version",
    "vrrp_iptables",
    "vrrp_ipsets",
    "nftables",
    "nftables_priority",
    "nftables_ifindex",
    "nftables_ipvs",
    "nftables_ipvs_priority",
    "nftables_ipvs_start_fwmark",
    "nftables_counters",
    "vrrp_check_unicast_src",
    "vrrp_skip_check_adv_addr",
    "vrrp_strict",
    "vrrp_priority",
    "vrrp_no_swap",
    "vrrp_rt_priority",
    "vrrp_cpu_affinity",
    "vrrp_rlimit_rttime",
    "vrrp_rlimit_rtime",
    "notify_fifo",
    "notify_fifo_script",
    "vrrp_notify_fifo",
    "vrrp_notify_fifo_script",
    "vrrp_notify_priority_changes",
    "fifo_write_vrrp_states_on_reload",
    "lvs_notify_fifo",
    "lvs_notify_fifo_script",
    "checker_priority",
    "checker_no_swap",
    "checker_rt_priority",
    "checker_cpu_affinity",
    "checker_rlimit_rttime",
    "checker_rlimit_rtime",
    "bfd_priority",
    "bfd_no_swap",
    "bfd_rt_priority",
    "bfd_cpu_affinity",
    "bfd_rlimit_rttime",
    "bfd_rlimit_rtime",
    "snmp_socket",
    "enable_traps",
    "enable_snmp_vrrp",
    "enable_snmp_keepalived",
    "enable_snmp_rfc",
    "enable_snmp_rfcv2",
    "enable_snmp_rfcv3",
    "enable_snmp_checker",
    "enable_dbus",
    "dbus_service_name",
    "script_user",
    "enable_script_security",
    "vrrp_netlink_cmd_rcv_bufs",
    "vrrp_netlink_cmd_rcv_bufs_force",
    "vrrp_netlink_monitor_rcv_bufs",
    "vrrp_netlink_monitor_rcv_bufs_force",
    "process_monitor_rcv_bufs",
    "process_monitor_rcv_bufs_force",
    "lvs_netlink_cmd_rcv_bufs",
    "lvs_netlink_cmd_rcv_bufs_force",
    "lvs_netlink_monitor_rcv_bufs",
    "lvs_netlink_monitor_rcv_bufs_force",
    "rs_init_notifies",
    "no_checker_emails",
    "vrrp_rx_bufs_policy",
    "vrrp_rx_bufs_multiplier",
    "vrrp_startup_delay",
    "log_unknown_vrids",
    "vmac_prefix",
    "vmac_addr_prefix",
    "umask",
    "random_seed",
    "reload_check_config",
    "reload_time_file",
    "reload_repeat",
    "reload_file",
    "include_check",
    "config_save_dir",
    "tmp_config_directory",
    "data_use_instance",
];

/// `vrrp_instance` keywords.
pub(crate) const VRRP_INSTANCE: &[&str] = &[
    "use_vmac",
    "use_vmac_addr",
    "vmac_xmit_base",
    "use_ipvlan",
    "unicast_peer",
    "unicast_fault_no_peer",
    "check_unicast_src",
    "old_unicast_checksum",
    "native_ipv6",
    "state",
    "interface",
    "vrf",
    "dont_track_primary",
    "track_interface",
    "track_script",
    "track_file",
    "track_process",
    "track_bfd",
    "mcast_src_ip",
    "unicast_src_ip",
    "mcast_dst_ip",
    "track_src_ip",
    "virtual_router_id",
    "unicast_ttl",
    "version",
    "priority",
    "advert_int",
    "virtual_ipaddress",
    "virtual_ipaddress_excluded",
    "promote_secondaries",
    "linkbeat_use_polling",
    "virtual_routes",
    "virtual_rules",
    "accept",
    "no_accept",
    "skip_check_adv_addr",
    "strict_mode",
    "preempt",
    "nopreempt",
    "preempt_delay",
    "debug",
    "notify_backup",
    "notify_master",
    "notify_fault",
    "notify_stop",
    "notify_deleted",
    "notify",
    "notify_master_rx_lower_pri",
    "smtp_alert",
    "notify_priority_changes",
    "lvs_sync_daemon_interface",
    "garp_master_delay",
    "garp_master_refresh",
    "garp_master_repeat",
    "garp_master_refresh_repeat",
    "garp_lower_prio_delay",
    "garp_lower_prio_repeat",
    "down_timer_adverts",
    "garp_extra_if",
    "vmac_garp_intvl",
    "lower_prio_no_advert",
    "higher_prio_send_advert",
    "kernel_rx_buf_size",
    "authentication",
];

/// `authentication` keywords.
pub(crate) const AUTHENTICATION: &[&str] = &["auth_type", "auth_pass"];

/// `vrrp_sync_group` keywords.
pub(crate) const SYNC_GROUP: &[&str] = &[
    "group",
    "track_interface",
    "track_script",
    "track_file",
    "track_process",
    "track_bfd",
    "notify_backup",
    "notify_master",
    "notify_fault",
    "notify_stop",
    "notify",
    "smtp_alert",
    "global_tracking",
    "sync_group_tracking_weight",
    "notify_priority_changes",
];

/// `vrrp_script` keywords.
pub(crate) const VRRP_SCRIPT: &[&str] = &[
    "script",
    "interval",
    "timeout",
    "weight",
    "rise",
    "fall",
    "user",
    "init_fail",
];

/// `track_file` / `vrrp_track_file` keywords.
pub(crate) const TRACK_FILE: &[&str] = &["file", "weight", "init_file"];

/// `virtual_server` keywords.
pub(crate) const VIRTUAL_SERVER: &[&str] = &[
    "ip_family",
    "retry",
    "delay_before_retry",
    "warmup",
    "connect_timeout",
    "delay_loop",
    "inhibit_on_failure",
    "lb_algo",
    "lvs_sched",
    "hashed",
    "ops",
    "flag-1",
    "flag-2",
    "flag-3",
    "sh-port",
    "sh-fallback",
    "mh-port",
    "mh-fallback",
    "lb_kind",
    "lvs_method",
    "persistence_engine",
    "persistence_timeout",
    "persistence_granularity",
    "protocol",
    "ha_suspend",
    "smtp_alert",
    "virtualhost",
    "snmp_name",
    "alpha",
    "omega",
    "quorum_up",
    "quorum_down",
    "quorum",
    "hysteresis",
    "weight",
    "sorry_server",
    "sorry_server_inhibit",
    "sorry_server_lvs_method",
    "real_server",
];

/// The scheduler flag keywords of `virtual_server`.
pub(crate) const LB_FLAGS: &[&str] = &[
    "hashed",
    "ops",
    "flag-1",
    "flag-2",
    "flag-3",
    "sh-port",
    "sh-fallback",
    "mh-port",
    "mh-fallback",
];

/// `real_server` keywords.
pub(crate) const REAL_SERVER: &[&str] = &[
    "weight",
    "lvs_method",
    "uthreshold",
    "lthreshold",
    "inhibit_on_failure",
    "notify_up",
    "notify_down",
    "alpha",
    "retry",
    "delay_before_retry",
    "warmup",
    "connect_timeout",
    "delay_loop",
    "smtp_alert",
    "virtualhost",
    "snmp_name",
    "TCP_CHECK",
    "HTTP_GET",
    "SSL_GET",
    "MISC_CHECK",
    "SMTP_CHECK",
    "DNS_CHECK",
    "UDP_CHECK",
    "PING_CHECK",
    "FILE_CHECK",
    "BFD_CHECK",
];

/// Keywords of every checker that connects somewhere.
pub(crate) const CHECKER_CONNECTION: &[&str] = &[
    "connect_ip",
    "connect_port",
    "bindto",
    "bind_port",
    "bind_if",
    "connect_timeout",
    "fwmark",
];

/// Keywords of every checker.
pub(crate) const CHECKER_COMMON: &[&str] = &[
    "retry",
    "delay_before_retry",
    "warmup",
    "delay_loop",
    "alpha",
    "log_all_failures",
];

/// HTTP_GET / SSL_GET own keywords.
pub(crate) const HTTP_GET: &[&str] = &[
    "nb_get_retry",
    "virtualhost",
    "http_protocol",
    "enable_sni",
    "fast_recovery",
    "url",
];

/// `url` keywords.
pub(crate) const URL: &[&str] = &[
    "path",
    "digest",
    "status_code",
    "virtualhost",
    "regex",
    "regex_no_match",
    "regex_options",
    "regex_min_offset",
    "regex_max_offset",
    "regex_stack",
];

/// MISC_CHECK own keywords.
pub(crate) const MISC_CHECK: &[&str] = &["misc_path", "misc_timeout", "misc_dynamic", "user"];

/// SMTP_CHECK own keywords.
pub(crate) const SMTP_CHECK: &[&str] = &["helo_name", "host"];

/// DNS_CHECK own keywords.
pub(crate) const DNS_CHECK: &[&str] = &["type", "name"];

/// UDP_CHECK own keywords.
pub(crate) const UDP_CHECK: &[&str] = &[
    "payload",
    "require_reply",
    "min_reply_length",
    "max_reply_length",
];

/// FILE_CHECK own keywords.
pub(crate) const FILE_CHECK: &[&str] = &["track_file", "weight"];

/// BFD_CHECK own keywords.
pub(crate) const BFD_CHECK: &[&str] = &["name", "alpha"];

/// Every block with its keywords, to say where a misplaced keyword
/// belongs.
pub(crate) const BLOCKS: &[(&str, &[&str])] = &[
    ("the top level", ROOT),
    ("global_defs", GLOBAL_DEFS),
    ("vrrp_instance", VRRP_INSTANCE),
    ("authentication", AUTHENTICATION),
    ("vrrp_sync_group", SYNC_GROUP),
    ("vrrp_script", VRRP_SCRIPT),
    ("track_file", TRACK_FILE),
    ("virtual_server", VIRTUAL_SERVER),
    ("real_server", REAL_SERVER),
    ("a checker", CHECKER_CONNECTION),
    ("a checker", CHECKER_COMMON),
    ("HTTP_GET / SSL_GET", HTTP_GET),
    ("url", URL),
    ("MISC_CHECK", MISC_CHECK),
    ("UDP_CHECK", UDP_CHECK),
];

/// Single-valued settings keepalived overrides silently when repeated,
/// with their synonyms' canonical names.
const SCALARS: &[&str] = &[
    "interface",
    "virtual_router_id",
    "priority",
    "advert_int",
    "version",
    "preempt_delay",
    "garp_master_delay",
    "garp_master_repeat",
    "garp_master_refresh",
    "garp_master_refresh_repeat",
    "garp_lower_prio_delay",
    "garp_lower_prio_repeat",
    "mcast_src_ip",
    "unicast_src_ip",
    "router_id",
    "notification_email_from",
    "smtp_server",
    "smtp_helo_name",
    "smtp_connect_timeout",
    "default_interface",
    "vrrp_version",
    "vrrp_mcast_group4",
    "vrrp_mcast_group6",
    "vrrp_garp_master_delay",
    "vrrp_garp_master_repeat",
    "vrrp_garp_master_refresh",
    "vrrp_garp_master_refresh_repeat",
    "vrrp_garp_lower_prio_delay",
    "vrrp_garp_lower_prio_repeat",
    "vrrp_garp_interval",
    "vrrp_gna_interval",
    "script",
    "interval",
    "timeout",
    "rise",
    "fall",
    "delay_loop",
    "lb_algo",
    "lb_kind",
    "persistence_timeout",
    "persistence_granularity",
    "protocol",
    "virtualhost",
    "quorum",
    "hysteresis",
    "sorry_server",
    "connect_timeout",
    "retry",
    "delay_before_retry",
    "warmup",
    "connect_ip",
    "connect_port",
    "bindto",
    "bind_port",
    "bind_if",
    "path",
    "http_protocol",
    "misc_path",
    "misc_timeout",
    "helo_name",
    "type",
    "uthreshold",
    "lthreshold",
    "auth_type",
    "auth_pass",
    "min_reply_length",
    "max_reply_length",
    "payload",
];

/// The setting `keyword` writes, when it is single-valued.
pub(crate) fn scalar_setting(keyword: &str) -> Option<&'static str> {
    let canonical = match keyword {
        "lvs_sched" => "lb_algo",
        "lvs_method" => "lb_kind",
        "nb_get_retry" => "retry",
        other => other,
    };
    let by_len = SCALARS_BY_LEN.get_or_init(|| {
        let mut buckets: Vec<Vec<&'static str>> = Vec::new();
        for &s in SCALARS {
            if buckets.len() <= s.len() {
                buckets.resize_with(s.len() + 1, Vec::new);
            }
            if let Some(b) = buckets.get_mut(s.len()) {
                b.push(s);
            }
        }
        buckets
    });
    by_len
        .get(canonical.len())?
        .iter()
        .find(|s| **s == canonical)
        .copied()
}

/// [`SCALARS`] grouped by length: `repeated` asks about every line of
/// every block, and only words of the same length can match.
static SCALARS_BY_LEN: std::sync::OnceLock<Vec<Vec<&'static str>>> = std::sync::OnceLock::new();

/// Where `word` is a keyword, if anywhere: the first block listing it.
pub(crate) fn home_of(word: &str) -> Option<&'static str> {
    BLOCKS
        .iter()
        .find(|(_, list)| list.contains(&word))
        .map(|(name, _)| *name)
}

/// The keyword of `candidates` closest to `word`, if close enough to be a
/// plausible typo: at most a third of the word's length in edits
/// (minimum one), case differences counting as half.
pub(crate) fn suggest<'k>(word: &str, candidates: &[&[&'k str]]) -> Option<&'k str> {
    let limit = (word.chars().count() / 3).max(1);
    let mut best: Option<(usize, &'k str)> = None;
    for list in candidates {
        for &cand in *list {
            if word.eq_ignore_ascii_case(cand) {
                return Some(cand);
            }
            let d = distance(word, cand);
            if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, cand));
            }
        }
    }
    best.map(|(_, c)| c)
}

/// Levenshtein distance with adjacent transpositions counted as one edit
/// (strsim's optimal string alignment distance); words longer than 64
/// characters are not compared (too far anyway, and the cost stays bounded).
pub(crate) fn distance(a: &str, b: &str) -> usize {
    if a.chars().count() > 64 || b.chars().count() > 64 {
        return usize::MAX;
    }
    strsim::osa_distance(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits_and_swaps() {
        assert_eq!(distance("lb_algo", "lb_algo"), 0);
        assert_eq!(distance("lb_alog", "lb_algo"), 1);
        assert_eq!(distance("priorty", "priority"), 1);
        assert_eq!(distance("abc", "xyz"), 3);
    }

    #[test]
    fn misplaced_keywords_have_a_home() {
        assert_eq!(home_of("priority"), Some("vrrp_instance"));
        assert_eq!(home_of("lb_algo"), Some("virtual_server"));
        assert_eq!(home_of("no_such_keyword"), None);
    }

    #[test]
    fn suggestions_are_close_keywords_only() {
        assert_eq!(suggest("priorty", &[VRRP_INSTANCE]), Some("priority"));
        assert_eq!(suggest("lb_alog", &[VIRTUAL_SERVER]), Some("lb_algo"));
        assert_eq!(suggest("tcp_check", &[REAL_SERVER]), Some("TCP_CHECK"));
        assert_eq!(suggest("completely_unrelated", &[VRRP_INSTANCE]), None);
    }
}
