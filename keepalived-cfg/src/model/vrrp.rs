//! VRRP: `vrrp_instance`, `vrrp_sync_group`, `vrrp_script`, `track_file`.

use super::{RawNode, Route, Rule, ScriptCommand, Spanned, UserGroup, VirtualAddress};
use crate::Span;
use std::net::IpAddr;
use std::time::Duration;

/// `weight N [reverse]`: how a tracked object moves the priority.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Weight {
    /// The weight (-253..=253 for tracked objects).
    pub value: i32,
    /// `reverse`: the weight applies when the object is down, negated.
    pub reverse: bool,
}

/// A tracked object named in `track_interface`, `track_script` or
/// `track_file`, with an optional weight overriding the object's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackedName {
    /// The interface, script or file name.
    pub name: Spanned<String>,
    /// `weight N [reverse]`; default the object's weight (0 for
    /// interfaces: a failure puts the instance in FAULT).
    pub weight: Option<Spanned<Weight>>,
}

/// `state MASTER|BACKUP`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InitialState {
    /// `MASTER`.
    Master,
    /// `BACKUP` (keepalived's default).
    Backup,
}

/// `auth_type PASS|AH`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthType {
    /// `PASS`: a clear-text password.
    Pass,
    /// `AH`: IPsec authentication header.
    Ah,
}

/// `authentication { auth_type ...; auth_pass ... }`. Equality ignores
/// `span`.
#[derive(Clone, Debug, Default)]
pub struct Authentication {
    /// Where the `authentication` keyword was.
    pub span: Span,
    /// `auth_type PASS|AH`.
    pub auth_type: Option<Spanned<AuthType>>,
    /// `auth_pass WORD`: keepalived keeps the first 8 characters.
    pub auth_pass: Option<Spanned<String>>,
}

