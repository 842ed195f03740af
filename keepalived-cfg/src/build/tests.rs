//! Builder tests on trees made by a small reader of this module's own
//! (no `include`, `$NAME` or `@` lines: the real parser lives elsewhere).

use super::build;
use crate::model::*;
use crate::{Diagnostic, Severity, Tree};
use std::net::IpAddr;
use std::time::Duration;

/// The tree of `text`, built by the crate's parser.
pub(crate) fn tree(text: &str) -> Tree {
    crate::parse_tree("t.conf", text, &crate::Options::new()).tree
}

/// Builds `text`; returns the model and the diagnostics.
pub(crate) fn built(text: &str) -> (Config, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let config = build(&tree(text), &mut diags);
    (config, diags)
}

/// Line and column (in characters) of a span of `text`.
fn place(text: &str, span: crate::Span) -> (u32, u32) {
    let mut sources = crate::Sources::new();
    sources.add("t.conf", text.to_owned(), None);
    (span.line, sources.column(span))
}

fn errors(d: &[Diagnostic]) -> Vec<&Diagnostic> {
    d.iter().filter(|d| d.severity == Severity::Error).collect()
}

/// The seed's §4.1 configuration (LB1), as the Red Hat guide gives it
/// (the corpus copy).
pub(crate) const SEED_NAT: &str = include_str!("../../tests/data/seed/lb1.conf");

#[test]
fn seed_nat_configuration_builds_without_diagnostics() {
    let (c, d) = built(SEED_NAT);
    assert!(d.is_empty(), "{d:#?}");
    let g = &c.global_defs;
    assert_eq!(g.notification_email.len(), 1);
    assert_eq!(g.notification_email[0].value, "admin@example.com");
    assert_eq!(
        g.smtp_server.as_ref().map(|s| s.value.host.as_str()),
        Some("127.0.0.1")
    );
    assert_eq!(
        g.smtp_connect_timeout.map(|t| t.value),
        Some(Duration::from_secs(60))
    );
    assert_eq!(c.vrrp_sync_groups.len(), 1);
    let members: Vec<&str> = c.vrrp_sync_groups[0]
        .group
        .iter()
        .map(|s| s.value.as_str())
        .collect();
    assert_eq!(members, ["RH_EXT", "RH_INT"]);
    let ext = &c.vrrp_instances[0];
    assert_eq!(ext.name.value, "RH_EXT");
    assert_eq!(ext.state.map(|s| s.value), Some(InitialState::Master));
    assert_eq!(ext.virtual_router_id.map(|v| v.value), Some(50));
    assert_eq!(ext.effective_priority(), 100);
    assert_eq!(ext.effective_advert_int(), Duration::from_secs(1));
    let auth = ext.authentication.as_ref().map(|a| {
        (
            a.auth_type.map(|t| t.value),
            a.auth_pass.clone().map(|p| p.value),
        )
    });
    assert_eq!(
        auth,
        Some((Some(AuthType::Pass), Some("passw123".to_string())))
    );
    assert_eq!(
        ext.virtual_ipaddress[0].value.addr.value.addr,
        "10.0.0.1".parse::<IpAddr>().unwrap()
    );
    assert_eq!(ext.virtual_ipaddress[0].value.addr.value.prefix_len(), 32);
    let vs = &c.virtual_servers[0];
    assert_eq!(
        vs.target.value,
        VsTarget::Addr {
            addr: "10.0.0.1".parse().unwrap(),
            port: Some(80)
        }
    );
    assert_eq!(vs.lb_algo.map(|a| a.value), Some(Scheduler::Rr));
    assert_eq!(
        vs.lb_kind.as_ref().map(|k| k.value.clone()),
        Some(ForwardingMethod::Nat)
    );
    assert_eq!(vs.protocol.map(|p| p.value), Some(Protocol::Tcp));
    assert_eq!(vs.delay_loop.map(|d| d.value), Some(Duration::from_secs(6)));
    assert_eq!(vs.real_servers.len(), 4);
    let chk = &vs.real_servers[1].checkers[0];
    assert_eq!(chk.kind, CheckerKind::Tcp);
    assert_eq!(
        chk.common.connect_timeout.map(|t| t.value),
        Some(Duration::from_secs(10))
    );
}

