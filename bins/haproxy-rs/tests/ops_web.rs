//! The HTTP side of the running daemon: the stats page (`stats uri`,
//! `auth`, `refresh`, `admin`, `hide-version`), its `;csv` export and admin
//! form, and `http-request use-service prometheus-exporter`, all fetched
//! with curl.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod daemon;

use daemon::*;
use std::net::SocketAddr;
use std::process::Command;

/// Runs curl with `args`; (status, headers, body).
fn curl(args: &[&str]) -> (u16, String, String) {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10", "-D", "-"])
        .args(args)
        .output()
        .expect("curl runs (Debian package `curl`)");
    assert!(out.status.success(), "curl failed: {out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_owned())
}

fn start(dir: &TempDir) -> (Daemon, SocketAddr, SocketAddr) {
    let s1 = http_server("s1");
    let s2 = http_server("s2");
    let web = free_addr();
    let metrics = free_addr();
    let text = format!(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n\
         listen web\n    bind {web}\n    balance roundrobin\n    stats enable\n    stats uri /stats\n\
         \x20   stats auth admin:s3cret\n    stats realm Lab\n    stats refresh 5s\n    stats hide-version\n\
         \x20   stats admin if {{ src 127.0.0.1 }}\n    server s1 {s1}\n    server s2 {s2}\n\
         frontend prom\n    bind {metrics}\n    http-request use-service prometheus-exporter if {{ path /metrics }}\n\
         \x20   default_backend web\n"
    );
    let d = Daemon::run(dir, &text, web);
    wait_listening(metrics);
    (d, web, metrics)
}

#[test]
fn stats_page_csv_admin_form_and_prometheus() {
    let dir = TempDir::new("opsweb-page");
    let (_d, web, metrics) = start(&dir);
    let base = format!("http://{web}");
    // Traffic: four requests through the proxy.
    for _ in 0..4 {
        let (status, _, body) = curl(&[&format!("{base}/app")]);
        assert_eq!(status, 200);
        assert!(body == "s1\n" || body == "s2\n", "{body}");
    }

    // No credentials, then wrong ones: 401 with the realm.
    let (status, head, _) = curl(&[&format!("{base}/stats")]);
    assert_eq!(status, 401);
    assert!(
        head.contains("www-authenticate: basic realm=\"lab\""),
        "{head}"
    );
    let (status, _, _) = curl(&["-u", "admin:nope", &format!("{base}/stats")]);
    assert_eq!(status, 401);

    // The page: server rows, refresh header, no version, the admin form.
    let (status, head, page) = curl(&["-u", "admin:s3cret", &format!("{base}/stats")]);
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(head.contains("refresh: 5"), "{head}");
    assert!(
        page.contains(">s1<") && page.contains(">s2<"),
        "server rows"
    );
    assert!(!page.contains("2.6.12"), "stats hide-version");
    assert!(page.contains("<form"), "stats admin shows the form");

    // `;csv`: the header, then rows with the counters.
    let (status, head, csv) = curl(&["-u", "admin:s3cret", &format!("{base}/stats;csv")]);
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/plain"), "{head}");
    let rows = stat_rows(&csv);
    assert_eq!(field(&rows, "web", "s1", "hrsp_2xx"), "2");
    assert_eq!(field(&rows, "web", "s2", "hrsp_2xx"), "2");
    assert_eq!(field(&rows, "web", "BACKEND", "stot"), "4");
    // The page requests themselves are counted on the frontend (4 proxied,
    // then 3 pages of which 2 refused).
    assert_eq!(field(&rows, "web", "FRONTEND", "hrsp_2xx"), "5");
    assert_eq!(field(&rows, "web", "FRONTEND", "hrsp_4xx"), "2");
    let iid = field(&rows, "web", "BACKEND", "iid").to_owned();

    // The admin form: s1 into maintenance, then the redirection back.
    let form = format!("s=s1&action=maint&b=%23{iid}");
    let (status, head, _) = curl(&[
        "-u",
        "admin:s3cret",
        "--data",
        &form,
        &format!("{base}/stats"),
    ]);
    assert_eq!(status, 303);
    assert!(head.contains("location: /stats;st=done"), "{head}");
    let (_, _, csv) = curl(&["-u", "admin:s3cret", &format!("{base}/stats;csv")]);
    assert_eq!(field(&stat_rows(&csv), "web", "s1", "status"), "MAINT");
    for _ in 0..3 {
        assert_eq!(curl(&[&format!("{base}/app")]).2, "s2\n");
    }

    // Prometheus: every sample line parses, and HAProxy's names are there.
    let (status, head, text) = curl(&[&format!("http://{metrics}/metrics")]);
    assert_eq!(status, 200);
    assert!(
        head.contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    let mut names = std::collections::BTreeSet::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(c) = line.strip_prefix("# ") {
            assert!(c.starts_with("HELP ") || c.starts_with("TYPE "), "{line}");
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        assert!(value.parse::<f64>().is_ok() || value == "NaN", "{line}");
        let name = series.split('{').next().unwrap();
        assert!(
            name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "{line}"
        );
        names.insert(name.to_owned());
    }
    for prefix in [
        "haproxy_process_",
        "haproxy_frontend_",
        "haproxy_backend_",
        "haproxy_server_",
    ] {
        assert!(names.iter().any(|n| n.starts_with(prefix)), "no {prefix}*");
    }
    let s2_2xx = text
        .lines()
        .find(|l| {
            l.starts_with("haproxy_server_http_responses_total{")
                && l.contains("server=\"s2\"")
                && l.contains("code=\"2xx\"")
        })
        .unwrap();
    assert!(s2_2xx.ends_with(" 5"), "{s2_2xx}");
    // Other paths on that frontend still go to the backend.
    assert_eq!(curl(&[&format!("http://{metrics}/x")]).2, "s2\n");
}
