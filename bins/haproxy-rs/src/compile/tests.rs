//! One test per mapping rule: configuration text in, engine values out,
//! expectations written from HAProxy's documented behaviour.

use super::health::{status_ranges, HttpChk};
use super::*;
use haproxy_rs::proxy::config::{Fetch, HttpRequestAction, RedirectKind};
use lbkit_haproxy_cfg::{load_str, Options};
use lbkit_healthcheck::checkers::http::Expect;
use lbkit_healthcheck::checkers::Check;

const HEAD: &str = "defaults\n    mode http\n    timeout connect 5s\n    timeout client 1m\n    timeout server 30s\n";

fn compiled(text: &str) -> Compiled {
    let loaded = load_str("t.cfg", text, &Options::new());
    assert!(!loaded.has_errors(), "{}", loaded.render());
    match compile(&loaded) {
        Ok(c) => c,
        Err(e) => panic!("{e:?}"),
    }
}

fn errors(text: &str) -> Vec<CompileError> {
    let loaded = load_str("t.cfg", text, &Options::new());
    assert!(!loaded.has_errors(), "{}", loaded.render());
    match compile(&loaded) {
        Ok(_) => panic!("compiled"),
        Err(e) => e,
    }
}

fn be<'a>(c: &'a Compiled, name: &str) -> &'a Backend {
    c.config
        .backends
        .iter()
        .find(|b| b.name == name)
        .unwrap_or_else(|| panic!("no backend {name}"))
}

#[test]
fn listen_gives_a_frontend_and_a_backend_of_its_name() {
    let c = compiled(&format!(
        "{HEAD}listen web\n    bind 127.0.0.1:8080\n    server s1 127.0.0.1:9000\n"
    ));
    assert_eq!(c.config.frontends.len(), 1);
    assert_eq!(c.config.backends.len(), 1);
    assert_eq!(c.config.frontends[0].name, "web");
    assert_eq!(
        c.config.frontends[0].default_backend.as_deref(),
        Some("web")
    );
    assert_eq!(c.config.backends[0].name, "web");
    assert_eq!(
        c.config.backends[0].servers[0].addr.to_string(),
        "127.0.0.1:9000"
    );
}

#[test]
fn defaults_are_inherited_as_durations_and_retries_default_to_three() {
    let c = compiled(&format!(
        "{HEAD}    timeout http-request 10s\n    timeout queue 1m\n    option redispatch\n\
         frontend f\n    bind :8080\n    default_backend b\n\
         backend b\n    server s 127.0.0.1:1\n"
    ));
    let fe = &c.config.frontends[0];
    assert_eq!(fe.mode, Mode::Http);
    assert_eq!(fe.timeouts.client, Some(Duration::from_secs(60)));
    assert_eq!(fe.timeouts.http_request, Some(Duration::from_secs(10)));
    let b = be(&c, "b");
    assert_eq!(b.timeouts.connect, Some(Duration::from_secs(5)));
    assert_eq!(b.timeouts.server, Some(Duration::from_secs(30)));
    assert_eq!(b.timeouts.queue, Some(Duration::from_secs(60)));
    assert_eq!(b.retries, 3);
    assert_eq!(b.redispatch, Some(-1));
    let c = compiled(&format!(
        "{HEAD}backend b\n    retries 7\n    server s 127.0.0.1:1\n"
    ));
    assert_eq!(be(&c, "b").retries, 7);
    assert_eq!(be(&c, "b").redispatch, None);
}

#[test]
fn bind_ranges_and_lists_expand_and_ssl_keeps_crt_and_alpn() {
    // The checker looks the certificate file up; its content does not matter here.
    let pem = std::env::temp_dir().join(format!("compile-test-{}.pem", std::process::id()));
    std::fs::write(&pem, "x").unwrap_or_else(|e| panic!("{e}"));
    let c = compiled(&format!(
        "{HEAD}frontend f\n    bind 127.0.0.1:8080-8082,127.0.0.2:9000\n\
         bind 127.0.0.3:443 ssl crt {} alpn h2,http/1.1\n    default_backend b\n\
         backend b\n    server s 127.0.0.1:1\n",
        pem.display()
    ));
    let _ = std::fs::remove_file(&pem);
    let binds: Vec<String> = c.config.frontends[0]
        .binds
        .iter()
        .map(|b| b.addr.to_string())
        .collect();
    assert_eq!(
        binds,
        [
            "127.0.0.1:8080",
            "127.0.0.1:8081",
            "127.0.0.1:8082",
            "127.0.0.2:9000",
            "127.0.0.3:443"
        ]
    );
    assert!(c.config.frontends[0].binds[0].tls.is_none());
    let tls = c.config.frontends[0].binds[4]
        .tls
        .clone()
        .unwrap_or_default();
    assert_eq!(tls.crt, vec![pem]);
    assert_eq!(tls.alpn, ["h2", "http/1.1"]);
}

