//! Proptest generators of configurations the builder can produce, for
//! round-trip tests (`build(parse(format(c))) == c`). Shared by the unit
//! tests and `tests/roundtrip.rs` (which includes this file by path), so
//! it names the model only through `super::model` and `super::Span`.
//! Fields are assigned one by one: most model structs are
//! `#[non_exhaustive]`, so another crate cannot use struct literals.

#![allow(clippy::field_reassign_with_default)]

use super::model::*;
use super::Span;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// A value with no place.
fn sp<T>(v: T) -> Spanned<T> {
    Spanned::unspanned(v)
}

/// Maybe a value.
fn opt<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Option<Spanned<T>>> {
    option::of(s.prop_map(sp))
}

/// A name: a letter then letters, digits and `_`.
fn name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_]{0,8}"
}

/// A command line, sometimes with arguments (so with spaces).
fn command() -> impl Strategy<Value = String> {
    "/[a-z]{1,5}/[a-z]{1,6}( [a-z0-9]{1,4}){0,2}"
}

/// Any IP address.
fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|b| IpAddr::V4(Ipv4Addr::from(b))),
        any::<[u16; 8]>().prop_map(|s| IpAddr::V6(Ipv6Addr::from(s))),
    ]
}

/// An IPv4 address.
fn ip4() -> impl Strategy<Value = IpAddr> {
    any::<[u8; 4]>().prop_map(|b| IpAddr::V4(Ipv4Addr::from(b)))
}

/// Seconds with up to six decimals, within `max` whole seconds (and at
/// least one microsecond when `positive`).
fn micros(max: u64, positive: bool) -> impl Strategy<Value = Duration> {
    let lo = u64::from(positive);
    (lo..=max * 1_000_000).prop_map(Duration::from_micros)
}

/// Whole seconds in `lo..=hi`.
fn whole(lo: u64, hi: u64) -> impl Strategy<Value = Duration> {
    (lo..=hi).prop_map(Duration::from_secs)
}

/// `Some(true)` or nothing: keywords without argument.
fn bare() -> impl Strategy<Value = Option<Spanned<bool>>> {
    option::of(Just(sp(true)))
}

/// Keywords with an optional boolean.
fn flag() -> impl Strategy<Value = Option<Spanned<bool>>> {
    opt(any::<bool>())
}

/// `SCRIPT [USER [GROUP]]`.
fn script() -> impl Strategy<Value = Option<Box<Spanned<ScriptCommand>>>> {
    option::of(
        (command(), option::of((name(), option::of(name())))).prop_map(|(c, ug)| {
            let mut s = ScriptCommand::new(sp(c));
            if let Some((u, g)) = ug {
                s.user = Some(sp(u));
                s.group = g.map(sp);
            }
            Box::new(sp(s))
        }),
    )
}

/// `USER [GROUP]`.
fn user_group() -> impl Strategy<Value = Option<Spanned<UserGroup>>> {
    option::of((name(), option::of(name())).prop_map(|(u, g)| {
        sp(UserGroup {
            user: sp(u),
            group: g.map(sp),
        })
    }))
}

/// `weight N [reverse]`.
fn weight(limit: i32) -> impl Strategy<Value = Option<Spanned<Weight>>> {
    opt((-limit..=limit, any::<bool>()).prop_map(|(value, reverse)| Weight { value, reverse }))
}

/// Raw keyword lines of a block, from keywords keepalived knows there.
fn raw(known: &'static [&'static str]) -> impl Strategy<Value = Vec<RawNode>> {
    vec(
        (prop::sample::select(known), vec("[a-z0-9]{1,5}", 0..3)).prop_map(|(k, args)| RawNode {
            keyword: sp(k.to_string()),
            args: args.into_iter().map(sp).collect(),
            block: None,
        }),
        0..2,
    )
}

/// An address with a prefix length.
fn prefix() -> impl Strategy<Value = IpPrefix> {
    (ip(), any::<u8>()).prop_map(|(addr, p)| {
        let full = if addr.is_ipv4() { 33 } else { 129 };
        let prefix = (p % 3 != 0).then_some(p % full);
        IpPrefix { addr, prefix }
    })
}

