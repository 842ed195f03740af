//! The `keepalived-rs` binary, run as a user would: exit statuses,
//! standard error, `check --json`, `fmt` round trips.
//!
//! Every expected exit status of `-t` is the one Debian's keepalived 2.2.7
//! gave for the same file (`keepalived -t -f FILE`, run in a network
//! namespace holding an `eth0`), noted next to each test.

// Test helpers outside #[test] functions: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A valid configuration: keepalived -t exits 0.
const VALID: &str = "\
global_defs {
    router_id LVS_DEVEL
}

vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secret
    }
    virtual_ipaddress {
        192.0.2.10/24
    }
}

virtual_server 192.0.2.10 80 {
    delay_loop 6
    lb_algo rr
    lb_kind NAT
    protocol TCP

    real_server 198.51.100.1 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 3
        }
    }
}
";

/// VRID out of range on line 3: keepalived -t exits 5 ("(Line 3) number
/// '300' outside range [1, 255]").
const BAD_VRID: &str = "\
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 300
    priority 100
    virtual_ipaddress {
        192.0.2.10
    }
}
";

/// A misspelt keyword on line 2: keepalived -t exits 5 ("Unknown keyword
/// 'lb_algoo'").
const UNKNOWN_KEYWORD: &str = "\
virtual_server 192.0.2.10 80 {
    lb_algoo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.1 80 {
        TCP_CHECK {
            connect_timeout 3
        }
    }
}
";

/// A check script without `enable_script_security`: keepalived -t exits 6
/// ("SECURITY VIOLATION - check scripts are being executed but
/// script_security not enabled.").
const SECURITY: &str = "\
virtual_server 192.0.2.10 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.1 80 {
        MISC_CHECK {
            misc_path /bin/true
        }
    }
}
";

/// A block never closed: keepalived -t exits 5 ("There are 1 missing '}'s
/// or extra '{'s").
const UNTERMINATED: &str = "global_defs {\n    router_id a\n";

/// An include of a file that does not exist: keepalived -t exits 0 (it only
/// says "Config files missing"), and 6 with `-e`.
const MISSING_INCLUDE: &str = "\
include /nonexistent/lbkit-missing.conf
global_defs {
    router_id a
}
";

/// Conditional lines: with `-i lb2` the bad VRID is kept (keepalived -t
/// exits 5), with `-i lb1` the good one (exits 0).
const CONFIG_ID: &str = "\
vrrp_instance VI_1 {
    interface eth0
@lb2 virtual_router_id 300
@^lb2 virtual_router_id 30
    priority 100
    virtual_ipaddress {
        192.0.2.10
    }
}
";

/// Valid but not laid out canonically (keepalived -t exits 0).
const MESSY: &str = "\
! messy but valid
global_defs {
  router_id   LVS_DEVEL   # the id
}
vrrp_instance VI_1 {
\tstate BACKUP
\tinterface eth0
\tvirtual_router_id 51
\tpriority 100
\tvirtual_ipaddress { 192.0.2.10/24 }
}
";

/// A directory of its own for each test, removed when dropped.
struct Scratch {
    /// The directory.
    dir: PathBuf,
}

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("keepalived-rs-cli-{}-{test}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch { dir }
    }

    /// Writes `text` to `name` in the directory ([`on_this_host`]);
    /// returns its path.
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, on_this_host(text)).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs the binary with `args`.
fn run(args: &[&str]) -> Output {
    run_with_stdin(args, None)
}

/// Runs the binary with `args` and, if given, `stdin` as standard input.
/// The configurations name `eth0`; like keepalived, keepalived-rs -t
/// requires interfaces to exist, so they get this host's first non-loopback
/// interface instead.
fn on_this_host(text: &str) -> String {
    let host_if = std::fs::read_dir("/sys/class/net")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name != "lo")
        .min()
        .unwrap_or_else(|| "eth0".into());
    text.replace("interface eth0", &format!("interface {host_if}"))
}

