//! The semantic checks on real configuration text: one test per check
//! (code, message and the line the caret points at), and the seed
//! configurations of the Red Hat guide, which must check clean except for
//! what keepalived itself reports.

use lbkit_keepalived_cfg::{load_str, Diagnostic, Options, Severity};

/// Every diagnostic of `text`.
fn all(text: &str) -> Vec<Diagnostic> {
    load_str("keepalived.conf", text, &Options::new()).diagnostics
}

/// The semantic-check diagnostics (`E02xx` / `W02xx`) of `text`, as
/// (code, line, message).
fn checks(text: &str) -> Vec<(&'static str, u32, String)> {
    all(text)
        .into_iter()
        .filter(|d| d.code.get(1..3) == Some("02"))
        .map(|d| (d.code, d.span.map_or(0, |s| s.line), d.message))
        .collect()
}

/// Asserts the semantic checks of `text` find exactly `expected`.
fn expect(text: &str, expected: &[(&str, u32, &str)]) {
    let found = checks(text);
    let found: Vec<(&str, u32, &str)> =
        found.iter().map(|(c, l, m)| (*c, *l, m.as_str())).collect();
    assert_eq!(found, expected, "in:\n{text}");
}

/// `vrrp_instance VI_1` on line 1 with `body` from line 2, and a VIP.
fn instance(body: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{\n{body}\n    virtual_ipaddress {{\n        192.0.2.100\n    }}\n}}\n"
    )
}

// ---- the seed configurations ------------------------------------------

/// §4.1, LB1: a sync group of two MASTER instances and a NAT virtual server.
const SEED_LB1: &str = include_str!("data/seed/lb1.conf");

/// §4.2, the DR master.
const SEED_DR: &str = include_str!("data/seed/dr-master.conf");

/// Appendix A: a vrrp_script tracked by an instance, no script security.
const SEED_APPENDIX_A: &str = include_str!("data/seed/appendix-a.conf");

#[test]
fn seed_lb1_is_clean() {
    assert_eq!(all(SEED_LB1), vec![]);
}

#[test]
fn seed_lb2_is_clean() {
    let lb2 = SEED_LB1
        .replace("state MASTER", "state BACKUP")
        .replace("priority 100", "priority 99");
    assert_eq!(all(&lb2), vec![]);
}

#[test]
fn seed_dr_master_is_clean() {
    assert_eq!(all(SEED_DR), vec![]);
}

/// keepalived 2.2.7 exits 6 on Appendix A: `killall` is run as root
/// without script security. Where `killall` is not installed keepalived
/// disables the script instead (exit 5).
#[test]
fn seed_appendix_a_gets_the_script_security_verdict() {
    let diags = all(SEED_APPENDIX_A);
    let killall = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .any(|d| d.join("killall").is_file());
    let expected = if killall { "E0280" } else { "E0282" };
    let found: Vec<(&str, Option<u32>)> = diags
        .iter()
        .map(|d| (d.code, d.span.map(|s| s.line)))
        .collect();
    assert_eq!(found, vec![(expected, Some(2))]);
    assert_eq!(diags[0].severity, Severity::Error);
}

// ---- VRRP instances ---------------------------------------------------

#[test]
fn e0200_missing_virtual_router_id() {
    expect(
        &instance("    interface eth0"),
        &[("E0200", 1, "vrrp_instance `VI_1` has no virtual_router_id")],
    );
}

#[test]
fn w0203_priority_255() {
    expect(
        &instance("    interface eth0\n    virtual_router_id 51\n    priority 255"),
        &[("W0203", 4, "priority 255 makes `VI_1` the address owner")],
    );
}

#[test]
fn w0204_master_without_priority() {
    expect(
        &instance("    interface eth0\n    state MASTER\n    virtual_router_id 51"),
        &[(
            "W0204",
            3,
            "`state MASTER` without `priority` makes `VI_1` the address owner (priority 255)",
        )],
    );
}

#[test]
fn e0205_fractional_advert_int_with_v2() {
    expect(
        &instance("    interface eth0\n    virtual_router_id 51\n    advert_int 1.5"),
        &[(
            "E0205",
            4,
            "advert_int of 1.5 s is not a whole number of seconds",
        )],
    );
}

#[test]
fn e0206_long_advert_int_with_v3() {
    expect(
        &instance("    interface eth0\n    virtual_router_id 51\n    version 3\n    advert_int 50"),
        &[(
            "E0206",
            5,
            "advert_int of 50 s is too long for VRRP version 3",
        )],
    );
}