/// One address line with options valid for its family.
fn address(static_addr: bool) -> impl Strategy<Value = Spanned<VirtualAddress>> {
    (
        prefix(),
        option::of(ip4()),
        option::of(name()),
        option::of(prop::sample::select(vec!["global", "link", "host", "7"])),
        option::of("[a-z]{1,5}:[0-9]"),
        any::<[bool; 7]>(),
        option::of(prop::sample::select(vec!["forever", "0", "60"])),
        option::of(name()),
    )
        .prop_map(move |(addr, brd, dev, scope, label, bits, lft, tg)| {
            let mut a = VirtualAddress::new(sp(addr));
            if addr.addr.is_ipv4() {
                a.options_mut().brd = brd.map(sp);
                a.options_mut().label = label.map(sp);
            }
            a.dev = dev.map(sp);
            a.options_mut().scope = scope.map(|s| sp(s.to_string()));
            a.home = bits[0];
            a.no_dad = bits[1];
            a.mngtmpaddr = bits[2];
            a.noprefixroute = bits[3];
            a.autojoin = bits[4];
            a.no_track = bits[5];
            a.use_vmac = bits[6] && !static_addr;
            a.options_mut().preferred_lft = lft.map(|s| sp(s.to_string()));
            if static_addr {
                a.options_mut().track_group = tg.map(sp);
            }
            sp(a)
        })
}

/// A route line: `DEST [via GW] dev IF` or `DEST [via GW] no_track`.
fn route() -> impl Strategy<Value = Spanned<Route>> {
    (prefix(), option::of(ip()), option::of(name())).prop_map(|(dest, via, dev)| {
        let mut words = vec![match dest.prefix {
            Some(p) => format!("{}/{p}", dest.addr),
            None => dest.addr.to_string(),
        }];
        if let Some(v) = via {
            words.extend(["via".to_string(), v.to_string()]);
        }
        match dev {
            Some(d) => words.extend(["dev".to_string(), d]),
            None => words.push("no_track".to_string()),
        }
        sp(Route {
            words: words.into_iter().map(sp).collect(),
        })
    })
}

/// A rule line.
fn rule() -> impl Strategy<Value = Spanned<Rule>> {
    (ip(), 1u32..300).prop_map(|(from, table)| {
        let words = [
            "from".to_string(),
            from.to_string(),
            "table".into(),
            table.to_string(),
            "preference".into(),
            table.to_string(),
        ];
        sp(Rule {
            words: words.into_iter().map(sp).collect(),
        })
    })
}

/// Names tracked with optional weights.
fn tracked() -> impl Strategy<Value = Vec<TrackedName>> {
    vec(
        (name(), weight(254)).prop_map(|(n, weight)| TrackedName {
            name: sp(n),
            weight,
        }),
        0..3,
    )
}

/// `global_defs`.
fn global_defs() -> impl Strategy<Value = GlobalDefs> {
    (
        (
            vec("[a-z]{1,6}@example\\.com".prop_map(sp), 0..3),
            opt("[a-z]{1,6}@example\\.com"),
            option::of((ip(), option::of(1u16..))).prop_map(|s| {
                s.map(|(h, port)| {
                    sp(SmtpServer {
                        host: h.to_string(),
                        port,
                    })
                })
            }),
            opt(whole(1, 4294)),
            flag(),
            opt(name()),
            bare(),
            user_group(),
            script(),
            opt(name()),
            opt(-1i32..=99),
        ),
        (
            opt(2u8..=3),
            bare(),
            opt(Just(IpAddr::V4(Ipv4Addr::new(224, 0, 0, 19)))),
            opt(whole(0, 4294)),
            opt(any::<u32>()),
            opt(micros(100, true)),
            flag(),
            bare(),
            bare(),
            option::of(vec("[a-z0-9]{1,5}".prop_map(sp), 1..3)),
            raw(&["vrrp_priority", "checker_priority", "umask", "snmp_socket"]),
        ),
    )
        .prop_map(|(a, b)| {
            let mut g = GlobalDefs::default();
            g.notification_email = a.0;
            g.notification_email_from = a.1;
            g.smtp_server = a.2;
            g.smtp_connect_timeout = a.3;
            g.smtp_alert = a.4;
            g.router_id = a.5;
            g.enable_script_security = a.6;
            g.script_user = a.7;
            g.startup_script = a.8;
            g.default_interface = a.9;
            g.max_auto_priority = a.10;
            g.vrrp_version = b.0;
            g.vrrp_strict = b.1;
            g.vrrp_mcast_group4 = b.2;
            g.vrrp_garp_master_delay = b.3;
            g.vrrp_garp_master_repeat = b.4;
            g.vrrp_garp_interval = b.5;
            g.vrrp_lower_prio_no_advert = b.6;
            g.vrrp_check_unicast_src = b.7;
            g.lvs_flush = b.8;
            g.lvs_timeouts = b.9;
            g.other = b.10;
            g
        })
}