/// `vrrp_instance NAME { ... }`.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct VrrpInstance {
    /// The instance name.
    pub name: Spanned<String>,
    /// `state MASTER|BACKUP`; default BACKUP. keepalived starts a MASTER
    /// as BACKUP too, unless its priority is 255.
    pub state: Option<Spanned<InitialState>>,
    /// `interface IF`: where adverts go and VIPs without `dev` are set;
    /// keepalived requires it (for unicast instances too).
    pub interface: Option<Spanned<String>>,
    /// `virtual_router_id N` (1..=255): required.
    pub virtual_router_id: Option<Spanned<u8>>,
    /// `priority N` (1..=255); default 100 (255 means address owner).
    pub priority: Option<Spanned<u8>>,
    /// `advert_int SECS` (decimal); default 1 s. VRRPv2 sends whole
    /// seconds, VRRPv3 centiseconds.
    pub advert_int: Option<Spanned<Duration>>,
    /// `version 2|3`; default `vrrp_version` of `global_defs` (2).
    pub version: Option<Spanned<u8>>,
    /// `authentication { ... }` (VRRPv2 only).
    pub authentication: Option<Authentication>,
    /// `virtual_ipaddress { ... }`.
    pub virtual_ipaddress: Vec<Spanned<VirtualAddress>>,
    /// `virtual_ipaddress_excluded { ... }`: set but not advertised.
    pub virtual_ipaddress_excluded: Vec<Spanned<VirtualAddress>>,
    /// `virtual_routes { ... }`.
    pub virtual_routes: Vec<Spanned<Route>>,
    /// `virtual_rules { ... }`.
    pub virtual_rules: Vec<Spanned<Rule>>,
    /// `track_interface { IF [weight N [reverse]] ... }`.
    pub track_interface: Vec<TrackedName>,
    /// `track_script { NAME [weight N [reverse]] ... }`.
    pub track_script: Vec<TrackedName>,
    /// `track_file { NAME [weight N [reverse]] ... }`.
    pub track_file: Vec<TrackedName>,
    /// `dont_track_primary`: ignore faults of `interface`.
    pub dont_track_primary: Option<Spanned<bool>>,
    /// `preempt` (true) / `nopreempt` (false); default preempt.
    pub preempt: Option<Spanned<bool>>,
    /// `preempt_delay SECS` (0..=1000); default 0.
    pub preempt_delay: Option<Spanned<Duration>>,
    /// `garp_master_delay SECS`; default `vrrp_garp_master_delay` (5 s).
    pub garp_master_delay: Option<Spanned<Duration>>,
    /// `garp_master_repeat N`; default `vrrp_garp_master_repeat` (5).
    pub garp_master_repeat: Option<Spanned<u32>>,
    /// `garp_master_refresh SECS`; default `vrrp_garp_master_refresh` (0).
    pub garp_master_refresh: Option<Spanned<Duration>>,
    /// `garp_master_refresh_repeat N`; default 1.
    pub garp_master_refresh_repeat: Option<Spanned<u32>>,
    /// `garp_lower_prio_delay SECS`.
    pub garp_lower_prio_delay: Option<Spanned<Duration>>,
    /// `garp_lower_prio_repeat N`.
    pub garp_lower_prio_repeat: Option<Spanned<u32>>,
    /// `mcast_src_ip ADDR`: source address of adverts.
    pub mcast_src_ip: Option<Spanned<IpAddr>>,
    /// `unicast_src_ip ADDR`: source address of unicast adverts.
    pub unicast_src_ip: Option<Spanned<IpAddr>>,
    /// `unicast_peer { ADDR ... }`: send adverts by unicast to these.
    pub unicast_peer: Vec<Spanned<IpAddr>>,
    /// `use_vmac [NAME]`: a VRRP MAC interface, optionally named.
    pub use_vmac: Option<Spanned<Option<String>>>,
    /// `vmac_xmit_base`.
    pub vmac_xmit_base: Option<Spanned<bool>>,
    /// `native_ipv6`.
    pub native_ipv6: Option<Spanned<bool>>,
    /// `accept` (true) / `no_accept` (false): accept packets to the VIPs
    /// when master; default accept, except with `vrrp_strict`.
    pub accept: Option<Spanned<bool>>,
    /// `strict_mode [BOOL]`.
    pub strict_mode: Option<Spanned<bool>>,
    /// `notify_master SCRIPT [USER [GROUP]]`.
    pub notify_master: Option<Box<Spanned<ScriptCommand>>>,
    /// `notify_backup SCRIPT ...`.
    pub notify_backup: Option<Box<Spanned<ScriptCommand>>>,
    /// `notify_fault SCRIPT ...`.
    pub notify_fault: Option<Box<Spanned<ScriptCommand>>>,
    /// `notify_stop SCRIPT ...`.
    pub notify_stop: Option<Box<Spanned<ScriptCommand>>>,
    /// `notify SCRIPT ...`: called with the state as arguments.
    pub notify: Option<Box<Spanned<ScriptCommand>>>,
    /// `smtp_alert [BOOL]`; default global `smtp_alert`.
    pub smtp_alert: Option<Spanned<bool>>,
    /// Every other `vrrp_instance` keyword keepalived knows, as written.
    pub other: Vec<RawNode>,
}

impl VrrpInstance {
    /// The priority keepalived uses: as written, or 100.
    pub fn effective_priority(&self) -> u8 {
        self.priority.as_ref().map_or(100, |p| p.value)
    }

    /// The advert interval keepalived uses: as written, or 1 s.
    pub fn effective_advert_int(&self) -> Duration {
        self.advert_int
            .as_ref()
            .map_or(Duration::from_secs(1), |a| a.value)
    }
}