#[test]
fn e0209_authentication_with_v3() {
    let body = "    interface eth0\n    virtual_router_id 51\n    version 3\n    authentication {\n        auth_type PASS\n        auth_pass secret\n    }";
    expect(
        &instance(body),
        &[("E0209", 5, "VRRP version 3 has no authentication")],
    );
}

#[test]
fn w0213_ipv6_with_version_2() {
    let text = "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    version 2\n    virtual_ipaddress {\n        2001:db8::1\n    }\n}\n";
    expect(
        text,
        &[(
            "W0213",
            6,
            "IPv6 virtual address in a VRRP version 2 instance",
        )],
    );
}

#[test]
fn e0214_mixed_families() {
    let text = "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.1\n        2001:db8::1\n    }\n}\n";
    expect(
        text,
        &[(
            "E0214",
            6,
            "virtual address family differs from the instance's first address",
        )],
    );
}

#[test]
fn e0215_no_virtual_address() {
    expect(
        "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n}\n",
        &[("E0215", 1, "vrrp_instance `VI_1` has no virtual address")],
    );
}

#[test]
fn e0216_no_interface() {
    expect(
        &instance("    virtual_router_id 51"),
        &[("E0216", 1, "vrrp_instance `VI_1` has no interface")],
    );
}

#[test]
fn e0218_nopreempt_with_master() {
    expect(
        &instance("    interface eth0\n    state MASTER\n    virtual_router_id 51\n    priority 100\n    nopreempt"),
        &[(
            "E0218",
            6,
            "`nopreempt` does not work with initial state MASTER",
        )],
    );
}

#[test]
fn e0222_track_script_defined_after_use() {
    let text = "global_defs {\n    enable_script_security\n    script_user root\n}\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.1\n    }\n    track_script {\n        chk\n    }\n}\nvrrp_script chk {\n    script \"/bin/true\"\n}\n";
    expect(
        text,
        &[("E0222", 12, "track_script `chk` is defined after its use")],
    );
}

#[test]
fn e0226_duplicate_vrid_on_one_interface() {
    let text = "vrrp_instance A {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.1\n    }\n}\nvrrp_instance B {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.2\n    }\n}\n";
    expect(
        text,
        &[(
            "E0226",
            10,
            "`A` and `B` both use VRID 51 with IPv4 on interface eth0",
        )],
    );
}

// ---- sync groups ------------------------------------------------------

#[test]
fn e0230_e0232_undefined_member_leaves_one() {
    let text = "vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n}\nvrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.1\n    }\n}\n";
    expect(
        text,
        &[
            ("E0232", 1, "sync group `G` has only one instance"),
            (
                "E0230",
                4,
                "sync group `G` names instance `VI_2`, which is not defined",
            ),
        ],
    );
}

// ---- virtual servers --------------------------------------------------

#[test]
fn e0241_e0242_e0244_bare_virtual_server() {
    let text = "virtual_server 192.0.2.1 80 {\n    real_server 192.0.2.10 80 {\n    }\n}\n";
    expect(
        text,
        &[
            ("E0241", 1, "virtual_server 192.0.2.1 80 has no protocol"),
            ("E0242", 1, "virtual_server 192.0.2.1 80 has no lb_algo"),
            ("E0244", 1, "virtual_server 192.0.2.1 80 has no lb_kind"),
        ],
    );
}

#[test]
fn e0240_no_real_server() {
    expect(
        "virtual_server 192.0.2.1 80 {\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n}\n",
        &[("E0240", 1, "virtual_server 192.0.2.1 80 has no real server")],
    );
}

#[test]
fn e0246_e0247_e0249_dr_server_checks() {
    let text = "virtual_server 192.0.2.1 80 {\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n    quorum 5\n    real_server 192.0.2.10 8080 {\n    }\n    real_server 192.0.2.10 8080 {\n    }\n}\n";
    expect(
        text,
        &[
            (
                "E0247",
                5,
                "quorum 5 exceeds the total weight 1 of the real servers",
            ),
            (
                "E0249",
                6,
                "real server port 8080 differs from the virtual server port 80",
            ),
            ("E0246", 8, "real server 192.0.2.10 8080 is defined twice"),
        ],
    );
}

#[test]
fn w0254_undefined_group() {
    let text = "virtual_server group WEB {\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n    real_server 192.0.2.10 80 {\n    }\n}\n";
    expect(
        text,
        &[("W0254", 1, "virtual_server_group `WEB` is not defined")],
    );
}

