//! The stats page against HAProxy 2.6's (`tests/data/ops/stats.html`,
//! `stats admin if TRUE`, `stats refresh 5s`): the same anchors and row
//! kinds in the same order, the same column groups, the server rows'
//! colours, the admin form, `stats hide-version` and the headers.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod ops_support;

use haproxy_rs::ops::cli::{AdminAction, ServerRef};
use haproxy_rs::ops::html::{parse_admin_post, render, response_headers, PageOptions};
use ops_support::{golden, snapshot};

/// `(row class, anchor)` of every frontend, server and backend row.
fn rows(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for part in html.split("<tr class=\"").skip(1) {
        let class = part.split('"').next().unwrap_or("").to_owned();
        if class == "titre" {
            continue;
        }
        let Some(a) = part.split("<a name=\"").nth(1) else {
            continue;
        };
        out.push((class, a.split('"').next().unwrap_or("").to_owned()));
    }
    out
}

/// The page options of the captured configuration.
fn opts() -> PageOptions {
    PageOptions {
        uri: "/stats".into(),
        refresh_secs: Some(5),
        hide_version: false,
        admin: true,
    }
}

#[test]
fn rows_anchors_and_colours_match_haproxy() {
    let theirs = rows(&golden("stats.html"));
    let ours = rows(&render(&snapshot(), &opts()));
    assert_eq!(ours, theirs);
    assert_eq!(ours.len(), 11);
}

#[test]
fn column_groups_match_haproxy() {
    let theirs = golden("stats.html");
    let ours = render(&snapshot(), &opts());
    let groups = "<th colspan=3>Queue</th><th colspan=3>Session rate</th><th colspan=6>Sessions</th><th colspan=2>Bytes</th><th colspan=2>Denied</th><th colspan=3>Errors</th><th colspan=2>Warnings</th><th colspan=9>Server</th>";
    assert!(theirs.contains(groups));
    assert_eq!(ours.matches(groups).count(), theirs.matches(groups).count());
    let cols = "<th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Total</th><th>LbTot</th><th>Last</th><th>In</th><th>Out</th><th>Req</th><th>Resp</th><th>Req</th><th>Conn</th><th>Resp</th><th>Retr</th><th>Redis</th><th>Status</th><th>LastChk</th><th>Wght</th><th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th><th>Dwntme</th><th>Thrtle</th>";
    assert_eq!(ours.matches(cols).count(), theirs.matches(cols).count());
    for needle in [
        "HAProxy version 2.6.12-1+deb12u4, released 2026/10/17",
        "Statistics Report for pid 2645",
        "<td class=ac>6s UP</td>",
        "<td class=ac><u> L7OK/200 in 0ms<div class=tips>Layer7 check passed</div></u></td>",
        "<u> L4CON in 0ms<div class=tips>Layer4 connection problem: Connection refused</div></u>",
        "<td class=ac>11/11</td>",
    ] {
        assert!(theirs.contains(needle), "HAProxy lacks {needle}");
        assert!(ours.contains(needle), "ours lacks {needle}");
    }
}

#[test]
fn admin_form_only_when_allowed() {
    let ours = render(&snapshot(), &opts());
    assert_eq!(
        ours.matches("<form method=\"post\">").count(),
        2,
        "be_app and be_tcp"
    );
    assert!(ours.contains("<input type=\"hidden\" name=\"b\" value=\"#4\">"));
    assert!(
        ours.contains("<input class='be_app-checkbox' type=\"checkbox\" name=\"s\" value=\"s3\">")
    );
    let theirs = golden("stats.html");
    assert!(theirs.contains("<input type=\"hidden\" name=\"b\" value=\"#4\">"));
    let plain = render(
        &snapshot(),
        &PageOptions {
            admin: false,
            ..opts()
        },
    );
    assert!(!plain.contains("<form method=\"post\">"));
    assert!(!plain.contains("checkbox"));
}

#[test]
fn hide_version_and_refresh() {
    let page = render(
        &snapshot(),
        &PageOptions {
            hide_version: true,
            ..opts()
        },
    );
    assert!(!page.contains("2.6.12"));
    assert!(page.contains("Disable refresh"));
    assert_eq!(
        response_headers(&opts(), false),
        [
            ("cache-control", "no-cache".to_owned()),
            ("content-type", "text/html".to_owned()),
            ("refresh", "5".to_owned())
        ]
    );
    let theirs = golden("stats_html_headers.txt").to_lowercase();
    assert!(theirs.contains("refresh: 5") && theirs.contains("content-type: text/html"));
    let no_refresh = render(
        &snapshot(),
        &PageOptions {
            refresh_secs: None,
            ..opts()
        },
    );
    assert!(!no_refresh.contains("Disable refresh"));
}

#[test]
fn admin_post_becomes_changes() {
    let snap = snapshot();
    let changes = parse_admin_post("s=s1&s=s3&s=zz&action=drain&b=%234", &snap).unwrap();
    let r = |s: &str| ServerRef {
        backend: "be_app".into(),
        server: s.into(),
    };
    assert_eq!(
        changes,
        [(r("s1"), AdminAction::Drain), (r("s3"), AdminAction::Drain)]
    );
    assert!(parse_admin_post("s=s1&action=drain&b=%2399", &snap).is_err());
    assert!(parse_admin_post("s=s1&action=dhlth&b=%234", &snap).is_err());
}
