//! The formatter's contract on real text: reading the formatted text of a
//! configuration gives back the same model, for the seed configurations
//! and for generated models.

use lbkit_keepalived_cfg::{format, load_str, model, Diagnostic, Options, Severity, Span};
use proptest::prelude::*;

#[path = "../src/format/gen.rs"]
mod gen;

/// The Red Hat guide's §4.1 configuration (LB1, NAT).
const SEED_NAT: &str = r#"global_defs {
   notification_email {
       admin@example.com
   }
   notification_email_from noreply@example.com
   smtp_server 127.0.0.1
   smtp_connect_timeout 60
}
vrrp_sync_group VG1 {
   group {
      RH_EXT
      RH_INT
   }
}
vrrp_instance RH_EXT {
    state MASTER
    interface eth0
    virtual_router_id 50
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass passw123
    }
    virtual_ipaddress {
    10.0.0.1
    }
}
vrrp_instance RH_INT {
   state MASTER
   interface eth1
   virtual_router_id 2
   priority 100
   advert_int 1
   authentication {
       auth_type PASS
       auth_pass passw123
   }
   virtual_ipaddress {
       192.168.1.1
   }
}
virtual_server 10.0.0.1 80 {
    delay_loop 6
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 192.168.1.20 80 {
        TCP_CHECK {
                connect_timeout 10
        }
    }
    real_server 192.168.1.21 80 {
        TCP_CHECK {
                connect_timeout 10
        }
    }
    real_server 192.168.1.22 80 {
        TCP_CHECK {
                connect_timeout 10
        }
    }
    real_server 192.168.1.23 80 {
        TCP_CHECK {
                connect_timeout 10
        }
    }
}
"#;

/// The guide's §4.2 configuration (active router, direct routing).
const SEED_DR: &str = r#"global_defs {
   notification_email {
     admin@example.com
   }
   notification_email_from noreply_admin@example.com
   smtp_server 127.0.0.1
   smtp_connect_timeout 60
}
vrrp_instance RH_1 {
    state MASTER 
    interface eth0
    virtual_router_id 50
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass passw123
    }
    virtual_ipaddress {
        172.31.0.1
    }
}
virtual_server 172.31.0.1 80 {
    delay_loop 10
    lb_algo rr
    lb_kind DR
    persistence_timeout 9600
    protocol TCP
    real_server 192.168.0.1 80 {
        weight 1
        TCP_CHECK {
          connect_timeout 10
          connect_port    80
        }
    }
    real_server 192.168.0.2 80 {
        weight 1
        TCP_CHECK {
          connect_timeout 10
          connect_port    80
        }
    }
    real_server 192.168.0.3 80 {
        weight 1
        TCP_CHECK {
          connect_timeout 10
          connect_port    80
        }
    }
}
"#;

/// The guide's Appendix A configuration (HAProxy pair).
const SEED_HAPROXY: &str = r#"vrrp_script chk_haproxy {
  script "killall -0 haproxy" # check the haproxy process
  interval 2 # every 2 seconds
  weight 2 # add 2 points if OK
}

vrrp_instance VI_1 {
  interface eth0 # interface to monitor
  state MASTER # MASTER on haproxy, BACKUP on haproxy2
  virtual_router_id 51
  priority 101 # 101 on haproxy, 100 on haproxy2
  virtual_ipaddress {
    192.168.0.100 # virtual ip address
  }
  track_script {
    chk_haproxy
  }
}
"#;

/// The model builder's own errors (`E01xx`): the semantic checks
/// (`E02xx`) judge the configuration, not the round trip.
fn builder_errors(d: &[Diagnostic]) -> Vec<&Diagnostic> {
    d.iter()
        .filter(|d| d.severity == Severity::Error && d.code.starts_with("E01"))
        .collect()
}

/// Reads `text`, formats it, reads that: same model, and formatting is
/// stable.
fn assert_round_trip(name: &str, text: &str) {
    let first = load_str(name, text, &Options::new());
    assert!(
        builder_errors(&first.diagnostics).is_empty(),
        "{:#?}",
        first.diagnostics
    );
    let formatted = format(&first.config);
    let second = load_str(name, &formatted, &Options::new());
    assert!(
        builder_errors(&second.diagnostics).is_empty(),
        "{:#?}\n{formatted}",
        second.diagnostics
    );
    assert_eq!(second.config, first.config, "{formatted}");
    assert_eq!(format(&second.config), formatted);
}

#[test]
fn seed_nat_configuration_round_trips() {
    assert_round_trip("nat.conf", SEED_NAT);
}

#[test]
fn seed_direct_routing_configuration_round_trips() {
    assert_round_trip("dr.conf", SEED_DR);
}

#[test]
fn seed_haproxy_configuration_round_trips() {
    assert_round_trip("haproxy.conf", SEED_HAPROXY);
    let c = load_str("haproxy.conf", SEED_HAPROXY, &Options::new()).config;
    let script = c.vrrp_scripts[0].script.as_ref().map(|s| s.value.as_str());
    assert_eq!(script, Some("killall -0 haproxy"));
    let formatted = format(&c);
    assert!(
        formatted.contains("    script \"killall -0 haproxy\"\n"),
        "{formatted}"
    );
}

#[test]
fn formatted_text_is_canonical() {
    let c = load_str("haproxy.conf", SEED_HAPROXY, &Options::new()).config;
    assert_eq!(
        format(&c),
        "vrrp_script chk_haproxy {\n    script \"killall -0 haproxy\"\n    interval 2\n    weight 2\n}\n\n\
         vrrp_instance VI_1 {\n    state MASTER\n    interface eth0\n    virtual_router_id 51\n    priority 101\n    \
         virtual_ipaddress {\n        192.168.0.100\n    }\n    track_script {\n        chk_haproxy\n    }\n}\n"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Generated models: format, read back through the real parser, same
    /// model.
    #[test]
    fn generated_models_round_trip_through_the_parser(c in gen::config()) {
        let text = format(&c);
        let loaded = load_str("gen.conf", &text, &Options::new());
        let errors = builder_errors(&loaded.diagnostics);
        prop_assert!(errors.is_empty(), "{errors:#?}\n{text}");
        prop_assert_eq!(&loaded.config, &c, "{}", text);
        prop_assert_eq!(format(&loaded.config), text);
    }
}

/// `gen` names spans through the crate root.
#[test]
fn spans_do_not_affect_equality() {
    let a = model::Spanned::new(1, Span::default());
    let b = model::Spanned::new(
        1,
        Span {
            line: 9,
            ..Span::default()
        },
    );
    assert_eq!(a, b);
    assert_ne!(a, model::Spanned::new(2, Span::default()));
}