/// `vrrp_instance`.
fn instance() -> impl Strategy<Value = VrrpInstance> {
    (
        (
            name(),
            opt(prop_oneof![
                Just(InitialState::Master),
                Just(InitialState::Backup)
            ]),
            opt("[a-z]{1,5}[0-9]{0,2}"),
            opt(1u8..=255),
            opt(1u8..=255),
            opt((1u64..=25_500).prop_map(|c| Duration::from_micros(c * 10_000))),
            opt(2u8..=3),
            option::of((
                opt(prop_oneof![Just(AuthType::Pass), Just(AuthType::Ah)]),
                opt("[a-z0-9]{1,8}"),
            )),
            vec(address(false), 0..3),
            vec(address(false), 0..2),
            vec(route(), 0..2),
            vec(rule(), 0..2),
        ),
        (
            tracked(),
            tracked(),
            tracked(),
            bare(),
            opt(any::<bool>()),
            opt(micros(1000, false)),
            opt(whole(0, 4294)),
            opt(1u32..),
            opt(ip()),
            vec(ip().prop_map(sp), 0..3),
            option::of(option::of(name())),
            opt(any::<bool>()),
        ),
        (
            script(),
            script(),
            script(),
            flag(),
            raw(&["debug", "promote_secondaries"]),
        ),
    )
        .prop_map(|(a, b, c)| {
            let mut i = VrrpInstance::default();
            i.name = sp(a.0);
            i.state = a.1;
            i.interface = a.2;
            i.virtual_router_id = a.3;
            i.priority = a.4;
            i.advert_int = a.5;
            i.version = a.6;
            i.authentication = a.7.map(|(auth_type, auth_pass)| Authentication {
                auth_type,
                auth_pass,
                ..Authentication::default()
            });
            i.virtual_ipaddress = a.8;
            i.virtual_ipaddress_excluded = a.9;
            i.virtual_routes = a.10;
            i.virtual_rules = a.11;
            i.track_interface = b.0;
            i.track_script = b.1;
            i.track_file = b.2;
            i.dont_track_primary = b.3;
            i.preempt = b.4;
            i.preempt_delay = b.5;
            i.garp_master_delay = b.6;
            i.garp_master_repeat = b.7;
            i.unicast_src_ip = b.8;
            i.unicast_peer = b.9;
            i.use_vmac = b.10.map(sp);
            i.accept = b.11;
            i.notify_master = c.0;
            i.notify_backup = c.1;
            i.notify = c.2;
            i.smtp_alert = c.3;
            i.other = c.4;
            i
        })
}

/// `vrrp_script`.
fn vrrp_script() -> impl Strategy<Value = VrrpScript> {
    (
        name(),
        opt(command()),
        opt(whole(1, 4294)),
        opt(whole(1, 4294)),
        weight(253),
        opt(1u32..=i32::MAX as u32),
        opt(1u32..=i32::MAX as u32),
        user_group(),
        bare(),
    )
        .prop_map(
            |(n, script, interval, timeout, weight, rise, fall, user, init_fail)| {
                let mut s = VrrpScript::default();
                s.name = sp(n);
                s.script = script;
                s.interval = interval;
                s.timeout = timeout;
                s.weight = weight;
                s.rise = rise;
                s.fall = fall;
                s.user = user;
                s.init_fail = init_fail;
                s
            },
        )
}