#[test]
fn any_address_binds_on_ipv4_unspecified() {
    let c = compiled(&format!(
        "{HEAD}frontend f\n    bind *:8080\n    bind :8081\n    default_backend b\n\
         backend b\n    server s 127.0.0.1:1\n"
    ));
    let fe = &c.config.frontends[0];
    assert_eq!(fe.binds[0].addr.to_string(), "0.0.0.0:8080");
    assert_eq!(fe.binds[1].addr.to_string(), "0.0.0.0:8081");
}

#[test]
fn acls_resolve_into_engine_fetches_with_ignore_case() {
    let c = compiled(&format!(
        "{HEAD}frontend f\n    bind :8080\n\
         acl api path_beg -i /api /v2\n    acl api hdr(host) -m end .example.com\n\
         acl local src 127.0.0.0/8\n\
         use_backend b if api !local or {{ ssl_fc }}\n    default_backend b\n\
         backend b\n    server s 127.0.0.1:1\n"
    ));
    let u = &c.config.frontends[0].use_backends[0];
    assert_eq!(u.backend, "b");
    assert!(!u.cond.negate);
    assert_eq!(u.cond.any.len(), 2);
    let first = &u.cond.any[0];
    assert_eq!(first.len(), 2);
    let api = &first[0].acl;
    assert!(!first[0].negate);
    assert_eq!(api.any.len(), 2);
    assert_eq!(api.any[0].fetch, Fetch::PathBeg);
    assert!(api.any[0].ignore_case);
    assert_eq!(api.any[0].patterns, ["/api", "/v2"]);
    assert_eq!(api.any[1].fetch, Fetch::HdrEnd("host".into()));
    assert!(!api.any[1].ignore_case);
    assert!(first[1].negate);
    assert_eq!(first[1].acl.any[0].fetch, Fetch::Src);
    assert_eq!(u.cond.any[1][0].acl.any[0].fetch, Fetch::SslFc);
}

#[test]
fn predefined_acls_are_known() {
    let c = compiled(&format!(
        "{HEAD}frontend f\n    bind :8080\n    http-request deny if METH_POST\n    default_backend b\n\
         backend b\n    server s 127.0.0.1:1\n"
    ));
    let r = &c.config.frontends[0].http_request[0];
    assert_eq!(r.cond.any[0][0].acl.any[0].fetch, Fetch::Method);
    assert_eq!(r.cond.any[0][0].acl.any[0].patterns, ["POST"]);
}

#[test]
fn an_unsupported_fetch_is_an_error_with_its_location() {
    let e = errors(&format!(
        "{HEAD}frontend f\n    bind :8080\n    acl p url_param(x) -m found\n    default_backend b\n\
         backend b\n    server s 127.0.0.1:1\n"
    ));
    assert_eq!(e.len(), 1);
    // HEAD has 5 lines; the acl line is the 8th, indented by 4.
    assert_eq!(e[0].location, "t.cfg:8:5");
    assert!(e[0].message.contains("url_param"), "{}", e[0].message);
}