fn run_with_stdin(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keepalived-rs"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

fn status(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `-t -f FILE` on `text`: the output.
fn config_test(scratch: &Scratch, text: &str, extra: &[&str]) -> (PathBuf, Output) {
    let path = scratch.file("keepalived.conf", text);
    let mut args = vec!["-t", "-f", s(&path)];
    args.extend_from_slice(extra);
    let out = run(&args);
    (path, out)
}

// ---- the command line itself ------------------------------------------

#[test]
fn help_is_printed_on_stderr_and_exits_0() {
    // keepalived prints its usage on stderr and exits 0.
    let out = run(&["-h"]);
    assert_eq!(status(&out), 0);
    let err = stderr(&out);
    for option in ["--use-file", "--config-test", "--config-id", "--dont-fork"] {
        assert!(err.contains(option), "{option} missing from:\n{err}");
    }
}

#[test]
fn version_names_keepalived_2_2_7() {
    let out = run(&["--version"]);
    assert_eq!(status(&out), 0);
    let err = stderr(&out);
    let first = err.lines().next().unwrap();
    assert!(first.starts_with("keepalived-rs v"), "{first}");
    assert!(first.contains("Keepalived v2.2.7 (01/16,2022)"), "{first}");
    assert_eq!(status(&run(&["-v"])), 0);
}

#[test]
fn unknown_option_exits_1() {
    // keepalived: "Unknown option -Z", exit 1.
    let out = run(&["-Z"]);
    assert_eq!(status(&out), 1);
    assert!(stderr(&out).contains("-Z"));
}

#[test]
fn signum_prints_keepalived_s_numbers() {
    let out = run(&["--signum=RELOAD"]);
    assert_eq!((status(&out), stdout(&out).as_str()), (0, "1\n"));
    let out = run(&["--signum=JSON"]);
    assert_eq!((status(&out), stdout(&out).as_str()), (0, "36\n"));
    let out = run(&["--signum=bogus"]);
    assert_eq!(status(&out), 1);
    assert!(stderr(&out).contains("Unknown sigfunc bogus"));
}

#[test]
fn the_daemon_refuses_what_it_cannot_run() {
    // A missing main file: the diagnostic, and -t's status for it (4).
    let out = run(&["-n", "-l", "-D", "-f", "/nonexistent.conf"]);
    assert_eq!(status(&out), 4);
    assert!(
        stderr(&out).contains("/nonexistent.conf"),
        "{}",
        stderr(&out)
    );
    // An invalid configuration: -t's diagnostics and exit status.
    let dir = std::env::temp_dir().join(format!("karscli{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("novrid.conf");
    std::fs::write(
        &conf,
        "vrrp_instance VI_1 {\n  interface lo\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n",
    )
    .unwrap();
    let out = run(&["-n", "-l", "-f", conf.to_str().unwrap()]);
    let test = run(&["-t", "-f", conf.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_ne!(status(&out), 0, "{}", stderr(&out));
    assert_eq!(status(&out), status(&test), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("virtual_router_id"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("novrid.conf:1"), "{}", stderr(&out));
    // `-C` (checkers and LVS only) reads the configuration as the whole
    // daemon does.
    let out = run(&["-C", "-f", "/nonexistent.conf"]);
    let whole = run(&["-f", "/nonexistent.conf"]);
    assert_ne!(status(&out), 0);
    assert_eq!(status(&out), status(&whole));
    assert!(
        stderr(&out).contains("/nonexistent.conf"),
        "{}",
        stderr(&out)
    );
    let out = run(&["-T"]);
    assert_eq!(status(&out), 1);
    assert!(stderr(&out).contains("genhash"));
}

#[test]
fn subcommand_help() {
    let out = run(&["check", "--help"]);
    assert_eq!(status(&out), 0);
    assert!(stdout(&out).contains("--json"));
    let out = run(&["fmt", "-h"]);
    assert_eq!(status(&out), 0);
    assert!(stdout(&out).contains("--check"));
}

// ---- -t: exit statuses and diagnostics --------------------------------

#[test]
fn valid_configuration_exits_0_without_errors() {
    let scratch = Scratch::new("valid");
    let (_, out) = config_test(&scratch, VALID, &[]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert!(!stderr(&out).contains("error"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
}

#[test]
fn daemon_flags_are_ignored_by_the_test() {
    let scratch = Scratch::new("daemon-flags");
    let (_, out) = config_test(&scratch, VALID, &["-n", "-l", "-D", "-P", "-S", "local1"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
}

#[test]
fn out_of_range_vrid_exits_5_with_a_rustc_style_error() {
    let scratch = Scratch::new("vrid");
    let (path, out) = config_test(&scratch, BAD_VRID, &[]);
    assert_eq!(status(&out), 5);
    let err = stderr(&out);
    assert!(err.contains("error[E"), "{err}");
    assert!(err.contains(&format!("--> {}:3:", path.display())), "{err}");
    assert!(err.contains("virtual_router_id 300"), "{err}");
    assert!(err.contains('^'), "{err}");
    // The summary line: `FILE: N errors, M warnings`.
    assert!(err.contains(&format!("{}: ", path.display())), "{err}");
}

#[test]
fn unknown_keyword_exits_5_and_suggests_the_known_one() {
    let scratch = Scratch::new("unknown");
    let (path, out) = config_test(&scratch, UNKNOWN_KEYWORD, &[]);
    assert_eq!(status(&out), 5);
    let err = stderr(&out);
    assert!(err.contains("lb_algoo"), "{err}");
    assert!(
        err.contains(&format!("--> {}:2:5", path.display())),
        "{err}"
    );
    assert!(err.contains("help: did you mean `lb_algo`?"), "{err}");
}

#[test]
fn script_without_script_security_exits_6() {
    let scratch = Scratch::new("security");
    let (_, out) = config_test(&scratch, SECURITY, &[]);
    assert_eq!(status(&out), 6, "{}", stderr(&out));
    assert!(stderr(&out).contains("enable_script_security"));
}

#[test]
fn unterminated_block_exits_5() {
    let scratch = Scratch::new("unterminated");
    let (path, out) = config_test(&scratch, UNTERMINATED, &[]);
    assert_eq!(status(&out), 5);
    let err = stderr(&out);
    assert!(err.contains("error[E"), "{err}");
    assert!(err.contains(&format!("--> {}:1:", path.display())), "{err}");
}

#[test]
fn missing_main_file_passes_unless_all_config() {
    // keepalived -t -f /nonexistent/...: exit 0; with -e: exit 4.
    let path = "/nonexistent/lbkit/keepalived.conf";
    let out = run(&["-t", "-f", path]);
    assert_eq!(status(&out), 0);
    assert!(stderr(&out).contains(path), "{}", stderr(&out));
    let out = run(&["-t", "-e", "-f", path]);
    assert_eq!(status(&out), 4);
}

#[test]
fn check_requires_the_main_file() {
    // lbkit's own `check` does not pass a file that is not there.
    let out = run(&["check", "/nonexistent/lbkit/keepalived.conf"]);
    assert_eq!(status(&out), 4);
}

#[test]
fn missing_include_passes_unless_all_config() {
    let scratch = Scratch::new("include");
    let (_, out) = config_test(&scratch, MISSING_INCLUDE, &[]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("lbkit-missing.conf"));
    let (_, out) = config_test(&scratch, MISSING_INCLUDE, &["-e"]);
    assert_eq!(status(&out), 6);
}

#[test]
fn config_id_selects_conditional_lines() {
    let scratch = Scratch::new("config-id");
    let (_, out) = config_test(&scratch, CONFIG_ID, &["-i", "lb2"]);
    assert_eq!(status(&out), 5, "{}", stderr(&out));
    let (_, out) = config_test(&scratch, CONFIG_ID, &["--config-id", "lb1"]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
}

#[test]
fn config_test_log_file_receives_the_report() {
    let scratch = Scratch::new("log-file");
    let conf = scratch.file("keepalived.conf", BAD_VRID);
    let log = scratch.dir.join("test.log");
    std::fs::write(&log, "earlier line\n").unwrap();
    let arg = format!("--config-test={}", log.display());
    let out = run(&[&arg, "-f", s(&conf)]);
    assert_eq!(status(&out), 5);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.starts_with("earlier line\n"), "appended: {logged}");
    assert!(logged.contains("virtual_router_id 300"), "{logged}");
}

#[test]
fn strict_turns_warnings_into_errors() {
    // priority 255 without being the address owner: a warning (W0203),
    // which keepalived does not report; --strict makes it fail.
    let scratch = Scratch::new("strict");
    let text = VALID.replace("priority 100", "priority 255");
    let (_, out) = config_test(&scratch, &text, &[]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("warning"), "{}", stderr(&out));
    let (_, out) = config_test(&scratch, &text, &["--strict"]);
    assert_eq!(status(&out), 5, "{}", stderr(&out));
}

// ---- check --json -----------------------------------------------------

/// `check --json FILE` on `text`: the exit status and the parsed array.
fn check_json(scratch: &Scratch, text: &str) -> (PathBuf, i32, Vec<serde_json::Value>) {
    let path = scratch.file("keepalived.conf", text);
    let out = run(&["check", "--json", s(&path)]);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&out)));
    let serde_json::Value::Array(items) = value else {
        panic!("not an array: {}", stdout(&out));
    };
    (path, status(&out), items)
}

#[test]
fn json_of_a_valid_file_has_no_error() {
    let scratch = Scratch::new("json-valid");
    let (_, code, items) = check_json(&scratch, VALID);
    assert_eq!(code, 0);
    assert!(items.iter().all(|d| d["severity"] != "error"), "{items:?}");
}

#[test]
fn json_describes_each_diagnostic() {
    let scratch = Scratch::new("json-vrid");
    let (path, code, items) = check_json(&scratch, BAD_VRID);
    assert_eq!(code, 5);
    // `    virtual_router_id 300`: the number starts in column 23.
    let vrid = items
        .iter()
        .find(|d| d["line"] == 3)
        .unwrap_or_else(|| panic!("nothing on line 3: {items:?}"));
    assert_eq!(vrid["severity"], "error");
    assert!(vrid["code"].as_str().unwrap().starts_with('E'));
    assert!(vrid["message"].as_str().unwrap().contains("300"));
    assert_eq!(vrid["file"], s(&path));
    assert_eq!((&vrid["column"], &vrid["length"]), (&23.into(), &3.into()));
    for d in &items {
        for key in ["label", "labels", "help", "notes"] {
            assert!(d.get(key).is_some(), "{key} missing in {d}");
        }
    }
}

#[test]
fn json_keeps_standard_error_quiet() {
    let scratch = Scratch::new("json-quiet");
    let path = scratch.file("keepalived.conf", UNKNOWN_KEYWORD);
    let out = run(&["check", "--json", s(&path)]);
    assert_eq!(status(&out), 5);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

// ---- fmt --------------------------------------------------------------

#[test]
fn fmt_round_trip() {
    let scratch = Scratch::new("fmt");
    let messy = scratch.file("messy.conf", MESSY);
    let out = run(&["fmt", s(&messy)]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    let canonical = stdout(&out);
    assert!(canonical.contains("virtual_router_id 51"), "{canonical}");
    assert_ne!(canonical, MESSY);

    // The messy file is not canonical; the output is, and means the same.
    assert_eq!(status(&run(&["fmt", "--check", s(&messy)])), 1);
    let tidy = scratch.file("tidy.conf", &canonical);
    let out = run(&["fmt", "--check", s(&tidy)]);
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert_eq!(status(&run(&["-t", "-f", s(&tidy)])), 0);

    // Formatting is idempotent.
    let again = run(&["fmt", s(&tidy)]);
    assert_eq!(stdout(&again), canonical);
}

#[test]
fn fmt_reads_standard_input() {
    let valid = on_this_host(VALID);
    let out = run_with_stdin(&["fmt", "-"], Some(&valid));
    assert_eq!(status(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("lb_algo rr"));
}

#[test]
fn fmt_refuses_a_configuration_with_errors() {
    let scratch = Scratch::new("fmt-errors");
    let path = scratch.file("keepalived.conf", BAD_VRID);
    let out = run(&["fmt", s(&path)]);
    assert_eq!(status(&out), 5);
    assert!(stdout(&out).is_empty());
    assert!(stderr(&out).contains("error[E"), "{}", stderr(&out));
}