#[test]
fn w0255_checker_without_port() {
    let text = "virtual_server fwmark 1 {\n    lb_algo rr\n    lb_kind DR\n    real_server 192.0.2.10 {\n        TCP_CHECK {\n            connect_timeout 3\n        }\n    }\n}\n";
    expect(text, &[("W0255", 5, "TCP_CHECK has no port to connect to")]);
}

// ---- scripts ----------------------------------------------------------

#[test]
fn w0283_relative_notify_script() {
    let body = "    interface eth0\n    virtual_router_id 51\n    notify_master \"lbkit-no-such-notify.sh\"";
    expect(
        &instance(body),
        &[
            (
                "W0283",
                4,
                "notify script `lbkit-no-such-notify.sh` is not an absolute path",
            ),
            (
                "W0285",
                4,
                "script `lbkit-no-such-notify.sh` cannot be found",
            ),
        ],
    );
}

#[test]
fn strict_mode_makes_check_warnings_errors() {
    let text = instance("    interface eth0\n    virtual_router_id 51\n    priority 255");
    let loaded = load_str("k.conf", &text, &Options::new().strict(true));
    let d: Vec<(&str, Severity)> = loaded
        .diagnostics
        .iter()
        .map(|d| (d.code, d.severity))
        .collect();
    assert_eq!(d, vec![("W0203", Severity::Error)]);
}

// ---- more checks on text -----------------------------------------------

#[test]
fn e0227_unicast_source_without_peers() {
    expect(
        &instance("    interface eth0\n    virtual_router_id 51\n    unicast_src_ip 192.0.2.5"),
        &[("E0227", 4, "a unicast setting without unicast peers")],
    );
}

#[test]
fn e0234_owner_and_backup_in_one_sync_group() {
    let text = "vrrp_sync_group G {\n    group {\n        A\n        B\n    }\n}\nvrrp_instance A {\n    interface eth0\n    state MASTER\n    priority 255\n    virtual_router_id 1\n    virtual_ipaddress {\n        192.0.2.1\n    }\n}\nvrrp_instance B {\n    interface eth1\n    state BACKUP\n    virtual_router_id 2\n    virtual_ipaddress {\n        192.0.2.2\n    }\n}\n";
    expect(
        text,
        &[
            (
                "E0234",
                4,
                "sync group `G` mixes address owners and backup instances",
            ),
            ("W0203", 10, "priority 255 makes `A` the address owner"),
        ],
    );
}

#[test]
fn e0243_ops_with_tcp() {
    let text = "virtual_server 192.0.2.1 80 {\n    lb_algo rr\n    ops\n    lb_kind NAT\n    protocol TCP\n    real_server 192.0.2.10 80 {\n    }\n}\n";
    expect(
        text,
        &[("E0243", 3, "one-packet scheduling (`ops`) needs UDP")],
    );
}

#[test]
fn e0245_real_server_family() {
    let text = "virtual_server 192.0.2.1 80 {\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n    real_server 2001:db8::10 80 {\n    }\n    real_server 192.0.2.10 80 {\n    }\n}\n";
    expect(
        text,
        &[(
            "E0245",
            5,
            "real server address family differs from the virtual server's",
        )],
    );
}

#[test]
fn e0249_dr_sorry_server_port() {
    let text = "virtual_server 192.0.2.1 80 {\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n    sorry_server 192.0.2.99 8080\n    real_server 192.0.2.10 80 {\n    }\n}\n";
    expect(
        text,
        &[(
            "E0249",
            5,
            "sorry server port 8080 differs from the virtual server port 80",
        )],
    );
}

#[test]
fn e0280_notify_script_without_security() {
    let body = "    interface eth0\n    virtual_router_id 51\n    notify_master /bin/true";
    expect(
        &instance(body),
        &[(
            "E0280",
            4,
            "scripts are run but `enable_script_security` is not set",
        )],
    );
}

#[test]
fn e0281_vrrp_script_without_script() {
    let text = format!(
        "vrrp_script chk {{\n    interval 2\n}}\n{}",
        instance("    interface eth0\n    virtual_router_id 51")
    );
    expect(&text, &[("E0281", 1, "vrrp_script `chk` has no script")]);
}

