//! Field-by-field comparison with HAProxy 2.6's own answers, captured on
//! `tests/data/ops/haproxy.cfg` (see `tests/data/ops/README.md`).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod ops_support;

use haproxy_rs::ops::info::{info_fields, INFO_FIELDS};
use haproxy_rs::ops::stat::{csv_header, show_stat, StatOptions, STAT_FIELDS};
use haproxy_rs::ops::state::{show_backend, show_servers_state};
use ops_support::{golden, snapshot, snapshot_after_set};

/// Columns whose value follows from configuration and state alone.
const STATIC: &[&str] = &[
    "pxname",
    "svname",
    "slim",
    "status",
    "weight",
    "act",
    "bck",
    "qlimit",
    "pid",
    "iid",
    "sid",
    "type",
    "check_status",
    "check_code",
    "check_desc",
    "check_rise",
    "check_fall",
    "check_health",
    "last_chk",
    "addr",
    "cookie",
    "mode",
    "algo",
    "uweight",
    "chkfail",
    "chkdown",
    "rate_lim",
    "src_ilim",
    "hanafail",
    "tracked",
    "throttle",
];

/// Splits a CSV answer into its data rows.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// Compares ours with HAProxy's: same header, same rows, same cell count,
/// same empty cells, same static values.
fn compare_csv(theirs: &str, ours: &str) {
    assert_eq!(
        ours.lines().next(),
        theirs.lines().next(),
        "CSV header differs"
    );
    let (t, o) = (csv_rows(theirs), csv_rows(ours));
    assert_eq!(o.len(), t.len(), "row count");
    for (tr, or) in t.iter().zip(&o) {
        assert_eq!(or.len(), tr.len(), "cell count of {}/{}", tr[0], tr[1]);
        assert_eq!(
            or.len(),
            STAT_FIELDS.len() + 1,
            "128 cells + trailing comma"
        );
        for (i, name) in STAT_FIELDS.iter().enumerate() {
            let row = format!("{}/{}", tr[0], tr[1]);
            assert_eq!(
                or[i].is_empty(),
                tr[i].is_empty(),
                "{row} {name}: ours {:?}, HAProxy {:?}",
                or[i],
                tr[i]
            );
            if STATIC.contains(name) {
                assert_eq!(or[i], tr[i], "{row} {name}");
            }
        }
    }
}

#[test]
fn show_stat_matches_haproxy_at_admin_level() {
    let ours = show_stat(&snapshot(), StatOptions { show_legends: true });
    compare_csv(&golden("show_stat.csv"), &ours);
}

#[test]
fn show_stat_hides_addresses_at_user_level() {
    // Captured after the `set` commands below.
    let ours = show_stat(
        &snapshot_after_set(),
        StatOptions {
            show_legends: false,
        },
    );
    compare_csv(&golden("show_stat_user.csv"), &ours);
}

#[test]
fn show_stat_after_set_commands_matches_haproxy() {
    // DRAIN and the 50% weight on s3, MAINT with a paused check on s1,
    // the backend DOWN with weight 0, fe_main's new limit.
    let ours = show_stat(&snapshot_after_set(), StatOptions { show_legends: true });
    compare_csv(&golden("show_stat_after_set.csv"), &ours);
}

#[test]
fn show_servers_state_after_set_commands_matches_haproxy() {
    let theirs = golden("show_servers_state_after_set.txt");
    let ours = show_servers_state(&snapshot_after_set(), None).unwrap() + "\n";
    compare_state(&theirs, &ours);
}

#[test]
fn stats_page_csv_matches_haproxy() {
    // The stats page without `stats show-legends`: no addresses, no algo,
    // and no final blank line.
    let ours = show_stat(
        &snapshot(),
        StatOptions {
            show_legends: false,
        },
    );
    let theirs = golden("stats_page.csv");
    assert!(!theirs.ends_with("\n\n") && !ours.ends_with("\n\n"));
    compare_csv(&theirs, &ours);
}

#[test]
fn csv_header_is_haproxys() {
    let theirs = golden("show_stat.csv");
    assert_eq!(Some(csv_header().as_str()), theirs.lines().next());
}

#[test]
fn show_info_has_haproxys_fields_in_order() {
    let theirs = golden("show_info.txt");
    let snap = snapshot();
    let ours = info_fields(&snap.info);
    let their_lines: Vec<(&str, &str)> = theirs
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split_once(": ").unwrap_or((l, "")))
        .collect();
    assert_eq!(their_lines.len(), INFO_FIELDS.len());
    for ((tn, tv), (on, ov)) in their_lines.iter().zip(&ours) {
        assert_eq!(tn, on, "field order");
        match *tn {
            // Static for this configuration and build.
            "Name" | "Version" | "Release_date" | "Nbthread" | "Nbproc" | "Process_num"
            | "Maxconn" | "Hard_maxconn" | "Ulimit-n" | "Maxsock" | "Build info" | "node"
            | "Stopping" | "Tainted" | "Memmax_MB" | "PoolFailed" => {
                assert_eq!(tv, ov, "{tn}")
            }
            "Uptime" => {
                let shape = |s: &str| {
                    s.chars()
                        .map(|c| if c.is_ascii_digit() { '9' } else { c })
                        .collect::<String>()
                };
                assert_eq!(
                    shape(tv).replace("99", "9"),
                    shape(ov).replace("99", "9"),
                    "Uptime format"
                );
            }
            // Dynamic: both are numbers.
            _ => assert_eq!(
                tv.parse::<f64>().is_ok(),
                ov.parse::<f64>().is_ok(),
                "{tn}: {tv} vs {ov}"
            ),
        }
    }
}

#[test]
fn show_servers_state_matches_haproxy() {
    let theirs = golden("show_servers_state.txt");
    let ours = show_servers_state(&snapshot(), None).unwrap() + "\n";
    compare_state(&theirs, &ours);
}

/// Same lines, same columns, same values except the time since the last
/// change.
fn compare_state(theirs: &str, ours: &str) {
    let (t, o): (Vec<&str>, Vec<&str>) = (theirs.lines().collect(), ours.lines().collect());
    assert_eq!(o.len(), t.len());
    assert_eq!(o[..2], t[..2], "version and header");
    for (tl, ol) in t.iter().zip(&o).skip(2).filter(|(l, _)| !l.is_empty()) {
        let tf: Vec<&str> = tl.split(' ').collect();
        let of: Vec<&str> = ol.split(' ').collect();
        assert_eq!(of.len(), tf.len(), "{tl}");
        for (i, (a, b)) in tf.iter().zip(&of).enumerate() {
            // Column 9 is srv_time_since_last_change (dynamic).
            if i != 9 {
                assert_eq!(a, b, "column {i} of {tl}");
            }
        }
    }
}

#[test]
fn show_backend_matches_haproxy() {
    assert_eq!(show_backend(&snapshot()) + "\n", golden("show_backend.txt"));
}