/// `vrrp_sync_group NAME { ... }`.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct SyncGroup {
    /// The group name.
    pub name: Spanned<String>,
    /// `group { INSTANCE ... }`: the member instances (required).
    pub group: Vec<Spanned<String>>,
    /// `track_interface { ... }`.
    pub track_interface: Vec<TrackedName>,
    /// `track_script { ... }`.
    pub track_script: Vec<TrackedName>,
    /// `track_file { ... }`.
    pub track_file: Vec<TrackedName>,
    /// `notify_master SCRIPT ...`.
    pub notify_master: Option<Box<Spanned<ScriptCommand>>>,
    /// `notify_backup SCRIPT ...`.
    pub notify_backup: Option<Box<Spanned<ScriptCommand>>>,
    /// `notify_fault SCRIPT ...`.
    pub notify_fault: Option<Box<Spanned<ScriptCommand>>>,
    /// `notify_stop SCRIPT ...`.
    pub notify_stop: Option<Box<Spanned<ScriptCommand>>>,
    /// `notify SCRIPT ...`.
    pub notify: Option<Box<Spanned<ScriptCommand>>>,
    /// `smtp_alert [BOOL]`.
    pub smtp_alert: Option<Spanned<bool>>,
    /// `global_tracking`.
    pub global_tracking: Option<Spanned<bool>>,
    /// Every other `vrrp_sync_group` keyword keepalived knows, as written.
    pub other: Vec<RawNode>,
}

/// `vrrp_script NAME { ... }`.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct VrrpScript {
    /// The script name (what `track_script` refers to).
    pub name: Spanned<String>,
    /// `script "COMMAND ARGS"`: required.
    pub script: Option<Spanned<String>>,
    /// `interval SECS`; default 1 s.
    pub interval: Option<Spanned<Duration>>,
    /// `timeout SECS`; default `interval`.
    pub timeout: Option<Spanned<Duration>>,
    /// `weight N [reverse]` (-253..=253); default 0: a failure puts the
    /// tracking instances in FAULT.
    pub weight: Option<Spanned<Weight>>,
    /// `rise N`: successes before OK; default 1.
    pub rise: Option<Spanned<u32>>,
    /// `fall N`: failures before KO; default 1.
    pub fall: Option<Spanned<u32>>,
    /// `user USER [GROUP]`; default `script_user`.
    pub user: Option<Spanned<UserGroup>>,
    /// `init_fail`: start in the failed state.
    pub init_fail: Option<Spanned<bool>>,
    /// Every other keyword, as written.
    pub other: Vec<RawNode>,
}

impl VrrpScript {
    /// The interval keepalived uses: as written, or 1 s.
    pub fn effective_interval(&self) -> Duration {
        self.interval
            .as_ref()
            .map_or(Duration::from_secs(1), |i| i.value)
    }

    /// The timeout keepalived uses: as written, or the interval.
    pub fn effective_timeout(&self) -> Duration {
        self.timeout
            .as_ref()
            .map_or(self.effective_interval(), |t| t.value)
    }

    /// The weight keepalived uses: as written, or 0.
    pub fn effective_weight(&self) -> Weight {
        self.weight.as_ref().map_or(Weight::default(), |w| w.value)
    }
}

/// `track_file NAME { ... }` (or the deprecated `vrrp_track_file`).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct TrackFile {
    /// The name (what `track_file` in an instance refers to).
    pub name: Spanned<String>,
    /// Written `vrrp_track_file` (deprecated synonym) rather than
    /// `track_file`.
    pub legacy_keyword: bool,
    /// `file PATH`: required.
    pub file: Option<Spanned<String>>,
    /// `weight N [reverse]`; default 1.
    pub weight: Option<Spanned<Weight>>,
    /// `init_file [VALUE] [overwrite]`, words as written.
    pub init_file: Option<Vec<Spanned<String>>>,
    /// Every other keyword, as written.
    pub other: Vec<RawNode>,
}

impl PartialEq for Authentication {
    fn eq(&self, other: &Self) -> bool {
        let Authentication {
            span: _,
            auth_type,
            auth_pass,
        } = self;
        *auth_type == other.auth_type && *auth_pass == other.auth_pass
    }
}

impl Eq for Authentication {}
