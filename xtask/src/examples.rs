//! Runs every crate's examples with known inputs and checks what they
//! print: part of `cargo xtask test`, so an example that stops working
//! fails CI.
//!
//! Two examples need privileges and peers and are run elsewhere:
//! lbkit-vrrp's `vrrpd` is the lbkit side of the keepalived interop tests
//! (`vrrp/tests/interop`), lbkit-ipvs's `ipvsadm` runs in the IPVS VM
//! (`ipvs/tests/vm_example.rs`).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;

/// One example run: the command line, the exit status and a line its
/// standard output must contain.
struct Case {
    example: &'static str,
    args: Vec<String>,
    status: i32,
    expect: &'static str,
}

/// Builds the examples, then runs each case.
pub(crate) fn run(root: &Path) -> Result<(), String> {
    crate::run::cmd(crate::run::cargo().args(["build", "--workspace", "--examples"]))?;
    let dir = target_dir(root).join("debug").join("examples");
    let server = http_server()?;
    let closed = closed_port()?;
    let data = |p: &str| root.join(p).display().to_string();
    let cases = [
        // Two whole wrr cycles of weights 3, 2, 1.
        Case {
            example: "pick",
            args: vec!["lb_algo wrr".into(), "3".into(), "2".into(), "1".into()],
            status: 0,
            expect: "s1 weight 3: 6 of 12",
        },
        Case {
            example: "check_keepalived_conf",
            args: vec![data("keepalived-cfg/tests/data/seed/lb1.conf")],
            status: 0,
            expect: "2 vrrp_instance(s), 1 vrrp_sync_group(s), 0 vrrp_script(s), 1 virtual_server(s) with 4 real_server(s); 0 error(s)",
        },
        // keepalived -t refuses the guide's script without script security.
        Case {
            example: "check_keepalived_conf",
            args: vec![data("keepalived-cfg/tests/data/seed/appendix-a.conf")],
            status: 1,
            expect: "1 error(s)",
        },
        Case {
            example: "check_haproxy_cfg",
            args: vec![data("haproxy-cfg/tests/data/seed/section-5.cfg")],
            status: 0,
            expect: "backend app: mode http, 0 bind(s), 4 server(s)",
        },
        Case {
            example: "http_check",
            args: vec![format!("http://{server}/health"), "--count".into(), "2".into(), "--inter".into(), "50".into()],
            status: 0,
            expect: "server is UP",
        },
        // HAProxy starts a server up, one failure away from down.
        Case {
            example: "http_check",
            args: vec![format!("http://{closed}/"), "--count".into(), "1".into()],
            status: 1,
            expect: "server is DOWN",
        },
    ];
    for case in &cases {
        run_case(&dir, case)?;
    }
    eprintln!(
        "xtask: {} example run(s) gave the expected output",
        cases.len()
    );
    Ok(())
}

/// Runs one case and compares its status and output.
fn run_case(dir: &Path, case: &Case) -> Result<(), String> {
    let shown = format!("{} {}", case.example, case.args.join(" "));
    eprintln!("xtask: example $ {shown}");
    let out = Command::new(dir.join(case.example))
        .args(&case.args)
        .output()
        .map_err(|e| format!("cannot run example {shown}: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let status = out.status.code().unwrap_or(-1);
    if status != case.status || !stdout.contains(case.expect) {
        return Err(format!(
            "example {shown}: exit status {status} (expected {}), output:\n{stdout}{}\n(expected a line containing `{}`)",
            case.status,
            String::from_utf8_lossy(&out.stderr),
            case.expect
        ));
    }
    Ok(())
}

/// Where cargo puts its builds.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// A loopback HTTP server answering `200 OK` to every request, for as long
/// as xtask runs; returns its address.
fn http_server() -> Result<String, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 1024];
            // One request per connection: the check sends HTTP/1.0.
            if conn.read(&mut buf).is_ok() {
                let _ = conn.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        }
    });
    Ok(addr.to_string())
}

/// A loopback address with nothing listening on it.
fn closed_port() -> Result<String, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    drop(listener);
    Ok(addr.to_string())
}
