//! The runtime API against HAProxy 2.6's answers (`tests/data/ops/cli/`):
//! errors, permissions, help and suggestions, `;` lists, prompt mode, and
//! the changes handed to the engine.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod ops_support;

use haproxy_rs::ops::cli::{
    parse_command, AdminAction, CliError, Command, Level, ServerRef, WeightChange,
};
use haproxy_rs::ops::runtime::{CliConnection, Control, ControlError};
use ops_support::{golden, snapshot};
use proptest::prelude::*;

/// Records the changes asked of the engine.
#[derive(Default)]
struct Recorder {
    calls: Vec<String>,
}

impl Control for Recorder {
    fn set_server_admin(&mut self, t: &ServerRef, a: AdminAction) -> Result<(), ControlError> {
        self.calls.push(format!("admin {t} {a:?}"));
        Ok(())
    }
    fn set_server_weight(&mut self, t: &ServerRef, w: u32) -> Result<(), ControlError> {
        self.calls.push(format!("weight {t} {w}"));
        Ok(())
    }
    fn set_server_maxconn(&mut self, t: &ServerRef, m: u64) -> Result<(), ControlError> {
        self.calls.push(format!("maxconn {t} {m}"));
        Ok(())
    }
    fn set_frontend_maxconn(&mut self, f: &str, m: u64) -> Result<(), ControlError> {
        self.calls.push(format!("fe-maxconn {f} {m}"));
        Ok(())
    }
    fn set_global_maxconn(&mut self, m: u64) -> Result<(), ControlError> {
        self.calls.push(format!("global-maxconn {m}"));
        Ok(())
    }
}

/// Our whole answer to `line` at `level`.
fn run(level: Level, line: &str) -> (String, Vec<String>) {
    let mut ctl = Recorder::default();
    let mut s = CliConnection::new(level);
    let r = s.handle_line(line, &snapshot(), &mut ctl);
    (r.output, ctl.calls)
}