#[test]
fn http_request_actions_map_one_to_one() {
    let c = compiled(&format!(
        "{HEAD}frontend f\n    bind :8080\n\
         http-request deny deny_status 429 if {{ path /x }}\n\
         http-request deny\n\
         http-request set-header X-A 1\n\
         http-request del-header X-B\n\
         http-request redirect prefix https://example.com code 301\n\
         http-request return status 204 content-type text/plain string ok hdr X-C 2\n\
         default_backend b\n\
         backend b\n    server s 127.0.0.1:1\n"
    ));
    let rules = &c.config.frontends[0].http_request;
    assert_eq!(rules.len(), 6);
    assert!(matches!(
        rules[0].action,
        HttpRequestAction::Deny { status: 429 }
    ));
    assert_eq!(rules[0].cond.any[0][0].acl.any[0].fetch, Fetch::Path);
    assert!(matches!(
        rules[1].action,
        HttpRequestAction::Deny { status: 403 }
    ));
    assert!(
        matches!(&rules[2].action, HttpRequestAction::SetHeader { name, value } if name == "X-A" && value == "1")
    );
    assert!(matches!(&rules[3].action, HttpRequestAction::DelHeader { name } if name == "X-B"));
    match &rules[4].action {
        HttpRequestAction::Redirect(r) => {
            assert_eq!(r.kind, RedirectKind::Prefix);
            assert_eq!(r.target, "https://example.com");
            assert_eq!(r.code, 301);
        }
        other => panic!("{other:?}"),
    }
    match &rules[5].action {
        HttpRequestAction::Return {
            status,
            content_type,
            body,
            headers,
        } => {
            assert_eq!(*status, 204);
            assert_eq!(content_type.as_deref(), Some("text/plain"));
            assert_eq!(body, "ok");
            assert_eq!(headers, &[("X-C".to_string(), "2".to_string())]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_unsupported_action_is_an_error() {
    let e = errors(&format!(
        "{HEAD}frontend f\n    bind :8080\n    http-request set-var(txn.x) str(1)\n    default_backend b\n\
         backend b\n    server s 127.0.0.1:1\n"
    ));
    assert_eq!(e[0].location, "t.cfg:8:18");
}

#[test]
fn balance_and_hash_type_go_through_lbkit_sched() {
    let c = compiled(&format!(
        "{HEAD}backend b\n    balance uri len 12\n    hash-type consistent djb2\n    option allbackups\n\
         server s 127.0.0.1:1\n"
    ));
    let want = BalancerConfig::from_balance("uri len 12")
        .map(|b| {
            b.hash_type("consistent djb2".parse().unwrap_or_default())
                .allbackups(true)
        })
        .ok();
    assert_eq!(Some(be(&c, "b").balance.clone()), want);
    assert_ne!(
        be(&c, "b").balance.hash_type,
        HashType::default(),
        "consistent djb2 differs from the default"
    );
    let c = compiled(&format!(
        "{HEAD}backend b\n    balance leastconn\n    server s 127.0.0.1:1\n"
    ));
    assert_eq!(
        Some(be(&c, "b").balance.clone()),
        BalancerConfig::from_balance("leastconn").ok()
    );
}

#[test]
fn server_ids_fill_the_free_numbers_in_order_and_options_carry_over() {
    let c = compiled(&format!(
        "{HEAD}backend b\n    server a 127.0.0.1:1\n    server b 127.0.0.1:2 id 1 weight 20 maxconn 7\n\
         server c 127.0.0.1:3 backup disabled slowstart 10s\n"
    ));
    let s = &be(&c, "b").servers;
    assert_eq!((s[0].name.as_str(), s[0].id), ("a", 2));
    assert_eq!((s[1].name.as_str(), s[1].id), ("b", 1));
    assert_eq!((s[2].name.as_str(), s[2].id), ("c", 3));
    assert_eq!((s[1].weight, s[1].maxconn), (20, 7));
    assert_eq!(s[0].weight, 1);
    assert!(s[2].backup && s[2].disabled && !s[0].backup);
    assert_eq!(s[2].slowstart, Some(Duration::from_secs(10)));
}

#[test]
fn log_targets_expand_global_with_facility_and_level_numbers() {
    let c = compiled(
        "global\n    log 127.0.0.1 local2\n    log /dev/log local0 notice\n\
         defaults\n    mode http\n    log global\n    option httplog\n    option dontlognull\n\
         frontend f\n    bind :8080\n    log 127.0.0.1:1514 local0 err\n    default_backend b\n\
         backend b\n    server s 127.0.0.1:1\n",
    );
    let log = &c.config.frontends[0].log;
    assert_eq!(log.format, LogFormat::Http);
    assert!(log.dontlognull);
    assert_eq!(log.targets.len(), 3);
    let t = &log.targets;
    assert!(matches!(t[0].addr, LogAddr::Udp(a) if a.to_string() == "127.0.0.1:514"));
    assert_eq!((t[0].facility, t[0].level), (18, 7));
    assert!(matches!(&t[1].addr, LogAddr::Unix(p) if p == &PathBuf::from("/dev/log")));
    assert_eq!((t[1].facility, t[1].level), (16, 5));
    assert!(matches!(t[2].addr, LogAddr::Udp(a) if a.to_string() == "127.0.0.1:1514"));
    assert_eq!((t[2].facility, t[2].level), (16, 3));
}

#[test]
fn connection_modes_and_forwardfor() {
    let c = compiled(&format!(
        "{HEAD}    option http-server-close\nfrontend f\n    bind :8080\n    option forwardfor\n\
         default_backend b\nbackend b\n    option httpclose\n    server s 127.0.0.1:1\n"
    ));
    assert_eq!(
        c.config.frontends[0].http_conn_mode,
        HttpConnMode::ServerClose
    );
    assert!(c.config.frontends[0].forwardfor);
    assert_eq!(be(&c, "b").http_conn_mode, HttpConnMode::Close);
    assert!(!be(&c, "b").forwardfor);
}

#[test]
fn checked_servers_get_rise_fall_and_intervals() {
    let c = compiled(&format!(
        "{HEAD}backend app\n    server app1 127.0.0.1:81 check\n\
         server app3 127.0.0.1:83 check inter 2s rise 4 fall 3 fastinter 500 downinter 5s\n\
         server app4 127.0.0.1:84 backup\n    server app5 127.0.0.1:85 check disabled\n"
    ));
    assert_eq!(
        c.checks.len(),
        2,
        "app4 has no check, app5 stays in maintenance"
    );
    let a1 = &c.checks[0];
    assert_eq!((a1.backend.as_str(), a1.server.as_str()), ("app", "app1"));
    assert_eq!(a1.settings.inter, Duration::from_secs(2));
    assert_eq!((a1.settings.rise, a1.settings.fall), (2, 3));
    assert!(matches!(&a1.check, Check::Tcp(t) if t.addr.to_string() == "127.0.0.1:81"));
    let a3 = &c.checks[1];
    assert_eq!((a3.settings.rise, a3.settings.fall), (4, 3));
    assert_eq!(a3.settings.fastinter, Some(Duration::from_millis(500)));
    assert_eq!(a3.settings.downinter, Some(Duration::from_secs(5)));
    let Check::Tcp(t) = &a1.check else {
        panic!("not tcp")
    };
    assert_eq!(
        t.timeout,
        Duration::from_secs(2),
        "inter bounds the whole check"
    );
    let c = compiled(&format!(
        "{HEAD}    timeout check 1s\nbackend app\n    server a 127.0.0.1:81 check inter 10s\n"
    ));
    let Check::Tcp(t) = &c.checks[0].check else {
        panic!("not tcp")
    };
    assert_eq!(
        t.timeout,
        Duration::from_secs(6),
        "min(connect 5s, inter 10s) + check 1s"
    );
}

#[test]
fn httpchk_is_read_from_the_section_or_its_defaults() {
    let c = compiled(&format!(
        "{HEAD}    option httpchk GET /health HTTP/1.1\n\
         backend a\n    http-check expect status 200-299,302\n    server s 127.0.0.1:81 check port 9000\n\
         backend b\n    option httpchk HEAD /ping\n    server s 127.0.0.1:82 check\n"
    ));
    let Check::Http(a) = &c.checks[0].check else {
        panic!("not http")
    };
    assert_eq!(a.method, http::Method::GET);
    assert_eq!(a.uri, "/health");
    assert_eq!(a.version, http::Version::HTTP_11);
    assert_eq!(a.addr.to_string(), "127.0.0.1:9000");
    assert!(matches!(&a.expect, Expect::Status(r) if r == &vec![200..=299, 302..=302]));
    let Check::Http(b) = &c.checks[1].check else {
        panic!("not http")
    };
    assert_eq!(b.method, http::Method::HEAD);
    assert_eq!(b.uri, "/ping");
    assert_eq!(b.version, http::Version::HTTP_10);
    assert!(matches!(b.expect, Expect::Default));
}

#[test]
fn httpchk_words_as_haproxy_reads_them() {
    let d = HttpChk::parse(&[]);
    assert_eq!(
        (d.method.as_str(), d.uri.as_str(), d.version.as_str()),
        ("OPTIONS", "/", "HTTP/1.0")
    );
    let u = HttpChk::parse(&["/x"]);
    assert_eq!((u.method.as_str(), u.uri.as_str()), ("OPTIONS", "/x"));
    let h = HttpChk::parse(&["GET", "/", "HTTP/1.1\r\nHost: www"]);
    assert_eq!(h.version, "HTTP/1.1");
    assert_eq!(h.headers, [("Host".to_string(), "www".to_string())]);
    assert_eq!(status_ranges("200"), Some(vec![200..=200]));
    assert_eq!(status_ranges("300-200"), None);
    assert_eq!(status_ranges("x"), None);
}

#[test]
fn global_process_settings() {
    let c = compiled(&format!(
        "global\n    nbthread 3\n    daemon\n    pidfile /run/x.pid\n    user haproxy\n    \
         master-worker\n    hard-stop-after 90s\n{HEAD}\
         backend b\n    server s 127.0.0.1:1\n"
    ));
    assert_eq!(
        c.process,
        ProcessSettings {
            nbthread: Some(3),
            daemon: true,
            pidfile: Some(PathBuf::from("/run/x.pid")),
            stats_sockets: Vec::new(),
            hard_stop_after: Some(Duration::from_secs(90)),
            master_worker: true,
        }
    );
    assert!(c.warnings.iter().any(|w| w.message.contains("'user'")));
}

#[test]
fn stats_sockets_take_their_level_mode_and_the_stats_timeout() {
    use haproxy_rs::ops::cli::Level;
    use haproxy_rs::ops::socket::SocketAddress;
    let c = compiled(&format!(
        "global\n    stats socket /run/a.sock mode 660 level admin\n    \
         stats socket ipv4@127.0.0.1:9999 level user\n    stats timeout 30s\n{HEAD}\
         backend b\n    server s 127.0.0.1:1\n"
    ));
    let got: Vec<_> = c
        .process
        .stats_sockets
        .iter()
        .map(|s| (s.address.clone(), s.mode, s.level, s.timeout))
        .collect();
    assert_eq!(
        got,
        [
            (
                SocketAddress::Unix("/run/a.sock".into()),
                Some(0o660),
                Level::Admin,
                std::time::Duration::from_secs(30)
            ),
            (
                SocketAddress::Tcp(([127, 0, 0, 1], 9999).into()),
                None,
                Level::User,
                std::time::Duration::from_secs(30)
            ),
        ]
    );
}

#[test]
fn stats_page_and_prometheus_service_compile() {
    use haproxy_rs::proxy::config::HttpRequestAction;
    let c = compiled(&format!(
        "{HEAD}listen web\n    bind 127.0.0.1:8080\n    stats enable\n    stats auth a:b\n\
         \x20   stats refresh 1500ms\n    stats hide-version\n    stats admin if {{ src 127.0.0.1 }}\n\
         \x20   http-request use-service prometheus-exporter if {{ path /metrics }}\n\
         \x20   server s 127.0.0.1:1\n\
         frontend plain\n    bind 127.0.0.1:8081\n    default_backend web\n"
    ));
    let page = c.config.frontends[0].stats.clone().expect("stats page");
    assert_eq!(page.uri, "/haproxy?stats");
    assert_eq!(page.realm, "HAProxy Statistics");
    assert_eq!(page.auth, ["YTpi"]);
    assert_eq!(page.refresh_secs, Some(2));
    assert!(page.hide_version && page.admin.is_some());
    assert!(matches!(
        c.config.frontends[0].http_request[0].action,
        HttpRequestAction::PrometheusExporter
    ));
    assert!(c.config.frontends[1].stats.is_none());
}

#[test]
fn stats_page_in_a_backend_is_reported_not_applied() {
    let c = compiled(&format!(
        "{HEAD}frontend f\n    bind 127.0.0.1:8080\n    default_backend b\n\
         backend b\n    stats enable\n    server s 127.0.0.1:1\n"
    ));
    assert!(c.config.frontends[0].stats.is_none());
    assert!(
        c.warnings
            .iter()
            .any(|w| w.message.contains("'b': the stats page")),
        "{:?}",
        c.warnings
    );
}
