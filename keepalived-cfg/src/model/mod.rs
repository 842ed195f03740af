//! The typed model of a keepalived configuration.
//!
//! Every setting the configuration may omit is an `Option`: `None` means
//! "not written", and the field's documentation says which default
//! keepalived 2.2.7 applies then. Values a diagnostic may point at are
//! [`Spanned`]: they keep where they were written. Equality ignores spans,
//! so a configuration built from its formatted text equals the original.
//!
//! Keywords keepalived knows but this model does not type are kept, in
//! order, as [`RawNode`]s in the `other` field of their block: the
//! formatter writes them back unchanged.

mod address;
mod global;
mod ipvs;
mod vrrp;

pub use address::{
    AddressOptions, IpPrefix, Route, Rule, ScriptCommand, UserGroup, VirtualAddress,
};
pub use global::{GlobalDefs, SmtpServer};
pub use ipvs::{
    Checker, CheckerCommon, CheckerConnection, CheckerKind, CheckerTiming, DnsCheck, FileCheck,
    ForwardingMethod, HttpCheck, MiscCheck, Protocol, RealServer, RealServerSettings, Scheduler,
    SmtpCheck, StatusCodes, UdpCheck, Url, VirtualServer, VirtualServerGroup, VsTarget, VsgEntry,
};
pub use vrrp::{
    AuthType, Authentication, InitialState, SyncGroup, TrackFile, TrackedName, VrrpInstance,
    VrrpScript, Weight,
};

use crate::Span;
use std::fmt;

/// A value with the place it was written.
///
/// Two `Spanned` values are equal when their values are: the span is
/// where, not what.
#[derive(Clone, Copy, Default)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written (for a value made of several words: the first).
    pub span: Span,
}

impl<T> Spanned<T> {
    /// A value written at `span`.
    pub fn new(value: T, span: Span) -> Self {
        Spanned { value, span }
    }

    /// A value not written anywhere (span at the start of file 0).
    pub fn unspanned(value: T) -> Self {
        Spanned {
            value,
            span: Span::default(),
        }
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Spanned<T> {}

impl<T: fmt::Debug> fmt::Debug for Spanned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value alone keeps test failures readable; the span follows.
        write!(
            f,
            "{:?} @{}+{}",
            self.value, self.span.line, self.span.offset
        )
    }
}

/// A keyword line kept as written: a keyword keepalived knows in this
/// block, but that this model does not type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawNode {
    /// The keyword.
    pub keyword: Spanned<String>,
    /// Its arguments.
    pub args: Vec<Spanned<String>>,
    /// Its `{ ... }` block, if it had one.
    pub block: Option<Vec<RawNode>>,
}

/// A whole configuration. Equality ignores every span.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Config {
    /// `global_defs { ... }` (all `global_defs` blocks merged, as
    /// keepalived merges them).
    pub global_defs: GlobalDefs,
    /// Where the first `global_defs` keyword was, if any.
    pub global_defs_span: Option<Span>,
    /// `static_ipaddress { ... }`: addresses set at start-up, whatever the
    /// VRRP state.
    pub static_ipaddress: Vec<Spanned<VirtualAddress>>,
    /// `static_routes { ... }`.
    pub static_routes: Vec<Spanned<Route>>,
    /// `static_rules { ... }`.
    pub static_rules: Vec<Spanned<Rule>>,
    /// `vrrp_script NAME { ... }` blocks, in order.
    pub vrrp_scripts: Vec<VrrpScript>,
    /// `track_file NAME { ... }` / `vrrp_track_file NAME { ... }` blocks.
    pub track_files: Vec<TrackFile>,
    /// `vrrp_sync_group NAME { ... }` blocks.
    pub vrrp_sync_groups: Vec<SyncGroup>,
    /// `vrrp_instance NAME { ... }` blocks.
    pub vrrp_instances: Vec<VrrpInstance>,
    /// `virtual_server_group NAME { ... }` blocks.
    pub virtual_server_groups: Vec<VirtualServerGroup>,
    /// `virtual_server ... { ... }` blocks.
    pub virtual_servers: Vec<VirtualServer>,
    /// Other top-level keywords keepalived knows (`garp_group`,
    /// `vrrp_track_process`, `SSL`, `linkbeat_interfaces`, ...), as
    /// written.
    pub other: Vec<RawNode>,
}