/// `track_file`.
fn track_file() -> impl Strategy<Value = TrackFile> {
    (name(), any::<bool>(), opt("/[a-z]{1,8}"), weight(254)).prop_map(
        |(n, legacy, file, weight)| {
            let mut t = TrackFile::default();
            t.name = sp(n);
            t.legacy_keyword = legacy;
            t.file = file;
            t.weight = weight;
            t
        },
    )
}

/// `vrrp_sync_group`.
fn sync_group() -> impl Strategy<Value = SyncGroup> {
    (
        name(),
        vec(name().prop_map(sp), 1..3),
        tracked(),
        script(),
        script(),
        flag(),
        bare(),
    )
        .prop_map(|(n, group, ts, nm, nf, smtp, gt)| {
            let mut g = SyncGroup::default();
            g.name = sp(n);
            g.group = group;
            g.track_script = ts;
            g.notify_master = nm;
            g.notify_fault = nf;
            g.smtp_alert = smtp;
            g.global_tracking = gt;
            g
        })
}

/// `lb_kind` values.
fn method() -> impl Strategy<Value = Option<Spanned<ForwardingMethod>>> {
    opt(prop_oneof![
        Just(ForwardingMethod::Nat),
        Just(ForwardingMethod::Dr),
        Just(ForwardingMethod::Tun(Vec::new())),
        (1u16..).prop_map(|p| ForwardingMethod::Tun(
            ["type", "gue", "port"]
                .iter()
                .map(|s| sp(s.to_string()))
                .chain([sp(p.to_string())])
                .collect()
        )),
    ])
}

/// Checker settings; connection ones only for checkers that connect.
fn common(connects: bool) -> impl Strategy<Value = CheckerCommon> {
    (
        opt(ip()),
        opt(1u16..),
        opt(ip()),
        opt(micros(100, true)),
        opt(any::<u32>()),
        opt(micros(100, false)),
        opt(micros(100, true)),
        flag(),
    )
        .prop_map(move |(cip, cport, bind, cto, retry, dbr, dl, alpha)| {
            let mut c = CheckerCommon::default();
            if connects {
                if cip.is_some() || cport.is_some() || bind.is_some() {
                    let to = c.connection_mut();
                    to.connect_ip = cip;
                    to.connect_port = cport;
                    to.bindto = bind;
                }
                c.connect_timeout = cto;
            }
            if retry.is_some() || dbr.is_some() || dl.is_some() || alpha.is_some() {
                let t = c.timing_mut();
                t.retry = retry;
                t.delay_before_retry = dbr;
                t.delay_loop = dl;
                t.alpha = alpha;
            }
            c
        })
}

/// One URL.
fn url() -> impl Strategy<Value = Url> {
    (
        opt("/[a-z]{0,8}"),
        opt("[0-9a-f]{32}"),
        vec(
            (100u16..=599, 0u16..50).prop_map(|(lo, d)| sp((lo, (lo + d).min(599)))),
            0..3,
        ),
        opt("[a-z]{1,6}\\.example"),
    )
        .prop_map(|(path, digest, status_code, virtualhost)| Url {
            path,
            digest,
            status_code,
            virtualhost,
            ..Url::default()
        })
}

/// HTTP_GET / SSL_GET settings.
fn http_check() -> impl Strategy<Value = HttpCheck> {
    (
        vec(url(), 0..3),
        opt("[a-z]{1,6}"),
        opt(prop::sample::select(vec!["1.0", "1.1", "1.0C"])),
        flag(),
    )
        .prop_map(|(urls, virtualhost, proto, sni)| HttpCheck {
            urls,
            virtualhost,
            http_protocol: proto.map(|p| sp(p.value.to_string())),
            enable_sni: sni,
            fast_recovery: None,
        })
}