#[test]
fn spans_point_at_the_written_value() {
    let text = "vrrp_instance X {\n    priority 42\n}\n";
    let (c, _) = built(text);
    let p = c.vrrp_instances[0].priority.unwrap();
    assert_eq!((p.value, place(text, p.span), p.span.len), (42, (2, 14), 2));
}

#[test]
fn unknown_keyword_is_an_error_with_a_suggestion() {
    let text = "vrrp_instance X {\n    priorty 100\n}\n";
    let (_, d) = built(text);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, "E0101");
    assert_eq!(d[0].severity, Severity::Error);
    assert_eq!(d[0].help.as_deref(), Some("did you mean `priority`?"));
    assert_eq!(d[0].span.map(|s| place(text, s)), Some((2, 5)));
}

#[test]
fn known_but_untyped_keywords_are_kept_in_order() {
    let (c, d) = built("vrrp_instance X {\n    debug 2\n    lvs_sync_daemon_interface eth0\n}\n");
    assert!(d.is_empty(), "{d:#?}");
    let kws: Vec<&str> = c.vrrp_instances[0]
        .other
        .iter()
        .map(|n| n.keyword.value.as_str())
        .collect();
    assert_eq!(kws, ["debug", "lvs_sync_daemon_interface"]);
    assert_eq!(c.vrrp_instances[0].other[0].args[0].value, "2");
}

#[test]
fn vrid_out_of_range_is_an_error_at_the_number() {
    let text = "vrrp_instance X {\n    virtual_router_id 300\n}\n";
    let (c, d) = built(text);
    let e = errors(&d);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].code, "E0103");
    assert_eq!(e[0].span.map(|s| place(text, s)), Some((2, 23)));
    assert!(e[0].message.contains("[1, 255]"), "{}", e[0].message);
    assert_eq!(c.vrrp_instances[0].virtual_router_id, None);
}

#[test]
fn numbers_follow_strtoul_rules() {
    let (c, d) = built("vrrp_instance X {\n    priority +7\n    virtual_router_id 0x10\n}\n");
    assert_eq!(c.vrrp_instances[0].priority.map(|p| p.value), Some(7));
    let e = errors(&d);
    assert_eq!(e.len(), 1);
    assert!(e[0].message.contains("invalid number"), "{}", e[0].message);
}

#[test]
fn advert_int_is_decimal_between_a_centisecond_and_255_seconds() {
    let (c, d) = built("vrrp_instance X {\n    advert_int 0.25\n}\n");
    assert!(d.is_empty());
    assert_eq!(
        c.vrrp_instances[0].advert_int.map(|a| a.value),
        Some(Duration::from_millis(250))
    );
    let (_, d) = built("vrrp_instance X {\n    advert_int 0.005\n}\n");
    assert_eq!(errors(&d).len(), 1);
    let (_, d) = built("vrrp_instance X {\n    advert_int 256\n}\n");
    assert_eq!(errors(&d).len(), 1);
}

#[test]
fn missing_parameter_is_reported_at_the_keyword() {
    let (_, d) = built("vrrp_instance X {\n    priority\n}\n");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, "E0102");
    assert_eq!(d[0].span.map(|s| s.line), Some(2));
}

#[test]
fn state_is_case_sensitive_and_defaults_to_backup() {
    let (c, d) = built("vrrp_instance X {\n    state master\n}\n");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, "E0105");
    assert_eq!(d[0].help.as_deref(), Some("write it in capitals: `MASTER`"));
    assert_eq!(
        c.vrrp_instances[0].state.map(|s| s.value),
        Some(InitialState::Backup)
    );
}

#[test]
fn long_auth_pass_is_an_error_as_keepalived_reports_it() {
    let (c, d) = built(
        "vrrp_instance X {\n    authentication {\n        auth_type PASS\n        auth_pass 123456789\n    }\n}\n",
    );
    assert_eq!(errors(&d).len(), 1);
    assert_eq!(d[0].span.map(|s| s.line), Some(4));
    let pass = c.vrrp_instances[0]
        .authentication
        .as_ref()
        .and_then(|a| a.auth_pass.clone());
    assert_eq!(pass.map(|p| p.value), Some("123456789".to_string()));
}

#[test]
fn duplicate_instance_is_reported_and_skipped() {
    let (c, d) = built("vrrp_instance X {\n}\nvrrp_instance X {\n    priority 5\n}\n");
    assert_eq!(c.vrrp_instances.len(), 1);
    assert_eq!(c.vrrp_instances[0].priority, None);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, "E0107");
    assert_eq!(d[0].labels[0].span.line, 1);
}