impl PartialEq for Config {
    fn eq(&self, o: &Self) -> bool {
        let Config {
            global_defs,
            global_defs_span: _,
            static_ipaddress,
            static_routes,
            static_rules,
            vrrp_scripts,
            track_files,
            vrrp_sync_groups,
            vrrp_instances,
            virtual_server_groups,
            virtual_servers,
            other,
        } = self;
        *global_defs == o.global_defs
            && *static_ipaddress == o.static_ipaddress
            && *static_routes == o.static_routes
            && *static_rules == o.static_rules
            && *vrrp_scripts == o.vrrp_scripts
            && *track_files == o.track_files
            && *vrrp_sync_groups == o.vrrp_sync_groups
            && *vrrp_instances == o.vrrp_instances
            && *virtual_server_groups == o.virtual_server_groups
            && *virtual_servers == o.virtual_servers
            && *other == o.other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(line: u32) -> Span {
        Span {
            line,
            ..Span::default()
        }
    }

    #[test]
    fn equality_ignores_spans_everywhere() {
        let mut a = Config {
            global_defs_span: Some(at(1)),
            ..Config::default()
        };
        a.vrrp_instances.push(VrrpInstance {
            name: Spanned::new("X".into(), at(2)),
            priority: Some(Spanned::new(5, at(3))),
            authentication: Some(Authentication {
                span: at(4),
                ..Authentication::default()
            }),
            ..VrrpInstance::default()
        });
        let mut b = a.clone();
        b.global_defs_span = Some(at(10));
        b.vrrp_instances[0].name.span = at(20);
        if let Some(p) = b.vrrp_instances[0].priority.as_mut() {
            p.span = at(30);
        }
        if let Some(auth) = b.vrrp_instances[0].authentication.as_mut() {
            auth.span = at(40);
        }
        assert_eq!(a, b);
        b.vrrp_instances[0].priority = Some(Spanned::new(6, at(3)));
        assert_ne!(a, b);
    }

    #[test]
    fn effective_values_are_keepalived_defaults() {
        let i = VrrpInstance::default();
        assert_eq!(i.effective_priority(), 100);
        assert_eq!(i.effective_advert_int(), Duration::from_secs(1));
        let vs = VirtualServer::new(Spanned::unspanned(VsTarget::Fwmark(1)));
        assert_eq!(vs.effective_delay_loop(), Duration::from_secs(60));
        assert_eq!(vs.effective_lb_algo(), Scheduler::Wlc);
        assert_eq!(vs.effective_lb_kind(), ForwardingMethod::Nat);
        assert_eq!(vs.effective_protocol(), Protocol::Udp);
        assert_eq!(vs.effective_quorum(), 1);
        let s = VrrpScript {
            interval: Some(Spanned::unspanned(Duration::from_secs(4))),
            ..VrrpScript::default()
        };
        assert_eq!(s.effective_timeout(), Duration::from_secs(4));
        assert_eq!(s.effective_weight(), Weight::default());
        let rs = RealServer::new(Spanned::unspanned([192, 0, 2, 1].into()), None);
        assert_eq!(rs.effective_weight(), 1);
    }

    #[test]
    fn scheduler_names_round_trip() {
        for (name, s) in Scheduler::ALL {
            assert_eq!(Scheduler::from_name(name), Some(s));
            assert_eq!(s.name(), name);
        }
        assert_eq!(Scheduler::from_name("RR"), None);
    }
}