/// Any checker.
fn checker() -> impl Strategy<Value = Checker> {
    let kind = prop_oneof![
        Just(CheckerKind::Tcp),
        http_check().prop_map(|h| CheckerKind::HttpGet(Box::new(h))),
        http_check().prop_map(|h| CheckerKind::SslGet(Box::new(h))),
        (opt(command()), opt(whole(0, 4294)), flag(), user_group()).prop_map(|(p, t, d, u)| {
            CheckerKind::Misc(Box::new(MiscCheck {
                misc_path: p,
                misc_timeout: t,
                misc_dynamic: d,
                user: u,
            }))
        }),
        (opt(name()), vec(common(true).prop_map(sp), 0..2)).prop_map(|(h, hosts)| {
            CheckerKind::Smtp(Box::new(SmtpCheck {
                helo_name: h,
                hosts,
            }))
        }),
        (
            opt(prop::sample::select(vec!["A", "AAAA", "soa"])),
            opt(name())
        )
            .prop_map(|(t, n)| {
                CheckerKind::Dns(Box::new(DnsCheck {
                    query_type: t.map(|t| sp(t.value.to_string())),
                    name: n,
                }))
            }),
        (
            opt("[0-9a-f]{2}( [0-9a-f]{2}){0,2}"),
            option::of(option::of("[0-9a-f]{2,4}")),
            opt(any::<u32>())
        )
            .prop_map(|(p, r, min)| CheckerKind::Udp(Box::new(UdpCheck {
                payload: p,
                require_reply: r.map(sp),
                min_reply_length: min,
                max_reply_length: None,
            }))),
        Just(CheckerKind::Ping),
        (opt(name()), weight(254)).prop_map(|(t, w)| CheckerKind::File(Box::new(FileCheck {
            track_file: t,
            weight: w,
        }))),
    ];
    kind.prop_flat_map(|k| {
        let connects = !matches!(k, CheckerKind::Misc(_) | CheckerKind::File(_));
        let has_common = !matches!(k, CheckerKind::File(_));
        (Just(k), common(connects)).prop_map(move |(kind, c)| Checker {
            span: Span::default(),
            end: None,
            common: if has_common {
                c
            } else {
                CheckerCommon::default()
            },
            kind,
            other: Vec::new(),
        })
    })
}

/// `real_server`.
fn real_server() -> impl Strategy<Value = RealServer> {
    (
        (
            ip(),
            opt(1u16..),
            opt(0u32..=i32::MAX as u32),
            method(),
            opt(any::<u32>()),
        ),
        (opt(any::<u32>()), flag(), script(), script(), flag()),
        (opt(micros(100, true)), opt(name()), vec(checker(), 0..3)),
    )
        .prop_map(|(a, b, c)| {
            let mut r = RealServer::new(sp(a.0), a.1);
            r.weight = a.2;
            r.lvs_method = a.3;
            let mut s = RealServerSettings::default();
            s.uthreshold = a.4;
            s.lthreshold = b.0;
            s.inhibit_on_failure = b.1;
            s.notify_up = b.2;
            s.notify_down = b.3;
            s.alpha = b.4;
            s.delay_loop = c.0;
            s.virtualhost = c.1;
            r.settings = (s != RealServerSettings::default()).then(|| Box::new(s));
            r.checkers = c.2;
            r
        })
}

/// `virtual_server`.
fn virtual_server() -> impl Strategy<Value = VirtualServer> {
    let target = prop_oneof![
        (ip(), option::of(1u16..)).prop_map(|(addr, port)| VsTarget::Addr { addr, port }),
        any::<u32>().prop_map(VsTarget::Fwmark),
        name().prop_map(VsTarget::Group),
    ];
    (
        (
            target,
            opt(micros(1000, true)),
            opt(prop::sample::select(
                Scheduler::ALL.iter().map(|(_, s)| *s).collect::<Vec<_>>(),
            )),
            vec(
                prop::sample::select(vec!["ops", "sh-port", "hashed"])
                    .prop_map(|f| sp(f.to_string())),
                0..2,
            ),
            method(),
            opt(1u32..=86_400 * 31),
            opt(prop::sample::select(vec![
                "255.255.255.0",
                "64",
                "0xffffff00",
            ])),
            opt(prop_oneof![
                Just(Protocol::Tcp),
                Just(Protocol::Udp),
                Just(Protocol::Sctp)
            ]),
        ),
        (
            bare(),
            flag(),
            opt(name()),
            bare(),
            bare(),
            script(),
            opt(1u32..),
            opt(any::<u32>()),
            option::of((ip(), option::of(1u16..))),
            method(),
        ),
        (
            vec(real_server(), 0..3),
            raw(&["snmp_name", "persistence_engine"]),
        ),
    )
        .prop_map(|(a, b, c)| {
            let mut v = VirtualServer::new(sp(a.0));
            v.delay_loop = a.1;
            v.lb_algo = a.2;
            if matches!(a.2.map(|s| s.value), Some(Scheduler::Sh | Scheduler::Mh)) {
                v.lb_flags = a.3;
            }
            v.lb_kind = a.4;
            v.persistence_timeout = a.5;
            let v6 = matches!(&v.target.value, VsTarget::Addr { addr, .. } if addr.is_ipv6());
            let v4 = matches!(&v.target.value, VsTarget::Addr { addr, .. } if addr.is_ipv4());
            v.persistence_granularity = a.6.map(|g| {
                let text = match g.value {
                    "255.255.255.0" | "0xffffff00" if v6 => "64",
                    "0xffffff00" if !v4 => "255.255.255.0",
                    other => other,
                };
                sp(text.to_string())
            });
            v.protocol = a.7;
            v.ha_suspend = b.0;
            v.smtp_alert = b.1;
            v.virtualhost = b.2;
            v.alpha = b.3;
            v.omega = b.4;
            v.quorum_up = b.5;
            v.quorum = b.6;
            v.hysteresis = b.7;
            v.sorry_server = b.8.map(sp);
            if v.sorry_server.is_some() {
                v.sorry_server_lvs_method = b.9;
            }
            v.real_servers = c.0;
            v.other =
                c.1.into_iter()
                    .filter(|n| n.keyword.value == "snmp_name")
                    .collect();
            v
        })
}