#[test]
fn e0282_track_program_not_found() {
    let text = format!(
        "global_defs {{\n    enable_script_security\n    script_user root\n}}\nvrrp_script chk {{\n    script \"/nonexistent/lbkit/check\"\n}}\n{}",
        instance("    interface eth0\n    virtual_router_id 51\n    track_script {\n        chk\n    }")
    );
    expect(
        &text,
        &[(
            "E0282",
            6,
            "vrrp_script `chk` runs `/nonexistent/lbkit/check`, which cannot be found",
        )],
    );
}

#[test]
fn e0287_script_of_another_user() {
    let text = format!(
        "global_defs {{\n    enable_script_security\n    script_user root\n}}\nvrrp_script chk {{\n    script \"/bin/true\"\n    user nobody\n}}\n{}",
        instance("    interface eth0\n    virtual_router_id 51\n    track_script {\n        chk\n    }")
    );
    expect(
        &text,
        &[(
            "E0287",
            6,
            "`keepalived -t` cannot check a script run as `nobody`",
        )],
    );
}

#[test]
fn e0288_missing_script_user() {
    expect(
        "global_defs {\n    script_user lbkit-no-such-user\n}\n",
        &[("E0288", 2, "user `lbkit-no-such-user` does not exist")],
    );
}

#[test]
fn w0290_mail_without_server() {
    expect(
        "global_defs {\n    notification_email {\n        admin@example.com\n    }\n}\n",
        &[("W0290", 3, "alert mail has no smtp_server")],
    );
}

// ---- rendered like rustc (snapshots) --------------------------------------

/// Every diagnostic of `text`, rendered.
fn rendered(text: &str) -> String {
    load_str("keepalived.conf", text, &Options::new()).render()
}

#[test]
fn snapshot_track_script_defined_after_use() {
    let text = "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.1\n    }\n    track_script {\n        chk\n    }\n}\nvrrp_script chk {\n    script \"</etc/hostname\"\n}\n";
    assert_eq!(rendered(text), SNAP_E0222);
}

#[test]
fn snapshot_duplicate_vrid() {
    let text = "vrrp_instance A {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.1\n    }\n}\nvrrp_instance B {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.2\n    }\n}\n";
    assert_eq!(rendered(text), SNAP_E0226);
}

#[test]
fn snapshot_script_security() {
    assert_eq!(
        rendered(&instance(
            "    interface eth0\n    virtual_router_id 51\n    notify /bin/true"
        )),
        SNAP_E0280
    );
}

#[test]
fn snapshot_checker_without_port() {
    let text = "virtual_server fwmark 1 {\n    lb_algo rr\n    lb_kind DR\n    real_server 192.0.2.10 {\n        TCP_CHECK {\n            connect_timeout 3\n        }\n    }\n}\n";
    assert_eq!(rendered(text), SNAP_W0255);
}

/// E0222: the caret under the use, the definition as a secondary label.
const SNAP_E0222: &str = r#"error[E0222]: track_script `chk` is defined after its use
  --> keepalived.conf:8:9
   |
 8 |         chk
   |         ^^^ not defined yet here
11 | vrrp_script chk {
   |             --- defined here
   |
   = help: keepalived reads the file once, top to bottom: move the vrrp_script block above its first use
"#;

/// E0226: the second VRID, the first one as a secondary label.
const SNAP_E0226: &str = r#"error[E0226]: `A` and `B` both use VRID 51 with IPv4 on interface eth0
  --> keepalived.conf:3:23
   |
 3 |     virtual_router_id 51
   |                       -- first used here by `A`
10 |     virtual_router_id 51
   |                       ^^ used again here
   |
   = help: each VRRP group on a link needs its own virtual_router_id
"#;

/// E0280: the script security verdict, with the exit status in a note.
const SNAP_E0280: &str = r#"error[E0280]: scripts are run but `enable_script_security` is not set
 --> keepalived.conf:4:12
  |
4 |     notify /bin/true
  |            ^^^^^^^^^ this script is run
  |
  = help: add `enable_script_security` to `global_defs`, and `script_user USER` to run the scripts as an unprivileged user
  = note: `keepalived -t` exits with status 6 (SECURITY VIOLATION)
"#;

/// W0255: a warning, the real server without a port as a secondary label.
const SNAP_W0255: &str = r#"warning[W0255]: TCP_CHECK has no port to connect to
 --> keepalived.conf:4:17
  |
4 |     real_server 192.0.2.10 {
  |                 ---------- the real server has no port
5 |         TCP_CHECK {
  |         ^^^^^^^^^ this checker connects to port 0
  |
  = help: add `connect_port PORT` to the checker
"#;
