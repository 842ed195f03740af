//! The typed model built from configuration text through the real parser:
//! values, defaults left unset, and the builder's diagnostics (`E01xx`,
//! `W01xx`) with the line keepalived 2.2.7 reports them on.

use lbkit_keepalived_cfg::model::*;
use lbkit_keepalived_cfg::{load_str, Diagnostic, Options, Severity};
use std::net::IpAddr;
use std::time::Duration;

/// Every block family in one configuration `keepalived -t` accepts (in a
/// network namespace that has `eth0`).
const FULL: &str = r#"
global_defs {
    notification_email {
        ops@example.com
        noc@example.com
    }
    notification_email_from lb@example.com
    smtp_server 127.0.0.1 25
    smtp_helo_name lb1.example.com
    smtp_connect_timeout 30
    router_id LB1
    enable_script_security
    script_user root
    vrrp_version 2
    vrrp_garp_master_delay 5
    vrrp_garp_master_repeat 3
    vrrp_garp_interval 0.001
    vrrp_gna_interval 0.000001
    vrrp_mcast_group4 224.0.0.18
    lvs_flush
}
track_file TF {
    file /tmp/lbkit-tf
    weight 5
}
vrrp_script chk {
    script "/bin/true"
    interval 2
    timeout 3
    weight -10
    rise 2
    fall 3
    user root
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secret
    }
    virtual_ipaddress {
        192.0.2.100/24 dev eth0 label eth0:1
        192.0.2.101/24 brd 192.0.2.255 dev eth0 scope global
    }
    virtual_ipaddress_excluded {
        192.0.2.102/32 dev eth0
    }
    track_interface {
        lo weight -20
    }
    track_script {
        chk
    }
    track_file {
        TF weight 10
    }

    garp_master_delay 2
    garp_master_refresh 60
    garp_master_refresh_repeat 2
    unicast_src_ip 192.0.2.2
    unicast_peer {
        192.0.2.3
    }
    notify_master "/bin/echo master"
    notify_backup /bin/true
    smtp_alert
}
virtual_server_group VSG {
    192.0.2.100 80
    192.0.2.110-115 443
}
virtual_server group VSG {
    delay_loop 5
    lb_algo wlc
    lb_kind DR
    protocol TCP
    real_server 192.0.2.20 {
        weight 2
        HTTP_GET {
            url {
                path /health
                status_code 200-299
            }
            url {
                path /
                digest 9b3a0c85a887a256d6939da88aabd8cd
            }
            connect_timeout 3
            retry 3
            delay_before_retry 1.5
        }
    }
}
virtual_server 192.0.2.100 443 {
    delay_loop 6.5
    lb_algo sh
    sh-port
    lb_kind TUN type ipip
    persistence_timeout 300
    persistence_granularity 255.255.255.0
    protocol TCP
    quorum 2
    hysteresis 1
    quorum_up "/bin/true up"
    quorum_down /bin/true
    alpha
    omega
    ha_suspend
    virtualhost www.example.com
    sorry_server 192.0.2.99 443
    sorry_server_inhibit
    real_server 192.0.2.21 443 {
        weight 3
        inhibit_on_failure
        uthreshold 100
        lthreshold 10
        notify_up /bin/true
        notify_down "/bin/echo down"
        SSL_GET {
            url {
                path /
                status_code 200
            }
            enable_sni
        }
        TCP_CHECK {
            connect_port 443
            bindto 192.0.2.2
        }
    }
    real_server 192.0.2.22 443 {
        MISC_CHECK {
            misc_path "/bin/true x"
            misc_timeout 5
            misc_dynamic
            user root
        }
        FILE_CHECK {
            track_file TF
            weight 3 reverse
        }
        PING_CHECK {
            retry 2
        }
    }
}
virtual_server fwmark 7 {
    lb_algo rr
    lb_kind NAT
    real_server 192.0.2.30 53 {
        DNS_CHECK {
            type aaaa
            name example.com
        }
        UDP_CHECK {
            payload 0a0b0c
            require_reply
            min_reply_length 2
            max_reply_length 100
        }
        SMTP_CHECK {
            helo_name lb.example.com
            connect_port 25
        }
    }
}
"#;

/// The builder's diagnostics (the semantic checks have `x2xx` codes).
fn builder_diags(d: &[Diagnostic]) -> Vec<&Diagnostic> {
    d.iter().filter(|d| d.code[1..].starts_with("01")).collect()
}