/// `virtual_server_group`.
fn vs_group() -> impl Strategy<Value = VirtualServerGroup> {
    let entry = prop_oneof![
        (
            any::<[u8; 4]>(),
            option::of(any::<u8>()),
            option::of(any::<u16>())
        )
            .prop_map(|(a, r, port)| {
                VsgEntry::Addr {
                    addr: IpAddr::V4(Ipv4Addr::from(a)),
                    range_end: r.map(u32::from),
                    port,
                }
            }),
        (
            any::<[u16; 8]>(),
            option::of(any::<u16>()),
            option::of(any::<u16>())
        )
            .prop_map(|(a, r, port)| {
                VsgEntry::Addr {
                    addr: IpAddr::V6(Ipv6Addr::from(a)),
                    range_end: r.map(u32::from),
                    port,
                }
            }),
        (
            any::<u32>(),
            option::of(prop::sample::select(vec!["inet", "inet6"]))
        )
            .prop_map(|(mark, f)| {
                VsgEntry::Fwmark {
                    mark,
                    family: f.map(str::to_string),
                }
            }),
    ];
    (name(), vec(entry.prop_map(sp), 1..4)).prop_map(|(n, entries)| {
        let mut g = VirtualServerGroup::default();
        g.name = sp(n);
        g.entries = entries;
        g
    })
}

/// Distinct names: keepalived refuses a second instance or sync group of
/// the same name.
fn dedup_by_name<T>(items: Vec<T>, name: impl Fn(&T) -> &str) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .filter(|i| seen.insert(name(i).to_string()))
        .collect()
}

/// A whole configuration.
pub(crate) fn config() -> impl Strategy<Value = Config> {
    (
        global_defs(),
        vec(address(true), 0..2),
        vec(route(), 0..2),
        vec(rule(), 0..2),
        vec(vrrp_script(), 0..2),
        vec(track_file(), 0..2),
        vec(instance(), 0..3),
        vec(sync_group(), 0..2),
        vec(vs_group(), 0..2),
        vec(virtual_server(), 0..3),
        raw(&["linkbeat_use_polling", "use_pid_dir", "child_wait_time"]),
    )
        .prop_map(|t| {
            let mut c = Config::default();
            c.global_defs = t.0;
            c.static_ipaddress = t.1;
            c.static_routes = t.2;
            c.static_rules = t.3;
            c.vrrp_scripts = t.4;
            c.track_files = t.5;
            c.vrrp_instances = dedup_by_name(t.6, |i| &i.name.value);
            c.vrrp_sync_groups = dedup_by_name(t.7, |g| &g.name.value);
            c.virtual_server_groups = t.8;
            c.virtual_servers = t.9;
            c.other = t.10;
            c
        })
}