/// (level, command, golden file) for answers that do not depend on
/// counters.
const CASES: &[(Level, &str, &str)] = &[
    (
        Level::User,
        "set server be_app/s3 state drain",
        "perm_user_set_server.txt",
    ),
    (
        Level::Operator,
        "set server be_app/s3 state drain",
        "perm_oper_set_server.txt",
    ),
    (
        Level::User,
        "disable server be_app/s3",
        "perm_user_disable_server.txt",
    ),
    (
        Level::Operator,
        "disable server be_app/s3",
        "perm_oper_disable_server.txt",
    ),
    (
        Level::User,
        "set maxconn global 1000",
        "perm_user_maxconn_global.txt",
    ),
    (
        Level::Operator,
        "set maxconn server be_app/s3 50",
        "perm_oper_maxconn_server.txt",
    ),
    (Level::User, "show sess", "perm_user_show_sess.txt"),
    (
        Level::Admin,
        "set server be_app/nope state drain",
        "err_no_server.txt",
    ),
    (
        Level::Admin,
        "set server nope/s1 state drain",
        "err_no_backend.txt",
    ),
    (
        Level::Admin,
        "set server be_app/s3 state foo",
        "err_bad_state.txt",
    ),
    (
        Level::Admin,
        "set server be_app/s3 state",
        "err_set_server_state_noarg.txt",
    ),
    (
        Level::Admin,
        "set server be_app/s3",
        "err_set_server_usage.txt",
    ),
    (
        Level::Admin,
        "set server be_app/s1 foo",
        "err_set_server_badopt.txt",
    ),
    (
        Level::Admin,
        "set server be_app/s3 weight foo",
        "err_bad_weight.txt",
    ),
    (
        Level::Admin,
        "set server be_app/s3 weight 300",
        "err_weight_range.txt",
    ),
    (
        Level::Admin,
        "set server be_app/s3 weight -5",
        "err_weight_neg.txt",
    ),
    (
        Level::Admin,
        "set server be_app/s3 weight 5x",
        "err_weight_trailing.txt",
    ),
    (
        Level::Admin,
        "set server be_app/s3 weight",
        "err_weight_missing.txt",
    ),
    (
        Level::Admin,
        "set server be_app/s3 weight 20",
        "ok_weight.txt",
    ),
    (
        Level::Admin,
        "set server be_app/s3 weight 50%",
        "ok_weight_pct.txt",
    ),
    (
        Level::Admin,
        "set server be_app/s3 weight 500%",
        "err_weight_pct_big.txt",
    ),
    (
        Level::Admin,
        "set server be_app/s3 state drain",
        "ok_state_drain.txt",
    ),
    (
        Level::Admin,
        "set server be_app/s1 state ready",
        "ok_state_ready.txt",
    ),
    (Level::Admin, "set weight be_app/s3 3", "ok_set_weight.txt"),
    (
        Level::Admin,
        "set maxconn frontend fe_main 500",
        "ok_maxconn_fe.txt",
    ),
    (
        Level::Admin,
        "set maxconn frontend nope 500",
        "err_maxconn_fe.txt",
    ),
    (
        Level::Admin,
        "set maxconn frontend fe_main",
        "err_maxconn_fe_noval.txt",
    ),
    (
        Level::Admin,
        "set maxconn frontend",
        "err_maxconn_fe_noname.txt",
    ),
    (
        Level::Admin,
        "set maxconn server be_app/s3 40",
        "ok_maxconn_srv.txt",
    ),
    (
        Level::Admin,
        "set maxconn server be_app/s3",
        "err_maxconn_srv_noval.txt",
    ),
    (
        Level::Admin,
        "set maxconn server be_app/nope 5",
        "err_maxconn_srv_nope.txt",
    ),
    (
        Level::Admin,
        "set maxconn server be_app 5",
        "err_maxconn_srv_noslash.txt",
    ),
    (
        Level::Admin,
        "set maxconn global 1500",
        "ok_maxconn_global.txt",
    ),
    (
        Level::Admin,
        "set maxconn global 999999",
        "err_maxconn_global_big.txt",
    ),
    (
        Level::Admin,
        "set maxconn global",
        "err_maxconn_global_noval.txt",
    ),
    (
        Level::Admin,
        "set maxconn global 0",
        "err_maxconn_global_zero.txt",
    ),
    (Level::Admin, "set maxconn", "err_maxconn_usage.txt"),
    (Level::Admin, "set maxconn foo", "err_maxconn_foo.txt"),
    (
        Level::Admin,
        "disable server be_app/nope",
        "err_disable_nope.txt",
    ),
    (
        Level::Admin,
        "disable server be_app",
        "err_disable_noslash.txt",
    ),
    (Level::Admin, "enable server", "err_enable_server_noarg.txt"),
    (
        Level::Admin,
        "enable server be_app/s4",
        "ok_enable_server.txt",
    ),
    (
        Level::Admin,
        "disable server be_app/s4",
        "ok_disable_server.txt",
    ),
    (
        Level::Admin,
        "show servers state nope",
        "err_show_servers_state_nope.txt",
    ),
    (Level::Admin, "help", "help_admin.txt"),
    (Level::Operator, "help", "help_operator.txt"),
    (Level::User, "help", "help_user.txt"),
    (Level::Admin, "help set maxconn", "help_set_maxconn.txt"),
    (Level::Admin, "", "empty_line.txt"),
    (Level::Admin, "show", "show_alone.txt"),
    (Level::Admin, "sho info", "err_sho.txt"),
    (Level::Admin, "show inf", "err_show_inf.txt"),
    (Level::Admin, "foo", "unknown_admin.txt"),
    (Level::User, "foo", "unknown_user.txt"),
    (Level::Admin, "show backend", "show_backend_tcp.txt"),
    (Level::Admin, "prompt\nshow backend\nquit", "prompt.txt"),
    (Level::Admin, "quit", "quit.txt"),
];

