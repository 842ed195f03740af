//! `global_defs { ... }`.

use super::{RawNode, ScriptCommand, Spanned, UserGroup};
use std::net::IpAddr;
use std::time::Duration;

/// `smtp_server HOST [PORT]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpServer {
    /// An IP address or a host name.
    pub host: String,
    /// The port; default 25.
    pub port: Option<u16>,
}

/// The `global_defs` block.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct GlobalDefs {
    /// `notification_email { ADDR ... }`: where alert mails go.
    pub notification_email: Vec<Spanned<String>>,
    /// `notification_email_from ADDR`; default `keepalived@HOSTNAME`.
    pub notification_email_from: Option<Spanned<String>>,
    /// `smtp_server HOST [PORT]`; no mail is sent without it.
    pub smtp_server: Option<Spanned<SmtpServer>>,
    /// `smtp_helo_name NAME`; default the host name.
    pub smtp_helo_name: Option<Spanned<String>>,
    /// `smtp_connect_timeout SECS`; default 30 s.
    pub smtp_connect_timeout: Option<Spanned<Duration>>,
    /// `smtp_alert [BOOL]`: send mail on every state change; default
    /// off unless `notification_email` is set.
    pub smtp_alert: Option<Spanned<bool>>,
    /// `smtp_alert_vrrp [BOOL]`.
    pub smtp_alert_vrrp: Option<Spanned<bool>>,
    /// `smtp_alert_checker [BOOL]`.
    pub smtp_alert_checker: Option<Spanned<bool>>,
    /// `router_id NAME`; default the host name.
    pub router_id: Option<Spanned<String>>,
    /// `enable_script_security`: refuse scripts writable by non-root
    /// users. Without it, `keepalived -t` exits 6 when a script is
    /// configured to run as root.
    pub enable_script_security: Option<Spanned<bool>>,
    /// `script_user USER [GROUP]`; default `keepalived_script`, or root
    /// if that user does not exist.
    pub script_user: Option<Spanned<UserGroup>>,
    /// `startup_script PATH [USER [GROUP]]`.
    pub startup_script: Option<Box<Spanned<ScriptCommand>>>,
    /// `shutdown_script PATH [USER [GROUP]]`.
    pub shutdown_script: Option<Box<Spanned<ScriptCommand>>>,
    /// `default_interface IF`; default `eth0`.
    pub default_interface: Option<Spanned<String>>,
    /// `dynamic_interfaces [allow_if_changes]`: the value says whether
    /// `allow_if_changes` was given.
    pub dynamic_interfaces: Option<Spanned<bool>>,
    /// `max_auto_priority [N]`: real-time priority for the VRRP process.
    pub max_auto_priority: Option<Spanned<i32>>,
    /// `vrrp_version 2|3`; default 2.
    pub vrrp_version: Option<Spanned<u8>>,
    /// `vrrp_strict`: strict RFC compliance (no unicast, no auth, ...).
    pub vrrp_strict: Option<Spanned<bool>>,
    /// `vrrp_mcast_group4 ADDR`; default 224.0.0.18.
    pub vrrp_mcast_group4: Option<Spanned<IpAddr>>,
    /// `vrrp_mcast_group6 ADDR`; default ff02::12.
    pub vrrp_mcast_group6: Option<Spanned<IpAddr>>,
    /// `vrrp_garp_master_delay SECS`; default 5 s.
    pub vrrp_garp_master_delay: Option<Spanned<Duration>>,
    /// `vrrp_garp_master_repeat N`; default 5.
    pub vrrp_garp_master_repeat: Option<Spanned<u32>>,
    /// `vrrp_garp_master_refresh SECS`; default 0 (none).
    pub vrrp_garp_master_refresh: Option<Spanned<Duration>>,
    /// `vrrp_garp_master_refresh_repeat N`; default 1.
    pub vrrp_garp_master_refresh_repeat: Option<Spanned<u32>>,
    /// `vrrp_garp_lower_prio_delay SECS`; default `vrrp_garp_master_delay`.
    pub vrrp_garp_lower_prio_delay: Option<Spanned<Duration>>,
    /// `vrrp_garp_lower_prio_repeat N`; default `vrrp_garp_master_repeat`.
    pub vrrp_garp_lower_prio_repeat: Option<Spanned<u32>>,
    /// `vrrp_garp_interval SECS` (decimal, microsecond precision); default 0.
    pub vrrp_garp_interval: Option<Spanned<Duration>>,
    /// `vrrp_gna_interval SECS` (decimal); default 0.
    pub vrrp_gna_interval: Option<Spanned<Duration>>,
    /// `vrrp_lower_prio_no_advert [BOOL]`.
    pub vrrp_lower_prio_no_advert: Option<Spanned<bool>>,
    /// `vrrp_higher_prio_send_advert [BOOL]`.
    pub vrrp_higher_prio_send_advert: Option<Spanned<bool>>,
    /// `vrrp_check_unicast_src`.
    pub vrrp_check_unicast_src: Option<Spanned<bool>>,
    /// `vrrp_skip_check_adv_addr`.
    pub vrrp_skip_check_adv_addr: Option<Spanned<bool>>,
    /// `vrrp_iptables [IN_CHAIN [OUT_CHAIN]]` (words as written).
    pub vrrp_iptables: Option<Vec<Spanned<String>>>,
    /// `lvs_sync_daemon IF INSTANCE [id N] [maxlen N] [port N] [ttl N]
    /// [group ADDR]` (words as written).
    pub lvs_sync_daemon: Option<Vec<Spanned<String>>>,
    /// `lvs_timeouts [tcp N] [tcpfin N] [udp N]` (words as written).
    pub lvs_timeouts: Option<Vec<Spanned<String>>>,
    /// `lvs_flush`: flush the IPVS table at start-up.
    pub lvs_flush: Option<Spanned<bool>>,
    /// `lvs_flush_on_stop [VS|ALL]` (`lvs_flush_onstop`), as written.
    pub lvs_flush_on_stop: Option<Vec<Spanned<String>>>,
    /// Every other `global_defs` keyword keepalived knows, as written.
    pub other: Vec<RawNode>,
}