#[test]
fn instance_without_name_is_an_error() {
    let (c, d) = built("vrrp_instance {\n    priority 5\n}\n");
    assert!(c.vrrp_instances.is_empty());
    assert_eq!(d[0].code, "E0108");
}

#[test]
fn track_blocks_read_weights_and_reverse() {
    let (c, d) = built(
        "vrrp_script chk {\n    script \"/bin/true arg\"\n    weight -20 reverse\n    interval 2\n}\n\
         vrrp_instance X {\n    track_script {\n        chk weight 10\n        other\n    }\n    track_interface {\n        eth1 weight -300\n    }\n}\n",
    );
    assert_eq!(errors(&d).len(), 1, "{d:#?}");
    let s = &c.vrrp_scripts[0];
    assert_eq!(
        s.script.as_ref().map(|x| x.value.as_str()),
        Some("/bin/true arg")
    );
    assert_eq!(
        s.weight.map(|w| w.value),
        Some(Weight {
            value: -20,
            reverse: true
        })
    );
    assert_eq!(s.interval.map(|i| i.value), Some(Duration::from_secs(2)));
    let t = &c.vrrp_instances[0].track_script;
    assert_eq!(t.len(), 2);
    assert_eq!(
        t[0].weight.map(|w| w.value),
        Some(Weight {
            value: 10,
            reverse: false
        })
    );
    assert_eq!(t[1].weight, None);
    assert_eq!(c.vrrp_instances[0].track_interface[0].weight, None);
}

#[test]
fn addresses_read_their_options() {
    let (c, d) = built(
        "vrrp_instance X {\n    virtual_ipaddress {\n        192.0.2.10/24 brd 192.0.2.255 dev eth0 label eth0:1 scope link\n        2001:db8::1/64 dev eth1 -nodad\n        192.0.2.300\n        192.0.2.11/40\n    }\n}\n",
    );
    let e = errors(&d);
    assert_eq!(e.len(), 2, "{d:#?}");
    assert_eq!(e[0].span.map(|s| s.line), Some(5));
    assert_eq!(e[1].span.map(|s| s.line), Some(6));
    let v = &c.vrrp_instances[0].virtual_ipaddress;
    assert_eq!(v.len(), 3);
    let a = &v[0].value;
    assert_eq!(a.addr.value.prefix, Some(24));
    assert_eq!(a.options().brd.map(|b| b.value), "192.0.2.255".parse().ok());
    assert_eq!(a.dev.as_ref().map(|x| x.value.as_str()), Some("eth0"));
    assert_eq!(
        a.options().label.as_ref().map(|x| x.value.as_str()),
        Some("eth0:1")
    );
    assert_eq!(
        a.options().scope.as_ref().map(|x| x.value.as_str()),
        Some("link")
    );
    assert!(v[1].value.no_dad);
    assert_eq!(v[2].value.addr.value.prefix, None);
}

#[test]
fn schedulers_and_methods_are_checked() {
    let (c, d) = built(
        "virtual_server 192.0.2.1 80 {\n    lb_algo wrrr\n    lvs_method dr\n    lvs_sched sh\n}\n",
    );
    let e = errors(&d);
    assert_eq!(e.len(), 2);
    assert_eq!(e[0].help.as_deref(), Some("did you mean `wrr`?"));
    assert_eq!(e[1].help.as_deref(), Some("write it in capitals: `DR`"));
    assert_eq!(
        c.virtual_servers[0].lb_algo.map(|a| a.value),
        Some(Scheduler::Sh)
    );
}

#[test]
fn virtual_server_targets() {
    let (c, d) = built(
        "virtual_server fwmark 7 {\n}\nvirtual_server group G {\n}\nvirtual_server 2001:db8::5 443 {\n}\nvirtual_server 192.0.2.1 70000 {\n}\n",
    );
    assert_eq!(errors(&d).len(), 1);
    let t: Vec<VsTarget> = c
        .virtual_servers
        .iter()
        .map(|v| v.target.value.clone())
        .collect();
    assert_eq!(
        t,
        [
            VsTarget::Fwmark(7),
            VsTarget::Group("G".into()),
            VsTarget::Addr {
                addr: "2001:db8::5".parse().unwrap(),
                port: Some(443)
            },
        ]
    );
}

