//! The typed, effective model: values as HAProxy reads them, and what each
//! proxy inherits from its `defaults` section.

// Test helpers: a failure to set a case up is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lbkit_haproxy_cfg::model::{AclRef, LogTarget, Mode, ProxyKind};
use lbkit_haproxy_cfg::{load_str, Host, Options, Port};
use std::net::Ipv4Addr;

fn load(text: &str) -> lbkit_haproxy_cfg::Loaded {
    let loaded = load_str(
        "model.cfg",
        text,
        &Options::new().env([("X", "1")]).hosts(["localhost"]),
    );
    assert!(!loaded.has_errors(), "{}", loaded.render());
    loaded
}

const DEFAULTS: &str = "defaults
    mode http
    log global
    option httplog
    retries 3
    timeout connect 5s
    timeout client 1m
    timeout server 90s
    timeout http-request 10s
    timeout queue 2m
    balance leastconn
    default-server inter 3s fall 2
    default_backend app
";

#[test]
fn frontends_and_backends_inherit_their_side_only() {
    let text = format!(
        "{DEFAULTS}frontend web\n    bind :80\nbackend app\n    server a 192.0.2.1:80 check\nlisten both\n    bind :81\n    server b 192.0.2.2:80\n"
    );
    let loaded = load(&text);
    let c = &loaded.config;
    let web = c.proxy("web").unwrap();
    assert_eq!(web.kind, ProxyKind::Frontend);
    assert_eq!(web.mode, Mode::Http);
    assert_eq!(web.timeouts.client.as_ref().map(|t| t.value), Some(60_000));
    assert_eq!(
        web.timeouts.http_request.as_ref().map(|t| t.value),
        Some(10_000)
    );
    assert!(
        web.timeouts.server.is_none(),
        "a frontend takes no server timeout"
    );
    assert!(web.timeouts.connect.is_none());
    assert!(web.balance.is_none(), "a frontend takes no balance");
    assert_eq!(web.retries, None);
    assert_eq!(
        web.default_backend.as_ref().map(|d| d.value.as_str()),
        Some("app")
    );
    assert!(web.option("httplog"));
    assert_eq!(web.logs.len(), 1);
    assert_eq!(web.logs[0].value, LogTarget::Global);

    let app = c.proxy("app").unwrap();
    assert_eq!(app.timeouts.server.as_ref().map(|t| t.value), Some(90_000));
    assert_eq!(app.timeouts.connect.as_ref().map(|t| t.value), Some(5_000));
    assert_eq!(app.timeouts.queue.as_ref().map(|t| t.value), Some(120_000));
    assert!(
        app.timeouts.client.is_none(),
        "a backend takes no client timeout"
    );
    assert_eq!(app.retries, Some(3));
    assert_eq!(
        app.balance.as_ref().map(|b| b.algorithm.as_str()),
        Some("leastconn")
    );
    assert!(app.default_backend.is_none());
    let a = app.server("a").unwrap();
    assert_eq!(a.options.inter, Some(3_000), "default-server applies");
    assert_eq!(a.options.fall, Some(2));
    assert_eq!(a.options.check, Some(true));
    assert_eq!(a.address.host, Host::V4(Ipv4Addr::new(192, 0, 2, 1)));
    assert_eq!(a.address.port, Port::Fixed(80));

    let both = c.proxy("both").unwrap();
    assert_eq!(both.timeouts.client.as_ref().map(|t| t.value), Some(60_000));
    assert_eq!(both.timeouts.server.as_ref().map(|t| t.value), Some(90_000));
    assert_eq!(both.retries, Some(3));
}

#[test]
fn own_lines_override_and_later_defaults_replace() {
    let text = "defaults first
    timeout client 1s
    timeout connect 1s
    timeout server 1s
    mode tcp
backend b1
    timeout server 7s
    server s 192.0.2.3:22
defaults
    mode http
    timeout client 2s
    timeout connect 2s
    timeout server 2s
backend b2
    server s 192.0.2.4:80
backend b3 from first
    server s 192.0.2.5:22
";
    let loaded = load(text);
    let c = &loaded.config;
    let b1 = c.proxy("b1").unwrap();
    assert_eq!(b1.timeouts.server.as_ref().map(|t| t.value), Some(7_000));
    assert_eq!(b1.mode, Mode::Tcp);
    assert_eq!(b1.inherits.as_deref(), Some("first"));
    let b2 = c.proxy("b2").unwrap();
    assert_eq!(b2.mode, Mode::Http);
    assert_eq!(b2.timeouts.server.as_ref().map(|t| t.value), Some(2_000));
    assert_eq!(b2.inherits.as_deref(), Some(""));
    let b3 = c.proxy("b3").unwrap();
    assert_eq!(b3.mode, Mode::Tcp);
    assert_eq!(b3.timeouts.connect.as_ref().map(|t| t.value), Some(1_000));
}