/// `(line, code)` of each builder diagnostic of `text`.
fn lines_and_codes(text: &str) -> Vec<(u32, &'static str)> {
    let loaded = load_str("t.conf", text, &Options::new());
    builder_diags(&loaded.diagnostics)
        .iter()
        .map(|d| (d.span.map_or(0, |s| s.line), d.code))
        .collect()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

#[test]
fn full_configuration_builds_every_block() {
    let loaded = load_str("full.conf", FULL, &Options::new());
    assert!(
        builder_diags(&loaded.diagnostics).is_empty(),
        "{:#?}",
        loaded.diagnostics
    );
    let c = &loaded.config;

    let g = &c.global_defs;
    assert_eq!(g.notification_email.len(), 2);
    assert_eq!(g.smtp_server.as_ref().and_then(|s| s.value.port), Some(25));
    assert_eq!(g.router_id.as_ref().map(|r| r.value.as_str()), Some("LB1"));
    assert_eq!(
        g.vrrp_gna_interval.map(|d| d.value),
        Some(Duration::from_micros(1))
    );
    assert_eq!(g.lvs_flush.map(|f| f.value), Some(true));

    assert_eq!(c.track_files[0].weight.map(|w| w.value.value), Some(5));
    let s = &c.vrrp_scripts[0];
    assert_eq!(
        (s.rise.map(|r| r.value), s.fall.map(|f| f.value)),
        (Some(2), Some(3))
    );
    assert_eq!(s.weight.map(|w| w.value.value), Some(-10));

    let i = &c.vrrp_instances[0];
    assert_eq!(i.virtual_ipaddress.len(), 2);
    assert_eq!(i.virtual_ipaddress_excluded.len(), 1);
    assert_eq!(
        i.track_interface[0].weight.map(|w| w.value.value),
        Some(-20)
    );
    assert_eq!(i.track_file[0].weight.map(|w| w.value.value), Some(10));
    assert_eq!(
        i.unicast_peer.iter().map(|p| p.value).collect::<Vec<_>>(),
        [ip("192.0.2.3")]
    );
    let notify = i
        .notify_master
        .as_ref()
        .map(|n| n.value.command.value.as_str());
    assert_eq!(notify, Some("/bin/echo master"));
    assert_eq!(
        i.garp_master_refresh.map(|d| d.value),
        Some(Duration::from_secs(60))
    );

    let vsg = &c.virtual_server_groups[0];
    assert_eq!(
        vsg.entries[1].value,
        VsgEntry::Addr {
            addr: ip("192.0.2.110"),
            range_end: Some(115),
            port: Some(443)
        }
    );
    assert_eq!(c.virtual_servers.len(), 3);
    assert_eq!(
        c.virtual_servers[0].target.value,
        VsTarget::Group("VSG".into())
    );
    let CheckerKind::HttpGet(h) = &c.virtual_servers[0].real_servers[0].checkers[0].kind else {
        panic!("HTTP_GET expected");
    };
    assert_eq!(h.urls.len(), 2);
    assert_eq!(
        h.urls[0]
            .status_code
            .iter()
            .map(|s| s.value)
            .collect::<Vec<_>>(),
        [(200, 299)]
    );

    let vs = &c.virtual_servers[1];
    assert_eq!(
        vs.delay_loop.map(|d| d.value),
        Some(Duration::from_millis(6500))
    );
    assert_eq!(
        vs.lb_flags
            .iter()
            .map(|f| f.value.as_str())
            .collect::<Vec<_>>(),
        ["sh-port"]
    );
    assert!(matches!(
        vs.lb_kind.as_ref().map(|k| &k.value),
        Some(ForwardingMethod::Tun(_))
    ));
    assert_eq!(
        vs.sorry_server.as_ref().map(|s| s.value),
        Some((ip("192.0.2.99"), Some(443)))
    );
    let kinds: Vec<&str> = vs
        .real_servers
        .iter()
        .flat_map(|r| r.checkers.iter().map(|c| c.kind.keyword()))
        .collect();
    assert_eq!(
        kinds,
        [
            "SSL_GET",
            "TCP_CHECK",
            "MISC_CHECK",
            "FILE_CHECK",
            "PING_CHECK"
        ]
    );
    let rs = &vs.real_servers[0];
    assert_eq!(
        (
            rs.settings().uthreshold.map(|u| u.value),
            rs.settings().lthreshold.map(|l| l.value)
        ),
        (Some(100), Some(10))
    );

    let kinds: Vec<&str> = c.virtual_servers[2].real_servers[0]
        .checkers
        .iter()
        .map(|c| c.kind.keyword())
        .collect();
    assert_eq!(kinds, ["DNS_CHECK", "UDP_CHECK", "SMTP_CHECK"]);
}

#[test]
fn unset_values_stay_unset_and_defaults_come_from_accessors() {
    let c = load_str(
        "t.conf",
        "vrrp_instance V {\n    interface eth0\n    virtual_router_id 9\n}\n",
        &Options::new(),
    )
    .config;
    let i = &c.vrrp_instances[0];
    assert_eq!((i.priority, i.advert_int, i.state), (None, None, None));
    assert_eq!(i.effective_priority(), 100);
    assert_eq!(i.effective_advert_int(), Duration::from_secs(1));
}

#[test]
fn value_errors_are_on_the_lines_keepalived_reports() {
    // Each case was run through `keepalived -t` 2.2.7: exit 5, and the
    // first "(Line N)" is the line given here.
    let vrrp = |body: &str| {
        format!("vrrp_instance VI {{\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {{\n        192.0.2.1/24\n    }}\n{body}\n}}\n")
    };
    assert_eq!(lines_and_codes(&vrrp("    priority 0")), [(7, "E0103")]);
    assert_eq!(lines_and_codes(&vrrp("    advert_int abc")), [(7, "E0103")]);
    assert_eq!(lines_and_codes(&vrrp("    state master")), [(7, "E0105")]);
    assert_eq!(
        lines_and_codes(&vrrp("    garp_master_delay 1.5")),
        [(7, "E0103")]
    );
    assert_eq!(
        lines_and_codes(&vrrp("    smtp_alert maybe")),
        [(7, "E0105")]
    );
    assert_eq!(lines_and_codes(&vrrp("    priorty 100")), [(7, "E0101")]);
    assert_eq!(
        lines_and_codes(&vrrp(
            "    virtual_ipaddress_excluded {\n        192.0.2.7 foo\n    }"
        )),
        [(8, "E0105")]
    );
    assert_eq!(
        lines_and_codes(&vrrp(
            "    virtual_routes {\n        198.51.100.0/24 via 192.0.2.254\n    }"
        )),
        [(8, "E0105")]
    );
    assert_eq!(
        lines_and_codes("vrrp_sync_group G {\n    group {\n    }\n}\n"),
        [(3, "E0105")]
    );
    assert_eq!(
        lines_and_codes("virtual_server_group G {\n}\n"),
        [(2, "E0105")]
    );
}

#[test]
fn checker_errors_are_on_the_lines_keepalived_reports() {
    let vs = |rs: &str, chk: &str, body: &str| {
        format!("virtual_server 192.0.2.1 80 {{\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n    real_server 192.0.2.10 80 {{\n{rs}\n        {chk} {{\n{body}\n        }}\n    }}\n}}\n")
    };
    assert_eq!(
        lines_and_codes(&vs("        weight -1", "TCP_CHECK", "")),
        [(6, "E0103")]
    );
    assert_eq!(
        lines_and_codes(&vs("", "TCP_CHECK", "            bind_port 0")),
        [(8, "E0103")]
    );
    assert_eq!(
        lines_and_codes(&vs(
            "",
            "MISC_CHECK",
            "            misc_path /bin/true\n            connect_port 80"
        )),
        [(9, "E0101")]
    );
    assert_eq!(
        lines_and_codes(&vs(
            "",
            "HTTP_GET",
            "            url {\n                path /\n            }\n            nb_get_retry 3"
        )),
        [(11, "E0109")]
    );
    assert_eq!(
        lines_and_codes(&vs("", "DNS_CHECK", "            type XYZ")),
        [(8, "E0105")]
    );
    assert_eq!(
        lines_and_codes(&vs("", "UDP_CHECK", "            payload zz")),
        [(8, "E0105")]
    );
}

#[test]
fn unknown_keyword_suggests_the_closest_one() {
    let loaded = load_str(
        "t.conf",
        "virtual_server 192.0.2.1 80 {\n    lb_alog rr\n}\n",
        &Options::new(),
    );
    let d = builder_diags(&loaded.diagnostics);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].severity, Severity::Error);
    assert_eq!(d[0].help.as_deref(), Some("did you mean `lb_algo`?"));
}

#[test]
fn deprecated_synonym_warns_and_strict_mode_makes_it_an_error() {
    let text = "vrrp_track_file F {\n    file /tmp/f\n}\n";
    let loaded = load_str("t.conf", text, &Options::new());
    let d = builder_diags(&loaded.diagnostics);
    assert_eq!(
        (d.len(), d[0].severity, d[0].code),
        (1, Severity::Warning, "W0101")
    );
    let strict = load_str("t.conf", text, &Options::new().strict(true));
    assert_eq!(
        builder_diags(&strict.diagnostics)[0].severity,
        Severity::Error
    );
}