#[test]
fn http_checker_reads_urls_and_reports_nb_get_retry() {
    let (c, d) = built(
        "virtual_server 192.0.2.1 80 {\n    real_server 192.0.2.2 80 {\n        HTTP_GET {\n            url {\n                path /health\n                digest 9b3a0c85a887a256d6939da88aabd8cd\n                status_code 200 300-302\n            }\n            nb_get_retry 3\n            delay_before_retry 2.5\n            connect_port 8080\n        }\n    }\n}\n",
    );
    let e = errors(&d);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].code, "E0109");
    assert_eq!(e[0].help.as_deref(), Some("use `retry`"));
    let chk = &c.virtual_servers[0].real_servers[0].checkers[0];
    assert_eq!(chk.common.timing().retry.map(|r| r.value), Some(3));
    assert_eq!(
        chk.common.timing().delay_before_retry.map(|r| r.value),
        Some(Duration::from_millis(2500))
    );
    assert_eq!(chk.common.connect_port().map(|r| r.value), Some(8080));
    let CheckerKind::HttpGet(h) = &chk.kind else {
        panic!("not HTTP_GET")
    };
    assert_eq!(
        h.urls[0].path.as_ref().map(|p| p.value.as_str()),
        Some("/health")
    );
    let codes: Vec<(u16, u16)> = h.urls[0].status_code.iter().map(|s| s.value).collect();
    assert_eq!(codes, [(200, 200), (300, 302)]);
}

#[test]
fn misc_check_has_no_connection_keywords() {
    let (_, d) = built(
        "virtual_server 192.0.2.1 80 {\n    real_server 192.0.2.2 80 {\n        MISC_CHECK {\n            misc_path \"/bin/check x\"\n            connect_port 80\n        }\n    }\n}\n",
    );
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, "E0101");
    assert_eq!(d[0].span.map(|s| s.line), Some(5));
}

#[test]
fn deprecated_track_file_synonym_only_warns() {
    let (c, d) = built("vrrp_track_file F {\n    file /tmp/f\n    weight 5\n}\n");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].severity, Severity::Warning);
    assert!(c.track_files[0].legacy_keyword);
    assert_eq!(c.track_files[0].weight.map(|w| w.value.value), Some(5));
}

#[test]
fn virtual_server_group_entries() {
    let (c, d) = built(
        "virtual_server_group G {\n    192.0.2.1-10 80\n    2001:db8::1 443\n    fwmark 3 inet6\n    fwmark 4 ipx\n}\n",
    );
    assert_eq!(errors(&d).len(), 1);
    let e: Vec<VsgEntry> = c.virtual_server_groups[0]
        .entries
        .iter()
        .map(|e| e.value.clone())
        .collect();
    assert_eq!(
        e,
        [
            VsgEntry::Addr {
                addr: "192.0.2.1".parse().unwrap(),
                range_end: Some(10),
                port: Some(80)
            },
            VsgEntry::Addr {
                addr: "2001:db8::1".parse().unwrap(),
                range_end: None,
                port: Some(443)
            },
            VsgEntry::Fwmark {
                mark: 3,
                family: Some("inet6".into())
            },
        ]
    );
}

#[test]
fn global_defs_values() {
    let (c, d) = built(
        "global_defs {\n    router_id LB1\n    vrrp_version 3\n    vrrp_mcast_group4 192.0.2.1\n    enable_script_security\n    script_user ka users\n    vrrp_garp_interval 0.001\n    smtp_server mail.example.com 2525\n    snmp_socket tcp:localhost:705\n}\n",
    );
    let e = errors(&d);
    assert_eq!(e.len(), 1, "{d:#?}");
    assert_eq!(e[0].span.map(|s| s.line), Some(4));
    let g = &c.global_defs;
    assert_eq!(g.router_id.as_ref().map(|r| r.value.as_str()), Some("LB1"));
    assert_eq!(g.vrrp_version.map(|v| v.value), Some(3));
    assert_eq!(g.enable_script_security.map(|v| v.value), Some(true));
    assert_eq!(
        g.script_user
            .as_ref()
            .and_then(|u| u.value.group.clone())
            .map(|g| g.value),
        Some("users".to_string())
    );
    assert_eq!(
        g.vrrp_garp_interval.map(|v| v.value),
        Some(Duration::from_millis(1))
    );
    assert_eq!(
        g.smtp_server.as_ref().and_then(|s| s.value.port),
        Some(2525)
    );
    assert_eq!(g.other.len(), 1);
}