#[test]
fn answers_match_haproxy_byte_for_byte() {
    let mut failures = Vec::new();
    for (level, line, file) in CASES {
        let theirs = if *file == "show_backend_tcp.txt" {
            golden(file)
        } else {
            golden(&format!("cli/{file}"))
        };
        let mut ctl = Recorder::default();
        let mut s = CliConnection::new(*level);
        let mut ours = String::new();
        for l in line.split('\n') {
            let r = s.handle_line(l, &snapshot(), &mut ctl);
            ours.push_str(&r.output);
            if r.close {
                break;
            }
        }
        if ours != theirs {
            failures.push(format!(
                "{line:?} ({file}):\n ours: {ours:?}\n theirs: {theirs:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn set_batch_applies_every_change_in_order() {
    let (out, calls) = run(
        Level::Admin,
        "set server be_app/s3 state drain;set server be_app/s3 weight 50%;set server be_app/s1 state maint;set maxconn server be_app/s3 40;set maxconn frontend fe_main 500",
    );
    assert_eq!(out, golden("set_batch.txt"));
    assert_eq!(
        calls,
        [
            "admin be_app/s3 Drain",
            "weight be_app/s3 5",
            "admin be_app/s1 Maint",
            "maxconn be_app/s3 40",
            "fe-maxconn fe_main 500",
        ]
    );
}

#[test]
fn refused_commands_change_nothing() {
    let (_, calls) = run(
        Level::Operator,
        "set server be_app/s3 state drain;disable server be_app/s1",
    );
    assert!(calls.is_empty());
    let (_, calls) = run(
        Level::Admin,
        "set server be_app/nope weight 3;set maxconn global 999999",
    );
    assert!(calls.is_empty());
    let (_, calls) = run(
        Level::Admin,
        "set maxconn global 0;set weight be_app/s2 10%",
    );
    assert_eq!(calls, ["global-maxconn 2000", "weight be_app/s2 5"]);
}

#[test]
fn show_commands_end_with_a_blank_line_and_quit_stops() {
    let (out, _) = run(Level::User, "show info;quit;show backend");
    assert!(out.starts_with("Name: HAProxy\n"));
    assert!(out.ends_with("Tainted: 0\n\n"));
    let (out, _) = run(Level::User, "show servers state be_app");
    assert_eq!(out.lines().count(), 2 + 4 + 1);
}

#[test]
fn lowering_the_level_takes_effect_for_the_next_command() {
    let (out, calls) = run(Level::Admin, "user;set server be_app/s3 state drain");
    assert_eq!(out, "\nPermission denied\n\n");
    assert!(calls.is_empty());
}

#[test]
fn typed_commands() {
    let sref = |b: &str, s: &str| ServerRef {
        backend: b.into(),
        server: s.into(),
    };
    assert_eq!(
        parse_command("show info", Level::User),
        Ok(Command::ShowInfo)
    );
    assert_eq!(
        parse_command("show servers state be_app", Level::User),
        Ok(Command::ShowServersState(Some("be_app".into())))
    );
    assert_eq!(
        parse_command("set server b/s weight 7", Level::Admin),
        Ok(Command::SetServer {
            target: sref("b", "s"),
            change: Ok(haproxy_rs::ops::cli::ServerChange::Weight(
                WeightChange::Absolute(7)
            )),
        })
    );
    assert_eq!(
        parse_command("show sess", Level::Operator),
        Ok(Command::ShowSess)
    );
    assert_eq!(
        parse_command("show sess", Level::User),
        Err(CliError::PermissionDenied)
    );
    assert_eq!(
        parse_command("show pools", Level::Admin),
        Err(CliError::Unsupported)
    );
}

proptest! {
    #[test]
    fn any_line_is_answered_without_panicking(line in "\\PC{0,200}") {
        for level in [Level::User, Level::Operator, Level::Admin] {
            let mut s = CliConnection::new(level);
            let _ = s.handle_line(&line, &snapshot(), &mut Recorder::default());
        }
    }

    #[test]
    fn set_server_round_trips(
        b in "[a-z_][a-z0-9_]{0,8}",
        s in "[a-z_][a-z0-9_]{0,8}",
        w in 0u32..=256,
        state in prop::sample::select(vec!["ready", "drain", "maint"]),
    ) {
        let line = format!("set server {b}/{s} weight {w}");
        let parsed = parse_command(&line, Level::Admin);
        let is_weight = matches!(
            &parsed,
            Ok(Command::SetServer { target, change: Ok(haproxy_rs::ops::cli::ServerChange::Weight(WeightChange::Absolute(x))) })
                if target.backend == b && target.server == s && *x == w
        );
        prop_assert!(is_weight, "{line}: {parsed:?}");
        let line = format!("set server {b}/{s} state {state}");
        let parsed = parse_command(&line, Level::Admin);
        let words = match &parsed {
            Ok(Command::SetServer { target, change: Ok(haproxy_rs::ops::cli::ServerChange::State(a)) }) => {
                format!("set server {target} state {}", match a {
                    AdminAction::Ready => "ready",
                    AdminAction::Drain => "drain",
                    _ => "maint",
                })
            }
            other => format!("{other:?}"),
        };
        prop_assert_eq!(words, line);
    }
}
