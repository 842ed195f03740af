//! `haproxy-rs` as a process: arguments, output and exit statuses as
//! `haproxy -c` gives them.

// Test helpers: a failure to set a case up is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("haproxy-rs-cli-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_haproxy-rs"))
        .args(args)
        .env_remove("LBKIT_HCFG_NOPE")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const VALID: &str = "defaults\n    timeout connect 5s\n    timeout client 5s\n    timeout server 5s\nfrontend web\n    bind :8080\n    default_backend app\nbackend app\n    server a 192.0.2.1:80 check\n";

#[test]
fn version() {
    let out = run(&[Path::new("-v")]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).starts_with("haproxy-rs version "),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn valid_configuration_exits_0() {
    let s = Scratch::new("valid");
    let f = s.file("h.cfg", VALID);
    let out = run(&[Path::new("-c"), Path::new("-f"), &f]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Configuration file is valid\n");
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn no_listener_exits_2() {
    let s = Scratch::new("nolistener");
    let f = s.file("h.cfg", "global\n    maxconn 10\n");
    let out = run(&[Path::new("-c"), Path::new("-f"), &f]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("no listener"));
}

#[test]
fn errors_exit_1_with_located_diagnostics() {
    let s = Scratch::new("errors");
    let f = s.file("h.cfg", "global\n    mxconn 10\n");
    let out = run(&[Path::new("-c"), Path::new("-f"), &f]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error[E0100]: unknown keyword 'mxconn' in 'global' section\n"),
        "{err}"
    );
    assert!(err.contains("h.cfg:2:5\n"), "{err}");
    assert!(err.contains("= help: did you mean 'maxconn'?"), "{err}");
    assert!(
        err.ends_with("error: could not check the configuration due to 1 previous error\n"),
        "{err}"
    );
    let quiet = run(&[Path::new("-c"), Path::new("-q"), Path::new("-f"), &f]);
    assert_eq!(quiet.status.code(), Some(1));
    assert_eq!(text(&quiet.stderr), "");
}

#[test]
fn json_output() {
    let s = Scratch::new("json");
    let f = s.file("h.cfg", "global\n    mxconn 10\n");
    let out = run(&[Path::new("-c"), Path::new("--json"), Path::new("-f"), &f]);
    assert_eq!(out.status.code(), Some(1));
    let json = text(&out.stdout);
    assert!(
        json.starts_with("[{\"severity\":\"error\",\"code\":\"E0100\""),
        "{json}"
    );
    assert!(json.contains("\"line\":2,\"column\":5"), "{json}");
}

#[test]
fn files_and_directories_in_order() {
    let s = Scratch::new("dirs");
    s.file(
        "conf.d/10-defaults.cfg",
        "defaults\n    timeout connect 5s\n    timeout client 5s\n    timeout server 5s\n",
    );
    s.file(
        "conf.d/20-web.cfg",
        "frontend web\n    bind :8080\n    default_backend app\n",
    );
    s.file("conf.d/README", "not a configuration\n");
    s.file("conf.d/.hidden.cfg", "junk\n");
    let last = s.file("backend.cfg", "backend app\n    server a 192.0.2.1:80\n");
    let dir = s.0.join("conf.d");
    let out = run(&[
        Path::new("-c"),
        Path::new("-f"),
        &dir,
        Path::new("-f"),
        &last,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Each file starts outside any section.
    let cont = s.file("cont.cfg", "    server b 192.0.2.2:80\n");
    let out = run(&[
        Path::new("-c"),
        Path::new("-f"),
        &last,
        Path::new("-f"),
        &cont,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("out of section"));
}

#[test]
fn missing_file_and_no_file() {
    let out = run(&[
        Path::new("-c"),
        Path::new("-f"),
        Path::new("/nonexistent/lbkit.cfg"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("Cannot open configuration file/directory /nonexistent/lbkit.cfg : No such file or directory"));
    let out = run(&[Path::new("-c")]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn format_prints_canonical_text() {
    let s = Scratch::new("format");
    let f = s.file(
        "h.cfg",
        "global   # comment\n  description   \"two words\"\n",
    );
    let out = run(&[Path::new("--format"), Path::new("-f"), &f]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "global\n    description 'two words'\n");
}