#[test]
fn seed_configuration_round_trips_through_the_formatter() {
    let (c, _) = built(SEED_NAT);
    let text = crate::format(&c);
    let (again, d) = built(&text);
    assert!(d.is_empty(), "{d:#?}\n{text}");
    assert_eq!(again, c, "{text}");
    assert_eq!(crate::format(&again), text);
}

#[test]
fn tracked_routes_need_an_interface() {
    let (c, d) = built(
        "vrrp_instance X {\n    virtual_routes {\n        blackhole 198.51.100.0/24\n        198.51.100.0/24 via 192.0.2.254 dev eth0\n        203.0.113.0/24 via 192.0.2.254 no_track\n    }\n}\n",
    );
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].span.map(|s| s.line), Some(3));
    assert!(
        d[0].message.contains("`198.51.100.0/24`"),
        "{}",
        d[0].message
    );
    assert_eq!(c.vrrp_instances[0].virtual_routes.len(), 3);
}

#[test]
fn rules_need_an_action_and_a_preference() {
    let (c, d) = built(
        "static_rules {\n    from 192.0.2.0/24 table 100 preference 100\n    from 192.0.2.0/24 table 101\n    from 192.0.2.0/24\n}\n",
    );
    let lines: Vec<u32> = d.iter().filter_map(|d| d.span.map(|s| s.line)).collect();
    assert_eq!(lines, [3, 4], "{d:#?}");
    assert_eq!(c.static_rules.len(), 2);
}

#[test]
fn hashing_flags_need_a_hashing_scheduler_first() {
    let (c, d) = built(
        "virtual_server 192.0.2.1 80 {\n    sh-port\n    lb_algo sh\n    sh-fallback\n    ops\n}\n",
    );
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].span.map(|s| s.line), Some(2));
    let flags: Vec<&str> = c.virtual_servers[0]
        .lb_flags
        .iter()
        .map(|f| f.value.as_str())
        .collect();
    assert_eq!(flags, ["sh-fallback", "ops"]);
}

#[test]
fn persistence_granularity_follows_the_service_family() {
    let (_, d) = built("virtual_server 192.0.2.1 80 {\n    persistence_granularity 200\n}\n");
    assert!(d.is_empty(), "{d:#?}");
    let (_, d) = built("virtual_server 2001:db8::1 80 {\n    persistence_granularity 200\n}\n");
    assert_eq!(d.len(), 1);
    let (_, d) = built("virtual_server fwmark 1 {\n    persistence_granularity 255.255.0.0\n}\n");
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn empty_value_blocks_are_reported_at_their_closing_brace() {
    let (_, d) = built("vrrp_sync_group G {\n    group {\n    }\n}\nvirtual_server_group V {\n}\n");
    let lines: Vec<u32> = d.iter().filter_map(|d| d.span.map(|s| s.line)).collect();
    assert_eq!(lines, [3, 6], "{d:#?}");
}

#[test]
fn misplaced_keyword_says_where_it_belongs() {
    let (_, d) = built("global_defs {\n    lb_algo rr\n}\n");
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].help.as_deref(),
        Some("`lb_algo` belongs in virtual_server")
    );
}

#[test]
fn scripts_given_twice_keep_the_first() {
    let (c, d) = built(
        "vrrp_instance X {\n    notify_master /bin/a\n    notify_master /bin/b\n}\n\
         global_defs {\n    startup_script /bin/s\n    startup_script /bin/t\n}\n",
    );
    let lines: Vec<(u32, &str)> = d
        .iter()
        .map(|d| (d.span.map_or(0, |s| s.line), d.code))
        .collect();
    assert_eq!(lines, [(3, "E0107"), (7, "E0107")]);
    assert_eq!(d[0].labels[0].span.line, 2);
    let m = c.vrrp_instances[0]
        .notify_master
        .as_ref()
        .map(|s| s.value.command.value.as_str());
    assert_eq!(m, Some("/bin/a"));
}

#[test]
fn track_file_weight_is_set_once_unless_it_was_one() {
    let (c, d) = built("track_file T {\n    weight 1\n    weight 4\n    weight 6\n}\n");
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].span.map(|s| s.line), Some(4));
    assert_eq!(c.track_files[0].weight.map(|w| w.value.value), Some(4));
}