#[test]
fn options_negation_and_families() {
    let text = format!(
        "{DEFAULTS}backend app\n    no option httplog\n    option tcplog\n    option http-server-close\n    option httpclose\n    no option redispatch\n    server a 192.0.2.1:80\n"
    );
    let err = load_str("x.cfg", &text, &Options::new().hosts(["localhost"]));
    // `no option httplog` is refused: httplog has no negation.
    assert!(err.has_errors());
    let text = format!(
        "{DEFAULTS}backend app\n    option tcplog\n    option http-server-close\n    option httpclose\n    no option redispatch\n    server a 192.0.2.1:80\n"
    );
    let loaded = load(&text);
    let app = loaded.config.proxy("app").unwrap();
    assert!(app.option("tcplog"));
    assert!(!app.option("httplog"), "tcplog replaces httplog");
    assert!(app.option("httpclose"));
    assert!(
        !app.option("http-server-close"),
        "httpclose replaces http-server-close"
    );
    assert_eq!(app.options.get("redispatch"), Some(&false));
}

#[test]
fn binds_acls_rules_and_conditions() {
    let text = "defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend web
    bind :80,127.0.0.1:81 accept-proxy
    bind :8000-8002
    acl api path_beg /api
    acl admin src 192.0.2.0/24
    http-request deny if !admin api || { path /x }
    http-request set-header X-A \"a b\"
    use_backend app if api
    default_backend app
backend app
    server a 192.0.2.1:80
";
    let loaded = load(text);
    let web = loaded.config.proxy("web").unwrap();
    assert_eq!(web.binds.len(), 2);
    assert_eq!(web.binds[0].addresses.len(), 2);
    assert!(web.binds[0].accept_proxy);
    assert_eq!(web.binds[1].addresses[0].port, Port::Range(8000, 8002));
    assert_eq!(web.acls.len(), 2);
    assert_eq!(web.acls[0].sample.fetch, "path_beg");
    assert_eq!(web.acls[0].patterns, ["/api"]);
    let deny = &web.rules[0];
    assert_eq!(deny.keyword, "http-request");
    assert_eq!(deny.action.value, "deny");
    let cond = deny.condition.as_ref().unwrap();
    assert!(!cond.negated);
    assert_eq!(cond.any_of.len(), 2);
    assert_eq!(cond.any_of[0].len(), 2);
    assert!(cond.any_of[0][0].negated);
    assert!(matches!(&cond.any_of[0][0].acl, AclRef::Named(n) if n.value == "admin"));
    assert!(matches!(&cond.any_of[1][0].acl, AclRef::Anonymous(w) if w == &["path", "/x"]));
    assert_eq!(web.rules[1].args, ["X-A", "a b"]);
    assert_eq!(web.use_backends[0].backend.value, "app");
}

#[test]
fn global_section() {
    let text = "global
    log /dev/log local0 info
    log udp@198.51.100.7:514 local1
    maxconn 4000
    nbthread 4
    daemon
    pidfile /run/haproxy.pid
    stats socket /run/haproxy.sock mode 600 level admin
    tune.bufsize 32768
    ssl-default-bind-ciphers ECDHE-RSA-AES128-GCM-SHA256
";
    let loaded = load(text);
    let g = &loaded.config.global;
    assert_eq!(g.logs.len(), 2);
    assert!(
        matches!(&g.logs[0].value, LogTarget::Address { address, facility, options } if address == "/dev/log" && facility == "local0" && options == &["info"])
    );
    assert_eq!(g.maxconn.as_ref().map(|v| v.value), Some(4000));
    assert_eq!(g.nbthread.as_ref().map(|v| v.value), Some(4));
    assert!(g.daemon);
    assert_eq!(
        g.pidfile.as_ref().map(|v| v.value.as_str()),
        Some("/run/haproxy.pid")
    );
    assert_eq!(g.stats_sockets.len(), 1);
    assert_eq!(
        g.stats_sockets[0].value.options,
        ["mode", "600", "level", "admin"]
    );
    assert_eq!(
        g.tune.get("tune.bufsize").map(|v| v.value.as_str()),
        Some("32768")
    );
    assert!(g.ssl_defaults.contains_key("ssl-default-bind-ciphers"));
    assert_eq!(loaded.exit_code(), 0, "a stats socket is a listener");
}

#[test]
fn other_sections_are_kept_as_lines() {
    let text = "resolvers dns\n    nameserver ns1 192.0.2.53:53\npeers p\n    peer a 192.0.2.9:1024\nuserlist u\n    user admin insecure-password x\n";
    let loaded = load(text);
    let kinds: Vec<&str> = loaded
        .config
        .others
        .iter()
        .map(|o| o.keyword.as_str())
        .collect();
    assert_eq!(kinds, ["resolvers", "peers", "userlist"]);
    assert_eq!(
        loaded.config.others[0].lines[0].words,
        ["nameserver", "ns1", "192.0.2.53:53"]
    );
    assert_eq!(loaded.exit_code(), 2, "no listener");
}