#[test]
fn repeated_settings_warn_and_the_last_one_counts() {
    let (c, d) = built(
        "virtual_server 192.0.2.1 80 {\n    lb_algo rr\n    lvs_sched wrr\n    real_server 192.0.2.2 80 {\n    }\n    real_server 192.0.2.3 80 {\n    }\n}\n",
    );
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!((d[0].severity, d[0].code), (Severity::Warning, "W0102"));
    assert_eq!(d[0].span.map(|s| s.line), Some(3));
    assert_eq!(d[0].labels[0].span.line, 2);
    assert_eq!(
        c.virtual_servers[0].lb_algo.map(|a| a.value),
        Some(Scheduler::Wrr)
    );
}

#[test]
fn smtp_server_addresses_are_checked_names_are_not() {
    let (_, d) = built("global_defs {\n    smtp_server 300.0.0.1\n}\n");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, "E0104");
    let (c, d) = built("global_defs {\n    smtp_server mail.example.com 587\n}\n");
    assert!(d.is_empty());
    assert_eq!(
        c.global_defs.smtp_server.map(|s| s.value.port),
        Some(Some(587))
    );
}

mod never_panics {
    use super::{build, tree};
    use crate::build::keywords;
    use proptest::prelude::*;

    /// Words configurations are made of: every keyword, and values of the
    /// shapes keepalived reads (numbers, decimals, addresses, ranges...).
    fn word() -> impl Strategy<Value = String> {
        let keywords: Vec<&'static str> = keywords::BLOCKS
            .iter()
            .flat_map(|(_, l)| l.iter().copied())
            .collect();
        prop_oneof![
            4 => prop::sample::select(keywords).prop_map(str::to_string),
            1 => "-?[0-9]{1,12}(\\.[0-9]{0,8})?",
            1 => "[0-9]{1,3}(\\.[0-9]{1,3}){0,4}(/[0-9]{1,3})?(-[0-9]{1,3})?",
            1 => "[0-9a-f:]{2,12}(/[0-9]{1,3})?",
            1 => prop::sample::select(vec![
                "MASTER", "BACKUP", "PASS", "AH", "NAT", "DR", "TUN", "rr", "weight", "reverse",
                "dev", "brd", "+", "type", "port", "fwmark", "group", "inet6", "{", "}", "true",
            ])
            .prop_map(str::to_string),
            1 => "[ -~]{0,6}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Any mix of keywords and values builds without panicking, and
        /// what is built formats and builds again to the same model.
        #[test]
        fn arbitrary_keyword_soup_builds(
            blocks in prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "global_defs", "vrrp_instance V", "vrrp_script S", "vrrp_sync_group G",
                        "track_file T", "virtual_server 192.0.2.1 80", "virtual_server fwmark 1",
                        "virtual_server_group VG", "static_ipaddress", "static_routes",
                        "static_rules", "garp_group",
                    ]),
                    prop::collection::vec(prop::collection::vec(word(), 1..6), 0..12),
                ),
                0..6,
            )
        ) {
            let mut text = String::new();
            for (head, lines) in &blocks {
                text.push_str(head);
                text.push_str(" {\n");
                for l in lines {
                    text.push_str(&l.join(" "));
                    text.push('\n');
                }
                text.push_str("}\n");
            }
            let mut diags = Vec::new();
            let config = build(&tree(&text), &mut diags);
            let formatted = crate::format(&config);
            let mut again_diags = Vec::new();
            let again = build(&tree(&formatted), &mut again_diags);
            prop_assert_eq!(&again, &config, "{}\n---\n{}", text, formatted);
        }
    }
}

/// Found by `arbitrary_keyword_soup_builds`: an unmodelled block holding a
/// stray `{ }` formats and builds back to the same model.
#[test]
fn unmodelled_block_with_a_stray_block_round_trips() {
    let text = "garp_group {\n{\n}\n}\n";
    let mut diags = Vec::new();
    let config = build(&tree(text), &mut diags);
    let formatted = crate::format(&config);
    let again = build(&tree(&formatted), &mut Vec::new());
    assert_eq!(again, config, "{formatted}");
}

/// The model built while reading (each top-level keyword dropped once
/// read) equals the one built from the whole tree, diagnostics included,
/// for every file of the corpus and for blocks opened on the next line,
/// blocks without keyword and blocks never closed.
#[test]
fn streamed_model_equals_the_model_of_the_whole_tree() {
    let mut texts: Vec<String> = [
        "a\n{\n b\n}\nvrrp_instance X\n{\n priority 7\n}\n",
        "{\n global_defs { router_id A }\n}\n}\nvrrp_instance Y {\n state BACKUP\n",
        "vrrp_instance X { } vrrp_instance X { }\nvirtual_server 192.0.2.1 80 { real_server 192.0.2.2 80 { TCP_CHECK { } } }\n",
    ]
    .map(str::to_owned)
    .to_vec();
    for dir in ["seed", "valid", "invalid"] {
        let path = format!("{}/tests/data/{dir}", env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<_> = std::fs::read_dir(&path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        texts.extend(files.iter().filter_map(|f| std::fs::read_to_string(f).ok()));
    }
    assert!(texts.len() > 200, "{}", texts.len());
    for text in &texts {
        let opts = crate::Options::new();
        let mut sources = crate::Sources::new();
        let mut streamed = Vec::new();
        let input = crate::parse::Input::Text {
            name: "t.conf",
            text,
        };
        let (config, found) = crate::parse::load(input, &opts, &mut sources, &mut streamed);
        streamed.extend(found);
        let parsed = crate::parse_tree("t.conf", text, &opts);
        let mut whole = parsed.diagnostics;
        let expected = build(&parsed.tree, &mut whole);
        assert_eq!(config, expected, "{text}");
        assert_eq!(streamed, whole, "{text}");
    }
}

/// More distinct settings than `repeated` keeps on the stack: a repeat of
/// the first and of the last is still found.
#[test]
fn repeated_settings_are_found_in_long_blocks() {
    let settings = [
        "router_id A",
        "notification_email_from a@example.com",
        "smtp_server 192.0.2.1",
        "smtp_helo_name h",
        "smtp_connect_timeout 30",
        "default_interface eth0",
        "vrrp_version 2",
        "vrrp_mcast_group4 224.0.0.18",
        "vrrp_mcast_group6 ff02::12",
        "vrrp_garp_master_delay 5",
        "vrrp_garp_master_repeat 5",
        "vrrp_garp_master_refresh 60",
        "vrrp_garp_master_refresh_repeat 1",
        "vrrp_garp_lower_prio_delay 5",
        "vrrp_garp_lower_prio_repeat 5",
        "vrrp_garp_interval 1",
        "vrrp_gna_interval 1",
        "router_id B",
        "vrrp_gna_interval 2",
    ];
    let text = format!("global_defs {{\n    {}\n}}\n", settings.join("\n    "));
    let (_, d) = built(&text);
    let repeats: Vec<(Option<u32>, u32)> = d
        .iter()
        .filter(|d| d.code == "W0102")
        .map(|d| (d.span.map(|s| s.line), d.labels[0].span.line))
        .collect();
    assert_eq!(repeats, [(Some(19), 2), (Some(20), 18)], "{d:#?}");
}

/// The connection settings of a checker are made only when one is
/// written.
#[test]
fn checker_connection_settings_only_when_written() {
    let (c, d) = built(
        "virtual_server 192.0.2.1 80 {\n    real_server 192.0.2.2 80 {\n        TCP_CHECK {\n            connect_timeout 3\n        }\n        TCP_CHECK {\n            bindto 192.0.2.9\n        }\n    }\n}\n",
    );
    assert!(errors(&d).is_empty(), "{d:#?}");
    let checkers = &c.virtual_servers[0].real_servers[0].checkers;
    assert_eq!(c.virtual_servers[0].real_servers[0].settings, None);
    assert_eq!(checkers[0].common.connection, None);
    let bind = checkers[1]
        .common
        .connection
        .as_ref()
        .and_then(|c| c.bindto);
    assert_eq!(bind.map(|b| b.value), Some(IpAddr::from([192, 0, 2, 9])));
}

/// A real server's rarer settings are made only when one is written.
#[test]
fn real_server_settings_only_when_written() {
    let (c, d) = built(
        "virtual_server 192.0.2.1 80 {\n    real_server 192.0.2.2 80 {\n        uthreshold 9\n    }\n    real_server 192.0.2.3 80 {\n        uthreshold x\n    }\n}\n",
    );
    assert_eq!(errors(&d).len(), 1, "{d:#?}");
    let servers = &c.virtual_servers[0].real_servers;
    assert_eq!(servers[0].settings().uthreshold.map(|u| u.value), Some(9));
    // Only a bad value: nothing kept.
    assert_eq!(servers[1].settings, None);
}
